"""Freshness in every answer: a brief service wrapped so that each answer about a customer ends
with a "Sources" section (each live source "as of" its last successful sync; a failed or stale
one named first), and each citation says which source its record came from.

A wrapper, not a step inside the brief: the brief stays a function of the records, and the
evaluation (which builds the brief service itself) measures answers without this note."""

from __future__ import annotations

from dataclasses import replace
from functools import wraps
from typing import Any

from c360.brief.result import Item, Section
from c360.ports import BriefsPort
from prompts import sources as W


class SourcedBriefs:
    def __init__(self, inner, sync, sessions, clock) -> None:
        self._inner = inner
        self._sync = sync  # a provider of the SyncService
        self._sessions = sessions
        self._clock = clock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    @property
    def clock(self):
        """The answering service's clock: setting it (``c360 eval``'s ``asked_at``) sets the
        clock the question is read with, not a copy on this wrapper."""
        return self._inner.clock

    @clock.setter
    def clock(self, value) -> None:
        self._inner.clock = value

    # ``ask`` and ``brief`` pass their arguments through and annotate the answer; what they take
    # is stated once, by the port (``wraps``: their signature is ``BriefsPort``'s).
    @wraps(BriefsPort.ask)
    def ask(self, *args: Any, **kwargs: Any):
        return self.annotate(self._inner.ask(*args, **kwargs))

    @wraps(BriefsPort.brief)
    def brief(self, *args: Any, **kwargs: Any):
        return self.annotate(self._inner.brief(*args, **kwargs))

    def annotate(self, result):
        if result.customer is None:
            return result
        citations = list(result.citations)
        if citations:
            from store.sync import record_sources

            with self._sessions() as session:
                found = record_sources(session, [c.record_id for c in citations])
            citations = [replace(c, source=found.get(c.record_id)) for c in citations]
        lines = self.lines()
        if not lines:
            return replace(result, citations=citations)
        section = Section(W.TITLE_SOURCES, [Item(text, []) for text in lines])
        sections = [*result.sections, section]
        answer = "\n".join(
            [result.answer.rstrip(), "", W.TITLE_SOURCES, *(f"- {t}" for t in lines)]
        )
        return replace(result, citations=citations, sections=sections, answer=answer)

    def lines(self) -> list[str]:
        sync = self._sync() if callable(self._sync) else self._sync
        now = self._clock.now()
        states = sync.freshness()
        # Failed or stale sources first: a gap must not hide at the end of a list.
        states.sort(key=lambda s: (not (s["failing"] or s["stale"]), s["name"]))
        return [
            W.source_line(
                s["name"], s["connector"], s["last_success_at"], now, s["failing"], s["stale"]
            )
            for s in states
        ]
