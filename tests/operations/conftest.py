"""The canary scenario's fixtures (tests/web), for the checkpoint routes' tests."""

from web.conftest import canary, canary_templates  # noqa: F401
