"""The demo records as canonical files: customers.csv, moments.jsonl, complaints.csv."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from c360.domain import Complaint, Customer, Moment

# --- canonical files ----------------------------------------------------------------------
CUSTOMER_COLUMNS = [
    "customer_id", "name", "aliases", "domain", "emails", "segment", "plan", "arr", "owner",
    "region", "created_at", "industry", "employees", "renewal_date", "primary_contact",
]  # fmt: skip
COMPLAINT_COLUMNS = [
    "complaint_id", "customer_id", "opened_at", "category", "text", "status", "resolved_at",
    "resolution", "severity",
]  # fmt: skip


def _iso(value: datetime | None) -> str:
    return (
        value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if value else ""
    )


def customers_csv(customers: list[Customer]) -> str:
    return _csv(
        CUSTOMER_COLUMNS,
        (
            {
                "customer_id": c.customer_id,
                "name": c.name,
                "aliases": ";".join(c.aliases),
                "domain": c.domain or "",
                "emails": ";".join(c.emails),
                "segment": c.segment or "",
                "plan": c.plan or "",
                "arr": f"{c.arr:.0f}" if c.arr is not None else "",
                "owner": c.owner or "",
                "region": c.region or "",
                "created_at": c.created_at.date().isoformat() if c.created_at else "",
                **{k: c.attributes.get(k, "") for k in CUSTOMER_COLUMNS[11:]},
            }
            for c in customers
        ),
    )


def moments_jsonl(moments: list[Moment]) -> str:
    lines = []
    for m in moments:
        row = {
            "moment_id": m.moment_id,
            "customer_id": m.customer_id,
            "occurred_at": _iso(m.occurred_at),
            "channel": m.channel,
            "direction": m.direction,
            "author": m.author,
            "text": m.text,
            "tags": m.tags,
        }
        lines.append(json.dumps(row, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def complaints_csv(complaints: list[Complaint]) -> str:
    return _csv(
        COMPLAINT_COLUMNS,
        (
            {
                "complaint_id": c.complaint_id,
                "customer_id": c.customer_id,
                "opened_at": _iso(c.opened_at),
                "category": c.category or "",
                "text": c.text,
                "status": c.status,
                "resolved_at": _iso(c.resolved_at),
                "resolution": c.resolution or "",
                "severity": c.severity or "",
            }
            for c in complaints
        ),
    )


def _csv(columns: list[str], rows: Iterable[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="")
