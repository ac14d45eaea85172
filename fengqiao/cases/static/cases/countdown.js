/* Live countdowns: <span class="countdown" data-due="ISO8601">. */
(function () {
  /* The units in the reader's language: <body data-countdown-units='{"d":…}'> (web.context). */
  var cached = null;
  function units() {
    if (cached) return cached;
    try { cached = JSON.parse(document.body.dataset.countdownUnits || ""); }
    catch (e) { cached = { d: "d", h: "h", m: "m", s: "s", late: "overdue", left: "", sep: " " }; }
    return cached;
  }
  function fmt(ms) {
    var late = ms < 0, s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
    var u = units(), sp = u.sep;
    var txt = (d ? d + u.d + sp : "") + (d || h ? h + u.h + sp : "") + m + u.m + (d ? "" : sp + sec + u.s);
    var lead = late ? u.late : u.left;
    return (lead ? lead + " " : "") + txt.replace(/\s+$/, "");
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
