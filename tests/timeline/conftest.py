"""The Miami fixtures of the sessions tests, shared."""

from sessions.conftest import miami, miami_sqlite, miami_templates, miami_web  # noqa: F401
