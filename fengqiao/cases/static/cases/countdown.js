/* Live countdowns: <span class="countdown" data-due="ISO8601">. */
(function () {
  function fmt(ms) {
    var late = ms < 0, s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
    var txt = (d ? d + "天" : "") + (d || h ? h + "时" : "") + m + "分" + (d ? "" : sec + "秒");
    return (late ? (document.documentElement.lang === "en" ? "overdue " : "已超时 ") : (document.documentElement.lang === "en" ? "" : "剩余 ")) + txt;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var left = new Date(el.dataset.due).getTime() - now;
      el.textContent = fmt(left);
      el.classList.toggle("late", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 3600 * 1000);
    });
  }
  tick(); setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);
})();
