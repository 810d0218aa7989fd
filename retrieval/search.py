"""Customer-scoped search: rank ONE customer's chunks for a question.

The candidate set is that customer's chunks as kept in the store (text plus the float32 vector
the ingest wrote beside it), fetched through the ``customer_id`` index: tens to hundreds of rows.
Chroma's filtered query is never used here (seconds at a million vectors). Ranking is hybrid:
dense cosine and BM25 (computed over just these texts), fused by reciprocal rank, plus a small
recency boost so that, between equally relevant records, the newer one comes first. Chunks of
logged exchanges (origin "exchange") never reach this function: they are history, not evidence.

``detect_intent`` reads what kind of answer a question wants ("latest", "open complaints",
"how many"); the brief service answers those straight from the store.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from retrieval.embeddings import from_blob
from store.queries import ChunkVector

if TYPE_CHECKING:
    import numpy as np

RRF_K = 60
RECENCY_WEIGHT = 0.004  # at most about a quarter of a top rank's RRF share
RECENCY_HALF_LIFE_DAYS = 180


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORD = re.compile(r"[a-z0-9]+")
_BM25_STOP = _words(
    """
    a an and are as at be by did do does for from had has have how i in is it its me my of on
    or our that the their them they this to was we were what when where which who why will with
    you your about any tell show customer customers
    """
)

CHANNEL_WORDS = {
    "call": "call", "calls": "call", "phone": "call", "email": "email", "emails": "email",
    "mail": "email", "meeting": "meeting", "meetings": "meeting", "chat": "chat", "chats": "chat",
    "ticket": "ticket", "tickets": "ticket", "note": "note", "notes": "note", "slack": "slack",
}  # fmt: skip


# A question about money: an amount a customer pays or is worth. Verbs alone ("the lender that
# charged a fee") describe a complaint, not a question about an amount.
AMOUNT_WORDS = (
    r"\bhow much\b|\b(amount|arr|mrr|revenue|worth)\b"
    r"|\b(monthly|total|annual|yearly)\s+(charges?|spend|spending|bill|payments?|revenue|cost)\b"
)


def tokenize(text: str) -> list[str]:
    return [t for t in _WORD.findall(text.lower()) if t not in _BM25_STOP]


@dataclass
class Intent:
    recency: bool = False  # "latest", "last", "recent", "newest"
    open_complaints: bool = False  # "open complaints", "unresolved issues"
    count: bool = False  # "how many"
    amount: bool = False  # "how much", "ARR", "monthly charges", "what do they pay"
    complaints: bool = False  # the question is about complaints at all
    channels: list[str] = field(default_factory=list)


def detect_intent(question: str | None) -> Intent:
    if not question:
        return Intent()
    words = _WORD.findall(question.lower())
    text = " ".join(words)
    intent = Intent()
    intent.recency = bool(re.search(r"\b(latest|last|recent|recently|newest|most recent)\b", text))
    intent.complaints = bool(
        re.search(
            r"\b(complaint|complaints|complain|complained|issue|issues|problem|problems|disputes?)\b",
            text,
        )
    )
    intent.open_complaints = intent.complaints and bool(
        re.search(r"\b(open|unresolved|outstanding|pending|active|in progress)\b", text)
    )
    intent.count = bool(re.search(r"\bhow many\b|\bnumber of\b|\bcount\b", text))
    intent.amount = bool(re.search(AMOUNT_WORDS, text))
    intent.channels = sorted({CHANNEL_WORDS[w] for w in words if w in CHANNEL_WORDS})
    return intent


@dataclass
class Evidence:
    """A record that answers the question, with its best-matching chunk."""

    record_id: str
    kind: str
    customer_id: str
    origin: str
    occurred_at: datetime | None
    text: str
    score: float
    dense: float = 0.0
    bm25: float = 0.0


def rank_chunks(
    chunks: Sequence[ChunkVector],
    question: str,
    query_vector: np.ndarray | None,
    now: datetime,
    limit: int = 5,
) -> list[Evidence]:
    """Hybrid rank of one customer's chunks, best record first (one entry per record)."""
    # Imported here: an answer the store gives (counts, open complaints) ranks nothing.
    import numpy as np
    from rank_bm25 import BM25Okapi

    usable = [c for c in chunks if c.origin != "exchange"]
    if not usable:
        return []
    n = len(usable)
    dense = np.zeros(n, dtype=np.float32)
    dense_ok = np.zeros(n, dtype=bool)
    if query_vector is not None:
        rows = [i for i, c in enumerate(usable) if c.embedding]
        if rows:
            matrix = np.vstack([from_blob(usable[i].embedding) for i in rows])
            dense[rows] = matrix @ np.asarray(query_vector, dtype=np.float32)
            dense_ok[rows] = True

    q_tokens = tokenize(question)
    bm25 = np.zeros(n, dtype=np.float64)
    docs = [tokenize(c.text) for c in usable]
    if q_tokens and any(docs):
        bm25 = np.asarray(BM25Okapi([d or ["\u2205"] for d in docs]).get_scores(q_tokens))

    fused = np.zeros(n, dtype=np.float64)
    dense_order = [i for i in np.argsort(-dense, kind="stable") if dense_ok[i]]
    for rank, i in enumerate(dense_order):
        fused[i] += 1.0 / (RRF_K + rank + 1)
    bm25_order = [i for i in np.argsort(-bm25, kind="stable") if bm25[i] > 0]
    for rank, i in enumerate(bm25_order):
        fused[i] += 1.0 / (RRF_K + rank + 1)
    for i, c in enumerate(usable):
        if c.occurred_at is not None:
            age_days = max((now - c.occurred_at).total_seconds() / 86400.0, 0.0)
            fused[i] += RECENCY_WEIGHT * math.exp(-age_days * math.log(2) / RECENCY_HALF_LIFE_DAYS)

    best: dict[str, Evidence] = {}
    for i in np.argsort(-fused, kind="stable"):
        c = usable[i]
        if c.record_id in best:
            continue
        best[c.record_id] = Evidence(
            record_id=c.record_id,
            kind=c.kind,
            customer_id=c.customer_id,
            origin=c.origin,
            occurred_at=c.occurred_at,
            text=c.text,
            score=float(fused[i]),
            dense=float(dense[i]),
            bm25=float(bm25[i]),
        )
        if len(best) >= limit:
            break
    return list(best.values())
