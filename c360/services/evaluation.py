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

import json
import math
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from c360.domain import RowError, split_record_id

EXPECTS = ("answer", "clarify", "abstain")
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
CLASSES = ("named", "description", "partial-id", "ask-back", "abstain")
# The figures reported per class of item (each over the class's items it applies to).
CLASS_FIGURES = ("resolution", "clarification", "abstention", "recall@10", "wrong_customer")


class EvalFileError(ValueError):
    """A malformed evaluation file; ``errors`` says where (file:line) and why."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(
            "; ".join(str(e) for e in errors[:5]) + (" ..." if len(errors) > 5 else "")
        )


@dataclass
class EvalItem:
    id: str
    question: str
    customer_id: str | None
    expect: str
    gold_record_ids: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    kind: str | None = None
    cls: str | None = None  # the item's "class"; see item_class()
    asked_at: str | None = None  # ISO time the question is asked at (relative dates)
    # Records the answer's first two lines must cite (one is enough): "what is going on" items
    # whose newest moment is a risk signal (eval/make_leadset.py).
    lead_record_ids: list[str] = field(default_factory=list)


def item_class(item: EvalItem) -> str:
    """The item's class: its own ``class``, else abstain / ask-back by ``expect``, description
    when its ``kind`` says so, else named."""
    if item.cls:
        return item.cls
    if item.expect == "abstain":
        return "abstain"
    if item.expect == "clarify":
        return "ask-back"
    return "description" if (item.kind or "").startswith("desc") else "named"


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


@dataclass
class SystemReport:
    name: str
    scores: dict[str, Score]
    outcomes: list[Outcome]
    failures: dict[str, list[str]]  # metric -> ids of items that failed it
    classes: dict[str, dict[str, Score]] = field(default_factory=dict)  # class -> figure -> score

    def to_dict(self, with_outcomes: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "metrics": {m: {"value": s.value, "n": s.n} for m, s in self.scores.items()},
            "failures": self.failures,
            "classes": {
                cls: {m: {"value": s.value, "n": s.n} for m, s in figures.items()}
                for cls, figures in self.classes.items()
            },
        }
        if with_outcomes:
            out["outcomes"] = [asdict(o) for o in self.outcomes]
        return out


@dataclass
class EvalReport:
    items: int
    k: int
    systems: list[SystemReport]
    warmup_ms: float | None = None  # our one-off start cost (indexes, model), kept out of latency

    def system(self, name: str) -> SystemReport:
        return next(s for s in self.systems if s.name == name)

    def to_dict(self, with_outcomes: bool = False) -> dict[str, Any]:
        return {
            "items": self.items,
            "k": self.k,
            "warmup_ms": self.warmup_ms,
            "systems": {s.name: s.to_dict(with_outcomes) for s in self.systems},
        }

    def table(self) -> str:
        """A fixed-width table, one column per system, metric rows with their n."""
        names = [s.name for s in self.systems]
        header = f"{'metric':<20}{'n':>6}  " + "".join(f"{n:>12}" for n in names)
        lines = [header, "-" * len(header)]
        for metric in METRICS:
            first = self.systems[0].scores[metric]
            cells = "".join(f"{s.scores[metric].fmt(metric):>12}" for s in self.systems)
            arrow = "(lower is better)" if metric in LOWER_IS_BETTER else ""
            if metric in COUNTS:
                arrow = "(items; lower is better)"
            lines.append(f"{metric:<20}{first.n:>6}  {cells}  {arrow}".rstrip())
        return "\n".join(lines)

    def class_table(self) -> str:
        """Per class of item: n and the class's figures, one block per system ('-' where a
        figure does not apply to the class)."""
        lines = []
        for system in self.systems:
            if not system.classes:
                continue
            header = f"{system.name + ' by class':<20}{'n':>6}  " + "".join(
                f"{m:>16}" for m in CLASS_FIGURES
            )
            lines += [header, "-" * len(header)]
            for cls, figures in system.classes.items():
                n = max((s.n for s in figures.values()), default=0)
                cells = "".join(
                    f"{(figures[m].fmt(m) if figures[m].n else '-'):>16}" for m in CLASS_FIGURES
                )
                lines.append(f"{cls:<20}{n:>6}  {cells}")
        return "\n".join(lines)


# --- reading items ---------------------------------------------------------------------------
def load_items(path: str | Path) -> list[EvalItem]:
    """Read a JSONL evaluation file; every bad line is reported with file:line and reason."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: no such evaluation file (generate one with eval/make_devset.py)"
        )
    items, errors, seen = [], [], set()
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                item = _parse_item(raw)
            except (json.JSONDecodeError, ValueError, TypeError) as exc:
                errors.append(RowError(str(path), line_no, str(exc)))
                continue
            if item.id in seen:
                errors.append(RowError(str(path), line_no, f"duplicate id {item.id!r}"))
                continue
            seen.add(item.id)
            items.append(item)
    if errors:
        raise EvalFileError(errors)
    return items


def _parse_item(raw: Any) -> EvalItem:
    if not isinstance(raw, dict):
        raise ValueError("each line must be a JSON object")
    for key in ("id", "question", "expect"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ValueError(f"missing or empty {key!r}")
    if raw["expect"] not in EXPECTS:
        raise ValueError(f"expect must be one of {', '.join(EXPECTS)}, not {raw['expect']!r}")
    customer = raw.get("customer_id")
    if customer is not None and not isinstance(customer, str):
        raise ValueError("customer_id must be a string or null")
    lists = {}
    for key in ("gold_record_ids", "candidates", "lead_record_ids"):
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{key} must be a list of strings")
        lists[key] = value
    if raw["expect"] == "clarify" and not lists["candidates"]:
        raise ValueError("a clarify item needs the expected candidates")
    cls = raw.get("class")
    if cls is not None and cls not in CLASSES:
        raise ValueError(f"class must be one of {', '.join(CLASSES)}, not {cls!r}")
    asked_at = raw.get("asked_at")
    if asked_at is not None:
        try:
            datetime.fromisoformat(asked_at)
        except (TypeError, ValueError):
            raise ValueError(f"asked_at must be an ISO date-time, not {asked_at!r}") from None
    return EvalItem(
        id=raw["id"],
        question=raw["question"],
        customer_id=customer,
        expect=raw["expect"],
        gold_record_ids=lists["gold_record_ids"],
        candidates=lists["candidates"],
        kind=raw.get("kind"),
        cls=cls,
        asked_at=asked_at,
        lead_record_ids=lists["lead_record_ids"],
    )


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


def _ask_at(briefs: Any, asked_at: str | None) -> Callable[[], None]:
    """Set the brief service's clock to the item's ``asked_at`` for one question; returns the
    undo. Items without it are asked at the service's own clock."""
    if not asked_at or not hasattr(briefs, "clock"):
        return lambda: None
    from c360.clock import FixedClock

    before = briefs.clock
    at = datetime.fromisoformat(asked_at)
    briefs.clock = FixedClock(at if at.tzinfo else at.replace(tzinfo=UTC))

    def restore() -> None:
        briefs.clock = before

    return restore


# --- the runner ------------------------------------------------------------------------------
class EvaluationService:
    def __init__(self, sessions, index, briefs_factory: Callable[[], Any], asker=None) -> None:
        self.sessions = sessions
        self.index = index
        self._briefs_factory = briefs_factory
        self.asker = asker
        self.warmup_ms: float | None = None

    def owners(self, record_ids: Iterable[str]) -> Owners:
        """True owner of each record id that exists in the store (customers own themselves)."""
        from store.models import ComplaintRow, CustomerRow, MomentRow

        by_kind: dict[str, set[str]] = {}
        for rid in set(record_ids):
            kind, source_id = split_record_id(rid)
            by_kind.setdefault(kind, set()).add(source_id)
        tables = {
            "customer": (CustomerRow, CustomerRow.customer_id),
            "moment": (MomentRow, MomentRow.moment_id),
            "complaint": (ComplaintRow, ComplaintRow.complaint_id),
        }
        owners: Owners = {}
        with self.sessions() as session:
            for kind, ids in by_kind.items():
                if kind not in tables:
                    continue
                row_class, id_col = tables[kind]
                wanted = sorted(ids)
                for start in range(0, len(wanted), 900):
                    part = wanted[start : start + 900]
                    for source_id, owner in session.execute(
                        select(id_col, row_class.customer_id).where(id_col.in_(part))
                    ):
                        owners[f"{kind}:{source_id}"] = owner
        return owners

    def run_ours(
        self, items: Sequence[EvalItem], progress: Callable[[int], None] | None = None
    ) -> list[Outcome]:
        from c360.domain import Asker

        briefs = self._briefs_factory()
        asker = self.asker or Asker(id="c360-eval", name="c360 eval", channel="cli")
        # What a server does once at start (name and field indexes, the embedding model) is
        # not the latency of a question: done here before the clock starts, timed on its own.
        start = time.perf_counter()
        if hasattr(briefs, "warm"):
            briefs.warm()
        self.warmup_ms = (time.perf_counter() - start) * 1000
        outcomes = []
        for item in items:
            restore = _ask_at(briefs, item.asked_at)
            start = time.perf_counter()
            try:
                result = briefs.ask(item.question, asker, log=False)
                payload = result.to_dict()
                error = None
            except Exception as exc:  # one failing question must not hide the others' numbers
                payload, error = {}, f"{type(exc).__name__}: {exc}"
            latency = (time.perf_counter() - start) * 1000
            restore()
            outcome = outcome_from_brief(item.id, payload, latency)
            outcome.error = error
            outcomes.append(outcome)
            if progress:
                progress(1)
        return outcomes

    def run_baseline(
        self, items: Sequence[EvalItem], k: int = 10, progress: Callable[[int], None] | None = None
    ) -> list[Outcome]:
        store = self.index.langchain_store()
        outcomes = []
        for item in items:
            start = time.perf_counter()
            docs = store.similarity_search(item.question, k=k)
            outcomes.append(baseline_outcome(item.id, docs, (time.perf_counter() - start) * 1000))
            if progress:
                progress(1)
        return outcomes

    def evaluate(
        self,
        items: Sequence[EvalItem],
        k: int = 10,
        baseline: bool = True,
        markers: Sequence[str] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> EvalReport:
        if not items:
            raise ValueError("no evaluation items to run")
        markers = list(markers) if markers is not None else not_in_data_markers()
        runs = [("c360", self.run_ours(items, progress))]
        if baseline:
            runs.append(("baseline", self.run_baseline(items, k=max(k, 10), progress=progress)))
        cited = {rid for _, outs in runs for o in outs for rid in o.cited}
        owners = self.owners(cited)
        systems = []
        for name, outs in runs:
            scores, failures = score(items, outs, owners, markers, k=k)
            errors = [o.item_id for o in outs if o.error]
            if errors:
                failures["errors"] = errors
            classes = class_scores(items, outs, owners, markers)
            systems.append(SystemReport(name, scores, outs, failures, classes))
        return EvalReport(items=len(items), k=k, systems=systems, warmup_ms=self.warmup_ms)
