/* The shared staff list: select all, a live count of the ticked rows, and keyboard moves.
   j / k or arrow down / up: next / previous row; x or space: tick the current row; a: tick all;
   Enter: open the row's link; Ctrl+Enter: run the batch form; "/": first filter. */
(function () {
  var lang = document.documentElement.lang === "en" ? "en" : "zh";
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("table.table tbody tr[id]")); }
  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("input.row-select")); }
  function updateCount() {
    var out = document.getElementById("selected-count");
    if (!out) return;
    var n = boxes().filter(function (b) { return b.checked; }).length;
    out.textContent = n ? (lang === "en" ? n + " selected" : "已选 " + n + " 件") : "";
    boxes().forEach(function (b) { var tr = b.closest("tr"); if (tr) tr.classList.toggle("selected", b.checked); });
  }
  function current() { return document.querySelector("tr.current"); }
  function focusRow(tr) {
    rows().forEach(function (r) { r.classList.remove("current"); r.removeAttribute("aria-selected"); });
    if (!tr) return;
    tr.classList.add("current");
    tr.setAttribute("aria-selected", "true");
    tr.scrollIntoView({ block: "nearest" });
  }
  function move(step) {
    var list = rows(); if (!list.length) return;
    var i = list.indexOf(current());
    focusRow(list[Math.max(0, Math.min(list.length - 1, i < 0 ? 0 : i + step))]);
  }
  document.addEventListener("change", function (e) {
    var all = e.target.closest ? e.target.closest("input.select-all") : null;
    if (all) boxes().forEach(function (b) { b.checked = all.checked; });
    updateCount();
  });
  document.addEventListener("keydown", function (e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      var form = document.getElementById("bulk-form");
      if (form) { e.preventDefault(); form.requestSubmit(); }
      return;
    }
    if (tag === "input" && e.target.type !== "checkbox" || tag === "select" || tag === "textarea" || e.altKey || e.ctrlKey || e.metaKey) return;
    var tr = current();
    if (e.key === "j" || e.key === "ArrowDown" && tr) { e.preventDefault(); move(1); }
    else if (e.key === "k" || e.key === "ArrowUp" && tr) { e.preventDefault(); move(-1); }
    else if ((e.key === "x" || e.key === " " && tag !== "input") && tr) {
      var box = tr.querySelector("input.row-select");
      if (box) { e.preventDefault(); box.checked = !box.checked; updateCount(); }
    } else if (e.key === "a") {
      var list = boxes(), on = !list.every(function (b) { return b.checked; });
      list.forEach(function (b) { b.checked = on; });
      var all = document.querySelector("input.select-all"); if (all) all.checked = on;
      updateCount();
    } else if (e.key === "Enter" && tr && tag !== "input") {
      var link = tr.querySelector("a.case-link, a"); if (link) link.click();
    } else if (e.key === "/") {
      var chip = document.querySelector("#facets a.chip"); if (chip) { e.preventDefault(); chip.focus(); }
    }
  });
  document.addEventListener("DOMContentLoaded", updateCount);
})();
