"""Fixtures for the web security tests: the canary scenario and its personas, on both backends.

See support.py. Each worker loads tests/web/canary.yaml once per backend into a template.
``canary`` gives a test its own fresh copy (for tests that change something); ``shared_canary``
is one copy per worker and backend for tests that only read (the crawl, headers), which saves
a ``CREATE DATABASE`` per test on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi import FastAPI

from parley.app import create_app
from web.support import Canary, CanaryTemplates, Template, make_settings

# "postgresql-rls": PostgreSQL with the app connected as a role that owns nothing, so every web
# test also runs behind row-level security (parley.db.rls), the second wall behind authz.
BACKENDS = ["sqlite", "postgresql", "postgresql-rls"]


def _open(param: str, templates: CanaryTemplates, directory: Path) -> tuple[str, Template, bool]:
    backend, _, wall = param.partition("-")
    url, template = templates.copy(backend, directory)
    return url, template, wall == "rls"


@pytest.fixture(scope="session")
def canary_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CanaryTemplates]:
    templates = CanaryTemplates(tmp_path_factory.mktemp("canary"))
    yield templates
    templates.cleanup()


@pytest.fixture(params=BACKENDS)
def canary(
    request: pytest.FixtureRequest, canary_templates: CanaryTemplates, tmp_path: Path
) -> Iterator[Canary]:
    """The canary scenario in a fresh database of its own, with personas ready."""
    url, template, rls = _open(request.param, canary_templates, tmp_path)
    app = None
    try:
        app = create_app(make_settings(url, rls=rls))
        with ExitStack() as stack:
            yield Canary(url, app, template, stack)
    finally:
        canary_templates.drop(url, app.state.engine if app else None)


@pytest.fixture(scope="session", params=BACKENDS)
def _shared_database(
    request: pytest.FixtureRequest,
    canary_templates: CanaryTemplates,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, FastAPI, Template]]:
    url, template, rls = _open(request.param, canary_templates, tmp_path_factory.mktemp("shared"))
    app = None
    try:
        app = create_app(make_settings(url, rls=rls))
        yield url, app, template
    finally:
        canary_templates.drop(url, app.state.engine if app else None)


@pytest.fixture
def shared_canary(_shared_database: tuple[str, FastAPI, Template]) -> Iterator[Canary]:
    """One canary database per worker and backend, for tests that only read; fresh clients."""
    url, app, template = _shared_database
    with ExitStack() as stack:
        yield Canary(url, app, template, stack)
