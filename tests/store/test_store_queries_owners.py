"""Store reads the brief and the evaluation use instead of ORM rows (store/queries): who owns a
record (the evaluation's contamination check reads owners from the store, never from an
answer), and the field values of complaints written since a time (the field index's refresh),
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from c360.domain import Complaint, Customer, Moment
from store import queries as Q
from store.records import upsert_records

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _load(sessions, now=T0):
    with sessions.begin() as session:
        upsert_records(session, "customer", [(Customer("C-1", "One"), "t"),
                                             (Customer("C-2", "Two"), "t")], [], now)  # fmt: skip
        upsert_records(session, "moment", [(Moment("m-1", "C-2", T0, "hello"), "t")], [], now)
        upsert_records(
            session,
            "complaint",
            [(Complaint("cp-1", "C-1", T0, "late", category="Billing",
                        attributes={"state": "VT", "issue": "Late fee"}), "t")],
            [],
            now,
        )  # fmt: skip


def test_each_existing_record_is_owned_by_its_customer_and_unknown_ids_are_absent(sessions):
    _load(sessions)
    with sessions() as session:
        owners = Q.record_owners(
            session,
            ["customer:C-1", "moment:m-1", "complaint:cp-1", "complaint:nope", "note:x"],
        )
    assert owners == {"customer:C-1": "C-1", "moment:m-1": "C-2", "complaint:cp-1": "C-1"}


def test_complaint_field_values_are_read_since_the_last_write_seen(sessions):
    with sessions() as session:
        assert Q.newest_complaint_write(session) is None
        assert list(Q.complaint_fields_since(session, None)) == []
    _load(sessions)
    with sessions() as session:
        newest = Q.newest_complaint_write(session)
        rows = list(Q.complaint_fields_since(session, None))
        assert rows == [("C-1", "Billing", {"state": "VT", "issue": "Late fee"})]
        later = Q.stored_time(newest) + timedelta(seconds=1)
        assert list(Q.complaint_fields_since(session, later)) == []
