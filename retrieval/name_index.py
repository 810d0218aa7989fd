"""The name index: every customer's names and aliases, ids, emails and domains in memory.

Order of evidence, strongest first: an exact customer id; an email address or domain; a name
or alias (case, punctuation and corporate suffixes ignored for the core name); a typo'd name
(rapidfuzz against the name vocabulary); a distinctive leading token ("TransUnion") or an
acronym. Names live in an inverted index (token -> entries, plus whole-name maps), so a
question costs a few dictionary lookups per question token, whatever the number of customers.

This module holds the index (adding, removing, the vocabulary, ids, emails, domains) and
``NameIndex.match``; reading names in the question's words over it (spans, typos, acronyms,
distinctive tokens) is ``retrieval/name_match.py``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

from retrieval.decision import Candidate
from retrieval.name_match import RAW_TOKEN, SCORE_SHARED_TOKEN, match_names
from retrieval.names import acronyms, core_tokens, normalize_tokens
from retrieval.question import parse, parse_id_fragments
from store.queries import CustomerNameRow

# --- scores and thresholds (tuned on the demo data and the CFPB company names) -----------------
SCORE_ID = 1.0
SCORE_EMAIL = 1.0
SCORE_ID_IN_TEXT = 0.95
SCORE_DOMAIN = 0.95
# (the scores of names, typos and acronyms: retrieval/name_match.py)
ID_FRAGMENT_CANDIDATES = 5  # customers offered when a partial id fits several

_ID_WORD = re.compile(r"\b(?:ID|Id|id|IDs)\b")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_DOMAIN = re.compile(r"\b((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})\b")


@dataclass
class _Entry:
    customer_id: str
    label: str
    is_alias: bool
    full: tuple[str, ...]
    core: tuple[str, ...]


# What a lookup derives from the index on first use (not kept on disk), and an entry's fields.
_DERIVED = frozenset({"_vocab", "_vocab_by_len", "_ids_sorted", "_ids_reversed"})
_ENTRY_FIELDS = tuple(f.name for f in fields(_Entry))


class NameIndex:
    """Inverted index over customer names and aliases, ids, emails and domains."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}  # customer_id -> display name
        self.entries: dict[int, _Entry] = {}
        self.by_customer: dict[str, list[int]] = {}
        self._next = 0
        self.full_map: dict[str, set[int]] = {}
        self.core_map: dict[str, set[int]] = {}
        self.acronym_map: dict[str, set[int]] = {}
        self.postings: dict[str, set[int]] = {}  # core token -> entries
        self.prefix2: dict[str, set[int]] = {}  # first two core tokens -> entries
        self.ids: dict[str, str] = {}  # lower-cased id -> id
        self.emails: dict[str, set[str]] = {}
        self.domains: dict[str, set[str]] = {}
        self._vocab: list[str] | None = None
        self._vocab_by_len: dict[int, list[str]] | None = None
        self._ids_sorted: list[str] | None = None
        self._ids_reversed: list[str] = []

    def __len__(self) -> int:
        return len(self.names)

    # --- building ---------------------------------------------------------------------
    def upsert(self, rows: Iterable[CustomerNameRow]) -> None:
        for row in rows:
            self.remove(row.customer_id)
            self.names[row.customer_id] = row.name
            self.ids[row.customer_id.lower()] = row.customer_id
            labels = [(row.name, False)] + [(a, True) for a in row.aliases if a and a.strip()]
            for label, is_alias in labels:
                full = tuple(normalize_tokens(label))
                if not full:
                    continue
                entry = _Entry(row.customer_id, label, is_alias, full, core_tokens(full))
                eid = self._next
                self._next += 1
                self.entries[eid] = entry
                self.by_customer.setdefault(row.customer_id, []).append(eid)
                self.full_map.setdefault(" ".join(entry.full), set()).add(eid)
                self.core_map.setdefault(" ".join(entry.core), set()).add(eid)
                for acr in acronyms(entry.core):
                    self.acronym_map.setdefault(acr, set()).add(eid)
                for tok in set(entry.core):
                    self.postings.setdefault(tok, set()).add(eid)
                if len(entry.core) > 2:
                    self.prefix2.setdefault(" ".join(entry.core[:2]), set()).add(eid)
            for email in row.emails:
                if email:
                    self.emails.setdefault(email.strip().lower(), set()).add(row.customer_id)
                    self._add_domain(email.rpartition("@")[2], row.customer_id)
            if row.domain:
                self._add_domain(row.domain, row.customer_id)
        self._vocab = None
        self._vocab_by_len = None
        self._ids_sorted = None

    def _add_domain(self, domain: str, customer_id: str) -> None:
        d = (
            domain.strip()
            .lower()
            .removeprefix("www.")
            .removeprefix("http://")
            .removeprefix("https://")
        )
        if d:
            self.domains.setdefault(d.strip("/"), set()).add(customer_id)

    def remove(self, customer_id: str) -> None:
        if customer_id not in self.names:
            return
        for eid in self.by_customer.pop(customer_id, []):
            entry = self.entries.pop(eid)
            for mapping, key in (
                (self.full_map, " ".join(entry.full)),
                (self.core_map, " ".join(entry.core)),
                *((self.acronym_map, a) for a in acronyms(entry.core)),
                *((self.postings, t) for t in set(entry.core)),
                (self.prefix2, " ".join(entry.core[:2])),
            ):
                bucket = mapping.get(key)
                if bucket is not None:
                    bucket.discard(eid)
                    if not bucket:
                        del mapping[key]
        for mapping in (self.emails, self.domains):
            for key in [k for k, v in mapping.items() if customer_id in v]:
                mapping[key].discard(customer_id)
                if not mapping[key]:
                    del mapping[key]
        self.ids.pop(customer_id.lower(), None)
        del self.names[customer_id]
        self._vocab = None
        self._vocab_by_len = None
        self._ids_sorted = None

    # --- a copy on disk (retrieval/name_cache.py) --------------------------------------
    def state(self) -> dict:
        """The index as built-in values only (dicts, sets, tuples, strings, ints), which
        ``marshal`` writes and ``from_state`` turns back into this index: every attribute
        the index is built into, so one added later is kept too; not what a lookup derives
        again on first use."""
        values = {k: v for k, v in vars(self).items() if k not in _DERIVED}
        values["entries"] = {
            eid: tuple(getattr(e, f) for f in _ENTRY_FIELDS) for eid, e in self.entries.items()
        }
        return values

    @classmethod
    def from_state(cls, state: dict) -> NameIndex:
        """Raises ValueError for a state of another layout (an older or newer index)."""
        index = cls()
        if set(state) != set(vars(index)) - _DERIVED:
            raise ValueError("a name index of another layout")
        index.__dict__.update(state)
        index.entries = {eid: _Entry(*values) for eid, values in state["entries"].items()}
        return index

    @property
    def vocab(self) -> list[str]:
        if self._vocab is None:
            self._vocab = [t for t in self.postings if len(t) >= 4 and not t.isdigit()]
        return self._vocab

    def vocab_near_length(self, n: int) -> list[str]:
        """The vocabulary's words of length n-1, n or n+1: the only ones a single slip (one
        edit) of an n-letter word can be, so the slip check scans a fraction of the names."""
        if self._vocab_by_len is None:
            by_len: dict[int, list[str]] = {}
            for word in self.vocab:
                by_len.setdefault(len(word), []).append(word)
            self._vocab_by_len = by_len
        return [w for k in (n - 1, n, n + 1) for w in self._vocab_by_len.get(k, ())]

    def df(self, token: str) -> int:
        """Names containing the token (entries, so a customer's alias counts too: close enough
        for a weight, and O(1))."""
        return len(self.postings.get(token, ()))

    # --- matching ---------------------------------------------------------------------
    def match(
        self, text: str, as_name: bool = False, weak: frozenset[str] = frozenset()
    ) -> list[Candidate]:
        """Every customer the text names, best first, with how it matched. ``as_name``: read
        every word as if typed capitalized, as a name ("complaints at exerian"), except the
        words that never name a customer alone (``WEAK``, ``STOPWORDS``). ``weak``: more such
        words (the product and issue vocabulary: "payday" of "Payday loan" is not "Payday
        America"): one of them alone is never a name, nor typo-corrected into one."""
        scores: dict[str, tuple[float, str]] = {}

        def offer(customer_id: str, score: float, reason: str) -> None:
            if score > scores.get(customer_id, (0.0, ""))[0]:
                scores[customer_id] = (score, reason)

        stripped = text.strip()
        if stripped.lower() in self.ids:
            offer(self.ids[stripped.lower()], SCORE_ID, "id")
        for raw in RAW_TOKEN.findall(text):
            tok = raw.strip(".").lower()
            if tok in self.ids and (any(c.isdigit() for c in tok) or "-" in tok or "_" in tok):
                offer(self.ids[tok], SCORE_ID_IN_TEXT, "id")
        emails_in_text = {m.group(0).lower() for m in _EMAIL.finditer(text)}
        for email in emails_in_text:
            for cid in self.emails.get(email, ()):
                offer(cid, SCORE_EMAIL, "email")
            for cid in self.domains.get(email.rpartition("@")[2], ()):
                offer(cid, SCORE_DOMAIN, "email domain")
        for m in _DOMAIN.finditer(text):
            domain = m.group(1).lower().removeprefix("www.")
            for cid in self.domains.get(domain, ()):
                offer(cid, SCORE_DOMAIN, "domain")

        prefixes, suffixes, _ = parse_id_fragments(text)
        if prefixes or suffixes:
            # "ID starting 7590-", "ending in -VHVEG": the customers whose id fits; one is
            # that customer, several are candidates (the same score: ask which).
            fits = self.ids_fitting(prefixes, suffixes)
            score = SCORE_ID_IN_TEXT if len(fits) == 1 else SCORE_SHARED_TOKEN
            for cid in fits[:ID_FRAGMENT_CANDIDATES]:
                offer(cid, score, "id prefix" if prefixes else "id suffix")
            if fits:
                text = _ID_WORD.sub(" ", text)
        # Places, days and amounts where they go ("a borrower in Vermont", "on March 3") are
        # not names.
        match_names(self, parse(text).without_spans(text), offer, as_name, weak)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1][0], self.names[kv[0]]))
        return [Candidate(cid, self.names[cid], round(s, 4), [r]) for cid, (s, r) in ranked]

    def ids_fitting(self, prefixes: Sequence[str], suffixes: Sequence[str]) -> list[str]:
        """Customer ids starting with every prefix and ending with every suffix (case and the
        joining hyphen ignored), sorted."""
        if self._ids_sorted is None:
            self._ids_sorted = sorted(self.ids)
            self._ids_reversed = sorted(k[::-1] for k in self.ids)
        found: set[str] | None = None
        for frags, keys, flip in (
            (prefixes, self._ids_sorted, False),
            (suffixes, self._ids_reversed, True),
        ):
            for frag in frags:
                key = frag.lower()
                key = key[::-1] if flip else key
                start = bisect.bisect_left(keys, key)
                hits = set()
                for k in keys[start:]:
                    if not k.startswith(key):
                        break
                    hits.add(self.ids[k[::-1] if flip else k])
                found = hits if found is None else found & hits
        return sorted(found or ())
