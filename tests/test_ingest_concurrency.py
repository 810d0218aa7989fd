"""Two ingests at once over overlapping ids (issue 12, point 8): both finish, every row of both
is stored, the overlapping ids hold one version consistently in records, chunks and Chroma, and
both runs are recorded completed. On SQLite and on PostgreSQL.

The race is made certain, not hoped for: each run's embedding call waits for the other's, so
both have classified the shared ids as new before either writes (the old code then failed the
second with ``UNIQUE constraint failed`` and lost its other rows)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from c360.container import Container
from c360.domain import Customer, Moment
from store.models import ChunkRow, IngestRunRow, MomentRow

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
FAULTS = ("missing_vectors", "orphan_vectors", "stale_vectors", "unfinished_runs")


class _Rendezvous:
    """The real model; once armed, the first ``encode`` of each of two threads waits for the
    other's before embedding."""

    def __init__(self, model) -> None:
        self._model = model
        self.barrier: threading.Barrier | None = None
        self._waited: set[int] = set()

    def __getattr__(self, name):
        return getattr(self._model, name)

    def encode(self, texts):
        me = threading.get_ident()
        if self.barrier is not None and me not in self._waited:
            self._waited.add(me)
            self.barrier.wait(timeout=60)
        return self._model.encode(texts)


def _batch(prefix: str, ids: range) -> list[Moment]:
    customers = ("acme", "globex")
    return [
        Moment(f"m{i}", customers[i % 2], T0, f"{prefix} wrote note {i} about the renewal.")
        for i in ids
    ]


def _two_at_once(container: Container, model: _Rendezvous):
    service = container.ingest
    service.add_records([Customer("acme", "ACME Corp."), Customer("globex", "Globex")], "unit")
    model.barrier = threading.Barrier(2)
    first, second = _batch("Ann", range(0, 60)), _batch("Bob", range(50, 110))  # 10 shared
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(service.add_records, rows, "unit") for rows in (first, second)]
        summaries = [f.result(timeout=300) for f in futures]
    assert [s.total("inserted") for s in summaries] == [60, 60]  # both saw the shared ids new
    assert all(s.completed and not s.errors for s in summaries)

    with container.sessions() as session:
        stored = dict(session.execute(select(MomentRow.moment_id, MomentRow.text)).all())
        chunks = dict(session.execute(select(ChunkRow.record_id, ChunkRow.text)).all())
        runs = session.scalars(select(IngestRunRow.status)).all()
    assert set(stored) == {f"m{i}" for i in range(110)}  # nobody's rows were lost
    for i in range(50, 60):  # shared: one writer's version, the same in record and chunk
        assert stored[f"m{i}"] in (first[i].text, second[i - 50].text)
        assert chunks[f"moment:m{i}"] == stored[f"m{i}"]
    assert runs == ["completed"] * 3
    got = container.index.collection.get(ids=[f"moment:m{i}#0" for i in range(110)])
    assert dict(zip(got["ids"], got["documents"], strict=True)) == {
        f"moment:m{i}#0": stored[f"m{i}"] for i in range(110)
    }
    report = container.doctor.check()
    assert {k: report.counts()[k] for k in FAULTS} == dict.fromkeys(FAULTS, 0)


def test_two_concurrent_sqlite_ingests_with_overlapping_ids_both_finish(
    settings, embeddings, clock
):
    model = _Rendezvous(embeddings)
    _two_at_once(Container(settings, embeddings=model, clock=clock), model)


@pytest.mark.postgres
def test_two_concurrent_postgres_ingests_with_overlapping_ids_both_finish(
    tmp_path, pg_url, embeddings, clock
):
    from c360.settings import Settings

    settings = Settings(data_dir=tmp_path / "c360", database_url=pg_url, _env_file=None)
    model = _Rendezvous(embeddings)
    _two_at_once(Container(settings, embeddings=model, clock=clock), model)


def test_database_errors_never_carry_record_text(tmp_path):
    """An error from the store (and so its traceback and the failure a run records) shows the
    SQL, not the values bound to it: those are customer records."""
    from store.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'e.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT)"))
        conn.execute(sa.text("INSERT INTO t VALUES ('1', 'first')"))
    with pytest.raises(sa.exc.IntegrityError) as caught, engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO t VALUES (:id, :body)"),
            {"id": "1", "body": "SSN 078-05-1120 of Jane Roe"},
        )
    assert "UNIQUE constraint failed" in str(caught.value)
    assert "078-05-1120" not in str(caught.value) and "Jane Roe" not in str(caught.value)
