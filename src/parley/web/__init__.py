"""The web layer: layout, static assets (vendored), CSRF, error pages, htmx helpers."""
