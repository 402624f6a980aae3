// Zone editor: click on the camera picture to add points (stored as fractions 0..1 of the picture),
// the polygon is drawn on an SVG overlay; existing zones are drawn too.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn); }
  ready(function () {
    var box = document.getElementById("zone-editor");
    if (!box) return;
    var svg = document.getElementById("zone-svg");
    var field = document.getElementById("zone-points");
    var clear = document.getElementById("zone-clear");
    var points = [];
    var NS = "http://www.w3.org/2000/svg";
    function poly(pts, cls) {
      var p = document.createElementNS(NS, "polygon");
      p.setAttribute("points", pts.map(function (q) { return q[0] + "," + q[1]; }).join(" "));
      p.setAttribute("fill", cls === "new" ? "rgba(220,38,38,0.25)" : "rgba(37,99,235,0.2)");
      p.setAttribute("stroke", cls === "new" ? "#dc2626" : "#2563eb");
      p.setAttribute("stroke-width", "0.004");
      svg.appendChild(p);
    }
    function draw() {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      try {
        JSON.parse(box.getAttribute("data-zones") || "[]").forEach(function (a) {
          (a.zones || []).forEach(function (z) { poly(z.points, "old"); });
        });
      } catch (e) { /* no zones */ }
      if (points.length) poly(points, "new");
      field.value = JSON.stringify(points);
    }
    box.addEventListener("click", function (ev) {
      var r = box.getBoundingClientRect();
      var x = Math.min(1, Math.max(0, (ev.clientX - r.left) / r.width));
      var y = Math.min(1, Math.max(0, (ev.clientY - r.top) / r.height));
      points.push([Math.round(x * 1000) / 1000, Math.round(y * 1000) / 1000]);
      draw();
    });
    if (clear) clear.addEventListener("click", function () { points = []; draw(); });
    draw();
  });
})();
