"""Moment reads: one customer's evidence moments by time, those linked to complaints, logged
exchanges (history), and counts by channel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from c360.domain import Moment
from store.models import MomentRow
from store.queries.base import EVIDENCE_ORIGINS, _at, _run, _shape, moment_from_row

# --- moments --------------------------------------------------------------------------


def get_moment(session: Session, moment_id: str) -> Moment | None:
    row = session.get(MomentRow, moment_id)
    return moment_from_row(row) if row is not None else None


def recent_moments(
    session: Session,
    customer_id: str,
    limit: int = 5,
    origins: Sequence[str] = EVIDENCE_ORIGINS,
    since: datetime | None = None,
    channels: Sequence[str] | None = None,
    until: datetime | None = None,
    direction: str | None = None,
) -> list[Moment]:
    """A customer's moments, newest first, optionally only those in [since, until), on some
    channels, in one direction (uses ix_moments_customer_time)."""

    # Plain rows, not ORM objects: a large customer has thousands, and building an ORM
    # instance per row cost more than the query (bench: eval's bureau questions).
    def build():
        stmt = select(MomentRow.__table__).where(
            MomentRow.customer_id == bindparam("cid"),
            MomentRow.origin.in_(bindparam("origins", expanding=True)),
        )
        if since is not None:
            stmt = stmt.where(MomentRow.occurred_at >= _at("since"))
        if until is not None:
            stmt = stmt.where(MomentRow.occurred_at < _at("until"))
        if channels:
            stmt = stmt.where(MomentRow.channel.in_(bindparam("channels", expanding=True)))
        if direction is not None:
            stmt = stmt.where(MomentRow.direction == bindparam("direction"))
        stmt = stmt.order_by(MomentRow.occurred_at.desc(), MomentRow.moment_id.desc())
        return stmt.limit(bindparam("limit")) if limit else stmt

    key = (
        "recent_moments",
        since is not None,
        until is not None,
        bool(channels),
        direction is not None,
        bool(limit),
    )
    params = {
        "cid": customer_id,
        "origins": list(origins),
        "since": since,
        "until": until,
        "channels": list(channels or ()),
        "direction": direction,
        "limit": limit,
    }
    return [moment_from_row(r) for r in _run(session, _shape(key, build), params).all()]


def linked_moments(
    session: Session,
    customer_id: str,
    complaint_ids: Sequence[str],
    origins: Sequence[str] = EVIDENCE_ORIGINS,
) -> list[Moment]:
    """A customer's moments linked to some of its complaints (``meta.complaint_id``, such as a
    company's response to a complaint), newest first, by ``ix_moments_complaint_id``: a large
    customer has thousands of moments and only a few are linked to the complaints named."""
    if not complaint_ids:
        return []

    # By ix_moments_complaint_id alone; the customer and origin are checked on the few rows
    # found (a planner may prefer the customer's time index and read all its moments).
    stmt = _shape(
        ("linked",),
        lambda: select(MomentRow.__table__).where(
            MomentRow.complaint_id.in_(bindparam("ids", expanding=True))
        ),
    )
    wanted = set(origins)
    found = [
        m
        for r in _run(session, stmt, {"ids": sorted({str(c) for c in complaint_ids})})
        if (m := moment_from_row(r)).customer_id == customer_id and m.origin in wanted
    ]
    found.sort(key=lambda m: (m.occurred_at, m.moment_id), reverse=True)
    return found


def exchange_moments(
    session: Session, customer_id: str | None = None, asker_id: str | None = None, limit: int = 10
) -> list[Moment]:
    """Logged question/answer exchanges, newest first, for a customer and/or an asker."""
    stmt = select(MomentRow.__table__).where(MomentRow.origin == "exchange")
    if customer_id is not None:
        stmt = stmt.where(MomentRow.customer_id == customer_id)
    stmt = stmt.order_by(MomentRow.occurred_at.desc(), MomentRow.moment_id.desc())
    if asker_id is None:
        if customer_id is not None:  # the brief's "recent questions": a prepared shape
            stmt = _shape(
                ("exchanges",),
                lambda: (
                    select(MomentRow.__table__)
                    .where(
                        MomentRow.customer_id == bindparam("cid"), MomentRow.origin == "exchange"
                    )
                    .order_by(MomentRow.occurred_at.desc(), MomentRow.moment_id.desc())
                    .limit(bindparam("limit"))
                ),
            )
            rows = _run(session, stmt, {"cid": customer_id, "limit": limit})
            return [moment_from_row(r) for r in rows]
        return [moment_from_row(r) for r in _run(session, stmt.limit(limit))]
    # The asker lives in meta (JSON, not portable to filter on): page through newest first.
    found: list[Moment] = []
    page, offset = max(limit * 4, 50), 0
    while len(found) < limit:
        rows = list(_run(session, stmt.offset(offset).limit(page)))
        for row in rows:
            if (row.meta or {}).get("asker_id") == asker_id:
                found.append(moment_from_row(row))
                if len(found) == limit:
                    break
        if len(rows) < page:
            break
        offset += page
    return found


def exchange_meta_since(session: Session, since: datetime) -> list[dict]:
    """The meta of every logged exchange since ``since`` (feedback counts for `c360 report`)."""
    stmt = select(MomentRow.meta).where(
        MomentRow.origin == "exchange", MomentRow.occurred_at >= since
    )
    return [dict(meta or {}) for (meta,) in _run(session, stmt)]


def count_moments(
    session: Session, customer_id: str, origins: Sequence[str] = EVIDENCE_ORIGINS
) -> dict[str, int]:
    """Moments per channel for one customer."""
    stmt = (
        select(MomentRow.channel, func.count())
        .where(MomentRow.customer_id == customer_id, MomentRow.origin.in_(list(origins)))
        .group_by(MomentRow.channel)
    )
    return {channel: int(n) for channel, n in _run(session, stmt)}
