"""Which customer does a description fit? ("the lender with a complaint from a borrower in
Vermont on March 3, 2022 about a debt they don't owe")

Hard evidence narrows the complaints: the days the question names (any common English form,
``question.parse``), the states (names or codes), and field values it names exactly. Soft
evidence ranks what is left: the issue in the question's own words ("chased for a debt I don't
owe") against each complaint's product, sub-product, issue and sub-issue, by meaning (the
embedding of the question's phrase against the field vocabulary) and by shared words.

Decision rule (ask, don't guess): a customer is answered only when the evidence is specific
to it: the complaints left after the hard evidence belong to one customer and the question
named at least two things (a day, a state, a value, an issue that fits), or one customer's
issue fits clearly better than every other's. Otherwise the fitting customers are candidates,
each with the reason it fits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from c360.domain import COMPLAINT_MATCH_FIELDS
from retrieval.fieldmatch import norm
from retrieval.recordstate import RecordState
from store.queries import OpenedComplaint, complaints_opened_in, customer_field_values

if TYPE_CHECKING:
    import numpy as np

ISSUE_FIELDS = ("category", "sub_product", "issue", "sub_issue")
PRODUCT_FIELDS = ("category", "sub_product")
# What went wrong, as opposed to what it was about: the issue fields that are not products.
ISSUE_ONLY_FIELDS = tuple(f for f in ISSUE_FIELDS if f not in PRODUCT_FIELDS)
FIT_MIN = 0.5  # an issue phrase fits a value this similar (cosine, or shared words)
FIT_CLEAR = 0.75  # a fit this good to one value alone names that value
FIT_LEAD = 0.12  # ... and one customer's fit must lead the next customer's by this much
MAX_CANDIDATES = 5
MAX_DAY_ROWS = 20000  # complaints read for the named days, months or years

# What a complaint was about: the words after "about" up to where a parsed day or place was
# (``MARK``), a channel or date word, or the end of the sentence.
MARK = "\u2016"
_PHRASE = re.compile(
    r"\b(?:about|regarding|concerning|over|re|involving|because of|for being)\s+(?P<p>[^"
    + MARK
    + r"]+?)(?=\s*"
    + MARK
    + r"|\s+(?:via|received|filed|submitted|sent|dated|during|which|who)\b|[?;!]|\.(?:\s|$)|$)",
    re.I,
)
# Words that end the phrase without being part of it: a link to what follows ("... from",
# "... that came"), the asker's closing words ("... against", "... about"), the person
# ("... by a consumer", "... from someone"), a dash before "which company was it".
_TRAILING = re.compile(
    r"(?:\s+(?:from|in|on|at|by|of|the|a|an|and|with|for|against|about|lodged|out|that|came"
    r"|someone|somebody|consumer|borrower|resident|person|customer|sometime|back|\W+))+$",
    re.I,
)
# "about" as typed in a hurry ("abuot", "aobut"): the trigger of an issue phrase all the same.
_ABOUT_SLIPS = re.compile(r"\b(?:abuot|aobut|abotu|abput|abouy|aboit|abount|abot|abut)\b", re.I)
_LEAD_WORDS = re.compile(
    r"^(?:a|an|the|their|its|his|her|my|our|some|one|being|that|which|complaints?"
    r"|consumers?|customers?|borrowers?|issues?|problems?)\s+",
    re.I,
)
_STEM = re.compile(r"(?:ing|ed|es|s)$")
_SOFT_STOP = frozenset(
    re.findall(
        r"\w+",
        "a an the of to or and for with your you i my me was is are be been not on in by at it "
        "their they them his her our we this that about from any",
    )
)


# Words that start a description of the customer, not of what a complaint was about: "what
# do we know about the company that had ...", "about the customer who ...".
_CUSTOMER_KIND = frozenset(
    [
        "company",
        "companies",
        "lender",
        "lenders",
        "servicer",
        "servicers",
        "service",
        "services",
        "bank",
        "banks",
        "customer",
        "customers",
        "client",
        "clients",
        "creditor",
        "creditors",
        "collector",
        "collectors",
        "agency",
        "agencies",
        "bureau",
        "bureaus",
        "firm",
        "firms",
        "business",
        "businesses",
        "provider",
        "providers",
        "institution",
        "institutions",
        "issuer",
        "issuers",
        "processor",
        "processors",
        "telco",
        "subscriber",
        "subscribers",
        "member",
        "members",
        "person",
        "people",
        "one",
        "ones",
        "who",
        "whose",
        "which",
        "that",
        "account",
        "accounts",
    ]
)


# The kind of company the asker names, when it says what the company does: "which collector",
# "the credit bureau", "the servicer", "the lender". A complaint whose product is none of
# these fits the description only partly (offered, never answered). "Bank", "company",
# "firm", "provider" say nothing of the product.
ROLE_PRODUCTS: tuple[tuple[re.Pattern, tuple[str, ...]], ...] = (
    (re.compile(r"\b(?:debt\s+)?collectors?\b|\bcollection\s+agenc(?:y|ies)\b", re.I),
     ("debt collection",)),
    (re.compile(r"\b(?:credit\s+)?bureaus?\b|\b(?:credit\s+)?reporting\s+(?:compan(?:y|ies)"
                r"|agenc(?:y|ies)|firms?)\b", re.I),
     ("credit reporting",)),
    (re.compile(r"\bservicers?\b|\bmortgage\s+compan(?:y|ies)\b", re.I), ("mortgage", "loan")),
    (re.compile(r"\blenders?\b|\b(?:loan|lending)\s+compan(?:y|ies)\b", re.I),
     ("loan", "mortgage", "lease", "line of credit", "credit card", "advance")),
    (re.compile(r"\bcard\s+(?:issuers?|compan(?:y|ies))\b", re.I), ("card",)),
)  # fmt: skip


def role_products(text: str) -> tuple[str, ...]:
    """The products the company-kind word of the question implies ("which collector" -> debt
    collection); empty when it names none or several kinds."""
    found = [products for pattern, products in ROLE_PRODUCTS if pattern.search(text)]
    return found[0] if len(found) == 1 else ()


_TO_THE_CUSTOMER = re.compile(
    r"(?:to|at|against|towards?|with)\s+(?:(?:the|our|their|this|that)\s+)?(\w+)", re.I
)


def _overlapping(pattern: re.Pattern, text: str) -> Iterable[re.Match]:
    """Every match, including those starting inside an earlier one ("about the company with
    complaints about <issue>": the second "about" too)."""
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        yield m
        pos = m.start() + 1


def issue_phrase(text: str) -> str | None:
    """The words after "about/regarding/over ..." up to where a place, day or channel starts:
    what the complaint was about, in the asker's words. "About the company that ..." is about
    the customer, not the complaint: not an issue."""
    best = None
    text = _ABOUT_SLIPS.sub("about", text)
    for m in _overlapping(_PHRASE, text):
        phrase = _TRAILING.sub("", m.group("p").strip(" ,'\""))
        while True:
            stripped = _LEAD_WORDS.sub("", phrase)
            if stripped == phrase:
                break
            phrase = stripped
        first = phrase.split()[0].lower().strip(",.'\"") if phrase.split() else ""
        if first in _CUSTOMER_KIND:
            continue
        to = _TO_THE_CUSTOMER.match(phrase)
        if to and to.group(1).lower() in _CUSTOMER_KIND:
            continue  # "complain about to the lender ...": who was told, not what about
        if len(phrase) >= 4 and (best is None or len(phrase) > len(best)):
            best = phrase
    return best


def _stems(text: str) -> set[str]:
    words = norm(text).split()
    return {_STEM.sub("", w) if len(w) > 4 else w for w in words if w not in _SOFT_STOP}


@lru_cache(maxsize=65536)
def word_fit(phrase: str, value: str) -> float:
    """Share of the phrase's words (stemmed, no stopwords) that the value has: the issue
    quoted, lower-cased or shortened fits fully."""
    p = _stems(phrase)
    return len(p & _stems(value)) / len(p) if p else 0.0


def words_fit(phrase: str, value: str) -> float:
    """``word_fit`` as evidence of what a complaint was about: the phrase's words all in the
    value, or at least two of them; one shared word ("loan" of "a home loan" and "Federal
    student loan debt") is no evidence."""
    p = _stems(phrase)
    shared = len(p & _stems(value))
    return shared / len(p) if p and (shared == len(p) or shared >= 2) else 0.0


def about_fields(phrase: str, vocabulary: Iterable[tuple[str, str]], cosine: dict[str, float]):
    """Which fields say what the phrase is about: the product fields when a product fits it
    clearly better than any issue does ("a home loan" ~ Home equity loan ...), the issue fields
    when an issue fits it clearly better than any product ("closing out the loan at the end" ~
    "Problem with the payoff process ..."): a complaint's product, shared by many complaints,
    then says nothing; all of them when neither is clearly closer ("misuse of a credit
    report")."""
    values = list(vocabulary)

    def best(fields: tuple[str, ...]) -> float:
        found = closest_values(phrase, [v for v in values if v[0] in fields], cosine, 1, 0.0)
        return found[0][2] if found else 0.0

    product, issue = best(PRODUCT_FIELDS), best(ISSUE_ONLY_FIELDS)
    if product - issue >= FIT_LEAD:
        return PRODUCT_FIELDS
    if issue - product >= FIT_LEAD:
        return ISSUE_ONLY_FIELDS
    return ISSUE_FIELDS


class Meanings:
    """The field vocabulary (products, issues ...) embedded once; a phrase's similarity to each
    value by cosine. Values are few (hundreds), so the matrix stays small."""

    def __init__(self, embeddings, memo=None) -> None:
        self.embeddings = embeddings
        self.memo = memo  # the vectors other processes made (``retrieval.vector_memo``)
        self.values: list[str] = []
        self._index: dict[str, int] = {}
        self._matrix: np.ndarray | None = None  # one row per value, once there are values

    def add(self, values: Iterable[str]) -> None:
        new = sorted({v for v in values if v and v not in self._index})
        if not new or self.embeddings is None:
            return
        import numpy as np  # here: resolving by name or state embeds nothing

        if self.memo is not None:
            vectors = self.memo.encode(self.embeddings, new)
        else:
            vectors = np.asarray(self.embeddings.encode(new), dtype=np.float32)
        self._matrix = vectors if self._matrix is None else np.vstack([self._matrix, vectors])
        for v in new:
            self._index[v] = len(self.values)
            self.values.append(v)

    def similarity(self, phrase: str) -> dict[str, float]:
        if self._matrix is None or self.embeddings is None:
            return {}
        import numpy as np

        q = np.asarray(self.embeddings.encode_query(phrase), dtype=np.float32)
        sims = self._matrix @ q
        return {v: float(sims[i]) for v, i in self._index.items()}


def fit(phrase: str, values: Sequence[str], cosine: dict[str, float]) -> tuple[float, str | None]:
    """How well the phrase fits the best of a complaint's values, and which value."""
    best, which = 0.0, None
    for v in values:
        if not v:
            continue
        score = max(cosine.get(v, 0.0), words_fit(phrase, v))
        if score > best:
            best, which = score, v
    return best, which


@dataclass
class Fit:
    """One customer a description fits, with the complaint that fits best and why."""

    customer_id: str
    complaint_id: str | None
    score: float
    day: date | None = None
    state: str | None = None
    about: str | None = None  # the field value the issue phrase fit
    named: list[str] = field(default_factory=list)  # exact values the question named
    whole: bool = True  # fits every named fact (a named product too), not only some
    kind: bool = True  # its product is of the kind of company named ("which collector")


@dataclass
class Described:
    status: str  # resolved | ambiguous | not_found
    fits: list[Fit]
    evidence: list[str]  # what the question gave: "day 2022-03-03", "state VT", "issue ..."


def _values(category: str | None, attributes: dict | None) -> dict[str, str]:
    out = {"category": category or ""}
    for name in COMPLAINT_MATCH_FIELDS:
        value = (attributes or {}).get(name)
        if isinstance(value, str):
            out[name] = value
    return out


def complaints_in(
    session, periods: Sequence[tuple[date, date]], states: Sequence[str] = ()
) -> list[OpenedComplaint]:
    """Every complaint opened in one of the periods (first day, day after; UTC), from one of
    the ``states`` when given, at most ``MAX_DAY_ROWS`` (``store.queries.complaints_opened_in``)."""
    return complaints_opened_in(session, periods, states, limit=MAX_DAY_ROWS)


def describe_by_days(
    rows: Sequence[tuple[Any, ...]],
    states: Sequence[str],
    exact: Sequence[tuple[str, str]],
    phrase: str | None,
    cosine: dict[str, float],
    known: set[str],
    products: Sequence[str] = (),
    record_states: Sequence[RecordState] = (),
    role: Sequence[str] = (),
    about: Sequence[str] = ISSUE_FIELDS,
) -> Described:
    """Decide among the complaints of the named days, months or years (``rows``): those from
    the named states carrying the exactly named values and the record states named in words
    ("still pending", "answered late"), ranked by how well their issue fits the phrase. A
    complaint whose product is not one the question names (``products``) fits partly: it may
    be offered, never answered; so does one whose product is not of the kind of company the
    question names (``role``: "which collector")."""
    wanted_states = {s.upper() for s in states}
    evidence = ["day"] + (["state"] if wanted_states else []) + [f for f, _ in exact]
    evidence += ["record state" for _ in record_states]
    best: dict[str, Fit] = {}
    about_which = tuple(about)
    for complaint_id, customer_id, opened_at, category, attributes, *rest in rows:
        if customer_id not in known:
            continue
        values = _values(category, attributes)
        state = (values.get("state") or "").upper()
        if wanted_states and state not in wanted_states:
            continue
        if not all(_carries(values.get(f, ""), v) for f, v in exact):
            continue
        if record_states and not all(
            rs.carried_by(*(rest + [None, None])[:2], attributes) for rs in record_states
        ):
            continue
        score, about = 1.0, values.get("issue") or values.get("category") or None
        if phrase:
            score, about = fit(phrase, [values.get(f, "") for f in about_which], cosine)
        day = opened_at.date() if opened_at else None
        whole = not products or any(
            word_fit(p, values.get(f, "")) >= 1.0 for p in products for f in PRODUCT_FIELDS
        )
        kind = not role or any(
            word_fit(p, values.get(f, "")) >= 1.0 for p in role for f in PRODUCT_FIELDS
        )
        current = best.get(customer_id)
        if current is None or (whole, score, kind) > (current.whole, current.score, current.kind):
            best[customer_id] = Fit(
                customer_id, str(complaint_id), score, day, state or None, about,
                [values.get(f, "") for f, _ in exact], whole, kind,
            )  # fmt: skip
    fits = sorted(best.values(), key=lambda f: (not f.whole, -f.score, f.customer_id))
    if phrase:
        evidence.append("issue")
    status = _decide(fits, len(evidence), bool(phrase))
    if status == "ambiguous" and role:
        # The kind of company named breaks a tie, never makes one: among fits this close,
        # the one whose product is of that kind ("which collector": debt collection).
        by_kind = [replace(f, whole=f.whole and f.kind) for f in fits]
        by_kind.sort(key=lambda f: (not f.whole, -f.score, f.customer_id))
        if _decide(by_kind, len(evidence) + 1, bool(phrase)) == "resolved":
            status = "resolved"
            fits = [next(f for f in fits if f.customer_id == by_kind[0].customer_id)] + [
                f for f in fits if f.customer_id != by_kind[0].customer_id
            ]
    if status == "resolved" and len(rows) >= MAX_DAY_ROWS:
        # The read stopped at its cap: complaints of other customers may fit beyond it.
        status = "ambiguous"
    return Described(status, fits[:MAX_CANDIDATES], evidence)


def _carries(raw: str, wanted: str) -> bool:
    """Whether a field value is the named value (normalised), or lists it among others
    ("Older American, Servicemember" carries "Servicemember")."""
    return norm(raw) == wanted or any(norm(part) == wanted for part in raw.split(","))


def _decide(fits: list[Fit], n_evidence: int, soft: bool) -> str:
    """Answered only when the best customer's complaint fits every named fact (the day, the
    state, the values, the issue: at least ``FIT_MIN``) and no other fits them as well (by
    ``FIT_LEAD`` when the issue is in the asker's words); a complaint fitting only some facts
    (the day and state, not the product named) is asked about, never answered."""
    if not fits:
        return "not_found"
    top = fits[0]  # the best fitting every named fact, when one does (``describe_by_days``)
    rivals = [f for f in fits[1:] if f.whole]
    if not top.whole:
        return "ambiguous" if len(fits) <= MAX_CANDIDATES else "not_found"
    if soft:
        if top.score < FIT_MIN:  # the day and place fit, what it was about fits nobody
            return "not_found"
        runner = rivals[0].score if rivals else 0.0
        if top.score - runner >= FIT_LEAD and n_evidence >= 2:
            return "resolved"
        return "ambiguous"
    if not rivals and n_evidence >= 2:
        return "resolved"
    return "ambiguous" if len(fits) <= MAX_CANDIDATES else "not_found"


def closest_values(
    phrase: str,
    vocabulary: Iterable[tuple[str, str]],
    cosine: dict[str, float],
    limit: int = 3,
    floor: float = FIT_MIN,
) -> list[tuple[str, str, float]]:
    """The (field, value, fit) of the vocabulary that fit the phrase best (at least
    ``floor``), best first: the issue named in other words."""
    scored = []
    for name, value in vocabulary:
        if name not in ISSUE_FIELDS:
            continue
        score = max(cosine.get(value, 0.0), words_fit(phrase, value))
        if score >= floor:
            scored.append((name, value, score))
    scored.sort(key=lambda t: -t[2])
    return scored[:limit]


# --- customers described by their own fields: "the telco customer paying $29.85 a month" ------
class CustomerFields:
    """Customers by the amounts on their record (money fields: monthly charges, total charges,
    ARR) and their other short text fields (contract, internet service, payment method ...),
    in memory: a description naming an amount finds the customers paying it."""

    def __init__(self) -> None:
        self.by_amount: dict[int, set[str]] = {}  # cents -> customers
        self.values: dict[str, dict[str, str]] = {}  # customer -> field -> text value
        self.amounts: dict[str, dict[str, float]] = {}  # customer -> money field -> amount
        self.fingerprint: object = None

    def load(self, session, fingerprint: object) -> None:
        from retrieval.amounts import MONEY_NAME_WORDS, name_words

        self.by_amount.clear()
        self.values.clear()
        self.amounts.clear()
        for cid, plan, attrs in customer_field_values(session):
            texts = {"plan": plan} if plan else {}
            money: dict[str, float] = {}
            for name, value in (attrs or {}).items():
                if isinstance(value, bool):
                    continue
                if isinstance(value, (int, float)):
                    if {w.lower() for w in name_words(name)} & MONEY_NAME_WORDS:
                        money[name] = float(value)
                elif isinstance(value, str) and 2 < len(value) <= 40:
                    texts[name] = value
            if money:
                self.amounts[cid] = money
                self.values[cid] = texts
                for amount in money.values():
                    self.by_amount.setdefault(round(amount * 100), set()).add(cid)
        self.fingerprint = fingerprint

    def describe(self, amounts: Sequence[float], question: str) -> Described | None:
        """The customers paying one of the amounts, ranked by how many of their other field
        values the question names; None when no customer pays any of them."""
        found = set().union(*(self.by_amount.get(round(a * 100), set()) for a in amounts))
        if not found:
            return None
        text = norm(question)
        fits = []
        for cid in sorted(found):
            named = [
                v
                for v in self.values.get(cid, {}).values()
                if norm(v) in text and norm(v).strip() not in ("yes", "no")
            ]
            paid = next(
                f"{name} {value:.2f}"
                for name, value in self.amounts[cid].items()
                if any(round(value * 100) == round(a * 100) for a in amounts)
            )
            fits.append(Fit(cid, None, 1.0 + len(named), about=paid, named=named))
        if any(f.named for f in fits):  # those whose other fields the question names too
            fits = [f for f in fits if f.named]
        fits.sort(key=lambda f: (-f.score, f.customer_id))
        runner = fits[1].score if len(fits) > 1 else 0.0
        if fits[0].score - runner >= 1.0 and (fits[0].named or len(found) == 1):
            status = "resolved"
        else:
            status = "ambiguous" if len(fits) <= MAX_CANDIDATES * 2 else "not_found"
        return Described(status, fits[: MAX_CANDIDATES * 2], ["amount"])
