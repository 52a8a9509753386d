"""Fixtures for the durability harness: a work directory, the power-cut shim, the long flag.

The short versions run in the suite; ``PARLEY_LONG_RELIABILITY=1`` (or ``--long`` when this
directory is named on the command line) runs the long ones (``make reliability``).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path

import pytest

from reliability.harness import build_shim, postgres_problem


def pytest_addoption(parser: pytest.Parser) -> None:
    # tests/security/conftest.py adds the same option; whichever loads second is a no-op.
    with contextlib.suppress(ValueError):
        parser.addoption(
            "--long",
            action="store_true",
            help="run the long reliability and security versions (or PARLEY_LONG_RELIABILITY=1)",
        )


def is_long(config: pytest.Config) -> bool:
    return os.environ.get("PARLEY_LONG_RELIABILITY") == "1" or bool(
        config.getoption("--long", default=False)
    )


@pytest.fixture(scope="session")
def long_run(request: pytest.FixtureRequest) -> bool:
    return is_long(request.config)


def require_backend(backend: str) -> None:
    if backend != "postgresql":
        return
    problem = postgres_problem()
    if problem is None:
        return
    message = f"PostgreSQL not available: {problem}"
    if os.environ.get("PARLEY_REQUIRE_POSTGRES") == "1":
        pytest.fail(message + " (PARLEY_REQUIRE_POSTGRES=1)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def shim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """powerloss.so, compiled once a session; the tests that need it skip loudly without cc."""
    built = build_shim(tmp_path_factory.mktemp("shim"))
    if built is None:
        message = "!!! POWER-CUT SIMULATION SKIPPED: no C compiler (cc) to build powerloss.c"
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    return built
