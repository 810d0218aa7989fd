"""The wording of an answer's first lines ("short first", issue 10) and of citation labels.

Why it is shaped so:
- A reader in Slack reads the first few lines and stops: each lead line says one thing a
  customer-success person acts on (a risk, open complaints, the last contact, the renewal), in
  under ~150 characters, and cites the record it rests on.
- Record text is quoted, never restated as fact, as in the full brief; quotes are short here
  (the full brief, one button away, has the longer quote).
- Dates in words ("25 Nov", the year only when it is not this year's) and relative ages ("3 days
  ago"), both on the reader's calendar (``reader_day``, ``reader_age``): a reader scanning a
  thread does not decode ISO dates, nor a day that is already tomorrow in UTC.
- A citation label says what the record is in words a person recognises ("Email from Arjun
  Ivanova, 25 Nov", "Complaint CP1001-005, outage, opened 3 Feb"); the raw id stays in the
  Sources line and in --json.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

LEAD_QUOTE_CHARS = 90
LABEL_CHARS = 80

CHANNEL_NOUNS = {
    "email": "Email",
    "call": "Call",
    "meeting": "Meeting",
    "chat": "Chat",
    "social": "Social post",
    "ticket": "Ticket",
    "slack": "Slack message",
    "note": "Note",
    "cli": "Note",
    "other": "Moment",
}


def short_quote(text: str, limit: int = LEAD_QUOTE_CHARS) -> str:
    flat = re.sub(r"\s+", " ", text or "").strip()
    if len(flat) > limit:
        flat = flat[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"
    return f"\u201c{flat}\u201d"


def day_words(value: datetime | None, today: datetime | None = None) -> str:
    """``25 Nov``; ``25 Nov 2025`` when not in ``today``'s year; ``undated`` for None."""
    if value is None:
        return "undated"
    text = f"{value.day} {value.strftime('%b')}"
    if today is None or value.year != today.year:
        text += f" {value.year}"
    return text


def age_words(value: datetime | None, now: datetime) -> str:
    """``today``, ``yesterday``, ``3 days ago``, ``5 weeks ago``, ``4 months ago``, ``2 years ago``."""
    if value is None:
        return "at an unknown time"
    days = (now - value).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    if days < 60:
        return f"{days // 7} weeks ago"
    if days < 730:
        return f"{days // 30} months ago"
    return f"{days // 365} years ago"


def in_zone(value: datetime, tz: tzinfo | None) -> datetime:
    """``value`` as the reader's wall clock (``tz`` from Slack's users.info); as is without one."""
    return value.astimezone(tz) if tz is not None and value.tzinfo is not None else value


def reader_day(value: datetime | None, today: datetime | None = None,
               tz: tzinfo | None = None) -> str:  # fmt: skip
    """``day_words`` on the reader's calendar (``tz``; UTC's without one): a moment at 03:00
    UTC on 20 Nov is ``19 Nov`` for a reader in Los Angeles. Citation labels, ages and App Home
    rows all name a day through this."""
    if value is None:
        return day_words(None)
    return day_words(in_zone(value, tz), in_zone(today, tz) if today is not None else None)


def dated(value: datetime, now: datetime, tz: tzinfo | None = None) -> str:
    """A date in words with its age, ``20 Nov, 3 days ago``: the one way App Home rows and
    ownership alerts date a moment. With ``tz`` (the reader's zone) the day and "yesterday"
    are the reader's, not UTC's."""
    return f"{reader_day(value, now, tz)}, {reader_age(value, now, tz)}"


def reader_age(value: datetime | None, now: datetime, tz: tzinfo | None = None) -> str:
    """``age_words`` counted in the reader's calendar days (``tz``; UTC's without one)."""
    if value is None:
        return age_words(None, now)
    return age_words(_midnight(in_zone(value, tz)), _midnight(in_zone(now, tz)))


def _midnight(value: datetime) -> datetime:
    """Calendar days, not 24-hour spans: a moment at 23:00 is "yesterday" at 08:00."""
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


def duration_words(seconds: float) -> str:
    """``under a minute``, ``12 min``, ``1 hour``, ``5 hours``, ``3 days``: how long something
    has waited (an alert's SLA clock)."""
    minutes = int(max(seconds, 0) // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return "1 hour" if hours == 1 else f"{hours} hours"
    return f"{hours // 24} days"


_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def iso_days_in_words(line: str, today: datetime) -> str:
    """A full-brief line (ISO dates, ``prompts.brief.day``) for the short answer's lead: the
    dates our template wrote become ``25 Nov``. Only the text before the first quotation mark
    is ours (record text is always quoted last, ``prompts.brief.quote``), so a date a customer
    wrote is left as written."""
    head, mark, quoted = line.partition("\u201c")

    def words(match: re.Match[str]) -> str:
        try:
            value = datetime(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return match[0]
        return day_words(value, today)

    return _ISO_DAY.sub(words, head) + mark + quoted


def _cut(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def moment_label(channel: str, direction: str, author: str | None, when: datetime | None,
                 today: datetime | None = None, tz: tzinfo | None = None) -> str:  # fmt: skip
    """``Email from Arjun Ivanova, 25 Nov`` (inbound), ``Call by Dana, 3 Feb`` (ours); the day
    is the reader's (``tz``)."""
    noun = CHANNEL_NOUNS.get(channel, "Moment")
    who = ""
    if author:
        who = f" from {author}" if direction == "inbound" else f" by {author}"
    return _cut(f"{noun}{who}, {reader_day(when, today, tz)}")


def complaint_label(complaint_id: str, category: str | None, opened_at: datetime | None,
                    today: datetime | None = None, tz: tzinfo | None = None) -> str:  # fmt: skip
    """``Complaint CP1001-005, outage, opened 3 Feb`` (the reader's day, ``tz``)."""
    what = f", {category}" if category else ""
    return _cut(f"Complaint {complaint_id}{what}, opened {reader_day(opened_at, today, tz)}")


def customer_label(name: str) -> str:
    return _cut(f"{name}'s profile")


# --- lead lines ----------------------------------------------------------------------------------
SIGNAL_WORDS = {
    "risk": "At risk",
    "escalation": "Escalated",
    "negative": "Unhappy",
    "money": "Money at stake",
    "renewal": "Renewal",
}


def signal_line(reason: str, age: str, text: str) -> str:
    """``At risk, 9 days ago: “the $1.1M renewal is at risk…”``."""
    head = SIGNAL_WORDS.get(reason, "Worth a look")
    return f"{head}, {age}: {short_quote(text)}"


def open_complaints_line(n_open: int, oldest_category: str | None, oldest_age: str) -> str:
    noun = "open complaint" if n_open == 1 else "open complaints"
    what = f" ({oldest_category})" if oldest_category else ""
    if n_open == 1:
        return f"1 {noun}{what}, opened {oldest_age}."
    return f"{n_open} {noun}; the oldest{what} opened {oldest_age}."


def no_open_line(total: int) -> str:
    if total:
        return f"No open complaints ({total} on record, all resolved or closed)."
    return "No complaints on record."


def last_contact_line(age: str, text: str) -> str:
    return f"Last contact {age}: {short_quote(text, 80)}"


def tone_line(direction: str, recent_mean: float, prev_mean: float, days: int) -> str:
    return (
        f"Tone {direction} over the last {days} days ({recent_mean:+.2f} against "
        f"{prev_mean:+.2f} before)."
    )


def renewal_line(age: str, text: str) -> str:
    return f"Renewal, {age}: {short_quote(text, 80)}"
