"""Names in a question's words, read over a ``NameIndex``: whole names and core names as
contiguous spans (typos corrected first), acronyms typed in capitals, and distinctive parts of
longer names, each offered with its score and reason. ``NameIndex.match`` calls this after the
ids, emails and domains; the scores here are on the same scale as those."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from retrieval.names import (
    DESCRIPTIVE_SUFFIXES,
    GENERIC,
    LEADING_DROP,
    STOPWORDS,
    SUFFIXES,
    WEAK,
    normalize_tokens,
    place_phrases,
    rests_on_place,
)

if TYPE_CHECKING:
    from retrieval.name_index import NameIndex

# --- scores and thresholds (tuned on the demo data and the CFPB company names) -----------------
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
MAX_SPAN = 8  # longest name, in tokens, looked up as one span

RAW_TOKEN = re.compile(r"[^\s,;:!?()\"'<>]+")


def names_continuing(index: NameIndex, span: Sequence[str], customer_id: str) -> set[str]:
    """Other customers whose core name starts with ``span`` and goes on ("Umbrella
    Health" for "umbrella")."""
    k = len(span)
    rarest = min(span, key=index.df)
    return {
        e.customer_id
        for eid in index.postings.get(rarest, ())
        if (e := index.entries[eid]).customer_id != customer_id
        and len(e.core) > k
        and tuple(e.core[:k]) == tuple(span)
    }


def correct_typos(
    index: NameIndex,
    tokens: list[str],
    keep: Sequence[bool] = (),
    weak: frozenset[str] = frozenset(),
) -> list[tuple[str, float]]:
    """Each token with its similarity; unknown, non-common tokens snap to the nearest name
    token when close enough (a typo). A word of the question's vocabulary (``weak``) or of
    a place (``keep``: "Americas" of "Armed Forces Americas") is that word, not a typo."""
    out = []
    vocab = None
    for idx, tok in enumerate(tokens):
        if (
            tok in index.postings
            or tok in STOPWORDS
            or tok in weak
            or (idx < len(keep) and keep[idx])
            or len(tok) < 5
            or tok.isdigit()
        ):
            out.append((tok, 1.0))
            continue
        if vocab is None:
            vocab = index.vocab
        slip = single_slip(tok, index.vocab_near_length(len(tok)))
        if slip is not None:
            out.append((slip, SLIP_SIM))
            continue
        best = process.extractOne(tok, vocab, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        out.append((best[0], best[1] / 100.0) if best else (tok, 1.0))
    return out


def single_slip(tok: str, vocab: list[str]) -> str | None:
    """The one name word ``tok`` is a single slip of (OSA distance 1: a letter dropped,
    added or changed, or two neighbours swapped), when it is long enough to be a name word
    and no second name word is as close; else None (several: the ratio decides, as before)."""
    if len(tok) < SLIP_MIN_LEN:
        return None
    near = process.extract(tok, vocab, scorer=OSA.distance, score_cutoff=1, limit=2)
    return near[0][0] if len(near) == 1 else None


def _named(index: NameIndex, names: dict, key: str, place, i: int, j: int, matched: set[int]):
    """The entries ``names`` (whole names or core names) holds under ``key``, the words i..j of
    the question, except those the words name only as part of a place ("Rhode Island" is not
    "Island Bank"); each is marked ``matched``."""
    for eid in names.get(key, ()):
        entry = index.entries[eid]
        if not rests_on_place(place, i, j, entry.full):
            matched.add(eid)
            yield entry


def match_names(
    index: NameIndex,
    text: str,
    offer: Callable[[str, float, str], None],
    as_name: bool = False,
    weak: frozenset[str] = frozenset(),
) -> None:
    raw_words = RAW_TOKEN.findall(text)
    capitalized = {t for w in raw_words if w[:1].isupper() for t in normalize_tokens(w)}
    if as_name:
        capitalized |= {
            t for t in normalize_tokens(text) if len(t) >= 3 and t not in WEAK | STOPWORDS
        }
    upper = {
        w.strip(".").lower() for w in raw_words if len(w.strip(".")) >= 2 and w.strip(".").isupper()
    }
    tokens = normalize_tokens(text)
    if not tokens:
        return
    short_ref = len(tokens) <= 4  # a bare customer reference, as in `c360 brief acme`
    place = place_phrases(tokens)
    corrected = correct_typos(index, tokens, [p is not None for p in place], weak)
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
            for entry in _named(index, index.full_map, key, place, i, j, matched_entries):
                reason = "fuzzy name" if fuzzy else ("alias" if entry.is_alias else "name")
                spans.append((i, j, entry.customer_id, SCORE_FULL_NAME * sim, reason))
            for entry in _named(index, index.core_map, key, place, i, j, matched_entries):
                reason = "fuzzy name" if fuzzy else ("alias" if entry.is_alias else "core name")
                longer = names_continuing(index, span, entry.customer_id)
                if longer and DESCRIPTIVE_SUFFIXES & (set(entry.full) - set(entry.core)):
                    # "Umbrella" is the core of "Umbrella Holdings" only because "Holdings"
                    # was dropped as a legal word, and "Umbrella Health" starts with it
                    # too: the dropped word is what tells them apart, so ask which.
                    spans.append((i, j, entry.customer_id, SCORE_SHARED_TOKEN * sim, reason))
                    for other in longer:
                        matched_entries.update(index.by_customer.get(other, ()))
                        spans.append((i, j, other, SCORE_SHARED_TOKEN * sim, "name prefix"))
                    continue
                spans.append((i, j, entry.customer_id, SCORE_CORE_NAME * sim, reason))
    # A name inside a longer name that also matched is not a mention of its own: "Acme
    # Corporation Ltd" contains "Acme Corp", but names only the former.
    for i, j, cid, score, reason in spans:
        inside_longer = any(
            i2 <= i and j <= j2 and j2 - i2 > j - i and cid2 != cid for i2, j2, cid2, _, _ in spans
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
            for eid in index.acronym_map.get(tok, ()):
                offer(index.entries[eid].customer_id, SCORE_ACRONYM, "acronym")

    # A distinctive part of a longer name ("TransUnion" -> "TransUnion Intermediate
    # Holdings"): only from rare tokens, and only when typed as a name would be
    # (capitalized) or as a bare reference.
    total = max(len(index.names), 1)
    distinct_cap = max(5, int(total * 0.002))
    seen: set[int] = set()
    candidates: list[int] = []
    # Names made of common words ("Capital One Financial") are reached by their first two
    # tokens typed together.
    for idx in range(n - 1):
        if short_ref or (tokens[idx] in capitalized and tokens[idx + 1] in capitalized):
            candidates.extend(index.prefix2.get(f"{words[idx]} {words[idx + 1]}", ()))
    for idx, (word, sim) in enumerate(corrected):
        if (
            len(word) < 2  # an initial: reached through the names it leads, not alone
            or place[idx] is not None
            or word in weak
            or word in STOPWORDS
            or word in SUFFIXES
            or word in GENERIC
            or word not in index.postings
        ):
            continue
        if not (short_ref or word in capitalized or tokens[idx] in capitalized):
            continue
        if sim < 1.0 and sim < 0.85:
            continue
        postings = index.postings[word]
        if len(postings) <= distinct_cap:
            candidates.extend(postings)
    for eid in candidates:
        if eid in matched_entries or eid in seen:
            continue
        seen.add(eid)
        entry = index.entries[eid]
        score = partial_score(index, words, corrected, entry, total, distinct_cap, place, weak)
        if score:
            offer(entry.customer_id, score[0], score[1])


def partial_score(
    index: NameIndex, words, corrected, entry, total, distinct_cap, place=(), weak=frozenset()
) -> tuple[float, str] | None:
    """Longest run of the question's tokens inside the core name, weighted by how much of
    the name's distinctiveness (IDF) it covers; a run at the name's start counts more.
    A run of words of a place ("Island" of "Rhode Island") says nothing of the name unless
    the name has the whole place; a product or issue word (``weak``) is as a role word."""
    core = entry.core
    place = list(place) or [None] * len(words)
    best: tuple[float, str] | None = None
    idf = {t: math.log(1 + total / max(index.df(t), 1)) for t in core}
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
                and index.df(t) <= distinct_cap
                for t in run
            ):
                continue
            frac = sum(idf[t] for t in run) / core_weight
            base = 0.62 if s == 0 else 0.5
            score = (base + 0.1 * frac) * sim
            if k == 1 and index.df(run[0]) > 1:
                # One word that several names share ("Santander", "Citizens") says no more
                # about one of them than the others, wherever it sits in the name: the
                # same score for all of them, so the caller asks which one.
                score = SCORE_SHARED_TOKEN * sim
            reason = "name prefix" if s == 0 else "distinctive token"
            if best is None or score > best[0]:
                best = (round(score, 4), reason)
    return best
