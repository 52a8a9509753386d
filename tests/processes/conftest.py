"""The Miami fixtures of tests/sessions, for the process home's tests."""

from sessions.conftest import miami, miami_sqlite, miami_web, miami_web_sqlite  # noqa: F401
