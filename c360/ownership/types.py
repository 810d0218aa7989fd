"""The values ownership hands to the bot, and the ``Notifier`` port the bot implements.

Nothing here is Slack markup: a person to mention travels as an id (``Ping``, ``ActionResult.who``,
``OwnerBrief.by``) and ``bot/alert_blocks.py`` builds the mention with
``c360.safety.escaping.mention``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Protocol

from c360.domain import Alert, Record, record_time
from c360.safety.masking import mask_text
from c360.safety.policy import Surface
from prompts import ownership as words

if TYPE_CHECKING:
    from c360.ownership.atrisk import AtRiskDigest

MAX_SEND_ATTEMPTS = 8  # then the outbox row is marked failed (kept, with its last error)


@dataclass(frozen=True)
class AlertView(Alert):
    """An alert as every renderer draws it, in any state (bot/alert_blocks.py): the stored alert,
    its customer's name, when its moment happened (not the alert) and the moment's text."""

    customer_name: str = ""
    moment_at: datetime | None = None
    excerpt: str | None = None  # masked as the alert's summary is: it may show in a channel

    @classmethod
    def of(
        cls, alert: Alert, customer_name: str | None, record: Record | None, sensitive: list[str]
    ) -> AlertView:
        """The view of ``alert``: named by its customer (its id when the customer is gone), its
        record's time and text, that text masked by the one masking rule (``sensitive`` fields)."""
        values = {f.name: getattr(alert, f.name) for f in fields(Alert)}
        values.update(reasons=list(alert.reasons), citations=list(alert.citations))
        text = getattr(record, "text", None)
        return cls(
            **values,
            customer_name=customer_name or alert.customer_id,
            moment_at=record_time(record) if record is not None else None,
            excerpt=mask_text(" ".join(text.split()), sensitive) if isinstance(text, str) else None,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        return data


@dataclass
class ActionResult:
    """The outcome of a button press. ``message`` is the sentence for the person who pressed
    (``prompts/ownership.py``); where it names someone it says ``{who}`` and ``who`` is their id
    (``bot.alert_blocks.action_reply`` turns it into a mention)."""

    ok: bool
    alert_id: str
    message: str
    owner_id: str | None = None
    status: str | None = None
    who: str | None = None
    until: datetime | None = None  # a snooze's end, for the bot to show in the reader's zone


@dataclass(frozen=True)
class Ping:
    """Who an escalation re-post mentions: ``target`` (a Slack user/group id, or whatever text a
    record holds) and ``label``, its name when it is not an id. ``label`` None: ``target`` is a
    mention stored by older code, passed through ``stored_mention``."""

    target: str
    label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "label": self.label}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Ping | None:
        ping = payload.get("ping")
        if isinstance(ping, dict) and ping.get("target"):
            return cls(str(ping["target"]), ping.get("label"))
        legacy = payload.get("mention")  # rows queued before the ping was stored as an id
        return cls(str(legacy)) if legacy else None


@dataclass(frozen=True)
class Escalation:
    """What an escalation re-post of an alert adds: who it pings (None: nobody to ping) and the
    note saying why it is posted again. Stored in the outbox row's payload, read back to send."""

    ping: Ping | None
    note: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return {"ping": self.ping.to_dict() if self.ping else None, "note": self.note}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Escalation:
        return cls(Ping.from_payload(payload), payload.get("note"))


@dataclass(frozen=True)
class OwnerBrief:
    """The new owner's DM, as data: written once into the outbox row so a retry never needs the
    retrieval stack; ``bot/alert_blocks.owner_brief_text`` words and escapes it (the moment's
    day on the owner's calendar, read when it is sent)."""

    how: str  # claimed | assigned
    customer_id: str
    customer_name: str
    reasons: list[str]
    summary: str
    answer: str | None = None  # the brief's answer; None when it could not be built
    by: str | None = None  # who assigned it (a Slack user id)
    moment_at: datetime | None = None  # when the moment happened; None in rows of older code

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["moment_at"] = self.moment_at.isoformat() if self.moment_at else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OwnerBrief:
        at = data.get("moment_at")
        return cls(**{**data, "moment_at": datetime.fromisoformat(at) if at else None})


@dataclass
class DigestView:
    """One message for a backlog of alerts waiting for the same channel: ``total`` of them,
    counted ``by_rule`` (most first), and the ``oldest`` moments first (at most ``DIGEST_LINES``)."""

    total: int
    by_rule: list[tuple[str, int]]
    oldest: list[AlertView]


DIGEST_LINES = 10


class Notifier(Protocol):
    """The Slack side of ownership (``bot.notifier.SlackNotifier``). Every posting method
    stamps ``dedupe_key`` into the message metadata so ``find_posted`` can tell later whether
    an interrupted send reached Slack."""

    def post_alert(
        self, channel: str, view: AlertView, dedupe_key: str, escalation: Escalation | None = None
    ) -> tuple[str, str]:
        """The alert in ``channel``; an escalation re-post pings and says why (``escalation``)."""
        ...

    def update_alert(self, channel: str, ts: str, view: AlertView) -> None: ...

    def post_digest(self, channel: str, digest: DigestView, dedupe_key: str) -> tuple[str, str]: ...

    def post_atrisk(
        self, channel: str, digest: AtRiskDigest, dedupe_key: str
    ) -> tuple[str, str]: ...

    def dm(
        self, user_id: str, text: str, dedupe_key: str, blocks: list[dict[str, Any]] | None = None
    ) -> tuple[str, str]: ...

    def post_owner_brief(
        self, user_id: str, brief: OwnerBrief, dedupe_key: str
    ) -> tuple[str, str]: ...

    def post_reminder(self, user_id: str, view: AlertView, dedupe_key: str) -> tuple[str, str]: ...

    def find_posted(
        self, target: str, dedupe_key: str, oldest: datetime
    ) -> tuple[str, str] | None: ...

    def surface(self, target: str) -> Surface:
        """Where a post to ``target`` lands, for the audience policy: a user's DM, a channel
        shared with another organisation, one Slack would not describe, or an internal one
        (``conversations.info``, cached briefly)."""
        ...


class DeliveryNotConfigured(RuntimeError):
    pass


class ChannelWithheld(RuntimeError):
    """The audience policy refused customer content in ``channel``: it is shared with another
    organisation (``final``: the outbox row fails at once) or Slack would not say (retried)."""

    def __init__(self, channel: str, shared: bool) -> None:
        super().__init__(words.withheld(channel, shared))
        self.channel = channel
        self.final = shared


def alert_id_for(record_id: str) -> str:
    """Stable per record, so two processes evaluating the same record make one alert."""
    return "al_" + hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:16]


SNOOZE_MORNING = time(9, 0)  # "tomorrow": the reader's own 09:00


def parse_snooze(choice: str, now: datetime, tz: tzinfo | None = None) -> datetime:
    """``1h`` / ``4h`` / ``tomorrow`` (09:00 the next day on the reader's clock, ``tz`` from
    Slack's users.info; UTC's without one) / ``<N>m`` / ``<N>h``. Returned in UTC."""
    choice = (choice or "").strip().lower()
    if choice == "tomorrow":
        zone = tz or UTC
        day = now.astimezone(zone).date() + timedelta(days=1)
        return datetime.combine(day, SNOOZE_MORNING, tzinfo=zone).astimezone(UTC)
    match = re.fullmatch(r"(\d+)\s*([mh])", choice)
    if not match:
        raise ValueError(
            f"unknown snooze {choice!r}; use 1h, 4h, tomorrow, or a number of minutes/hours like 30m"
        )
    amount, unit = int(match.group(1)), match.group(2)
    return now + (timedelta(minutes=amount) if unit == "m" else timedelta(hours=amount))
