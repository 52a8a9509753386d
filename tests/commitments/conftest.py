"""Fixtures of the ledger tests: the Miami scenario on SQLite and PostgreSQL (see miami.py)."""

from commitments import miami as fixtures

miami = fixtures.miami
miami_web = fixtures.miami_web
_shared_miami_db = fixtures._shared_miami_db
shared_miami = fixtures.shared_miami
