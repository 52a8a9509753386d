"""Request sessions come from one factory per engine, made once, and still refuse unscoped
reads of confidential records (the guard is listened for on the factory)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from parley.authz import Actor, visible
from parley.authz.visibility import SCOPED, ScopeBypass
from parley.db.engine import create_db_engine
from parley.notes.models import Note
from parley.web.deps import session_factory


def test_one_factory_per_engine_and_every_session_is_guarded(db_url: str) -> None:
    engine = create_db_engine(db_url)
    try:
        factory = session_factory(engine)
        assert session_factory(engine) is factory
        for _ in range(2):  # the guard holds for every session the factory makes
            with factory() as session:
                with pytest.raises(ScopeBypass):
                    session.scalars(sa.select(Note)).all()
                scoped = sa.select(Note).where(visible(Actor.anonymous(), Note))
                assert session.scalars(scoped.execution_options(**{SCOPED: True})).all() == []
        other = create_db_engine(db_url)
        assert session_factory(other) is not factory
        other.dispose()
    finally:
        engine.dispose()
