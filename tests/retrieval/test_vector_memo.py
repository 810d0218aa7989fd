"""The field vocabulary's vectors kept on disk between processes (``retrieval/vector_memo.py``):
a later process gets exactly the vectors the first one made, embeds only values it has not
seen, and never reads vectors another model made or a damaged file."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.describe import Meanings
from retrieval.vector_memo import VectorMemo

ISSUES = [
    "Charged fees or interest you didn't expect",
    "Problem with a credit reporting company's investigation into an existing problem",
    "Struggling to pay your loan",
    "Incorrect information on your report",
    "Trouble during payment process",
    "<!channel> \x1b[2J a value with control sequences",
]
PHRASES = ["unexpected fees", "they messed up my credit report", "can't make the payments"]


def test_a_later_process_reads_the_first_ones_vectors_and_embeds_nothing(tmp_path, embeddings):
    plain = Meanings(embeddings)
    plain.add(ISSUES)
    first = Meanings(embeddings, VectorMemo(tmp_path, embeddings.identity))
    first.add(ISSUES)
    before = embeddings.texts_embedded
    later = Meanings(embeddings, VectorMemo(tmp_path, embeddings.identity))  # a new process
    later.add(ISSUES)
    assert embeddings.texts_embedded == before  # nothing embedded: all read back
    for phrase in PHRASES:
        assert later.similarity(phrase) == first.similarity(phrase) == plain.similarity(phrase)
    # A value the store gained since: only it is embedded, and kept for the next process.
    before = embeddings.texts_embedded  # (the phrases above were embedded as queries)
    later.add([*ISSUES, "Managing the loan or lease"])
    assert embeddings.texts_embedded == before + 1
    third = Meanings(embeddings, VectorMemo(tmp_path, embeddings.identity))
    third.add([*ISSUES, "Managing the loan or lease"])
    assert embeddings.texts_embedded == before + 1
    # (rows in another order: the same vectors, a matrix product rounded another way)
    assert third.similarity("lease trouble") == pytest.approx(later.similarity("lease trouble"))
    assert max(third.similarity("lease trouble").items(), key=lambda kv: kv[1])[0] == (
        "Managing the loan or lease"
    )


def test_vectors_of_another_model_or_a_damaged_file_are_not_read(tmp_path, embeddings):
    Meanings(embeddings, VectorMemo(tmp_path, embeddings.identity)).add(ISSUES)
    before = embeddings.texts_embedded
    other = VectorMemo(tmp_path, lambda: "torch:" + embeddings.identity())
    Meanings(embeddings, other).add(ISSUES)
    assert embeddings.texts_embedded == before + len(ISSUES)  # the other engine's own
    memo = VectorMemo(tmp_path, embeddings.identity)
    memo.path.write_bytes(b"\x00 damaged")
    damaged = Meanings(embeddings, memo)
    damaged.add(ISSUES)
    assert embeddings.texts_embedded == before + 2 * len(ISSUES)
    expected = np.asarray(embeddings.encode(ISSUES[:1]))[0]
    assert np.allclose(damaged._matrix[damaged.values.index(ISSUES[0])], expected, atol=1e-6)
