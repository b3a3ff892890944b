// WeChat's built-in browser (user agent "MicroMessenger") cannot download .ics files or open
// webcal:// links: instead of doing nothing, show how to open the page in the phone's browser
// (templates/_wechat_overlay.html), with the link to copy. Everything else works as usual.
(function () {
  if (!/MicroMessenger/i.test(navigator.userAgent)) return;
  var overlay = document.getElementById("wechat-overlay");
  if (!overlay) return;
  var input = document.getElementById("wechat-link");
  var opener = null;
  document.documentElement.classList.add("in-wechat");

  function httpsOf(href) {
    var url = new URL(href, window.location.href);
    if (url.protocol === "webcal:") return "https:" + url.href.slice("webcal:".length);
    return url.href;
  }
  function open(link) {
    opener = link;
    input.value = httpsOf(link.getAttribute("href"));
    overlay.hidden = false;
    overlay.querySelector("[data-wechat-close]").focus();
  }
  function close() {
    overlay.hidden = true;
    if (opener) opener.focus();
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest('a[href^="webcal:"], a[href*=".ics"], a[data-app-link]');
    if (!link) return;
    event.preventDefault();
    open(link);
  });
  overlay.querySelector("[data-wechat-close]").addEventListener("click", close);
  overlay.addEventListener("click", function (event) { if (event.target === overlay) close(); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !overlay.hidden) close();
  });
  var copy = overlay.querySelector("[data-wechat-copy]");
  copy.addEventListener("click", function () {
    input.select();
    var done = function () { copy.textContent = copy.getAttribute("data-copied"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
})();
