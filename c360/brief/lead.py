"""What an answer says first: at most ``MAX_LEAD`` lines, each cited.

A question about something specific ("open complaints", "the invoice", "how many calls") leads
with its own answer lines. A general one ("what is going on with Acme?", "brief me", a plain
brief) leads with what a customer-success person acts on, in this order: the weightiest recent
signals, open complaints, the last contact, a worsening tone, the renewal.

A signal's weight is what the moment says, not how similar it is to the question: negative
sentiment (VADER, ``retrieval.sentiment``), renewal or churn risk, an escalation, money at stake;
it fades with age (``HALF_LIFE_DAYS``), so the risk flagged yesterday outranks the praise of last
spring, and a strong signal from last year still yields to a fresh one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from c360.domain import Complaint, Customer, Moment, utc
from prompts import lead as W
from retrieval.search import detect_intent
from retrieval.sentiment import compound

MAX_LEAD = 5
MAX_SIGNALS = 2
HALF_LIFE_DAYS = 45.0
MIN_SIGNAL_WEIGHT = 1.0  # below this a moment is news, not a signal
NEGATIVE_BELOW = -0.3  # VADER compound

_RISK = re.compile(
    r"\b(at[- ]risk|churn\w*|cancel\w*|terminat\w*|not (?:going to |planning to )?renew\w*|"
    r"won'?t renew|non[- ]renewal|downgrad\w*|switch\w* to|competitor\w*|evaluating (?:other|alternatives)|"
    r"leav(?:e|ing) us|pull(?:ing)? out|walk away|breach|legal action|lawyer\w*|unacceptable|"
    r"threat\w*|frustrat\w*|furious|angry|disappoint\w*)\b",
    re.IGNORECASE,
)
_ESCALATION = re.compile(
    r"\b(escalat\w*|executive sponsor|ceo|cfo|cto|vp\b|vice president|urgent\w*|critical|sev ?1|p1)\b",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"[$€£]\s?\d|\b\d[\d,.]*\s?(?:k|m|million|bn|billion)\b|\b(?:refund|overcharg\w*|invoice|credit note)\b",
    re.IGNORECASE,
)
_RENEWAL = re.compile(r"\brenew\w*", re.IGNORECASE)
# A question that asks for the state of the account rather than one thing in it.
_GENERAL = re.compile(
    r"\b(going on|happening|up with|news|new with|status|overview|update|updates|brief|"
    r"briefing|summary|summar\w+|catch me up|tell me about|how (?:is|are)\b.*\bdoing|"
    r"how are things|what changed|anything (?:new|i should know)|what should i know|360)\b",
    re.IGNORECASE,
)


@dataclass
class Signal:
    moment: Moment
    weight: float  # before fading with age
    reasons: list[str] = field(default_factory=list)  # strongest first
    score: float = 0.0  # weight faded by age


def weigh(text: str) -> tuple[float, list[str]]:
    """How much a moment's text matters to someone minding the account, and why."""
    parts: list[tuple[float, str]] = []
    if _RISK.search(text):
        parts.append((2.0, "risk"))
    if _ESCALATION.search(text):
        parts.append((1.5, "escalation"))
    tone = compound(text)
    if tone <= NEGATIVE_BELOW:
        parts.append((1.0 - tone, "negative"))
    if _MONEY.search(text) and parts:
        parts.append((0.5, "money"))
    if _RENEWAL.search(text) and parts:
        parts.append((0.5, "renewal"))
    parts.sort(key=lambda p: -p[0])
    return sum(w for w, _ in parts), [r for _, r in parts]


def rank_signals(moments: Sequence[Moment], now: datetime) -> list[Signal]:
    """Moments that carry a signal, weightiest (faded by age) first; ties: the newer first."""
    seen: set[str] = set()
    out: list[Signal] = []
    for m in moments:
        if m.moment_id in seen or m.origin == "exchange":
            continue
        seen.add(m.moment_id)
        weight, reasons = weigh(m.text)
        if weight < MIN_SIGNAL_WEIGHT:
            continue
        age = max((now - utc(m.occurred_at)).total_seconds() / 86400.0, 0.0)
        out.append(Signal(m, weight, reasons, weight * math.pow(0.5, age / HALF_LIFE_DAYS)))
    out.sort(key=lambda s: (-s.score, -utc(s.moment.occurred_at).timestamp()))
    return out


# Words that ask nothing in particular ("what about Globex?", "Globex please").
_FILLER = frozenset(
    [
        "a",
        "about",
        "and",
        "any",
        "anything",
        "are",
        "brief",
        "can",
        "customer",
        "did",
        "do",
        "does",
        "for",
        "from",
        "give",
        "going",
        "happening",
        "hey",
        "hi",
        "how",
        "i",
        "is",
        "it",
        "latest",
        "let",
        "me",
        "new",
        "news",
        "now",
        "of",
        "on",
        "please",
        "quick",
        "s",
        "say",
        "show",
        "so",
        "status",
        "the",
        "their",
        "them",
        "there",
        "they",
        "this",
        "to",
        "up",
        "update",
        "us",
        "we",
        "what",
        "whats",
        "with",
        "you",
    ]
)
_WORDS = re.compile(r"[a-z0-9]+")


def is_general(question: str | None, name_words: frozenset[str] = frozenset()) -> bool:
    """No question, one naming only the customer, or one asking how the account stands rather
    than about one thing in it (complaints, amounts, counts, a channel). ``name_words``: the
    customer's name and aliases as lower-case words."""
    if not question:
        return True
    intent = detect_intent(question)
    if intent.complaints or intent.count or intent.amount or intent.channels:
        return False
    words = [w for w in _WORDS.findall(question.lower()) if w not in name_words]
    if all(w in _FILLER for w in words):
        return True
    return bool(_GENERAL.search(" ".join(words)))


@dataclass
class Line:
    text: str
    records: list[Customer | Moment | Complaint]


@dataclass
class Account:
    """What the lead reads about one customer (the brief service gathered it)."""

    customer: Customer
    moments: Sequence[Moment]  # recent evidence moments, any order
    open_complaints: Sequence[Complaint]  # oldest first
    open_total: int
    complaints_total: int
    latest_complaints: Sequence[Complaint]  # newest first
    last_contact: Moment | None
    tone: tuple[str, float | None, float | None]  # direction, recent mean, previous mean
    tone_records: Sequence[Moment | Complaint] = ()
    tone_days: int = 90


def general_lead(account: Account, now: datetime, tz: tzinfo | None = None) -> list[Line]:
    """The lines of a general question, in the order of the module docstring; ages on the
    reader's calendar (``tz``: "yesterday" is theirs)."""
    lines: list[Line] = []
    shown: set[str] = set()

    def age(when: datetime | None) -> str:
        return W.reader_age(utc(when), now, tz)

    for signal in rank_signals(account.moments, now)[:MAX_SIGNALS]:
        m = signal.moment
        lines.append(Line(W.signal_line(signal.reasons[0], age(m.occurred_at), m.text), [m]))
        shown.add(m.record_id)
    if account.open_total and account.open_complaints:
        oldest = account.open_complaints[0]
        text = W.open_complaints_line(account.open_total, oldest.category, age(oldest.opened_at))
        lines.append(Line(text, list(account.open_complaints[:3])))
    elif not account.open_total:
        cited = [account.customer, *account.latest_complaints[:2]]
        lines.append(Line(W.no_open_line(account.complaints_total), cited))
    last = account.last_contact
    if last is not None and last.record_id not in shown:
        lines.append(Line(W.last_contact_line(age(last.occurred_at), last.text), [last]))
        shown.add(last.record_id)
    direction, recent_mean, prev_mean = account.tone
    if direction == "worsening" and recent_mean is not None and prev_mean is not None:
        text = W.tone_line(direction, recent_mean, prev_mean, account.tone_days)
        lines.append(Line(text, list(account.tone_records[:3])))
    newest_first = sorted(account.moments, key=lambda m: utc(m.occurred_at), reverse=True)
    renewal = next(
        (
            m
            for m in newest_first
            if _RENEWAL.search(m.text) and m.record_id not in shown and m.origin != "exchange"
        ),
        None,
    )
    if renewal is not None:
        lines.append(Line(W.renewal_line(age(renewal.occurred_at), renewal.text), [renewal]))
    return [line for line in lines if line.records][:MAX_LEAD]
