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

BACKENDS = ["sqlite", "postgresql"]


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
    url, template = canary_templates.copy(request.param, tmp_path)
    app = None
    try:
        app = create_app(make_settings(url))
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
    url, template = canary_templates.copy(request.param, tmp_path_factory.mktemp("shared"))
    app = None
    try:
        app = create_app(make_settings(url))
        yield url, app, template
    finally:
        canary_templates.drop(url, app.state.engine if app else None)


@pytest.fixture
def shared_canary(_shared_database: tuple[str, FastAPI, Template]) -> Iterator[Canary]:
    """One canary database per worker and backend, for tests that only read; fresh clients."""
    url, app, template = _shared_database
    with ExitStack() as stack:
        yield Canary(url, app, template, stack)
