"""Live sources' bookkeeping: each source's cursor and health (``sync_sources``), the links
from a source's own customer ids to c360 customers (``customer_links``), and the removal or
redirection of records a source deleted or merged. Callers own the transaction: the ingest
pipeline writes a batch's cursor and deletions in the batch's own transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from c360.domain import split_record_id, utc
from store.models import (
    ChunkRow,
    ComplaintRow,
    ComplaintValueRow,
    CustomerLinkRow,
    CustomerRow,
    MomentRow,
    PersonLinkRow,
    SyncPendingRow,
    SyncSourceRow,
)
from store.records import _slices, replace_chunks

STATE_FIELDS = (
    "name",
    "connector",
    "cursor",
    "interval_seconds",
    "records_seen",
    "last_attempt_at",
    "last_success_at",
    "last_error",
    "last_error_at",
)


def _state(row: SyncSourceRow) -> dict[str, Any]:
    out = {name: getattr(row, name) for name in STATE_FIELDS}
    for key in ("last_attempt_at", "last_success_at", "last_error_at"):
        out[key] = utc(out[key])
    return out


def source_state(session: Session, name: str) -> dict[str, Any] | None:
    row = session.get(SyncSourceRow, name)
    return _state(row) if row else None


def source_states(session: Session) -> list[dict[str, Any]]:
    return [_state(r) for r in session.scalars(select(SyncSourceRow).order_by(SyncSourceRow.name))]


def _row(session: Session, name: str, connector: str, now: datetime) -> SyncSourceRow:
    row = session.get(SyncSourceRow, name, with_for_update=True)
    if row is None:
        row = SyncSourceRow(name=name, connector=connector, records_seen=0, updated_at=now)
        session.add(row)
    row.connector = connector
    row.updated_at = now
    return row


def start_attempt(
    session: Session, name: str, connector: str, interval: float | None, now: datetime
) -> None:
    row = _row(session, name, connector, now)
    row.last_attempt_at = now
    row.interval_seconds = interval


def advance_cursor(
    session: Session, name: str, connector: str, cursor: str | None, seen: int, now: datetime
) -> None:
    """Store the cursor of a committed batch (call inside that batch's transaction)."""
    row = _row(session, name, connector, now)
    row.cursor = cursor
    row.records_seen = (row.records_seen or 0) + seen


def count_seen(session: Session, name: str, connector: str, seen: int, now: datetime) -> None:
    """A committed batch that moves no cursor (a ticket's comments read again)."""
    row = _row(session, name, connector, now)
    row.records_seen = (row.records_seen or 0) + seen


def finish_attempt(
    session: Session, name: str, connector: str, now: datetime, error: str | None
) -> None:
    row = _row(session, name, connector, now)
    if error is None:
        row.last_success_at = now
        row.last_error = None
        row.last_error_at = None
    else:
        row.last_error = error[:2000]
        row.last_error_at = now


def reset_cursor(session: Session, name: str, connector: str, now: datetime) -> None:
    """``--full``: read everything again (the content hashes keep unchanged records as they are)."""
    _row(session, name, connector, now).cursor = None


def record_sources(session: Session, record_ids: Sequence[str]) -> dict[str, str]:
    """record id (``kind:id``) -> the source it was read from (sources file name, file path)."""
    by_kind: dict[str, list[str]] = {}
    for rid in record_ids:
        kind, sid = split_record_id(rid)
        by_kind.setdefault(kind, []).append(sid)
    found: dict[str, str] = {}
    for kind, row_class, column in (
        ("customer", CustomerRow, CustomerRow.customer_id),
        ("moment", MomentRow, MomentRow.moment_id),
        ("complaint", ComplaintRow, ComplaintRow.complaint_id),
    ):
        for part in _slices(sorted(set(by_kind.get(kind, [])))):
            for sid, source in session.execute(
                select(column, row_class.source).where(column.in_(part))
            ):
                if source:
                    found[f"{kind}:{sid}"] = source
    return found


# --- identities ---------------------------------------------------------------------------
def links(session: Session, alias_ids: Iterable[str]) -> dict[str, str]:
    """alias id -> the c360 customer id it stands for (only ids that have a link)."""
    return _lookup(session, CustomerLinkRow.alias_id, CustomerLinkRow.customer_id, alias_ids)


def _lookup(session: Session, key, value, ids: Iterable[str]) -> dict[str, str]:
    """``key`` -> ``value`` of the rows whose ``key`` is one of ``ids`` (read in slices)."""
    found: dict[str, str] = {}
    for part in _slices(sorted(set(ids))):
        for k, v in session.execute(select(key, value).where(key.in_(part))):
            found[k] = v
    return found


def _rows_by(session: Session, key, ids: Iterable[str]) -> dict[str, Any]:
    """The rows whose ``key`` column is one of ``ids``, by that key (read in slices)."""
    found: dict[str, Any] = {}
    for part in _slices(sorted(set(ids))):
        for row in session.scalars(select(key.class_).where(key.in_(part))):
            found[getattr(row, key.key)] = row
    return found


def add_link(
    session: Session, alias_id: str, customer_id: str, source: str, reason: str, now: datetime
) -> None:
    if alias_id == customer_id:
        return
    row = session.get(CustomerLinkRow, alias_id)
    if row is None:
        session.add(
            CustomerLinkRow(
                alias_id=alias_id,
                customer_id=customer_id,
                source=source,
                reason=reason,
                created_at=now,
            )
        )
    else:
        row.customer_id = customer_id
        row.reason = reason
    # Links that pointed at the alias now point at its target (a merge of a merge).
    session.execute(
        update(CustomerLinkRow)
        .where(CustomerLinkRow.customer_id == alias_id)
        .values(customer_id=customer_id)
    )


def customers_by_domain(session: Session, domains: Iterable[str]) -> dict[str, str]:
    """lower-case domain -> customer id (the first by id when several share it)."""
    found: dict[str, str] = {}
    wanted = sorted({d.lower() for d in domains if d})
    for part in _slices(wanted):
        for cid, domain in session.execute(
            select(CustomerRow.customer_id, CustomerRow.domain)
            .where(CustomerRow.domain.in_(part))
            .order_by(CustomerRow.customer_id)
        ):
            found.setdefault(domain.lower(), cid)
    return found


def customers(session: Session, ids: Iterable[str]) -> dict[str, CustomerRow]:
    return _rows_by(session, CustomerRow.customer_id, ids)


def moment_urls(session: Session, moment_ids: Iterable[str]) -> dict[str, str]:
    """moment id -> its url, for the ids that exist and have one."""
    found = _lookup(session, MomentRow.moment_id, MomentRow.url, moment_ids)
    return {k: v for k, v in found.items() if v}


def complaint_customers(session: Session, complaint_ids: Iterable[str]) -> dict[str, str]:
    """complaint id -> its customer id, for the ids that exist."""
    return _lookup(session, ComplaintRow.complaint_id, ComplaintRow.customer_id, complaint_ids)


# --- people of a source (HubSpot contacts) -------------------------------------------------
def person_links(session: Session, person_ids: Iterable[str]) -> dict[str, PersonLinkRow]:
    """person id -> where that person is listed now (only persons listed somewhere)."""
    return _rows_by(session, PersonLinkRow.person_id, person_ids)


def people_of(session: Session, customer_ids: Iterable[str]) -> dict[str, list[PersonLinkRow]]:
    """customer id -> the persons its record lists (by their links)."""
    found: dict[str, list[PersonLinkRow]] = {}
    for part in _slices(sorted(set(customer_ids))):
        for row in session.scalars(
            select(PersonLinkRow).where(PersonLinkRow.customer_id.in_(part))
        ):
            found.setdefault(row.customer_id, []).append(row)
    return found


def put_person_links(
    session: Session,
    listed: dict[str, tuple[str, str, str | None]],
    gone: Iterable[str],
    source: str,
    now: datetime,
) -> None:
    """Record where persons are listed now (person id -> (customer id, line, email)) and
    forget the persons in ``gone``; in the transaction of the page that changed them."""
    for part in _slices(sorted(set(gone) - set(listed))):
        session.execute(delete(PersonLinkRow).where(PersonLinkRow.person_id.in_(part)))
    for person_id, (customer_id, line, email) in sorted(listed.items()):
        row = session.get(PersonLinkRow, person_id)
        if row is None:
            row = PersonLinkRow(person_id=person_id)
            session.add(row)
        row.customer_id, row.line, row.email = customer_id, line, email
        row.source, row.updated_at = source, now


# --- what a source must read again --------------------------------------------------------
def pending(session: Session, source: str) -> list[str]:
    return list(
        session.scalars(
            select(SyncPendingRow.record_id)
            .where(SyncPendingRow.source == source)
            .order_by(SyncPendingRow.record_id)
        )
    )


def put_pending(
    session: Session, source: str, add: Iterable[str], drop: Iterable[str], now: datetime
) -> None:
    add, drop = set(add), set(drop)
    for part in _slices(sorted(drop - add)):
        session.execute(
            delete(SyncPendingRow).where(
                SyncPendingRow.source == source, SyncPendingRow.record_id.in_(part)
            )
        )
    for record_id in sorted(add - drop):
        if session.get(SyncPendingRow, (source, record_id)) is None:
            session.add(SyncPendingRow(source=source, record_id=record_id, created_at=now))


def unlink(session: Session, alias_id: str) -> None:
    """A source's customer that is gone (a deleted organization) no longer names its target."""
    session.execute(delete(CustomerLinkRow).where(CustomerLinkRow.alias_id == alias_id))


IDENTITY_REASONS = ("domain", "external_id")  # the same customer in two sources (not a merge)


def link_reasons(session: Session, alias_ids: Iterable[str]) -> dict[str, str]:
    """alias id -> why it is linked (domain | external_id | merged)."""
    return _lookup(session, CustomerLinkRow.alias_id, CustomerLinkRow.reason, alias_ids)


def source_links_to(session: Session, source: str, customer_ids: Iterable[str]) -> dict[str, int]:
    """customer id -> how many of ``source``'s customer ids are the same customer as it
    (identity links; merges not counted)."""
    found: dict[str, int] = {}
    for part in _slices(sorted(set(customer_ids))):
        for (cid,) in session.execute(
            select(CustomerLinkRow.customer_id).where(
                CustomerLinkRow.source == source,
                CustomerLinkRow.customer_id.in_(part),
                CustomerLinkRow.reason.in_(IDENTITY_REASONS),
            )
        ):
            found[cid] = found.get(cid, 0) + 1
    return found


def source_records_of(session: Session, source: str, customer_id: str) -> list[str]:
    """Record ids (``kind:id``) of ``source``'s moments and complaints filed under a customer."""
    out = [
        f"complaint:{c}"
        for c in session.scalars(
            select(ComplaintRow.complaint_id).where(
                ComplaintRow.customer_id == customer_id, ComplaintRow.source == source
            )
        )
    ]
    out += [
        f"moment:{m}"
        for m in session.scalars(
            select(MomentRow.moment_id).where(
                MomentRow.customer_id == customer_id, MomentRow.source == source
            )
        )
    ]
    return out


# --- deletes and merges -------------------------------------------------------------------
def delete_records(
    session: Session,
    record_ids: Sequence[str],
    run_id: int | None,
    now: datetime,
    source: str | None = None,
) -> list[str]:
    """Remove records (``kind:id``) and their chunks; a complaint takes the moments linked to
    it (a ticket's comments) along, a customer its moments and complaints. With ``source``, a
    customer takes only that source's records, and stays while another source's records (the
    same company in the helpdesk) still name it. Returns the chunk ids to delete from the
    vector index."""
    by_kind: dict[str, list[str]] = {"customer": [], "moment": [], "complaint": []}
    for rid in record_ids:
        kind, sid = split_record_id(rid)
        if kind in by_kind:
            by_kind[kind].append(sid)
    complaints = sorted(set(by_kind["complaint"]))
    moments = set(by_kind["moment"])
    for part in _slices(complaints):
        moments.update(
            session.scalars(select(MomentRow.moment_id).where(MomentRow.complaint_id.in_(part)))
        )
    gone = [f"moment:{m}" for m in sorted(moments)] + [f"complaint:{c}" for c in complaints]
    customers_gone = sorted(set(by_kind["customer"]))
    for cid in customers_gone:  # a customer takes its moments and complaints along
        mine_only = True
        for kind, row_class, column in (
            ("moment", MomentRow, MomentRow.moment_id),
            ("complaint", ComplaintRow, ComplaintRow.complaint_id),
        ):
            for rid, from_source in session.execute(
                select(column, row_class.source).where(row_class.customer_id == cid)
            ):
                if source is None or from_source == source:
                    gone.append(f"{kind}:{rid}")
                else:
                    mine_only = False
        if mine_only:
            gone.append(f"customer:{cid}")
    removed = replace_chunks(session, gone, [], run_id=run_id, now=now)
    ids = {"customer": [], "moment": [], "complaint": []}
    for rid in gone:
        kind, sid = split_record_id(rid)
        ids[kind].append(sid)
    for part in _slices(sorted(set(ids["moment"]))):
        session.execute(delete(MomentRow).where(MomentRow.moment_id.in_(part)))
    for part in _slices(sorted(set(ids["complaint"]))):
        session.execute(delete(ComplaintValueRow).where(ComplaintValueRow.complaint_id.in_(part)))
        session.execute(delete(ComplaintRow).where(ComplaintRow.complaint_id.in_(part)))
    for part in _slices(sorted(set(ids["customer"]))):
        session.execute(delete(PersonLinkRow).where(PersonLinkRow.customer_id.in_(part)))
        session.execute(delete(CustomerRow).where(CustomerRow.customer_id.in_(part)))
    return removed


def redirect_customer(session: Session, old_id: str, new_id: str) -> list[str]:
    """Move every moment and complaint of ``old_id`` to ``new_id`` (a merge in the source).
    Their chunks are marked unindexed so the caller re-upserts them with the new customer;
    returns those chunk ids. The old customer row is left for the caller to delete."""
    if old_id == new_id or session.get(CustomerRow, new_id) is None:
        return []
    session.execute(
        update(MomentRow).where(MomentRow.customer_id == old_id).values(customer_id=new_id)
    )
    session.execute(
        update(ComplaintRow).where(ComplaintRow.customer_id == old_id).values(customer_id=new_id)
    )
    session.execute(
        update(ComplaintValueRow)
        .where(ComplaintValueRow.customer_id == old_id)
        .values(customer_id=new_id)
    )
    session.execute(
        update(PersonLinkRow).where(PersonLinkRow.customer_id == old_id).values(customer_id=new_id)
    )
    moved = list(
        session.scalars(
            select(ChunkRow.chunk_id).where(
                ChunkRow.customer_id == old_id, ChunkRow.kind != "customer"
            )
        )
    )
    session.execute(
        update(ChunkRow)
        .where(ChunkRow.customer_id == old_id, ChunkRow.kind != "customer")
        .values(customer_id=new_id, indexed=False)
    )
    return moved
