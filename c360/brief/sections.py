"""The fixed sections of a brief, from what was read (``facts.Facts``): profile, recent moments,
open complaints, themes, sentiment trend, recent questions, and rule-based next actions. Pure:
no reads; every record a line cites is registered with the brief's ``Citations``."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from c360.brief import lead as L
from c360.brief.facts import (
    MAX_OPEN_LISTED,
    MAX_THEME_CITES,
    SENTIMENT_WINDOW_DAYS,
    UNCATEGORISED,
    Facts,
)
from c360.brief.grounding import Citations
from c360.brief.result import Item, NextAction, Section
from c360.domain import Complaint, Customer, Moment
from prompts import brief as W
from prompts import lead as LW
from retrieval.resolver import normalize_tokens
from retrieval.sentiment import compound, trend

FOLLOW_UP_AFTER_DAYS = 14
REACH_OUT_AFTER_DAYS = 30
THEME_MIN_FOR_ACTION = 3


def days_since(now: datetime, then: datetime) -> int:
    """Whole days from ``then`` to the clock's now; a record dated in the future counts as 0."""
    return max((now - then).days, 0)


def evidence_line(rec: Any, now: datetime) -> str:
    if isinstance(rec, Complaint):
        age = days_since(now, rec.opened_at) if rec.is_open else None
        return W.complaint_line(rec.opened_at, rec.category, rec.status, age, rec.text)
    if isinstance(rec, Moment):
        return W.moment_line(rec.occurred_at, rec.channel, rec.direction, rec.author, rec.text)
    return W.evidence_line("customer record", rec.created_at, None, rec.text())


def profile(c: Customer, cid: str) -> list[Item]:
    items = [Item(W.profile_line("name", c.name), [cid], "name")]
    if c.aliases:
        items.append(Item(W.profile_line("aliases", ", ".join(c.aliases)), [cid], "aliases"))
    for fname in ("segment", "plan", "region", "domain"):
        value = getattr(c, fname)
        if value:
            items.append(Item(W.profile_line(fname, str(value)), [cid], fname))
    if c.arr is not None:
        items.append(Item(W.profile_line("arr", W.money(c.arr)), [cid], "arr"))
    items.append(
        Item(W.profile_line("owner", c.owner) if c.owner else W.no_owner(), [cid], "owner")
    )
    if c.emails:
        items.append(Item(W.profile_line("emails", ", ".join(c.emails)), [cid], "emails"))
    if c.created_at:
        items.append(Item(W.profile_line("created_at", W.day(c.created_at)), [cid], "created_at"))
    for key, value in sorted(c.attributes.items())[:8]:
        if value not in (None, "", [], {}):
            items.append(Item(W.profile_line(key, str(value)), [cid], key))
    return items


def recent(facts: Facts, reg: Citations, cid: str) -> list[Item]:
    if not facts.recent:
        return [Item(W.no_moments(), [cid])]
    return [
        Item(W.moment_line(m.occurred_at, m.channel, m.direction, m.author, m.text), reg.ids([m]))
        for m in facts.recent
    ]


def complaints(
    facts: Facts, reg: Citations, cid: str, now: datetime
) -> tuple[list[Item], list[Item]]:
    open_c = facts.open_complaints
    if open_c:
        open_items = [
            Item(
                W.complaint_line(
                    c.opened_at, c.category, c.status, days_since(now, c.opened_at), c.text
                ),
                reg.ids([c]),
            )
            for c in open_c[:MAX_OPEN_LISTED]
        ]
        rest = facts.digest.open - MAX_OPEN_LISTED
        if rest > 0:  # counted in full, the oldest of them cited
            open_items.append(Item(W.more_open_complaints(rest), reg.ids(open_c[MAX_OPEN_LISTED:])))
    else:
        open_items = [
            Item(
                W.no_open_complaints(facts.digest.total),
                [cid, *reg.ids(facts.latest_complaints[:3])],
            )
        ]
    theme_items = [
        Item(
            W.theme_line(cat.category or UNCATEGORISED, cat.total, cat.open),
            reg.ids(members[:MAX_THEME_CITES]),
        )
        for cat, members in facts.themes
    ]
    if not theme_items:
        theme_items = [Item(W.no_open_complaints(0), [cid])]
    return open_items, theme_items


def tone(facts: Facts, now: datetime):
    cut = now - timedelta(days=SENTIMENT_WINDOW_DAYS)
    start = now - timedelta(days=2 * SENTIMENT_WINDOW_DAYS)
    recent, previous = [], []
    texts = [(m, m.occurred_at) for m in facts.tone_moments] + [
        (c, c.opened_at) for c in facts.tone_complaints if c.opened_at >= start
    ]
    for rec, at in texts:
        if at > now:
            continue
        score = compound(rec.text)
        (recent if at >= cut else previous).append((score, rec))
    return trend([s for s, _ in recent], [s for s, _ in previous]), recent, previous


def tone_item(tone, reg: Citations, cid: str) -> Item:
    t, recent, previous = tone
    text = W.sentiment_line(
        t.direction,
        t.recent_mean,
        t.recent_count,
        t.previous_mean,
        t.previous_count,
        SENTIMENT_WINDOW_DAYS,
    )
    # Cite the records that weigh most: the most negative of each window.
    cited = [r for _, r in sorted(recent, key=lambda x: x[0])[:4]] + [
        r for _, r in sorted(previous, key=lambda x: x[0])[:2]
    ]
    return Item(text, reg.ids(cited) or [cid])


def questions(facts: Facts, reg: Citations, cid: str) -> list[Item]:
    if not facts.exchanges:
        return [Item(W.no_questions(), [cid])]
    return [
        Item(
            W.question_line(
                m.author or m.meta.get("asker_name") or "someone",
                m.occurred_at,
                m.meta.get("question") or m.text,
                m.channel,
            ),
            reg.ids([m]),
        )
        for m in facts.exchanges
    ]


def actions(
    facts: Facts, reg: Citations, cid: str, tone, now: datetime, key_account_arr: float
) -> list[NextAction]:
    c = facts.customer
    actions: list[NextAction] = []

    def add(pair: tuple[str, str], records: list[Any]) -> None:
        ids = [cid if r is c else reg.add(r) for r in records]
        actions.append(NextAction(pair[0], pair[1], [i for i in ids if i]))

    open_c = facts.open_complaints
    if open_c and days_since(now, open_c[0].opened_at) >= FOLLOW_UP_AFTER_DAYS:
        oldest = open_c[0]
        add(W.action_follow_up(oldest.category, days_since(now, oldest.opened_at)), [oldest])
    t, recent, _ = tone
    if t.is_negative and recent:
        add(
            W.action_check_in(
                t.direction if t.direction != "steady" else "negative", t.recent_mean
            ),
            [r for _, r in sorted(recent, key=lambda x: x[0])[:3]],
        )
    if facts.last_contact is None:
        add(W.action_reach_out(None), [c])
    else:
        quiet = days_since(now, facts.last_contact.occurred_at)
        if quiet >= REACH_OUT_AFTER_DAYS:
            add(W.action_reach_out(quiet), [facts.last_contact])
    if open_c and c.arr is not None and c.arr >= key_account_arr:
        add(W.action_involve_owner(c.owner, facts.digest.open), [c, *open_c[:3]])
    elif open_c and not c.owner:
        add(W.action_assign_owner(), [c, *open_c[:3]])
    # The largest named category (the themes hold it: at most one of them is unnamed).
    top = next(((cat, m) for cat, m in facts.themes if cat.category), None)
    if top is not None and top[0].total >= THEME_MIN_FOR_ACTION:
        add(W.action_root_cause(top[0].category, top[0].total), top[1][:5])
    # Always at least two: fall back to preparation steps that are true of any customer.
    if len(actions) < 2 and facts.last_contact is not None:
        add(W.action_review_latest(), [facts.last_contact])
    if len(actions) < 2:
        add(W.action_confirm_profile(), [c])
    return actions[:5]


def lead(
    facts: Facts,
    reg: Citations,
    tone,
    question: str | None,
    sections: list[Section],
    now: datetime,
    tz: tzinfo | None = None,
) -> list[Item]:
    """The answer's first lines (``c360.brief.lead``): a specific question's own answer
    lines, their dates in words ("25 Nov", the full brief keeps ISO); for a general one, what
    matters first, aged on the reader's calendar (``tz``). Through the same citation guard."""
    answer = next((s for s in sections if s.title == W.TITLE_ANSWER), None)
    c = facts.customer
    names = frozenset(w.lower() for n in (c.name, *c.aliases) for w in normalize_tokens(n))
    if answer and answer.items and not L.is_general(question, names):
        return [
            replace(it, text=LW.iso_days_in_words(it.text, now), citations=list(it.citations))
            for it in answer.items[: L.MAX_LEAD]
        ]
    t, recent, _ = tone
    account = L.Account(
        customer=facts.customer,
        moments=[*facts.lead_moments, *facts.recent],
        open_complaints=facts.open_complaints,
        open_total=facts.digest.open,
        complaints_total=facts.digest.total,
        latest_complaints=facts.latest_complaints,
        last_contact=facts.last_contact,
        tone=(t.direction, t.recent_mean, t.previous_mean),
        tone_records=[r for _, r in sorted(recent, key=lambda x: x[0])],
        tone_days=SENTIMENT_WINDOW_DAYS,
    )
    items = [Item(line.text, reg.ids(line.records)) for line in L.general_lead(account, now, tz)]
    [guarded], _ = reg.guard([Section("lead", items)], [])
    return guarded.items
