/* The level history chart on the risk detail page (ECharts, vendored). Data: #level-data. */
(function () {
  var holder = document.getElementById("level-chart");
  var source = document.getElementById("level-data");
  if (!holder || !source || typeof echarts === "undefined") return;
  var points = JSON.parse(source.textContent);
  // ECharts renders tooltips as HTML: every value is escaped first.
  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"'`]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" }[c];
    });
  }
  if (!points.length) return;
  var colours = { none: "#9e9e9e", green: "#2e7d32", blue: "#1565c0", orange: "#ef6c00", red: "#c62828" };
  var names = JSON.parse(holder.getAttribute("data-names"));
  var chart = echarts.init(holder);
  chart.setOption({
    animation: false,
    grid: { left: 70, right: 20, top: 16, bottom: 40 },
    tooltip: {
      trigger: "axis",
      formatter: function (params) {
        var p = points[params[0].dataIndex];
        return esc(p.at) + "<br>" + esc(p.label);
      },
    },
    xAxis: { type: "category", data: points.map(function (p) { return p.at.slice(5); }) },
    yAxis: {
      type: "value", min: 0, max: 4, interval: 1,
      axisLabel: { formatter: function (v) { return names[v] || ""; } },
    },
    series: [{
      type: "line", step: "end",
      data: points.map(function (p) {
        return { value: p.rank, itemStyle: { color: colours[p.level] } };
      }),
      lineStyle: { color: "#555" }, symbolSize: 10,
    }],
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
