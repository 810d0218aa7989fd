"""Chunking (retrieval/chunking.py): word windows that overlap, ids that come from the record,
so re-chunking the same record gives the same chunks and re-indexing overwrites."""

from __future__ import annotations

from datetime import UTC, datetime

from c360.domain import Complaint, Customer, Moment
from retrieval.chunking import chunk_record, record_origin, record_text, split_words, text_hash

WHEN = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)


def numbered(n: int) -> str:
    return " ".join(f"w{i}" for i in range(n))


def test_a_text_within_one_window_comes_back_whole_with_its_spacing():
    assert split_words("  Refund  asked\tby phone  ", 10, 3) == ["Refund  asked\tby phone"]
    assert split_words("   ", 10, 3) == []
    assert split_words(numbered(10), 10, 3) == [numbered(10)]


def test_windows_share_the_overlap_and_the_last_one_ends_the_text():
    pieces = split_words(numbered(25), 10, 3)
    words = [p.split() for p in pieces]
    assert [w[0] for w in words] == ["w0", "w7", "w14", "w21"]  # a step of 10 - 3 words
    assert all(len(w) == 10 for w in words[:-1]) and words[-1][-1] == "w24"
    for before, after in zip(words, words[1:], strict=False):
        assert before[-3:] == after[:3]  # a fact at a boundary is seen whole once
    covered = {w for piece in words for w in piece}
    assert covered == set(numbered(25).split())


def test_an_overlap_as_large_as_the_window_still_moves_forward():
    pieces = split_words(numbered(6), 3, 5)  # overlap capped at window - 1: a step of 1
    assert pieces == ["w0 w1 w2", "w1 w2 w3", "w2 w3 w4", "w3 w4 w5"]
    assert split_words(numbered(6), 3, -2) == ["w0 w1 w2", "w3 w4 w5"]


def test_chunk_ids_come_from_the_record_and_are_stable():
    complaint = Complaint("3571115", "acme-1", WHEN, numbered(25), category="Billing")
    first = chunk_record(complaint, 10, 3)
    again = chunk_record(complaint, 10, 3)
    assert [c.chunk_id for c in first] == [
        "complaint:3571115#0",
        "complaint:3571115#1",
        "complaint:3571115#2",
        "complaint:3571115#3",
    ]
    assert first == again
    assert {(c.record_id, c.customer_id, c.kind) for c in first} == {
        ("complaint:3571115", "acme-1", "complaint")
    }
    assert all(c.occurred_at == WHEN for c in first)  # a complaint happens when it is opened


def test_each_kind_gives_its_text_time_and_origin():
    customer = Customer("acme-1", "Acme Corp", created_at=datetime(2020, 1, 1))
    moment = Moment("m-1", "acme-1", WHEN, "Renewal signed", origin="logged")
    [c] = chunk_record(customer, 10, 3)
    assert c.chunk_id == "customer:acme-1#0" and c.text == record_text(customer)
    assert "Acme Corp" in c.text
    assert c.occurred_at == datetime(2020, 1, 1, tzinfo=UTC)  # stored times are UTC
    [m] = chunk_record(moment, 10, 3)
    assert (m.chunk_id, m.text, m.occurred_at) == ("moment:m-1#0", "Renewal signed", WHEN)
    assert record_origin(moment) == "logged" and record_origin(customer) == "data"


def test_text_hash_is_a_stable_digest_of_the_text():
    assert text_hash("Refund asked") == text_hash("Refund asked")
    assert text_hash("Refund asked") != text_hash("Refund asked.")
    assert len(text_hash("")) == 64
