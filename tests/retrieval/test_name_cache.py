"""The name index kept on disk between processes (``retrieval/name_cache.py``): what is loaded
answers exactly as what is built, and a file made for other customers, by other code, or
damaged is never used."""

from __future__ import annotations

import pytest
from fixtures.brief_records import customers

from retrieval.name_cache import NameIndexCache
from retrieval.name_index import NameIndex
from store.queries import CustomerNameRow

HOSTILE = [
    CustomerNameRow("C-CH", "<!channel> Partners", ("\x1b[2JClearScreen Co",), (), "evil.example"),
    CustomerNameRow("C-ZW", "Zürich Versicherung AG", ("ZVAG",), ("ops@zurich.example",), None),
]
QUESTIONS = [
    "What did Acme Corp say lately?",
    "acme corporation ltd renewal",
    "complaints at equifx",  # a typo
    "tell me about TU",  # an acronym
    "ops@acme.com wrote in",
    "globex.io",
    "C-ACMELTD",
    "the customer ID starting C-AC",
    "<!channel> Partners",
    "ClearScreen Co",
    "Zürich Versicherung",
    "ZVAG",
    "Wells",
    "nobody we know",
]


def rows() -> list[CustomerNameRow]:
    return [
        CustomerNameRow(c.customer_id, c.name, tuple(c.aliases), tuple(c.emails), c.domain)
        for c in customers()
    ] + HOSTILE


@pytest.fixture
def built() -> NameIndex:
    index = NameIndex()
    index.upsert(rows())
    return index


def test_a_loaded_index_answers_every_question_as_the_built_one(tmp_path, built):
    cache = NameIndexCache(tmp_path, "sqlite:////data/c360.db")
    cache.save("digest-1", built)
    loaded = cache.load("digest-1")
    assert loaded is not None and loaded is not built
    assert loaded.names == built.names
    for question in QUESTIONS:
        assert loaded.match(question) == built.match(question), question
    assert loaded.match("<!channel> Partners")[0].customer_id == "C-CH"
    # It stays an index: a customer added in this process resolves at once.
    loaded.upsert([CustomerNameRow("C-NEW", "Halvora Lending", (), (), None)])
    assert loaded.match("Halvora Lending")[0].customer_id == "C-NEW"


def test_a_file_for_other_customers_another_store_or_damaged_is_not_used(tmp_path, built):
    cache = NameIndexCache(tmp_path, "sqlite:////data/c360.db")
    cache.save("digest-1", built)
    assert cache.load("digest-2") is None  # the customers changed since
    # Another store never reads this store's file, and its URL is not written anywhere.
    other = NameIndexCache(tmp_path, "postgresql://c360:s3cret@db/c360")
    assert other.path != cache.path and other.load("digest-1") is None
    other.save("digest-1", built)
    assert all(
        b"s3cret" not in p.read_bytes() and "s3cret" not in p.name for p in tmp_path.iterdir()
    )
    for damage in (b"", b"\x00garbage", cache.path.read_bytes()[:100]):
        cache.path.write_bytes(damage)
        assert cache.load("digest-1") is None
    cache.save("digest-1", built)  # and is replaced by the next build
    assert cache.load("digest-1").match("Acme Corp")[0].customer_id == "C-ACME"


def test_an_index_built_by_other_code_is_not_used(tmp_path, built, monkeypatch):
    cache = NameIndexCache(tmp_path, "sqlite:////data/c360.db")
    cache.save("digest-1", built)
    monkeypatch.setattr("retrieval.name_cache.code_digest", lambda: "a changed names.py")
    assert cache.load("digest-1") is None


def test_a_directory_that_cannot_be_written_keeps_nothing_and_fails_nothing(tmp_path, built):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the cache directory would be")
    cache = NameIndexCache(blocker / "cache", "sqlite:////data/c360.db")
    cache.save("digest-1", built)  # no exception: the next process builds the index itself
    assert cache.load("digest-1") is None
