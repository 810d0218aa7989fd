"""``c360 sources``, freshness and the worker's schedule.

Freshness: a source is *stale* when its last success is older than 3 times its interval, and
*failing* when its last attempt ended with an error; briefs name both, `c360 doctor` lists
them.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from c360.services.sync.results import SyncReport
from connectors.base import SourceError

log = logging.getLogger(__name__)

STALE_FACTOR = 3


class SourceSchedule:
    """``SyncService``'s states, freshness and schedule (it gives ``sessions``, ``settings``,
    ``clock``, ``load``, ``interval_of`` and ``sync_entry``)."""

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
