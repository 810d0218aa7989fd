"""A citation's human label: what the record is, in words ("Email from Arjun Ivanova, 25 Nov",
"Complaint CP1001-005, outage, opened 3 Feb"). Wording in ``prompts.lead``; the raw id stays
beside it (the Sources line, ``--json``)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from c360.domain import Complaint, Customer, Moment, utc
from prompts import lead as W


def citation_label(
    record: Customer | Moment | Complaint, today: datetime | None = None, tz: tzinfo | None = None
) -> str:
    """The label, its day on the reader's calendar (``tz``, Slack's users.info zone; UTC's
    without one), as the ages beside it are."""
    if isinstance(record, Moment):
        when = utc(record.occurred_at)
        return W.moment_label(record.channel, record.direction, record.author, when, today, tz)
    if isinstance(record, Complaint):
        when = utc(record.opened_at)
        return W.complaint_label(record.complaint_id, record.category, when, today, tz)
    return W.customer_label(record.name)
