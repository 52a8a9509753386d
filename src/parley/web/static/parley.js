// Parley's only script besides the vendored htmx: CSRF header for htmx requests, and live
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
  document.querySelectorAll("[data-plotly]").forEach(function (el) {
    if (window.Plotly) {
      var figure = JSON.parse(el.dataset.plotly);
      window.Plotly.newPlot(el, figure.data, figure.layout || {}, {displaylogo: false, responsive: true});
    }
  });
})();
