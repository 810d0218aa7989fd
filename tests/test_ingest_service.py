"""IngestService.add_records: upsert by source id with content hashes, chunking, embedding
reuse, the vector index kept in step with the store, and listeners."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from c360.domain import Complaint, Customer, Moment
from store.models import ChunkRow, ComplaintRow, IngestRunRow, MomentRow

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _records():
    return [
        Customer(
            "acme",
            "ACME Corp.",
            aliases=["Acme"],
            segment="Enterprise",
            attributes={"tier": "gold"},
        ),
        Customer("globex", "Globex Inc."),
        Moment("m1", "acme", T0, "Call about the late invoice for March.", channel="call"),
        Complaint(
            "c1", "acme", T0, "The dashboard is down every Monday morning.", category="Outage"
        ),
        Moment("m2", "globex", T0, "Renewal meeting went well.", channel="meeting"),
    ]


def test_second_run_of_same_records_embeds_nothing_and_reports_all_unchanged(container):
    service = container.ingest
    first = service.add_records(_records(), "unit")
    assert first.total("inserted") == 5 and first.rejected == 0
    assert first.embedded == 5
    assert sorted(first.new_record_ids) == sorted(r.record_id for r in _records())

    second = service.add_records(_records(), "unit")
    assert second.embedded == 0
    assert container.embeddings.texts_embedded == 5  # the model itself saw nothing new
    assert second.total("unchanged") == 5
    assert second.total("inserted") == second.total("updated") == 0
    assert container.index.count() == 5


def test_changed_record_updates_exactly_one_record_and_embeds_only_its_text(container):
    service = container.ingest
    service.add_records(_records(), "unit")
    changed = _records()
    changed[2] = replace(changed[2], text="Call about the late invoice for April.")
    summary = service.add_records(changed, "unit")
    assert summary.counts["moment"] == {"inserted": 0, "updated": 1, "unchanged": 1, "rejected": 0}
    assert summary.total("unchanged") == 4
    assert summary.embedded == 1
    with container.sessions() as session:
        row = session.get(MomentRow, "m1")
    assert row.text == "Call about the late invoice for April."
    hits = container.index.query(container.embeddings.encode_query("late invoice April"), k=1)
    assert hits[0].record_id == "moment:m1" and "April" in hits[0].text


def test_long_text_is_chunked_and_every_chunk_knows_record_customer_kind_and_time(container):
    container.settings.chunk_words = 20
    container.settings.chunk_overlap_words = 5
    words = " ".join(f"word{i}" for i in range(100))
    container.ingest.add_records(
        [Customer("acme", "ACME"), Complaint("long", "acme", T0, words)], "unit"
    )
    with container.sessions() as session:
        rows = session.scalars(
            select(ChunkRow)
            .where(ChunkRow.record_id == "complaint:long")
            .order_by(ChunkRow.chunk_id)
        ).all()
    assert [r.chunk_id for r in rows] == [f"complaint:long#{n}" for n in range(7)]
    assert {(r.customer_id, r.kind, r.origin) for r in rows} == {("acme", "complaint", "data")}
    assert all(r.indexed and r.embedding and len(r.embedding) == 384 * 4 for r in rows)
    assert rows[0].text.split()[-5:] == rows[1].text.split()[:5]  # the overlap
    got = container.index.collection.get(ids=["complaint:long#3"], include=["metadatas"])
    assert got["metadatas"][0]["customer_id"] == "acme"
    assert got["metadatas"][0]["occurred_at"].startswith("2026-03-01T09:30")


def test_shrinking_text_deletes_stale_chunks_from_store_and_index(container):
    container.settings.chunk_words = 20
    container.settings.chunk_overlap_words = 5
    long_text = " ".join(f"w{i}" for i in range(100))
    service = container.ingest
    service.add_records([Customer("acme", "ACME"), Moment("m", "acme", T0, long_text)], "unit")
    assert container.index.count() == 1 + 7
    summary = service.add_records([Moment("m", "acme", T0, "Now short.")], "unit")
    assert summary.embedded == 1
    assert container.index.count() == 2
    with container.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ChunkRow)) == 2


def test_same_text_in_another_record_reuses_the_stored_vector(container):
    service = container.ingest
    service.add_records(
        [Customer("acme", "ACME"), Moment("m1", "acme", T0, "Closed with explanation.")], "unit"
    )
    summary = service.add_records([Moment("m2", "acme", T0, "Closed with explanation.")], "unit")
    assert summary.counts["moment"]["inserted"] == 1
    assert summary.embedded == 0
    assert container.index.count() == 3


def test_exchange_moments_keep_their_origin_and_vector_in_the_store_but_stay_out_of_chroma(
    container,
):
    """Exchanges are history, never evidence: the global index (description resolution, the
    baseline) must not hold them; their vectors stay in the store beside their rows."""
    container.ingest.add_records(
        [
            Customer("acme", "ACME"),
            Moment("m1", "acme", T0, "Renewal call went well.", channel="call"),
            Moment("x1", "acme", T0, "Q: status? A: fine.", channel="cli", origin="exchange"),
        ],
        "unit",
    )
    with container.sessions() as session:
        exchange = session.get(ChunkRow, "moment:x1#0")
        assert exchange.origin == "exchange"
        assert exchange.embedding and exchange.indexed
        assert session.get(ChunkRow, "moment:m1#0").indexed
    assert container.index.collection.get(ids=["moment:x1#0"])["ids"] == []
    assert container.index.collection.get(ids=["moment:m1#0"])["ids"] == ["moment:m1#0"]


def test_invalid_records_are_rejected_with_reason_and_never_overwrite_stored_ones(container):
    service = container.ingest
    service.add_records(_records(), "unit")
    bad = [
        Complaint("c1", "acme", T0, "", category="Outage"),  # would blank the stored text
        Moment("m9", "nobody", T0, "Who is this?"),
        Moment("m8", "acme", T0, "Fax sent.", channel="fax"),
    ]
    summary = service.add_records(bad, "in-process")
    reasons = {e.line: e.reason for e in summary.errors}
    assert summary.rejected == 3
    assert (
        "text" in reasons[1]
        and "unknown customer 'nobody'" in reasons[2]
        and "channel 'fax'" in reasons[3]
    )
    assert all(e.source == "in-process" for e in summary.errors)
    with container.sessions() as session:
        assert session.get(ComplaintRow, "c1").text == "The dashboard is down every Monday morning."
        assert session.get(MomentRow, "m8") is None


def test_naive_datetimes_are_taken_as_utc_and_read_back_consistently(container):
    service = container.ingest
    naive = datetime(2026, 3, 1, 9, 30)
    service.add_records([Customer("acme", "ACME"), Moment("m1", "acme", naive, "Hello.")], "unit")
    again = service.add_records([Moment("m1", "acme", T0, "Hello.")], "unit")
    assert again.counts["moment"]["unchanged"] == 1


def test_listeners_get_inserted_and_updated_records_after_commit(container):
    seen = []
    service = container.ingest

    def listener(summary, records):
        with container.sessions() as session:  # committed: visible from another session
            stored = {
                r.record_id
                for r in records
                if r.kind == "moment" and session.get(MomentRow, r.moment_id)
            }
        seen.append(({r.record_id for r in records}, stored))

    service.add_listener(listener)
    service.add_records(_records(), "unit")
    service.add_records(_records(), "unit")  # nothing changed: no records to announce
    assert len(seen) == 1
    assert seen[0][0] == {r.record_id for r in _records()}
    assert seen[0][1] == {"moment:m1", "moment:m2"}


def test_chunks_left_unindexed_by_a_crash_are_indexed_by_the_next_run(container):
    service = container.ingest
    service.add_records(_records(), "unit")
    # What a crash between the store commit and the Chroma upsert leaves behind:
    container.index.delete(["moment:m1#0", "complaint:c1#0"])
    with container.sessions() as session, session.begin():
        session.execute(
            update(ChunkRow)
            .where(ChunkRow.chunk_id.in_(["moment:m1#0", "complaint:c1#0"]))
            .values(indexed=False)
        )
    summary = service.add_records(_records(), "unit")
    assert summary.embedded == 0  # the stored vectors are reused
    assert container.index.count() == 5
    with container.sessions() as session:
        assert session.scalar(select(func.count()).where(ChunkRow.indexed.is_(False))) == 0


def test_every_run_is_recorded_with_its_counts(container):
    container.ingest.add_records(_records(), "unit")
    with container.sessions() as session:
        runs = session.scalars(select(IngestRunRow)).all()
    assert len(runs) == 1
    assert runs[0].sources == ["unit"] and runs[0].finished_at is not None
    assert runs[0].summary["inserted"] == 5


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _in_flight(container, record_ids, pid=None, host=None):
    """What another run looks like between its store commit and its Chroma upsert: its
    chunks stored but unindexed, and its run started but not finished. By default that run's
    process is this one (alive, on this host)."""
    import os

    from c360.services.ingest import this_host
    from store import records as store

    chunk_ids = [f"{rid}#0" for rid in record_ids]
    container.index.delete(chunk_ids)
    with container.sessions() as session, session.begin():
        run_id = store.start_run(
            session,
            ["another run"],
            container.clock.now(),
            pid=os.getpid() if pid is None else pid,
            host=host or this_host(),
        )
        session.execute(
            update(ChunkRow)
            .where(ChunkRow.chunk_id.in_(chunk_ids))
            .values(indexed=False, run_id=run_id)
        )
    return run_id


def _unindexed(container):
    with container.sessions() as session:
        return set(session.scalars(select(ChunkRow.chunk_id).where(ChunkRow.indexed.is_(False))))


def test_a_run_leaves_the_chunks_of_a_run_still_in_flight_to_that_run(container):
    service = container.ingest
    service.add_records(_records(), "unit")
    other_run = _in_flight(container, ["moment:m1", "complaint:c1"])
    summary = service.add_records(
        [Moment("m3", "acme", T0, "A new note while the other run is busy.")], "unit"
    )
    assert summary.total("inserted") == 1
    assert _unindexed(container) == {"moment:m1#0", "complaint:c1#0"}  # not indexed twice
    assert container.index.count() == 4
    # once that run is over (finished, or never coming back), what it left is picked up:
    with container.sessions() as session, session.begin():
        from store.records import finish_run

        finish_run(session, other_run, {}, container.clock.now())
    service.add_records(_records(), "unit")
    assert _unindexed(container) == set() and container.index.count() == 6


def _run_status(container, run_id):
    with container.sessions() as session:
        run = session.get(IngestRunRow, run_id)
        return run.status, run.failure


def test_chunks_of_a_run_whose_process_died_are_indexed_by_the_very_next_run(container):
    """Killed between its commit and its Chroma upsert (its pid is gone): the next run indexes
    what it left at once (it used to wait 10 minutes) and records it abandoned."""
    service = container.ingest
    service.add_records(_records(), "unit")
    dead = _in_flight(container, ["moment:m1"], pid=_dead_pid())
    summary = service.add_records(_records(), "unit")
    assert summary.total("unchanged") == 5
    assert _unindexed(container) == set() and container.index.count() == 5
    assert container.index.get_vectors(["moment:m1#0"]).keys() == {"moment:m1#0"}
    status, failure = _run_status(container, dead)
    assert status == "abandoned" and "died" in failure


def test_a_run_on_another_host_is_dead_once_its_heartbeat_is_older_than_the_timeout(container):
    from c360.services.ingest import HEARTBEAT_TIMEOUT

    service = container.ingest
    service.add_records(_records(), "unit")
    other = _in_flight(container, ["moment:m1"], pid=1, host="another-host")
    service.add_records(_records(), "unit")
    assert _unindexed(container) == {"moment:m1#0"}  # its heartbeat is fresh: left to it
    assert _run_status(container, other)[0] == "running"
    container.clock.advance(seconds=HEARTBEAT_TIMEOUT.total_seconds() + 1)
    service.add_records(_records(), "unit")
    assert _unindexed(container) == set() and container.index.count() == 5
    assert _run_status(container, other)[0] == "abandoned"


def test_concurrent_small_runs_never_reindex_each_others_chunks(container, caplog):
    import logging
    from concurrent.futures import ThreadPoolExecutor

    service = container.ingest
    service.add_records(_records()[:2], "unit")  # the customers
    notes = [Moment(f"n{i}", "acme", T0, f"Note number {i} about the invoice.") for i in range(24)]
    caplog.set_level(logging.WARNING, logger="c360.services.ingest")
    with ThreadPoolExecutor(max_workers=6) as pool:
        summaries = list(pool.map(lambda m: service.add_records([m], "unit"), notes))
    assert all(s.total("inserted") == 1 and not s.errors for s in summaries)
    assert [r.message for r in caplog.records if "left unindexed" in r.message] == []
    assert _unindexed(container) == set() and container.index.count() == 2 + 24
