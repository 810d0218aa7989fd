"""The picker's typeahead (issue 10): prefixes of names, aliases, ids, domains and e-mails,
ranked (a name starting with what was typed first), fast at any size."""

from __future__ import annotations

import time
from types import SimpleNamespace

from retrieval.typeahead import PrefixIndex


def row(cid, name, aliases=(), emails=(), domain=None):
    return SimpleNamespace(
        customer_id=cid, name=name, aliases=aliases, emails=emails, domain=domain
    )


INDEX = PrefixIndex.build(
    [
        row("C-1001", "Acme Corp", aliases=("ACME",), domain="acme.com"),
        row("C-1004", "Globex Industries", aliases=("Globex",), domain="globex.example"),
        row("C-1010", "Big Green Grocers", emails=("ops@greengrocer.example",)),
        row("C-2001", "Initech"),
    ]
)


def names(typed: str) -> list[str]:
    return [c.name for c in INDEX.search(typed)]


def test_one_letter_finds_every_name_with_a_word_starting_so_whole_names_first():
    assert names("g") == ["Globex Industries", "Big Green Grocers"]
    assert names("glob") == ["Globex Industries"]
    assert names("GRE") == ["Big Green Grocers"]  # a word inside a name, any case


def test_ids_domains_and_emails_by_prefix():
    assert [c.customer_id for c in INDEX.search("C-10")] == ["C-1001", "C-1004", "C-1010"]
    assert names("globex.ex") == ["Globex Industries"]
    assert names("ops@green") == ["Big Green Grocers"]
    assert names("acme") == ["Acme Corp"]  # name and alias: listed once


def test_nothing_typed_or_nothing_matching_lists_nobody():
    assert INDEX.search("") == [] and INDEX.search("   ") == [] and INDEX.search("zz") == []


def test_a_keystroke_over_a_hundred_thousand_customers_is_a_binary_search():
    rows = [
        row(f"C-{n:06d}", f"Company {n:06d} Holdings", domain=f"c{n}.example")
        for n in range(100_000)
    ]
    index = PrefixIndex.build(rows)
    started = time.perf_counter()
    for typed in ("c", "co", "c-0", "company 0999", "hold"):
        assert index.search(typed, limit=20)
    per_search = (time.perf_counter() - started) / 5
    print(f"\n{per_search * 1000:.1f} ms per search over 100,000 customers")
    assert len(index.search("C-09999", limit=100)) == 10
