"""`migrate()` brings any database to the newest schema; one already there is recognised with
one query, without loading Alembic (every `c360 ask` opens the store)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from store.db import alembic_config, head_revisions, make_engine, migrate


def alembic_heads() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def version(engine) -> set[str]:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}


def test_the_heads_read_from_the_files_are_alembics():
    assert head_revisions() == alembic_heads()
    assert len(head_revisions()) == 1


@pytest.mark.parametrize(
    "url_kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_new_old_and_current_databases_all_end_at_head(url_kind, tmp_path, request):
    from alembic import command

    url = (
        f"sqlite:///{tmp_path / 'm.db'}"
        if url_kind == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    engine = make_engine(url)
    migrate(engine)  # new: no alembic_version table yet
    assert version(engine) == alembic_heads()

    cfg = alembic_config()
    with engine.begin() as conn:  # one revision back, as a store made by the previous release
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "-1")
    assert version(engine) != alembic_heads()
    migrate(engine)
    assert version(engine) == alembic_heads()

    migrate(engine)  # current: nothing to do
    assert version(engine) == alembic_heads()
    engine.dispose()
