"""Answer-quality evaluation: our brief path beside the plain LangChain baseline, same metrics.

An evaluation item (one JSON object a line)::

    {"id": str, "question": str, "customer_id": str | null, "expect": "answer" | "clarify" | "abstain",
     "gold_record_ids": [str], "candidates": [str]}

Each system turns a question into an ``Outcome``: the customer it resolved (or none), the
candidates it offered, the record ids it cited in citation order, its answer text and latency.
The metrics (all in [0, 1], each with the number of items it is computed over):

- resolution: items naming a customer (``customer_id`` set): the resolved customer is that one.
- clarification: ``expect == "clarify"`` items: no customer picked and the offered candidates
  include every expected candidate.
- recall@k, MRR: ``expect == "answer"`` items with gold records: recall@k is the share of gold
  records among the first k cited records, over ``min(len(gold), k)`` (so a customer with 300
  matching complaints is not held to citing all of them); MRR is 1/rank of the first gold record.
- lead@2: items with ``lead_record_ids`` ("what is going on with X?" where X's newest moment is
  a risk signal and older ones are positive, ``eval/make_leadset.py``): one of those records is
  cited by the answer's first two lines (``lead``; the baseline: its two top hits).
- contamination: share of items whose citations include a record owned by another customer than
  the one the question is about (the item's ``customer_id``; for items about no single customer
  - clarify, unknown company - any cited record counts). Owners come from the store, never from
  the answer's own claim. Picking the wrong customer and citing it is contamination too.
- citation validity: share of items whose every cited id exists in the store and belongs to the
  customer the answer resolved (an answer that resolved no customer must cite nothing).
- abstention: ``expect == "abstain"`` items. Unknown customer (``customer_id`` null): no customer,
  no candidates, nothing cited. Known customer, absent field: the right customer is resolved and
  the answer text carries the not-in-data wording of ``prompts`` (``NOT_IN_DATA_MARKERS``).
- latency p50/p95 in milliseconds, over all items, after our one-off warm-up (``warm()``: the
  indexes and the model a server loads at start), which is reported on its own.
- wrong_customer: a count, not a share: items whose answer resolved a customer other than the
  one the question is about (for clarify and unknown-company items, any resolved customer). The
  one error the product must never make.

Items may carry ``class`` (named | description | partial-id | ask-back | abstain; derived from
``expect`` and ``kind`` when absent) for per-class figures, and ``asked_at`` (ISO time): the
question is asked with the brief's clock set to that moment ("3 days ago", "last Tuesday").

The baseline is what a team would build first: ``Chroma.similarity_search(question, k)`` through
LangChain over every record, raw question, no customer resolution. Its resolved customer is the
owner of the top hit (the answer a user would read first); its candidates are none; its
citations are the hits' record ids in rank order; its answer text is the hits' text.
"""

from __future__ import annotations

from c360.services.evaluation.items import (
    CLASSES,
    EXPECTS,
    EvalFileError,
    EvalItem,
    item_class,
    load_items,
)
from c360.services.evaluation.metrics import (
    CLASS_FIGURES,
    COUNTS,
    LOWER_IS_BETTER,
    METRICS,
    Outcome,
    Owners,
    Score,
    abstained,
    baseline_outcome,
    citations_valid,
    clarified,
    class_scores,
    is_contaminated,
    not_in_data_markers,
    outcome_from_brief,
    percentile,
    recall_at_k,
    reciprocal_rank,
    score,
    wrong_customer,
)
from c360.services.evaluation.report import EvalReport, SystemReport
from c360.services.evaluation.runner import EvaluationService, _ask_at

__all__ = [
    "CLASSES", "CLASS_FIGURES", "COUNTS", "EXPECTS", "LOWER_IS_BETTER", "METRICS",
    "EvalFileError", "EvalItem", "EvalReport", "EvaluationService", "Outcome", "Owners",
    "Score", "SystemReport", "_ask_at", "abstained", "baseline_outcome", "citations_valid",
    "clarified", "class_scores", "is_contaminated", "item_class", "load_items",
    "not_in_data_markers", "outcome_from_brief", "percentile", "recall_at_k",
    "reciprocal_rank", "score", "wrong_customer",
]  # fmt: skip
