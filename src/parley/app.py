"""The ASGI application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from parley.config import Settings, get_settings
from parley.db.engine import get_engine


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While the server runs: the checkpoint schedule, when one is set."""
    settings: Settings = app.state.settings
    if settings.checkpoint_interval_seconds <= 0:
        yield
        return
    from parley.operations.schedule import run_schedule

    task = asyncio.create_task(
        # The owner's engine: a background job acts as the system (row-level security).
        run_schedule(
            get_engine(settings.database_url),
            settings.secret_key,
            settings.checkpoint_interval_seconds,
        )
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        lifespan=lifespan,
        title="Parley",
        version="0.1.0",
        openapi_url="/api/v1/openapi.json",
        # The Swagger UI loads scripts from a CDN and runs inline code, which the offline,
        # strict-CSP web UI refuses; the OpenAPI document itself is served.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    # With an app URL, a request that binds no spaces sees no confidential row (parley.db.rls).
    app.state.engine = (
        get_engine(settings.database_app_url, rls_system_default=False)
        if settings.database_app_url
        else get_engine(settings.database_url)
    )

    from parley.web.limits import InputLimits
    from parley.web.openapi import install_openapi
    from parley.web.routes import install
    from parley.web.security import SecurityHeaders

    install(app)
    install_openapi(app)
    # Inside the security headers, so that its refusals (413, 422) carry them too.
    app.add_middleware(
        InputLimits,
        max_body_bytes=settings.max_body_bytes,
        json_max_depth=settings.json_max_depth,
        json_max_items=settings.json_max_items,
    )
    app.add_middleware(SecurityHeaders)
    return app
