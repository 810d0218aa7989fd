"""The whole ingest path with the store on PostgreSQL: JSON columns, timezone-aware datetimes,
bulk upserts, idempotent re-runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from c360.domain import Complaint, Customer, Moment
from store.models import ComplaintRow, CustomerRow, MomentRow

pytestmark = pytest.mark.postgres


def test_postgres_store_round_trips_records_and_re_ingest_changes_nothing(pg_container, tmp_path):
    (tmp_path / "customers.jsonl").write_text(
        '{"customer_id": "acme", "name": "ACME Corp.", "aliases": ["Acme"], "created_at": "2024-01-15T10:00:00+02:00", "tier": "gold"}\n'
    )
    (tmp_path / "moments.csv").write_text(
        "moment_id,customer_id,occurred_at,channel,text,tags\nm1,acme,2026-01-05T10:00:00,call,Asked about SSO.,sso;security\n"
    )
    service = pg_container.ingest
    first = service.ingest_paths(
        [tmp_path / "moments.csv", tmp_path / "customers.jsonl"], progress=False
    )
    assert first.total("inserted") == 2 and first.rejected == 0
    service.add_records(
        [Complaint("c1", "acme", datetime(2026, 1, 6, 8), "Invoice wrong.", status="in_progress")],
        "unit",
    )
    with pg_container.sessions() as session:
        acme = session.get(CustomerRow, "acme")
        moment = session.get(MomentRow, "m1")
        complaint = session.get(ComplaintRow, "c1")
    assert acme.aliases == ["Acme"] and acme.attributes == {"tier": "gold"}
    assert acme.created_at == datetime(2024, 1, 15, 8, tzinfo=UTC)
    assert moment.occurred_at == datetime(2026, 1, 5, 10, tzinfo=UTC) and moment.tags == [
        "sso",
        "security",
    ]
    assert complaint.opened_at == datetime(2026, 1, 6, 8, tzinfo=UTC)

    again = service.ingest_paths(
        [tmp_path / "customers.jsonl", tmp_path / "moments.csv"], progress=False
    )
    assert again.embedded == 0 and again.total("unchanged") == 2
    changed = service.add_records(
        [Customer("acme", "ACME Corp.", aliases=["Acme", "ACME"], attributes={"tier": "gold"})],
        "unit",
    )
    assert changed.counts["customer"]["updated"] == 1 and changed.embedded == 1
    assert (
        service.add_records([Moment("m2", "nobody", datetime(2026, 1, 1), "x")], "unit").rejected
        == 1
    )
    assert pg_container.index.count() == 3
