// Care consent screen (R-E3): read the explanation aloud with the browser's own speech synthesis.
(function () {
  "use strict";
  var btn = document.getElementById("care-read-aloud");
  if (!btn) return;
  if (!("speechSynthesis" in window)) { btn.hidden = true; return; }
  btn.addEventListener("click", function () {
    var el = document.getElementById(btn.dataset.target);
    if (!el) return;
    window.speechSynthesis.cancel();
    var u = new SpeechSynthesisUtterance(el.textContent);
    u.lang = btn.dataset.lang || "zh-CN";
    u.rate = 0.85;
    window.speechSynthesis.speak(u);
  });
})();
