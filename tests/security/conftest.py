"""Fixtures for the attack tests: the long flag.

The short versions run in the suite; ``PARLEY_LONG_RELIABILITY=1`` (or ``--long`` when this
directory is named on the command line) runs the long ones (``make reliability``).
"""

from __future__ import annotations

import contextlib
import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    # tests/reliability/conftest.py adds the same option; whichever loads second is a no-op.
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
