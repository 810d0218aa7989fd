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
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from c360.domain import Alert
from c360.ownership import alerting, lifecycle, outbox, timers
from c360.ownership import report as outcomes
from c360.ownership.rules import RulesConfig, load_rules
from c360.ownership.types import AlertView, Notifier
from c360.ports import OwnershipPort
from store import ownership as db
from store import queries


class OwnershipService(OwnershipPort):
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
        return self._provided("_notifier", "post_alert")

    @property
    def briefs(self):
        return self._provided("_briefs", "brief")

    def _provided(self, slot: str, method: str):
        """What ``slot`` holds: the object itself, or (a callable without ``method``) a provider,
        called once on first need and replaced by what it made."""
        value = getattr(self, slot)
        if callable(value) and not hasattr(value, method):
            value = value()
            setattr(self, slot, value)
        return value

    # The rooms' functions take the service as their first argument (``ctx``: sessions,
    # settings, clock, rules, notifier, briefs), so they are this class's methods as they are.

    # --- rules (alerting.py) -------------------------------------------------------------
    on_records = alerting.on_records  # the IngestService listener
    evaluate = alerting.evaluate
    scan = alerting.scan

    # --- views ----------------------------------------------------------------------------
    def view(self, alert_id: str) -> AlertView | None:
        with self.sessions() as session:
            alert = db.get_alert(session, alert_id)
            return self.views(session, [alert])[0] if alert is not None else None

    def views(self, session, alerts: Sequence[Alert]) -> list[AlertView]:
        customers = queries.get_customers(session, {a.customer_id for a in alerts})
        records = queries.records_by_ids(session, {a.record_id for a in alerts})
        return [
            AlertView.of(
                a,
                customers[a.customer_id].name if a.customer_id in customers else None,
                records.get(a.record_id),
                self.settings.sensitive_fields,
            )
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
    claim = lifecycle.claim
    assign = lifecycle.assign
    release = lifecycle.release
    snooze = lifecycle.snooze
    resolve = lifecycle.resolve

    # --- delivery and timers (outbox.py, timers.py) ---------------------------------------
    deliver = outbox.deliver
    fire_timers = timers.fire_timers
    run_once = timers.run_once
    run_worker = timers.run_worker
    pending_messages = timers.pending_messages

    # --- outcomes (report.py) ---------------------------------------------------------------
    report = outcomes.report
    home_summary = outcomes.home_summary
