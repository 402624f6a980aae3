/* The customer's signature on the technician's phone: a finger (or mouse) draws on the pad; on submit the
   drawing goes with the completion as a PNG data: URL (the server checks it as an image). Empty pad: no signature. */
(function () {
  "use strict";

  function setup(box) {
    var canvas = box.querySelector("canvas");
    var field = box.querySelector("input[name=signature]");
    var form = box.closest("form");
    if (!canvas || !field || !form) { return; }
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    ctx.lineWidth = 2.5;
    ctx.lineCap = "round";
    ctx.strokeStyle = "#111827";

    function at(ev) {
      var r = canvas.getBoundingClientRect();
      return {x: (ev.clientX - r.left) * canvas.width / r.width, y: (ev.clientY - r.top) * canvas.height / r.height};
    }
    canvas.addEventListener("pointerdown", function (ev) {
      drawing = true;
      var p = at(ev);
      ctx.beginPath();
      ctx.moveTo(p.x, p.y);
      canvas.setPointerCapture(ev.pointerId);
      ev.preventDefault();
    });
    canvas.addEventListener("pointermove", function (ev) {
      if (!drawing) { return; }
      var p = at(ev);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      drawn = true;
      ev.preventDefault();
    });
    function end() { drawing = false; }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    var clear = box.querySelector("[data-sign-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        drawn = false;
        field.value = "";
      });
    }
    form.addEventListener("submit", function () {
      field.value = drawn ? canvas.toDataURL("image/png") : "";
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-sign]"), setup);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
