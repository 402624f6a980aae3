/* Fees pages: the receipt's print button (no inline handlers: the Content-Security-Policy allows none). */
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("[data-print]") : null;
    if (button) { window.print(); }
  });
})();
