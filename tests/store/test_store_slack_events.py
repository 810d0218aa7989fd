"""Slack delivery state in the store (store/slack_events.py): an event is claimed once across
processes, a thread remembers its newest customer, old event marks are dropped and thread
marks kept, on SQLite and PostgreSQL. Functions take the session; the caller owns the
transaction. The `sessions` fixture (tests/store/conftest.py) runs each test on both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from store import slack_events as se

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_an_event_is_claimed_by_its_first_delivery_only(sessions):
    with sessions.begin() as session:
        assert se.claim_event(session, "event:Ev1", T0) is True
    with sessions.begin() as session:  # a retry, or another worker process
        assert se.claim_event(session, "event:Ev1", T0 + timedelta(seconds=5)) is False
        assert se.claim_event(session, "event:Ev2", T0) is True


def test_a_key_longer_than_the_column_is_refused_with_its_length():
    with pytest.raises(ValueError, match="longer than 255"):
        se.claim_event(None, "event:" + "x" * 300, T0)  # refused before any SQL


def test_a_thread_remembers_its_newest_customer_and_threads_do_not_mix(sessions):
    with sessions.begin() as session:
        se.remember_thread(session, "C1", "1700000000.1", "acme-1", T0)
        se.remember_thread(session, "C1", "1700000000.12", "globex-1", T0)  # a longer ts
        se.remember_thread(session, "C2", "1700000000.1", "initech-1", T0)
    with sessions.begin() as session:
        se.remember_thread(session, "C1", "1700000000.1", "acme-2", T0 + timedelta(minutes=1))
    with sessions() as session:
        assert se.thread_customer(session, "C1", "1700000000.1") == "acme-2"
        assert se.thread_customer(session, "C1", "1700000000.12") == "globex-1"
        assert se.thread_customer(session, "C2", "1700000000.1") == "initech-1"
        assert se.thread_customer(session, "C3", "1700000000.1") is None


def test_old_event_marks_are_forgotten_and_thread_marks_kept(sessions):
    with sessions.begin() as session:
        se.claim_event(session, "event:old", T0 - timedelta(days=4))
        se.claim_event(session, "event:new", T0)
        se.remember_thread(session, "C1", "1.1", "acme-1", T0 - timedelta(days=30))
    with sessions.begin() as session:
        assert se.forget_events_before(session, T0 - timedelta(days=3)) == 1
    with sessions.begin() as session:
        assert se.claim_event(session, "event:old", T0) is True  # forgotten: claimable again
        assert se.claim_event(session, "event:new", T0) is False
        assert se.thread_customer(session, "C1", "1.1") == "acme-1"
