"""The global vector index (retrieval/index.py) on a real embedded Chroma: chunks go in by
their stable ids, so re-adding overwrites and never duplicates (the LangChain vector-store
contract); deletes remove; a query returns each hit's record, customer, kind and origin."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from c360.domain import Chunk
from retrieval.index import VectorIndex, make_chroma_client

WHEN = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)


def chunk(n: int, customer_id: str, text: str, kind: str = "moment") -> Chunk:
    return Chunk(
        f"{kind}:{customer_id}-{n}#0", f"{kind}:{customer_id}-{n}", customer_id, kind, text, WHEN
    )


@pytest.fixture
def index(settings, embeddings) -> VectorIndex:
    return VectorIndex(make_chroma_client(settings), "test_index", embeddings)


@pytest.fixture
def filled(index, embeddings):
    chunks = [
        chunk(1, "acme-1", "Invoice 4471 was charged twice; the CFO asks for a refund."),
        chunk(2, "acme-1", "Quarterly review: they want single sign-on before renewal."),
        chunk(3, "globex-1", "The warehouse scanner app crashes on every login."),
        chunk(4, "globex-1", "Asked about the weather in Lisbon", kind="moment"),
    ]
    index.upsert(
        chunks, embeddings.encode([c.text for c in chunks]), ["data", "data", "data", "exchange"]
    )
    return chunks


def test_an_empty_index_answers_nothing(index, embeddings):
    assert index.count() == 0
    assert index.query(embeddings.encode_query("refund"), k=5) == []
    index.upsert([], np.zeros((0, 384), dtype=np.float32))  # nothing to add is not an error
    assert index.count() == 0


def test_a_query_finds_the_nearest_chunk_with_its_record_and_customer(index, embeddings, filled):
    [hit] = index.query(embeddings.encode_query("double charge refund on an invoice"), k=1)
    assert (hit.chunk_id, hit.record_id, hit.customer_id, hit.kind, hit.origin) == (
        "moment:acme-1-1#0",
        "moment:acme-1-1",
        "acme-1",
        "moment",
        "data",
    )
    assert hit.text.startswith("Invoice 4471") and 0.3 < hit.score <= 1.0
    hits = index.query(embeddings.encode_query("weather"), k=4)
    assert {h.origin for h in hits if h.chunk_id == "moment:globex-1-4#0"} == {"exchange"}
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_a_query_can_be_limited_to_one_customer(index, embeddings, filled):
    hits = index.query(embeddings.encode_query("refund"), k=10, where={"customer_id": "globex-1"})
    assert {h.customer_id for h in hits} == {"globex-1"} and len(hits) == 2


def test_re_adding_a_chunk_by_its_id_overwrites_and_never_duplicates(index, embeddings, filled):
    changed = chunk(1, "acme-1", "Refund for invoice 4471 was paid back in full.")
    index.upsert([changed], embeddings.encode([changed.text]))
    index.upsert(filled[1:2], embeddings.encode([filled[1].text]))  # the same again
    assert index.count() == 4
    [hit] = index.query(embeddings.encode_query("refund paid back in full"), k=1)
    assert hit.chunk_id == changed.chunk_id and hit.text == changed.text
    stored = index.get_vectors([changed.chunk_id])[changed.chunk_id]
    assert np.allclose(stored, embeddings.encode([changed.text])[0], atol=1e-5)


def test_deleted_chunks_are_gone_and_the_rest_stay(index, embeddings, filled):
    index.delete([filled[0].chunk_id, filled[2].chunk_id, "moment:never-added#0"])
    assert index.count() == 2
    ids = {h.chunk_id for h in index.query(embeddings.encode_query("refund"), k=10)}
    assert ids == {filled[1].chunk_id, filled[3].chunk_id}
    assert index.get_vectors([filled[0].chunk_id]) == {}


def test_a_new_client_on_the_same_directory_sees_the_chunks(settings, embeddings, filled, index):
    again = VectorIndex(make_chroma_client(settings), "test_index", embeddings)
    assert again.count() == 4
    [hit] = again.query(embeddings.encode_query("scanner app crashes at login"), k=1)
    assert hit.customer_id == "globex-1"
