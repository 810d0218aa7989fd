"""Typeahead over customers: what a picker shows while someone types (``g`` -> Globex, ``C-10`` ->
C-1001...). A sorted list of keys (every word of a name or alias, the whole name, the id, the
domain, e-mail addresses), searched by prefix with bisect: a keystroke costs a binary search
plus the few keys that share the prefix, never a scan of every customer.

Ranked: a whole name (or alias) that starts with what was typed first, then an id, then a
word inside a name, then a domain or e-mail; within a rank, ids in order and names shortest
first, then by name.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

from retrieval.decision import Candidate

# rank of a key kind (lower first) and the score a picker shows
_KINDS = {"name": (0, 1.0), "alias": (1, 0.95), "id": (2, 0.9), "word": (3, 0.8),
          "domain": (4, 0.7), "email": (5, 0.6)}  # fmt: skip
_SPLIT = re.compile(r"[^\w@.\-]+")
MAX_SCAN = 5000  # keys read for one prefix (a one-letter prefix of a million customers)


@dataclass(frozen=True)
class _Key:
    text: str
    kind: str
    customer_id: str


class PrefixIndex:
    def __init__(self) -> None:
        self._keys: list[str] = []
        self._entries: list[_Key] = []
        self.names: dict[str, str] = {}

    @classmethod
    def build(cls, rows: Iterable) -> PrefixIndex:
        """From ``CustomerNameRow``-like rows (customer_id, name, aliases, emails, domain)."""
        index = cls()
        entries: list[_Key] = []
        for row in rows:
            cid = row.customer_id
            index.names[cid] = row.name
            entries.append(_Key(cid.lower(), "id", cid))
            for label, kind in [(row.name, "name"), *((a, "alias") for a in row.aliases or ())]:
                if not label:
                    continue
                whole = " ".join(label.lower().split())
                entries.append(_Key(whole, kind, cid))
                for word in _SPLIT.split(whole)[1:]:
                    if word:
                        entries.append(_Key(word, "word", cid))
            if row.domain:
                entries.append(_Key(row.domain.lower().removeprefix("www."), "domain", cid))
            for email in row.emails or ():
                if email:
                    entries.append(_Key(email.lower(), "email", cid))
        entries.sort(key=lambda e: e.text)
        index._entries = entries
        index._keys = [e.text for e in entries]
        return index

    def __len__(self) -> int:
        return len(self.names)

    def search(self, typed: str, limit: int = 20) -> list[Candidate]:
        prefix = " ".join((typed or "").lower().split())
        if not prefix:
            return []
        best: dict[str, tuple[int, str]] = {}
        start = bisect_left(self._keys, prefix)
        for entry in self._entries[start : start + MAX_SCAN]:
            if not entry.text.startswith(prefix):
                break
            kind = _KINDS[entry.kind][0]
            if entry.customer_id not in best or kind < best[entry.customer_id][0]:
                best[entry.customer_id] = (kind, entry.kind)
        ranked = sorted(
            best.items(),
            key=lambda kv: (
                kv[1][0],
                kv[0] if kv[1][1] == "id" else "",  # ids in id order, names shortest first
                len(self.names[kv[0]]),
                self.names[kv[0]].lower(),
                kv[0],
            ),
        )
        return [
            Candidate(
                cid, self.names[cid], _KINDS[kind][1], [f"{kind} starts with '{typed.strip()}'"]
            )
            for cid, (_, kind) in ranked[:limit]
        ]
