"""The answer to a question about one customer: one function per kind of question, each
returning its lines (text and the records each cites) and its evidence (the records that answer
it, given to the LLM when one writes the prose). Reads go through the caller's session.

Which kind: a field asked for ("the e-mail address") is answered first, then the first that
applies of: records named by their fields (``retrieval.fieldmatch.records_named``), an amount,
a count, the open complaints, the latest records, else this customer's records ranked by the
question's words and meaning (``retrieval.search``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from c360.brief.facts import Facts
from c360.brief.sections import evidence_line
from c360.brief.vocabulary import without_name
from c360.domain import Customer
from prompts import brief as W
from retrieval import fieldmatch as F
from retrieval.amounts import amount_fields
from retrieval.fieldindex import FieldIndex
from retrieval.search import Intent, detect_intent, rank_chunks
from store import queries as Q

ANSWER_ITEMS = 3
MATCH_CITES = F.MATCH_CITES

Line = tuple[str, list[Any]]


@dataclass
class Answer:
    lines: list[Line] = field(default_factory=list)  # (text, records it cites)
    evidence: list[Any] = field(default_factory=list)  # records answering the question


def answer(
    session,
    facts: Facts,
    question: str,
    now: datetime,
    fields: FieldIndex,
    in_field_words: Callable[[str, Customer], str],
    embeddings=None,
) -> Answer:
    """What answers the question, by its kind (see the module). ``in_field_words`` reads an
    issue named in other words as the field value it means, for the field match."""
    intent = detect_intent(question)
    asked = asked_field_lines(session, facts, question, fields)
    named = None
    if facts.digest.total and not intent.count:
        named = by_fields(
            session,
            facts,
            question,
            in_field_words(question, facts.customer),
            fields,
            now,
            intent.open_complaints,
        )
    if named is not None:
        part = named
    elif intent.amount and not intent.complaints and not intent.count and not asked:
        part = amounts(facts.customer, question)
    elif intent.count:
        part = counts(session, facts, intent)
        # A count's evidence is every record its lines cite, a field asked for included.
        part.evidence = [r for _, recs in asked for r in recs] + part.evidence
    elif intent.open_complaints:
        part = open_complaints(facts)
    elif intent.recency:
        part = latest(session, facts, intent, now)
    else:
        part = by_search(session, facts, question, intent, embeddings, now)
    lines = asked + part.lines
    if not lines:  # the evidence speaks for itself: the open complaints all, else the first few
        shown = part.evidence if intent.open_complaints else part.evidence[:ANSWER_ITEMS]
        lines = [(evidence_line(rec, now), [rec]) for rec in shown]
    return Answer(lines, part.evidence)


def asked_field_lines(session, facts: Facts, question: str, fields: FieldIndex) -> list[Line]:
    """A question asking for a field ("the e-mail address", "did the consumer dispute"):
    its value from the record it is about (a complaint named by id, else the customer
    record), or, when the record has no such value, the not-in-data wording, citing the
    record that was checked, so nothing is invented."""
    # A field word inside a field value the question names ("credit score" in the issue
    # "Unable to get your credit report or credit score") is that value, not a request.
    named = [fields.raw[k] for k in fields.named(question)]
    asked = F.asked_outside_values(question, named)
    if not asked:
        return []
    ids = F.question_terms(question).numbers
    if not ids:
        targets: list[Any] = []
    elif facts.all_complaints is not None:
        targets = [c for c in facts.all_complaints if str(c.complaint_id) in ids][:3]
    else:
        targets = Q.customer_complaints_by_ids(session, facts.customer.customer_id, ids)[:3]
    targets = targets or [facts.customer]
    out = []
    for phrase, names in asked:
        for rec in targets:
            _known, value = F.field_value(rec, names)
            where = W.record_label(rec.kind, rec.source_id, facts.customer.name)
            if value is None:
                out.append((W.not_in_data(phrase, where), [rec]))
            else:
                out.append((W.field_value_line(phrase, where, value), [rec]))
    return out


def by_fields(
    session,
    facts: Facts,
    question: str,
    matched_question: str,
    fields: FieldIndex,
    now: datetime,
    open_only: bool,
) -> Answer | None:
    """Records the question names by their fields (product, issue, state, channel, day, id):
    structured values the text ranking cannot see. Responses follow their complaint; only the
    records the answer shows and cites are read in full. None when it names none."""
    cust = facts.customer
    asked = F.FieldQuestion(
        cust.customer_id, matched_question, fields, now, open_only, facts.all_complaints
    )
    found = F.records_named(session, asked)
    if found is None:
        return None
    named = [fields.raw[k] for k in fields.named(question)]
    lines = [(W.field_matches_line(found.count, found.total, named), found.records)]
    lines += [(evidence_line(rec, now), [rec]) for rec in found.records[:ANSWER_ITEMS]]
    return Answer(lines, found.records)


def amounts(cust: Customer, question: str) -> Answer:
    """ "How much do they pay a month?": the money fields of the customer record the question
    points at, or that the record has none (not in the data)."""
    where = W.record_label("customer", cust.customer_id, cust.name)
    found = amount_fields(cust, question)
    lines = [
        (W.field_value_line(W.amount_label(name), where, W.amount_value(name, value)), [cust])
        for name, value in found
    ]
    if not found:
        lines.append((W.not_in_data("amount", where), [cust]))
    return Answer(lines, [cust])


def counts(session, facts: Facts, intent: Intent) -> Answer:
    """ "How many complaints / calls": complaints from the digest, moments per channel."""
    cust = facts.customer
    lines: list[Line] = []
    if intent.complaints or not intent.channels:
        lines.append(
            (
                W.count_complaints_line(cust.name, facts.digest.total, facts.digest.open),
                [cust, *facts.latest_complaints[:5]],
            )
        )
    if not intent.complaints:
        per_channel = Q.count_moments(session, cust.customer_id)
        if intent.channels:
            per_channel = {k: v for k, v in per_channel.items() if k in intent.channels}
        newest = Q.recent_moments(
            session, cust.customer_id, limit=5, channels=intent.channels or None
        )
        lines.append((W.count_moments_line(cust.name, per_channel), [cust, *newest]))
    return Answer(lines, [r for _, recs in lines for r in recs])


def open_complaints(facts: Facts) -> Answer:
    """The open complaints, oldest first; none open: says so, citing the latest ones."""
    open_c = facts.open_complaints
    if open_c:
        return Answer([], open_c[: ANSWER_ITEMS + 2])
    line = (
        W.no_open_complaints(facts.digest.total),
        [facts.customer, *facts.latest_complaints[:3]],
    )
    return Answer([line], [facts.customer])


def latest(session, facts: Facts, intent: Intent, now: datetime) -> Answer:
    """The newest records: every complaint of the newest day ("the latest" is the day's, not
    one row's), else the newest moments (of the channels named)."""
    cust = facts.customer
    if intent.complaints and facts.digest.newest_at is not None:
        newest = facts.digest.newest_at.date()
        day = datetime(newest.year, newest.month, newest.day, tzinfo=UTC)
        same_day = (
            [c for c in facts.all_complaints if c.opened_at.date() == newest]
            if facts.all_complaints is not None
            else Q.customer_complaints(
                session, cust.customer_id, since=day, until=day + timedelta(days=1)
            )
        )
        lines: list[Line] = []
        if len(same_day) > 1:
            lines.append(
                (W.latest_day_line(len(same_day), newest.isoformat()), same_day[:MATCH_CITES])
            )
            lines += [(evidence_line(rec, now), [rec]) for rec in same_day[:ANSWER_ITEMS]]
        return Answer(lines, same_day[:ANSWER_ITEMS])
    channels = intent.channels or None
    return Answer(
        [], Q.recent_moments(session, cust.customer_id, limit=ANSWER_ITEMS, channels=channels)
    )


def by_search(
    session, facts: Facts, question: str, intent: Intent, embeddings, now: datetime
) -> Answer:
    """This customer's records most relevant to the question: its chunks with the vectors kept
    in the store, dense + BM25 fused, small recency boost (``retrieval.search``)."""
    cust = facts.customer
    chunks = Q.customer_chunks(session, cust.customer_id)
    if intent.complaints:
        # "What did they complain about?": the complaints answer it, not the notes and
        # calls that happen to share its words; other records only when there are none.
        chunks = [c for c in chunks if c.kind == "complaint"] or chunks
    topic = without_name(question, cust)
    # One record to choose from (a customer known only by its profile) needs no
    # ranking, so no query embedding (the costliest step of this path).
    one_record = len({c.record_id for c in chunks if c.origin != "exchange"}) <= 1
    vector = embeddings.encode_query(topic) if embeddings is not None and not one_record else None
    hits = rank_chunks(chunks, topic, vector, now, limit=ANSWER_ITEMS + 2)
    records = Q.records_by_ids(session, [h.record_id for h in hits])
    evidence = [records[h.record_id] for h in hits if h.record_id in records][: ANSWER_ITEMS + 2]
    return Answer([] if evidence else [(W.nothing_relevant(), [cust])], evidence)
