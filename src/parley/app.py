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
    """While the server runs: the engines' warm-up, and the checkpoint schedule when one is set."""
    settings: Settings = app.state.settings
    if settings.warm_engines:
        from parley.warmup import start

        start()  # in the background: the worker serves meanwhile
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


def include_routers(app: FastAPI) -> None:
    """Every package's pages and JSON routes, named one by one (an import error is an error).

    The generic record routes (``/p/{key}/{slug}``) come last: they would otherwise answer (404)
    for the more specific paths of the packages."""
    from parley.audit import views as audit_views
    from parley.auth import views as views_auth
    from parley.auth import views_admin, views_security_keys, views_tokens
    from parley.commitments import views as commitments_views
    from parley.intake import views as intake_views
    from parley.notes import views as notes_views
    from parley.operations import views as operations_views
    from parley.positions import views as positions_views
    from parley.positions import views_record as positions_record_views
    from parley.processes import views as processes_views
    from parley.processes import views_delegation
    from parley.records import views as records_views
    from parley.sequencing import views as sequencing_views
    from parley.sessions import views as sessions_views
    from parley.sessions import views_new as sessions_new_views
    from parley.texts import views as texts_views
    from parley.texts import views_amendments as amendments_views
    from parley.texts import views_languages as languages_views
    from parley.timeline import views as timeline_views

    for module in (
        views_auth,
        views_security_keys,
        views_tokens,
        views_admin,
        texts_views,
        amendments_views,
        languages_views,
        positions_views,
        positions_record_views,
        sessions_views,
        sessions_new_views,
        sequencing_views,
        commitments_views,
        intake_views,
        notes_views,
        timeline_views,
        operations_views,
        audit_views,
        processes_views,
        views_delegation,
        records_views,
    ):
        app.include_router(module.router)


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
    include_routers(app)
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
