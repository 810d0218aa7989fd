"""``SyncService``: the sources file and ``c360 sync``.

API entries (``connector: slack|hubspot|zendesk``) are read page by page through their
connector (``connectors/``); each page becomes one batch of the ingest pipeline whose
transaction also stores the source's cursor, the links of its customer ids and what it deleted
or merged (``Effects``). So a kill at any point keeps every committed page, and the next sync
re-reads at most the page in flight. File and SQL entries run through the ingest service as
``c360 ingest --source`` runs them, and are recorded too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from c360.services.ingest.summary import EffectBatch, Effects, IngestSummary
from c360.services.sync.live import LiveCapture
from c360.services.sync.pages import RunMemory, page_effects, page_items
from c360.services.sync.results import SourceResult, SyncReport, parse_interval
from c360.services.sync.schedule import SourceSchedule
from connectors.base import ApiSource, SourceError


class SyncService(SourceSchedule, LiveCapture):
    """Live sources: the sources file, ``c360 sync`` (pages -> ingest batches), and through
    its rooms the schedule, freshness (``schedule``) and live capture (``live``)."""

    def __init__(self, sessions, ingest, settings, clock) -> None:
        self.sessions = sessions
        self._ingest = ingest  # a provider: the model loads only when a record is embedded
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._slack: dict[str, Any] = {}  # source name -> SlackChannels (live capture)
        self._live_file: tuple[Any, list[dict[str, Any]]] | None = None  # (stamp, slack entries)

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
        source = ApiSource(name, entry.get("base_url"), pace, retries)
        if kind == "zendesk":
            from connectors.zendesk import ZendeskConnector

            return ZendeskConnector(
                source, str(entry.get("subdomain") or ""), self.settings.zendesk_email or "",
                secret(self.settings.zendesk_api_token), per_page=int(entry.get("per_page") or 1000),
            )  # fmt: skip
        if kind == "hubspot":
            from connectors.hubspot import HubSpotConnector

            return HubSpotConnector(
                source, secret(self.settings.hubspot_token),
                arr_property=str(entry.get("arr_property") or "arr"),
                external_id_property=entry.get("external_id_property"),
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
            customer_by_domain=self.customer_by_domain, pace=pace, known_urls=self.moment_urls,
        )  # fmt: skip

    def moment_urls(self, moment_ids: list[str]) -> dict[str, str]:
        """The urls stored for these moments (those that have one)."""
        from store import sync as sync_store

        with self.sessions() as session:
            return sync_store.moment_urls(session, moment_ids)

    def customer_by_domain(self, domain: str) -> str | None:
        from store import sync as sync_store

        with self.sessions() as session:
            return sync_store.customers_by_domain(session, [domain]).get(domain.lower())

    # --- pages -> batches ---------------------------------------------------------------
    def _batches(self, connector, cursor: str | None, result: SourceResult) -> Iterator[list[Any]]:
        memory = RunMemory()
        for page in connector.pages(cursor):
            yield self._batch(connector, page, memory, result)
        yield from self._read_again(connector, memory, result)

    def _batch(self, connector, page, memory: RunMemory, result: SourceResult) -> EffectBatch:
        batch = EffectBatch(page_items(self.sessions, self.clock.now(), connector, page, memory))
        batch.effects = page_effects(connector, page, memory)
        result.deleted += len(batch.effects.deleted)
        result.merged += len(batch.effects.merged)
        return batch

    def _read_again(self, connector, memory: RunMemory, result: SourceResult):
        """What hangs on records a sync rejected and that are valid now (a ticket's comments),
        read again; pending until the batch after them commits, so a kill re-reads them."""
        if not hasattr(connector, "pages_about"):
            return
        from store import sync as sync_store

        with self.sessions() as session:
            waiting = sync_store.pending(session, connector.name)
            valid = sorted(sync_store.complaint_customers(session, waiting))
        if not valid:
            return
        for page in connector.pages_about(valid):
            yield self._batch(connector, page, memory, result)
        done = EffectBatch()
        done.effects = Effects(
            source=connector.name,
            apply=lambda session, now: sync_store.put_pending(
                session, connector.name, [], valid, now
            ),
        )
        yield done
