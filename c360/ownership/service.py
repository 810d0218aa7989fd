"""``OwnershipService``: the one object the CLI, the bot and the ingest listener call. A thin
facade; the work is in the package's rooms:

- ``rules.py``: the rules file and one function per rule type;
- ``alerting.py``: records -> alerts (ingest listener, scans), the one-line summary;
- ``lifecycle.py``: claim / assign / release / snooze / resolve through one transition helper;
- ``outbox.py`` and ``timers.py``: sending through the ``Notifier`` port exactly once,
  escalations and reminders, the worker loop;
- ``report.py``: outcomes and the App Home summary;
- ``types.py``: the values handed to the bot and the ``Notifier`` port.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from c360.domain import Alert, Record
from c360.ownership import alerting, lifecycle, outbox, report, timers
from c360.ownership.rules import RulesConfig, load_rules
from c360.ownership.types import ActionResult, AlertView, Notifier
from store import ownership as db
from store import queries


class OwnershipService:
    def __init__(
        self,
        sessions,
        settings,
        clock,
        notifier: Notifier | Callable[[], Notifier | None] | None = None,
        briefs: Any | Callable[[], Any] | None = None,
        rules: RulesConfig | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        # Providers, so building this service never builds Slack clients or the brief service
        # (which loads the embedding model); they are made on first need.
        self._notifier = notifier
        self._briefs = briefs
        self._rules = rules
        self.worker_id = f"{os.uname().nodename}-{os.getpid()}"

    # --- wiring ---------------------------------------------------------------------------
    @cached_property
    def rules(self) -> RulesConfig:
        return self._rules or load_rules(self.settings.rules_file)

    @property
    def notifier(self) -> Notifier | None:
        value = self._notifier
        if callable(value) and not hasattr(value, "post_alert"):
            value = value()
            self._notifier = value
        return value

    @property
    def briefs(self):
        value = self._briefs
        if callable(value) and not hasattr(value, "brief"):
            value = value()
            self._briefs = value
        return value

    # --- rules (alerting.py) -------------------------------------------------------------
    def on_records(self, summary, records: list[Record]) -> None:
        alerting.on_records(self, summary, records)

    def evaluate(self, records: Iterable[Record], backlog: bool = False) -> list[str]:
        return alerting.evaluate(self, records, backlog)

    def scan(self, since_days: float, backlog: bool = True) -> list[str]:
        return alerting.scan(self, since_days, backlog)

    # --- views ----------------------------------------------------------------------------
    def view(self, alert_id: str) -> AlertView | None:
        with self.sessions() as session:
            alert = db.get_alert(session, alert_id)
            return self.views(session, [alert])[0] if alert is not None else None

    def views(self, session, alerts: Sequence[Alert]) -> list[AlertView]:
        customers = queries.get_customers(session, {a.customer_id for a in alerts})
        return [
            AlertView.of(a, customers[a.customer_id].name if a.customer_id in customers else None)
            for a in alerts
        ]

    def events(self, alert_id: str) -> list[dict[str, Any]]:
        with self.sessions() as session:
            return [
                {
                    "kind": e.kind,
                    "actor_id": e.actor_id,
                    "actor_name": e.actor_name,
                    "at": e.at,
                    "detail": e.detail,
                }
                for e in db.events(session, alert_id)
            ]

    def alerts(self) -> list[AlertView]:
        with self.sessions() as session:
            everything = db.alerts_created_since(session, datetime(1970, 1, 1, tzinfo=UTC))
            return self.views(session, everything)

    # --- lifecycle (lifecycle.py) ----------------------------------------------------------
    def claim(
        self, alert_id: str, user_id: str, user_name: str | None = None, team: str | None = None
    ) -> ActionResult:
        return lifecycle.claim(self, alert_id, user_id, user_name, team)

    def assign(
        self,
        alert_id: str,
        assignee_id: str,
        by_user_id: str,
        assignee_name: str | None = None,
        by_user_name: str | None = None,
        team: str | None = None,
    ) -> ActionResult:
        return lifecycle.assign(
            self, alert_id, assignee_id, by_user_id, assignee_name, by_user_name, team
        )

    def release(self, alert_id: str, user_id: str, user_name: str | None = None) -> ActionResult:
        return lifecycle.release(self, alert_id, user_id, user_name)

    def snooze(
        self, alert_id: str, user_id: str, choice: str, user_name: str | None = None
    ) -> ActionResult:
        return lifecycle.snooze(self, alert_id, user_id, choice, user_name)

    def resolve(self, alert_id: str, user_id: str, user_name: str | None = None) -> ActionResult:
        return lifecycle.resolve(self, alert_id, user_id, user_name)

    # --- delivery and timers (outbox.py, timers.py) ---------------------------------------
    def deliver(
        self, keys: Sequence[str] | None = None, limit: int = 20, worker_id: str | None = None
    ) -> int:
        return outbox.deliver(self, keys, limit, worker_id)

    def fire_timers(self) -> int:
        return timers.fire_timers(self)

    def run_once(self, limit: int = 50) -> dict[str, int]:
        return timers.run_once(self, limit)

    def run_worker(
        self,
        stop: threading.Event | None = None,
        poll_seconds: float | None = None,
        max_loops: int | None = None,
    ) -> None:
        timers.run_worker(self, stop, poll_seconds, max_loops)

    def pending_messages(self) -> int:
        return timers.pending_messages(self)

    # --- outcomes (report.py) ---------------------------------------------------------------
    def report(self, since_days: float = 30) -> dict[str, Any]:
        return report.report(self, since_days)

    def home_summary(self, user_id: str, limit: int = 10) -> dict[str, Any]:
        return report.home_summary(self, user_id, limit)
