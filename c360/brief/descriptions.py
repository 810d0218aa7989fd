"""Customers described rather than named, for the resolve step: by the day (or month) and
state of one of their complaints and what it was about, by field values one complaint carries
at once, by an amount on the customer record, by a complaint id or a piece of one. Each returns
a ``Resolution`` (one customer only when the description fits it alone) or None when the
question names too little. The scoring is ``retrieval.describe``; the reads go through the
store's query functions in sessions opened here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from c360.brief.vocabulary import Vocabulary
from prompts import resolution as R
from retrieval import describe as Ds
from retrieval import fieldmatch as F
from retrieval import question as Qn
from retrieval import recordstate as RS
from retrieval.resolver import Candidate, CustomerResolver, Resolution
from store import queries as Q


def evidence_of_days(days, states, periods=()) -> list[str]:
    return (
        [R.EVIDENCE_DAY.format(d.isoformat()) for d in days]
        + [R.period(start, end) for start, end in periods]
        + [R.EVIDENCE_STATE.format(st) for st in states]
    )


@dataclass(eq=False)
class Descriptions:
    sessions: Any
    fresh_resolver: Callable[[], CustomerResolver]  # the name index, checked when due
    vocabulary: Vocabulary
    now: Callable[[], datetime]  # the reader's time ("yesterday")
    _customer_fields: Ds.CustomerFields | None = None  # amounts on customer records

    @property
    def resolver(self) -> CustomerResolver:
        """The resolver as last refreshed (the resolve step refreshed it for this question)."""
        return self.fresh_resolver()

    def by_amount(self, text: str, parsed) -> Resolution | None:
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

    def by_id_fragments(self, parsed) -> Resolution | None:
        """The customers whose complaint ids fit the pieces the question gives ("the complaint
        with ID starting 31970", "number ending 4755"): one is that customer, several are
        offered (each with a complaint that fits), none is None."""
        with self.sessions() as session:
            found = Q.complaints_by_id_fragments(session, parsed.id_prefixes, parsed.id_suffixes)
        names = self.resolver.names.names
        by_owner: dict[str, list[str]] = {}
        for complaint_id, owner in found:
            if owner in names:
                by_owner.setdefault(owner, []).append(complaint_id)
        if not by_owner:
            return None
        how = "id prefix" if parsed.id_prefixes else "id suffix"
        piece = " ".join([*parsed.id_prefixes, *parsed.id_suffixes])
        evidence = [R.EVIDENCE_ID_FRAGMENT.format(how.removeprefix("id "), piece)]
        cands = [
            Candidate(cid, names[cid], 0.95 if len(by_owner) == 1 else 0.6,
                      [f"complaint {how}", R.complaint_ids_reason(ids)])
            for cid, ids in sorted(by_owner.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ]  # fmt: skip
        if len(cands) == 1:
            top = cands[0]
            return Resolution(
                "resolved", top.customer_id, top.name, f"complaint {how}", [top],
                evidence=[*evidence, top.reason or ""], score=top.score,
            )  # fmt: skip
        return Resolution(
            "ambiguous", candidates=cands[: Ds.MAX_CANDIDATES], evidence=evidence,
            score=cands[0].score, runner_up=cands[1],
        )  # fmt: skip

    def by_complaint_id(self, text: str) -> Resolution | None:
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

    def by_fields(self, text: str, parsed=None) -> Resolution | None:
        """A description ("the lender with a complaint from a borrower in Vermont on March 3,
        2022 about a debt they don't owe", "the company with complaints about <sub-issue> in
        <State> via <channel>"): the customers having one complaint that carries every named
        day, state and value, ranked by how well its issue fits the question's words
        (``retrieval.describe``). None when the question names too little or nobody fits."""
        parsed = parsed or Qn.parse(text, now=self.now())
        names = self.fresh_resolver().names.names
        keys = self.vocabulary.fields.named(text)
        record_states = RS.named_states(text)
        phrase = Ds.issue_phrase(parsed.without_spans(text, Ds.MARK))
        # The issue named exactly: a product named ("payday loan") does not say what the
        # complaint was about, so the issue phrase beside it still has to fit.
        exact_issue = any(k[0] in Ds.ISSUE_ONLY_FIELDS for k in keys)
        cosine = (
            self.vocabulary.meanings.similarity(phrase)
            if phrase and not exact_issue and self.vocabulary.embeddings
            else {}
        )
        soft = phrase if phrase and not exact_issue else None
        states = sorted(
            {*parsed.states, *(self.vocabulary.fields.raw[k] for k in keys if k[0] == "state")}
        )
        if parsed.when or (record_states and states):
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
                if parsed.when:
                    rows = Ds.complaints_in(session, parsed.when, states)
                else:  # a state and a record state, no time: that state's complaints
                    rows = Q.complaints_of_states(session, states, Ds.MAX_DAY_ROWS)
            about = (
                Ds.about_fields(day_phrase, self._field_values(), day_cosine)
                if day_phrase
                else Ds.ISSUE_FIELDS
            )
            described = Ds.describe_by_days(
                rows,
                states,
                exact,
                day_phrase,
                day_cosine,
                set(names),
                products,
                record_states,
                Ds.role_products(text),
                about,
            )
            evidence = evidence_of_days(parsed.dates, states, parsed.periods)
            evidence += [
                R.EVIDENCE_VALUE.format(k[0], self.vocabulary.fields.raw[k]) for k in exact
            ]
            evidence += [
                R.EVIDENCE_RECORD_STATE.format(rs.phrase, rs.negated) for rs in record_states
            ]
            if described.status != "not_found":
                return self._from_fits(described, evidence, day_phrase)
            if states or record_states or day_phrase or not keys:
                # No complaint of the named time and state (and record state, and what it
                # was about): the companies that fit the rest fit partly, and the facts the
                # asker gave contradict every one: nothing fits.
                return Resolution("not_found", evidence=evidence)
            # Nothing of those days fits: what else the question says may be offered, never
            # answered (the day it names contradicts every fit).
            other = self._by_values(keys, states, soft, cosine)
            if other is not None and other.resolved:
                other = Resolution(
                    "ambiguous", candidates=other.candidates, evidence=other.evidence,
                    score=other.score, runner_up=other.runner_up,
                )  # fmt: skip
            return other
        return self._by_values(keys, states, soft, cosine)

    def _field_values(self) -> list[tuple[str, str]]:
        """(field, value) of every value the store's complaints carry."""
        return [(k[0], raw) for k, raw in self.vocabulary.fields.raw.items()]

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

    def _by_values(self, keys, states, soft, cosine) -> Resolution | None:
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
            fuzzy = Ds.closest_values(soft, self._field_values(), cosine)
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
