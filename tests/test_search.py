"""Customer-scoped hybrid search: ranks only the chunks it is given (one customer's, from the
store), fuses dense and BM25 by rank, prefers newer among equals, never uses exchanges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from retrieval.embeddings import to_blob
from retrieval.search import detect_intent, rank_chunks
from store.queries import ChunkVector

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def unit(*values: float) -> np.ndarray:
    v = np.zeros(384, dtype=np.float32)
    v[: len(values)] = values
    return v / np.linalg.norm(v)


def chunk(
    rid: str, text: str, vec: np.ndarray, days_ago: float = 10, origin: str = "data"
) -> ChunkVector:
    return ChunkVector(
        f"{rid}#0",
        rid,
        "C1",
        rid.split(":")[0],
        origin,
        text,
        NOW - timedelta(days=days_ago),
        to_blob(vec),
    )


def test_dense_and_keyword_evidence_are_fused():
    chunks = [
        chunk("moment:a", "Lunch invitation for the team", unit(1, 0, 0)),
        chunk("complaint:b", "Invoice INV-77 charged twice", unit(0, 1, 0)),
        chunk("moment:c", "Talked about the roadmap", unit(0, 0, 1)),
    ]
    # The query vector points at "a", but only "b" shares the rare keyword: both must surface.
    hits = rank_chunks(chunks, "INV-77 charged twice", unit(1, 0.1, 0), NOW, limit=3)
    top_two = {h.record_id for h in hits[:2]}
    assert top_two == {"moment:a", "complaint:b"}
    assert hits[-1].record_id == "moment:c"


def test_equal_relevance_prefers_the_newer_record():
    same = unit(1, 1, 0)
    chunks = [
        chunk("moment:old", "billing question", same, days_ago=400),
        chunk("moment:new", "billing question", same, days_ago=2),
    ]
    hits = rank_chunks(chunks, "billing question", same, NOW)
    assert [h.record_id for h in hits] == ["moment:new", "moment:old"]


def test_exchanges_are_never_evidence():
    chunks = [
        chunk("moment:x", "Q: what about billing? A: Brief on Acme", unit(1, 0), origin="exchange"),
        chunk("moment:d", "A note about something else", unit(0, 1)),
    ]
    hits = rank_chunks(chunks, "what about billing?", unit(1, 0), NOW)
    assert [h.record_id for h in hits] == ["moment:d"]


def test_one_entry_per_record_even_with_many_chunks():
    chunks = [
        ChunkVector(
            "complaint:k#0",
            "complaint:k",
            "C1",
            "complaint",
            "data",
            "fee fee fee",
            None,
            to_blob(unit(1)),
        ),
        ChunkVector(
            "complaint:k#1",
            "complaint:k",
            "C1",
            "complaint",
            "data",
            "fee again",
            None,
            to_blob(unit(1, 0.2)),
        ),
        chunk("moment:z", "unrelated", unit(0, 1)),
    ]
    hits = rank_chunks(chunks, "fee", unit(1), NOW)
    assert [h.record_id for h in hits] == ["complaint:k", "moment:z"]


def test_no_chunks_no_hits():
    assert rank_chunks([], "anything", unit(1), NOW) == []


@pytest.mark.parametrize(
    ("question", "recency", "open_complaints", "count", "channels"),
    [
        ("What was the latest call with Acme?", True, False, False, ["call"]),
        ("open complaints for Globex", False, True, False, []),
        ("How many complaints does Acme have?", False, False, True, []),
        ("any recent emails from them", True, False, False, ["email"]),
        ("what did they say about pricing", False, False, False, []),
    ],
)
def test_intent_is_read_from_the_question(question, recency, open_complaints, count, channels):
    intent = detect_intent(question)
    assert (intent.recency, intent.open_complaints, intent.count, intent.channels) == (
        recency,
        open_complaints,
        count,
        channels,
    )
