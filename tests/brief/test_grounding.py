"""c360/brief/grounding.py: the one citation guard. A brief registers only its customer's
records; any other citation is dropped, and so is a line left citing nothing; LLM prose is kept
sentence by sentence, only where every citation is a record it was given."""

from __future__ import annotations

from datetime import UTC, datetime

from c360.brief import Item, NextAction, Section
from c360.brief.grounding import Citations, grounded_sentences, split_sentences
from c360.domain import Complaint, Customer

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_sentences_keep_the_citations_that_follow_their_full_stop():
    text = (
        "First point [moment:1]. Second point. [complaint:2] Third? Yes [customer:C-1, moment:3]!"
    )
    assert split_sentences(text) == [
        "First point [moment:1].",
        "Second point. [complaint:2]",
        "Third?",
        "Yes [customer:C-1, moment:3]!",
    ]


def test_grounding_keeps_only_sentences_citing_given_records():
    allowed = {"moment:1", "complaint:2", "customer:C-1"}
    kept, dropped = grounded_sentences(
        "Supported [moment:1]. Unsupported claim. Foreign [complaint:99]. Mixed [moment:1, complaint:99]. "
        "Both [complaint:2, customer:C-1].",
        allowed,
    )
    assert kept == [
        ("Supported [moment:1].", ["moment:1"]),
        ("Both [complaint:2, customer:C-1].", ["complaint:2", "customer:C-1"]),
    ]
    assert dropped == [
        "Unsupported claim.",
        "Foreign [complaint:99].",
        "Mixed [moment:1, complaint:99].",
    ]


def test_the_guard_refuses_another_customers_record_whatever_produced_it():
    mine = Customer("C-1", "Mine Inc")
    theirs = Complaint("cp-9", "C-2", NOW, "not yours")
    reg = Citations("C-1")
    assert reg.add(mine) == "customer:C-1"
    assert reg.add(theirs) is None and reg.refused == ["complaint:cp-9"]
    sections, actions = reg.guard(
        [
            Section(
                "S",
                [
                    Item("mixed", ["customer:C-1", "complaint:cp-9"]),
                    Item("foreign only", ["complaint:cp-9"]),
                ],
            )
        ],
        [NextAction("act", "why", ["complaint:cp-9"])],
    )
    assert [(i.text, i.citations) for i in sections[0].items] == [("mixed", ["customer:C-1"])]
    assert actions == []
