"""store/ownership.py: alerts as domain values, and each change of state as one conditional
update that happens for exactly one caller (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from c360.domain import Alert, AlertEvent, Person
from store import ownership as db

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _insert(session, alert_id: str = "al_1", **values) -> None:
    row = {
        "alert_id": alert_id,
        "record_id": f"moment:{alert_id}",
        "customer_id": "C1",
        "rule": "negative_inbound",
        "reasons": [{"rule": "negative_inbound", "reason": "Negative"}],
        "summary": "Acme · inbound email",
        "citations": [f"moment:{alert_id}"],
        "status": "open",
        "escalate_due_at": T0 + timedelta(minutes=30),
        "escalations": 0,
        "reminders": 0,
        "version": 0,
        "created_at": T0,
        "updated_at": T0,
        **values,
    }
    assert db.insert_alert(session, row)


def _owner(user: str) -> Person:
    return Person(user, user.lower(), team="Support")


def test_an_alert_comes_back_as_a_domain_value_in_utc(sessions):
    with sessions() as session, session.begin():
        _insert(session)
        assert not db.insert_alert(session, {"alert_id": "al_1", "record_id": "moment:al_1"}), (
            "one alert per record: a second insert is refused, the transaction stays usable"
        )
        created = AlertEvent("al_1", "created", T0, detail={"rules": ["negative_inbound"]})
        db.add_event(session, created)
    with sessions() as session:
        alert = db.get_alert(session, "al_1")
        (event,) = db.events(session, "al_1")
    assert isinstance(alert, Alert) and alert.created_at == T0 and alert.created_at.tzinfo
    assert (alert.status, alert.version, alert.reasons[0]["rule"]) == (
        "open",
        0,
        "negative_inbound",
    )
    assert event == created


def test_of_two_concurrent_claimers_exactly_one_wins(sessions):
    with sessions() as session, session.begin():
        _insert(session)
    barrier = threading.Barrier(8)
    results: dict[str, Alert | None] = {}

    def claim(user: str) -> None:
        barrier.wait(10)
        with sessions() as session, session.begin():
            results[user] = db.claim(session, "al_1", _owner(user), T0, T0 + timedelta(hours=24))

    threads = [threading.Thread(target=claim, args=(f"U{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    winners = {u: a for u, a in results.items() if a is not None}
    assert len(results) == 8 and len(winners) == 1
    ((user, after),) = winners.items()
    assert (after.owner_id, after.status, after.version) == (user, "owned", 1)
    assert after.first_owned_at == T0 and after.escalate_due_at is None


def test_each_transition_is_conditional_and_bumps_the_version(sessions):
    later = T0 + timedelta(minutes=5)
    with sessions() as session, session.begin():
        _insert(session)
        owned = db.claim(session, "al_1", _owner("U1"), T0, T0 + timedelta(hours=24))
        assert db.claim(session, "al_1", _owner("U2"), T0, T0) is None, "owned already"
        assert db.release(session, "al_1", "U2", later, later) is None, "only the owner"
        released = db.release(session, "al_1", "U1", later, later + timedelta(minutes=30))
        assigned = db.assign(session, "al_1", _owner("U3"), later, later + timedelta(hours=24))
        snoozed = db.snooze(session, "al_1", "U3", later + timedelta(hours=4), later)
        resolved = db.resolve(session, "al_1", "U3", later)
        assert db.resolve(session, "al_1", "U1", later) is None, "resolved already"
        assert db.assign(session, "al_1", _owner("U1"), later, later) is None
        assert db.snooze(session, "al_1", "U1", later, later) is None
    assert [a.version for a in (owned, released, assigned, snoozed, resolved)] == [1, 2, 3, 4, 5]
    assert (released.status, released.owner_id, released.escalations) == ("open", None, 0)
    assert (assigned.owner_id, assigned.first_owned_at) == ("U3", T0), "first owner kept"
    assert snoozed.remind_due_at == later + timedelta(hours=4), "an owned alert's reminder"
    assert (resolved.status, resolved.resolved_by, resolved.remind_due_at) == (
        "resolved",
        "U3",
        None,
    )


def test_a_due_timer_moves_on_once_even_when_two_workers_read_it(sessions):
    now = T0 + timedelta(minutes=31)
    with sessions() as session, session.begin():
        _insert(session, "al_due")
        _insert(session, "al_later", escalate_due_at=T0 + timedelta(hours=2))
    with sessions() as session, session.begin():
        (due,) = db.due_escalations(session, now)
    assert due.alert_id == "al_due"
    with sessions() as session, session.begin():
        assert db.advance_escalation(session, due, now + timedelta(minutes=30), now)
    with sessions() as session, session.begin():
        assert not db.advance_escalation(session, due, None, now), "read before the first moved it"
        assert db.due_escalations(session, now) == []
        after = db.get_alert(session, "al_due")
    assert (after.escalations, after.version) == (1, 1)
    assert after.escalate_due_at == now + timedelta(minutes=30)


def test_reminders_are_due_only_for_owned_alerts(sessions):
    with sessions() as session, session.begin():
        _insert(session)
        owned = db.claim(session, "al_1", _owner("U1"), T0, T0 + timedelta(hours=24))
    with sessions() as session, session.begin():
        assert db.due_reminders(session, T0 + timedelta(hours=23)) == []
        (due,) = db.due_reminders(session, T0 + timedelta(hours=24))
        assert due == owned
        assert db.advance_reminder(session, due, None, T0 + timedelta(hours=24))
        assert db.due_reminders(session, T0 + timedelta(days=9)) == []
    with sessions() as session:
        assert [a.alert_id for a in db.alerts_owned_by(session, "U1")] == ["al_1"]
        assert db.alerts_waiting(session) == []
