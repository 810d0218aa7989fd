"""Which customer a question is about, for the brief: the name index first with the field
values the question names blanked ("Credit card" never resolves to "Card Corp"), then a
complaint id's owner, then a description (a day, a state, field values, an amount; see
``retrieval.describe``), then the global vector index. A customer only when the evidence is
specific to it; two or more close -> candidates; how it chose is ``Resolution.explain``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from c360.brief.vocabulary import Vocabulary
from prompts import resolution as R
from retrieval import describe as Ds
from retrieval import fieldindex as FI
from retrieval import fieldmatch as F
from retrieval import question as Qn
from retrieval.resolver import STOPWORDS, WEAK, Candidate, CustomerResolver, Resolution
from store import queries as Q

# Name matches resting on one word of a name: doubted when the question's description (a day,
# a state) fits other customers and not this one.
WEAK_NAME_METHODS = frozenset({"distinctive token", "name prefix", "acronym", "fuzzy name"})
# A customer's whole name, alias or core name, as typed.
FULL_NAME_METHODS = frozenset(
    {"name", "alias", "core name", "id", "email", "email domain", "domain"}
)
# Words of state and territory names ("Rhode" of "Rhode Island"): a place, not a company name.
_PLACE_WORDS = frozenset(w for name in Qn.STATES.values() for w in name.lower().split())


def evidence_of_days(days, states) -> list[str]:
    return [R.EVIDENCE_DAY.format(d.isoformat()) for d in days] + [
        R.EVIDENCE_STATE.format(st) for st in states
    ]


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
        self._customer_fields: Ds.CustomerFields | None = None

    def resolve(self, text: str, context_customer_id: str | None) -> Resolution:
        names = self.resolver.names
        # Days, places, amounts and id pieces in the asker's words ("March 3, 2022", "a borrower
        # in Vermont", "ID starting 7590-"): read once, never read as names.
        parsed = Qn.parse(text, now=self.now())
        # A product, issue or state named in the question is not a company name ("Credit card
        # or prepaid card" is not "Card Corporation", "CA" is not an acronym): resolve the
        # question without them first, and fall back to the whole text only if that finds nobody.
        masked = FI.mask_named(text, self.vocabulary.fields)
        # A product or issue word ("payday" of "a payday loan") never names a customer alone,
        # as a role word does not: "Payday America" is named by its whole name only.
        weak = self.vocabulary.field_words
        result = self.resolver.resolve(masked, use_description=False, weak=weak)
        if result.status == "not_found" and masked != text:
            whole = self.resolver.resolve(text, use_description=False)
            # A name made of field words ("Student Loan Direct"), named whole: never one word
            # of it shared with the product or issue the question names ("payday loan").
            if whole.status == "resolved" and whole.method in FULL_NAME_METHODS:
                result = whole
        # A capitalized name no customer has ("Zorblatt Lending"): not a description either.
        unknown = result.status == "not_found" and self._names_unknown(text, parsed)
        if (
            result.status == "not_found"
            and (masked != text or parsed.dates or parsed.states)
            and not unknown
        ):
            # A description made of field values comes before reading those values as names.
            by_fields = None if context_customer_id else self._describe_by_fields(text, parsed)
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
            by_record = self._resolve_by_complaint_id(text)
            if by_record is not None:
                return by_record
            if parsed.id_prefixes or parsed.id_suffixes:
                return Resolution("not_found")  # an id piece nobody's id has: not a description
            if unknown:
                # A capitalized name we have no customer for: say so rather than offering
                # look-alikes found by meaning.
                return Resolution("not_found")
            by_fields = self._describe_by_fields(text, parsed)
            if by_fields is None and parsed.amounts and not (parsed.dates or parsed.states):
                by_fields = self._describe_by_amount(text, parsed)
            result = by_fields if by_fields is not None else self.resolver.describe(text)
        return result

    def _names_unknown(self, text: str, parsed) -> bool:
        """Whether the question names, in capitals, a company no customer is: a capitalized
        word inside it (or a first word followed by one: "Zorblatt Lending complaints") that
        no name, field value, place or day word has. Parsed days and places are left out."""
        rest = parsed.without_spans(text)
        vocabularies = (self.resolver.names.postings, self.vocabulary.value_words)
        words = FI.unknown_names(rest, *vocabularies)
        first = re.match(r"\s*([A-Z][a-z]{3,})\s+[A-Z][a-z]", rest)
        if first and not any(first.group(1).lower() in v for v in vocabularies):
            words.append(first.group(1))
        return any(
            w.lower() not in STOPWORDS and w.lower() not in WEAK and w.lower() not in _PLACE_WORDS
            for w in words
        )

    def _describe_by_amount(self, text: str, parsed) -> Resolution | None:
        """A customer described by what it pays ("the customer paying $29.85 a month on a
        month-to-month contract"): the customers whose record carries the amount, those whose
        other field values the question names first."""
        fingerprint = len(self.resolver.names)
        if self._customer_fields is None or self._customer_fields.fingerprint != fingerprint:
            index = Ds.CustomerFields()
            with self.sessions() as session:
                index.load(session, fingerprint)
            self._customer_fields = index
        described = self._customer_fields.describe(parsed.amounts, text)
        if described is None or described.status == "not_found":
            return None
        names = self.resolver.names.names
        cands = [
            Candidate(f.customer_id, names[f.customer_id], float(f.score),
                      ["description: fields", R.pays_reason(f.about or "", f.named)])
            for f in described.fits
            if f.customer_id in names
        ]  # fmt: skip
        if not cands:
            return None
        evidence = [R.EVIDENCE_AMOUNT.format(a) for a in parsed.amounts]
        runner = cands[1] if len(cands) > 1 else None
        if described.status == "resolved":
            top = cands[0]
            return Resolution(
                "resolved", top.customer_id, top.name, "description", [top],
                evidence=[*evidence, top.reason or ""], score=top.score, runner_up=runner,
            )  # fmt: skip
        return Resolution(
            "ambiguous", candidates=cands, evidence=evidence, score=cands[0].score,
            runner_up=runner,
        )  # fmt: skip

    def _resolve_by_complaint_id(self, text: str) -> Resolution | None:
        """The customer whose complaint has the id the question gives ("Which company got
        complaint 3571115?"): one id, or several ids all of one customer."""
        ids = sorted(F.question_terms(text).numbers)
        if not ids:
            return None
        with self.sessions() as session:
            found = {cid: Q.get_complaint(session, cid) for cid in ids[:5]}
        owners = {c.customer_id for c in found.values() if c is not None}
        names = self.resolver.names.names
        owners &= set(names)
        if len(owners) != 1:
            return None
        owner = owners.pop()
        which = [cid for cid, c in found.items() if c is not None]
        cand = Candidate(owner, names[owner], 1.0, ["complaint id"])
        return Resolution(
            "resolved", owner, names[owner], "complaint id", [cand],
            evidence=[f"complaint {cid}" for cid in which], score=1.0,
        )  # fmt: skip

    def _doubt_weak_name(
        self, result: Resolution, text: str, parsed, context_customer_id: str | None
    ) -> Resolution:
        """A customer chosen by one name word (a distinctive token, a name prefix, an acronym,
        a typo) while the question also names the day of a complaint: when that customer has no
        complaint that day (from the named state) and the description fits others, one word
        must not outweigh it, so ask which."""
        if context_customer_id or not parsed.dates:
            return result
        with self.sessions() as session:
            rows = Ds.complaints_on_days(session, parsed.dates)
        wanted = set(parsed.states)
        if any(
            row[1] == result.customer_id
            and (not wanted or str((row[4] or {}).get("state") or "").upper() in wanted)
            for row in rows
        ):
            return result  # the named customer has a complaint of that day (and state)
        described = self._describe_by_fields(text, parsed)
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

    def _describe_by_fields(self, text: str, parsed=None) -> Resolution | None:
        """A description ("the lender with a complaint from a borrower in Vermont on March 3,
        2022 about a debt they don't owe", "the company with complaints about <sub-issue> in
        <State> via <channel>"): the customers having one complaint that carries every named
        day, state and value, ranked by how well its issue fits the question's words
        (``retrieval.describe``). None when the question names too little or nobody fits."""
        parsed = parsed or Qn.parse(text, now=self.now())
        names = self.resolver.names.names
        keys = self.vocabulary.fields.named(text)
        phrase = Ds.issue_phrase(parsed.without_spans(text, Ds.MARK))
        # The issue named exactly: a product named ("payday loan") does not say what the
        # complaint was about, so the issue phrase beside it still has to fit.
        exact_issue = any(k[0] in Ds.ISSUE_FIELDS and k[0] not in Ds.PRODUCT_FIELDS for k in keys)
        cosine = (
            self.vocabulary.meanings.similarity(phrase)
            if phrase and not exact_issue and self.vocabulary.embeddings
            else {}
        )
        soft = phrase if phrase and not exact_issue else None
        states = sorted(
            {*parsed.states, *(self.vocabulary.fields.raw[k] for k in keys if k[0] == "state")}
        )
        if parsed.dates:
            # On the named days the complaints are few: the day and state narrow them, the
            # issue (exact words or other words alike) ranks them. A product or issue word
            # named exactly ("loan" in "the home loan") is the asker's wording, not a filter.
            exact = [k for k in keys if k[0] != "state" and k[0] not in Ds.ISSUE_FIELDS]
            named_issue = " ".join(
                self.vocabulary.fields.raw[k] for k in keys if k[0] in Ds.ISSUE_FIELDS
            )
            day_phrase = phrase or named_issue or None
            day_cosine = (
                self.vocabulary.meanings.similarity(day_phrase)
                if day_phrase and self.vocabulary.embeddings
                else {}
            )
            # A product named beside the issue ("the payday loan lender ... about fees") must
            # be the complaint's product too, for the complaint to fit every named fact.
            products = [self.vocabulary.fields.raw[k] for k in keys if k[0] in Ds.PRODUCT_FIELDS]
            with self.sessions() as session:
                rows = Ds.complaints_on_days(session, parsed.dates)
            described = Ds.describe_by_days(
                rows, states, exact, day_phrase, day_cosine, set(names), products
            )
            if described.status != "not_found":
                evidence = evidence_of_days(parsed.dates, states)
                evidence += [
                    R.EVIDENCE_VALUE.format(k[0], self.vocabulary.fields.raw[k]) for k in exact
                ]
                return self._from_fits(described, evidence, day_phrase)
            if states:
                # No complaint of the named day and state: the companies that fit the rest
                # fit partly, and the day and place the asker gave contradict every one.
                return Resolution("not_found", evidence=evidence_of_days(parsed.dates, states))
            # Nothing of those days fits: what else the question says may be offered, never
            # answered (the day it names contradicts every fit).
            other = self._describe_by_values(keys, states, soft, cosine)
            if other is not None and other.resolved:
                other = Resolution(
                    "ambiguous", candidates=other.candidates, evidence=other.evidence,
                    score=other.score, runner_up=other.runner_up,
                )  # fmt: skip
            return other
        return self._describe_by_values(keys, states, soft, cosine)

    def _from_fits(self, described: Ds.Described, evidence: list[str], soft: str | None):
        names = self.resolver.names.names
        cands = []
        for f in described.fits:
            reason = R.fit_reason(f.state, f.day, f.about, f.named)
            cands.append(Candidate(f.customer_id, names[f.customer_id], round(f.score, 4),
                                   ["description: fields", reason]))  # fmt: skip
        top = described.fits[0]
        if soft and top.about:
            evidence = [*evidence, R.EVIDENCE_ISSUE.format(soft, top.about, top.score)]
        runner = cands[1] if len(cands) > 1 else None
        if described.status == "resolved":
            return Resolution(
                "resolved", top.customer_id, names[top.customer_id], "description", cands[:1],
                evidence=[*evidence, cands[0].reason], score=top.score, runner_up=runner,
            )  # fmt: skip
        return Resolution(
            "ambiguous", candidates=cands, evidence=evidence, score=top.score, runner_up=runner
        )

    def _describe_by_values(self, keys, states, soft, cosine) -> Resolution | None:
        """Without a day: the customers having one complaint carrying every named value (an
        issue in other words counts as its closest values). One fits: that customer when the
        question named two values exactly, else candidates."""
        keys = list(keys)
        for st in states:
            key = ("state", F.norm(st))
            if key in self.vocabulary.fields.customers and key not in keys:
                keys.append(key)
        fuzzy: list[tuple[str, str, float]] = []
        if soft:
            vocabulary = [(k[0], raw) for k, raw in self.vocabulary.fields.raw.items()]
            fuzzy = Ds.closest_values(soft, vocabulary, cosine)
            fuzzy = [f for f in fuzzy if f[0] == fuzzy[0][0] and f[2] >= fuzzy[0][2] - 0.05]
        if len(keys) + bool(fuzzy) < 2:
            return None
        sets = [self.vocabulary.fields.customers[k] for k in keys]
        if fuzzy:
            sets.append(
                set().union(
                    *(self.vocabulary.fields.customers[(f, F.norm(v))] for f, v, _ in fuzzy)
                )
            )
        sets.sort(key=len)
        customers = set(sets[0]).intersection(*sets[1:])
        if not customers or len(customers) > 50:
            return None
        values = self.vocabulary.fields.spellings(keys)
        if fuzzy:
            values.setdefault(fuzzy[0][0], []).extend(v for _, v, _ in fuzzy)
        # The customers having one complaint that carries every named value at once (counted
        # in the store's field-value index, not read from each candidate's complaints).
        with self.sessions() as session:
            carrying = Q.customers_with_a_complaint_carrying_all(session, sorted(customers), values)
        names = self.resolver.names.names
        fits = sorted(c for c in carrying if c in names)
        shown = [self.vocabulary.fields.raw[k] for k in keys] + [v for _, v, _ in fuzzy[:1]]
        evidence = [R.EVIDENCE_VALUE.format(k[0], self.vocabulary.fields.raw[k]) for k in keys]
        if fuzzy:
            evidence.append(R.EVIDENCE_ISSUE.format(soft, fuzzy[0][1], fuzzy[0][2]))
        reason = R.fields_reason(shown)
        # One customer fits: specific when two values were named exactly, or one exactly and
        # the issue in other words fits one value clearly (all its words, or close in meaning).
        clear = len(fuzzy) == 1 and fuzzy[0][2] >= Ds.FIT_CLEAR
        if len(fits) == 1 and (len(keys) >= 2 or (len(keys) == 1 and clear)):
            cand = Candidate(fits[0], names[fits[0]], 0.9, ["description: fields", reason])
            return Resolution(
                "resolved", fits[0], names[fits[0]], "description", [cand],
                evidence=[*evidence, reason], score=0.9,
            )  # fmt: skip
        if fits:
            cands = [Candidate(c, names[c], 0.7, ["description: fields", reason]) for c in fits]
            return Resolution(
                "ambiguous", candidates=cands[:10], evidence=evidence, score=0.7,
                runner_up=cands[1] if len(cands) > 1 else None,
            )  # fmt: skip
        return None
