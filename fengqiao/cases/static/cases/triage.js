/* 待定位: pick the point of a report on the map. "在地图上选点" makes the map fill that row's
   lat/lng inputs (map.js reads data-pick on every click); the dispatcher then presses 定位. */
(function () {
  function ready() {
    var map = document.getElementById("triage-map");
    if (!map) return;
    var note = document.getElementById("triage-picking");
    document.querySelectorAll("button[data-pick-row]").forEach(function (button) {
      button.addEventListener("click", function () {
        var id = button.dataset.pickRow;
        map.dataset.pick = "lat-" + id + ",lng-" + id;
        document.querySelectorAll("#triage tr.picking").forEach(function (tr) { tr.classList.remove("picking"); });
        var row = document.getElementById("pending-" + id);
        if (row) row.classList.add("picking");
        if (note) { note.textContent = button.dataset.label || ""; note.hidden = false; }
        map.scrollIntoView({ behavior: "smooth", block: "center" });
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready); else ready();
})();
