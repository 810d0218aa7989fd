"""Split record texts into overlapping word windows: the unit that is embedded and indexed.

MiniLM reads at most 256 word pieces, so a long complaint narrative embedded whole would be
silently truncated; windows of ``chunk_words`` with ``chunk_overlap_words`` shared keep every
sentence inside some chunk while a fact that straddles a boundary is still seen whole once.
"""

from __future__ import annotations

import hashlib

from c360.domain import Chunk, Customer, Moment, Record, record_time


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split_words(text: str, chunk_words: int, overlap_words: int) -> list[str]:
    """Windows of ``chunk_words`` words, consecutive ones sharing ``overlap_words``.
    A text no longer than one window comes back unchanged (whitespace kept)."""
    text = text.strip()
    if not text:
        return []
    words = text.split()
    if len(words) <= chunk_words:
        return [text]
    step = max(1, chunk_words - max(0, min(overlap_words, chunk_words - 1)))
    pieces = []
    for start in range(0, len(words), step):
        pieces.append(" ".join(words[start : start + chunk_words]))
        if start + chunk_words >= len(words):
            break
    return pieces


def record_text(record: Record) -> str:
    if isinstance(record, Customer):
        return record.text()
    return record.text


def record_origin(record: Record) -> str:
    return record.origin if isinstance(record, Moment) else "data"


def chunk_record(record: Record, chunk_words: int, overlap_words: int) -> list[Chunk]:
    """The record's chunks, ids ``"<record_id>#<n>"``; each knows its record and customer."""
    rid = record.record_id
    return [
        Chunk(
            chunk_id=f"{rid}#{n}",
            record_id=rid,
            customer_id=record.customer_id,
            kind=record.kind,
            text=piece,
            occurred_at=record_time(record),
        )
        for n, piece in enumerate(split_words(record_text(record), chunk_words, overlap_words))
    ]
