"""Every fixed wording of the brief: section titles, line templates, next-action phrasing, the
answers for an ambiguous or unknown customer, and the text of a logged exchange.

Why it is shaped so:
- One line per fact, each ending in the ids it rests on (``[complaint:123]``), so a reader can
  check any line and the grounding guard can check every line.
- Record text is always shown as a quotation with its date and kind, never restated as fact:
  complaint narratives are the customer's allegations, and notes are a colleague's words.
- Dates are ISO (2026-11-23): unambiguous across the teams that read the brief.
- Builders take plain values (strings, numbers, lists), so this package stays a leaf that any
  layer can import and the wording can be snapshot-tested on its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

TITLE_ANSWER = "Answer"
TITLE_SUMMARY = "Summary"
TITLE_PROFILE = "Profile"
TITLE_RECENT = "Recent moments"
TITLE_OPEN = "Open complaints"
TITLE_THEMES = "Complaint themes"
TITLE_SENTIMENT = "Sentiment trend"
TITLE_QUESTIONS = "Recent questions"
TITLE_ACTIONS = "Suggested next actions"

QUOTE_CHARS = 220
HIDDEN = "hidden here"  # a channel, or a requester Slack could not vouch for


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """Record text as a one-line quotation, cut at a word boundary."""
    flat = re.sub(r"\s+", " ", text or "").strip()
    if len(flat) > limit:
        flat = flat[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"
    return f"\u201c{flat}\u201d"


SUSPICIOUS_KIND = {"complaint": "complaint", "moment": "moment", "customer": "customer record"}


def suspicious_note(kind: str) -> str:
    """Beside a quoted record whose text addresses an AI assistant (shown, never followed)."""
    what = SUSPICIOUS_KIND.get(kind, "record")
    return f"\u26a0 (this {what} contains text addressed to an AI; shown as written, not followed)"


def day(value: datetime | None) -> str:
    return value.date().isoformat() if value else "undated"


def cite(ids: Sequence[str]) -> str:
    return "[" + ", ".join(ids) + "]" if ids else ""


def money(value: float) -> str:
    return f"${value:,.0f}"


# --- profile ------------------------------------------------------------------------------
PROFILE_LABELS = {
    "name": "Name",
    "aliases": "Also known as",
    "segment": "Segment",
    "plan": "Plan",
    "arr": "ARR",
    "owner": "Owner",
    "region": "Region",
    "domain": "Domain",
    "emails": "Emails",
    "created_at": "Customer since",
}


def amount_label(field: str) -> str:
    """A money field as an answer names it: ``arr`` -> "ARR", ``monthly_charges`` ->
    "monthly charges"."""
    return (
        PROFILE_LABELS["arr"] if field == "arr" else re.sub(r"[_\s]+", " ", field).strip().lower()
    )


def amount_value(field: str, value: float) -> str:
    if field == "arr":
        return money(value)
    return f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"


def profile_line(field: str, value: str) -> str:
    label = PROFILE_LABELS.get(field, field.replace("_", " ").capitalize())
    return f"{label}: {value}"


def no_owner() -> str:
    return "Owner: nobody assigned"


# --- moments and complaints ---------------------------------------------------------------
def moment_line(
    occurred_at: datetime, channel: str, direction: str, author: str | None, text: str
) -> str:
    who = f", {author}" if author else ""
    return f"{day(occurred_at)} · {channel} ({direction}{who}): {quote(text)}"


def no_moments() -> str:
    return "No calls, emails, meetings or notes on record yet."


def complaint_line(
    opened_at: datetime, category: str | None, status: str, age_days: int | None, text: str
) -> str:
    state = status.replace("_", " ")
    if age_days is not None:
        state = f"open {age_days} days" if status == "open" else f"{state}, open {age_days} days"
    return f"Opened {day(opened_at)} · {category or 'uncategorised'} · {state}: {quote(text)}"


def more_open_complaints(n: int) -> str:
    return f"…and {n} more open complaints."


def no_open_complaints(total: int) -> str:
    if total:
        return f"No open complaints ({total} on record, all resolved or closed)."
    return "No complaints on record."


def theme_line(category: str, count: int, open_count: int) -> str:
    noun = "complaint" if count == 1 else "complaints"
    return f"{category}: {count} {noun} ({open_count} open)"


# --- sentiment ------------------------------------------------------------------------------
def sentiment_line(
    direction: str,
    recent_mean: float | None,
    n_recent: int,
    prev_mean: float | None,
    n_prev: int,
    days: int,
) -> str:
    if recent_mean is None:
        if prev_mean is None:
            return (
                f"Not enough customer-written messages in the last {2 * days} days to judge tone."
            )
        return f"No customer-written messages in the last {days} days (tone before that: {prev_mean:+.2f} over {n_prev})."
    recent = f"{recent_mean:+.2f} over {n_recent} message{'s' if n_recent != 1 else ''} in the last {days} days"
    if prev_mean is None:
        return (
            f"Tone {recent}; nothing to compare with in the {days} days before (VADER, -1 to +1)."
        )
    prev = f"{prev_mean:+.2f} over {n_prev} in the {days} days before"
    return f"{direction.capitalize()}: {recent}, against {prev} (VADER, -1 to +1)."


# --- exchanges (history) -----------------------------------------------------------------------
def question_line(asker: str, occurred_at: datetime, question: str, channel: str) -> str:
    return f"Asked by {asker} on {day(occurred_at)} ({channel}): {quote(question, 160)}"


def no_questions() -> str:
    return "Nobody has asked about this customer yet."


# --- the answer to a question ------------------------------------------------------------------
def evidence_line(kind: str, occurred_at: datetime | None, label: str | None, text: str) -> str:
    what = kind if not label else f"{kind}, {label}"
    return f"{day(occurred_at)} ({what}): {quote(text)}"


def count_complaints_line(name: str, total: int, open_count: int) -> str:
    return f"{name} has {total} complaint{'s' if total != 1 else ''} on record, {open_count} open (latest cited)."


def count_moments_line(name: str, per_channel: dict[str, int]) -> str:
    total = sum(per_channel.values())
    if not total:
        return f"{name} has no moments on record."
    parts = ", ".join(
        f"{n} {ch}" for ch, n in sorted(per_channel.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return f"{name} has {total} moments on record: {parts} (latest cited)."


# What the data does not hold: said plainly, never filled in. The evaluation looks for
# NOT_IN_DATA in an answer to a question about an absent field.
NOT_IN_DATA = "Not in the data"


def record_label(kind: str, source_id: str, customer_name: str) -> str:
    return f"{customer_name}'s record" if kind == "customer" else f"{kind} {source_id}"


def not_in_data(what: str, where: str) -> str:
    return f"{NOT_IN_DATA}: {where} has no {what} on record, so none is given."


def field_value_line(what: str, where: str, value: object) -> str:
    return f"{where}: {what} is {value}."


def field_matches_line(n_complaints: int, n_records: int, named: Sequence[str]) -> str:
    what = ", ".join(f"\u201c{v}\u201d" for v in named) or "what you asked"
    extra = n_records - n_complaints
    tail = f" and {extra} related response{'s' if extra != 1 else ''}" if extra else ""
    return f"{n_complaints} complaint{'s' if n_complaints != 1 else ''}{tail} match {what} (newest first)."


def latest_day_line(n: int, day_iso: str) -> str:
    return f"{n} complaints were received on {day_iso}, the latest day on record."


def nothing_relevant() -> str:
    return "Nothing in this customer's records answers that directly; the brief below has what is on record."


# --- next actions ------------------------------------------------------------------------------
def action_follow_up(category: str | None, age_days: int) -> tuple[str, str]:
    what = f"the {category} complaint" if category else "the oldest open complaint"
    return (f"Follow up on {what}", f"It has been open {age_days} days.")


def action_check_in(direction: str, recent_mean: float) -> tuple[str, str]:
    return (
        "Check in with the customer about their recent experience",
        f"Customer tone is {direction} (average {recent_mean:+.2f} over the last 90 days).",
    )


def action_reach_out(days_since: int | None) -> tuple[str, str]:
    if days_since is None:
        return (
            "Reach out: there is no recorded contact yet",
            "No moments are on record for this customer.",
        )
    return ("Reach out to the customer", f"No recorded contact in {days_since} days.")


def action_involve_owner(owner: str | None, open_count: int) -> tuple[str, str]:
    who = owner or "an account owner"
    return (
        f"Involve {who} on the open complaints",
        f"Key account (high ARR) with {open_count} open complaint{'s' if open_count != 1 else ''}.",
    )


def action_assign_owner() -> tuple[str, str]:
    return ("Assign an account owner", "No owner is recorded and there are open complaints.")


def action_root_cause(category: str, count: int) -> tuple[str, str]:
    return (
        f"Look for a root cause behind the {category} complaints",
        f"{count} complaints share this theme.",
    )


def action_review_latest() -> tuple[str, str]:
    return (
        "Read the latest moment before the next contact",
        "It is the most recent record of the relationship.",
    )


def action_confirm_profile() -> tuple[str, str]:
    return (
        "Confirm the profile (plan, owner, contacts) is current",
        "Profile data drives routing and alerts.",
    )


# --- resolution outcomes -------------------------------------------------------------------------
def ambiguous(text: str, candidates: Sequence[tuple[str, str, float]]) -> str:
    lines = [f"Several customers could match {quote(text, 120)}. Which one did you mean?"]
    for cid, name, score in candidates:
        lines.append(f"- {name} (customer {cid}, match {score:.2f})")
    lines.append("Ask again with the full name or the customer id.")
    return "\n".join(lines)


def not_found(text: str) -> str:
    return (
        f"I could not find a customer matching {quote(text, 120)}. "
        "Try the customer's name, id, email domain, or a more specific description."
    )


# --- rendering -----------------------------------------------------------------------------------
def render(
    name: str,
    customer_id: str,
    question: str | None,
    sections: Sequence[tuple[str, Sequence[tuple[str, Sequence[str]]]]],
    actions: Sequence[tuple[str, str, Sequence[str]]],
) -> str:
    """The brief as the user reads it: header, sections with cited lines, numbered actions."""
    out = [f"{name} (customer {customer_id})"]
    if question:
        out.append(f"Question: {question}")
    for title, items in sections:
        out.append("")
        out.append(title)
        for text, ids in items:
            out.append(f"- {text} {cite(ids)}".rstrip())
    if actions:
        out.append("")
        out.append(TITLE_ACTIONS)
        for n, (text, reason, ids) in enumerate(actions, 1):
            out.append(f"{n}. {text}. Why: {reason} {cite(ids)}".rstrip())
    return "\n".join(out)


# --- the logged exchange (history) -------------------------------------------------------------
def exchange_text(question: str, short_answer: str) -> str:
    return f"Q: {question}\nA: {short_answer}"


def short_answer(name: str, first_lines: Sequence[str], limit: int = 400) -> str:
    body = " ".join(first_lines).strip()
    text = f"Brief on {name}." + (f" {body}" if body else "")
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
