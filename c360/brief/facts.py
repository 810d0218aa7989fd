"""What one brief reads about its customer, in the caller's session: the customer record, recent
moments, complaint counts by category (one aggregate) and only the complaints a line shows or
cites. A customer with a short history is read in one query; a long one (a bureau has
thousands) by index, so the cost follows what is shown, not the size of the history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from c360.domain import Complaint, Customer, Moment
from store import queries as Q

SENTIMENT_WINDOW_DAYS = 90
MAX_OPEN_LISTED = 5
MAX_THEME_CITES = 10
MAX_THEMES = 5
LATEST_COMPLAINTS = 5  # newest complaints read for "no open complaints" and count lines
OPEN_READ = MAX_OPEN_LISTED + MAX_THEME_CITES  # open complaints listed, then cited as "more"
# Sentiment reads at most this many complaints and inbound moments (newest first) of its two
# windows: a trend needs a sample, not every one of a large customer's thousands of messages.
TONE_MAX = 400
# Up to this many complaints, a brief reads a customer's whole complaint history in one query
# (fewer round trips); beyond it, counts and the records shown, by index.
SMALL_HISTORY = 150
RECENT_QUESTIONS = 5
# The lead weighs this many of the newest moments of the last LEAD_DAYS (any direction: a
# colleague's note that the renewal is at risk is internal).
LEAD_READ = 60
LEAD_DAYS = 180
UNCATEGORISED = "uncategorised"


@dataclass
class Facts:
    """What one brief reads about its customer. Complaints come as counts (one aggregate
    query) plus the few records each line shows or cites, never the whole list: a customer
    can have thousands."""

    customer: Customer
    recent: list[Moment]
    digest: Q.ComplaintDigest
    open_complaints: list[Complaint]  # oldest first; the first MAX_OPEN_LISTED + cited rest
    latest_complaints: list[Complaint]  # newest first, LATEST_COMPLAINTS of them
    themes: list[tuple[Q.CategoryCount, list[Complaint]]]  # top categories, newest members
    tone_moments: list[Moment]  # inbound, within the sentiment windows
    tone_complaints: list[Complaint]  # opened within the sentiment windows
    exchanges: list[Moment]
    last_contact: Moment | None
    all_complaints: list[Complaint] | None = None  # newest first, when the history is short
    lead_moments: list[Moment] = field(default_factory=list)  # weighed for the lead lines


def top_categories(digest: Q.ComplaintDigest) -> list[Q.CategoryCount]:
    """The complaint themes a brief shows: most complaints first, then by name."""
    return sorted(digest.categories, key=lambda c: (-c.total, c.category or UNCATEGORISED))[
        :MAX_THEMES
    ]


def gather(session, customer_id: str, now: datetime, recent_limit: int) -> Facts:
    """Everything the brief states. A customer with a short complaint history is read in
    one query; a long one (a bureau has thousands) as counts from one aggregate plus the
    few records each line shows, by index: the cost follows what is shown, not the size
    of the history. Both give the same facts (tests/test_complaint_reads.py)."""
    start = now - timedelta(days=2 * SENTIMENT_WINDOW_DAYS)
    until = now + timedelta(microseconds=1)  # a record dated after now is not in a window
    cid = customer_id
    customer = Q.get_customer(session, cid)
    if customer is None:
        raise LookupError(f"customer {cid!r} vanished from the store while answering; ask again")
    recent = Q.recent_moments(session, cid, limit=max(recent_limit, 1))
    digest = Q.complaint_digest(session, cid)
    top = top_categories(digest)
    everything: list[Complaint] | None = None
    if digest.total <= SMALL_HISTORY:
        everything = Q.customer_complaints(session, cid) if digest.total else []
        open_c = sorted(
            (c for c in everything if c.is_open),
            key=lambda c: (c.opened_at, c.complaint_id),
        )[:OPEN_READ]
        latest = everything[:LATEST_COMPLAINTS]
        themes = [
            (cat, [c for c in everything if c.category == cat.category][:MAX_THEME_CITES])
            for cat in top
        ]
        tone_c = [c for c in everything if start <= c.opened_at < until][:TONE_MAX]
    else:
        open_c = (
            Q.customer_complaints(session, cid, open_only=True, oldest_first=True, limit=OPEN_READ)
            if digest.open
            else []
        )
        latest = Q.customer_complaints(session, cid, limit=LATEST_COMPLAINTS)
        members = Q.newest_by_category(session, cid, [cat.category for cat in top], MAX_THEME_CITES)
        themes = [(cat, members[cat.category]) for cat in top]
        tone_c = Q.customer_complaints(session, cid, since=start, until=until, limit=TONE_MAX)
    tone_m = Q.recent_moments(session, cid, TONE_MAX, since=start, until=until, direction="inbound")
    exchanges = Q.exchange_moments(session, customer_id=cid, limit=RECENT_QUESTIONS)
    lead_moments = Q.recent_moments(
        session, cid, LEAD_READ, since=now - timedelta(days=LEAD_DAYS), until=until
    )
    return Facts(
        customer,
        recent,
        digest,
        open_c,
        latest,
        themes,
        tone_m,
        tone_c,
        exchanges,
        recent[0] if recent else None,
        everything,
        lead_moments=lead_moments,
    )
