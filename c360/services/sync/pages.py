"""A page of a live source -> ingest items, with identity linking.

A customer row of a source is the same c360 customer as an existing one with the id its row
names as external id, or with its domain; that source's id is then linked (``customer_links``)
and kept as an alias, and the source's other records follow the link. Contacts (HubSpot) add
people to their company's customer record.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from c360.domain import Customer, Record, utc
from c360.services.ingest.summary import Effects, Item
from connectors.base import ApiRow, ApiRowError, Page
from connectors.canonical import RowProblem, parse_record

NO_COMPLAINT = (
    "its ticket is not in c360 (the ticket was rejected): fix the ticket, then "
    "`c360 sync --name SOURCE --full` reads its comments again"
)
NO_CUSTOMER = (
    "names no customer (a ticket with no organization, an activity with no company): "
    "link it in the source; it is read again when it changes there (or with --full)"
)


class RunMemory:
    """What one source's run has resolved so far, before its batches are committed."""

    def __init__(self) -> None:
        self.links: dict[str, str] = {}
        self.customers: dict[str, Customer] = {}
        self.complaint_customers: dict[str, str] = {}
        self.deleted: set[str] = set()  # complaints deleted in this run
        self.rejected: set[str] = set()  # complaints rejected in this run
        self.written: dict[tuple[str, str], str] = {}  # (kind, id) -> hash handed to the pipeline
        self.line = 0


def page_effects(connector, page: Page, memory: RunMemory) -> Effects:
    """What committing a page does besides its records: new links, the cursor, deletes, merges."""
    from store import sync as sync_store

    name, kind = connector.name, connector.connector
    new_links = dict(getattr(page, "_new_links", {}))
    seen = len(page.rows)

    def apply(session, now) -> None:
        for alias, (target, reason) in sorted(new_links.items()):
            sync_store.add_link(session, alias, target, name, reason, now)
        sync_store.advance_cursor(session, name, kind, page.cursor, seen, now)

    deleted = [d for d in page.deleted if not (d.startswith("customer:") and d[9:] in memory.links)]
    return Effects(deleted=deleted, merged=dict(page.merged), apply=apply, source=name)


def page_items(sessions, now: datetime, connector, page: Page, memory: RunMemory) -> list[Any]:
    """A page's rows -> ingest items (and ``ApiRowError`` rows): customers find the c360
    customer they are, contacts join their company, moments and complaints follow the links."""
    from store import sync as sync_store

    out: list[Any] = []
    new_links: dict[str, tuple[str, str]] = {}
    parsed: list[tuple[ApiRow, Record]] = []
    people: dict[str, list[dict[str, Any]]] = {}
    for gone in page.deleted:
        if gone.startswith("complaint:"):
            memory.complaint_customers.pop(gone[10:], None)
            memory.deleted.add(gone[10:])
    # A moment about a complaint (a Zendesk comment) belongs to the complaint's customer,
    # known from this run or the store; a comment of a deleted ticket is not kept.
    about = (
        {
            str(r.data["complaint_id"])
            for r in page.rows
            if r.kind == "moment" and r.data.get("complaint_id")
        }
        - set(memory.complaint_customers)
        - memory.deleted
    )
    if about:
        with sessions() as session:
            memory.complaint_customers.update(sync_store.complaint_customers(session, about))
    for row in page.rows:
        memory.line += 1
        if row.kind == "person":
            people.setdefault(row.data["customer_id"], []).append(row.data)
            continue
        data = row.data
        where = f"{connector.name}: {row.where}"
        if row.kind == "moment" and data.get("complaint_id"):
            complaint = str(data["complaint_id"])
            if complaint in memory.deleted:
                continue
            owner = memory.complaint_customers.get(complaint)
            if owner is None:
                # Its ticket was rejected in this run: say so. Otherwise the ticket was
                # deleted (or rejected) in an earlier run, and its comments go with it.
                if complaint in memory.rejected:
                    out.append(("moment", ApiRowError(where, memory.line, NO_COMPLAINT)))
                continue
            data = {**data, "customer_id": owner}
        elif row.kind in ("moment", "complaint") and not data.get("customer_id"):
            out.append((row.kind, ApiRowError(where, memory.line, NO_CUSTOMER)))
            if row.kind == "complaint":
                memory.rejected.add(str(data.get("complaint_id")))
            continue
        try:
            parsed.append((row, parse_record(row.kind, data, now=now)))
        except RowProblem as exc:
            out.append(
                (row.kind, ApiRowError(f"{connector.name}: {row.where}", memory.line, str(exc)))
            )
    customers = [(r, rec) for r, rec in parsed if rec.kind == "customer"]
    with sessions() as session:
        wanted = {rec.customer_id for _, rec in parsed} | set(people) | set(page.merged)
        stored_links = sync_store.links(session, wanted - set(memory.links))
        memory.links.update(stored_links)
        domains = sync_store.customers_by_domain(
            session, [c.domain for _, c in customers if c.domain]
        )
        same_as = {s for r, _ in customers for s in r.same_as}
        candidates = sync_store.customers(
            session, same_as | {c.customer_id for _, c in customers} | set(domains.values())
            | {memory.links.get(p, p) for p in people}
        )  # fmt: skip
    # 1. customers: find the c360 customer each one is, merge into it.
    for row, record in customers:
        own = record.customer_id
        target, reason = memory.links.get(own), "link"
        if target is None:
            for other in row.same_as:
                if other != own and (other in candidates or other in memory.customers):
                    target, reason = other, "external_id"
                    break
        if target is None and record.domain:
            match = domains.get(record.domain.lower())
            if match and match != own:
                target, reason = match, "domain"
        for old, survivor in page.merged.items():
            if survivor == own:
                record = replace(record, aliases=_union(record.aliases, [old]))
        if target and target != own:
            memory.links[own] = target
            if reason != "link":
                new_links[own] = (target, reason)
            base = memory.customers.get(target) or _customer(candidates.get(target))
            record = (
                _merge(base, record, keep_identity=True)
                if base
                else replace(record, customer_id=target)
            )
        else:
            base = memory.customers.get(own) or _customer(candidates.get(own))
            record = _merge(base, record, keep_identity=False) if base else record
        memory.customers[record.customer_id] = record
        out.append(Item(record, connector.name, memory.line, dedupe=True,
                        error_factory=_located(connector.name, row.where, memory.line)))  # fmt: skip
    for old, survivor in page.merged.items():
        memory.links[old] = memory.links.get(survivor, survivor)
        new_links[old] = (memory.links[old], "merged")
    # 2. people (contacts) join their company's customer record.
    for company, persons in people.items():
        target = memory.links.get(company, company)
        base = memory.customers.get(target) or _customer(candidates.get(target))
        if base is None:
            out.append(
                (
                    "customer",
                    ApiRowError(
                        f"{connector.name}: contacts of company {company}",
                        memory.line,
                        "the company is not synced (yet): its contacts are read again with it",
                    ),
                )
            )
            continue
        emails = [p["email"] for p in persons if p.get("email")]
        lines = [_person(p) for p in persons]
        attributes = dict(base.attributes)
        attributes["people"] = _union(list(attributes.get("people") or []), lines)
        record = replace(base, emails=_union(base.emails, emails), attributes=attributes)
        memory.customers[target] = record
        out.append(Item(record, connector.name, memory.line, dedupe=True))
    # 3. moments and complaints follow their customer's links.
    for row, record in parsed:
        if record.kind == "customer":
            continue
        customer = memory.links.get(record.customer_id, record.customer_id)
        record = replace(record, customer_id=customer)
        if record.kind == "complaint":
            memory.complaint_customers[record.complaint_id] = customer
        out.append(Item(record, connector.name, memory.line,
                        error_factory=_located(connector.name, row.where, memory.line)))  # fmt: skip
    page._new_links = new_links  # type: ignore[attr-defined]  # read by _effects
    # One write per record and page: its last state (an object read twice in a page); and
    # none for a state this run already wrote (a page boundary read twice).
    last: dict[tuple[str, str], int] = {}
    for n, entry in enumerate(out):
        if isinstance(entry, Item):
            entry.revision = True
            last[(entry.record.kind, entry.record.source_id)] = n
    kept = []
    for n, entry in enumerate(out):
        if isinstance(entry, Item):
            key = (entry.record.kind, entry.record.source_id)
            if last[key] != n:
                continue
            digest = entry.record.hash()
            if memory.written.get(key) == digest:
                continue
            memory.written[key] = digest
        kept.append(entry)
    return kept


def _union(first: list[Any], second: list[Any]) -> list[Any]:
    out = list(first)
    for value in second:
        if value not in out:
            out.append(value)
    return out


def _person(data: dict[str, Any]) -> str:
    name = data.get("name") or ""
    email = data.get("email")
    text = f"{name} <{email}>" if name and email else name or email or ""
    return f"{text} ({data['title']})" if data.get("title") else text


def _located(name: str, where: str, line: int):
    return lambda reason: ApiRowError(f"{name}: {where}", line, reason)


def _customer(row) -> Customer | None:
    if row is None:
        return None
    return Customer(
        customer_id=row.customer_id, name=row.name, aliases=list(row.aliases or []),
        domain=row.domain, emails=list(row.emails or []), segment=row.segment, plan=row.plan,
        arr=row.arr, owner=row.owner, region=row.region, created_at=utc(row.created_at),
        attributes=dict(row.attributes or {}), url=row.url,
    )  # fmt: skip


def _merge(base: Customer, new: Customer, keep_identity: bool) -> Customer:
    """``new`` (a source's view of the customer) over ``base`` (what c360 holds): values the
    source gives win, lists are joined, and the aliases other sources added are kept. Merged
    into another source's customer (``keep_identity``), the id and name stay, and the source's
    id and name become aliases."""
    values = asdict(base)
    for key, value in asdict(new).items():
        if key in ("kind", "customer_id"):
            continue
        if key in ("aliases", "emails"):
            values[key] = _union(values[key] or [], value or [])
        elif key == "attributes":
            # Merged into another source's customer, that source's values stay (else the two
            # sources would overwrite each other's url on every sync); new keys are added.
            mine, theirs = values[key] or {}, value or {}
            values[key] = {**theirs, **mine} if keep_identity else {**mine, **theirs}
        elif keep_identity:
            if values.get(key) in (None, "") and value not in (None, ""):
                values[key] = value
        elif value not in (None, "", [], {}):
            values[key] = value
    if keep_identity:
        values["aliases"] = _union(values["aliases"], [new.customer_id, new.name])
    values.pop("kind", None)
    return Customer(**values)
