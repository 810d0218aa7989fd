"""Customer reads: one or many by id, and the narrow columns the resolver's in-memory indexes
need (names; plan and attributes)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from c360.domain import Customer
from store.models import CustomerRow
from store.queries.base import _run, _shape, _slices, customer_from_row

# --- customers ------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerNameRow:
    """The few columns the name index needs (no attributes, no text)."""

    customer_id: str
    name: str
    aliases: tuple[str, ...]
    emails: tuple[str, ...]
    domain: str | None


def get_customer(session: Session, customer_id: str) -> Customer | None:
    stmt = _shape(
        ("customer",),
        lambda: select(CustomerRow.__table__).where(CustomerRow.customer_id == bindparam("cid")),
    )
    row = _run(session, stmt, {"cid": customer_id}).first()
    return customer_from_row(row) if row is not None else None


def get_customers(session: Session, customer_ids: Iterable[str]) -> dict[str, Customer]:
    wanted = sorted(set(customer_ids))
    found: dict[str, Customer] = {}
    for part in _slices(wanted):
        for row in session.scalars(select(CustomerRow).where(CustomerRow.customer_id.in_(part))):
            found[row.customer_id] = customer_from_row(row)
    return found


def customer_name_rows(
    session: Session, customer_ids: Iterable[str] | None = None
) -> list[CustomerNameRow]:
    """Ids, names, aliases, emails and domain of all customers (or of the given ids)."""
    stmt = select(
        CustomerRow.customer_id,
        CustomerRow.name,
        CustomerRow.aliases,
        CustomerRow.emails,
        CustomerRow.domain,
    )
    rows = []
    if customer_ids is None:
        batches = [_run(session, stmt)]
    else:
        wanted = sorted(set(customer_ids))
        batches = [
            _run(session, stmt.where(CustomerRow.customer_id.in_(p))) for p in _slices(wanted)
        ]
    for result in batches:
        for cid, name, aliases, emails, domain in result:
            rows.append(
                CustomerNameRow(cid, name, tuple(aliases or ()), tuple(emails or ()), domain)
            )
    return rows


def customers_digest(session: Session) -> str:
    """A digest of every customer's id and content hash: it changes when a customer is added,
    removed, or changes at all (name, aliases, e-mails, domain ...), whatever the clocks of the
    writers said, unlike ``customers_fingerprint``. Two short columns per customer, in the
    primary key's order: milliseconds at 10,000 customers."""
    digest = hashlib.sha256()
    stmt = select(CustomerRow.customer_id, CustomerRow.content_hash).order_by(
        CustomerRow.customer_id
    )
    for customer_id, content_hash in _run(session, stmt):
        digest.update(f"{customer_id}\0{content_hash}\n".encode())
    return digest.hexdigest()


def customers_fingerprint(session: Session) -> tuple[int, str]:
    """A cheap 'did customers change?' check: count and newest update time."""
    count, newest = session.execute(select(func.count(), func.max(CustomerRow.updated_at))).one()
    return int(count or 0), str(newest or "")


class CustomerFieldValues(NamedTuple):
    """A customer's plan and record fields, for describing customers by what they pay."""

    customer_id: str
    plan: str | None
    attributes: dict[str, Any]


def customer_field_values(session: Session) -> Iterator[CustomerFieldValues]:
    """Plan and attributes of every customer, streamed in batches (read once, then only on
    change, into the in-memory index of amounts); the session stays open while iterating."""
    stmt = select(CustomerRow.customer_id, CustomerRow.plan, CustomerRow.attributes)
    for cid, plan, attributes in session.execute(stmt.execution_options(yield_per=5000)):
        yield CustomerFieldValues(cid, plan, dict(attributes or {}))
