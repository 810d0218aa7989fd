"""A citation's human label: what the record is, in words ("Email from Arjun Ivanova, 25 Nov",
"Complaint CP1001-005, outage, opened 3 Feb"). Wording in ``prompts.lead``; the raw id stays
beside it (the Sources line, ``--json``)."""

from __future__ import annotations

from datetime import datetime

from c360.domain import Complaint, Customer, Moment, utc
from prompts import lead as W


def citation_label(record: Customer | Moment | Complaint, today: datetime | None = None) -> str:
    if isinstance(record, Moment):
        return W.moment_label(
            record.channel, record.direction, record.author, utc(record.occurred_at), today
        )
    if isinstance(record, Complaint):
        return W.complaint_label(record.complaint_id, record.category, utc(record.opened_at), today)
    return W.customer_label(record.name)
