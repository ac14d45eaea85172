/* Every page: the language switch submits on change; the menu's dropdowns close one another,
   on a click elsewhere and on Escape (they are <details>, usable without script). */
(function () {
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("select.lang-switch")) e.target.form.submit();
  });
  function menus() { return Array.prototype.slice.call(document.querySelectorAll("details.menu")); }
  document.addEventListener("toggle", function (e) {
    if (e.target.matches && e.target.matches("details.menu") && e.target.open) {
      menus().forEach(function (d) { if (d !== e.target) d.open = false; });
    }
  }, true);
  document.addEventListener("click", function (e) {
    menus().forEach(function (d) { if (d.open && !d.contains(e.target)) d.open = false; });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    menus().forEach(function (d) {
      if (d.open) { d.open = false; var s = d.querySelector("summary"); if (s) s.focus(); }
    });
  });
})();
