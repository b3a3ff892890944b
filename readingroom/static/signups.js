// Sign-ups: the roster's print button (no framework, nothing else).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});
