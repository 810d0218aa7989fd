"""How a customer is chosen from candidates, and how the choice is explained.

``decide`` resolves only when the best name match clearly leads; otherwise it lists the close
ones (ask, don't guess). ``decide_description`` does the same for a description matched through
the global vector index. ``Resolution.explain`` is the ``resolution`` key of the JSON answer:
{method, evidence, score, runner_up}.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ACCEPT = 0.6  # below this a name match is only a hint
MARGIN = 0.08  # the best must lead the runner-up by this much, else we ask which

# Description (dense) resolution: cosine similarity of the question to records.
DESC_ACCEPT = 0.55  # the best customer's best record must be at least this similar
DESC_MARGIN = 0.06  # ... and lead the next customer by this much
DESC_SINGLE_HIT = 0.8  # one record this similar is enough on its own
DESC_MIN = 0.45  # below this a customer is not even a candidate
DESC_CANDIDATES = 5  # customers offered when a description fits several
# A runner-up this close (2 x margin) with this many of the nearest records is a second fit
# ("the credit bureau": three bureaus each hold many near records), however far the best
# customer's single best record leads: ask which.
DESC_CONTEST_SUPPORT = 3


@dataclass
class Candidate:
    customer_id: str
    name: str
    score: float
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = {
            "customer_id": self.customer_id,
            "name": self.name,
            "score": round(float(self.score), 4),
        }
        if self.reason:
            out["reason"] = self.reason
        return out

    @property
    def reason(self) -> str | None:
        """Why this customer fits, in words for the asker (a description's fit), if known."""
        return next((r for r in self.reasons[1:] if r), None)


@dataclass
class Resolution:
    """``status``: resolved (customer_id set), ambiguous (several candidates), not_found."""

    status: str
    customer_id: str | None = None
    name: str | None = None
    method: str | None = None
    candidates: list[Candidate] = field(default_factory=list)
    # Why: what the question gave that chose this customer, how strongly, and the best other.
    evidence: list[str] = field(default_factory=list)
    score: float | None = None
    runner_up: Candidate | None = None

    @property
    def resolved(self) -> bool:
        return self.customer_id is not None

    def explain(self) -> dict:
        """The ``resolution`` key of the JSON answer: {method, evidence, score, runner_up}."""
        runner = self.runner_up
        return {
            "method": self.method or (self.status if self.status != "resolved" else None),
            "evidence": list(self.evidence),
            "score": None if self.score is None else round(float(self.score), 4),
            "runner_up": None
            if runner is None
            else {
                "customer_id": runner.customer_id,
                "name": runner.name,
                "score": round(float(runner.score), 4),
            },
        }


def decide(
    candidates: list[Candidate], accept: float = ACCEPT, margin: float = MARGIN
) -> Resolution:
    """Resolve only when the best clearly leads; otherwise list the close ones."""
    strong = [c for c in candidates if c.score >= accept]
    if not strong:
        return Resolution("not_found", candidates=[])
    top = strong[0]
    runner = candidates[1] if len(candidates) > 1 else None
    method = top.reasons[0] if top.reasons else None
    if len(strong) == 1 or top.score - strong[1].score >= margin:
        return Resolution(
            "resolved",
            top.customer_id,
            top.name,
            method,
            [top],
            evidence=[f"{method}: {top.name}"] if method else [],
            score=top.score,
            runner_up=runner,
        )
    close = [c for c in strong if top.score - c.score < margin * 2][:10]
    return Resolution(
        "ambiguous",
        candidates=close,
        evidence=[f"{c.reasons[0]}: {c.name}" for c in close if c.reasons],
        score=top.score,
        runner_up=strong[1],
    )


def decide_description(best: dict[str, float], support: dict[str, int]) -> tuple[str, list[str]]:
    """From each customer's best similarity to a description and how many of the nearest
    records it holds: ("resolved", [id]), ("ambiguous", ids to offer) or ("not_found", [])."""
    ranked = sorted(((cid, s) for cid, s in best.items() if s >= DESC_MIN), key=lambda kv: -kv[1])
    if not ranked:
        return "not_found", []
    top_id, top_score = ranked[0]
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    # One stray similar record is not a description of a customer: ask for two hits, or
    # one that is very close.
    supported = support[top_id] >= 2 or top_score >= DESC_SINGLE_HIT
    contested = any(
        top_score - s < DESC_MARGIN * 2 and support[cid] >= DESC_CONTEST_SUPPORT
        for cid, s in ranked[1:]
    )
    if (
        top_score >= DESC_ACCEPT
        and top_score - runner >= DESC_MARGIN
        and supported
        and not contested
    ):
        return "resolved", [top_id]
    # Which of the close ones to offer: many records share one template text ("Incorrect
    # information on your report: ...") and so tie on their best similarity. The vote
    # decides: customers with more of the nearest records first, one stray record's owner
    # last; best similarity breaks ties.
    close_ids = [cid for cid, s in ranked if top_score - s < DESC_MARGIN * 2]
    close_ids.sort(key=lambda cid: (-support[cid], -best[cid]))
    if len(close_ids) < 2:  # one weak look-alike is not a match: say so rather than guess
        return "not_found", []
    return "ambiguous", close_ids[:DESC_CANDIDATES]
