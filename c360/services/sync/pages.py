"""A page of a live source -> ingest items, with identity linking.

A customer row of a source is the same c360 customer as an existing one with the id its row
names as external id, or with its domain; that source's id is then linked (``customer_links``)
and kept as an alias, and the source's other records follow the link. Contacts (HubSpot) are
people on their company's customer record (a line under ``people`` and their e-mail); where each
one is listed is kept (``person_links``), so a contact archived, merged away or moved to another
company leaves the record that listed it.
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
        self.reported: set[tuple[str, str]] = set()  # (kind, error) already in the summary
        # person id -> (customer id, line, email) where this run listed them; None: nowhere
        self.people: dict[str, tuple[str, str, str | None] | None] = {}
        self.line = 0
        # What the page in hand resolved, committed with it (``page_effects``).
        self.page_links: dict[str, tuple[str, str]] = {}
        self.page_people: dict[str, tuple[str, str, str | None]] = {}
        self.page_people_gone: set[str] = set()
        self.page_pending: set[str] = set()  # complaints whose comments wait for their ticket
        self.page_pending_done: set[str] = set()
        self.page_unlinked: set[str] = set()  # deleted customer ids that were linked
        self.page_deleted: list[str] = []  # their records, when no other link brought any

    def start_page(self) -> None:
        self.page_links, self.page_people, self.page_people_gone = {}, {}, set()
        self.page_pending, self.page_pending_done = set(), set()
        self.page_unlinked, self.page_deleted = set(), []


def page_effects(connector, page: Page, memory: RunMemory) -> Effects:
    """What committing a page does besides its records: new links, the cursor, deletes, merges."""
    from store import sync as sync_store

    name, kind = connector.name, connector.connector
    new_links = dict(memory.page_links)
    listed, gone = dict(memory.page_people), set(memory.page_people_gone)
    waiting, done = set(memory.page_pending), set(memory.page_pending_done)
    unlinked = set(memory.page_unlinked)
    seen = len(page.rows)

    def apply(session, now) -> None:
        for alias in sorted(unlinked):
            sync_store.unlink(session, alias)
        for alias, (target, reason) in sorted(new_links.items()):
            sync_store.add_link(session, alias, target, name, reason, now)
        if listed or gone:
            sync_store.put_person_links(session, listed, gone, name, now)
        if waiting or done:
            sync_store.put_pending(session, name, waiting, done, now)
        if page.cursor is None:  # a page read again (a ticket's comments): no cursor moves
            sync_store.count_seen(session, name, kind, seen, now)
        else:
            sync_store.advance_cursor(session, name, kind, page.cursor, seen, now)

    deleted = [
        d
        for d in page.deleted
        if not d.startswith("person:")
        and not (d.startswith("customer:") and (d[9:] in memory.links or d[9:] in unlinked))
    ] + list(memory.page_deleted)
    return Effects(deleted=deleted, merged=dict(page.merged), apply=apply, source=name)


def page_items(sessions, now: datetime, connector, page: Page, memory: RunMemory) -> list[Any]:
    """A page's rows -> ingest items (and ``ApiRowError`` rows): customers find the c360
    customer they are, contacts join their company, moments and complaints follow the links."""
    from store import sync as sync_store

    out: list[Any] = []
    new_links: dict[str, tuple[str, str]] = {}
    parsed: list[tuple[ApiRow, Record]] = []
    people: dict[str, dict[str, Any]] = {}  # person id -> its row (company None: no company)
    people_gone = {d[7:] for d in page.deleted if d.startswith("person:")}
    memory.start_page()
    for gone in page.deleted:
        if gone.startswith("complaint:"):
            memory.complaint_customers.pop(gone[10:], None)
            memory.deleted.add(gone[10:])
            memory.page_pending_done.add(gone[10:])
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
            people[str(row.data["person_id"])] = row.data
            continue
        data = row.data
        where = f"{connector.name}: {row.where}"
        if row.kind == "moment" and data.get("complaint_id"):
            complaint = str(data["complaint_id"])
            if complaint in memory.deleted:
                continue
            owner = memory.complaint_customers.get(complaint)
            if owner is None:
                # Its ticket was rejected (in this run: say so; or earlier) or deleted. Kept
                # as pending: once the ticket is valid, its comments are read again.
                if complaint in memory.rejected:
                    out.append(("moment", ApiRowError(where, memory.line, NO_COMPLAINT)))
                memory.page_pending.add(complaint)
                continue
            data = {**data, "customer_id": owner}
        elif row.kind in ("moment", "complaint") and not data.get("customer_id"):
            out.append((row.kind, ApiRowError(where, memory.line, NO_CUSTOMER)))
            if row.kind == "complaint":
                memory.rejected.add(str(data.get("complaint_id")))
                memory.page_pending.add(str(data.get("complaint_id")))
            continue
        try:
            parsed.append((row, parse_record(row.kind, data, now=now)))
        except RowProblem as exc:
            out.append(
                (row.kind, ApiRowError(f"{connector.name}: {row.where}", memory.line, str(exc)))
            )
            if row.kind == "complaint" and data.get("complaint_id"):
                memory.rejected.add(str(data["complaint_id"]))
                memory.page_pending.add(str(data["complaint_id"]))
    customers = [(r, rec) for r, rec in parsed if rec.kind == "customer"]
    companies = {p["customer_id"] for p in people.values() if p.get("customer_id")}
    gone_customers = {d[9:] for d in page.deleted if d.startswith("customer:")}
    with sessions() as session:
        wanted = {rec.customer_id for _, rec in parsed} | companies | set(page.merged)
        stored_links = sync_store.links(session, (wanted | gone_customers) - set(memory.links))
        memory.links.update(stored_links)
        unlinked = _unlink(session, connector, memory, gone_customers)
        listed = _listed(session, memory, set(people) | people_gone)
        merged_people = sync_store.people_of(session, page.merged)
        domains = sync_store.customers_by_domain(
            session, [c.domain for _, c in customers if c.domain]
        )
        same_as = {s for r, _ in customers for s in r.same_as}
        candidates = sync_store.customers(
            session, same_as | {c.customer_id for _, c in customers} | set(domains.values())
            | {memory.links.get(c, c) for c in companies}
            | {where[0] for where in listed.values()} | set(page.merged.values())
            | set(unlinked.values())
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
    # 2. people (contacts): each listed on its company's record, and taken off the record
    # that listed it before (archived, merged away, moved to another company, renamed).
    touched: dict[str, Customer] = {}

    def record_of(cid: str) -> Customer | None:
        return touched.get(cid) or memory.customers.get(cid) or _customer(candidates.get(cid))

    for old, survivor in page.merged.items():  # a merged company's people join the survivor
        target = memory.links.get(survivor, survivor)
        base = record_of(target)
        for link in merged_people.get(old, []) if base else []:
            touched[target] = base = _listing(base, add=(link.line, link.email))
            memory.people[link.person_id] = (target, link.line, link.email)
    for person_id in sorted(set(people) | people_gone):
        data = None if person_id in people_gone else people[person_id]
        company = (data or {}).get("customer_id")
        target = memory.links.get(company, company) if company else None
        now_at = (target, _person(data), data.get("email")) if data and target else None
        before = listed.get(person_id)
        if now_at is not None and record_of(target) is None:
            out.append(("customer", ApiRowError(
                f"{connector.name}: contact {person_id}", memory.line,
                "its company is not synced (yet): the contact is read again when it changes",
            )))  # fmt: skip
            now_at = None
            if before is None:
                continue
        if before == now_at:
            continue
        if before is not None:
            base = record_of(before[0])
            if base is not None:
                others = [w for p, w in listed.items() if p != person_id and w[0] == before[0]]
                keep = {w[1] for w in others} | {w[2] for w in others if w[2]}
                touched[before[0]] = _listing(base, remove=before[1:], keep=keep)
        memory.people[person_id] = now_at
        if now_at is not None:
            touched[target] = _listing(record_of(target), add=now_at[1:])
            memory.page_people[person_id] = listed[person_id] = now_at
        else:
            memory.page_people_gone.add(person_id)
            listed.pop(person_id, None)
    # 2b. a deleted customer that was linked to another: its id and name leave those aliases.
    for alias, target in sorted(unlinked.items()):
        base = record_of(target)
        if base is not None:
            drop = {alias, page.names.get(alias)}
            touched[target] = replace(base, aliases=[a for a in base.aliases if a not in drop])
    for cid, record in sorted(touched.items()):
        memory.customers[cid] = record
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
    memory.page_links = new_links  # committed with the page (page_effects)
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
        else:  # an object rejected twice (a page boundary read again) is reported once
            said = (entry[0], str(entry[1]))
            if said in memory.reported:
                continue
            memory.reported.add(said)
        kept.append(entry)
    return kept


def _union(first: list[Any], second: list[Any]) -> list[Any]:
    out = list(first)
    for value in second:
        if value not in out:
            out.append(value)
    return out


def _unlink(session, connector, memory: RunMemory, gone: set[str]) -> dict[str, str]:
    """Deleted customers of the source that were the same customer as another c360 customer
    (linked by domain or external id) -> that customer. The link goes; so do the source's
    records under it, when this was the source's only link there and the customer is not one
    of the source's own (else they cannot be told apart, and stay until changed or deleted).
    A customer merged away in the source keeps its link: its records live on in the survivor."""
    from store import sync as sync_store

    linked = [alias for alias in sorted(gone) if alias in memory.links]
    reasons = sync_store.link_reasons(session, linked)  # one not committed yet stays linked
    unlinked = {
        alias: memory.links.pop(alias)
        for alias in linked
        if reasons.get(alias) in sync_store.IDENTITY_REASONS
    }
    counts = sync_store.source_links_to(session, connector.name, unlinked.values())
    owns = getattr(connector, "owns", lambda customer_id: True)
    for alias, target in unlinked.items():
        memory.page_unlinked.add(alias)
        if counts.get(target, 0) <= 1 and not owns(target):
            records = sync_store.source_records_of(session, connector.name, target)
            memory.page_deleted += records
            memory.deleted |= {r[10:] for r in records if r.startswith("complaint:")}
    return unlinked


def _listed(session, memory: RunMemory, person_ids: set[str]) -> dict[str, tuple]:
    """person id -> (customer id, line, email) where the person is listed now: this run's
    view first, then the store's links. Persons listed nowhere are left out."""
    from store import sync as sync_store

    out: dict[str, tuple] = {}
    ask = [p for p in person_ids if p not in memory.people]
    customers = set()
    for person_id, link in sync_store.person_links(session, ask).items():
        out[person_id] = (link.customer_id, link.line, link.email)
        customers.add(link.customer_id)
    # Co-listed persons of those customers: a line or e-mail two persons share stays.
    for cid, links in sync_store.people_of(session, customers).items():
        for link in links:
            out.setdefault(link.person_id, (cid, link.line, link.email))
    for person_id, where in memory.people.items():
        if where is not None:
            out[person_id] = where
        else:
            out.pop(person_id, None)
    return out


def _listing(
    base: Customer,
    add: tuple[str, str | None] | None = None,
    remove: tuple[str, str | None] | None = None,
    keep: set[str] = frozenset(),  # type: ignore[assignment]
) -> Customer:
    """``base`` with a person's line (attribute ``people``) and e-mail added or removed; a
    value in ``keep`` (another person's) is not removed."""
    lines = list(base.attributes.get("people") or [])
    emails = list(base.emails)
    if remove is not None:
        line, email = remove
        lines = [x for x in lines if x != line or x in keep]
        emails = [e for e in emails if e != email or e in keep]
    if add is not None:
        line, email = add
        lines = _union(lines, [line])
        emails = _union(emails, [email] if email else [])
    attributes = dict(base.attributes)
    if lines:
        attributes["people"] = lines
    else:
        attributes.pop("people", None)
    return replace(base, emails=emails, attributes=attributes)


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
