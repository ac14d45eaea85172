/* Live countdowns: <span class="countdown" data-due="ISO8601">. */
(function () {
  function fmt(ms) {
    var late = ms < 0, s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
    var en = document.documentElement.lang === "en";
    var u = en ? { d: "d ", h: "h ", m: "m", s: "s", late: "overdue ", left: "", sep: " " }
               : { d: "天", h: "时", m: "分", s: "秒", late: "已超时 ", left: "剩余 ", sep: "" };
    var txt = (d ? d + u.d : "") + (d || h ? h + u.h : "") + m + u.m + (d ? "" : u.sep + sec + u.s);
    return (late ? u.late : u.left) + txt.replace(/\s+$/, "");
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
