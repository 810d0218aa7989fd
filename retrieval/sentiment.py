"""Sentiment of customer-written text, offline: VADER (a lexicon shipped inside the
vaderSentiment package, no model, no network). Good enough to compare a customer's tone now
with its tone a quarter ago; not a verdict on any single message."""

from __future__ import annotations

import threading
from dataclasses import dataclass

_lock = threading.Lock()
_analyzer = None


def _get_analyzer():
    # Built on first use, not at import (loading the lexicon reads a file).
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                _analyzer = SentimentIntensityAnalyzer()
    return _analyzer


def compound(text: str) -> float:
    """VADER's compound score in [-1, 1] (negative below about -0.05)."""
    return float(_get_analyzer().polarity_scores(text[:5000])["compound"])


@dataclass
class Trend:
    recent_mean: float | None
    previous_mean: float | None
    recent_count: int
    previous_count: int

    @property
    def direction(self) -> str:
        """improving | worsening | steady | unknown"""
        if self.recent_mean is None:
            return "unknown"
        if self.previous_mean is None:
            return "steady"
        delta = self.recent_mean - self.previous_mean
        if delta >= 0.15:
            return "improving"
        if delta <= -0.15:
            return "worsening"
        return "steady"

    @property
    def is_negative(self) -> bool:
        return self.direction == "worsening" or (
            self.recent_mean is not None and self.recent_mean <= -0.3
        )


def trend(recent: list[float], previous: list[float]) -> Trend:
    def mean(xs: list[float]) -> float | None:
        return sum(xs) / len(xs) if xs else None

    return Trend(mean(recent), mean(previous), len(recent), len(previous))
