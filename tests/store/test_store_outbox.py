"""store/outbox.py: a message is queued once per key, leased by one worker at a time, retried
after its lease runs out, and marked sent only by the worker holding it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from c360.domain import OutboxMessage
from store import outbox as db

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def test_a_key_is_queued_once(sessions):
    with sessions() as session, session.begin():
        assert db.enqueue(session, "post:al_1", "al_1", "post_alert", T0, target="C0ALERTS")
        assert not db.enqueue(session, "post:al_1", "al_1", "post_alert", T0)
        assert db.unsent_count(session) == 1
    with sessions() as session:
        (message,) = db.outbox_messages(session, "al_1")
    assert isinstance(message, OutboxMessage)
    assert (message.status, message.target, message.created_at) == ("pending", "C0ALERTS", T0)


def test_of_two_workers_only_one_leases_a_message(sessions):
    with sessions() as session, session.begin():
        for i in range(5):
            db.enqueue(session, f"post:al_{i}", f"al_{i}", "post_alert", T0)
    barrier = threading.Barrier(4)
    taken: dict[str, list[str]] = {}

    def lease(worker: str) -> None:
        barrier.wait(10)
        with sessions() as session, session.begin():
            taken[worker] = [m.dedupe_key for m in db.lease_outbox(session, worker, T0, LEASE)]

    threads = [threading.Thread(target=lease, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    keys = [k for ks in taken.values() for k in ks]
    assert sorted(keys) == [f"post:al_{i}" for i in range(5)], "each message taken exactly once"


def test_an_expired_lease_is_retried_and_only_the_holder_marks_it_sent(sessions):
    with sessions() as session, session.begin():
        db.enqueue(session, "dm:al_1:U1:v1", "al_1", "dm", T0, target="U1")
        (first,) = db.lease_outbox(session, "w1", T0, LEASE)
        assert db.lease_outbox(session, "w2", T0 + timedelta(seconds=30), LEASE) == []
    assert (first.status, first.attempts, first.lease_owner) == ("sending", 1, "w1")
    later = T0 + timedelta(seconds=61)  # w1 died holding it
    with sessions() as session, session.begin():
        (retry,) = db.lease_outbox(session, "w2", later, LEASE)
        assert retry.attempts == 2, "the retry knows an earlier attempt may have reached Slack"
        assert not db.mark_sent(session, retry.dedupe_key, "w1", "D1", "1.0", later)
        assert db.mark_sent(session, retry.dedupe_key, "w2", "D1", "1.0", later)
        assert db.unsent_count(session) == 0
        assert db.posted_messages(session, "al_1") == [], "a DM is not a channel copy"


def test_a_failed_send_waits_for_its_retry_time_and_a_final_one_stops(sessions):
    with sessions() as session, session.begin():
        db.enqueue(session, "post:al_1", "al_1", "post_alert", T0)
        db.lease_outbox(session, "w1", T0, LEASE)
        db.mark_failed(session, "post:al_1", "w1", "ratelimited", T0 + timedelta(minutes=5), False)
        assert db.lease_outbox(session, "w1", T0 + timedelta(minutes=4), LEASE) == []
        (again,) = db.lease_outbox(session, "w1", T0 + timedelta(minutes=6), LEASE)
        db.mark_failed(session, "post:al_1", "w1", "invalid_auth", T0, final=True)
        (failed,) = db.outbox_messages(session)
    assert again.attempts == 2 and (failed.status, failed.last_error) == ("failed", "invalid_auth")


def test_the_channel_copies_of_an_alert_are_its_sent_posts(sessions):
    with sessions() as session, session.begin():
        db.enqueue(session, "post:al_1", "al_1", "post_alert", T0)
        db.enqueue(session, "escalate:al_1:v2", "al_1", "escalate", T0 + timedelta(minutes=1))
        for m in db.lease_outbox(session, "w1", T0 + timedelta(minutes=2), LEASE):
            db.mark_sent(session, m.dedupe_key, "w1", "C0ALERTS", m.dedupe_key[:4], T0)
        copies = db.posted_messages(session, "al_1")
    assert [(m.channel_id, m.ts) for m in copies] == [("C0ALERTS", "post"), ("C0ALERTS", "esca")]
