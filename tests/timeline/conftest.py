"""The Miami fixtures of the sessions tests, shared (the templates are in tests/conftest.py)."""

from sessions.conftest import miami, miami_sqlite, miami_web  # noqa: F401
