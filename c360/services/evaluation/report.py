"""The report of an evaluation: per system its scores, failures and per-class figures; as
JSON (``to_dict``) or as the fixed-width tables `c360 eval` prints."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from c360.services.evaluation.metrics import (
    CLASS_FIGURES,
    COUNTS,
    LOWER_IS_BETTER,
    METRICS,
    Outcome,
    Score,
)


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
