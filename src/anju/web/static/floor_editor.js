// Floor editor (疏散模拟): draw a building's typical floor in metres on an SVG grid.
// Modes: outline (click adds a corner after the selected one, drag moves a corner), exit and flat (two clicks
// are the corners of a rectangle), erase (click a corner, an exit or a flat). Points snap to 0.5 m.
// The drawing is kept as the simulation's geometry JSON in the form's hidden field; the server checks it and
// answers a bad drawing with the reason, and the draft comes back after such a refusal (sessionStorage).
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var SNAP = 0.5;
  function ready(fn) { if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn); }
  function snap(v) { return Math.round(v / SNAP) * SNAP; }
  function rect(a, b) {
    var x0 = Math.min(a[0], b[0]), x1 = Math.max(a[0], b[0]), y0 = Math.min(a[1], b[1]), y1 = Math.max(a[1], b[1]);
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
  }
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(e);
    return e;
  }
  function pts(list) { return list.map(function (p) { return p[0] + "," + p[1]; }).join(" "); }

  ready(function () {
    var svg = document.getElementById("fe-svg");
    if (!svg) return;
    var field = document.getElementById("fe-geometry");
    var form = document.getElementById("fe-form");
    var status = document.getElementById("fe-status");
    var list = document.getElementById("fe-exits");
    var nameIn = document.getElementById("fe-exit-name");
    var kindIn = document.getElementById("fe-exit-kind");
    var widthIn = document.getElementById("fe-exit-width");
    var draftKey = "anju.floor." + svg.getAttribute("data-building");
    var msg = JSON.parse(svg.getAttribute("data-messages") || "{}");
    var geo;
    try { geo = JSON.parse(svg.getAttribute("data-geometry") || "{}"); } catch (e) { geo = {}; }
    var params = new URLSearchParams(window.location.search);
    var draft = window.sessionStorage ? window.sessionStorage.getItem(draftKey) : null;
    if (params.get("err") && draft) {
      try { geo = JSON.parse(draft); } catch (e) { /* keep the stored floor */ }
    } else if (draft && window.sessionStorage) {
      window.sessionStorage.removeItem(draftKey);
    }
    geo.outline = geo.outline || [];
    geo.exits = geo.exits || [];
    geo.spawn = geo.spawn || [];
    var history = [];
    var selected = geo.outline.length - 1;  // a new corner goes after this one
    var first = null;  // the first corner of a rectangle being drawn
    var drag = null;
    var swallow = false;  // the click that ends a press on a corner adds nothing

    function mode() {
      var m = document.querySelector("input[name=fe-mode]:checked");
      return m ? m.value : "outline";
    }
    function remember() { history.push(JSON.stringify(geo)); if (history.length > 50) history.shift(); }
    function bounds() {
      var all = geo.outline.slice();
      geo.exits.forEach(function (e) { all = all.concat(e.area || []); });
      var xs = all.map(function (p) { return p[0]; }), ys = all.map(function (p) { return p[1]; });
      var x0 = Math.min.apply(null, xs.concat([0])), y0 = Math.min.apply(null, ys.concat([0]));
      var x1 = Math.max.apply(null, xs.concat([30])), y1 = Math.max.apply(null, ys.concat([16]));
      return [Math.floor(x0) - 3, Math.floor(y0) - 3, Math.ceil(x1) + 3, Math.ceil(y1) + 3];
    }
    var box = bounds();
    function fit() {
      box = bounds();
      svg.setAttribute("viewBox", box[0] + " " + box[1] + " " + (box[2] - box[0]) + " " + (box[3] - box[1]));
    }
    function where(ev) {
      var p = svg.createSVGPoint();
      p.x = ev.clientX; p.y = ev.clientY;
      var q = p.matrixTransform(svg.getScreenCTM().inverse());
      return [snap(q.x), snap(q.y)];
    }
    function nextKey() {
      var n = 1, keys = geo.exits.map(function (e) { return e.key; });
      while (keys.indexOf("e" + n) >= 0) n += 1;
      return "e" + n;
    }
    function draw() {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      for (var x = box[0]; x <= box[2]; x += 1) el("line", { x1: x, y1: box[1], x2: x, y2: box[3], stroke: x % 5 ? "#eef0f3" : "#d5d9e0", "stroke-width": 0.04 }, svg);
      for (var y = box[1]; y <= box[3]; y += 1) el("line", { x1: box[0], y1: y, x2: box[2], y2: y, stroke: y % 5 ? "#eef0f3" : "#d5d9e0", "stroke-width": 0.04 }, svg);
      if (geo.outline.length) {
        el(geo.outline.length > 2 ? "polygon" : "polyline", { points: pts(geo.outline), fill: "rgba(37,99,235,0.08)", stroke: "#1e3a8a", "stroke-width": 0.12, "data-testid": "fe-outline" }, svg);
      }
      geo.spawn.forEach(function (s, i) {
        var r = el("polygon", { points: pts(s), fill: "rgba(250,204,21,0.3)", stroke: "#ca8a04", "stroke-width": 0.06 }, svg);
        r.addEventListener("click", function (ev) { if (mode() === "erase") { ev.stopPropagation(); remember(); geo.spawn.splice(i, 1); changed(); } });
      });
      geo.exits.forEach(function (e, i) {
        var r = el("polygon", { points: pts(e.area || []), fill: e.kind === "door" ? "#0d9488" : "#16a34a", "fill-opacity": 0.8, "data-exit": e.key }, svg);
        el("title", {}, r).textContent = e.name;
        r.addEventListener("click", function (ev) { if (mode() === "erase") { ev.stopPropagation(); remember(); geo.exits.splice(i, 1); changed(); } });
      });
      geo.outline.forEach(function (p, i) {
        var c = el("circle", { cx: p[0], cy: p[1], r: 0.35, fill: i === selected ? "#dc2626" : "#1e3a8a", class: "fe-corner" }, svg);
        c.addEventListener("pointerdown", function (ev) {
          ev.stopPropagation();
          swallow = true;
          if (mode() === "erase") { remember(); geo.outline.splice(i, 1); selected = Math.min(selected, geo.outline.length - 1); changed(); return; }
          if (mode() !== "outline") return;
          remember(); selected = i; drag = i; svg.setPointerCapture(ev.pointerId);
        });
      });
      if (first) el("circle", { cx: first[0], cy: first[1], r: 0.3, fill: "#f97316" }, svg);
    }
    function changed() {
      field.value = JSON.stringify(geo);
      list.innerHTML = "";
      geo.exits.forEach(function (e) {
        var li = document.createElement("li");
        li.textContent = e.name + " · " + (e.kind === "door" ? msg.door : msg.stair) + " · " + e.width + " m";
        list.appendChild(li);
      });
      status.textContent = msg.count.replace("{corners}", geo.outline.length).replace("{exits}", geo.exits.length).replace("{flats}", geo.spawn.length);
      draw();
    }
    svg.addEventListener("pointermove", function (ev) {
      if (drag === null) return;
      geo.outline[drag] = where(ev);
      field.value = JSON.stringify(geo);
      draw();
    });
    svg.addEventListener("pointerup", function () { if (drag !== null) { drag = null; fit(); changed(); } });
    svg.addEventListener("click", function (ev) {
      var p = where(ev), m = mode();
      if (swallow) { swallow = false; return; }
      if (m === "outline") {
        remember();
        geo.outline.splice(selected + 1, 0, p);
        selected += 1;
        changed();
      } else if (m === "exit" || m === "flat") {
        if (!first) { first = p; draw(); return; }
        if (first[0] === p[0] || first[1] === p[1]) { first = null; draw(); return; }
        remember();
        if (m === "exit") {
          var w = parseFloat(widthIn.value);
          geo.exits.push({ key: nextKey(), name: (nameIn.value || "").trim() || nextKey(), area: rect(first, p), width: isFinite(w) ? w : 1.2, kind: kindIn.value });
        } else {
          geo.spawn.push(rect(first, p));
        }
        first = null;
        changed();
      }
    });
    document.querySelectorAll("input[name=fe-mode]").forEach(function (r) { r.addEventListener("change", function () { first = null; draw(); }); });
    document.getElementById("fe-undo").addEventListener("click", function () {
      if (!history.length) return;
      geo = JSON.parse(history.pop());
      selected = geo.outline.length - 1;
      fit(); changed();
    });
    document.getElementById("fe-clear").addEventListener("click", function () {
      remember();
      geo = { outline: [], exits: [], spawn: [] };
      selected = -1; first = null;
      changed();
    });
    form.addEventListener("submit", function () {
      field.value = JSON.stringify(geo);
      if (window.sessionStorage) window.sessionStorage.setItem(draftKey, field.value);
    });
    fit();
    changed();
  });
})();
