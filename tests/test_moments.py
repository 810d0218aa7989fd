"""MomentService: exchanges and hand-logged moments are stored and indexed like connector data;
feedback lands on the exchange; bad input is refused with a message that says what to do."""

from __future__ import annotations

import pytest
from fixtures.brief_records import load

from c360.domain import Asker
from c360.ports import Batching
from c360.services.moments import MomentError
from store.models import ChunkRow
from store.queries import get_moment

SLACK_SAM = Asker(
    id="U-SAM", name="Sam", channel="slack", channel_id="C123", permalink="https://x.slack.com/p1"
)


@pytest.fixture(scope="module")
def store(tmp_path_factory, embeddings):
    """One store for the module: each test writes its own moments and asks about its own."""
    from fixtures.brief_records import NOW

    from c360.clock import FixedClock
    from c360.container import Container
    from c360.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("moments"), _env_file=None)
    container = Container(settings, embeddings=embeddings, clock=FixedClock(NOW))
    load(container)
    return container


def chunks_of(container, moment_id):
    with container.sessions() as session:
        return session.query(ChunkRow).filter(ChunkRow.record_id == f"moment:{moment_id}").all()


def test_an_exchange_is_stored_and_embedded_as_history_outside_the_global_index(store):
    before = store.index.count()
    moment_id = store.moments.log_exchange(
        "C-GLOBEX", SLACK_SAM, "Is Globex renewing?", "Renewal call logged.", ["moment:m-glx-1"]
    )
    with store.sessions() as session:
        moment = get_moment(session, moment_id)
    assert (moment.origin, moment.channel, moment.direction, moment.author) == (
        "exchange",
        "slack",
        "internal",
        "Sam",
    )
    assert moment.text == "Q: Is Globex renewing?\nA: Renewal call logged."
    assert (
        moment.meta["channel_id"] == "C123" and moment.meta["permalink"] == "https://x.slack.com/p1"
    )
    assert moment.meta["cited_record_ids"] == ["moment:m-glx-1"]
    chunks = chunks_of(store, moment_id)
    assert chunks and all(c.origin == "exchange" and c.embedding and c.indexed for c in chunks)
    assert store.index.count() == before  # history is never evidence for resolution


def test_a_logged_moment_is_evidence_and_can_ask_for_an_owner(store):
    moment = store.moments.log_moment(
        "C-GLOBEX", "Globex CTO called about an outage in Frankfurt", SLACK_SAM, needs_owner=True
    )
    assert moment.origin == "logged" and moment.meta["needs_owner"] is True
    brief = store.briefs.ask(
        "What happened with the Frankfurt outage at Globex?", SLACK_SAM, log=False
    )
    assert brief.section("Answer").items[0].citations == [moment.record_id]
    assert brief.section("Recent moments").items[0].citations == [moment.record_id]


def test_feedback_is_kept_on_the_exchange_one_vote_per_user(store):
    moment_id = store.moments.log_exchange("C-GLOBEX", SLACK_SAM, "q?", "a.", [])
    store.moments.set_feedback(moment_id, "helpful", "U-1")
    store.moments.set_feedback(moment_id, "wrong_customer", "U-2")
    store.moments.set_feedback(moment_id, "not_helpful", "U-1")
    with store.sessions() as session:
        feedback = get_moment(session, moment_id).meta["feedback"]
    assert {u: f["value"] for u, f in feedback.items()} == {
        "U-1": "not_helpful",
        "U-2": "wrong_customer",
    }


def test_a_not_helpful_reason_survives_the_button_vote_whichever_lands_last(store):
    """The button records the vote and its form records the reason, from two pool jobs."""
    from concurrent.futures import ThreadPoolExecutor

    def press(moment_id, what):
        reason = "cited last year's renewal" if what == "form" else None
        store.moments.set_feedback(moment_id, "not_helpful", "U-1", reason=reason)

    for order in (("button", "form"), ("form", "button")):
        moment_id = store.moments.log_exchange("C-GLOBEX", SLACK_SAM, "q?", "a.", [])
        for what in order:
            press(moment_id, what)
        with ThreadPoolExecutor(max_workers=2) as pool:  # and both at once
            list(pool.map(press, [moment_id] * 2, order))
        with store.sessions() as session:
            vote = get_moment(session, moment_id).meta["feedback"]["U-1"]
        assert vote["value"] == "not_helpful"
        assert vote["reason"] == "cited last year's renewal"
    store.moments.set_feedback(moment_id, "helpful", "U-1")  # a new vote drops the old reason
    with store.sessions() as session:
        assert "reason" not in get_moment(session, moment_id).meta["feedback"]["U-1"]


def test_recent_exchanges_filter_by_asker_and_customer(store):
    kim = Asker(id="U-KIM", name="Kim", channel="slack")
    ana = Asker(id="U-ANA", name="Ana", channel="cli")
    first = store.moments.log_exchange("C-GLOBEX", kim, "one", "a", [])
    store.clock.advance(minutes=1)
    store.moments.log_exchange("C-EQX", ana, "two", "a", [])
    store.clock.advance(minutes=1)
    third = store.moments.log_exchange("C-EQX", kim, "three", "a", [])
    assert [m.moment_id for m in store.moments.recent_exchanges(asker_id="U-KIM")] == [third, first]
    by_customer = store.moments.recent_exchanges(customer_id="C-EQX")
    assert [m.meta["question"] for m in by_customer] == ["three", "two"]
    assert store.moments.recent_exchanges(asker_id="U-KIM", limit=1)[0].moment_id == third


def test_bad_input_is_refused_with_what_to_do(store):
    with pytest.raises(MomentError, match="must be one of helpful, not_helpful, wrong_customer"):
        store.moments.set_feedback("nope", "great", "U-1")
    with pytest.raises(MomentError, match="no moment 'nope'"):
        store.moments.set_feedback("nope", "helpful", "U-1")
    with pytest.raises(MomentError, match="unknown customer 'C-NOPE'"):
        store.moments.log_moment("C-NOPE", "text", SLACK_SAM)
    with pytest.raises(MomentError, match="needs some text"):
        store.moments.log_moment("C-GLOBEX", "  ", SLACK_SAM)


# --- exchanges written behind (what the Slack bot does) ---------------------------------------
@pytest.fixture
def fresh(container):
    """A store of its own: these tests switch the moment service to write-behind."""
    load(container)
    yield container
    container.moments.close()


def stored(container, moment_ids):
    with container.sessions() as session:
        return {mid: get_moment(session, mid) for mid in moment_ids}


def test_written_behind_exchanges_return_their_id_at_once_and_are_stored_in_batches(fresh):
    from concurrent.futures import ThreadPoolExecutor

    exchange_log = fresh.moments.write_behind(Batching(linger=0.3))
    before = fresh.index.count()

    def ask(n):
        return fresh.moments.log_exchange("C-GLOBEX", SLACK_SAM, f"question {n}?", "a.", [])

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(ask, range(40)))
    assert len(set(ids)) == 40
    assert exchange_log.flush(timeout=60)
    moments = stored(fresh, ids)
    assert all(m is not None and m.origin == "exchange" for m in moments.values())
    chunks = [c for mid in ids for c in chunks_of(fresh, mid)]
    assert len({c.record_id for c in chunks}) == 40  # every exchange stored and embedded
    assert all(c.embedding and c.indexed for c in chunks)
    assert fresh.index.count() == before  # history stays out of the global index
    stats = exchange_log.stats()
    assert stats["written"] == 40 and stats["failed"] == 0 and stats["queued"] == 0
    assert stats["batches"] < 10  # one add_records per batch, not one per exchange


def test_closing_the_log_writes_every_queued_exchange_then_logging_is_synchronous(fresh):
    exchange_log = fresh.moments.write_behind(
        Batching(linger=60)
    )  # nothing is written before close
    queued = [fresh.moments.log_exchange("C-EQX", SLACK_SAM, f"q{n}?", "a.", []) for n in range(5)]
    assert exchange_log.stats()["unwritten"] == 5
    assert fresh.moments.close(timeout=60)
    assert all(m is not None for m in stored(fresh, queued).values())
    later = fresh.moments.log_exchange("C-EQX", SLACK_SAM, "after close?", "a.", [])
    assert stored(fresh, [later])[later] is not None  # written before log_exchange returned


def test_feedback_and_reads_wait_for_an_exchange_not_yet_written(fresh):
    fresh.moments.write_behind(Batching(linger=0.5))
    moment_id = fresh.moments.log_exchange("C-ACME", SLACK_SAM, "Acme renewal?", "a.", [])
    fresh.moments.set_feedback(moment_id, "helpful", "U-1")
    assert stored(fresh, [moment_id])[moment_id].meta["feedback"]["U-1"]["value"] == "helpful"
    fresh.clock.advance(minutes=1)
    another = fresh.moments.log_exchange("C-ACME", SLACK_SAM, "and support?", "a.", [])
    assert fresh.moments.recent_exchanges(asker_id="U-SAM")[0].moment_id == another


def test_a_failed_batch_is_retried_until_it_is_written(fresh):
    from c360.services.moments import ExchangeLog

    failures = []

    def database_down_once(moments):
        if not failures:
            failures.append(len(moments))
            raise ConnectionError("database is restarting")
        fresh.moments._store_exchanges(moments)

    fresh.moments.exchange_log = ExchangeLog(
        database_down_once, Batching(linger=0.1, retry_seconds=0.1)
    )
    ids = [fresh.moments.log_exchange("C-RIM", SLACK_SAM, f"q{n}?", "a.", []) for n in range(3)]
    assert fresh.moments.exchange_log.flush(timeout=60)
    assert failures and all(m is not None for m in stored(fresh, ids).values())
    stats = fresh.moments.exchange_log.stats()
    assert (stats["written"], stats["failed"], stats["retries"]) == (3, 0, 1)
