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

/* Small behaviours shared by every page, declared with data attributes so that no template needs an
   inline script or event handler (the Content-Security-Policy allows scripts from 'self' only):
   <select data-autosubmit>            submits its form on change
   <input type="checkbox" data-check-all="NAME">  ticks every checkbox named NAME
   <form data-reset-after-request>     htmx form cleared after a successful request
   <form data-disable-on-submit="ID">  the button #ID is disabled once the form is sent */
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.submit();
    if (el.matches && el.matches("input[data-check-all]")) {
      document.querySelectorAll('input[type=checkbox][name="' + el.dataset.checkAll.replace(/["\\]/g, "") + '"]')
        .forEach(function (box) { box.checked = el.checked; });
    }
  });
  document.addEventListener("submit", function (e) {
    var form = e.target, id = form.dataset && form.dataset.disableOnSubmit;
    if (id && document.getElementById(id)) document.getElementById(id).disabled = true;
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail && e.detail.elt;
    if (form && form.matches && form.matches("form[data-reset-after-request]") && e.detail.successful) form.reset();
  });
})();
