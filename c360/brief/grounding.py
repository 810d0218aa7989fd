"""The citation guard, one place: which record ids a brief may cite (only its customer's,
registered as they are read), the check that drops any other citation and any line left citing
nothing, and the sentence-by-sentence check of LLM prose (a sentence must cite given records
only)."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime, tzinfo

from c360.brief.labels import citation_label
from c360.brief.result import Citation, Item, NextAction, Section
from c360.domain import Complaint, Customer, Moment, record_time
from c360.safety.suspicious import is_suspicious
from prompts import brief as W

log = logging.getLogger(__name__)

SNIPPET_CHARS = 300

_CITE_RE = re.compile(r"\[([^\[\]]+)\]")
_ID_RE = re.compile(r"\b(?:customer|moment|complaint):[^\s,\];]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])((?:\s*\[[^\[\]]+\])*)\s+")


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


def prose(sentence: str) -> str:
    """A grounded sentence without its bracketed citations (they move to the item)."""
    return re.sub(r"\s+([.!?,;:])", r"\1", _CITE_RE.sub("", sentence)).strip()


class Citations:
    """The brief's citation registry and its guard: a record of any other customer is refused,
    whatever produced it (search, a query, the LLM)."""

    def __init__(
        self, customer_id: str, today: datetime | None = None, tz: tzinfo | None = None
    ) -> None:
        self.customer_id = customer_id
        self.today = today  # labels name the year only when it is not today's
        self.tz = tz  # the reader's zone: labels name the reader's day
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
                label=citation_label(record, self.today, self.tz),
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
