// Parley's only script besides the vendored htmx and Bootstrap (whose data attributes open
// menus, collapses and confirmation dialogs): CSRF header for htmx requests, and live
// updates from server-sent events (each event makes fragments marked hx-trigger="parley:change"
// refresh themselves). No inline scripts anywhere, so the CSP can forbid them.
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.body.dataset.csrf;
    if (token) { event.detail.headers["X-CSRF-Token"] = token; }
  });
  var live = document.body && document.body.dataset.live;
  if (live && window.EventSource) {
    var source = new EventSource(live);
    source.addEventListener("change", function () {
      document.body.dispatchEvent(new CustomEvent("parley:change"));
    });
  }
  // Charts: a page that has any includes /static-lib/plotly.min.js (deferred scripts all run
  // before DOMContentLoaded), and each chart is a div carrying its figure as JSON.
  function drawCharts(root) {
    if (!window.Plotly) { return; }
    root.querySelectorAll("[data-plotly]").forEach(function (el) {
      var figure = JSON.parse(el.dataset.plotly);
      window.Plotly.react(el, figure.data, figure.layout || {}, {displaylogo: false, responsive: true});
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    // A form came back with errors: take the keyboard and the screen reader to their summary.
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  });
  document.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.detail.target); });
})();
