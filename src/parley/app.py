"""The ASGI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from parley.config import Settings, get_settings
from parley.db.engine import get_engine


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Parley",
        version="0.1.0",
        openapi_url="/api/v1/openapi.json",
        # The Swagger UI loads scripts from a CDN and runs inline code, which the offline,
        # strict-CSP web UI refuses; the OpenAPI document itself is served.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = get_engine(settings.database_url)

    from parley.web.routes import install
    from parley.web.security import SecurityHeaders

    install(app)
    app.add_middleware(SecurityHeaders)
    return app
