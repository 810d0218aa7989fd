"""The brief end to end on the real store, index and model: only the resolved customer's
records are cited (look-alike customers with near-identical records are present), the JSON
contract holds exactly, ambiguity and absence are said plainly, exchanges are logged and come
back as history, and an instruction inside a record changes nothing."""

from __future__ import annotations

import re

import pytest
from fixtures.brief_records import INJECTION, load

from c360.domain import Asker
from store.queries import records_by_ids

DANA = Asker(id="U-DANA", name="Dana", channel="cli")


def owners_of(container, record_ids) -> dict[str, str]:
    """Who owns each record, read back from the store (not from the brief)."""
    with container.sessions() as session:
        records = records_by_ids(session, record_ids)
    assert set(records) == set(record_ids), "every citation must name a stored record"
    return {rid: rec.customer_id for rid, rec in records.items()}


def all_cited(result) -> set[str]:
    ids = {c for s in result.sections for i in s.items for c in i.citations}
    ids |= {c for a in result.next_actions for c in a.citations}
    return ids


@pytest.mark.parametrize(
    ("question", "customer_id"),
    [
        ("What is going on with Acme Corp's billing?", "C-ACME"),
        ("double charged invoice at Acme Corporation Ltd", "C-ACMELTD"),
        ("open complaints for Acme Corp", "C-ACME"),
        ("latest email from Acme Corporation Ltd", "C-ACMELTD"),
        ("how many complaints does Acme Corp have", "C-ACME"),
    ],
)
def test_every_cited_record_belongs_to_the_resolved_customer(loaded, question, customer_id):
    result = loaded.briefs.ask(question, DANA, log=False)
    assert result.customer == {"customer_id": customer_id, "name": result.customer_record.name}
    cited = all_cited(result)
    assert cited, "a brief without citations proves nothing"
    assert {c.record_id for c in result.citations} == cited
    owners = owners_of(loaded, cited)
    assert set(owners.values()) == {customer_id}
    assert {c.customer_id for c in result.citations} == {customer_id}
    for rid in re.findall(r"\[([^\]]+)\]", result.answer):
        for one in rid.split(", "):
            assert owners_of(loaded, [one])[one] == customer_id


def test_json_contract_has_exactly_the_documented_keys_and_types(loaded):
    data = loaded.briefs.ask("What did Acme Corp complain about?", DANA, log=False).to_dict()
    assert list(data) == [
        "question", "customer", "candidates", "answer", "sections", "next_actions", "citations", "logged_moment_id", "resolution", "lead",
    ]  # fmt: skip
    assert data["question"] == "What did Acme Corp complain about?"
    assert set(data["resolution"]) == {"method", "evidence", "score", "runner_up"}
    assert data["resolution"]["method"] == "name" and data["resolution"]["score"] == 1.0
    assert data["resolution"]["evidence"] == ["name: Acme Corp"]
    assert set(data["customer"]) == {"customer_id", "name"}
    assert all(
        set(c) == {"customer_id", "name", "score"} and isinstance(c["score"], float)
        for c in data["candidates"]
    )
    assert isinstance(data["answer"], str) and data["answer"]
    for section in data["sections"]:
        assert set(section) == {"title", "items"} and isinstance(section["title"], str)
        for item in section["items"]:
            assert set(item) == {"text", "citations"} and isinstance(item["text"], str)
            assert item["citations"] and all(isinstance(c, str) for c in item["citations"])
    assert 2 <= len(data["next_actions"]) <= 5
    for action in data["next_actions"]:
        assert set(action) == {"text", "reason", "citations"} and action["citations"]
    for cit in data["citations"]:
        assert set(cit) == {
            "record_id",
            "kind",
            "customer_id",
            "occurred_at",
            "snippet",
            "suspicious",
            "url",
            "label",
            "source",
        }
        assert isinstance(cit["label"], str) and cit["label"]
        assert isinstance(cit["suspicious"], bool)
        assert cit["kind"] in ("customer", "moment", "complaint")
        assert cit["record_id"].startswith(cit["kind"] + ":")
        assert cit["occurred_at"] is None or isinstance(cit["occurred_at"], str)
    assert data["logged_moment_id"] is None
    cited = {c["record_id"] for c in data["citations"]}
    assert 1 <= len(data["lead"]) <= 5
    for item in data["lead"]:
        assert set(item) == {"text", "citations"} and item["citations"]
        assert set(item["citations"]) <= cited


def test_sections_come_in_a_fixed_order_with_the_answer_first(loaded):
    result = loaded.briefs.ask("What did Acme Corp complain about?", DANA, log=False)
    assert [s.title for s in result.sections] == [
        "Answer", "Profile", "Recent moments", "Open complaints", "Complaint themes", "Sentiment trend", "Recent questions",
    ]  # fmt: skip
    brief = loaded.briefs.brief("C-ACME", DANA, log=False)
    assert brief.question is None
    assert [s.title for s in brief.sections][0] == "Profile"


def test_the_answer_quotes_the_most_relevant_evidence_first(loaded):
    result = loaded.briefs.ask("the lender that charged a leasing fee on tires", DANA, log=False)
    assert result.customer["customer_id"] == "C-RIM"
    first = result.section("Answer").items[0]
    assert first.citations[0] in {"complaint:cp-rim-1", "moment:m-rim-1", "complaint:cp-rim-2"}
    assert "\u201c" in first.text and "leasing fee" in first.text  # quoted, not restated


def test_open_complaints_show_their_age_from_the_clock_and_themes_count(loaded):
    result = loaded.briefs.brief("Acme Corp", DANA, log=False)
    open_items = result.section("Open complaints").items
    assert open_items[0].citations == ["complaint:cp-acme-1"]
    assert "open 45 days" in open_items[0].text
    assert "open 20 days" in open_items[1].text
    billing = result.section("Complaint themes").items[0]
    assert billing.text.startswith("Billing: 3 complaints (2 open)")
    assert set(billing.citations) == {
        "complaint:cp-acme-1",
        "complaint:cp-acme-2",
        "complaint:cp-acme-3",
    }


def test_recent_moments_are_newest_first_and_dated(loaded):
    result = loaded.briefs.brief("Acme Corp", DANA, log=False)
    items = result.section("Recent moments").items
    dates = [re.match(r"(\d{4}-\d{2}-\d{2})", i.text).group(1) for i in items]
    assert dates == sorted(dates, reverse=True)
    assert items[0].citations == ["moment:m-acme-1"]


def test_sentiment_trend_compares_two_quarters_and_cites_records(loaded):
    item = loaded.briefs.brief("Acme Corp", DANA, log=False).section("Sentiment trend").items[0]
    assert item.text.startswith("Worsening")
    assert "moment:m-acme-2" in item.citations


def test_next_actions_follow_the_rules_with_reasons_and_records(loaded):
    actions = loaded.briefs.brief("Acme Corp", DANA, log=False).next_actions
    assert 2 <= len(actions) <= 5
    follow_up = next(a for a in actions if a.text.startswith("Follow up"))
    assert follow_up.citations == ["complaint:cp-acme-1"] and "45 days" in follow_up.reason
    assert any("Dana Lee" in a.text for a in actions)  # key account with open complaints
    assert any(a.text.startswith("Check in") for a in actions)  # tone worsened
    quiet = loaded.briefs.brief("Acme Corporation Ltd", DANA, log=False).next_actions
    assert any(a.text.startswith("Reach out") and "moment:m-acl-1" in a.citations for a in quiet)


def test_a_question_about_complaints_is_answered_from_complaints(loaded):
    result = loaded.briefs.ask("What did Acme Corp complain about?", DANA, log=False)
    cited = [c for item in result.section("Answer").items for c in item.citations]
    assert cited and all(c.startswith("complaint:") for c in cited)
    assert set(owners_of(loaded, cited).values()) == {"C-ACME"}


def test_the_key_account_threshold_is_the_setting_ownership_alerts_use(loaded):
    def involves_owner() -> bool:
        actions = loaded.briefs.brief("Acme Corp", DANA, log=False).next_actions
        return any(a.text.startswith("Involve Dana Lee") for a in actions)

    assert involves_owner()  # ARR 250,000 with open complaints, threshold 100,000
    default = loaded.settings.key_account_arr
    loaded.settings.key_account_arr = 300_000  # C360_KEY_ACCOUNT_ARR
    try:
        assert not involves_owner()
    finally:
        loaded.settings.key_account_arr = default


def test_ambiguous_question_lists_candidates_and_asks_which(loaded):
    result = loaded.briefs.ask("what did acme say?", DANA, log=True)
    data = result.to_dict()
    assert data["customer"] is None
    assert {c["customer_id"] for c in data["candidates"]} == {"C-ACME", "C-ACMELTD"}
    assert (
        "Which one" in data["answer"]
        and "Acme Corp" in data["answer"]
        and "Acme Corporation Ltd" in data["answer"]
    )
    assert data["sections"] == [] and data["citations"] == [] and data["logged_moment_id"] is None


def test_unknown_customer_is_said_plainly(loaded):
    data = loaded.briefs.brief("Zyxwv Industries", DANA, log=False).to_dict()
    assert data["customer"] is None and data["candidates"] == []
    assert "could not find a customer" in data["answer"]


def test_context_customer_answers_a_question_that_names_nobody(loaded):
    result = loaded.briefs.ask(
        "any open complaints?", DANA, context_customer_id="C-GLOBEX", log=False
    )
    assert result.customer["customer_id"] == "C-GLOBEX"
    assert result.section("Answer").items[0].text.startswith("No complaints on record")


def test_same_store_same_clock_same_brief(loaded):
    first = loaded.briefs.ask("Acme Corp billing", DANA, log=False).to_dict()
    second = loaded.briefs.ask("Acme Corp billing", DANA, log=False).to_dict()
    assert first == second


def test_a_channel_view_masks_sensitive_fields(loaded):
    result = loaded.briefs.brief("Acme Corp", DANA, log=False)
    masked = result.masked(["arr", "emails"])
    assert "$250,000" in result.answer and "$250,000" not in masked.answer
    assert "ops@acme.com" not in masked.answer
    assert "ARR: hidden here" in masked.answer
    assert masked.to_dict()["citations"] and result.customer == masked.customer


def test_an_instruction_inside_a_record_changes_nothing(loaded):
    result = loaded.briefs.ask("tell me about Umbrella", DANA, log=False)
    assert result.customer["customer_id"] == "C-UMB"
    assert set(owners_of(loaded, all_cited(result)).values()) == {"C-UMB"}
    # The injected text is shown as a quotation of that record, nothing more.
    assert "\u201c" + INJECTION[:40] in result.answer
    for other in ("$250,000", "$12,000", "$80,000", "billed twice", "Renewal call"):
        assert other not in result.answer
    assert [s.title for s in result.sections] == [
        "Answer", "Profile", "Recent moments", "Open complaints", "Complaint themes", "Sentiment trend", "Recent questions",
    ]  # fmt: skip


def test_the_exchange_is_logged_and_shows_as_history_in_the_next_brief(container):
    load(container)
    first = container.briefs.ask("What is going on with Acme Corp's billing?", DANA)
    assert first.logged_moment_id
    with container.sessions() as session:
        logged = records_by_ids(session, [f"moment:{first.logged_moment_id}"])[
            f"moment:{first.logged_moment_id}"
        ]
    assert (logged.customer_id, logged.origin, logged.channel, logged.direction, logged.author) == (
        "C-ACME", "exchange", "cli", "internal", "Dana",
    )  # fmt: skip
    assert logged.meta["question"] == "What is going on with Acme Corp's billing?"
    assert logged.meta["asker_id"] == "U-DANA"
    assert set(logged.meta["cited_record_ids"]) == {c.record_id for c in first.citations}

    # The same question again: the logged exchange matches it word for word, yet it is only
    # listed under recent questions, never quoted as evidence.
    second = container.briefs.ask("What is going on with Acme Corp's billing?", DANA, log=False)
    questions = second.section("Recent questions").items
    assert questions[0].text.startswith("Asked by Dana on 2026-11-23")
    assert questions[0].citations == [f"moment:{first.logged_moment_id}"]
    elsewhere = [i for s in second.sections if s.title != "Recent questions" for i in s.items]
    assert all(f"moment:{first.logged_moment_id}" not in i.citations for i in elsewhere)
    assert all(f"moment:{first.logged_moment_id}" not in a.citations for a in second.next_actions)


@pytest.mark.postgres
def test_brief_on_postgresql_cites_only_the_customer_and_logs_the_exchange(pg_container):
    load(pg_container)
    result = pg_container.briefs.ask("open complaints for Acme Corporation Ltd", DANA)
    assert result.customer["customer_id"] == "C-ACMELTD"
    assert set(owners_of(pg_container, all_cited(result)).values()) == {"C-ACMELTD"}
    again = pg_container.briefs.brief("C-ACMELTD", DANA, log=False)
    assert again.section("Recent questions").items[0].citations == [
        f"moment:{result.logged_moment_id}"
    ]


def test_find_customers_lists_matches_with_scores_for_pickers(loaded):
    found = loaded.briefs.find_customers("acme")
    assert [(c.customer_id, c.score, c.reasons) for c in found] == [
        ("C-ACME", 1.0, ["name starts with 'acme'"]),
        ("C-ACMELTD", 1.0, ["name starts with 'acme'"]),
    ]
