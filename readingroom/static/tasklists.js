/* Family reading task lists: small progressive enhancements; everything works without them.
 * - [data-print] buttons (hidden without JS) open the print dialog.
 * - Tick forms (form[data-tick]) are sent in the background and the page is updated in place;
 *   on any problem the form is sent the ordinary way (the server answers with a page).
 */
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  function applyState(data) {
    var card = document.getElementById("task-" + data.task_id);
    if (card) {
      var fresh = document.createElement("div");
      fresh.innerHTML = data.task_html;
      var replacement = fresh.firstElementChild;
      if (replacement) {
        card.replaceWith(replacement);
        bind(replacement);
        var button = replacement.querySelector(".tl-tick");
        if (button) { button.focus(); }
      }
    }
    var progress = document.getElementById("tl-progress");
    if (progress && data.progress_html) {
      var wrap = document.createElement("div");
      wrap.innerHTML = data.progress_html;
      if (wrap.firstElementChild) { progress.replaceWith(wrap.firstElementChild); }
    }
    var status = document.getElementById("tl-live");
    if (status && data.message) { status.textContent = data.message; }
  }

  function bind(root) {
    root.querySelectorAll("form[data-tick]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.fetch || form.dataset.busy === "1") {
          if (form.dataset.busy === "1") { event.preventDefault(); }
          return;
        }
        event.preventDefault();
        form.dataset.busy = "1";
        var button = form.querySelector("button[type=submit]");
        if (button) { button.setAttribute("aria-busy", "true"); }
        fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          headers: { "Accept": "application/json" },
          credentials: "same-origin"
        }).then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        }).then(applyState).catch(function () {
          form.dataset.busy = "";
          HTMLFormElement.prototype.submit.call(form);
        });
      });
    });
  }

  bind(document);
})();
