"""Domain records shared by every layer. Plain dataclasses: no SQLAlchemy, no Chroma, no Slack.

Ids are the source's own ids, so re-ingesting overwrites instead of duplicating. A record is
cited as ``<kind>:<source id>`` (``complaint:3571115``), see ``record_id``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal

RecordKind = Literal["customer", "moment", "complaint"]
KINDS: tuple[RecordKind, ...] = ("customer", "moment", "complaint")

CHANNELS = ("email", "call", "meeting", "chat", "social", "ticket", "slack", "note", "cli", "other")
DIRECTIONS = ("inbound", "outbound", "internal")
COMPLAINT_STATUSES = ("open", "in_progress", "resolved", "closed")
OPEN_STATUSES = ("open", "in_progress")

# The complaint fields a question can name a complaint by (besides its day and id): the
# category and these attributes. Others are codes or free text (zip, consent, response).
COMPLAINT_MATCH_FIELDS = ("issue", "sub_issue", "sub_product", "state", "submitted_via", "tags")
FIELD_VALUE_MAX = 512  # longer values are prose, not a field a question names


def complaint_field_values(category: Any, attributes: dict | None) -> list[tuple[str, str]]:
    """A complaint's matchable (field, value) pairs, values as text, in one place: the field
    index, the store's ``complaint_values`` table and the ranking all read the same values."""
    pairs = [("category", category)]
    pairs += [(name, (attributes or {}).get(name)) for name in COMPLAINT_MATCH_FIELDS]
    out = []
    for name, value in pairs:
        if value in (None, "") or isinstance(value, (bool, list, dict)):
            continue
        text = str(value)
        if len(text) <= FIELD_VALUE_MAX:
            out.append((name, text))
    return out


# Moment origins: "data" came from a connector; "exchange" is a logged question/answer
# (history, never evidence for facts about the customer); "logged" was logged by a person
# (/moment, the message shortcut) and is evidence like data.
ORIGINS = ("data", "exchange", "logged")


def utc(value: datetime | None) -> datetime | None:
    """A datetime in UTC. SQLite hands datetimes back naive; everything we store is UTC, so a
    naive value is read as UTC. The one copy of this rule: store, services and bot import it."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def record_time(record: Any) -> datetime | None:
    """When a record happened, in UTC: a moment's ``occurred_at``, a complaint's ``opened_at``,
    a customer's ``created_at`` (None when it has none)."""
    for name in ("occurred_at", "opened_at", "created_at"):
        value = getattr(record, name, None)
        if value is not None:
            return utc(value)
    return None


def record_id(kind: str, source_id: str) -> str:
    return f"{kind}:{source_id}"


def split_record_id(rid: str) -> tuple[str, str]:
    kind, _, source_id = rid.partition(":")
    return kind, source_id


def content_hash(payload: dict[str, Any]) -> str:
    blob = json.dumps(payload, sort_keys=True, default=_json_default, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _json_default(value: Any) -> Any:
    """A dataclass as ``asdict`` gives it, anything else JSON does not know as its ``str``."""
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else str(value)


def record_hash(record: Any) -> str:
    """A record's content hash. A record without a ``url`` hashes as it did before the field
    existed, so upgrading does not make a re-ingest rewrite every stored record. The payload is
    the record's fields as they are (no ``asdict`` deep copy, which was most of the cost):
    JSON writes it as it wrote ``asdict(record)``, a nested dataclass through the default."""
    payload = {f.name: getattr(record, f.name) for f in fields(record)}
    if payload.get("url") is None:
        payload.pop("url", None)
    return content_hash(payload)


class _RecordIds:
    """What the three record kinds share: the store id from ``kind`` and ``source_id`` (each
    kind's own id), and the content hash."""

    kind: RecordKind
    source_id: str

    @property
    def record_id(self) -> str:
        return record_id(self.kind, self.source_id)

    def hash(self) -> str:
        return record_hash(self)


@dataclass
class Customer(_RecordIds):
    customer_id: str
    name: str
    aliases: list[str] = field(default_factory=list)
    domain: str | None = None
    emails: list[str] = field(default_factory=list)
    segment: str | None = None
    plan: str | None = None
    arr: float | None = None
    owner: str | None = None
    region: str | None = None
    created_at: datetime | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    url: str | None = None  # where a person opens the record (CRM page); see ``record_url``

    kind: RecordKind = field(default="customer", init=False, repr=False)

    @property
    def source_id(self) -> str:
        return self.customer_id

    def text(self) -> str:
        """The customer record as one indexable text (used for description-based resolution)."""
        parts = [self.name]
        if self.aliases:
            parts.append("also known as " + ", ".join(self.aliases))
        for label, value in (
            ("segment", self.segment),
            ("plan", self.plan),
            ("region", self.region),
            ("domain", self.domain),
        ):
            if value:
                parts.append(f"{label} {value}")
        for key, value in sorted(self.attributes.items()):
            if value not in (None, ""):
                parts.append(f"{key} {value}")
        return ". ".join(parts)


@dataclass
class Moment(_RecordIds):
    moment_id: str
    customer_id: str
    occurred_at: datetime
    text: str
    channel: str = "other"
    direction: str = "inbound"
    author: str | None = None
    tags: list[str] = field(default_factory=list)
    origin: str = "data"
    meta: dict[str, Any] = field(default_factory=dict)
    url: str | None = None  # the e-mail, call or Slack message itself (a permalink)

    kind: RecordKind = field(default="moment", init=False, repr=False)

    @property
    def source_id(self) -> str:
        return self.moment_id


@dataclass
class Complaint(_RecordIds):
    complaint_id: str
    customer_id: str
    opened_at: datetime
    text: str
    category: str | None = None
    status: str = "open"
    resolved_at: datetime | None = None
    resolution: str | None = None
    severity: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    url: str | None = None  # the ticket in the helpdesk

    kind: RecordKind = field(default="complaint", init=False, repr=False)

    @property
    def source_id(self) -> str:
        return self.complaint_id

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


Record = Customer | Moment | Complaint


@dataclass
class Chunk:
    """A piece of a record's text, the unit that is embedded and indexed."""

    chunk_id: str  # f"{record_id}#{n}"
    record_id: str
    customer_id: str
    kind: str
    text: str
    occurred_at: datetime | None = None


@dataclass
class RowError:
    """A rejected input row: where it came from and why, in words a user can act on."""

    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


@dataclass
class Asker:
    """Who asked, and where: logged on every exchange."""

    id: str
    name: str
    channel: str = "cli"  # "cli" | "slack"
    channel_id: str | None = None
    permalink: str | None = None
    team: str | None = None
    tz: str | None = None  # IANA zone of the reader ("America/New_York"): "yesterday" is theirs


# --- ownership alerts: what the store hands back (store/ownership.py, store/outbox.py) ---------
@dataclass(frozen=True)
class Person:
    """Someone an alert action names: who pressed the button, or who is handed the alert. The
    Slack user ``id``, and what is known of them: the ``name`` Slack shows, the ``team`` they own
    alerts for (the rules file's ``teams:``), their ``tz`` (users.info: "tomorrow" is theirs)."""

    id: str
    name: str | None = None
    team: str | None = None
    tz: tzinfo | None = None


@dataclass(frozen=True)
class Alert:
    """One ownership alert as stored: its state, owner, timers and ``version`` (bumped by every
    change, so a conditional update can tell whether anyone changed it since it was read)."""

    alert_id: str
    record_id: str
    customer_id: str
    rule: str
    reasons: list[dict[str, str]]
    summary: str
    citations: list[str]
    status: str  # open | owned | resolved
    created_at: datetime
    updated_at: datetime
    owner_id: str | None = None
    owner_name: str | None = None
    owner_team: str | None = None
    owned_at: datetime | None = None
    first_owned_at: datetime | None = None
    first_owner_team: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    snoozed_until: datetime | None = None
    snoozed_by: str | None = None
    escalate_due_at: datetime | None = None
    escalations: int = 0
    remind_due_at: datetime | None = None
    reminders: int = 0
    version: int = 0


@dataclass(frozen=True)
class AlertEvent:
    """Who did what to an alert, and when (claimed, escalated, dm_sent ...)."""

    alert_id: str
    kind: str
    at: datetime
    actor_id: str | None = None
    actor_name: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboxMessage:
    """A Slack message to send exactly once, keyed by ``dedupe_key``."""

    dedupe_key: str
    alert_id: str
    action: str  # post_alert | escalate | remind | update | dm
    status: str  # pending | sending | sent | failed
    created_at: datetime
    target: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    lease_owner: str | None = None
    lease_until: datetime | None = None
    channel_id: str | None = None
    ts: str | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
