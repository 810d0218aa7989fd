"""What a brief returns: sections of items, each citing records, next actions, and the cited
records' snippets. ``BriefResult.to_dict`` is the ``--json`` contract (docs)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from c360.domain import Customer
from c360.safety.masking import mask_text
from prompts import brief as W
from retrieval.resolver import Candidate


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
            out.answer = render(out)
        else:
            out.answer = scrub(self.answer)
        return out


def render(result: BriefResult) -> str:
    assert result.customer is not None
    return W.render(
        result.customer["name"],
        result.customer["customer_id"],
        result.question,
        [(s.title, [(i.text, i.citations) for i in s.items]) for s in result.sections],
        [(a.text, a.reason, a.citations) for a in result.next_actions],
    )
