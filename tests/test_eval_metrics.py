"""The evaluation metrics, on hand-built outcomes: each metric passes a good answer and fails a
bad one, and the file reader reports bad lines with file:line."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from c360.services.evaluation import (
    EvalFileError,
    EvalItem,
    Outcome,
    abstained,
    baseline_outcome,
    citations_valid,
    clarified,
    is_contaminated,
    load_items,
    outcome_from_brief,
    percentile,
    recall_at_k,
    reciprocal_rank,
    score,
)

OWNERS = {
    "customer:acme": "acme",
    "complaint:1": "acme",
    "complaint:2": "acme",
    "moment:m1": "acme",
    "complaint:9": "globex",
    "customer:globex": "globex",
}
MARKERS = ["is not in the data"]


def item(id="q", customer="acme", expect="answer", gold=(), candidates=()):
    return EvalItem(id, "question?", customer, expect, list(gold), list(candidates))


def outcome(id="q", customer="acme", cited=(), candidates=(), answer="", ms=10.0):
    return Outcome(id, customer, list(candidates), list(cited), answer, ms)


def test_recall_at_k_counts_gold_among_the_first_k_citations_only():
    cited = ["complaint:9", "complaint:2", "x", "y", "z", "complaint:1"]
    assert recall_at_k(["complaint:1", "complaint:2"], cited, 5) == 0.5
    assert recall_at_k(["complaint:1", "complaint:2"], cited, 10) == 1.0


def test_recall_at_k_divides_by_k_when_there_is_more_gold_than_k():
    gold = [f"complaint:{n}" for n in range(20)]
    assert recall_at_k(gold, gold[:5], 5) == 1.0
    assert recall_at_k(gold, gold[:5], 10) == 0.5


def test_reciprocal_rank_is_one_over_the_rank_of_the_first_gold_record():
    assert reciprocal_rank(["complaint:2"], ["complaint:9", "complaint:2"]) == 0.5
    assert reciprocal_rank(["complaint:2"], ["complaint:9"]) == 0.0


def test_contamination_flags_a_record_of_another_customer_using_the_stores_owner():
    assert not is_contaminated(item(), outcome(cited=["complaint:1", "customer:acme"]), OWNERS)
    assert is_contaminated(item(), outcome(cited=["complaint:1", "complaint:9"]), OWNERS)


def test_contamination_counts_a_wrong_customer_cited_consistently():
    wrong = outcome(customer="globex", cited=["customer:globex", "complaint:9"])
    assert is_contaminated(item(customer="acme"), wrong, OWNERS)


def test_contamination_on_a_question_about_no_single_customer_is_any_citation():
    assert is_contaminated(
        item(customer=None, expect="clarify"), outcome(customer=None, cited=["complaint:1"]), OWNERS
    )
    assert not is_contaminated(
        item(customer=None, expect="clarify"), outcome(customer=None), OWNERS
    )


def test_citation_validity_needs_every_id_to_exist_and_belong_to_the_resolved_customer():
    assert citations_valid(outcome(cited=["complaint:1", "moment:m1"]), OWNERS)
    assert not citations_valid(outcome(cited=["complaint:1", "complaint:404"]), OWNERS)
    assert not citations_valid(outcome(cited=["complaint:1", "complaint:9"]), OWNERS)
    assert not citations_valid(outcome(customer=None, cited=["complaint:1"]), OWNERS)
    assert citations_valid(outcome(customer=None), OWNERS)


def test_clarification_needs_no_pick_and_every_expected_candidate():
    it = item(customer=None, expect="clarify", candidates=["acme", "acme-ltd"])
    assert clarified(it, outcome(customer=None, candidates=["acme-ltd", "acme", "other"]))
    assert not clarified(it, outcome(customer=None, candidates=["acme"]))
    assert not clarified(it, outcome(customer="acme", candidates=["acme", "acme-ltd"]))


def test_abstention_on_an_unknown_customer_means_no_customer_no_candidates_no_citations():
    it = item(customer=None, expect="abstain")
    assert abstained(it, outcome(customer=None), MARKERS)
    assert not abstained(it, outcome(customer=None, candidates=["acme"]), MARKERS)
    assert not abstained(it, outcome(customer="acme", cited=["complaint:1"]), MARKERS)


def test_abstention_on_an_absent_field_needs_the_right_customer_and_the_not_in_data_wording():
    it = item(expect="abstain")
    said_so = "The e-mail address IS NOT IN THE DATA for Acme."
    assert abstained(it, outcome(answer=said_so), MARKERS)
    assert not abstained(it, outcome(answer="Acme's e-mail is ceo@acme.test"), MARKERS)
    assert not abstained(it, outcome(customer="globex", answer=said_so), MARKERS)


def test_percentile_is_nearest_rank():
    assert percentile([5, 1, 3, 2, 4], 50) == 3
    assert percentile(list(range(1, 101)), 95) == 95
    assert percentile([], 50) is None


def test_score_aggregates_each_metric_over_the_items_it_applies_to_and_lists_failures():
    items = [
        item("a", gold=["complaint:1"]),
        item("b", gold=["complaint:2"]),
        item("c", customer=None, expect="clarify", candidates=["acme", "globex"]),
        item("d", customer=None, expect="abstain"),
    ]
    outcomes = [
        outcome("a", cited=["complaint:1"], ms=10),
        outcome("b", cited=["complaint:9", "complaint:2"], ms=20),  # contaminated, gold at rank 2
        outcome("c", customer=None, candidates=["acme", "globex"], ms=30),
        outcome("d", customer="acme", cited=["complaint:1"], ms=40),  # invented an answer
    ]
    scores, failures = score(items, outcomes, OWNERS, MARKERS)
    assert scores["resolution"].value == 1.0 and scores["resolution"].n == 2
    assert scores["clarification"].value == 1.0
    assert scores["recall@10"].value == 1.0 and scores["mrr"].value == 0.75
    assert scores["contamination"].value == 0.5 and failures["contamination"] == ["b", "d"]
    assert scores["citation_validity"].value == 0.75 and failures["citation_validity"] == ["b"]
    assert scores["abstention"].value == 0.0 and failures["abstention"] == ["d"]
    assert scores["latency_p50_ms"].value == 20 and scores["latency_p95_ms"].value == 40


def test_score_refuses_an_item_without_an_outcome():
    with pytest.raises(ValueError, match="no outcome"):
        score([item("a")], [], OWNERS, MARKERS)


def test_outcome_from_brief_reads_the_json_contract_in_citation_order():
    payload = {
        "customer": {"customer_id": "acme", "name": "Acme"},
        "candidates": [{"customer_id": "acme", "name": "Acme", "score": 0.9}],
        "answer": "text",
        "citations": [
            {"record_id": "complaint:2", "kind": "complaint", "customer_id": "acme"},
            {"record_id": "complaint:1", "kind": "complaint", "customer_id": "acme"},
            {"record_id": "complaint:2", "kind": "complaint", "customer_id": "acme"},
        ],
    }
    out = outcome_from_brief("q", payload, 12.0)
    assert (out.customer_id, out.candidate_ids, out.cited) == (
        "acme",
        ["acme"],
        ["complaint:2", "complaint:1"],
    )
    assert outcome_from_brief("q", {"customer": None, "candidates": []}, 1.0).customer_id is None


def test_baseline_outcome_takes_the_top_hits_customer_and_collapses_chunks_of_one_record():
    docs = [
        SimpleNamespace(
            metadata={"record_id": "complaint:9", "customer_id": "globex"}, page_content="a"
        ),
        SimpleNamespace(
            metadata={"record_id": "complaint:1", "customer_id": "acme"}, page_content="b"
        ),
        SimpleNamespace(
            metadata={"record_id": "complaint:9", "customer_id": "globex"}, page_content="c"
        ),
    ]
    out = baseline_outcome("q", docs, 3.0)
    assert out.customer_id == "globex" and out.cited == ["complaint:9", "complaint:1"]
    assert out.candidate_ids == []


def test_load_items_reports_every_bad_line_with_file_and_line(tmp_path):
    path = tmp_path / "items.jsonl"
    good = {
        "id": "a",
        "question": "q?",
        "customer_id": "acme",
        "expect": "answer",
        "gold_record_ids": ["complaint:1"],
    }
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({**good, "id": "b", "expect": "maybe"}),
        json.dumps({**good, "id": "c", "expect": "clarify", "customer_id": None}),
        json.dumps(good),
    ]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(EvalFileError) as info:
        load_items(path)
    assert [e.line for e in info.value.errors] == [2, 3, 4, 5]
    assert "expect must be one of" in info.value.errors[1].reason
    assert "candidates" in info.value.errors[2].reason
    assert "duplicate id" in info.value.errors[3].reason


def test_load_items_reads_a_valid_file(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text(
        json.dumps({"id": "a", "question": "q?", "customer_id": None, "expect": "abstain"}) + "\n\n"
    )
    [only] = load_items(path)
    assert (only.id, only.customer_id, only.expect, only.gold_record_ids) == (
        "a",
        None,
        "abstain",
        [],
    )
