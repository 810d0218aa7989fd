"""Which customer a question is about, for the brief: the name index first with the field
values the question names blanked ("Credit card" never resolves to "Card Corp"), then a
complaint id (or a piece of one), then a description (``descriptions``: a day or a month, a
state, a record state, field values, an amount), then the global vector index. A customer only
when the evidence is specific to it; two or more close -> candidates; how it chose is
``Resolution.explain``. The name index is looked at again when due, in a session opened here
(retrieval never opens one)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from itertools import pairwise

from c360.brief.descriptions import Descriptions
from c360.brief.vocabulary import Vocabulary
from c360.clock import zone
from prompts import resolution as R
from retrieval import describe as Ds
from retrieval import fieldindex as FI
from retrieval import question as Qn
from retrieval import recordstate as RS
from retrieval.names import COMPANY_KIND, coined_company_words, core_tokens
from retrieval.resolver import (
    STOPWORDS,
    WEAK,
    Candidate,
    CustomerResolver,
    Resolution,
    normalize_tokens,
)

# Name matches resting on one word of a name: doubted when the question's description (a day,
# a state) fits other customers and not this one.
WEAK_NAME_METHODS = frozenset({"distinctive token", "name prefix", "acronym", "fuzzy name"})
# A customer's whole name, alias or core name, as typed.
FULL_NAME_METHODS = frozenset(
    {"name", "alias", "core name", "id", "email", "email domain", "domain"}
)
# Words of state and territory names ("Rhode" of "Rhode Island"): a place, not a company name.
_PLACE_WORDS = frozenset(w for name in Qn.STATES.values() for w in name.lower().split())


_COMPLAINT_WORD = re.compile(r"\bcomplaints?\b", re.I)
_CUSTOMER_WORD = re.compile(r"\bcustomers?\b", re.I)
MAX_ID_CANDIDATES = 8
ID_PIECE_METHODS = frozenset({"id prefix", "id suffix"})  # a customer's own id, in pieces


def _hyphen_joined(text: str, parsed) -> bool:
    """Whether a piece was typed with the hyphen that joins it to the rest of its id ("7590-",
    "-VHVEG"): the shape of a customer id, never of a complaint's number."""
    return any(re.search(re.escape(p) + r"\s*-", text) for p in parsed.id_prefixes) or any(
        re.search(r"-\s*" + re.escape(x), text) for x in parsed.id_suffixes
    )


def _either_kind_of_id(by_customer_id: Resolution, by_complaint_id: Resolution) -> Resolution:
    """The customers whose own id fits the piece and those with a complaint whose id fits it:
    one is answered, several are offered."""
    seen: set[str] = set()
    cands = []
    for cand in [*by_customer_id.candidates, *by_complaint_id.candidates]:
        if cand.customer_id not in seen:
            seen.add(cand.customer_id)
            cands.append(cand)
    evidence = [*by_customer_id.evidence, *by_complaint_id.evidence]
    if len(cands) == 1:
        return by_customer_id
    return Resolution(
        "ambiguous", candidates=cands[:MAX_ID_CANDIDATES], evidence=evidence,
        score=cands[0].score, runner_up=cands[1],
    )  # fmt: skip


def _starts_name(text: str, name: str | None) -> bool:
    """The question holds the first two words of the name, typed together ("Loan South" of
    "Loan South Finance & Tax Service of Troy, LLC"): the company named by its short name,
    though one of the two words is a product value that the masked reading took out."""
    first = core_tokens(tuple(normalize_tokens(name or "")))[:2]
    words = normalize_tokens(text)
    return len(first) == 2 and first in pairwise(words)


def _kind_words_after(text: str, words: list[str]) -> set[str]:
    """The company-kind words ("lending", "services", "group") right after any of ``words``."""
    tokens = normalize_tokens(text)
    wanted = {t for w in words for t in normalize_tokens(w)}
    return {
        after for word, after in zip(tokens, tokens[1:], strict=False)
        if word in wanted and after in COMPANY_KIND
    }  # fmt: skip


def reader_tz(asker):
    """The reader's time zone (an IANA name on the asker, e.g. from Slack's users.info), for
    "yesterday" and "last month"; None (UTC) when unknown or not a zone."""
    return zone(getattr(asker, "tz", None))


class QuestionResolver:
    """The brief's resolution step over the resolver's name index and the field vocabulary."""

    def __init__(
        self,
        sessions,
        resolver: CustomerResolver,
        vocabulary: Vocabulary,
        now: Callable[[], datetime],
    ) -> None:
        self.sessions = sessions
        self.resolver = resolver
        self.vocabulary = vocabulary
        self.now = now  # the reader's time ("yesterday"), from the service's clock
        self.descriptions = Descriptions(sessions, self.fresh_resolver, vocabulary, now)

    def fresh_resolver(self) -> CustomerResolver:
        """The resolver, its name index checked against the store when due."""
        if self.resolver.stale():
            with self.sessions() as session:
                self.resolver.refresh(session)
        return self.resolver

    def resolve(self, text: str, context_customer_id: str | None, tz=None) -> Resolution:
        names = self.fresh_resolver().names
        # Days, months, places, amounts and id pieces in the asker's words ("March 3, 2022",
        # "in March 2022", "a borrower in Vermont", "ID starting 7590-"): read once, in the
        # reader's time zone, never read as names.
        parsed = Qn.parse(text, now=self.now(), tz=tz)
        # A product, issue or state named in the question is not a company name ("Credit card
        # or prepaid card" is not "Card Corporation", "CA" is not an acronym): resolve the
        # question without them first, and fall back to the whole text only if that finds nobody.
        masked = FI.mask_named(text, self.vocabulary.fields)
        # A product or issue word ("payday" of "a payday loan") never names a customer alone,
        # as a role word does not: "Payday America" is named by its whole name only.
        weak = self.vocabulary.field_words
        result = self.resolver.resolve(masked, use_description=False, weak=weak)
        named_whole = result.status == "resolved" and result.method in FULL_NAME_METHODS
        if masked != text and not named_whole:
            whole = self.resolver.resolve(text, use_description=False)
            # A name made of field words ("Student Loan Direct"), or holding one ("Quality
            # Loan Service Corporation", where masking "Loan" leaves two "Quality ..." names
            # alike), named whole: never one word of it shared with the product or issue the
            # question names ("payday loan").
            if whole.status == "resolved" and (
                whole.method in FULL_NAME_METHODS or _starts_name(text, whole.name)
            ):
                result = whole
        if result.status == "ambiguous" and not context_customer_id:
            # Look-alikes of a name we do not have ("Halvora Lending Services" near several
            # names by spelling): when the candidates rest on that word alone, not found.
            coined = self._unknown_words(text, parsed)
            kinds = _kind_words_after(text, coined)
            if (
                coined
                and kinds
                and not any(kinds & set(normalize_tokens(c.name)) for c in result.candidates)
            ):
                pattern = r"\b(?:" + "|".join(re.escape(w) for w in coined) + r")\b"
                rest = re.sub(pattern, " ", masked, flags=re.IGNORECASE)
                again = self.resolver.resolve(rest, use_description=False, weak=weak)
                if again.status == "not_found":
                    return Resolution(
                        "not_found", evidence=[R.EVIDENCE_UNKNOWN_NAME.format(coined[0])]
                    )
        if parsed.id_prefixes or parsed.id_suffixes:
            # No customer id fits the piece: a complaint id may ("ID starting 31970"). When
            # both kinds fit, the kind the question names: "the complaint with ID starting
            # 5575" is a complaint's id, "the customer ID starting 5575" a customer's.
            by_piece = self.descriptions.by_id_fragments(parsed)
            customer_ids = result.method in ID_PIECE_METHODS or (
                result.status == "ambiguous"
                and bool(result.candidates)
                and all(set(c.reasons) & ID_PIECE_METHODS for c in result.candidates)
            )
            if by_piece is not None and (
                result.status == "not_found" or (customer_ids and _COMPLAINT_WORD.search(text))
            ):
                return by_piece
            if (
                by_piece is not None
                and customer_ids
                and not _CUSTOMER_WORD.search(text)
                and not _hyphen_joined(text, parsed)
            ):
                # The question says neither "customer" nor "complaint" ("the account whose ID
                # starts with 6906"): both kinds of id fit, so every customer they name is offered.
                return _either_kind_of_id(result, by_piece)
        # A capitalized name no customer has ("Zorblatt Lending"): not a description either.
        unknown = result.status == "not_found" and self._names_unknown(text, parsed)
        if (
            result.status == "not_found"
            and (masked != text or parsed.when or parsed.states or RS.named_states(text))
            and not unknown
        ):
            # A description made of field values comes before reading those values as names.
            by_fields = None if context_customer_id else self.descriptions.by_fields(text, parsed)
            if by_fields is not None and by_fields.status != "not_found":
                return by_fields
        if result.status == "not_found":
            # A name typed in lower case ("complaints at exerian"): read the words left after
            # the field values as a name would be typed; accept only a clear single match.
            cased = self.resolver.resolve(masked, use_description=False, as_name=True, weak=weak)
            if cased.status == "resolved":
                result = cased
        if result.status == "resolved" and result.method in WEAK_NAME_METHODS:
            result = self._doubt_weak_name(result, text, parsed, context_customer_id)
        if context_customer_id and context_customer_id in names.names:
            if result.status == "not_found":
                return Resolution(
                    "resolved",
                    context_customer_id,
                    names.names[context_customer_id],
                    "context",
                    [
                        Candidate(
                            context_customer_id, names.names[context_customer_id], 1.0, ["context"]
                        )
                    ],
                    evidence=["the thread's customer"],
                    score=1.0,
                )
            if result.status == "ambiguous" and any(
                c.customer_id == context_customer_id for c in result.candidates
            ):
                cand = next(c for c in result.candidates if c.customer_id == context_customer_id)
                return Resolution(
                    "resolved",
                    cand.customer_id,
                    cand.name,
                    "context",
                    [cand],
                    evidence=["the thread's customer, among those the question fits"],
                    score=cand.score,
                )
        if result.status == "not_found":
            by_record = self.descriptions.by_complaint_id(text)
            if by_record is not None:
                return by_record
            if parsed.id_prefixes or parsed.id_suffixes:
                # "the complaint with ID starting 31970": the customers whose complaints fit;
                # an id piece nobody's id has is not found, never a description.
                return self.descriptions.by_id_fragments(parsed) or Resolution("not_found")
            if unknown:
                # A capitalized name we have no customer for: say so rather than offering
                # look-alikes found by meaning.
                return Resolution("not_found")
            by_fields = self.descriptions.by_fields(text, parsed)
            if by_fields is None and parsed.amounts and not (parsed.when or parsed.states):
                by_fields = self.descriptions.by_amount(text, parsed)
            result = by_fields if by_fields is not None else self.resolver.describe(text)
        return result

    def _names_unknown(self, text: str, parsed) -> bool:
        return bool(self._unknown_words(text, parsed))

    def _unknown_words(self, text: str, parsed) -> list[str]:
        """The words by which the question names, in capitals, a company no customer is: a
        capitalized word inside it (or a first word followed by one: "Zorblatt Lending
        complaints") that no name, field value, place or day word has; in any case, a coined
        word before a company-kind word. Parsed days and places are left out."""
        rest = parsed.without_spans(text)
        vocabularies = (self.resolver.names.postings, self.vocabulary.value_words)
        words = FI.unknown_names(rest, *vocabularies)
        first = re.match(r"\s*([A-Z][a-z]{3,})\s+[A-Z][a-z]", rest)
        if first and not any(first.group(1).lower() in v for v in vocabularies):
            words.append(first.group(1))
        # In any case: a coined word before "Lending Services" ("halvora lending services").
        is_word = getattr(self.vocabulary.embeddings, "is_word", None)
        if is_word is not None:
            words += coined_company_words(
                rest, lambda w: is_word(w) or any(w in v for v in vocabularies)
            )
        return [
            w
            for w in words
            if w.lower() not in STOPWORDS
            and w.lower() not in WEAK
            and w.lower() not in _PLACE_WORDS
        ]

    def _doubt_weak_name(
        self, result: Resolution, text: str, parsed, context_customer_id: str | None
    ) -> Resolution:
        """A customer chosen by one name word (a distinctive token, a name prefix, an acronym,
        a typo) while the question also names the day of a complaint: when that customer has no
        complaint that day (from the named state) and the description fits others, one word
        must not outweigh it, so ask which."""
        if context_customer_id or not parsed.when:
            return result
        with self.sessions() as session:
            rows = Ds.complaints_in(session, parsed.when)
        wanted = set(parsed.states)
        if any(
            row[1] == result.customer_id
            and (not wanted or str((row[4] or {}).get("state") or "").upper() in wanted)
            for row in rows
        ):
            return result  # the named customer has a complaint of that day (and state)
        described = self.descriptions.by_fields(text, parsed)
        if described is None or described.status == "not_found":
            return result
        named = result.candidates[0] if result.candidates else None
        cands = list(described.candidates[: Ds.MAX_CANDIDATES])
        if named is not None:
            cands.append(replace(named, reasons=[named.reasons[0] if named.reasons else "name"]))
        return Resolution(
            "ambiguous",
            candidates=cands,
            evidence=[R.EVIDENCE_NAME_DOUBTED.format(result.name), *described.evidence],
            score=described.score,
            runner_up=named,
        )
