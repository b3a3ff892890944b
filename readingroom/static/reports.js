/* Figures page: draw each chart with Apache ECharts (vendor/echarts, SVG renderer so that
   charts print sharp). The options come from the server in a JSON script element; the
   table under each chart has the same numbers, and stays when JavaScript is off. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
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
