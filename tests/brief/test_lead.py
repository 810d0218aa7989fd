"""What an answer says first (issue 10, ``c360.brief.lead``): for a general question the
weightiest recent signals, then open complaints, last contact and renewal; for a specific
question its own answer lines. Every lead line cites records of the customer asked about."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from c360.brief.lead import MAX_LEAD, is_general, rank_signals, weigh
from c360.domain import Asker, Complaint, Customer, Moment

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)  # the root conftest's clock


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def test_a_risk_outweighs_praise_and_fades_with_age():
    praise = Moment("p", "c", ago(2), "Great QBR, they love the dashboards.")
    fresh_risk = Moment("r1", "c", ago(3), "They plan to cancel at the end of the term.")
    old_risk = Moment("r2", "c", ago(300), "Angry call: they threatened to cancel.")
    ranked = rank_signals([praise, old_risk, fresh_risk], NOW)
    assert [s.moment.moment_id for s in ranked] == ["r1", "r2"]  # praise is not a signal
    assert weigh("Thanks, all good")[0] == 0.0
    weight, reasons = weigh("Please escalate: we will withhold payment of $40,000.")
    assert reasons[0] == "escalation" and "money" in reasons and weight > 1.5


@pytest.mark.parametrize(
    ("question", "general"),
    [
        (None, True),
        ("Globex?", True),
        ("what is going on with Globex?", True),
        ("how is Globex doing?", True),
        ("brief me on Globex", True),
        ("any open complaints from Globex?", False),
        ("how many calls did Globex have?", False),
        ("was Globex charged twice?", False),
    ],
)
def test_which_questions_are_general(question, general):
    assert is_general(question, frozenset({"globex"})) is general


@pytest.fixture
def account(container):
    records = [
        Customer("c1", "Nettlebrook Foods", owner="Dana"),
        Customer("c2", "Other Co"),
        Moment("m1", "c1", ago(200), "Kickoff went great, the team loves it.", channel="call"),
        Moment("m2", "c1", ago(90), "Happy with support; renewal looks likely.", channel="email"),
        Moment("m3", "c1", ago(2), "Heads up: their CFO wants to cancel at renewal.",
               channel="note", direction="internal", author="Dana"),
        Complaint("k1", "c1", ago(20), "Export broken again since 2026-10-01 <!channel>.",
                  category="bug"),
        Moment("x1", "c2", ago(1), "Furious, they will cancel everything.", channel="email"),
    ]  # fmt: skip
    assert not container.ingest.add_records(records, source="test").errors
    return container


def test_a_general_question_leads_with_the_risk_then_the_open_complaints(account):
    result = account.briefs.ask("what is going on with Nettlebrook Foods?", Asker("u", "Una"))
    data = result.to_dict()
    lead = data["lead"]
    assert 1 <= len(lead) <= MAX_LEAD
    assert lead[0]["citations"] == ["moment:m3"] and lead[0]["text"].startswith(
        "At risk, 2 days ago"
    )
    assert any(line["citations"][:1] == ["complaint:k1"] for line in lead)
    cited = {c["record_id"]: c for c in data["citations"]}
    for line in lead:  # every line cited, every citation of this customer, labelled
        assert line["citations"]
        for rid in line["citations"]:
            assert cited[rid]["customer_id"] == "c1" and cited[rid]["label"]
    assert cited["moment:m3"]["label"] == "Note by Dana, 21 Nov"
    assert cited["complaint:k1"]["label"] == "Complaint k1, bug, opened 3 Nov"


def test_a_specific_question_leads_with_its_own_answer(account):
    data = account.briefs.ask(
        "any open complaints from Nettlebrook Foods?", Asker("u", "Una")
    ).to_dict()
    answer = next(s for s in data["sections"] if s["title"] == "Answer")
    lead = data["lead"]
    # the same lines and citations as the answer; the lead dates them in words (the full
    # brief keeps ISO), and a date the customer wrote stays as written inside the quote
    assert [line["citations"] for line in lead] == [
        it["citations"] for it in answer["items"][:MAX_LEAD]
    ]
    k1 = next(it["text"] for it in answer["items"] if it["citations"] == ["complaint:k1"])
    assert k1.startswith("Opened 2026-11-03 · bug")
    lead_k1 = next(line["text"] for line in lead if line["citations"] == ["complaint:k1"])
    assert lead_k1 == k1.replace("Opened 2026-11-03", "Opened 3 Nov")
    assert "since 2026-10-01 <!channel>.\u201d" in lead_k1
    assert not any(re.match(r"^\S*\d{4}-\d{2}-\d{2}", line["text"]) for line in lead)


def test_lead_ages_count_the_readers_calendar_days(container):
    # 23:30 UTC on 22 Nov is the afternoon of 22 Nov in Los Angeles and already 23 Nov in
    # Tokyo: for the reader in Tokyo the risk was flagged "today" (clock: 12:00 UTC, 23 Nov).
    records = [
        Customer("t1", "Quillfeather Ltd"),
        Moment("t-m1", "t1", datetime(2026, 11, 22, 23, 30, tzinfo=UTC),
               "Their CFO wants to cancel at renewal.", channel="note", direction="internal"),
    ]  # fmt: skip
    assert not container.ingest.add_records(records, source="test").errors
    ages = {}
    for tz in ("Asia/Tokyo", "America/Los_Angeles", None):
        lead = container.briefs.ask(
            "what is going on with Quillfeather?", Asker("u", "Una", tz=tz)
        ).to_dict()["lead"]
        ages[tz] = lead[0]["text"].split(":")[0]
    assert ages == {
        "Asia/Tokyo": "At risk, today",
        "America/Los_Angeles": "At risk, yesterday",
        None: "At risk, yesterday",
    }


def test_a_label_names_the_readers_calendar_day():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from c360.brief.labels import citation_label
    from c360.domain import Complaint, Moment

    at = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    today = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    la, tokyo = ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Tokyo")
    note = Moment("m-1", "C-1", at, "x", channel="note", direction="internal", author="Dana")
    assert citation_label(note, today, la) == "Note by Dana, 19 Nov"
    assert citation_label(note, today, tokyo) == "Note by Dana, 20 Nov"
    assert citation_label(note, today) == "Note by Dana, 20 Nov"  # no zone: UTC's day
    complaint = Complaint("CP-9", "C-1", at, "x", category="outage")
    assert citation_label(complaint, today, la) == "Complaint CP-9, outage, opened 19 Nov"
    # the year is named by the reader's calendar too: 1 Jan 03:00 UTC is still last year in LA
    new_year = Moment("m-2", "C-1", datetime(2027, 1, 1, 3, 0, tzinfo=UTC), "x", channel="email")
    assert citation_label(new_year, datetime(2027, 1, 2, tzinfo=UTC), la) == "Email, 31 Dec 2026"
