"""A migrated store on SQLite and on PostgreSQL, with sessions and nothing else (no model, no
Chroma): the store functions are tested where they run."""

from __future__ import annotations

import pytest

from store.db import make_engine, migrate, session_factory


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sessions(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()
