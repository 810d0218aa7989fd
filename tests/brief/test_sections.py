"""c360/brief/sections.py: the fixed sections and the next-action rules are pure functions of
what was read; every record a line cites is registered with the brief's citations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from c360.brief import sections as S
from c360.brief.facts import Facts
from c360.brief.grounding import Citations
from c360.domain import Complaint, Customer, Moment
from store.queries import CategoryCount, ComplaintDigest

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def facts(customer: Customer, complaints=(), moments=(), exchanges=()) -> Facts:
    complaints, moments = list(complaints), list(moments)
    open_c = sorted((c for c in complaints if c.is_open), key=lambda c: c.opened_at)
    by_cat: dict[str | None, list[Complaint]] = {}
    for c in sorted(complaints, key=lambda c: c.opened_at, reverse=True):
        by_cat.setdefault(c.category, []).append(c)
    cats = tuple(
        CategoryCount(cat, len(cs), sum(c.is_open for c in cs)) for cat, cs in by_cat.items()
    )
    digest = ComplaintDigest(
        len(complaints), len(open_c), cats, max((c.opened_at for c in complaints), default=None)
    )
    recent = sorted(moments, key=lambda m: m.occurred_at, reverse=True)
    return Facts(
        customer, recent, digest, open_c, complaints[:5],
        [(cat, by_cat[cat.category]) for cat in cats], recent, complaints, list(exchanges),
        recent[0] if recent else None, complaints,
    )  # fmt: skip


def texts(actions) -> list[str]:
    return [a.text for a in actions]


def test_a_customer_never_contacted_is_to_be_reached_out_to_and_checked():
    quiet = Customer("C-1", "Quiet Co")
    reg = Citations("C-1")
    cid = reg.add(quiet)
    f = facts(quiet)
    actions = S.actions(f, reg, cid, S.tone(f, NOW), NOW, key_account_arr=100_000)
    assert texts(actions) == [
        "Reach out: there is no recorded contact yet",
        "Confirm the profile (plan, owner, contacts) is current",
    ]
    assert all(a.citations == ["customer:C-1"] for a in actions)


def test_an_old_open_complaint_of_a_key_account_without_owner_rules():
    big = Customer("C-2", "Big Co", arr=500_000)
    old = Complaint("cp-1", "C-2", ago(30), "Still broken.", category="Billing", status="open")
    call = Moment("m-1", "C-2", ago(2), "Called about the bill.", channel="call")
    reg = Citations("C-2")
    cid = reg.add(big)
    f = facts(big, [old], [call])
    actions = S.actions(f, reg, cid, S.tone(f, NOW), NOW, key_account_arr=100_000)
    assert texts(actions)[:2] == [
        "Follow up on the Billing complaint",
        "Involve an account owner on the open complaints",
    ]
    assert actions[0].reason == "It has been open 30 days."
    assert actions[0].citations == ["complaint:cp-1"]


def test_open_complaints_are_listed_with_their_age_and_themes_counted():
    c = Customer("C-3", "Three Co")
    complaints = [
        Complaint(f"cp-{i}", "C-3", ago(10 + i), f"Problem {i}.", category="Fees", status=s)
        for i, s in enumerate(["open", "closed", "open"])
    ]
    reg = Citations("C-3")
    cid = reg.add(c)
    open_items, themes = S.complaints(facts(c, complaints), reg, cid, NOW)
    assert [i.citations for i in open_items] == [["complaint:cp-2"], ["complaint:cp-0"]]
    assert "12 days" in open_items[0].text or "12d" in open_items[0].text, open_items[0].text
    assert len(themes) == 1 and "Fees" in themes[0].text and "3" in themes[0].text


def test_a_line_never_cites_another_customers_record():
    mine = Customer("C-4", "Mine")
    theirs = Moment("m-x", "C-OTHER", ago(1), "Not yours.", channel="email")
    reg = Citations("C-4")
    cid = reg.add(mine)
    items = S.recent(facts(mine, moments=[theirs]), reg, cid)
    assert items[0].citations == [] and reg.refused == ["moment:m-x"]


def test_an_evidence_line_reads_a_complaint_a_moment_or_the_customer_record():
    complaint = Complaint("cp-9", "C-5", ago(3), "Card declined.", category="Cards", status="open")
    moment = Moment("m-9", "C-5", ago(1), "Asked for a refund.", channel="email")
    assert "Card declined." in S.evidence_line(complaint, NOW)
    assert "Asked for a refund." in S.evidence_line(moment, NOW)
    assert "customer record" in S.evidence_line(Customer("C-5", "Five"), NOW)
    assert S.days_since(NOW, NOW + timedelta(days=2)) == 0  # a future date counts as today
