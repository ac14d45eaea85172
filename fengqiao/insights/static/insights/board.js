/* KPI board and dispute charts (vendored ECharts). Data comes from json_script blocks; every
   label is escaped before it reaches a tooltip (ECharts renders tooltips as HTML). */
(function () {
  "use strict";
  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"'`]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" }[c];
    });
  }
  function pct(v) { return v == null ? "—" : (v * 100).toFixed(1) + "%"; }
  function data(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  function axisTooltip(params) {
    var list = Array.isArray(params) ? params : [params];
    var lines = [esc(list[0].axisValueLabel || list[0].name)];
    list.forEach(function (p) {
      var v = p.seriesType === "line" && p.seriesIndex === 2 ? pct(p.value) : p.value;
      // ECharts' own marker carries an inline style (refused by the CSP): a class instead.
      lines.push('<span class="chart-marker s' + (p.seriesIndex | 0) % 5 + '"></span>' + esc(p.seriesName) + ": " + esc(v));
    });
    return lines.join("<br>");
  }
  function chart(id) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return null;
    var c = echarts.init(el, null, { renderer: "canvas" });
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }
  var board = data("board-data");
  if (board) {
    var groups = chart("chart-groups");
    if (groups) groups.setOption({
      tooltip: { trigger: "axis", formatter: axisTooltip },
      legend: { data: [board.names.accepted, board.names.closed, board.names.on_time_rate] },
      grid: { left: 40, right: 50, bottom: 70 },
      xAxis: { type: "category", data: board.labels, axisLabel: { rotate: 30, interval: 0 } },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 1, axisLabel: { formatter: pct } }],
      series: [
        { name: board.names.accepted, type: "bar", data: board.accepted },
        { name: board.names.closed, type: "bar", data: board.closed },
        { name: board.names.on_time_rate, type: "line", yAxisIndex: 1, data: board.on_time_rate }
      ]
    });
    var trend = chart("chart-trend");
    if (trend) trend.setOption({
      tooltip: { trigger: "axis", formatter: axisTooltip },
      legend: { data: [board.names.accepted, board.names.closed] },
      grid: { left: 40, right: 20, bottom: 40 },
      xAxis: { type: "category", data: board.trend.map(function (d) { return d.day.slice(5); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: board.names.accepted, type: "line", smooth: true, data: board.trend.map(function (d) { return d.accepted; }) },
        { name: board.names.closed, type: "line", smooth: true, data: board.trend.map(function (d) { return d.closed; }) }
      ]
    });
  }
  if (board && board.risks) {
    var RISK = { red: "#d32f2f", orange: "#f57c00", blue: "#1976d2", green: "#388e3c" };
    var risks = chart("chart-risks");
    if (risks) risks.setOption({
      tooltip: { trigger: "item", formatter: function (p) { return esc(p.name) + ": " + esc(p.value); } },
      series: [{ name: board.names.risks, type: "pie", radius: ["35%", "65%"], data: board.risks.map(function (r) {
        return { name: board.names.colours[r.level], value: r.n, itemStyle: { color: RISK[r.level] } };
      }) }]
    });
  }
  var disputes = data("dispute-data");
  if (disputes) {
    var types = chart("chart-types");
    if (types) types.setOption({
      tooltip: { trigger: "item", formatter: function (p) { return esc(p.name) + ": " + esc(p.value) + " (" + esc(p.percent) + "%)"; } },
      series: [{ name: disputes.names.types, type: "pie", radius: ["35%", "65%"], data: disputes.types }]
    });
    var levels = chart("chart-levels");
    if (levels) levels.setOption({
      tooltip: { trigger: "axis", formatter: axisTooltip },
      legend: { data: [disputes.names.current, disputes.names.resolved, disputes.names.success] },
      grid: { left: 40, right: 50, bottom: 70 },
      xAxis: { type: "category", data: disputes.levels, axisLabel: { rotate: 20, interval: 0 } },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 1, axisLabel: { formatter: pct } }],
      series: [
        { name: disputes.names.current, type: "bar", data: disputes.current },
        { name: disputes.names.resolved, type: "bar", data: disputes.resolved },
        { name: disputes.names.success, type: "line", yAxisIndex: 1, data: disputes.success }
      ]
    });
  }
  var villages = data("villages-data");
  if (villages) {
    var share = chart("chart-villages");
    if (share) share.setOption({
      tooltip: { trigger: "axis", formatter: function (params) {
        var p = Array.isArray(params) ? params[0] : params;
        return esc(p.axisValueLabel || p.name) + ": " + esc(pct(p.value));
      } },
      grid: { left: 50, right: 20, bottom: 70 },
      xAxis: { type: "category", data: villages.labels, axisLabel: { rotate: 20, interval: 0 } },
      yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: pct } },
      series: [{ name: villages.names.share, type: "bar", data: villages.share }]
    });
  }
})();
