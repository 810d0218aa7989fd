"""The name index: every customer's names and aliases, ids, emails and domains in memory.

Order of evidence, strongest first: an exact customer id; an email address or domain; a name
or alias (case, punctuation and corporate suffixes ignored for the core name); a typo'd name
(rapidfuzz against the name vocabulary); a distinctive leading token ("TransUnion") or an
acronym. Names live in an inverted index (token -> entries, plus whole-name maps), so a
question costs a few dictionary lookups per question token, whatever the number of customers.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from retrieval.decision import Candidate
from retrieval.names import (
    DESCRIPTIVE_SUFFIXES,
    GENERIC,
    LEADING_DROP,
    STOPWORDS,
    SUFFIXES,
    WEAK,
    acronyms,
    core_tokens,
    normalize_tokens,
    place_phrases,
    rests_on_place,
)
from retrieval.question import parse, parse_id_fragments
from store.queries import CustomerNameRow

# --- scores and thresholds (tuned on the demo data and the CFPB company names) -----------------
SCORE_ID = 1.0
SCORE_EMAIL = 1.0
SCORE_ID_IN_TEXT = 0.95
SCORE_DOMAIN = 0.95
SCORE_FULL_NAME = 1.0  # the whole name or alias, suffixes included ("Acme Corp")
SCORE_CORE_NAME = 0.9  # the name without its corporate suffix ("Acme")
SCORE_ACRONYM = 0.75
SCORE_SHARED_TOKEN = 0.6  # a shared name word: a candidate (= ACCEPT); longer runs win
FUZZY_CUTOFF = 80  # rapidfuzz ratio for a typo'd token ("equifx" -> "equifax")
# One slip (a letter dropped, added or changed, or two neighbours swapped: "experain", "Exetre")
# on a word this long, leading to exactly one name word: that word, nearly as good as typed.
# The ratio above counts a swap as two edits (0.83-0.88), which sank such names below ACCEPT.
SLIP_MIN_LEN = 6
SLIP_SIM = 0.95
ID_FRAGMENT_CANDIDATES = 5  # customers offered when a partial id fits several
MAX_SPAN = 8  # longest name, in tokens, looked up as one span

_ID_WORD = re.compile(r"\b(?:ID|Id|id|IDs)\b")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_DOMAIN = re.compile(r"\b((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})\b")
_RAW_TOKEN = re.compile(r"[^\s,;:!?()\"'<>]+")


@dataclass
class _Entry:
    customer_id: str
    label: str
    is_alias: bool
    full: tuple[str, ...]
    core: tuple[str, ...]


class NameIndex:
    """Inverted index over customer names and aliases, ids, emails and domains."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}  # customer_id -> display name
        self._entries: dict[int, _Entry] = {}
        self._by_customer: dict[str, list[int]] = {}
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
                self._entries[eid] = entry
                self._by_customer.setdefault(row.customer_id, []).append(eid)
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
        for eid in self._by_customer.pop(customer_id, []):
            entry = self._entries.pop(eid)
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
    def state(self) -> tuple:
        """The index as built-in values only (dicts, sets, tuples, strings, ints), which
        ``marshal`` writes and ``from_state`` turns back into this index."""
        entries = {
            eid: (e.customer_id, e.label, e.is_alias, e.full, e.core)
            for eid, e in self._entries.items()
        }
        return (
            self.names, entries, self._by_customer, self._next, self.full_map, self.core_map,
            self.acronym_map, self.postings, self.prefix2, self.ids, self.emails, self.domains,
        )  # fmt: skip

    @classmethod
    def from_state(cls, state: tuple) -> NameIndex:
        index = cls()
        (
            index.names, entries, index._by_customer, index._next, index.full_map,
            index.core_map, index.acronym_map, index.postings, index.prefix2, index.ids,
            index.emails, index.domains,
        ) = state  # fmt: skip
        index._entries = {eid: _Entry(*fields) for eid, fields in entries.items()}
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
        for raw in _RAW_TOKEN.findall(text):
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
        self._match_names(parse(text).without_spans(text), offer, as_name, weak)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1][0], self.names[kv[0]]))
        return [Candidate(cid, self.names[cid], round(s, 4), [r]) for cid, (s, r) in ranked]

    def _names_continuing(self, span: Sequence[str], customer_id: str) -> set[str]:
        """Other customers whose core name starts with ``span`` and goes on ("Umbrella
        Health" for "umbrella")."""
        k = len(span)
        rarest = min(span, key=self.df)
        return {
            e.customer_id
            for eid in self.postings.get(rarest, ())
            if (e := self._entries[eid]).customer_id != customer_id
            and len(e.core) > k
            and tuple(e.core[:k]) == tuple(span)
        }

    def _corrected(
        self, tokens: list[str], keep: Sequence[bool] = (), weak: frozenset[str] = frozenset()
    ) -> list[tuple[str, float]]:
        """Each token with its similarity; unknown, non-common tokens snap to the nearest name
        token when close enough (a typo). A word of the question's vocabulary (``weak``) or of
        a place (``keep``: "Americas" of "Armed Forces Americas") is that word, not a typo."""
        out = []
        vocab = None
        for idx, tok in enumerate(tokens):
            if (
                tok in self.postings
                or tok in STOPWORDS
                or tok in weak
                or (idx < len(keep) and keep[idx])
                or len(tok) < 5
                or tok.isdigit()
            ):
                out.append((tok, 1.0))
                continue
            if vocab is None:
                vocab = self.vocab
            slip = self._single_slip(tok, self.vocab_near_length(len(tok)))
            if slip is not None:
                out.append((slip, SLIP_SIM))
                continue
            best = process.extractOne(tok, vocab, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            out.append((best[0], best[1] / 100.0) if best else (tok, 1.0))
        return out

    @staticmethod
    def _single_slip(tok: str, vocab: list[str]) -> str | None:
        """The one name word ``tok`` is a single slip of (OSA distance 1: a letter dropped,
        added or changed, or two neighbours swapped), when it is long enough to be a name word
        and no second name word is as close; else None (several: the ratio decides, as before)."""
        if len(tok) < SLIP_MIN_LEN:
            return None
        near = process.extract(tok, vocab, scorer=OSA.distance, score_cutoff=1, limit=2)
        return near[0][0] if len(near) == 1 else None

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

    def _match_names(
        self,
        text: str,
        offer: Callable[[str, float, str], None],
        as_name: bool = False,
        weak: frozenset[str] = frozenset(),
    ) -> None:
        raw_words = _RAW_TOKEN.findall(text)
        capitalized = {t for w in raw_words if w[:1].isupper() for t in normalize_tokens(w)}
        if as_name:
            capitalized |= {
                t for t in normalize_tokens(text) if len(t) >= 3 and t not in WEAK | STOPWORDS
            }
        upper = {
            w.strip(".").lower()
            for w in raw_words
            if len(w.strip(".")) >= 2 and w.strip(".").isupper()
        }
        tokens = normalize_tokens(text)
        if not tokens:
            return
        short_ref = len(tokens) <= 4  # a bare customer reference, as in `c360 brief acme`
        place = place_phrases(tokens)
        corrected = self._corrected(tokens, [p is not None for p in place], weak)
        words = [w for w, _ in corrected]
        n = len(words)
        matched_entries: set[int] = set()

        # Whole names and core names as contiguous spans of the question.
        spans: list[tuple[int, int, str, float, str]] = []
        for i in range(n):
            sim = 1.0
            for j in range(i + 1, min(n, i + MAX_SPAN) + 1):
                sim *= corrected[j - 1][1]
                span = words[i:j]
                if all(w in STOPWORDS for w in span) and not short_ref:
                    continue
                if j - i == 1 and span[0] in weak and not short_ref:
                    continue  # "payday" of "a payday loan": a product word, not "Payday"
                if all(w in STOPWORDS or w in WEAK or w in GENERIC or w in SUFFIXES for w in span):
                    # Common words ("lender services", "bank of america") name a customer
                    # only when typed as a name, or when they are the whole reference.
                    # Read as a name (``as_name``), a role word counts as typed beside a word
                    # that is not one ("bank of america"), never alone ("lender services").
                    beside = as_name and any(w not in WEAK | STOPWORDS for w in span)
                    typed = all(
                        w in STOPWORDS or w in capitalized or (beside and w in WEAK)
                        for w in tokens[i:j]
                    )
                    whole = short_ref and j == n and all(t in LEADING_DROP for t in tokens[:i])
                    if not (typed or whole):
                        continue
                key = " ".join(span)
                fuzzy = sim < 1.0
                for eid in self.full_map.get(key, ()):
                    entry = self._entries[eid]
                    if rests_on_place(place, i, j, entry.full):
                        continue
                    matched_entries.add(eid)
                    reason = "fuzzy name" if fuzzy else ("alias" if entry.is_alias else "name")
                    spans.append((i, j, entry.customer_id, SCORE_FULL_NAME * sim, reason))
                for eid in self.core_map.get(key, ()):
                    entry = self._entries[eid]
                    if rests_on_place(place, i, j, entry.full):
                        continue
                    matched_entries.add(eid)
                    reason = "fuzzy name" if fuzzy else ("alias" if entry.is_alias else "core name")
                    longer = self._names_continuing(span, entry.customer_id)
                    if longer and DESCRIPTIVE_SUFFIXES & (set(entry.full) - set(entry.core)):
                        # "Umbrella" is the core of "Umbrella Holdings" only because "Holdings"
                        # was dropped as a legal word, and "Umbrella Health" starts with it
                        # too: the dropped word is what tells them apart, so ask which.
                        spans.append((i, j, entry.customer_id, SCORE_SHARED_TOKEN * sim, reason))
                        for other in longer:
                            matched_entries.update(self._by_customer.get(other, ()))
                            spans.append((i, j, other, SCORE_SHARED_TOKEN * sim, "name prefix"))
                        continue
                    spans.append((i, j, entry.customer_id, SCORE_CORE_NAME * sim, reason))
        # A name inside a longer name that also matched is not a mention of its own: "Acme
        # Corporation Ltd" contains "Acme Corp", but names only the former.
        for i, j, cid, score, reason in spans:
            inside_longer = any(
                i2 <= i and j <= j2 and j2 - i2 > j - i and cid2 != cid
                for i2, j2, cid2, _, _ in spans
            )
            if not inside_longer:
                offer(cid, score, reason)

        # Acronyms typed in capitals ("TU", "BOA"), or alone as a bare reference.
        for tok in set(tokens):
            if tok in WEAK:  # "ID", "VT", "OR": a word of the question, not initials
                continue
            if all(place[k] is not None for k, t in enumerate(tokens) if t == tok):
                continue  # a word of a place's name ("Rhode Island"), not initials
            if tok in upper or (short_ref and n == 1):
                for eid in self.acronym_map.get(tok, ()):
                    offer(self._entries[eid].customer_id, SCORE_ACRONYM, "acronym")

        # A distinctive part of a longer name ("TransUnion" -> "TransUnion Intermediate
        # Holdings"): only from rare tokens, and only when typed as a name would be
        # (capitalized) or as a bare reference.
        total = max(len(self.names), 1)
        distinct_cap = max(5, int(total * 0.002))
        seen: set[int] = set()
        candidates: list[int] = []
        # Names made of common words ("Capital One Financial") are reached by their first two
        # tokens typed together.
        for idx in range(n - 1):
            if short_ref or (tokens[idx] in capitalized and tokens[idx + 1] in capitalized):
                candidates.extend(self.prefix2.get(f"{words[idx]} {words[idx + 1]}", ()))
        for idx, (word, sim) in enumerate(corrected):
            if (
                len(word) < 2  # an initial: reached through the names it leads, not alone
                or place[idx] is not None
                or word in weak
                or word in STOPWORDS
                or word in SUFFIXES
                or word in GENERIC
                or word not in self.postings
            ):
                continue
            if not (short_ref or word in capitalized or tokens[idx] in capitalized):
                continue
            if sim < 1.0 and sim < 0.85:
                continue
            postings = self.postings[word]
            if len(postings) <= distinct_cap:
                candidates.extend(postings)
        for eid in candidates:
            if eid in matched_entries or eid in seen:
                continue
            seen.add(eid)
            entry = self._entries[eid]
            score = self._partial_score(words, corrected, entry, total, distinct_cap, place, weak)
            if score:
                offer(entry.customer_id, score[0], score[1])

    def _partial_score(
        self, words, corrected, entry, total, distinct_cap, place=(), weak=frozenset()
    ) -> tuple[float, str] | None:
        """Longest run of the question's tokens inside the core name, weighted by how much of
        the name's distinctiveness (IDF) it covers; a run at the name's start counts more.
        A run of words of a place ("Island" of "Rhode Island") says nothing of the name unless
        the name has the whole place; a product or issue word (``weak``) is as a role word."""
        core = entry.core
        place = list(place) or [None] * len(words)
        best: tuple[float, str] | None = None
        idf = {t: math.log(1 + total / max(self.df(t), 1)) for t in core}
        core_weight = sum(idf.values()) or 1.0
        for i in range(len(words)):
            for s in range(len(core)):
                k = 0
                sim = 1.0
                while i + k < len(words) and s + k < len(core) and words[i + k] == core[s + k]:
                    sim *= corrected[i + k][1]
                    k += 1
                if not k:
                    continue
                run = core[s : s + k]
                if rests_on_place(place, i, i + k, entry.full):
                    continue
                # Two leading content words typed together name a company even when each is
                # common ("Capital One", "R & B"); otherwise the run needs one rare, specific
                # word. A single letter is an initial, not such a word: "B" in "C B Merchant
                # Services" says nothing about which company "R & B of Virginia" means.
                # A number is a piece of an id ("5889" of "5889-JTMUL"), never a name word: a
                # customer whose id is not in the store must not resolve to one sharing digits.
                leading_pair = (
                    s == 0
                    and sum(t not in STOPWORDS and t not in SUFFIXES for t in run) >= 2
                    and any(
                        t not in WEAK and t not in weak and t not in STOPWORDS and not t.isdigit()
                        for t in run
                    )
                )
                if not leading_pair and not any(
                    len(t) > 1
                    and not t.isdigit()
                    and t not in STOPWORDS
                    and t not in SUFFIXES
                    and t not in GENERIC
                    and t not in WEAK
                    and t not in weak
                    and self.df(t) <= distinct_cap
                    for t in run
                ):
                    continue
                frac = sum(idf[t] for t in run) / core_weight
                base = 0.62 if s == 0 else 0.5
                score = (base + 0.1 * frac) * sim
                if k == 1 and self.df(run[0]) > 1:
                    # One word that several names share ("Santander", "Citizens") says no more
                    # about one of them than the others, wherever it sits in the name: the
                    # same score for all of them, so the caller asks which one.
                    score = SCORE_SHARED_TOKEN * sim
                reason = "name prefix" if s == 0 else "distinctive token"
                if best is None or score > best[0]:
                    best = (round(score, 4), reason)
        return best
