/* 数据大屏: ECharts over the aggregate overview (refreshed every minute) and the live security map (server-sent events). */
(function () {
  "use strict";

  var PALETTE = ["#36cfc9", "#40a9ff", "#fadb14", "#ff7a45", "#9254de", "#73d13d", "#f759ab"];
  var TEXT = "#b7cdea";
  var AXIS = "rgba(120,160,220,0.35)";
  var charts = {};

  function json(id) {
    var el = document.getElementById(id);
    try { return el ? JSON.parse(el.textContent) : {}; } catch (e) { return {}; }
  }

  var i18n = json("anju-i18n");
  var config = json("screen-config");

  function label(prefix, key) {
    return i18n[prefix + key] || (key === "unknown" ? (i18n["screen.unknown"] || key) : key);
  }

  function pairs(obj, prefix) {
    return Object.keys(obj || {}).filter(function (k) { return obj[k] > 0; })
      .map(function (k) { return {name: label(prefix, k), value: obj[k]}; });
  }

  function base() {
    return {
      color: PALETTE,
      textStyle: {color: TEXT, fontFamily: "inherit"},
      tooltip: {trigger: "item", backgroundColor: "rgba(8,20,45,0.92)", borderColor: "#1d4f91", textStyle: {color: "#e6f0ff"}},
      grid: {left: 44, right: 16, top: 24, bottom: 30, containLabel: false},
      animationDuration: 900
    };
  }

  function bar(categories, values, opts) {
    opts = opts || {};
    var o = base();
    o.tooltip.trigger = "axis";
    var cat = {type: "category", data: categories, axisLine: {lineStyle: {color: AXIS}}, axisTick: {show: false},
               axisLabel: {color: TEXT, interval: 0, rotate: categories.length > 8 ? 40 : 0, fontSize: 11}};
    var val = {type: "value", splitLine: {lineStyle: {color: "rgba(120,160,220,0.12)"}}, axisLabel: {color: TEXT, fontSize: 11}};
    if (opts.horizontal) {
      o.grid = {left: 96, right: 36, top: 12, bottom: 20};
      o.xAxis = val; o.yAxis = cat; cat.axisLabel.rotate = 0;
    } else {
      o.xAxis = cat; o.yAxis = val;
      if (categories.length > 8) { o.grid.bottom = 56; }
    }
    o.series = [{
      type: "bar", data: values, barMaxWidth: 28,
      label: {show: true, position: opts.horizontal ? "right" : "top", color: "#e6f0ff", fontSize: 11},
      itemStyle: {
        borderRadius: opts.horizontal ? [0, 4, 4, 0] : [4, 4, 0, 0],
        color: new echarts.graphic.LinearGradient(0, 0, opts.horizontal ? 1 : 0, opts.horizontal ? 0 : 1, [
          {offset: 0, color: opts.from || "#36cfc9"}, {offset: 1, color: opts.to || "#1d5fbf"}])
      }
    }];
    return o;
  }

  function pie(data, opts) {
    opts = opts || {};
    var o = base();
    o.legend = {bottom: 0, textStyle: {color: TEXT, fontSize: 11}, itemWidth: 10, itemHeight: 10};
    o.series = [{
      type: "pie", radius: opts.ring ? ["40%", "60%"] : [0, "60%"], center: ["50%", "45%"], avoidLabelOverlap: true,
      roseType: opts.rose ? "radius" : false, data: data,
      label: {color: "#e6f0ff", formatter: "{b}\n{d}%", fontSize: 11, overflow: "none"},
      labelLine: {lineStyle: {color: AXIS}},
      itemStyle: {borderColor: "#071326", borderWidth: 2}
    }];
    if (opts.colors) { o.color = opts.colors; }
    return o;
  }

  function setChart(id, option) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") { return; }
    if (!charts[id]) { charts[id] = echarts.init(el, null, {renderer: "canvas"}); }
    charts[id].setOption(option, true);
  }

  function draw(d) {
    var ages = Object.keys(d.age_bands || {}).filter(function (k) { return k !== "unknown" || d.age_bands[k] > 0; });
    setChart("chart-age", bar(ages.map(function (k) { return label("", k); }),
                              ages.map(function (k) { return d.age_bands[k]; })));
    var pb = d.per_building || [];
    var names = {};
    (d.compounds || []).forEach(function (c) { names[c.id] = c.name; });
    var several = (d.compounds || []).length > 1;
    setChart("chart-building", bar(pb.map(function (b) {
                                     return several && names[b.compound_id] ? names[b.compound_id] + "\n" + b.building : b.building;
                                   }),
                                   pb.map(function (b) { return b.residents; }), {from: "#40a9ff", to: "#1b3b8c"}));
    setChart("chart-house", pie(pairs(d.houses, "house_status."), {ring: true}));
    setChart("chart-pop", pie(pairs(d.population_type, "population."), {colors: ["#40a9ff", "#fadb14"]}));
    // Colours follow the key, not the order the database returned the groups in (female was drawn blue).
    var genderColour = {male: "#40a9ff", female: "#f759ab", unknown: "#8c8c8c"};
    setChart("chart-gender", pie(Object.keys(d.gender || {}).filter(function (k) { return d.gender[k] > 0; }).map(function (k) {
      return {name: label("gender.", k), value: d.gender[k], itemStyle: {color: genderColour[k] || "#8c8c8c"}};
    }), {ring: true}));
    var tagKeys = ["elderly_alone", "special_care", "disabled", "minor"];
    setChart("chart-tags", bar(tagKeys.map(function (k) { return label("tag.", k); }),
                               tagKeys.map(function (k) { return (d.tags || {})[k] || 0; }),
                               {horizontal: true, from: "#ff7a45", to: "#fadb14"}));
    setChart("chart-vehicles", pie(pairs(d.vehicles, "vehicle_class."), {rose: true}));
    var houses = 0, vehicles = 0;
    Object.keys(d.houses || {}).forEach(function (k) { houses += d.houses[k]; });
    Object.keys(d.vehicles || {}).forEach(function (k) { vehicles += d.vehicles[k]; });
    var kpi = {residents: d.residents, households: d.households, houses: houses, vehicles: vehicles,
               elderly_alone: (d.tags || {}).elderly_alone || 0};
    Object.keys(kpi).forEach(function (k) {
      var el = document.querySelector('[data-kpi="' + k + '"]');
      if (el) { el.textContent = kpi[k]; }
    });
  }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  // Beijing time whatever the wall display's own clock zone (China has one zone, no DST).
  function beijing() { return new Date(Date.now() + 8 * 3600 * 1000); }

  function hms(t) { return pad(t.getUTCHours()) + ":" + pad(t.getUTCMinutes()) + ":" + pad(t.getUTCSeconds()); }

  function tick() {
    var el = document.getElementById("screen-clock");
    if (!el) { return; }
    var t = beijing();
    el.textContent = t.getUTCFullYear() + "-" + pad(t.getUTCMonth() + 1) + "-" + pad(t.getUTCDate()) + " " + hms(t);
  }

  function refresh() {
    var url = "/api/v1/analytics/overview" + (config.compound_id ? "?compound_id=" + config.compound_id : "");
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) { return; }
        draw(d);
        var el = document.getElementById("screen-updated");
        if (el) { el.textContent = hms(beijing()); }
      })
      .catch(function () { /* keep the last figures on a network blip */ });
  }

  // Layers the control room switched off stay off when the live part is replaced.
  var hidden = {};

  function applyLayers() {
    var box = document.getElementById("screen-live");
    if (!box) { return; }
    Array.prototype.forEach.call(box.querySelectorAll("[data-layer]"), function (el) {
      el.style.display = hidden[el.getAttribute("data-layer")] ? "none" : "";
    });
  }

  function live() {
    var box = document.getElementById("screen-live");
    if (!box || typeof EventSource === "undefined") { return; }
    Array.prototype.forEach.call(document.querySelectorAll(".layer-switch input[data-layer]"), function (input) {
      input.addEventListener("change", function () {
        hidden[input.getAttribute("data-layer")] = !input.checked;
        applyLayers();
      });
    });
    var url = "/screen/stream?compound_id=" + encodeURIComponent(box.getAttribute("data-compound"));
    var cursor = box.getAttribute("data-cursor");
    if (cursor) { url += "&cursor=" + encodeURIComponent(cursor); }
    var source = new EventSource(url, {withCredentials: true});
    source.addEventListener("picture", function (e) {
      box.innerHTML = e.data;
      applyLayers();
      document.body.setAttribute("data-live-updates", String(Number(document.body.getAttribute("data-live-updates") || 0) + 1));
      var el = document.getElementById("screen-updated");
      if (el) { el.textContent = hms(beijing()); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw(json("screen-data"));
    live();
    document.body.setAttribute("data-charts-ready", "true");
    tick();
    window.setInterval(tick, 1000);
    window.setInterval(refresh, 60000);
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    });
  });
})();
