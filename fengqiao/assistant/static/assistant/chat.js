// The resident chat widget (no inline handlers: a strict CSP is coming).
// * the question box is emptied after it was sent;
// * answers of 400 (a hand-off without a grid, an empty question) and 429 (too many) carry a
//   message for the resident: htmx leaves 4xx answers unswapped by default, so they are let in
//   for the widget's own forms.
(function () {
  "use strict";
  function inWidget(el) {
    return el && el.closest && el.closest(".assistant-widget");
  }
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var status = evt.detail.xhr && evt.detail.xhr.status;
    if ((status === 400 || status === 429) && inWidget(evt.detail.elt)) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (form && form.id === "assistant-ask" && evt.detail.successful) {
      form.reset();
    }
  });
})();
