"""Fixed wording of ownership alerts: the replies a person gets after pressing a button, the
escalation notes, and the owner's DM.

Why shaped so: a person is named by a ``{who}`` placeholder, never by text we build here. The
bot fills it with ``c360.safety.escaping.mention`` (a ping only for a well-formed Slack id,
escaped text for anything else), so no wording in this file can carry markup that pings.
Text from records (a customer's name, a reason, the brief) reaches these builders already
escaped by the bot; this module only places it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo

from prompts.lead import age_words, day_words, duration_words, in_zone, reader_age, reader_day

WHO = "{who}"

GONE = "That alert no longer exists."
CLAIMED = "It's yours. The full brief is in your DMs."
OWNED_ALREADY_BY_YOU = "You own this one already."
OWNED_ALREADY = "Thanks for jumping in! It's already owned by {who}."
ASSIGNEE_OWNS_ALREADY = "{who} owns it already."
ASSIGN_RESOLVED = "It is resolved already; nothing to assign."
ASSIGNED = "Assigned to {who}; they have the full brief in their DMs."
RELEASED = "Released: it is open for someone else to own."
SNOOZE_REFUSED = "It is resolved (or changed just now); nothing to snooze."
RESOLVED = "Marked resolved. Thank you!"
# The menu is one message for everyone in the channel: "tomorrow" is each presser's own 09:00.
SNOOZE_CHOICES = {"1h": "1 hour", "4h": "4 hours", "tomorrow": "tomorrow 09:00 (your time)"}


def resolved_already(by_someone: bool, thanks: bool = False) -> str:
    """A press on a resolved alert; ``thanks`` when the press was an offer to own it."""
    head = "Thanks! This one is already resolved" if thanks else "Already resolved"
    return head + (" by {who}." if by_someone else ".")


def release_refused(has_owner: bool) -> str:
    return "Only the owner can release it" + (" ({who})." if has_owner else ".")


def snoozed(until: datetime, now: datetime, tz: tzinfo | None = None) -> str:
    """The presser's reply, in words on their clock (``tz`` from Slack's users.info):
    ``Snoozed until 09:00 tomorrow, 24 Nov (your time, America/Los_Angeles).`` Without a zone
    the time is UTC and the reply says why."""
    local, today = in_zone(until, tz or UTC), in_zone(now, tz or UTC)
    days = (local.date() - today.date()).days
    when = "today" if days == 0 else "tomorrow" if days == 1 else f"on {local:%a}"
    day = day_words(local, today)
    if tz is None:
        return (
            f"Snoozed until {local:%H:%M} UTC {when}, {day}. Slack didn't tell me your time "
            "zone, so that time is UTC."
        )
    name = getattr(tz, "key", None) or str(tz)
    return f"Snoozed until {local:%H:%M} {when}, {day} (your time, {name})."


def escalation_note(minutes: int, after_snooze: bool) -> str:
    if after_snooze:
        return "Snooze is over and it still has no owner."
    return f"Still no owner after {minutes} min."


def escalation_group(group: str) -> str:
    """How the escalation target is named when it is not a Slack id."""
    return f"escalation group {group}"


def account_owner(owner: str) -> str:
    return f"account owner {owner}"


def account_owner_unmapped(owner: str) -> str:
    """Said once per alert, on its first escalation, when the CRM owner maps to no Slack user."""
    return (
        f"account owner {owner} (not mapped to a Slack user, so not notified: add them under "
        "`owners:` in the rules file)"
    )


def owner_dm(
    how: str,
    customer: str,
    by: str | None,
    reasons: Sequence[str],
    answer: str | None,
    summary: str,
    customer_id: str,
    age: str | None = None,
) -> str:
    """The new owner's DM: which moment (``age``: ``moment from 25 Nov, 3 days ago``, the one
    place it is dated) and why it needs them, then the brief (or, when it could not be built,
    the alert's own one-line summary and how to get the brief)."""
    head = (
        f"You {'now own' if how == 'claimed' else 'were assigned'} this moment for *{customer}*"
        + (f" (by {by})" if by else "")
        + "."
        + (f"\n_{age}_" if age else "")
    )
    why = "\n".join(f"• {r}" for r in reasons)
    body = (
        answer
        if answer
        else f"{summary}\n(The full brief could not be built just now: run `/customer {customer_id}`.)"
    )
    return f"{head}\n*Why it needs an owner*\n{why}\n\n{body}"


# How a rule is named to a person. Rule names are ids chosen in the rules file; the packaged
# ones have words here, any other is read as its words ("late_payer" -> "Late payer").
RULE_LABELS = {
    "needs_owner": "Flagged as needing an owner",
    "new_complaint": "New complaint",
    "key_account": "Key account unhappy",
    "negative_inbound": "Negative sentiment",
    "repeat_contact": "Repeat contact",
}


def rule_label(rule: str) -> str:
    """``negative_inbound`` -> "Negative sentiment"; an unknown id -> its words, capitalised."""
    if rule in RULE_LABELS:
        return RULE_LABELS[rule]
    words = " ".join(str(rule or "").replace("_", " ").replace("-", " ").split())
    return words[:1].upper() + words[1:] if words else "Rule"


def sla_words(sla_minutes: int) -> str:
    return f"the {duration_words(sla_minutes * 60)} SLA"


def waiting_sla(waited_seconds: float, sla_minutes: int) -> str:
    """A waiting alert's SLA clock: ``waiting 3 hours, past the 1 hour SLA`` or ``waiting
    12 min of the 1 hour SLA``."""
    waited = duration_words(waited_seconds)
    if waited_seconds > sla_minutes * 60:
        return f"waiting {waited}, past {sla_words(sla_minutes)}"
    return f"waiting {waited} of {sla_words(sla_minutes)}"


def owned_sla(open_seconds: float, to_owner_seconds: float | None, sla_minutes: int) -> str:
    """An alert I own: how long it has been open, and whether it found its owner in time:
    ``open 2 days; owned after 12 min, within the 1 hour SLA``."""
    head = f"open {duration_words(open_seconds)}"
    if to_owner_seconds is None:
        return head
    within = "within" if to_owner_seconds <= sla_minutes * 60 else "past"
    return (
        f"{head}; owned after {duration_words(to_owner_seconds)}, {within} {sla_words(sla_minutes)}"
    )


def moment_age(
    moment_at: datetime | None,
    now: datetime,
    tz: tzinfo | None = None,
    show_day: Callable[[str], str] | None = None,
) -> str | None:
    """When the moment itself happened (not when the alert was raised): ``moment from 25 Nov,
    3 days ago`` (the reader's day with ``tz``); None for a record with no date (nothing is
    said rather than a guess). ``show_day`` marks the day up (a Slack date token): then each
    reader sees their own day, so the age beside it is elapsed time ("9 hours ago", "3 days
    ago"), which is true on every calendar, never "today"/"yesterday", which is true on one."""
    if not moment_at:
        return None
    day = reader_day(moment_at, now, tz)
    if show_day is None:
        return f"moment from {day}, {reader_age(moment_at, now, tz)}"
    return f"moment from {show_day(day)}, {elapsed_age(moment_at, now)}"


def elapsed_age(moment_at: datetime, now: datetime) -> str:
    """``just now``, ``12 min ago``, ``9 hours ago``, then ``3 days ago``, ``5 weeks ago``:
    counted in elapsed time, so it needs no time zone."""
    seconds = (now - moment_at).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 48 * 3600:
        return f"{duration_words(seconds)} ago"
    return age_words(moment_at, now)  # whole 24-hour spans: 2 days and more


def digest_head(total: int, by_rule: Sequence[tuple[str, int]]) -> str:
    """The first line of a backlog digest: how many moments wait, counted by rule."""
    counts = ", ".join(f"{n} {rule_label(rule)}" for rule, n in by_rule)
    return (
        f"{total} moments need an owner: a backlog found when the alert worker started"
        + (f" ({counts})" if counts else "")
        + "."
    )


def digest_line(customer: str, rule: str, age: str | None) -> str:
    """One waiting moment in a digest: ``Globex · Negative sentiment · moment from 25 Nov, 3 days ago``."""
    return f"{customer} · {rule_label(rule)} · {age or 'undated moment'}"


def digest_foot(shown: int, total: int) -> str:
    more = f"; {total - shown} more" if total > shown else ""
    return f"Oldest first, {shown} shown{more}. Each can be claimed from App Home (the bot's Home tab)."


# --- the daily digest of at-risk accounts (c360/ownership/atrisk.py) ---------------------------
def atrisk_head(day: str, total: int, days: int) -> str:
    """``At-risk accounts, 23 Nov: 3 with a risk signal in the last 14 days``."""
    if not total:
        return f"At-risk accounts, {day}: none with a risk signal in the last {days} days."
    noun = "account" if total == 1 else "accounts"
    return f"At-risk accounts, {day}: {total} {noun} with a risk signal in the last {days} days."


def atrisk_waiting(n: int) -> str:
    return f"{n} moment{'s' if n != 1 else ''} waiting for an owner" if n else ""


def atrisk_foot(shown: int, total: int) -> str:
    more = f" {total - shown} more not shown." if total > shown else ""
    return (
        f"Weightiest signal first: risk of churn or non-renewal, escalations, unhappy tone, "
        f"money at stake, recent before old.{more} View brief opens the account privately."
    )


# --- a post withheld from a channel (the worker's log line and the outbox row's last_error) ---
def withheld(channel: str, shared: bool) -> str:
    """Why an alert or digest was not posted to ``channel``: it is shared with another
    organisation (for good), or Slack would not say whether it is (retried later)."""
    if shared:
        return (
            f"channel {channel} is shared with another organisation (Slack Connect or another "
            "workspace): no customer alerts or digests are posted there; point "
            "C360_ALERTS_CHANNEL or the rules file's digests: at an internal channel "
            "(waiting alerts stay on App Home)"
        )
    return (
        f"Slack would not say whether channel {channel} is shared with another organisation "
        "(conversations.info failed): nothing about customers is posted there until it does; "
        "retried after the lease"
    )
