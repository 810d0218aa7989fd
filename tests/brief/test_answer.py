"""c360/brief/answer.py: each kind of question answered by its own function, which returns its
lines and its evidence (nothing shared is mutated), on the real store of the brief fixtures."""

from __future__ import annotations

from fixtures.brief_records import NOW

from c360.brief import answer as A
from c360.brief.facts import gather


def _answer(loaded, customer_id: str, question: str) -> tuple[A.Answer, object]:
    briefs = loaded.briefs
    with loaded.sessions() as session:
        facts = gather(session, customer_id, NOW, 5)
        before = repr(facts)
        found = A.answer(
            session,
            facts,
            question,
            NOW,
            briefs.fields,
            lambda q, c: briefs.vocabulary.in_field_words(q, c, NOW),
            briefs.embeddings,
        )
    assert repr(facts) == before  # what was read is not changed by answering
    return found, facts


def _ids(records) -> list[str]:
    return [r.record_id for r in records]


def test_open_complaints_are_the_evidence_and_each_is_listed(loaded):
    found, facts = _answer(loaded, "C-ACME", "What are the open complaints?")
    assert _ids(found.evidence) == ["complaint:cp-acme-1", "complaint:cp-acme-2"]  # oldest first
    assert [recs for _, recs in found.lines] == [[r] for r in found.evidence]
    assert "billed twice" in found.lines[0][0]


def test_no_open_complaint_says_so_citing_the_latest_ones(loaded):
    found, _ = _answer(loaded, "C-GLOBEX", "any open complaints?")
    assert len(found.lines) == 1
    assert _ids(found.evidence) == ["customer:C-GLOBEX"]


def test_a_count_cites_the_records_it_counts(loaded):
    found, facts = _answer(loaded, "C-ACME", "how many complaints do they have?")
    text, cited = found.lines[0]
    assert "4 complaints on record, 2 open" in text, text
    assert _ids(cited)[0] == "customer:C-ACME"
    assert found.evidence == [r for _, recs in found.lines for r in recs]


def test_records_named_by_their_fields_come_with_the_count_that_matched(loaded):
    found, _ = _answer(loaded, "C-ACME", "complaints about Product defect")
    header, cited = found.lines[0]
    assert _ids(cited) == ["complaint:cp-acme-4"] == _ids(found.evidence)
    assert "Product defect" in header
    assert found.lines[1][1] == cited  # then the record itself, quoted


def test_an_amount_is_the_customer_records_money_field(loaded):
    with loaded.sessions() as session:
        rimstone = gather(session, "C-RIM", NOW, 1).customer
    found = A.amounts(rimstone, "How much do they pay a year?")
    assert _ids(found.evidence) == ["customer:C-RIM"]
    assert [t for t, _ in found.lines] == [t for t, _ in found.lines if "$30,000" in t]
    assert len(found.lines) == 1


def test_a_question_of_no_special_kind_is_answered_by_search_within_the_customer(loaded):
    found, _ = _answer(loaded, "C-ACME", "how did the quarterly review meeting go?")
    assert {r.customer_id for r in found.evidence} == {"C-ACME"}
    assert _ids(found.evidence)[0] == "moment:m-acme-3"
    assert [recs for _, recs in found.lines] == [[r] for r in found.evidence[: A.ANSWER_ITEMS]]


def test_the_latest_records_of_a_customer_without_complaints_are_its_moments(loaded):
    found, _ = _answer(loaded, "C-GLOBEX", "what is the latest?")
    assert _ids(found.evidence) == ["moment:m-glx-1"]
