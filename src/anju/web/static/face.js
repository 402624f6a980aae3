// Face consent, accessible variant (R-E3): read the notice aloud with the phone's own speech engine
// (no network). Loaded only by the face page; the page works without it.
(function () {
  "use strict";
  function setup() {
    var btn = document.querySelector("[data-speak]");
    if (!btn) { return; }
    if (!("speechSynthesis" in window)) { btn.hidden = true; return; }
    var label = btn.textContent;
    btn.addEventListener("click", function () {
      if (window.speechSynthesis.speaking) {
        window.speechSynthesis.cancel();
        btn.textContent = label;
        return;
      }
      var box = document.querySelector(btn.getAttribute("data-speak"));
      var u = new SpeechSynthesisUtterance(box ? box.innerText : "");
      u.lang = btn.getAttribute("data-lang") || "zh-CN";
      u.rate = 0.85;
      u.onend = function () { btn.textContent = label; };
      btn.textContent = btn.getAttribute("data-stop-label") || label;
      window.speechSynthesis.speak(u);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
