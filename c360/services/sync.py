"""Live sources: ``c360 sync``, ``c360 sources``, the worker's schedule, freshness, and the
live capture of Slack messages.

A sync reads each entry of a sources file. API entries (``connector: slack|hubspot|zendesk``)
are read page by page through their connector (``connectors/``); each page becomes one batch
of the ingest pipeline whose transaction also stores the source's cursor, the links of its
customer ids and what it deleted or merged (``Effects``). So a kill at any point keeps every
committed page, and the next sync re-reads at most the page in flight. File and SQL entries run
through the ingest service as ``c360 ingest --source`` runs them, and are recorded too.

Identity: a customer row of a source is the same c360 customer as an existing one with the id
its row names as external id, or with its domain; that source's id is then linked
(``customer_links``) and kept as an alias, and the source's other records follow the link.
Contacts (HubSpot) add people to their company's customer record.

Freshness: a source is *stale* when its last success is older than 3 times its interval, and
*failing* when its last attempt ended with an error; briefs name both, `c360 doctor` lists
them.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from c360.domain import Customer, Record, RowError, utc
from c360.services.ingest.summary import EffectBatch, Effects, IngestSummary, Item
from connectors.base import ApiRow, ApiRowError, Page, SourceError
from connectors.canonical import RowProblem, parse_record

log = logging.getLogger(__name__)

STALE_FACTOR = 3
NO_COMPLAINT = (
    "its ticket is not in c360 (the ticket was rejected): fix the ticket, then "
    "`c360 sync --name SOURCE --full` reads its comments again"
)
NO_CUSTOMER = (
    "names no customer (a ticket with no organization, an activity with no company): "
    "link it in the source; it is read again when it changes there (or with --full)"
)
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(value: Any, where: str) -> float | None:
    """``interval:`` of a source: seconds, or ``15m``, ``2h``, ``1d``."""
    if value in (None, ""):
        return None
    match = _INTERVAL.match(str(value))
    if not match or float(match.group(1)) <= 0:
        raise SourceError(
            f"{where}: interval {str(value)!r} is not a duration: use e.g. 300, 15m, 2h"
        )
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass
class SourceResult:
    name: str
    connector: str
    completed: bool
    summary: IngestSummary
    deleted: int = 0
    merged: int = 0
    failure: str | None = None
    cursor: str | None = None

    def to_dict(self) -> dict[str, Any]:
        counts = self.summary.to_dict(max_errors=100)
        return {
            "name": self.name,
            "connector": self.connector,
            "completed": self.completed,
            "inserted": counts["inserted"],
            "updated": counts["updated"],
            "unchanged": counts["unchanged"],
            "rejected": counts["rejected"],
            "deleted": self.deleted,
            "merged": self.merged,
            "embedded": counts["embedded"],
            "seconds": counts["seconds"],
            "cursor": self.cursor,
            "failure": self.failure,
            "errors": counts["errors"],
        }


@dataclass
class SyncReport:
    sources: list[SourceResult] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return all(s.completed for s in self.sources)

    def to_dict(self) -> dict[str, Any]:
        return {"completed": self.completed, "sources": [s.to_dict() for s in self.sources]}

    def describe(self) -> str:
        lines = []
        for s in self.sources:
            c = s.summary
            head = (
                f"{s.name} ({s.connector}): inserted {c.total('inserted')}, updated "
                f"{c.total('updated')}, unchanged {c.total('unchanged')}, rejected {c.rejected}, "
                f"deleted {s.deleted}"
            )
            lines.append(head + ("" if s.completed else f" - FAILED: {s.failure}"))
        return "\n".join(lines) or "no sources"


class _RunMemory:
    """What one source's run has resolved so far, before its batches are committed."""

    def __init__(self) -> None:
        self.links: dict[str, str] = {}
        self.customers: dict[str, Customer] = {}
        self.complaint_customers: dict[str, str] = {}
        self.deleted: set[str] = set()  # complaints deleted in this run
        self.rejected: set[str] = set()  # complaints rejected in this run
        self.written: dict[tuple[str, str], str] = {}  # (kind, id) -> hash handed to the pipeline
        self.line = 0


class SyncService:
    def __init__(self, sessions, ingest, settings, clock) -> None:
        self.sessions = sessions
        self._ingest = ingest  # a provider: the model loads only when a record is embedded
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._slack: dict[str, Any] = {}  # source name -> SlackChannels (live capture)

    @property
    def ingest(self):
        return self._ingest() if callable(self._ingest) else self._ingest

    # --- the sources file ---------------------------------------------------------------
    def load(self, source_file: str | Path) -> list[dict[str, Any]]:
        from connectors.sql import load_sources

        entries = load_sources(source_file)
        names = [str(e["name"]) for e in entries]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SourceError(
                f"{source_file}: source names must be unique (they key the cursors): {', '.join(dupes)}"
            )
        for entry in entries:
            entry["interval_seconds"] = parse_interval(
                entry.get("interval"), f"{source_file}: {entry['name']}"
            )
        return entries

    def connector_of(self, entry: dict[str, Any]) -> str:
        if entry.get("connector"):
            return str(entry["connector"])
        return "file" if entry.get("path") else "sql"

    def interval_of(self, entry: dict[str, Any]) -> float:
        return entry.get("interval_seconds") or self.settings.sync_interval_seconds

    # --- c360 sync ----------------------------------------------------------------------
    def sync(
        self, source_file: str | Path, name: str | None = None, full: bool = False
    ) -> SyncReport:
        entries = self.load(source_file)
        if name is not None:
            entries = [e for e in entries if e["name"] == name]
            if not entries:
                raise SourceError(f"{source_file}: no source named {name!r}")
        # Customers first: CRM and helpdesk sources create them; Slack, files and SQL refer to them.
        order = {"hubspot": 0, "zendesk": 1, "file": 2, "sql": 2, "slack": 3}
        entries.sort(key=lambda e: order.get(self.connector_of(e), 2))
        report = SyncReport()
        for entry in entries:
            report.sources.append(self.sync_entry(entry, full=full))
        return report

    def sync_entry(self, entry: dict[str, Any], full: bool = False) -> SourceResult:
        from store import sync as sync_store

        name, kind = str(entry["name"]), self.connector_of(entry)
        now = self.clock.now()
        with self.sessions() as session, session.begin():
            sync_store.start_attempt(session, name, kind, self.interval_of(entry), now)
            if full:
                sync_store.reset_cursor(session, name, kind, now)
            state = sync_store.source_state(session, name)
        cursor = (state or {}).get("cursor")
        result = SourceResult(name, kind, completed=False, summary=IngestSummary(sources=[name]))
        connector = None
        try:
            if kind in ("file", "sql"):
                result.summary = self._file_or_sql(entry, full)
            else:
                connector = self.build(entry)
                result.summary = self.ingest.ingest_batches(
                    self._batches(connector, cursor, result), [name]
                )
            result.completed = result.summary.completed
            result.failure = result.summary.failure
        except SourceError as exc:
            result.failure = str(exc)
        finally:
            if connector is not None:
                connector.close()
            with self.sessions() as session, session.begin():
                if kind in ("file", "sql") and result.completed:
                    seen = (
                        result.summary.total("inserted")
                        + result.summary.total("updated")
                        + result.summary.total("unchanged")
                    )
                    sync_store.advance_cursor(session, name, kind, None, seen, self.clock.now())
                sync_store.finish_attempt(
                    session,
                    name,
                    kind,
                    self.clock.now(),
                    None if result.completed else (result.failure or "did not complete"),
                )
                result.cursor = (sync_store.source_state(session, name) or {}).get("cursor")
        return result

    def _file_or_sql(self, entry: dict[str, Any], full: bool) -> IngestSummary:
        if entry.get("path"):
            return self.ingest.ingest_paths(
                [entry["path"]], kind=entry.get("kind"), mapping=entry.get("mapping"),
                progress=False, encoding=entry.get("encoding"),
            )  # fmt: skip
        key = f"sql:{entry['name']}"
        if full and entry.get("cursor_column"):
            from store import records as store

            with self.sessions() as session, session.begin():
                store.set_cursor(session, key, None, self.clock.now())
        return self.ingest.ingest_sql(
            entry["url"], entry["query"], kind=entry.get("kind"), mapping=entry.get("mapping"),
            cursor_column=entry.get("cursor_column"), source_key=entry["name"], progress=False,
        )  # fmt: skip

    def build(self, entry: dict[str, Any]):
        """The connector of an API entry, with its credentials from the settings."""
        name, kind = str(entry["name"]), entry["connector"]
        pace = entry.get("pace")
        pace = float(pace) if pace is not None else None
        retries = int(
            entry.get("retries", 5)
        )  # 429/5xx retries of one call before the source fails
        secret = lambda s: s.get_secret_value() if s is not None else ""  # noqa: E731
        if kind == "zendesk":
            from connectors.zendesk import ZendeskConnector

            return ZendeskConnector(
                name, str(entry.get("subdomain") or ""), self.settings.zendesk_email or "",
                secret(self.settings.zendesk_api_token), base_url=entry.get("base_url"), pace=pace,
                per_page=int(entry.get("per_page") or 1000), retries=retries,
            )  # fmt: skip
        if kind == "hubspot":
            from connectors.hubspot import HubSpotConnector

            return HubSpotConnector(
                name, secret(self.settings.hubspot_token), base_url=entry.get("base_url"),
                arr_property=str(entry.get("arr_property") or "arr"),
                external_id_property=entry.get("external_id_property"), pace=pace, retries=retries,
            )  # fmt: skip
        from connectors.slack import SlackChannels

        channels = entry.get("channels") or {}
        if not isinstance(channels, dict):
            raise SourceError(
                f"{name}: 'channels:' must map channel ids to customer ids (C0ACME: ACME-1)"
            )
        return SlackChannels(
            name, secret(self.settings.slack_bot_token),
            base_url=str(entry.get("base_url") or self.settings.slack_api_url),
            channels={str(k): str(v) for k, v in channels.items()},
            customer_by_domain=self.customer_by_domain, pace=pace,
        )  # fmt: skip

    def customer_by_domain(self, domain: str) -> str | None:
        from store import sync as sync_store

        with self.sessions() as session:
            return sync_store.customers_by_domain(session, [domain]).get(domain.lower())

    # --- pages -> batches ---------------------------------------------------------------
    def _batches(self, connector, cursor: str | None, result: SourceResult) -> Iterator[list[Any]]:
        memory = _RunMemory()
        for page in connector.pages(cursor):
            batch = EffectBatch(self._items(connector, page, memory))
            batch.effects = self._effects(connector, page, memory)
            result.deleted += len(batch.effects.deleted)
            result.merged += len(batch.effects.merged)
            yield batch

    def _effects(self, connector, page: Page, memory: _RunMemory) -> Effects:
        from store import sync as sync_store

        name, kind = connector.name, connector.connector
        new_links = dict(getattr(page, "_new_links", {}))
        seen = len(page.rows)

        def apply(session, now) -> None:
            for alias, (target, reason) in sorted(new_links.items()):
                sync_store.add_link(session, alias, target, name, reason, now)
            sync_store.advance_cursor(session, name, kind, page.cursor, seen, now)

        deleted = [
            d for d in page.deleted if not (d.startswith("customer:") and d[9:] in memory.links)
        ]
        return Effects(deleted=deleted, merged=dict(page.merged), apply=apply, source=name)

    def _items(self, connector, page: Page, memory: _RunMemory) -> list[Any]:
        from store import sync as sync_store

        now = self.clock.now()
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
            with self.sessions() as session:
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
        with self.sessions() as session:
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

    # --- c360 sources, freshness ------------------------------------------------------------
    def states(self) -> list[dict[str, Any]]:
        from store import sync as sync_store

        with self.sessions() as session:
            states = sync_store.source_states(session)
        now = self.clock.now()
        for state in states:
            state.update(self._health(state, now))
        return states

    def _health(self, state: dict[str, Any], now: datetime) -> dict[str, Any]:
        interval = state.get("interval_seconds") or self.settings.sync_interval_seconds
        success = state.get("last_success_at")
        error_at = state.get("last_error_at")
        failing = bool(state.get("last_error")) and (
            success is None or (error_at and error_at >= success)
        )
        stale = success is None or (now - success) > timedelta(seconds=STALE_FACTOR * interval)
        return {"failing": failing, "stale": stale}

    def freshness(self) -> list[dict[str, Any]]:
        """Per source: name, connector, last success ("as of"), and whether it is failing or
        stale, for the brief and `c360 doctor`. API sources only: a file has no schedule."""
        return [s for s in self.states() if s["connector"] in ("slack", "hubspot", "zendesk")]

    # --- the worker's schedule --------------------------------------------------------------
    def run_due(self, source_file: str | Path) -> SyncReport:
        """Sync every source whose interval has passed since its last attempt."""
        from store import sync as sync_store

        report = SyncReport()
        now = self.clock.now()
        entries = self.load(source_file)
        with self.sessions() as session:
            states = {s["name"]: s for s in sync_store.source_states(session)}
        for entry in entries:
            last = (states.get(entry["name"]) or {}).get("last_attempt_at")
            if last is None or (now - last).total_seconds() >= self.interval_of(entry):
                report.sources.append(self.sync_entry(entry))
        return report

    def run_schedule(
        self, source_file: str | Path, stop: threading.Event, poll: float = 5.0
    ) -> None:
        while not stop.is_set():
            try:
                for result in self.run_due(source_file).sources:
                    if not result.completed:
                        log.warning("sync of %s failed: %s", result.name, result.failure)
            except SourceError as exc:
                log.error("sources file: %s", exc)
            except Exception as exc:  # the worker keeps running; the next pass tries again
                log.error("sync pass failed (%s)", type(exc).__name__)
            stop.wait(poll)

    # --- live capture -------------------------------------------------------------------------
    def capture_channel_message(self, message) -> str | None:
        """The bot's channel-message hook (``SlackEventService.on_channel_message``): a
        ``ChannelMessage`` (channel_id, user_id, ts, text, thread_ts, channel_type)."""
        event = {
            "type": "message",
            "channel": message.channel_id,
            "user": message.user_id,
            "ts": message.ts,
            "text": message.text,
            "channel_type": getattr(message, "channel_type", None),
        }
        if getattr(message, "thread_ts", None):
            event["thread_ts"] = message.thread_ts
        return self.capture_slack_message(event)

    def capture_slack_message(self, event: dict[str, Any]) -> str | None:
        """A ``message`` event -> a moment, when its channel maps to a customer through a slack
        source of ``C360_SOURCES_FILE``; the same id as the sync gives it (by ts), so the next
        sync finds it unchanged. Returns the moment id, None when the message is not one."""
        channel = event.get("channel")
        source_file = self.settings.sources_file
        if not channel or source_file is None or not event.get("ts"):
            return None
        from connectors.slack import is_person_message

        if not is_person_message(event):
            return None
        for entry in self.load(source_file):
            if entry.get("connector") != "slack":
                continue
            with self._lock:
                connector = self._slack.get(entry["name"])
                if connector is None:
                    connector = self._slack[entry["name"]] = self.build(entry)
            customer = connector.channels.get(channel)
            shared = event.get("channel_type") == "channel" and bool(
                event.get("is_ext_shared_channel")
            )
            if customer is None:
                info = connector.channel_info(channel)
                shared = bool(info.get("is_ext_shared"))
                customer = connector._customer_of_shared(channel) if shared else None
            elif event.get("is_ext_shared_channel") is None:
                shared = bool(connector.channel_info(channel).get("is_ext_shared"))
            if not customer:
                continue
            row = connector.message_row(channel, customer, shared, event)
            if row is None:
                return None
            memory = _RunMemory()
            items = self._items(connector, Page([row]), memory)
            summary = self.ingest.ingest_batches(iter([items]), [entry["name"]])
            if summary.errors:
                log.warning("live capture rejected %s", summary.errors[0])
                return None
            return row.data["moment_id"]
        return None


def _slices(items: list[str], size: int = 900):
    for start in range(0, len(items), size):
        yield items[start : start + size]


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


__all__ = ["RowError", "SourceResult", "SyncReport", "SyncService", "parse_interval"]
