"""The contract between ``bot/`` and the services: what the Slack layer may call, as Protocols.

The bot imports these types, never the service classes (which pull in the store and the
indexes): ``bot.services.BotServices`` is typed with them, and ``tests/test_ports.py`` checks
that the services the container builds still offer every method named here, with these
parameters. A method the bot needs is added here and to the service together; the bot never
probes for one (``hasattr``) or re-decides what a service decides (whether a reference names a
customer is ``BriefsPort.resolve_reference``'s answer, made by the resolver's own rule).

Structural types only (``Protocol``): the services satisfy them without importing this module,
and this module imports only ``c360.domain`` and ``c360.settings``, so it sits in the low layer
with them (the import contracts in ``pyproject.toml`` hold it there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from c360.domain import Asker, Moment, Person
from c360.settings import Settings


# --- values the services hand back ---------------------------------------------------------------
@runtime_checkable
class CandidateView(Protocol):
    """A customer offered for a pick (``retrieval.resolver.Candidate``)."""

    customer_id: str
    name: str
    score: float

    def to_dict(self) -> dict[str, Any]: ...


@runtime_checkable
class BriefAnswer(Protocol):
    """A brief or an answer (``c360.brief.BriefResult``): ``to_dict()`` is the JSON
    contract, ``masked(fields)`` the same answer with the sensitive fields hidden."""

    def to_dict(self) -> dict[str, Any]: ...

    def masked(self, fields: list[str]) -> BriefAnswer: ...


@dataclass(frozen=True)
class ResolvedReference:
    """The service's verdict on a bare customer reference ("Acme", an id): the customer when
    it names one, else the candidates to pick from (best first; empty when nobody fits)."""

    customer_id: str | None = None
    name: str | None = None
    candidates: Sequence[CandidateView] = field(default_factory=tuple)

    @property
    def resolved(self) -> bool:
        return self.customer_id is not None


@runtime_checkable
class ActionOutcome(Protocol):
    """What an alert button did (``ActionResult``): ``message`` is told to the presser."""

    ok: bool
    message: str


@dataclass(frozen=True)
class Batching:
    """How exchanges written behind are batched (``MomentsPort.write_behind``): at most
    ``max_batch`` in one write, after waiting ``linger`` seconds for more to arrive; ``put``
    waits while ``max_queue`` are queued; a failed write is retried every ``retry_seconds``
    (doubling); the queue's state is logged every ``report_every`` seconds."""

    max_batch: int = 32
    max_queue: int = 10_000
    linger: float = 0.05
    retry_seconds: float = 1.0
    report_every: float = 60.0

    def __post_init__(self) -> None:
        if self.max_batch < 1 or self.max_queue < 1:
            raise ValueError("an exchange log needs max_batch >= 1 and max_queue >= 1")


@runtime_checkable
class QueueStats(Protocol):
    def stats(self) -> dict[str, Any]: ...


# --- the services --------------------------------------------------------------------------------
@runtime_checkable
class BriefsPort(Protocol):
    """``c360.brief.BriefService`` as the bot uses it."""

    def ask(
        self,
        question: str,
        asker: Asker,
        context_customer_id: str | None = None,
        log: bool = True,
    ) -> BriefAnswer: ...

    def brief(self, customer_ref: str, asker: Asker, log: bool = True) -> BriefAnswer: ...

    def find_customers(self, text: str, limit: int = 10) -> Sequence[CandidateView]: ...

    def resolve_reference(self, ref: str, limit: int = 5) -> ResolvedReference: ...

    def warm(self) -> None: ...


@runtime_checkable
class MomentsPort(Protocol):
    """``c360.services.moments.MomentService`` as the bot uses it (a moment the bot logs is a
    Slack one: the service's ``channel`` keeps its default, "slack")."""

    exchange_log: QueueStats | None

    def log_moment(
        self,
        customer_id: str,
        text: str,
        asker: Asker,
        needs_owner: bool = False,
        meta: dict[str, Any] | None = None,
    ) -> Moment: ...

    def set_feedback(
        self, moment_id: str, value: str, user_id: str, reason: str | None = None
    ) -> None: ...

    def recent_exchanges(
        self, asker_id: str | None = None, customer_id: str | None = None, limit: int = 10
    ) -> list[Moment]: ...

    def write_behind(self, batching: Batching | None = None) -> QueueStats: ...

    def close(self, timeout: float | None = 30.0) -> bool: ...


@runtime_checkable
class OwnershipPort(Protocol):
    """The ownership service's button actions and App Home summary, as the bot uses them.
    ``by`` is who pressed the button (``Person``: their id, and the name and zone Slack gave)."""

    def claim(self, alert_id: str, by: Person) -> ActionOutcome: ...

    def assign(self, alert_id: str, to: Person, by: Person) -> ActionOutcome: ...

    def snooze(self, alert_id: str, by: Person, choice: str) -> ActionOutcome: ...

    def release(self, alert_id: str, by: Person) -> ActionOutcome: ...

    def resolve(self, alert_id: str, by: Person) -> ActionOutcome: ...

    def home_summary(self, user_id: str) -> dict[str, Any]: ...


@runtime_checkable
class SlackEventsPort(Protocol):
    """``c360.services.slack_events.SlackEventService``: what the bot remembers between
    deliveries (Slack's retries, the customer of each thread)."""

    def first_delivery(self, event_key: str) -> bool: ...

    def remember_thread(self, channel_id: str, thread_ts: str, customer_id: str) -> None: ...

    def thread_customer(self, channel_id: str, thread_ts: str) -> str | None: ...

    def channel_message(self, message: ChannelMessage) -> None: ...


@dataclass(frozen=True)
class ChannelMessage:
    """A person's plain message in a channel the app is in (``message.channels`` /
    ``message.groups``), as the bot's message listener hands it to the services: the live
    capture of customer-channel conversations subscribes to these
    (``SlackEventService.on_channel_message``)."""

    channel_id: str
    user_id: str
    ts: str
    text: str
    thread_ts: str | None = None
    team_id: str | None = None
    channel_type: str | None = None  # "channel" (public) | "group" (private)


class Clock(Protocol):
    """``c360.clock``: what "now" is, so ages on every surface agree with the services'."""

    def now(self) -> datetime: ...


class ServicesPort(Protocol):
    """What the bot reads from the composition root (``c360.container.Container``)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def briefs(self) -> BriefsPort: ...

    @property
    def moments(self) -> MomentsPort: ...

    @property
    def ownership(self) -> OwnershipPort | None: ...

    @property
    def slack_events(self) -> SlackEventsPort: ...

    @property
    def clock(self) -> Clock: ...

    def limit_model_threads(self, threads: int) -> None: ...
