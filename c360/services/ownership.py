"""Ownership: "no one owns the customer, but someone always owns the moment".

Three parts, one service:

1. **Rules** (``rules.yml``) decide that a new moment or complaint needs an owner and say why.
   They run on the records an ingest just inserted (``IngestService.add_listener``); records
   older than the rules file's ``backlog_hours`` are the backlog of a first import and raise
   nothing unless a scan asks for it (``c360 alerts scan --backlog``).
2. **The alert lifecycle**: claim (atomic: one conditional UPDATE), assign, release, snooze,
   resolve; each change is an event row (who, what, when).
3. **Delivery and timers**: every Slack message goes through an outbox row with a unique
   ``dedupe_key`` (recorded pending -> sent by one leased worker -> marked). Escalation and
   reminder timers are ``due_at`` columns a worker picks up with row locks. A sender that
   died after Slack took the message but before marking it leaves a row another worker
   retries; the retry first looks for the key in the channel's message metadata, so a
   message is neither lost nor posted twice.

Slack is reached only through the ``Notifier`` port (``bot.notifier.SlackNotifier`` in
production), so this module knows nothing of HTTP or Block Kit.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import statistics
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import yaml

from c360.domain import Asker, Complaint, Moment, Record
from c360.safety.escaping import mention, slack_escape
from c360.safety.masking import mask_text
from c360.safety.suspicious import is_suspicious
from prompts.brief import suspicious_note

log = logging.getLogger(__name__)

RULE_TYPES = ("new_complaint", "negative_inbound", "repeat_contact", "key_account", "needs_owner")
# Parameters each rule type understands, with defaults. A key not listed here is a typo in the
# rules file and is refused with its line number.
RULE_DEFAULTS: dict[str, dict[str, Any]] = {
    "new_complaint": {"statuses": ["open", "in_progress"]},
    "negative_inbound": {"threshold": -0.3, "channels": None},
    "repeat_contact": {"min_moments": 3, "days": 7},
    "key_account": {"arr_above": None, "threshold": -0.05, "include_complaints": True},
    "needs_owner": {"tags": ["needs-owner", "needs_owner"]},
}
MAX_SEND_ATTEMPTS = 8  # then the outbox row is marked failed (kept, with its last error)
SNOOZE_CHOICES = {"1h": "1 hour", "4h": "4 hours", "tomorrow": "tomorrow 09:00 UTC"}


class RulesError(ValueError):
    """A rules file that cannot be used: says which file, which line and what to change."""

    def __init__(self, source: str, line: int, reason: str) -> None:
        super().__init__(f"{source}:{line}: {reason}")
        self.source, self.line, self.reason = source, line, reason


# --- rules file -----------------------------------------------------------------------------
@dataclass
class RuleSpec:
    name: str
    type: str
    reason: str
    params: dict[str, Any]
    enabled: bool = True
    line: int = 0


@dataclass
class RulesConfig:
    rules: list[RuleSpec]
    backlog_hours: float = 48
    teams: dict[str, str] = field(default_factory=dict)  # Slack user id -> team
    source: str = "rules.yml"

    def team_of(self, user_id: str | None, fallback: str | None = None) -> str:
        if user_id and user_id in self.teams:
            return self.teams[user_id]
        return fallback or "unassigned"


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line of every mapping, for error messages."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def default_rules_path() -> Path:
    return Path(str(resources.files("c360") / "rules.yml"))


def load_rules(path: str | Path | None = None) -> RulesConfig:
    """Read and check a rules file (default: the packaged ``c360/rules.yml``)."""
    path = Path(path) if path else default_rules_path()
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(
            source,
            0,
            f"cannot read the rules file ({exc.strerror}); set C360_RULES_FILE to an existing YAML file",
        ) from exc
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RulesError(
            source,
            (mark.line + 1) if mark else 0,
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RulesError(
            source, 1, "expected a mapping with a `rules:` list (see docs/ownership.md)"
        )
    rules: list[RuleSpec] = []
    names: set[str] = set()
    for entry in doc["rules"]:
        if not isinstance(entry, dict):
            raise RulesError(
                source, doc["__line__"], "each rule must be a mapping with name, type and reason"
            )
        line = entry.pop("__line__", 0)
        name, rtype, reason = (
            entry.pop("name", None),
            entry.pop("type", None),
            entry.pop("reason", None),
        )
        enabled = entry.pop("enabled", True)
        if not name or not isinstance(name, str):
            raise RulesError(source, line, "a rule needs a `name`")
        if name in names:
            raise RulesError(
                source, line, f"rule name {name!r} is used twice; names must be unique"
            )
        if rtype not in RULE_TYPES:
            raise RulesError(
                source,
                line,
                f"rule {name!r}: unknown type {rtype!r}; use one of {', '.join(RULE_TYPES)}",
            )
        if not reason or not isinstance(reason, str):
            raise RulesError(
                source,
                line,
                f"rule {name!r}: a `reason` (the sentence the alert shows) is required",
            )
        params = dict(RULE_DEFAULTS[rtype])
        for key, value in entry.items():
            if key not in params:
                raise RulesError(
                    source,
                    line,
                    f"rule {name!r}: unknown setting {key!r} for type {rtype}; known: {', '.join(params) or 'none'}",
                )
            params[key] = value
        _check_params(source, line, name, rtype, params)
        names.add(name)
        rules.append(RuleSpec(name, rtype, reason, params, bool(enabled), line))
    teams: dict[str, str] = {}
    raw_teams = doc.get("teams") or {}
    if not isinstance(raw_teams, dict):
        raise RulesError(
            source, doc["__line__"], "`teams:` must map a team name to a list of Slack user ids"
        )
    for team, members in raw_teams.items():
        if team == "__line__":
            continue
        if not isinstance(members, list):
            raise RulesError(
                source, raw_teams["__line__"], f"team {team!r}: expected a list of Slack user ids"
            )
        for member in members:
            teams[str(member)] = str(team)
    backlog = doc.get("backlog_hours", 48)
    if not isinstance(backlog, int | float) or backlog < 0:
        raise RulesError(source, doc["__line__"], "`backlog_hours` must be a number of hours >= 0")
    return RulesConfig(rules=rules, backlog_hours=float(backlog), teams=teams, source=source)


def _check_params(source: str, line: int, name: str, rtype: str, params: dict[str, Any]) -> None:
    def number(key: str, low: float | None = None, high: float | None = None) -> None:
        value = params.get(key)
        if value is None:
            return
        if (
            not isinstance(value, int | float)
            or (low is not None and value < low)
            or (high is not None and value > high)
        ):
            bounds = (
                f" between {low} and {high}"
                if high is not None
                else (f" >= {low}" if low is not None else "")
            )
            raise RulesError(
                source, line, f"rule {name!r}: `{key}` must be a number{bounds}, got {value!r}"
            )

    if rtype in ("negative_inbound", "key_account"):
        number("threshold", -1, 1)
    if rtype == "repeat_contact":
        number("min_moments", 2)
        number("days", 1)
    if rtype == "key_account":
        number("arr_above", 0)


# --- sentiment ------------------------------------------------------------------------------
class _Vader:
    """VADER compound score in [-1, 1]: an offline lexicon, no model download."""

    _lock = threading.Lock()
    _analyzer = None

    @classmethod
    def score(cls, text: str) -> float:
        with cls._lock:
            if cls._analyzer is None:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                cls._analyzer = SentimentIntensityAnalyzer()
        return float(cls._analyzer.polarity_scores(text or "")["compound"])


def sentiment(text: str) -> float:
    return _Vader.score(text)


# --- values handed to the bot -------------------------------------------------------------
@dataclass
class AlertView:
    """Everything a renderer needs to draw an alert in any state (bot/alert_blocks.py)."""

    alert_id: str
    record_id: str
    customer_id: str
    customer_name: str
    summary: str
    reasons: list[dict[str, str]]
    citations: list[str]
    status: str
    created_at: datetime
    owner_id: str | None = None
    owner_name: str | None = None
    owned_at: datetime | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    snoozed_until: datetime | None = None
    snoozed_by: str | None = None
    escalations: int = 0
    version: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        return data


@dataclass
class ActionResult:
    """The outcome of a button press, with the sentence to show the person who pressed it."""

    ok: bool
    alert_id: str
    message: str
    owner_id: str | None = None
    status: str | None = None


class Notifier(Protocol):
    """The Slack side of ownership (``bot.notifier.SlackNotifier``). Every posting method
    stamps ``dedupe_key`` into the message metadata so ``find_posted`` can tell later whether
    an interrupted send reached Slack."""

    def post_alert(
        self,
        channel: str,
        view: AlertView,
        dedupe_key: str,
        mention: str | None = None,
        note: str | None = None,
    ) -> tuple[str, str]: ...

    def update_alert(self, channel: str, ts: str, view: AlertView) -> None: ...

    def dm(
        self, user_id: str, text: str, dedupe_key: str, blocks: list[dict[str, Any]] | None = None
    ) -> tuple[str, str]: ...

    def post_reminder(self, user_id: str, view: AlertView, dedupe_key: str) -> tuple[str, str]: ...

    def find_posted(
        self, target: str, dedupe_key: str, oldest: datetime
    ) -> tuple[str, str] | None: ...


class DeliveryNotConfigured(RuntimeError):
    pass


def alert_id_for(record_id: str) -> str:
    """Stable per record, so two processes evaluating the same record make one alert."""
    return "al_" + hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:16]


def _fmt_money(value: float | None) -> str:
    return f"${value:,.0f}" if value is not None else "n/a"


class _Defaults(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def parse_snooze(choice: str, now: datetime) -> datetime:
    """``1h`` / ``4h`` / ``tomorrow`` (09:00 UTC the next day) / ``<N>m`` / ``<N>h``."""
    choice = (choice or "").strip().lower()
    if choice == "tomorrow":
        day = (now + timedelta(days=1)).date()
        return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)
    match = re.fullmatch(r"(\d+)\s*([mh])", choice)
    if not match:
        raise ValueError(
            f"unknown snooze {choice!r}; use 1h, 4h, tomorrow, or a number of minutes/hours like 30m"
        )
    amount, unit = int(match.group(1)), match.group(2)
    return now + (timedelta(minutes=amount) if unit == "m" else timedelta(hours=amount))


# --- the service --------------------------------------------------------------------------
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

    # --- rules ----------------------------------------------------------------------------
    def on_records(self, summary, records: list[Record]) -> None:
        """``IngestService`` listener: evaluate the batch's newly inserted records. Never lets a
        rule problem break the ingest that called it; the problem is logged with its cause."""
        try:
            cutoff = self.clock.now() - timedelta(hours=self.rules.backlog_hours)
        except RulesError as exc:
            log.error("ownership rules not applied: %s", exc)
            return
        # Cheap filters first: a big import is mostly backlog, and this runs on every batch.
        recent = [
            r
            for r in records
            if isinstance(r, Moment | Complaint)
            and not (isinstance(r, Moment) and r.origin == "exchange")
            and (when := _record_time(r)) is not None
            and when >= cutoff
        ]
        if not recent:
            return
        new_ids = set(getattr(summary, "new_record_ids", ()) or ())
        fresh = [r for r in recent if r.record_id in new_ids]
        if not fresh:
            return
        try:
            created = self.evaluate(fresh, backlog=False)
        except RulesError as exc:
            log.error("ownership rules not applied: %s", exc)
            return
        except Exception:  # the ingest has committed; an alert failure must not undo its report
            log.exception(
                "ownership rules failed on %d new records; run `c360 alerts scan` to retry",
                len(fresh),
            )
            return
        if created:
            log.info("ownership: %d alert(s) raised", len(created))

    def evaluate(self, records: Iterable[Record], backlog: bool = False) -> list[str]:
        """Run the rules on ``records``; create one alert per record that needs an owner and
        queue its post. Returns the new alert ids. Records older than ``backlog_hours`` are
        skipped unless ``backlog``."""

        rules = [r for r in self.rules.rules if r.enabled]
        now = self.clock.now()
        cutoff = now - timedelta(hours=self.rules.backlog_hours)
        created: list[str] = []
        repeat_seen: set[str] = set()
        with self.sessions() as session, session.begin():
            for record in records:
                if isinstance(record, Moment) and record.origin == "exchange":
                    continue  # a logged Q&A is history, never a customer moment needing an owner
                if not isinstance(record, Moment | Complaint):
                    continue
                when = _record_time(record)
                if not backlog and when is not None and when < cutoff:
                    continue
                triggers = self._triggers(session, record, rules, repeat_seen)
                if not triggers:
                    continue
                alert_id = self._create_alert(session, record, triggers, now)
                if alert_id:
                    created.append(alert_id)
        return created

    def scan(self, since_days: float, backlog: bool = True) -> list[str]:
        """Evaluate stored records of the last ``since_days`` (a first import's backlog, or
        after a rules change). Records that have an alert already are left alone."""
        from store import ownership as db
        from store.records import record_class

        since = self.clock.now() - timedelta(days=since_days)
        with self.sessions() as session:
            rows = [("moment", r) for r in db.moments_since(session, since)] + [
                ("complaint", r) for r in db.complaints_since(session, since)
            ]
            records: list[Record] = []
            for kind, row in rows:
                cls = record_class(kind)
                fields = {
                    k: getattr(row, k)
                    for k in cls.__dataclass_fields__
                    if k != "kind" and hasattr(row, k)
                }
                records.append(cls(**fields))
        return self.evaluate(records, backlog=backlog)

    def _triggers(
        self, session, record: Moment | Complaint, rules: list[RuleSpec], repeat_seen: set[str]
    ) -> list[dict[str, Any]]:
        from store import ownership as db

        customer = db.get_customer(session, record.customer_id)
        name = customer.name if customer else record.customer_id
        score: float | None = None
        triggers: list[dict[str, Any]] = []

        def mood() -> float:
            nonlocal score
            if score is None:
                score = sentiment(record.text)
            return score

        for rule in rules:
            p = rule.params
            fields: dict[str, Any] = {"customer": name}
            cites = [record.record_id]
            fired = False
            if rule.type == "new_complaint" and isinstance(record, Complaint):
                fired = record.status in (p["statuses"] or [])
                fields.update(
                    category=record.category or "uncategorised",
                    severity=record.severity or "unspecified",
                )
            elif rule.type == "needs_owner" and isinstance(record, Moment):
                tags = {t.lower() for t in record.tags}
                fired = bool((record.meta or {}).get("needs_owner")) or bool(
                    tags & {t.lower() for t in p["tags"] or []}
                )
                fields.update(author=record.author or "someone")
            elif (
                rule.type == "negative_inbound"
                and isinstance(record, Moment)
                and record.direction == "inbound"
            ):
                channels = p["channels"]
                fired = (not channels or record.channel in channels) and mood() <= p["threshold"]
                fields.update(score=f"{mood():+.2f}", channel=record.channel)
            elif (
                rule.type == "repeat_contact"
                and isinstance(record, Moment)
                and record.direction == "inbound"
            ):
                if record.customer_id not in repeat_seen:
                    days = p["days"]
                    ids = db.count_inbound_moments(
                        session,
                        record.customer_id,
                        record.occurred_at - timedelta(days=days),
                        record.occurred_at,
                    )
                    if len(ids) >= p["min_moments"] and not db.has_unresolved_alert(
                        session, record.customer_id, rule.name
                    ):
                        fired = True
                        repeat_seen.add(record.customer_id)
                        cites = [record.record_id] + [
                            f"moment:{i}" for i in ids if f"moment:{i}" != record.record_id
                        ][:3]
                        fields.update(count=len(ids), days=days)
            elif rule.type == "key_account" and customer is not None:
                threshold_arr = (
                    p["arr_above"] if p["arr_above"] is not None else self.settings.key_account_arr
                )
                if customer.arr is not None and customer.arr > threshold_arr:
                    if isinstance(record, Complaint):
                        fired = bool(p["include_complaints"]) and record.is_open
                    else:
                        fired = mood() <= p["threshold"]
                        fields.update(score=f"{mood():+.2f}")
                    cites = [record.record_id, f"customer:{customer.customer_id}"]
                    fields.update(arr_above=_fmt_money(threshold_arr))
            if fired:
                triggers.append(
                    {
                        "rule": rule.name,
                        "reason": rule.reason.format_map(_Defaults(fields)),
                        "citations": cites,
                    }
                )
        return triggers

    def _create_alert(
        self, session, record: Moment | Complaint, triggers: list[dict[str, Any]], now: datetime
    ) -> str | None:
        from store import ownership as db

        alert_id = alert_id_for(record.record_id)
        summary, citations = self._one_line_brief(session, record, triggers)
        values = {
            "alert_id": alert_id,
            "record_id": record.record_id,
            "customer_id": record.customer_id,
            "rule": triggers[0]["rule"],
            "reasons": [{"rule": t["rule"], "reason": t["reason"]} for t in triggers],
            "summary": summary,
            "citations": citations,
            "status": "open",
            "escalate_due_at": now + timedelta(minutes=self.settings.escalate_after_minutes),
            "escalations": 0,
            "reminders": 0,
            "version": 0,
            "created_at": now,
            "updated_at": now,
        }
        if not db.insert_alert(session, values):
            return None
        db.add_event(
            session,
            alert_id,
            "created",
            now,
            detail={"rules": [t["rule"] for t in triggers], "record_id": record.record_id},
        )
        db.enqueue(
            session,
            f"post:{alert_id}",
            alert_id,
            "post_alert",
            now,
            target=self.settings.alerts_channel,
        )
        return alert_id

    def _one_line_brief(
        self, session, record: Moment | Complaint, triggers: list[dict[str, Any]]
    ) -> tuple[str, list[str]]:
        """Customer, what happened, and the records behind it, in one line. No ARR or contact
        details: the alert goes to a channel, so the quote is masked by the one masking rule (the
        channel surface of the audience policy), and a record addressed to an AI says so."""
        from store import ownership as db

        customer = db.get_customer(session, record.customer_id)
        name = customer.name if customer else record.customer_id
        facts = [
            x
            for x in (
                (customer.segment if customer else None),
                (customer.plan if customer else None),
            )
            if x
        ]
        open_ids = db.open_complaint_ids(session, record.customer_id)
        n_open = db.count_open_complaints(session, record.customer_id)
        snippet = mask_text(" ".join(record.text.split()), self.settings.sensitive_fields)
        if len(snippet) > 160:
            snippet = snippet[:157].rstrip() + "…"
        when = _record_time(record)
        what = (
            "complaint" if isinstance(record, Complaint) else f"{record.direction} {record.channel}"
        )
        parts = [name + (f" ({', '.join(facts)})" if facts else "")]
        flag = f" {suspicious_note(record.kind)}" if is_suspicious(record.text) else ""
        parts.append(
            f"{what} on {when:%Y-%m-%d}: “{snippet}”{flag} [{record.record_id}]"
            if when
            else f"{what}: “{snippet}”{flag} [{record.record_id}]"
        )
        others = [f"complaint:{c}" for c in open_ids if f"complaint:{c}" != record.record_id][:2]
        if n_open:
            parts.append(
                f"{n_open} open complaint{'s' if n_open != 1 else ''}"
                + (f" [{', '.join(others)}]" if others else "")
            )
        citations: list[str] = []
        for rid in [record.record_id, *[c for t in triggers for c in t["citations"]], *others]:
            if rid not in citations:
                citations.append(rid)
        return " · ".join(parts), citations[:6]

    # --- views ----------------------------------------------------------------------------
    def view(self, alert_id: str) -> AlertView | None:
        from store import ownership as db

        with self.sessions() as session:
            alert = db.get_alert(session, alert_id)
            if alert is None:
                return None
            return self._view(session, alert)

    def _view(self, session, alert) -> AlertView:
        from store import ownership as db

        names = db.customer_names(session, [alert.customer_id])
        return AlertView(
            alert_id=alert.alert_id,
            record_id=alert.record_id,
            customer_id=alert.customer_id,
            customer_name=names.get(alert.customer_id, alert.customer_id),
            summary=alert.summary,
            reasons=list(alert.reasons or []),
            citations=list(alert.citations or []),
            status=alert.status,
            created_at=db.utc(alert.created_at),
            owner_id=alert.owner_id,
            owner_name=alert.owner_name,
            owned_at=db.utc(alert.owned_at),
            resolved_by=alert.resolved_by,
            resolved_at=db.utc(alert.resolved_at),
            snoozed_until=db.utc(alert.snoozed_until),
            snoozed_by=alert.snoozed_by,
            escalations=alert.escalations,
            version=alert.version,
        )

    def events(self, alert_id: str) -> list[dict[str, Any]]:
        from store import ownership as db

        with self.sessions() as session:
            return [
                {
                    "kind": e.kind,
                    "actor_id": e.actor_id,
                    "actor_name": e.actor_name,
                    "at": db.utc(e.at),
                    "detail": e.detail,
                }
                for e in db.events(session, alert_id)
            ]

    def alerts(self) -> list[AlertView]:
        from store import ownership as db

        with self.sessions() as session:
            return [
                self._view(session, a)
                for a in db.alerts_created_since(session, datetime(1970, 1, 1, tzinfo=UTC))
            ]

    # --- lifecycle ------------------------------------------------------------------------
    def claim(
        self, alert_id: str, user_id: str, user_name: str | None = None, team: str | None = None
    ) -> ActionResult:
        """The "I'll own it" button. Exactly one of any number of concurrent callers wins; the
        others are told, politely, who owns it."""
        from store import ownership as db

        now = self.clock.now()
        owner = {"id": user_id, "name": user_name, "team": self._team(user_id, team)}
        with self.sessions() as session, session.begin():
            won = db.claim(session, alert_id, owner, now, now + self._remind_after)
            if won:
                db.add_event(session, alert_id, "claimed", now, user_id, user_name)
            alert = db.get_alert(session, alert_id)
            if alert is None:
                return ActionResult(False, alert_id, "That alert no longer exists.")
            session.refresh(alert)
            current_owner, status = alert.owner_id, alert.status
            if won:
                keys = self._enqueue_update(session, alert, now)
        if not won:
            return ActionResult(
                False,
                alert_id,
                self._taken_message(status, current_owner, alert.resolved_by, user_id),
                current_owner,
                status,
            )
        keys += self._enqueue_owner_dm(alert_id, user_id, user_name, "claimed")
        self.deliver(keys=keys)
        return ActionResult(
            True, alert_id, "It's yours. The full brief is in your DMs.", user_id, "owned"
        )

    def assign(
        self,
        alert_id: str,
        assignee_id: str,
        by_user_id: str,
        assignee_name: str | None = None,
        by_user_name: str | None = None,
        team: str | None = None,
    ) -> ActionResult:
        """The "Assign to…" picker: hand the alert to someone (from nobody, or from its owner)."""
        from store import ownership as db

        now = self.clock.now()
        owner = {
            "id": assignee_id,
            "name": assignee_name,
            "team": self._team(assignee_id, team),
        }
        with self.sessions() as session, session.begin():
            before = db.get_alert(session, alert_id)
            if before is None:
                return ActionResult(False, alert_id, "That alert no longer exists.")
            previous = before.owner_id
            if previous == assignee_id and before.status == "owned":
                return ActionResult(
                    False,
                    alert_id,
                    f"{mention(assignee_id)} owns it already.",
                    previous,
                    before.status,
                )
            if not db.assign(session, alert_id, owner, now, now + self._remind_after):
                return ActionResult(
                    False,
                    alert_id,
                    "It is resolved already; nothing to assign.",
                    previous,
                    "resolved",
                )
            db.add_event(
                session,
                alert_id,
                "assigned",
                now,
                by_user_id,
                by_user_name,
                {"from": previous, "to": assignee_id},
            )
            alert = db.get_alert(session, alert_id)
            session.refresh(alert)
            keys = self._enqueue_update(session, alert, now)
        keys += self._enqueue_owner_dm(alert_id, assignee_id, assignee_name, "assigned", by_user_id)
        self.deliver(keys=keys)
        return ActionResult(
            True,
            alert_id,
            f"Assigned to {mention(assignee_id)}; they have the full brief in their DMs.",
            assignee_id,
            "owned",
        )

    def release(self, alert_id: str, user_id: str, user_name: str | None = None) -> ActionResult:
        """The owner lets go: the alert is open again and its escalation timer restarts."""
        from store import ownership as db

        now = self.clock.now()
        with self.sessions() as session, session.begin():
            if not db.release(session, alert_id, user_id, now, now + self._escalate_after):
                alert = db.get_alert(session, alert_id)
                owner = alert.owner_id if alert else None
                return ActionResult(
                    False,
                    alert_id,
                    f"Only the owner can release it{f' ({mention(owner)})' if owner else ''}.",
                    owner,
                    alert.status if alert else None,
                )
            db.add_event(session, alert_id, "released", now, user_id, user_name)
            alert = db.get_alert(session, alert_id)
            session.refresh(alert)
            keys = self._enqueue_update(session, alert, now)
        self.deliver(keys=keys)
        return ActionResult(
            True, alert_id, "Released: it is open for someone else to own.", None, "open"
        )

    def snooze(
        self, alert_id: str, user_id: str, choice: str, user_name: str | None = None
    ) -> ActionResult:
        from store import ownership as db

        now = self.clock.now()
        until = parse_snooze(choice, now)
        with self.sessions() as session, session.begin():
            if not db.snooze(session, alert_id, user_id, until, now):
                return ActionResult(
                    False, alert_id, "It is resolved (or changed just now); nothing to snooze."
                )
            db.add_event(
                session,
                alert_id,
                "snoozed",
                now,
                user_id,
                user_name,
                {"until": until.isoformat(), "choice": choice},
            )
            alert = db.get_alert(session, alert_id)
            session.refresh(alert)
            keys = self._enqueue_update(session, alert, now)
        self.deliver(keys=keys)
        return ActionResult(
            True, alert_id, f"Snoozed until {until:%a %H:%M} UTC.", status="snoozed"
        )

    def resolve(self, alert_id: str, user_id: str, user_name: str | None = None) -> ActionResult:
        from store import ownership as db

        now = self.clock.now()
        with self.sessions() as session, session.begin():
            if not db.resolve(session, alert_id, user_id, now):
                alert = db.get_alert(session, alert_id)
                by = alert.resolved_by if alert else None
                return ActionResult(
                    False,
                    alert_id,
                    f"Already resolved{f' by {mention(by)}' if by else ''}.",
                    status="resolved",
                )
            db.add_event(session, alert_id, "resolved", now, user_id, user_name)
            alert = db.get_alert(session, alert_id)
            session.refresh(alert)
            keys = self._enqueue_update(session, alert, now)
        self.deliver(keys=keys)
        return ActionResult(True, alert_id, "Marked resolved. Thank you!", status="resolved")

    def _team(self, user_id: str, fallback: str | None) -> str:
        try:
            return self.rules.team_of(user_id, fallback)
        except RulesError as exc:  # a broken rules file must not block a claim
            log.error("team mapping unavailable: %s", exc)
            return fallback or "unassigned"

    @staticmethod
    def _taken_message(
        status: str, owner: str | None, resolved_by: str | None, user_id: str
    ) -> str:
        if status == "resolved":
            return f"Thanks! This one is already resolved{f' by {mention(resolved_by)}' if resolved_by else ''}."
        if owner == user_id:
            return "You own this one already."
        return f"Thanks for jumping in! It's already owned by {mention(owner)}."

    @property
    def _remind_after(self) -> timedelta:
        return timedelta(hours=self.settings.remind_after_hours)

    @property
    def _escalate_after(self) -> timedelta:
        return timedelta(minutes=self.settings.escalate_after_minutes)

    def _enqueue_update(self, session, alert, now: datetime) -> list[str]:
        """Queue a refresh of every channel copy of the alert (first post and re-posts).
        Keyed by version: the renderer draws the state at send time, so a late update never
        shows an older state."""
        from store import ownership as db

        key = f"update:{alert.alert_id}:v{alert.version}"
        return [key] if db.enqueue(session, key, alert.alert_id, "update", now) else []

    def _enqueue_owner_dm(
        self, alert_id: str, user_id: str, user_name: str | None, how: str, by: str | None = None
    ) -> list[str]:
        """The full brief for the new owner, written once and kept in the outbox row so a
        retry never needs the retrieval stack."""
        from store import ownership as db

        view = self.view(alert_id)
        if view is None:
            return []
        text = self._owner_brief_text(view, user_id, user_name, how, by)
        now = self.clock.now()
        with self.sessions() as session, session.begin():
            alert = db.get_alert(session, alert_id)
            key = f"dm:{alert_id}:{user_id}:v{alert.version}"
            queued = db.enqueue(
                session, key, alert_id, "dm", now, target=user_id, payload={"text": text}
            )
        return [key] if queued else []

    def _owner_brief_text(
        self, view: AlertView, user_id: str, user_name: str | None, how: str, by: str | None
    ) -> str:
        head = (
            f"You {'now own' if how == 'claimed' else 'were assigned'} this moment for *{slack_escape(view.customer_name)}*"
            + (f" (by {mention(by)})" if by else "")
            + "."
        )
        why = "\n".join(f"• {slack_escape(r['reason'])}" for r in view.reasons)
        brief_text = None
        try:
            briefs = self.briefs
        except Exception:  # the brief service cannot be built here (no model, say): summary only
            log.exception("brief service unavailable; the owner DM carries the alert summary only")
            briefs = None
        if briefs is not None:
            try:
                result = briefs.brief(
                    view.customer_id,
                    Asker(id=user_id, name=user_name or user_id, channel="slack"),
                    log=False,
                )
                brief_text = result.answer
            except Exception:  # the DM still goes out with the alert's own evidence
                log.exception(
                    "brief for %s failed; the owner DM carries the alert summary only",
                    view.customer_id,
                )
        body = (
            slack_escape(brief_text)
            if brief_text
            else f"{slack_escape(view.summary)}\n(The full brief could not be built just now: run `/customer {slack_escape(view.customer_id)}`.)"
        )
        return f"{head}\n*Why it needs an owner*\n{why}\n\n{body}"

    # --- delivery (outbox) ----------------------------------------------------------------
    def deliver(
        self, keys: Sequence[str] | None = None, limit: int = 20, worker_id: str | None = None
    ) -> int:
        """Send unsent outbox messages (all due ones, or just ``keys``). Returns how many were
        sent. Without a notifier (Slack not configured) the rows wait for a worker that has one."""
        from store import ownership as db

        if keys is not None and not keys:
            return 0
        notifier = self.notifier
        if notifier is None:
            return 0
        worker = worker_id or f"{self.worker_id}-{threading.get_ident()}"
        now = self.clock.now()
        lease = timedelta(seconds=self.settings.worker_lease_seconds)
        with self.sessions() as session, session.begin():
            rows = db.lease_outbox(session, worker, now, lease, keys=keys, limit=limit)
        sent = 0
        for row in rows:
            try:
                channel, ts, rendered = self._send(notifier, row)
            except Exception as exc:  # Slack said no, or is unreachable: retry after the lease
                log.warning(
                    "outbox %s not sent (attempt %d): %s", row.dedupe_key, row.attempts, exc
                )
                with self.sessions() as session, session.begin():
                    db.mark_failed(
                        session,
                        row.dedupe_key,
                        worker,
                        f"{type(exc).__name__}: {exc}",
                        self.clock.now() + lease,
                        final=row.attempts >= MAX_SEND_ATTEMPTS,
                    )
                continue
            follow_up = self._mark(row, worker, channel, ts, rendered)
            sent += 1
            if follow_up:
                sent += self.deliver(keys=follow_up, worker_id=worker)
        return sent

    def _mark(
        self, row, worker: str, channel: str | None, ts: str | None, rendered: int | None
    ) -> list[str]:
        """Mark the row sent. A channel copy drawn from a state that changed while it was in
        flight (claimed during the post, say) gets an update queued, so it never stays stale."""
        from store import ownership as db

        now = self.clock.now()
        follow_up: list[str] = []
        with self.sessions() as session, session.begin():
            if not db.mark_sent(session, row.dedupe_key, worker, channel, ts, now):
                return []
            if row.action in ("post_alert", "escalate", "remind", "dm"):
                kind = {
                    "post_alert": "posted",
                    "escalate": "escalation_posted",
                    "remind": "reminded",
                    "dm": "dm_sent",
                }[row.action]
                if ts is None:
                    kind = "message_dropped"  # overtaken by the alert's state, see _stale_reason
                db.add_event(
                    session,
                    row.alert_id,
                    kind,
                    now,
                    detail={"channel": channel, "ts": ts, "key": row.dedupe_key},
                )
            if row.action in ("post_alert", "escalate"):
                alert = db.get_alert(session, row.alert_id)
                if alert is not None and rendered is not None and alert.version != rendered:
                    follow_up = self._enqueue_update(session, alert, now)
        return follow_up

    def _send(self, notifier: Notifier, row) -> tuple[str | None, str | None, int | None]:
        from store import ownership as db

        view = self.view(row.alert_id)
        if view is None:
            raise RuntimeError(f"alert {row.alert_id} is gone")
        if row.action == "update":
            with self.sessions() as session:
                copies = [(m.channel_id, m.ts) for m in db.posted_messages(session, row.alert_id)]
            for channel, ts in copies:
                notifier.update_alert(channel, ts, view)
            return None, None, view.version
        stale = _stale_reason(row.action, view, row.target)
        if stale:
            log.info("outbox %s not sent: %s", row.dedupe_key, stale)
            return None, None, None
        target = row.target or (
            self.settings.alerts_channel if row.action in ("post_alert", "escalate") else None
        )
        if not target:
            raise DeliveryNotConfigured(
                "no Slack channel for alerts: set C360_ALERTS_CHANNEL (a channel id) and restart the worker"
            )
        if row.attempts > 1:
            # An earlier attempt may have reached Slack before its sender died: look first.
            found = notifier.find_posted(
                target, row.dedupe_key, db.utc(row.created_at) - timedelta(minutes=1)
            )
            if found:
                log.info(
                    "outbox %s was already in Slack (%s); marked without re-sending",
                    row.dedupe_key,
                    found[1],
                )
                # The copy in Slack may show an older state: version -1 makes _mark refresh it.
                return found[0], found[1], -1
        payload = row.payload or {}
        if row.action == "post_alert":
            return (*notifier.post_alert(target, view, row.dedupe_key), view.version)
        if row.action == "escalate":
            return (
                *notifier.post_alert(
                    target,
                    view,
                    row.dedupe_key,
                    mention=payload.get("mention"),
                    note=payload.get("note"),
                ),
                view.version,
            )
        if row.action == "remind":
            return (*notifier.post_reminder(target, view, row.dedupe_key), None)
        if row.action == "dm":
            return (*notifier.dm(target, payload.get("text") or view.summary, row.dedupe_key), None)
        raise RuntimeError(f"unknown outbox action {row.action!r}")

    # --- timers ---------------------------------------------------------------------------
    def fire_timers(self) -> int:
        """Turn due escalations and reminders into outbox messages. Each firing moves its timer
        on in the same transaction (row-locked on PostgreSQL, version-checked everywhere), so
        two workers never fire the same timer twice."""
        from store import ownership as db

        now = self.clock.now()
        fired = 0
        with self.sessions() as session, session.begin():
            for alert in db.due_escalations(session, now):
                woke = alert.snoozed_until is not None
                n = alert.escalations + 1
                if n > self.settings.max_escalations and not woke:
                    db.advance_escalation(session, alert, None, now)  # enough re-posts: stop
                    continue
                next_due = now + self._escalate_after if n < self.settings.max_escalations else None
                if not db.advance_escalation(session, alert, next_due, now):
                    continue
                ping = self._escalation_mention(session, alert.customer_id)
                minutes = int((now - db.utc(alert.created_at)).total_seconds() // 60)
                note = (
                    "Snooze is over and it still has no owner."
                    if woke
                    else f"Still no owner after {minutes} min."
                )
                key = f"escalate:{alert.alert_id}:v{alert.version + 1}"
                db.enqueue(
                    session,
                    key,
                    alert.alert_id,
                    "escalate",
                    now,
                    target=self.settings.alerts_channel,
                    payload={"mention": ping, "note": note, "n": n},
                )
                db.add_event(
                    session,
                    alert.alert_id,
                    "escalated",
                    now,
                    detail={"n": n, "mention": ping, "after_snooze": woke},
                )
                fired += 1
            for alert in db.due_reminders(session, now):
                n = alert.reminders + 1
                if n > self.settings.max_reminders:
                    db.advance_reminder(session, alert, None, now)
                    continue
                next_due = now + self._remind_after if n < self.settings.max_reminders else None
                if not db.advance_reminder(session, alert, next_due, now):
                    continue
                key = f"remind:{alert.alert_id}:v{alert.version + 1}"
                db.enqueue(
                    session,
                    key,
                    alert.alert_id,
                    "remind",
                    now,
                    target=alert.owner_id,
                    payload={"n": n},
                )
                db.add_event(
                    session,
                    alert.alert_id,
                    "reminder_due",
                    now,
                    detail={"n": n, "owner": alert.owner_id},
                )
                fired += 1
        return fired

    def _escalation_mention(self, session, customer_id: str) -> str | None:
        from store import ownership as db

        # Settings and records alike go through `mention`: only a well-formed Slack id pings;
        # any other text (a name, or "<!channel> <http://evil|Click>") is escaped.
        group = self.settings.escalation_group
        if group:
            return mention(group, f"escalation group {group}")
        customer = db.get_customer(session, customer_id)
        if customer and customer.owner:
            return mention(customer.owner, f"account owner {customer.owner}")
        return None

    def run_once(self, limit: int = 50) -> dict[str, int]:
        fired = self.fire_timers()
        sent = self.deliver(limit=limit, worker_id=self.worker_id)
        return {"fired": fired, "sent": sent}

    def run_worker(
        self,
        stop: threading.Event | None = None,
        poll_seconds: float | None = None,
        max_loops: int | None = None,
    ) -> None:
        """The `c360 worker` loop: fire due timers, send unsent messages, sleep, repeat."""
        stop = stop or threading.Event()
        poll = self.settings.worker_poll_seconds if poll_seconds is None else poll_seconds
        loops = 0
        while not stop.is_set():
            busy = False
            try:
                done = self.run_once()
                busy = bool(done["fired"] or done["sent"])
                if busy:
                    log.info(
                        "worker: %d timer(s) fired, %d message(s) sent", done["fired"], done["sent"]
                    )
            except Exception:  # keep the worker alive through a database or Slack hiccup
                log.exception("worker pass failed; retrying in %.1fs", poll)
            loops += 1
            if max_loops is not None and loops >= max_loops:
                return
            if not busy:  # more may be waiting right away when this pass did work
                stop.wait(poll)

    def pending_messages(self) -> int:
        from store import ownership as db

        with self.sessions() as session:
            return db.unsent_count(session)

    # --- outcomes -------------------------------------------------------------------------
    def report(self, since_days: float = 30) -> dict[str, Any]:
        """Time to owner, time to resolution and the share owned within the SLA, overall, by
        team (of the first owner) and by rule, for alerts raised in the last ``since_days``."""
        from store import ownership as db

        now = self.clock.now()
        since = now - timedelta(days=since_days)
        sla = timedelta(minutes=self.settings.sla_minutes)
        with self.sessions() as session:
            alerts = db.alerts_created_since(session, since)
            rows = [
                {
                    "rule": a.rule,
                    "team": a.first_owner_team
                    or ("unowned" if a.first_owned_at is None else "unassigned"),
                    "created_at": db.utc(a.created_at),
                    "first_owned_at": db.utc(a.first_owned_at),
                    "resolved_at": db.utc(a.resolved_at),
                    "status": a.status,
                }
                for a in alerts
            ]

        def metrics(group: list[dict[str, Any]]) -> dict[str, Any]:
            to_owner = [
                (r["first_owned_at"] - r["created_at"]).total_seconds() / 60
                for r in group
                if r["first_owned_at"]
            ]
            to_resolve = [
                (r["resolved_at"] - r["created_at"]).total_seconds() / 3600
                for r in group
                if r["resolved_at"]
            ]
            # Decided: owned, or unowned for longer than the SLA. Alerts younger than the SLA
            # and unowned can still make it, so they count for neither side.
            decided = [r for r in group if r["first_owned_at"] or now - r["created_at"] > sla]
            within = [
                r
                for r in decided
                if r["first_owned_at"] and r["first_owned_at"] - r["created_at"] <= sla
            ]
            return {
                "alerts": len(group),
                "owned": len(to_owner),
                "resolved": len(to_resolve),
                "open": sum(1 for r in group if r["status"] == "open"),
                "median_minutes_to_owner": _round(statistics.median(to_owner))
                if to_owner
                else None,
                "p90_minutes_to_owner": _round(_percentile(to_owner, 90)) if to_owner else None,
                "median_hours_to_resolution": _round(statistics.median(to_resolve))
                if to_resolve
                else None,
                "owned_within_sla": _round(len(within) / len(decided), 3) if decided else None,
            }

        def grouped(key: str) -> dict[str, Any]:
            out: dict[str, list[dict[str, Any]]] = {}
            for r in rows:
                out.setdefault(r[key], []).append(r)
            return {k: metrics(v) for k, v in sorted(out.items())}

        return {
            "since": since.isoformat(),
            "until": now.isoformat(),
            "sla_minutes": self.settings.sla_minutes,
            "overall": metrics(rows),
            "by_team": grouped("team"),
            "by_rule": grouped("rule"),
        }

    def home_summary(self, user_id: str, limit: int = 10) -> dict[str, Any]:
        """For App Home: moments I own, moments waiting for an owner, and the headline metrics."""
        from store import ownership as db

        with self.sessions() as session:
            mine = [
                self._view(session, a).to_dict()
                for a in db.alerts_owned_by(session, user_id, limit)
            ]
            waiting = [self._view(session, a).to_dict() for a in db.alerts_waiting(session, limit)]
        return {"owned": mine, "waiting": waiting, "metrics": self.report(since_days=30)["overall"]}


def _stale_reason(action: str, view: AlertView, target: str | None) -> str | None:
    """A queued message the alert's state has overtaken (claimed before its escalation went
    out, say): sending it would contradict the channel, so it is dropped."""
    if action == "post_alert" and view.status == "resolved":
        return "the alert was resolved before it was posted"
    if action == "escalate" and view.status != "open":
        return f"the alert is {view.status} now; no escalation needed"
    if action == "remind" and (view.status != "owned" or view.owner_id != target):
        return "the alert changed hands or was resolved; no reminder needed"
    return None


def _record_time(record: Record) -> datetime | None:
    when = getattr(record, "occurred_at", None) or getattr(record, "opened_at", None)
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _round(value: float, digits: int = 1) -> float:
    return round(value, digits)


def wait_until_delivered(service: OwnershipService, timeout: float = 10.0) -> bool:
    """Helper for commands and tests: run passes until nothing is left to send."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        service.run_once()
        if service.pending_messages() == 0:
            return True
        time.sleep(0.05)
    return False
