"""The metrics: pure functions over items, outcomes and the records' true owners (see the
package docstring for each definition), and an answer of either system turned into an
``Outcome``."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from c360.services.evaluation.items import CLASSES, EvalItem, item_class

METRICS = (
    "resolution",
    "clarification",
    "recall@5",
    "recall@10",
    "mrr",
    "lead@2",
    "contamination",
    "citation_validity",
    "abstention",
    "wrong_customer",
    "latency_p50_ms",
    "latency_p95_ms",
)
# Lower is better for these; every other metric is higher-is-better.
LOWER_IS_BETTER = {"contamination", "wrong_customer", "latency_p50_ms", "latency_p95_ms"}
COUNTS = {"wrong_customer"}  # printed and reported as a number of items, not a share
# The figures reported per class of item (each over the class's items it applies to).
CLASS_FIGURES = ("resolution", "clarification", "abstention", "recall@10", "wrong_customer")


@dataclass
class Outcome:
    item_id: str
    customer_id: str | None
    candidate_ids: list[str]
    cited: list[str]  # record ids, citation order, no repeats
    answer: str
    latency_ms: float
    error: str | None = None
    lead: list[str] = field(default_factory=list)  # ids cited by the first two lines read


@dataclass
class Score:
    value: float | None  # None when no item qualifies
    n: int

    def fmt(self, metric: str) -> str:
        if self.value is None:
            return "n/a"
        if metric.startswith("latency") or metric in COUNTS:
            return f"{self.value:.0f}"
        return f"{self.value:.3f}"


# --- the metrics (pure functions over items, outcomes and true owners) ------------------------
Owners = dict[str, str]  # record id -> owning customer id, for the ids that exist in the store


def recall_at_k(gold: Sequence[str], cited: Sequence[str], k: int) -> float:
    if not gold:
        raise ValueError("recall needs gold records")
    hits = len(set(gold) & set(cited[:k]))
    return hits / min(len(set(gold)), k)


def reciprocal_rank(gold: Sequence[str], cited: Sequence[str]) -> float:
    wanted = set(gold)
    for rank, rid in enumerate(cited, start=1):
        if rid in wanted:
            return 1.0 / rank
    return 0.0


def is_contaminated(item: EvalItem, outcome: Outcome, owners: Owners) -> bool:
    """Cites a record of another customer than the one the question is about. An id missing
    from the store has no owner and cannot be contamination (citation validity catches it)."""
    cited_owners = {owners[rid] for rid in outcome.cited if rid in owners}
    if item.customer_id is None:
        return bool(cited_owners)
    return bool(cited_owners - {item.customer_id})


def citations_valid(outcome: Outcome, owners: Owners) -> bool:
    if outcome.customer_id is None:
        return not outcome.cited
    return all(owners.get(rid) == outcome.customer_id for rid in outcome.cited)


def clarified(item: EvalItem, outcome: Outcome) -> bool:
    return outcome.customer_id is None and set(item.candidates) <= set(outcome.candidate_ids)


def abstained(item: EvalItem, outcome: Outcome, markers: Sequence[str]) -> bool:
    if item.customer_id is None:
        return outcome.customer_id is None and not outcome.candidate_ids and not outcome.cited
    text = outcome.answer.casefold()
    return outcome.customer_id == item.customer_id and any(m.casefold() in text for m in markers)


def wrong_customer(item: EvalItem, outcome: Outcome) -> bool:
    """The answer is about a customer other than the one the question is about (any customer,
    for a question about no single one: ask back or abstain)."""
    return outcome.customer_id is not None and outcome.customer_id != item.customer_id


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def score(
    items: Sequence[EvalItem],
    outcomes: Sequence[Outcome],
    owners: Owners,
    markers: Sequence[str],
    k: int = 10,
) -> tuple[dict[str, Score], dict[str, list[str]]]:
    """All metrics for one system. Returns (scores, failing item ids per metric)."""
    by_id = {o.item_id: o for o in outcomes}
    missing = [i.id for i in items if i.id not in by_id]
    if missing:
        raise ValueError(f"no outcome for items {missing[:5]}")
    checks: dict[str, list[tuple[str, float]]] = {
        m: [] for m in METRICS if not m.startswith("latency") and m not in COUNTS
    }
    for item in items:
        out = by_id[item.id]
        if item.customer_id is not None:
            checks["resolution"].append((item.id, float(out.customer_id == item.customer_id)))
        if item.expect == "clarify":
            checks["clarification"].append((item.id, float(clarified(item, out))))
        if item.expect == "answer" and item.gold_record_ids:
            checks["recall@5"].append((item.id, recall_at_k(item.gold_record_ids, out.cited, 5)))
            checks[f"recall@{10}"].append(
                (item.id, recall_at_k(item.gold_record_ids, out.cited, 10))
            )
            checks["mrr"].append((item.id, reciprocal_rank(item.gold_record_ids, out.cited)))
        if item.lead_record_ids:
            checks["lead@2"].append(
                (item.id, float(bool(set(item.lead_record_ids) & set(out.lead))))
            )
        if item.expect == "abstain":
            checks["abstention"].append((item.id, float(abstained(item, out, markers))))
        checks["contamination"].append((item.id, float(is_contaminated(item, out, owners))))
        checks["citation_validity"].append((item.id, float(citations_valid(out, owners))))
    if k != 10:  # a non-default k adds its own recall column beside @5 and @10
        checks[f"recall@{k}"] = [
            (i.id, recall_at_k(i.gold_record_ids, by_id[i.id].cited, k))
            for i in items
            if i.expect == "answer" and i.gold_record_ids
        ]
    scores: dict[str, Score] = {}
    failures: dict[str, list[str]] = {}
    for metric, values in checks.items():
        scores[metric] = Score(
            sum(v for _, v in values) / len(values) if values else None, len(values)
        )
        bad = (lambda v: v > 0) if metric in LOWER_IS_BETTER else (lambda v: v < 1)
        failures[metric] = [item_id for item_id, v in values if bad(v)]
    wrong = [i.id for i in items if wrong_customer(i, by_id[i.id])]
    scores["wrong_customer"] = Score(len(wrong), len(items))
    failures["wrong_customer"] = wrong
    latencies = [by_id[i.id].latency_ms for i in items]
    scores["latency_p50_ms"] = Score(percentile(latencies, 50), len(latencies))
    scores["latency_p95_ms"] = Score(percentile(latencies, 95), len(latencies))
    return scores, failures


def class_scores(
    items: Sequence[EvalItem],
    outcomes: Sequence[Outcome],
    owners: Owners,
    markers: Sequence[str],
) -> dict[str, dict[str, Score]]:
    """CLASS_FIGURES for each class of item present, in CLASSES order (unknown classes last)."""
    by_class: dict[str, list[EvalItem]] = {}
    for item in items:
        by_class.setdefault(item_class(item), []).append(item)
    order = [c for c in CLASSES if c in by_class] + sorted(set(by_class) - set(CLASSES))
    out: dict[str, dict[str, Score]] = {}
    for cls in order:
        scores, _ = score(by_class[cls], outcomes, owners, markers)
        out[cls] = {m: scores[m] for m in CLASS_FIGURES}
    return out


# --- turning a system's answer into an Outcome -------------------------------------------------
def outcome_from_brief(item_id: str, result: dict[str, Any], latency_ms: float) -> Outcome:
    """An Outcome from the ``--json`` contract of a brief (BriefResult.to_dict())."""
    customer = result.get("customer") or None
    cited: list[str] = []
    for citation in result.get("citations") or []:
        rid = citation["record_id"] if isinstance(citation, dict) else str(citation)
        if rid not in cited:
            cited.append(rid)
    lead = [rid for line in (result.get("lead") or [])[:2] for rid in line.get("citations") or []]
    return Outcome(
        item_id=item_id,
        customer_id=customer["customer_id"] if customer else None,
        candidate_ids=[c["customer_id"] for c in result.get("candidates") or []],
        cited=cited,
        answer=result.get("answer") or "",
        latency_ms=latency_ms,
        lead=lead,
    )


def baseline_outcome(item_id: str, documents: Sequence[Any], latency_ms: float) -> Outcome:
    """An Outcome from LangChain ``similarity_search`` documents (rank order). Chunks of one
    record collapse to the record's first rank."""
    cited: list[str] = []
    for doc in documents:
        rid = (doc.metadata or {}).get("record_id")
        if rid and rid not in cited:
            cited.append(rid)
    top = documents[0].metadata.get("customer_id") if documents else None
    return Outcome(
        item_id=item_id,
        customer_id=top or None,
        candidate_ids=[],
        cited=cited,
        answer="\n".join(doc.page_content for doc in documents),
        latency_ms=latency_ms,
        lead=cited[:2],  # what a reader sees first: the two top hits
    )


def not_in_data_markers() -> list[str]:
    """The phrases our answers use to say a fact is not in the data, from prompts/ (one
    source of wording). Falls back to the plain phrase when prompts defines none."""
    import importlib

    markers: list[str] = []
    for module_name in ("prompts", "prompts.brief", "prompts.answer", "prompts.wording"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for attr in ("NOT_IN_DATA_MARKERS", "NOT_IN_DATA", "not_in_data", "nothing_relevant"):
            value = getattr(module, attr, None)
            if callable(value):  # a wording builder without arguments
                try:
                    value = value()
                except TypeError:
                    continue
            if isinstance(value, str):
                markers.append(value)
            elif isinstance(value, list | tuple):
                markers.extend(str(v) for v in value)
    return _marker_stems(markers) or ["not in the data"]


def _marker_stems(markers: Iterable[str]) -> list[str]:
    """A wording template like 'The data has no {field} for {name}.' is matched by its
    fixed part before the first placeholder (or the first clause)."""
    stems = []
    for marker in markers:
        stem = re.split(r"[{;]", marker, maxsplit=1)[0].strip()
        if len(stem) >= 8 and stem not in stems:
            stems.append(stem)
    return stems
