/* Figures page: draw each chart with Apache ECharts (vendor/echarts, SVG renderer so that
   charts print sharp). The options come from the server in a JSON script element; the
   table under each chart has the same numbers, and stays when JavaScript is off. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // The range: a preset chosen empties the dates (given dates would decide the range);
  // a date typed makes the preset "from ... to ...".
  var period = document.getElementById("period");
  var dates = [document.getElementById("start"), document.getElementById("end")];
  if (period && dates[0] && dates[1]) {
    period.addEventListener("change", function () {
      if (period.value !== "custom") { dates.forEach(function (d) { d.value = ""; }); }
    });
    dates.forEach(function (d) {
      d.addEventListener("change", function () { if (d.value) { period.value = "custom"; } });
    });
  }
  if (!window.echarts) { return; }
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source) { return; }
    var option = JSON.parse(source.textContent);
    if (!option.series || option.series.length === 0) { el.hidden = true; return; }
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option);
    charts.push(chart);
  });
  function resize() { charts.forEach(function (c) { c.resize(); }); }
  window.addEventListener("resize", resize);
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
})();
