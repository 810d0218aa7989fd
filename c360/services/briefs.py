"""The 360° brief: resolve the customer, gather only that customer's records, and write
fixed sections in which every line cites the records it came from.

Flow of ``ask``: resolver (name index, then description search) -> one customer's records from
the store (index-backed queries) -> customer-scoped hybrid search for the answer -> sections
and rule-based next actions -> optional LLM prose, filtered by a grounding check -> a guard
that drops any citation of another customer's record -> the exchange logged as a moment.

Without a chat model the result is deterministic (same store + same clock = same brief).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from c360.brief import lead as L
from c360.brief.labels import citation_label
from c360.brief.picker import CustomerPicker
from c360.domain import Asker, Complaint, Customer, Moment, record_time
from c360.ports import ResolvedReference
from c360.safety.masking import mask_text
from c360.safety.suspicious import is_suspicious
from prompts import answer_llm
from prompts import brief as W
from prompts import resolution as R
from retrieval import describe as Ds
from retrieval import fieldmatch as F
from retrieval import question as Qn
from retrieval import recordstate as RS
from retrieval.names import COMPANY_KIND, coined_company_words
from retrieval.resolver import (
    STOPWORDS,
    WEAK,
    Candidate,
    CustomerResolver,
    Resolution,
    normalize_tokens,
)
from retrieval.search import detect_intent, rank_chunks
from retrieval.sentiment import compound, trend
from store import queries as Q

# Name matches resting on one word of a name: doubted when the question's description (a day,
# a state) fits other customers and not this one.
WEAK_NAME_METHODS = frozenset({"distinctive token", "name prefix", "acronym", "fuzzy name"})
# A customer's whole name, alias or core name, as typed.
FULL_NAME_METHODS = frozenset(
    {"name", "alias", "core name", "id", "email", "email domain", "domain"}
)
# Words of state and territory names ("Rhode" of "Rhode Island"): a place, not a company name.
_PLACE_WORDS = frozenset(w for name in Qn.STATES.values() for w in name.lower().split())
FIELDS_REFRESH_SECONDS = 10.0  # as the name index: how stale another process's ingest may be

log = logging.getLogger(__name__)

SENTIMENT_WINDOW_DAYS = 90
FOLLOW_UP_AFTER_DAYS = 14
REACH_OUT_AFTER_DAYS = 30
THEME_MIN_FOR_ACTION = 3
ANSWER_ITEMS = 3
MATCH_CITES = 10  # records cited for "these N match what you asked" (the rest are counted)
MAX_OPEN_LISTED = 5
MAX_THEME_CITES = 10
MAX_THEMES = 5
LATEST_COMPLAINTS = 5  # newest complaints read for "no open complaints" and count lines
OPEN_READ = MAX_OPEN_LISTED + MAX_THEME_CITES  # open complaints listed, then cited as "more"
# Sentiment reads at most this many complaints and inbound moments (newest first) of its two
# windows: a trend needs a sample, not every one of a large customer's thousands of messages.
TONE_MAX = 400
# Up to this many complaints, a brief reads a customer's whole complaint history in one query
# (fewer round trips); beyond it, counts and the records shown, by index.
SMALL_HISTORY = 150
RECENT_QUESTIONS = 5
# The lead weighs this many of the newest moments of the last LEAD_DAYS (any direction: a
# colleague's note that the renewal is at risk is internal).
LEAD_READ = 60
LEAD_DAYS = 180
SNIPPET_CHARS = 300

_CITE_RE = re.compile(r"\[([^\[\]]+)\]")
_ID_RE = re.compile(r"\b(?:customer|moment|complaint):[^\s,\];]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])((?:\s*\[[^\[\]]+\])*)\s+")


# --- the result ---------------------------------------------------------------------------------
@dataclass
class Item:
    text: str
    citations: list[str]
    field: str | None = None  # profile field shown, so a channel view can mask it

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "citations": list(self.citations)}


@dataclass
class Section:
    title: str
    items: list[Item]

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "items": [i.to_dict() for i in self.items]}


@dataclass
class NextAction:
    text: str
    reason: str
    citations: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "reason": self.reason, "citations": list(self.citations)}


@dataclass
class Citation:
    record_id: str
    kind: str
    customer_id: str
    occurred_at: str | None
    snippet: str
    # The record's text addresses an AI assistant (c360.safety.suspicious): quoted, never obeyed,
    # and flagged beside the quote so the reader knows.
    suspicious: bool = False
    url: str | None = None  # where a person opens the record (None when it has no link)
    label: str = ""  # what the record is, in words ("Email from Arjun Ivanova, 25 Nov")
    source: str | None = None  # the source it was read from (set by c360.services.source_notes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "kind": self.kind,
            "customer_id": self.customer_id,
            "occurred_at": self.occurred_at,
            "snippet": self.snippet,
            "suspicious": self.suspicious,
            "url": self.url,
            "label": self.label,
            "source": self.source,
        }


@dataclass
class BriefResult:
    question: str | None
    customer: dict[str, str] | None
    candidates: list[Candidate]
    answer: str
    sections: list[Section] = field(default_factory=list)
    next_actions: list[NextAction] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    logged_moment_id: str | None = None
    # Not in JSON: for renderers (Slack) and diagnostics.
    customer_record: Customer | None = None
    status: str = "resolved"  # resolved | ambiguous | not_found
    method: str | None = None  # how the customer was resolved
    llm_used: bool = False
    dropped_sentences: list[str] = field(default_factory=list)
    # How the customer was chosen: {method, evidence, score, runner_up} (``Resolution.explain``).
    resolution: dict[str, Any] | None = None
    # What the answer says first: at most five cited lines (``c360.brief.lead``).
    lead: list[Item] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Exactly the ``--json`` contract (issue 2)."""
        return {
            "question": self.question,
            "customer": dict(self.customer) if self.customer else None,
            "candidates": [c.to_dict() for c in self.candidates],
            "answer": self.answer,
            "sections": [s.to_dict() for s in self.sections],
            "next_actions": [a.to_dict() for a in self.next_actions],
            "citations": [c.to_dict() for c in self.citations],
            "logged_moment_id": self.logged_moment_id,
            "resolution": dict(self.resolution) if self.resolution else None,
            "lead": [i.to_dict() for i in self.lead],
        }

    def section(self, title: str) -> Section | None:
        return next((s for s in self.sections if s.title == title), None)

    def masked(self, fields: list[str]) -> BriefResult:
        """A copy fit for a shared channel: the given profile fields hidden, and their values
        hidden in quoted text by the one masking rule (``c360.safety.masking.mask_text``)."""
        hide = {f.lower() for f in fields}

        def scrub(text: str) -> str:
            return mask_text(text, hide)

        sections = []
        for s in self.sections:
            items = []
            for it in s.items:
                if it.field and it.field.lower() in hide:
                    items.append(replace(it, text=W.profile_line(it.field, W.HIDDEN)))
                else:
                    items.append(replace(it, text=scrub(it.text)))
            sections.append(Section(s.title, items))
        actions = [
            NextAction(scrub(a.text), scrub(a.reason), list(a.citations)) for a in self.next_actions
        ]
        citations = [replace(c, snippet=scrub(c.snippet)) for c in self.citations]
        lead = [replace(it, text=scrub(it.text)) for it in self.lead]
        out = replace(self, sections=sections, next_actions=actions, citations=citations, lead=lead)
        if self.customer:
            out.answer = _render(out)
        else:
            out.answer = scrub(self.answer)
        return out


def _render(result: BriefResult) -> str:
    assert result.customer is not None
    return W.render(
        result.customer["name"],
        result.customer["customer_id"],
        result.question,
        [(s.title, [(i.text, i.citations) for i in s.items]) for s in result.sections],
        [(a.text, a.reason, a.citations) for a in result.next_actions],
    )


# --- grounding ------------------------------------------------------------------------------------
def split_sentences(text: str) -> list[str]:
    """Sentences, each keeping the bracketed citations that follow its full stop."""
    text = re.sub(r"\s+", " ", text or "").strip()
    if not text:
        return []
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        end = m.start() + len(m.group(1) or "")
        out.append(text[start:end].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def cited_ids(sentence: str) -> list[str]:
    ids: list[str] = []
    for group in _CITE_RE.findall(sentence):
        for rid in _ID_RE.findall(group):
            if rid not in ids:
                ids.append(rid)
    return ids


def grounded_sentences(
    text: str, allowed: set[str]
) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """Keep sentences that cite at least one record and only records in ``allowed``.
    Returns (kept (sentence, ids), dropped sentences)."""
    kept, dropped = [], []
    for sentence in split_sentences(text):
        ids = cited_ids(sentence)
        if ids and all(i in allowed for i in ids):
            kept.append((sentence, ids))
        else:
            dropped.append(sentence)
    return kept, dropped


def _message_text(message: Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, list):  # content blocks
        return " ".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content)


def _days(now: datetime, then: datetime) -> int:
    """Whole days from ``then`` to the clock's now; a record dated in the future counts as 0."""
    return max((now - then).days, 0)


def evidence_of_days(days, states, periods=()) -> list[str]:
    return (
        [R.EVIDENCE_DAY.format(d.isoformat()) for d in days]
        + [R.period(start, end) for start, end in periods]
        + [R.EVIDENCE_STATE.format(st) for st in states]
    )


_COMPLAINT_WORD = re.compile(r"\bcomplaints?\b", re.I)


def _kind_words_after(text: str, words: list[str]) -> set[str]:
    """The company-kind words ("lending", "services", "group") right after any of ``words``."""
    tokens = normalize_tokens(text)
    wanted = {t for w in words for t in normalize_tokens(w)}
    return {
        after for word, after in zip(tokens, tokens[1:], strict=False)
        if word in wanted and after in COMPANY_KIND
    }  # fmt: skip


def _reader_tz(asker: Asker | None):
    """The reader's time zone (an IANA name on the asker, e.g. from Slack's users.info), for
    "yesterday" and "last month"; None (UTC) when unknown or not a zone."""
    name = getattr(asker, "tz", None)
    if not name:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _without_name(question: str, customer: Customer) -> str:
    """The question minus the customer's own name: inside one customer's records the name
    says nothing about relevance, and it would pull the profile record to the top."""
    name_words = {
        w for label in (customer.name, *customer.aliases) for w in normalize_tokens(label)
    }
    kept = [
        w
        for w in question.split()
        if not set(normalize_tokens(w)) <= name_words or not normalize_tokens(w)
    ]
    topic = " ".join(kept).strip()
    return topic or question


# --- building --------------------------------------------------------------------------------------
class _Citations:
    """The brief's citation registry and its guard: a record of any other customer is refused,
    whatever produced it (search, a query, the LLM)."""

    def __init__(self, customer_id: str, today: datetime | None = None) -> None:
        self.customer_id = customer_id
        self.today = today  # labels name the year only when it is not today's
        self.by_id: dict[str, Citation] = {}
        self.refused: list[str] = []

    def add(self, record: Customer | Moment | Complaint) -> str | None:
        if record.customer_id != self.customer_id:
            self.refused.append(record.record_id)
            log.warning(
                "guard: refused %s of customer %s in a brief for %s",
                record.record_id,
                record.customer_id,
                self.customer_id,
            )
            return None
        rid = record.record_id
        if rid not in self.by_id:
            when = record_time(record)
            text = record.text() if isinstance(record, Customer) else record.text
            snippet = re.sub(r"\s+", " ", text).strip()
            if len(snippet) > SNIPPET_CHARS:
                snippet = snippet[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
            self.by_id[rid] = Citation(
                rid,
                record.kind,
                record.customer_id,
                when.isoformat() if when else None,
                snippet,
                suspicious=is_suspicious(text),
                url=record.url,
                label=citation_label(record, self.today),
            )
        return rid

    def ids(self, records) -> list[str]:
        return [rid for r in records if (rid := self.add(r))]

    def guard(
        self, sections: list[Section], actions: list[NextAction]
    ) -> tuple[list[Section], list[NextAction]]:
        """Drop any citation not registered for this customer; drop a line left citing nothing."""
        clean_sections = []
        for s in sections:
            items = []
            for it in s.items:
                kept = [
                    c
                    for c in it.citations
                    if c in self.by_id and self.by_id[c].customer_id == self.customer_id
                ]
                if kept:
                    items.append(replace(it, citations=kept))
            clean_sections.append(Section(s.title, items))
        clean_actions = []
        for a in actions:
            kept = [
                c
                for c in a.citations
                if c in self.by_id and self.by_id[c].customer_id == self.customer_id
            ]
            if kept:
                clean_actions.append(replace(a, citations=kept))
        return clean_sections, clean_actions

    def flag(self, sections: list[Section]) -> list[Section]:
        """A line that quotes a record addressed to an AI says so beside the quote: the text is
        shown as written and never followed, and the reader should know it tries to instruct."""
        out = []
        for s in sections:
            items = []
            for it in s.items:
                kinds = [
                    self.by_id[c].kind
                    for c in it.citations
                    if c in self.by_id and self.by_id[c].suspicious
                ]
                if kinds and "\u201c" in it.text:
                    it = replace(it, text=f"{it.text} {W.suspicious_note(kinds[0])}")
                items.append(it)
            out.append(Section(s.title, items))
        return out

    def used(
        self, sections: list[Section], actions: list[NextAction], lead: list[Item] = ()
    ) -> list[Citation]:
        order: list[str] = []
        for s in sections:
            for it in s.items:
                order.extend(c for c in it.citations if c not in order)
        for a in actions:
            order.extend(c for c in a.citations if c not in order)
        for it in lead:  # the lead cites records of the sections, or a few more: last
            order.extend(c for c in it.citations if c not in order)
        return [self.by_id[c] for c in order]


@dataclass
class _Facts:
    """What one brief reads about its customer. Complaints come as counts (one aggregate
    query) plus the few records each line shows or cites, never the whole list: a customer
    can have thousands."""

    customer: Customer
    recent: list[Moment]
    digest: Q.ComplaintDigest
    open_complaints: list[Complaint]  # oldest first; the first MAX_OPEN_LISTED + cited rest
    latest_complaints: list[Complaint]  # newest first, LATEST_COMPLAINTS of them
    themes: list[tuple[Q.CategoryCount, list[Complaint]]]  # top categories, newest members
    tone_moments: list[Moment]  # inbound, within the sentiment windows
    tone_complaints: list[Complaint]  # opened within the sentiment windows
    exchanges: list[Moment]
    last_contact: Moment | None
    all_complaints: list[Complaint] | None = None  # newest first, when the history is short
    evidence: list[Any] = field(default_factory=list)  # records answering the question
    answer_lines: list[tuple[str, list[Any]]] = field(default_factory=list)
    lead_moments: list[Moment] = field(default_factory=list)  # weighed for the lead lines


UNCATEGORISED = "uncategorised"


def _top_categories(digest: Q.ComplaintDigest) -> list[Q.CategoryCount]:
    """The complaint themes a brief shows: most complaints first, then by name."""
    return sorted(digest.categories, key=lambda c: (-c.total, c.category or UNCATEGORISED))[
        :MAX_THEMES
    ]


@dataclass
class _FieldMatch:
    score: float  # the best tier's score
    count: int  # complaints in the best tier
    newest: list[Any]  # its newest MATCH_CITES complaints (full, or id and day only)


def _best_tier(ranked: list[tuple[float, Any]], open_only: bool) -> _FieldMatch | None:
    """The best-scored complaints of a ranking (newest first within a score)."""
    if not ranked:
        return None
    best = ranked[0][0]
    top = [r for s, r in ranked if s >= best - 1e-9]
    if open_only:
        top = [r for r in top if r.is_open] or top
    return _FieldMatch(best, len(top), top[:MATCH_CITES])


def _named_days(terms: F.QuestionTerms) -> list[datetime]:
    days = []
    for text in sorted(terms.dates):
        try:
            days.append(datetime.fromisoformat(text))
        except ValueError:  # "2019-13-45" names no day
            continue
    return days


def _with_values(
    pairs: list[tuple[str, str]], mask: int, complaint_id: str = "", opened_at=None
) -> Q.ComplaintFields:
    """A complaint carrying the pairs of a value mask (``Q.value_hits``); no day and no id
    unless given, so that it scores its values alone."""
    named = {name: value for i, (name, value) in enumerate(pairs) if mask >> i & 1}
    attrs = {k: v for k, v in named.items() if k != "category"}
    return Q.ComplaintFields(complaint_id, "", opened_at, named.get("category"), attrs)


def _hydrated(session, customer_id: str, records: list[Any]) -> list[Any]:
    """The records in order, each field-only complaint row replaced by the full complaint."""
    ids = [r.complaint_id for r in records if isinstance(r, Q.ComplaintFields)]
    full = {c.complaint_id: c for c in Q.customer_complaints_by_ids(session, customer_id, ids)}
    out = []
    for r in records:
        if isinstance(r, Q.ComplaintFields):
            if r.complaint_id in full:  # gone since it was matched: not cited
                out.append(full[r.complaint_id])
        else:
            out.append(r)
    return out


class BriefService:
    def __init__(
        self, sessions, embeddings, index, settings, moments=None, chat_model=None, clock=None
    ) -> None:
        from c360.clock import SystemClock

        self.sessions = sessions
        self.embeddings = embeddings
        self.index = index
        self.settings = settings
        self.moments = moments
        self.chat_model = chat_model
        self.clock = clock or SystemClock()
        self.resolver = CustomerResolver(index, embeddings)
        self.picker = CustomerPicker(sessions)  # typeahead: prefixes of names, ids, domains
        self._fields: F.FieldIndex | None = None
        self._fields_since: datetime | None = None  # newest complaint write the index has seen
        self._fields_checked = 0.0  # time.monotonic() of the last look for new complaints
        self._fields_lock = threading.Lock()
        self._meanings: Ds.Meanings | None = None
        self._customer_fields: Ds.CustomerFields | None = None
        self._meanings_seen = 0
        self._field_words: tuple[int, frozenset[str]] = (-1, frozenset())
        self._value_words: tuple[int, frozenset[str]] = (-1, frozenset())
        ingest = getattr(moments, "ingest", None)
        if ingest is not None and hasattr(ingest, "add_listener"):
            ingest.add_listener(self._on_ingest_names)  # new/renamed customers resolve at once
            ingest.add_listener(self._on_ingest_fields)

    # --- public API ----------------------------------------------------------------------------
    def warm(self) -> None:
        """Build the name and field indexes and load the model now (server start), not on the
        first question."""
        self._fresh_resolver()
        _ = self.fields
        _ = self.meanings  # the issue vocabulary embedded (issues named in other words)
        if self.embeddings is not None:
            self.embeddings.encode_query("warm up")
        # A brief and a question, unlogged, for a customer with a short history and one with
        # a long one (their reads differ), so the first user does not pay for preparing the
        # store's statements (each shape is built and compiled once per process).
        _ = self.resolver.names.vocab  # the typo-correction vocabulary
        names = self.resolver.names.names
        if not names:
            return
        with self.sessions() as session:
            long_history = Q.a_customer_with_more_complaints_than(session, SMALL_HISTORY)
        value = next(iter(self.fields.raw.values()), "billing")
        questions = [
            None,
            "What are the latest open complaints about?",
            f"complaints about {value}",
        ]
        for cid in dict.fromkeys([min(names), long_history]):
            if cid not in names:
                continue
            resolution = Resolution("resolved", cid, names[cid], "warm-up", [])
            try:
                for question in questions:
                    self._build(resolution, question, use_llm=False)  # no model call at start
            except LookupError:  # removed meanwhile: nothing to warm with
                pass

    def find_customers(self, text: str, limit: int = 10) -> list[Candidate]:
        """For pickers: prefixes of names, aliases, ids, domains, then name matches."""
        return self.picker.find(text, limit, self._fresh_resolver().find(text, limit))

    def resolve_reference(self, ref: str, limit: int = 5) -> ResolvedReference:
        """A bare customer reference (``/moment Acme: ...``): the customer when exactly one
        candidate's id or name is ``ref`` itself, or when the resolver's own rule accepts one
        by name (a clear leader); else the candidates to pick from. Names only: a reference
        is not a description."""
        candidates = self.find_customers(ref, limit=limit)
        typed = ref.strip().lower()
        exact = [c for c in candidates if typed in (c.customer_id.lower(), c.name.lower())]
        if len(exact) == 1:
            return ResolvedReference(exact[0].customer_id, exact[0].name, [exact[0]])
        verdict = self._fresh_resolver().resolve(ref, use_description=False)
        if verdict.status == "resolved":
            return ResolvedReference(verdict.customer_id, verdict.name, verdict.candidates)
        return ResolvedReference(candidates=candidates)

    def ask(
        self, question: str, asker: Asker, context_customer_id: str | None = None, log: bool = True
    ) -> BriefResult:
        resolution = self._resolve(question, context_customer_id, _reader_tz(asker))
        return self._respond(resolution, question, question, asker, log)

    def brief(self, customer_ref: str, asker: Asker, log: bool = True) -> BriefResult:
        resolution = self._resolve(customer_ref, None)
        return self._respond(resolution, None, customer_ref, asker, log)

    # --- steps -----------------------------------------------------------------------------------
    # --- field values (products, issues, states, channels) ------------------------------------
    @property
    def fields(self) -> F.FieldIndex:
        """Which customers' complaints carry which field values: built on first use, kept up
        to date by this process's ingests (listener) and, every ``FIELDS_REFRESH_SECONDS``, by
        reading complaints other processes (a `c360 ingest` beside the server) wrote since."""
        now = time.monotonic()
        if self._fields is not None and now - self._fields_checked < FIELDS_REFRESH_SECONDS:
            return self._fields
        with self._fields_lock:
            if self._fields is None or now - self._fields_checked >= FIELDS_REFRESH_SECONDS:
                index = self._fields or F.FieldIndex()
                with self.sessions() as session:
                    self._fields_since = F.add_complaints_since(session, index, self._fields_since)
                self._fields = index
                self._fields_checked = time.monotonic()
        return self._fields

    def _on_ingest_fields(self, summary, records) -> None:
        if self._fields is None:
            return
        for r in records:
            if isinstance(r, Complaint):
                self._fields.add(r.customer_id, r.category, r.attributes)

    def _fresh_resolver(self) -> CustomerResolver:
        """The resolver, its name index checked against the store when due (retrieval takes
        sessions, never opens them)."""
        if self.resolver.stale():
            with self.sessions() as session:
                self.resolver.refresh(session)
        return self.resolver

    def _on_ingest_names(self, summary, records) -> None:
        ids = self.resolver.changed_customers(records)
        if ids:
            self.picker.invalidate()
            with self.sessions() as session:
                self.resolver.customers_changed(session, ids)

    def _resolve(self, text: str, context_customer_id: str | None, tz=None) -> Resolution:
        names = self._fresh_resolver().names
        # Days, months, places, amounts and id pieces in the asker's words ("March 3, 2022",
        # "in March 2022", "a borrower in Vermont", "ID starting 7590-"): read once, in the
        # reader's time zone, never read as names.
        parsed = Qn.parse(text, now=self.clock.now(), tz=tz)
        # A product, issue or state named in the question is not a company name ("Credit card
        # or prepaid card" is not "Card Corporation", "CA" is not an acronym): resolve the
        # question without them first, and fall back to the whole text only if that finds nobody.
        masked = F.mask_named(text, self.fields)
        # A product or issue word ("payday" of "a payday loan") never names a customer alone,
        # as a role word does not: "Payday America" is named by its whole name only.
        weak = self.field_words
        result = self.resolver.resolve(masked, use_description=False, weak=weak)
        if result.status == "not_found" and masked != text:
            whole = self.resolver.resolve(text, use_description=False)
            # A name made of field words ("Student Loan Direct"), named whole: never one word
            # of it shared with the product or issue the question names ("payday loan").
            if whole.status == "resolved" and whole.method in FULL_NAME_METHODS:
                result = whole
        if result.status == "ambiguous" and not context_customer_id:
            # Look-alikes of a name we do not have ("Halvora Lending Services" near several
            # names by spelling): when the candidates rest on that word alone, not found.
            coined = self._unknown_words(text, parsed)
            kinds = _kind_words_after(text, coined)
            if (
                coined
                and kinds
                and not any(kinds & set(normalize_tokens(c.name)) for c in result.candidates)
            ):
                pattern = r"\b(?:" + "|".join(re.escape(w) for w in coined) + r")\b"
                rest = re.sub(pattern, " ", masked, flags=re.IGNORECASE)
                again = self.resolver.resolve(rest, use_description=False, weak=weak)
                if again.status == "not_found":
                    return Resolution(
                        "not_found", evidence=[R.EVIDENCE_UNKNOWN_NAME.format(coined[0])]
                    )
        if parsed.id_prefixes or parsed.id_suffixes:
            # No customer id fits the piece: a complaint id may ("ID starting 31970"). When
            # both kinds fit, the kind the question names: "the complaint with ID starting
            # 5575" is a complaint's id, "the customer ID starting 5575" a customer's.
            by_piece = self._resolve_by_id_fragments(parsed)
            if by_piece is not None and (
                result.status == "not_found"
                or (result.method in ("id prefix", "id suffix") and _COMPLAINT_WORD.search(text))
            ):
                return by_piece
        # A capitalized name no customer has ("Zorblatt Lending"): not a description either.
        unknown = result.status == "not_found" and self._names_unknown(text, parsed)
        if (
            result.status == "not_found"
            and (masked != text or parsed.when or parsed.states or RS.named_states(text))
            and not unknown
        ):
            # A description made of field values comes before reading those values as names.
            by_fields = None if context_customer_id else self._describe_by_fields(text, parsed)
            if by_fields is not None and by_fields.status != "not_found":
                return by_fields
        if result.status == "not_found":
            # A name typed in lower case ("complaints at exerian"): read the words left after
            # the field values as a name would be typed; accept only a clear single match.
            cased = self.resolver.resolve(masked, use_description=False, as_name=True, weak=weak)
            if cased.status == "resolved":
                result = cased
        if result.status == "resolved" and result.method in WEAK_NAME_METHODS:
            result = self._doubt_weak_name(result, text, parsed, context_customer_id)
        if context_customer_id and context_customer_id in names.names:
            if result.status == "not_found":
                return Resolution(
                    "resolved",
                    context_customer_id,
                    names.names[context_customer_id],
                    "context",
                    [
                        Candidate(
                            context_customer_id, names.names[context_customer_id], 1.0, ["context"]
                        )
                    ],
                    evidence=["the thread's customer"],
                    score=1.0,
                )
            if result.status == "ambiguous" and any(
                c.customer_id == context_customer_id for c in result.candidates
            ):
                cand = next(c for c in result.candidates if c.customer_id == context_customer_id)
                return Resolution(
                    "resolved",
                    cand.customer_id,
                    cand.name,
                    "context",
                    [cand],
                    evidence=["the thread's customer, among those the question fits"],
                    score=cand.score,
                )
        if result.status == "not_found":
            by_record = self._resolve_by_complaint_id(text)
            if by_record is not None:
                return by_record
            if parsed.id_prefixes or parsed.id_suffixes:
                # "the complaint with ID starting 31970": the customers whose complaints fit;
                # an id piece nobody's id has is not found, never a description.
                return self._resolve_by_id_fragments(parsed) or Resolution("not_found")
            if unknown:
                # A capitalized name we have no customer for: say so rather than offering
                # look-alikes found by meaning.
                return Resolution("not_found")
            by_fields = self._describe_by_fields(text, parsed)
            if by_fields is None and parsed.amounts and not (parsed.when or parsed.states):
                by_fields = self._describe_by_amount(text, parsed)
            result = by_fields if by_fields is not None else self.resolver.describe(text)
        return result

    @property
    def field_words(self) -> frozenset[str]:
        """The words of the product vocabulary (category and sub-product values: short
        phrases such as "Payday loan"), minus common words: never a customer's name on their
        own. Issue texts are long sentences whose ordinary words ("third" party, "applied")
        are distinctive name words of real companies, so they do not count here."""
        fields = self.fields
        if self._field_words[0] != len(fields.raw):
            words = {
                w
                for k, raw in fields.raw.items()
                if k[0] in Ds.PRODUCT_FIELDS
                for w in normalize_tokens(raw)
                if len(w) > 2 and w not in STOPWORDS
            }
            self._field_words = (len(fields.raw), frozenset(words))
        return self._field_words[1]

    def _names_unknown(self, text: str, parsed) -> bool:
        return bool(self._unknown_words(text, parsed))

    def _unknown_words(self, text: str, parsed) -> list[str]:
        """The words by which the question names, in capitals, a company no customer is: a
        capitalized word inside it (or a first word followed by one: "Zorblatt Lending
        complaints") that no name, field value, place or day word has; in any case, a coined
        word before a company-kind word. Parsed days and places are left out."""
        rest = parsed.without_spans(text)
        fields = self.fields
        if self._value_words[0] != len(fields.raw):  # rebuilt only when new values arrive
            self._value_words = (len(fields.raw), F.value_words(fields))
        vocabularies = (self.resolver.names.postings, self._value_words[1])
        words = F.unknown_names(rest, *vocabularies)
        first = re.match(r"\s*([A-Z][a-z]{3,})\s+[A-Z][a-z]", rest)
        if first and not any(first.group(1).lower() in v for v in vocabularies):
            words.append(first.group(1))
        # In any case: a coined word before "Lending Services" ("halvora lending services").
        is_word = getattr(self.embeddings, "is_word", None)
        if is_word is not None:
            words += coined_company_words(
                rest, lambda w: is_word(w) or any(w in v for v in vocabularies)
            )
        return [
            w
            for w in words
            if w.lower() not in STOPWORDS
            and w.lower() not in WEAK
            and w.lower() not in _PLACE_WORDS
        ]

    def _describe_by_amount(self, text: str, parsed) -> Resolution | None:
        """A customer described by what it pays ("the customer paying $29.85 a month on a
        month-to-month contract"): the customers whose record carries the amount, those whose
        other field values the question names first."""
        fingerprint = len(self.resolver.names)
        if self._customer_fields is None or self._customer_fields.fingerprint != fingerprint:
            index = Ds.CustomerFields()
            with self.sessions() as session:
                index.load(session, fingerprint)
            self._customer_fields = index
        described = self._customer_fields.describe(parsed.amounts, text)
        if described is None or described.status == "not_found":
            return None
        names = self.resolver.names.names
        cands = [
            Candidate(f.customer_id, names[f.customer_id], float(f.score),
                      ["description: fields", R.pays_reason(f.about or "", f.named)])
            for f in described.fits
            if f.customer_id in names
        ]  # fmt: skip
        if not cands:
            return None
        evidence = [R.EVIDENCE_AMOUNT.format(a) for a in parsed.amounts]
        runner = cands[1] if len(cands) > 1 else None
        if described.status == "resolved":
            top = cands[0]
            return Resolution(
                "resolved", top.customer_id, top.name, "description", [top],
                evidence=[*evidence, top.reason or ""], score=top.score, runner_up=runner,
            )  # fmt: skip
        return Resolution(
            "ambiguous", candidates=cands, evidence=evidence, score=cands[0].score,
            runner_up=runner,
        )  # fmt: skip

    def _resolve_by_id_fragments(self, parsed) -> Resolution | None:
        """The customers whose complaint ids fit the pieces the question gives ("the complaint
        with ID starting 31970", "number ending 4755"): one is that customer, several are
        offered (each with a complaint that fits), none is None."""
        with self.sessions() as session:
            found = Q.complaints_by_id_fragments(session, parsed.id_prefixes, parsed.id_suffixes)
        names = self.resolver.names.names
        by_owner: dict[str, list[str]] = {}
        for complaint_id, owner in found:
            if owner in names:
                by_owner.setdefault(owner, []).append(complaint_id)
        if not by_owner:
            return None
        how = "id prefix" if parsed.id_prefixes else "id suffix"
        piece = " ".join([*parsed.id_prefixes, *parsed.id_suffixes])
        evidence = [R.EVIDENCE_ID_FRAGMENT.format(how.removeprefix("id "), piece)]
        cands = [
            Candidate(cid, names[cid], 0.95 if len(by_owner) == 1 else 0.6,
                      [f"complaint {how}", R.complaint_ids_reason(ids)])
            for cid, ids in sorted(by_owner.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ]  # fmt: skip
        if len(cands) == 1:
            top = cands[0]
            return Resolution(
                "resolved", top.customer_id, top.name, f"complaint {how}", [top],
                evidence=[*evidence, top.reason or ""], score=top.score,
            )  # fmt: skip
        return Resolution(
            "ambiguous", candidates=cands[: Ds.MAX_CANDIDATES], evidence=evidence,
            score=cands[0].score, runner_up=cands[1],
        )  # fmt: skip

    def _resolve_by_complaint_id(self, text: str) -> Resolution | None:
        """The customer whose complaint has the id the question gives ("Which company got
        complaint 3571115?"): one id, or several ids all of one customer."""
        ids = sorted(F.question_terms(text).numbers)
        if not ids:
            return None
        with self.sessions() as session:
            found = {cid: Q.get_complaint(session, cid) for cid in ids[:5]}
        owners = {c.customer_id for c in found.values() if c is not None}
        names = self.resolver.names.names
        owners &= set(names)
        if len(owners) != 1:
            return None
        owner = owners.pop()
        which = [cid for cid, c in found.items() if c is not None]
        cand = Candidate(owner, names[owner], 1.0, ["complaint id"])
        return Resolution(
            "resolved", owner, names[owner], "complaint id", [cand],
            evidence=[f"complaint {cid}" for cid in which], score=1.0,
        )  # fmt: skip

    def _doubt_weak_name(
        self, result: Resolution, text: str, parsed, context_customer_id: str | None
    ) -> Resolution:
        """A customer chosen by one name word (a distinctive token, a name prefix, an acronym,
        a typo) while the question also names the day of a complaint: when that customer has no
        complaint that day (from the named state) and the description fits others, one word
        must not outweigh it, so ask which."""
        if context_customer_id or not parsed.when:
            return result
        with self.sessions() as session:
            rows = Ds.complaints_in(session, parsed.when)
        wanted = set(parsed.states)
        if any(
            row[1] == result.customer_id
            and (not wanted or str((row[4] or {}).get("state") or "").upper() in wanted)
            for row in rows
        ):
            return result  # the named customer has a complaint of that day (and state)
        described = self._describe_by_fields(text, parsed)
        if described is None or described.status == "not_found":
            return result
        named = result.candidates[0] if result.candidates else None
        cands = list(described.candidates[: Ds.MAX_CANDIDATES])
        if named is not None:
            cands.append(replace(named, reasons=[named.reasons[0] if named.reasons else "name"]))
        return Resolution(
            "ambiguous",
            candidates=cands,
            evidence=[R.EVIDENCE_NAME_DOUBTED.format(result.name), *described.evidence],
            score=described.score,
            runner_up=named,
        )

    def _in_field_words(self, question: str, customer: Customer | None = None) -> str:
        """The question, plus the field value its issue phrase means when it names none exactly
        ("unexpected fees" -> "Charged fees or interest you didn't expect"), so the records it
        asks for are matched by their fields. The customer's own name is not an issue."""
        if any(k[0] in Ds.ISSUE_FIELDS for k in self.fields.named(question)):
            return question
        topic = _without_name(question, customer) if customer is not None else question
        parsed = Qn.parse(topic, now=self.clock.now())
        phrase = Ds.issue_phrase(parsed.without_spans(topic, Ds.MARK))
        if not phrase or self.embeddings is None:
            return question
        vocabulary = [(k[0], raw) for k, raw in self.fields.raw.items()]
        close = Ds.closest_values(phrase, vocabulary, self.meanings.similarity(phrase), limit=1)
        if not close or close[0][2] < Ds.FIT_CLEAR:
            return question
        return f"{question} ({close[0][1]})"

    @property
    def meanings(self) -> Ds.Meanings:
        """The issue and product vocabulary embedded once (issues named in other words)."""
        if self._meanings is None:
            self._meanings = Ds.Meanings(self.embeddings)
        fields = self.fields
        if len(fields.raw) != self._meanings_seen:
            self._meanings.add(v for k, v in fields.raw.items() if k[0] in Ds.ISSUE_FIELDS)
            self._meanings_seen = len(fields.raw)
        return self._meanings

    def _describe_by_fields(self, text: str, parsed=None) -> Resolution | None:
        """A description ("the lender with a complaint from a borrower in Vermont on March 3,
        2022 about a debt they don't owe", "the company with complaints about <sub-issue> in
        <State> via <channel>"): the customers having one complaint that carries every named
        day, state and value, ranked by how well its issue fits the question's words
        (``retrieval.describe``). None when the question names too little or nobody fits."""
        parsed = parsed or Qn.parse(text, now=self.clock.now())
        names = self._fresh_resolver().names.names
        keys = self.fields.named(text)
        record_states = RS.named_states(text)
        phrase = Ds.issue_phrase(parsed.without_spans(text, Ds.MARK))
        # The issue named exactly: a product named ("payday loan") does not say what the
        # complaint was about, so the issue phrase beside it still has to fit.
        exact_issue = any(k[0] in Ds.ISSUE_FIELDS and k[0] not in Ds.PRODUCT_FIELDS for k in keys)
        cosine = (
            self.meanings.similarity(phrase)
            if phrase and not exact_issue and self.embeddings
            else {}
        )
        soft = phrase if phrase and not exact_issue else None
        states = sorted({*parsed.states, *(self.fields.raw[k] for k in keys if k[0] == "state")})
        if parsed.when or (record_states and states):
            # On the named days the complaints are few: the day and state narrow them, the
            # issue (exact words or other words alike) ranks them. A product or issue word
            # named exactly ("loan" in "the home loan") is the asker's wording, not a filter.
            exact = [k for k in keys if k[0] != "state" and k[0] not in Ds.ISSUE_FIELDS]
            named_issue = " ".join(self.fields.raw[k] for k in keys if k[0] in Ds.ISSUE_FIELDS)
            day_phrase = phrase or named_issue or None
            day_cosine = (
                self.meanings.similarity(day_phrase) if day_phrase and self.embeddings else {}
            )
            # A product named beside the issue ("the payday loan lender ... about fees") must
            # be the complaint's product too, for the complaint to fit every named fact.
            products = [self.fields.raw[k] for k in keys if k[0] in Ds.PRODUCT_FIELDS]
            with self.sessions() as session:
                if parsed.when:
                    rows = Ds.complaints_in(session, parsed.when, states)
                else:  # a state and a record state, no time: that state's complaints
                    rows = Q.complaints_of_states(session, states, Ds.MAX_DAY_ROWS)
            described = Ds.describe_by_days(
                rows, states, exact, day_phrase, day_cosine, set(names), products, record_states
            )
            evidence = evidence_of_days(parsed.dates, states, parsed.periods)
            evidence += [R.EVIDENCE_VALUE.format(k[0], self.fields.raw[k]) for k in exact]
            evidence += [
                R.EVIDENCE_RECORD_STATE.format(rs.phrase, rs.negated) for rs in record_states
            ]
            if described.status != "not_found":
                return self._from_fits(described, evidence, day_phrase)
            if states or record_states or day_phrase or not keys:
                # No complaint of the named time and state (and record state, and what it
                # was about): the companies that fit the rest fit partly, and the facts the
                # asker gave contradict every one: nothing fits.
                return Resolution("not_found", evidence=evidence)
            # Nothing of those days fits: what else the question says may be offered, never
            # answered (the day it names contradicts every fit).
            other = self._describe_by_values(keys, states, soft, cosine)
            if other is not None and other.resolved:
                other = Resolution(
                    "ambiguous", candidates=other.candidates, evidence=other.evidence,
                    score=other.score, runner_up=other.runner_up,
                )  # fmt: skip
            return other
        return self._describe_by_values(keys, states, soft, cosine)

    def _from_fits(self, described: Ds.Described, evidence: list[str], soft: str | None):
        names = self.resolver.names.names
        cands = []
        for f in described.fits:
            reason = R.fit_reason(f.state, f.day, f.about, f.named)
            cands.append(Candidate(f.customer_id, names[f.customer_id], round(f.score, 4),
                                   ["description: fields", reason]))  # fmt: skip
        top = described.fits[0]
        if soft and top.about:
            evidence = [*evidence, R.EVIDENCE_ISSUE.format(soft, top.about, top.score)]
        runner = cands[1] if len(cands) > 1 else None
        if described.status == "resolved":
            return Resolution(
                "resolved", top.customer_id, names[top.customer_id], "description", cands[:1],
                evidence=[*evidence, cands[0].reason], score=top.score, runner_up=runner,
            )  # fmt: skip
        return Resolution(
            "ambiguous", candidates=cands, evidence=evidence, score=top.score, runner_up=runner
        )

    def _describe_by_values(self, keys, states, soft, cosine) -> Resolution | None:
        """Without a day: the customers having one complaint carrying every named value (an
        issue in other words counts as its closest values). One fits: that customer when the
        question named two values exactly, else candidates."""
        keys = list(keys)
        for st in states:
            key = ("state", F.norm(st))
            if key in self.fields.customers and key not in keys:
                keys.append(key)
        fuzzy: list[tuple[str, str, float]] = []
        if soft:
            vocabulary = [(k[0], raw) for k, raw in self.fields.raw.items()]
            fuzzy = Ds.closest_values(soft, vocabulary, cosine)
            fuzzy = [f for f in fuzzy if f[0] == fuzzy[0][0] and f[2] >= fuzzy[0][2] - 0.05]
        if len(keys) + bool(fuzzy) < 2:
            return None
        sets = [self.fields.customers[k] for k in keys]
        if fuzzy:
            sets.append(set().union(*(self.fields.customers[(f, F.norm(v))] for f, v, _ in fuzzy)))
        sets.sort(key=len)
        customers = set(sets[0]).intersection(*sets[1:])
        if not customers or len(customers) > 50:
            return None
        values = self.fields.spellings(keys)
        if fuzzy:
            values.setdefault(fuzzy[0][0], []).extend(v for _, v, _ in fuzzy)
        # The customers having one complaint that carries every named value at once (counted
        # in the store's field-value index, not read from each candidate's complaints).
        with self.sessions() as session:
            carrying = Q.customers_with_a_complaint_carrying_all(session, sorted(customers), values)
        names = self.resolver.names.names
        fits = sorted(c for c in carrying if c in names)
        shown = [self.fields.raw[k] for k in keys] + [v for _, v, _ in fuzzy[:1]]
        evidence = [R.EVIDENCE_VALUE.format(k[0], self.fields.raw[k]) for k in keys]
        if fuzzy:
            evidence.append(R.EVIDENCE_ISSUE.format(soft, fuzzy[0][1], fuzzy[0][2]))
        reason = R.fields_reason(shown)
        # One customer fits: specific when two values were named exactly, or one exactly and
        # the issue in other words fits one value clearly (all its words, or close in meaning).
        clear = len(fuzzy) == 1 and fuzzy[0][2] >= Ds.FIT_CLEAR
        if len(fits) == 1 and (len(keys) >= 2 or (len(keys) == 1 and clear)):
            cand = Candidate(fits[0], names[fits[0]], 0.9, ["description: fields", reason])
            return Resolution(
                "resolved", fits[0], names[fits[0]], "description", [cand],
                evidence=[*evidence, reason], score=0.9,
            )  # fmt: skip
        if fits:
            cands = [Candidate(c, names[c], 0.7, ["description: fields", reason]) for c in fits]
            return Resolution(
                "ambiguous", candidates=cands[:10], evidence=evidence, score=0.7,
                runner_up=cands[1] if len(cands) > 1 else None,
            )  # fmt: skip
        return None

    def _respond(
        self, resolution: Resolution, question: str | None, ref: str, asker: Asker, log: bool
    ) -> BriefResult:
        if not resolution.resolved:
            if resolution.status == "ambiguous":
                answer = R.ambiguous(
                    ref,
                    [(c.customer_id, c.name, c.score, c.reason) for c in resolution.candidates],
                )
            else:
                answer = W.not_found(ref)
            return BriefResult(
                question,
                None,
                list(resolution.candidates),
                answer,
                status=resolution.status,
                resolution=resolution.explain(),
            )
        result = self._build(resolution, question)
        result.resolution = resolution.explain()
        if log and self.moments is not None:
            first = [it.text for s in result.sections[:1] for it in s.items[:2]]
            short = W.short_answer(result.customer["name"], first)
            result.logged_moment_id = self.moments.log_exchange(
                resolution.customer_id,
                asker,
                question or f"brief {ref}",
                short,
                [c.record_id for c in result.citations],
                meta={"customer_name": result.customer["name"]},  # App Home shows names
            )
        return result

    def _gather(self, customer_id: str, question: str | None) -> _Facts:
        """Everything the brief states. A customer with a short complaint history is read in
        one query; a long one (a bureau has thousands) as counts from one aggregate plus the
        few records each line shows, by index: the cost follows what is shown, not the size
        of the history. Both give the same facts (tests/test_complaint_reads.py)."""
        now = self.clock.now()
        start = now - timedelta(days=2 * SENTIMENT_WINDOW_DAYS)
        until = now + timedelta(microseconds=1)  # a record dated after now is not in a window
        cid = customer_id
        with self.sessions() as session:
            customer = Q.get_customer(session, cid)
            if customer is None:
                raise LookupError(
                    f"customer {cid!r} vanished from the store while answering; ask again"
                )
            recent = Q.recent_moments(session, cid, limit=max(self.settings.recent_moments, 1))
            digest = Q.complaint_digest(session, cid)
            top = _top_categories(digest)
            everything: list[Complaint] | None = None
            if digest.total <= SMALL_HISTORY:
                everything = Q.customer_complaints(session, cid) if digest.total else []
                open_c = sorted(
                    (c for c in everything if c.is_open),
                    key=lambda c: (c.opened_at, c.complaint_id),
                )[:OPEN_READ]
                latest = everything[:LATEST_COMPLAINTS]
                themes = [
                    (cat, [c for c in everything if c.category == cat.category][:MAX_THEME_CITES])
                    for cat in top
                ]
                tone_c = [c for c in everything if start <= c.opened_at < until][:TONE_MAX]
            else:
                open_c = (
                    Q.customer_complaints(
                        session, cid, open_only=True, oldest_first=True, limit=OPEN_READ
                    )
                    if digest.open
                    else []
                )
                latest = Q.customer_complaints(session, cid, limit=LATEST_COMPLAINTS)
                members = Q.newest_by_category(
                    session, cid, [cat.category for cat in top], MAX_THEME_CITES
                )
                themes = [(cat, members[cat.category]) for cat in top]
                tone_c = Q.customer_complaints(
                    session, cid, since=start, until=until, limit=TONE_MAX
                )
            tone_m = Q.recent_moments(
                session, cid, TONE_MAX, since=start, until=until, direction="inbound"
            )
            exchanges = Q.exchange_moments(session, customer_id=cid, limit=RECENT_QUESTIONS)
            lead_moments = Q.recent_moments(
                session, cid, LEAD_READ, since=now - timedelta(days=LEAD_DAYS), until=until
            )
            facts = _Facts(
                customer,
                recent,
                digest,
                open_c,
                latest,
                themes,
                tone_m,
                tone_c,
                exchanges,
                recent[0] if recent else None,
                everything,
                lead_moments=lead_moments,
            )
            if question:
                self._answer_facts(session, facts, question, now)
        return facts

    def _field_match(
        self, session, facts: _Facts, question: str, open_only: bool = False
    ) -> _FieldMatch | None:
        """The complaints the question names best by their fields (product, issue, state,
        channel, day, id; ``rank_by_fields``): how many, and the newest ``MATCH_CITES`` of
        them. With ``open_only``, the open ones among them when there are any. From the whole
        history when the brief read it; otherwise from the store's field-value index: ids,
        days and values of the complaints carrying a named value (index entries, not
        complaints), scored once per combination of values, and only the cited ones read."""
        cid = facts.customer.customer_id
        if facts.all_complaints is not None:
            now = self.clock.now()
            return _best_tier(F.rank_by_fields(question, facts.all_complaints, (), now), open_only)
        terms = F.question_terms(question, self.clock.now())
        values = self.fields.named_values(question)
        days = _named_days(terms)
        ids = sorted(terms.numbers)
        periods = [
            (
                datetime.fromisoformat(a).replace(tzinfo=UTC),
                datetime.fromisoformat(b).replace(tzinfo=UTC),
            )
            for a, b in terms.periods
        ]
        if not (values or days or ids or periods):
            return None
        pairs = [(name, value) for name, spellings in values.items() for value in spellings]
        # Every complaint carrying a named value, as (day, which values): a few columns from
        # one covering index. Scored once per combination of values; those named by day or id
        # (a few) one by one, as their day and id add to the score.
        entries = Q.value_hits(session, cid, pairs)
        named = Q.complaint_days_named(session, cid, days, ids, periods)
        for c, key in named.items():
            entries.setdefault(c, (key, 0))
        by_mask: dict[int, float] = {}
        scores: dict[str, float] = {}
        for c, (key, mask) in entries.items():
            if c in named:
                opened = Q.stored_time(key)
                scores[c] = F.complaint_match(terms, _with_values(pairs, mask, c, opened))
            else:
                if mask not in by_mask:
                    by_mask[mask] = F.complaint_match(terms, _with_values(pairs, mask))
                scores[c] = by_mask[mask]
        best = max(scores.values(), default=0.0)
        if best <= 0:
            return None
        top = [c for c, s in scores.items() if s >= best - 1e-9]
        if open_only:
            open_ids = Q.open_complaint_ids(session, cid)
            top = [c for c in top if c in open_ids] or top
        top.sort(key=lambda c: (entries[c][0], c), reverse=True)
        newest = [
            Q.ComplaintFields(c, cid, Q.stored_time(entries[c][0]), None, {})
            for c in top[:MATCH_CITES]
        ]
        return _FieldMatch(best, len(top), newest)

    def _answer_facts(self, session, facts: _Facts, question: str, now: datetime) -> None:
        """What answers the question: counts, open complaints, newest records, or the most
        relevant records by hybrid search over this customer's chunks."""
        intent = detect_intent(question)
        cust = facts.customer
        lines: list[tuple[str, list[Any]]] = self._asked_field_lines(session, facts, question)
        # Records the question names by their fields (product, issue, state, channel, day, id):
        # structured values the text ranking cannot see. Responses follow their complaint.
        matched: list[Any] = []
        found = (
            self._field_match(
                session, facts, self._in_field_words(question, cust), intent.open_complaints
            )
            if facts.digest.total and not intent.count
            else None
        )
        if found is not None:
            top = found.newest
            # The responses linked to the matched complaints come after them. When the complaints
            # alone fill the cited slots, loading moments buys nothing; otherwise only the
            # moments linked to those complaints are read, not every moment of a large customer.
            moments = (
                Q.linked_moments(session, cust.customer_id, [c.complaint_id for c in top])
                if found.count < MATCH_CITES
                else []
            )
            matched = [
                r for _, r in F.with_linked_moments([(found.score, r) for r in top], moments)
            ]
        if matched:
            named = [self.fields.raw[k] for k in self.fields.named(question)]
            n_complaints = found.count
            total = found.count + sum(isinstance(r, Moment) for r in matched)
            # Only the records the answer shows and cites are read in full.
            matched = _hydrated(session, cust.customer_id, matched[:MATCH_CITES])
            lines.append((W.field_matches_line(n_complaints, total, named), matched))
            facts.evidence = matched
            for rec in matched[:ANSWER_ITEMS]:
                lines.append((self._evidence_line(rec, now), [rec]))
        elif intent.amount and not intent.complaints and not intent.count and not lines:
            # "How much do they pay a month?": the money fields of the customer record the
            # question points at, or that the record has none (not in the data).
            where = W.record_label("customer", cust.customer_id, cust.name)
            found_amounts = F.amount_fields(cust, question)
            for name, value in found_amounts:
                lines.append(
                    (
                        W.field_value_line(
                            W.amount_label(name), where, W.amount_value(name, value)
                        ),
                        [cust],
                    )
                )
            if not found_amounts:
                lines.append((W.not_in_data("amount", where), [cust]))
            facts.evidence = [cust]
        elif intent.count:
            if intent.complaints or not intent.channels:
                lines.append(
                    (
                        W.count_complaints_line(cust.name, facts.digest.total, facts.digest.open),
                        [cust, *facts.latest_complaints[:5]],
                    )
                )
            if not intent.complaints:
                per_channel = Q.count_moments(session, cust.customer_id)
                if intent.channels:
                    per_channel = {k: v for k, v in per_channel.items() if k in intent.channels}
                latest = Q.recent_moments(
                    session, cust.customer_id, limit=5, channels=intent.channels or None
                )
                lines.append((W.count_moments_line(cust.name, per_channel), [cust, *latest]))
            facts.evidence = [r for _, recs in lines for r in recs]
        elif intent.open_complaints:
            open_c = facts.open_complaints
            facts.evidence = open_c[: ANSWER_ITEMS + 2] or [cust]
            if not open_c:
                lines.append(
                    (
                        W.no_open_complaints(facts.digest.total),
                        [cust, *facts.latest_complaints[:3]],
                    )
                )
        elif intent.recency:
            if intent.complaints and facts.digest.newest_at is not None:
                # Everything received on the newest day is "the latest", not just the first row.
                newest = facts.digest.newest_at.date()
                day = datetime(newest.year, newest.month, newest.day, tzinfo=UTC)
                same_day = (
                    [c for c in facts.all_complaints if c.opened_at.date() == newest]
                    if facts.all_complaints is not None
                    else Q.customer_complaints(
                        session, cust.customer_id, since=day, until=day + timedelta(days=1)
                    )
                )
                if len(same_day) > 1:
                    lines.append(
                        (
                            W.latest_day_line(len(same_day), newest.isoformat()),
                            same_day[:MATCH_CITES],
                        )
                    )
                    for rec in same_day[:ANSWER_ITEMS]:
                        lines.append((self._evidence_line(rec, now), [rec]))
                facts.evidence = same_day[:ANSWER_ITEMS]
            else:
                facts.evidence = Q.recent_moments(
                    session, cust.customer_id, limit=ANSWER_ITEMS, channels=intent.channels or None
                )
        else:
            chunks = Q.customer_chunks(session, cust.customer_id)
            if intent.complaints:
                # "What did they complain about?": the complaints answer it, not the notes and
                # calls that happen to share its words; other records only when there are none.
                chunks = [c for c in chunks if c.kind == "complaint"] or chunks
            topic = _without_name(question, cust)
            # One record to choose from (a customer known only by its profile) needs no
            # ranking, so no query embedding (the costliest step of this path).
            one_record = len({c.record_id for c in chunks if c.origin != "exchange"}) <= 1
            vector = (
                self.embeddings.encode_query(topic)
                if self.embeddings is not None and not one_record
                else None
            )
            hits = rank_chunks(chunks, topic, vector, now, limit=ANSWER_ITEMS + 2)
            records = Q.records_by_ids(session, [h.record_id for h in hits])
            facts.evidence = [records[h.record_id] for h in hits if h.record_id in records][
                : ANSWER_ITEMS + 2
            ]
            if not facts.evidence:
                lines.append((W.nothing_relevant(), [cust]))
        if not lines:
            for rec in (
                facts.evidence[:ANSWER_ITEMS] if not intent.open_complaints else facts.evidence
            ):
                lines.append((self._evidence_line(rec, now), [rec]))
        facts.answer_lines = lines

    def _asked_field_lines(
        self, session, facts: _Facts, question: str
    ) -> list[tuple[str, list[Any]]]:
        """A question asking for a field ("the e-mail address", "did the consumer dispute"):
        its value from the record it is about (a complaint named by id, else the customer
        record), or, when the record has no such value, the not-in-data wording, citing the
        record that was checked, so nothing is invented."""
        # A field word inside a field value the question names ("credit score" in the issue
        # "Unable to get your credit report or credit score") is that value, not a request.
        named = [self.fields.raw[k] for k in self.fields.named(question)]
        asked = F.asked_outside_values(question, named)
        if not asked:
            return []
        ids = F.question_terms(question).numbers
        if not ids:
            targets: list[Any] = []
        elif facts.all_complaints is not None:
            targets = [c for c in facts.all_complaints if str(c.complaint_id) in ids][:3]
        else:
            targets = Q.customer_complaints_by_ids(session, facts.customer.customer_id, ids)[:3]
        targets = targets or [facts.customer]
        out = []
        for phrase, names in asked:
            for rec in targets:
                _known, value = F.field_value(rec, names)
                where = W.record_label(rec.kind, rec.source_id, facts.customer.name)
                if value is None:
                    out.append((W.not_in_data(phrase, where), [rec]))
                else:
                    out.append((W.field_value_line(phrase, where, value), [rec]))
        return out

    @staticmethod
    def _evidence_line(rec: Any, now: datetime) -> str:
        if isinstance(rec, Complaint):
            age = _days(now, rec.opened_at) if rec.is_open else None
            return W.complaint_line(rec.opened_at, rec.category, rec.status, age, rec.text)
        if isinstance(rec, Moment):
            return W.moment_line(rec.occurred_at, rec.channel, rec.direction, rec.author, rec.text)
        return W.evidence_line("customer record", rec.created_at, None, rec.text())

    def _build(
        self, resolution: Resolution, question: str | None, use_llm: bool = True
    ) -> BriefResult:
        now = self.clock.now()
        facts = self._gather(resolution.customer_id, question)
        cust = facts.customer
        reg = _Citations(cust.customer_id, today=now)
        cust_id = reg.add(cust)
        sections: list[Section] = []

        dropped: list[str] = []
        llm_used = False
        chat_model = self.chat_model if use_llm else None
        if question or chat_model is not None:
            items = [Item(text, reg.ids(recs)) for text, recs in facts.answer_lines]
            if chat_model is not None:
                llm_items, dropped = self._llm_items(cust, question, facts, reg)
                if llm_items:
                    items, llm_used = llm_items, True
            if items:
                sections.append(Section(W.TITLE_ANSWER if question else W.TITLE_SUMMARY, items))

        sections.append(Section(W.TITLE_PROFILE, self._profile(cust, cust_id)))
        sections.append(Section(W.TITLE_RECENT, self._recent(facts, reg, cust_id)))
        open_items, theme_items = self._complaints(facts, reg, cust_id, now)
        sections.append(Section(W.TITLE_OPEN, open_items))
        sections.append(Section(W.TITLE_THEMES, theme_items))
        tone = self._tone(facts, now)
        sections.append(Section(W.TITLE_SENTIMENT, [self._tone_item(tone, reg, cust_id)]))
        sections.append(Section(W.TITLE_QUESTIONS, self._questions(facts, reg, cust_id)))
        actions = self._actions(facts, reg, cust_id, tone, now)

        sections, actions = reg.guard(sections, actions)
        sections = reg.flag(sections)
        lead = self._lead(facts, reg, cust_id, tone, question, sections, now)
        result = BriefResult(
            question=question,
            customer={"customer_id": cust.customer_id, "name": cust.name},
            candidates=list(resolution.candidates),
            answer="",
            sections=sections,
            next_actions=actions,
            citations=reg.used(sections, actions, lead),
            customer_record=cust,
            status="resolved",
            method=resolution.method,
            llm_used=llm_used,
            dropped_sentences=dropped,
            lead=lead,
        )
        result.answer = _render(result)
        return result

    def _lead(self, facts, reg, cid, tone, question, sections, now) -> list[Item]:
        """The answer's first lines (``c360.brief.lead``): a specific question's own answer
        lines; for a general one, what matters first. Through the same citation guard."""
        answer = next((s for s in sections if s.title == W.TITLE_ANSWER), None)
        c = facts.customer
        names = frozenset(w.lower() for n in (c.name, *c.aliases) for w in normalize_tokens(n))
        if answer and answer.items and not L.is_general(question, names):
            return [replace(it, citations=list(it.citations)) for it in answer.items[: L.MAX_LEAD]]
        t, recent, _ = tone
        account = L.Account(
            customer=facts.customer,
            moments=[*facts.lead_moments, *facts.recent],
            open_complaints=facts.open_complaints,
            open_total=facts.digest.open,
            complaints_total=facts.digest.total,
            latest_complaints=facts.latest_complaints,
            last_contact=facts.last_contact,
            tone=(t.direction, t.recent_mean, t.previous_mean),
            tone_records=[r for _, r in sorted(recent, key=lambda x: x[0])],
            tone_days=SENTIMENT_WINDOW_DAYS,
        )
        items = [Item(line.text, reg.ids(line.records)) for line in L.general_lead(account, now)]
        [guarded], _ = reg.guard([Section("lead", items)], [])
        return guarded.items

    # --- sections ----------------------------------------------------------------------------------
    def _profile(self, c: Customer, cid: str) -> list[Item]:
        items = [Item(W.profile_line("name", c.name), [cid], "name")]
        if c.aliases:
            items.append(Item(W.profile_line("aliases", ", ".join(c.aliases)), [cid], "aliases"))
        for fname in ("segment", "plan", "region", "domain"):
            value = getattr(c, fname)
            if value:
                items.append(Item(W.profile_line(fname, str(value)), [cid], fname))
        if c.arr is not None:
            items.append(Item(W.profile_line("arr", W.money(c.arr)), [cid], "arr"))
        items.append(
            Item(W.profile_line("owner", c.owner) if c.owner else W.no_owner(), [cid], "owner")
        )
        if c.emails:
            items.append(Item(W.profile_line("emails", ", ".join(c.emails)), [cid], "emails"))
        if c.created_at:
            items.append(
                Item(W.profile_line("created_at", W.day(c.created_at)), [cid], "created_at")
            )
        for key, value in sorted(c.attributes.items())[:8]:
            if value not in (None, "", [], {}):
                items.append(Item(W.profile_line(key, str(value)), [cid], key))
        return items

    def _recent(self, facts: _Facts, reg: _Citations, cid: str) -> list[Item]:
        if not facts.recent:
            return [Item(W.no_moments(), [cid])]
        return [
            Item(
                W.moment_line(m.occurred_at, m.channel, m.direction, m.author, m.text), reg.ids([m])
            )
            for m in facts.recent
        ]

    def _complaints(
        self, facts: _Facts, reg: _Citations, cid: str, now: datetime
    ) -> tuple[list[Item], list[Item]]:
        open_c = facts.open_complaints
        if open_c:
            open_items = [
                Item(
                    W.complaint_line(
                        c.opened_at, c.category, c.status, _days(now, c.opened_at), c.text
                    ),
                    reg.ids([c]),
                )
                for c in open_c[:MAX_OPEN_LISTED]
            ]
            rest = facts.digest.open - MAX_OPEN_LISTED
            if rest > 0:  # counted in full, the oldest of them cited
                open_items.append(
                    Item(W.more_open_complaints(rest), reg.ids(open_c[MAX_OPEN_LISTED:]))
                )
        else:
            open_items = [
                Item(
                    W.no_open_complaints(facts.digest.total),
                    [cid, *reg.ids(facts.latest_complaints[:3])],
                )
            ]
        theme_items = [
            Item(
                W.theme_line(cat.category or UNCATEGORISED, cat.total, cat.open),
                reg.ids(members[:MAX_THEME_CITES]),
            )
            for cat, members in facts.themes
        ]
        if not theme_items:
            theme_items = [Item(W.no_open_complaints(0), [cid])]
        return open_items, theme_items

    def _tone(self, facts: _Facts, now: datetime):
        cut = now - timedelta(days=SENTIMENT_WINDOW_DAYS)
        start = now - timedelta(days=2 * SENTIMENT_WINDOW_DAYS)
        recent, previous = [], []
        texts = [(m, m.occurred_at) for m in facts.tone_moments] + [
            (c, c.opened_at) for c in facts.tone_complaints if c.opened_at >= start
        ]
        for rec, at in texts:
            if at > now:
                continue
            score = compound(rec.text)
            (recent if at >= cut else previous).append((score, rec))
        return trend([s for s, _ in recent], [s for s, _ in previous]), recent, previous

    def _tone_item(self, tone, reg: _Citations, cid: str) -> Item:
        t, recent, previous = tone
        text = W.sentiment_line(
            t.direction,
            t.recent_mean,
            t.recent_count,
            t.previous_mean,
            t.previous_count,
            SENTIMENT_WINDOW_DAYS,
        )
        # Cite the records that weigh most: the most negative of each window.
        cited = [r for _, r in sorted(recent, key=lambda x: x[0])[:4]] + [
            r for _, r in sorted(previous, key=lambda x: x[0])[:2]
        ]
        return Item(text, reg.ids(cited) or [cid])

    def _questions(self, facts: _Facts, reg: _Citations, cid: str) -> list[Item]:
        if not facts.exchanges:
            return [Item(W.no_questions(), [cid])]
        return [
            Item(
                W.question_line(
                    m.author or m.meta.get("asker_name") or "someone",
                    m.occurred_at,
                    m.meta.get("question") or m.text,
                    m.channel,
                ),
                reg.ids([m]),
            )
            for m in facts.exchanges
        ]

    def _actions(
        self, facts: _Facts, reg: _Citations, cid: str, tone, now: datetime
    ) -> list[NextAction]:
        c = facts.customer
        actions: list[NextAction] = []

        def add(pair: tuple[str, str], records: list[Any]) -> None:
            ids = [cid if r is c else reg.add(r) for r in records]
            actions.append(NextAction(pair[0], pair[1], [i for i in ids if i]))

        open_c = facts.open_complaints
        if open_c and _days(now, open_c[0].opened_at) >= FOLLOW_UP_AFTER_DAYS:
            oldest = open_c[0]
            add(W.action_follow_up(oldest.category, _days(now, oldest.opened_at)), [oldest])
        t, recent, _ = tone
        if t.is_negative and recent:
            add(
                W.action_check_in(
                    t.direction if t.direction != "steady" else "negative", t.recent_mean
                ),
                [r for _, r in sorted(recent, key=lambda x: x[0])[:3]],
            )
        if facts.last_contact is None:
            add(W.action_reach_out(None), [c])
        else:
            days_since = _days(now, facts.last_contact.occurred_at)
            if days_since >= REACH_OUT_AFTER_DAYS:
                add(W.action_reach_out(days_since), [facts.last_contact])
        if open_c and c.arr is not None and c.arr >= self.settings.key_account_arr:
            add(W.action_involve_owner(c.owner, facts.digest.open), [c, *open_c[:3]])
        elif open_c and not c.owner:
            add(W.action_assign_owner(), [c, *open_c[:3]])
        # The largest named category (the themes hold it: at most one of them is unnamed).
        top = next(((cat, m) for cat, m in facts.themes if cat.category), None)
        if top is not None and top[0].total >= THEME_MIN_FOR_ACTION:
            add(W.action_root_cause(top[0].category, top[0].total), top[1][:5])
        # Always at least two: fall back to preparation steps that are true of any customer.
        if len(actions) < 2 and facts.last_contact is not None:
            add(W.action_review_latest(), [facts.last_contact])
        if len(actions) < 2:
            add(W.action_confirm_profile(), [c])
        return actions[:5]

    # --- LLM prose ----------------------------------------------------------------------------------
    def _llm_items(
        self, cust: Customer, question: str | None, facts: _Facts, reg: _Citations
    ) -> tuple[list[Item], list[str]]:
        """The model writes the answer's prose from exactly the records we would cite; only
        sentences that cite given records survive. Any failure falls back to the deterministic
        lines (the caller keeps them)."""
        from langchain_core.messages import HumanMessage, SystemMessage

        # The answer's evidence first, then what the brief shows anyway (latest moments, open
        # complaints), so the prose can connect them; nothing outside this customer.
        given = [
            cust,
            *facts.evidence,
            *facts.recent[:3],
            *facts.open_complaints[:3],
        ]
        records, allowed = [], set()
        for rec in given:
            rid = reg.add(rec)
            if rid is None or rid in allowed:
                continue
            allowed.add(rid)
            when = (
                getattr(rec, "occurred_at", None)
                or getattr(rec, "opened_at", None)
                or getattr(rec, "created_at", None)
            )
            text = rec.text() if isinstance(rec, Customer) else rec.text
            records.append((rid, rec.kind, when, text))
        messages = [
            SystemMessage(content=answer_llm.SYSTEM_PROMPT),
            HumanMessage(
                content=answer_llm.evidence_message(cust.name, cust.record_id, question, records)
            ),
        ]
        try:
            reply = self.chat_model.invoke(messages)
        except Exception as exc:  # the deterministic answer is always there to fall back on
            log.warning("chat model failed (%s); using the deterministic answer", exc)
            return [], []
        kept, dropped = grounded_sentences(_message_text(reply), allowed)
        if dropped:
            log.info("grounding check dropped %d sentence(s)", len(dropped))
        items = []
        for sentence, ids in kept:
            # The ids move to the item's citations; the text keeps the prose only.
            prose = re.sub(r"\s+([.!?,;:])", r"\1", _CITE_RE.sub("", sentence)).strip()
            items.append(Item(prose, ids))
        return items, dropped
