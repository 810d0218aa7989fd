"""Block Kit for ownership alerts: pure functions from an ``AlertView`` to blocks.

One alert, four looks: open (buttons to own, assign, snooze, resolve), owned (who and since
when; assign, snooze, release, resolve), snoozed (an open or owned alert with a "snoozed until"
line), resolved (no buttons). Escalation re-posts add a mention line on top. Every action
element sits in one actions block whose ``block_id`` carries the alert id, so each listener
knows which alert was pressed without parsing values. Customer text is escaped
(``c360.safety.escaping``): a record can never ping ``<!channel>``; people are mentioned only
through ``mention``, which pings nothing but a well-formed Slack id. The service hands people
over as ids (``Ping``, ``ActionResult.who``, ``OwnerBrief.by``); the markup is built here.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from c360.ownership.atrisk import AtRiskDigest
from c360.ownership.types import ActionResult, AlertView, DigestView, OwnerBrief, Ping
from c360.safety.escaping import link, stored_mention
from c360.safety.escaping import mention as slack_mention
from prompts import ownership as words
from prompts.ownership import SNOOZE_CHOICES
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)

from bot.blocks import ACTION_FULL_BRIEF, escape, split_text

ACTIONS_BLOCK_PREFIX = "c360_alert:"  # + alert_id
ACTION_CLAIM = "c360_alert_claim"
ACTION_ASSIGN = "c360_alert_assign"
ACTION_SNOOZE = "c360_alert_snooze"
ACTION_RELEASE = "c360_alert_release"
ACTION_RESOLVE = "c360_alert_resolve"
ALERT_ACTIONS = (ACTION_CLAIM, ACTION_ASSIGN, ACTION_SNOOZE, ACTION_RELEASE, ACTION_RESOLVE)
CLAIM_LABEL = "I'll own it"
MAX_SECTION = 2900


_SLACK_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")


def _when(value: datetime | None) -> str:
    """A moment in time as Slack's date token: every reader sees it in their own time zone
    and clock format ("today at 4:07 AM", "Nov 21st at 18:30"); the UTC fallback is for
    clients that cannot format it (and for ``render_text``)."""
    if not value:
        return "?"
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    fallback = f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return f"<!date^{int(value.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _day(value: datetime, fallback: str) -> str:
    """A day as Slack's date token (each reader's own calendar day), ``fallback`` in words."""
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return f"<!date^{int(value.timestamp())}^{{date_short}}|{fallback}>"


def _user(user_id: str | None, name: str | None = None) -> str:
    return slack_mention(user_id, name or user_id) if user_id else escape(name or "someone")


def alert_id_from_block(block_id: str | None) -> str | None:
    if block_id and block_id.startswith(ACTIONS_BLOCK_PREFIX):
        return block_id[len(ACTIONS_BLOCK_PREFIX) :]
    return None


def state_line(view: AlertView) -> str:
    if view.status == "resolved":
        return f":white_check_mark: *Resolved* by {_user(view.resolved_by)} on {_when(view.resolved_at)}"
    if view.status == "owned":
        line = f":raising_hand: *Owned by* {_user(view.owner_id, view.owner_name)} since {_when(view.owned_at)}"
    else:
        line = ":bell: *Waiting for an owner*"
    if view.snoozed_until:
        line += f"  ·  :zzz: snoozed until {_when(view.snoozed_until)} by {_user(view.snoozed_by)}"
    return line


def ping_text(ping: Ping | None) -> str | None:
    """The mention an escalation re-post starts with: a ping only for a well-formed Slack id,
    the escaped label for anything else; a mention stored by older code is re-checked."""
    if ping is None:
        return None
    if ping.label is None:
        return stored_mention(ping.target)
    return slack_mention(ping.target, ping.label)


def action_reply(result: ActionResult) -> str:
    """The sentence for the person who pressed a button, with the person it names mentioned
    (a snooze's end is already in words on the presser's clock)."""
    if result.who is None:
        return result.message
    return result.message.replace(words.WHO, slack_mention(result.who))


def owner_brief_text(
    brief: OwnerBrief, now: datetime | None = None, tz: tzinfo | None = None
) -> str:
    """The new owner's DM (mrkdwn): wording from prompts/ownership.py, every record text
    escaped, the moment dated in words on the owner's calendar (``tz``, users.info)."""
    return words.owner_dm(
        how=brief.how,
        customer=escape(brief.customer_name),
        by=slack_mention(brief.by) if brief.by else None,
        reasons=[escape(r) for r in brief.reasons],
        answer=escape(brief.answer) if brief.answer else None,
        summary=escape(brief.summary),
        customer_id=escape(brief.customer_id),
        age=moment_age(brief.moment_at, now, token=False, tz=tz),
    )


def moment_age(
    moment_at: datetime | None,
    now: datetime | None = None,
    token: bool = True,
    tz: tzinfo | None = None,
) -> str | None:
    """``moment from 25 Nov, 3 days ago``: dated by the moment itself, aged at ``now``; the one
    way every alert surface names the moment's day. A channel message is read in many time
    zones: the day is Slack's date token, so every reader sees their own calendar day; the UTC
    day is the fallback (and what ``render_text`` shows). Without ``token``, plain words: on
    the calendar of ``tz`` (a DM's one reader, users.info), else UTC's (a phone notification)."""
    show_day = (lambda day: _day(moment_at, day)) if token and moment_at is not None else None
    return words.moment_age(moment_at, now or datetime.now(UTC), tz, show_day=show_day)


def alert_text(
    view: AlertView,
    mention: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> str:
    """The notification/fallback text (what a phone shows)."""
    mention = stored_mention(mention)
    head = f"{mention} " if mention else ""
    reasons = "; ".join(escape(r["reason"]) for r in view.reasons)
    state = {
        "open": "needs an owner",
        "owned": f"owned by {_user(view.owner_id, view.owner_name)}",
        "resolved": "resolved",
    }[view.status]
    extra = f" {escape(note)}" if note else ""
    age = moment_age(view.moment_at, now, token=False)
    state += f" ({age})" if age else ""
    return f"{head}{escape(view.customer_name)} {state}: {reasons}.{extra}"[:2900]


def _snooze_select(alert_id: str) -> StaticSelectElement:
    return StaticSelectElement(
        action_id=ACTION_SNOOZE,
        placeholder=PlainTextObject(text="Snooze"),
        options=[
            Option(value=key, text=PlainTextObject(text=label))
            for key, label in SNOOZE_CHOICES.items()
        ],
    )


def view_brief_button(customer_id: str) -> ButtonElement:
    """The customer's whole brief, to whoever presses it (privately, as the audience policy
    allows): the same button and listener as "Full brief" under an answer."""
    brief = {"k": "alert", "c": customer_id, "q": "", "t": None, "dm": False}
    return ButtonElement(
        text="View brief",
        action_id=ACTION_FULL_BRIEF,
        value=json.dumps(brief, separators=(",", ":")),
    )


def _actions(view: AlertView) -> ActionsBlock | None:
    if view.status == "resolved":
        return None
    elements: list[Any] = []
    if view.status == "open":
        elements.append(
            ButtonElement(
                text=CLAIM_LABEL, action_id=ACTION_CLAIM, value=view.alert_id, style="primary"
            )
        )
    elements.append(
        UserSelectElement(action_id=ACTION_ASSIGN, placeholder=PlainTextObject(text="Assign to…"))
    )
    elements.append(_snooze_select(view.alert_id))
    if view.status == "owned":
        elements.append(
            ButtonElement(text="Release", action_id=ACTION_RELEASE, value=view.alert_id)
        )
    elements.append(ButtonElement(text="Resolved", action_id=ACTION_RESOLVE, value=view.alert_id))
    elements.append(view_brief_button(view.customer_id))
    return ActionsBlock(block_id=f"{ACTIONS_BLOCK_PREFIX}{view.alert_id}", elements=elements)


def alert_blocks(
    view: AlertView,
    mention: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """The channel message for an alert in its current state, the moment aged at ``now``."""
    blocks: list[Any] = []
    mention = stored_mention(mention)  # a lone <@U..>/<!subteam^S..> stays; any text is escaped
    if mention or note:
        top = " ".join(
            x for x in (mention, f":rotating_light: {escape(note)}" if note else None) if x
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=top[:MAX_SECTION])))
    title = (
        f"*{escape(view.customer_name)}* — a moment needs an owner"
        if view.status != "resolved"
        else f"*{escape(view.customer_name)}*"
    )
    age = moment_age(view.moment_at, now)
    head = f"{title}\n" + (f"_{age}_\n" if age else "") + escape(view.summary)
    blocks.append(SectionBlock(text=MarkdownTextObject(text=head[:MAX_SECTION])))
    why = "\n".join(f"• {escape(r['reason'])}" for r in view.reasons) or "• (no reason recorded)"
    blocks.append(
        SectionBlock(text=MarkdownTextObject(text=f"*Why it needs an owner*\n{why}"[:MAX_SECTION]))
    )
    blocks.append(SectionBlock(text=MarkdownTextObject(text=state_line(view))))
    actions = _actions(view)
    if actions is not None:
        blocks.append(actions)
    cites = ", ".join(escape(c) for c in view.citations) or "none"
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"Raised {_when(view.created_at)} · sources: {cites} · alert `{view.alert_id}`"[
                        :2000
                    ]
                )
            ]
        )
    )
    return [b.to_dict() for b in blocks]


def digest_text(digest: DigestView) -> str:
    """The notification text of a backlog digest."""
    return words.digest_head(digest.total, digest.by_rule)


def digest_blocks(digest: DigestView, now: datetime | None = None) -> list[dict[str, Any]]:
    """One message for a backlog: the count by rule, then the oldest moments first, one line
    each (customer, rule, the moment's date and age). Customer names are escaped."""
    now = now or datetime.now(UTC)
    head = f":inbox_tray: *{escape(words.digest_head(digest.total, digest.by_rule))}*"
    lines = "\n".join(
        "• "
        + words.digest_line(escape(v.customer_name), escape(v.rule), moment_age(v.moment_at, now))
        for v in digest.oldest
    )
    foot = words.digest_foot(len(digest.oldest), digest.total)
    blocks: list[Any] = [
        SectionBlock(text=MarkdownTextObject(text=head[:MAX_SECTION])),
        SectionBlock(text=MarkdownTextObject(text=lines[:MAX_SECTION] or "•")),
        ContextBlock(elements=[MarkdownTextObject(text=foot[:2000])]),
    ]
    return [b.to_dict() for b in blocks]


def atrisk_text(digest: AtRiskDigest) -> str:
    """The notification text of the daily at-risk digest."""
    return words.atrisk_head(digest.day, digest.total, digest.days)


def atrisk_blocks(digest: AtRiskDigest) -> list[dict[str, Any]]:
    """The daily digest of at-risk accounts: a head line, then one section per account (its
    name, each signal quoted and cited by its label, linked when the record has a url; how many
    of its moments wait for an owner) with a View brief button, then the raw ids. Every record
    text and name is escaped; links go through ``c360.safety.escaping.link``."""
    blocks: list[Any] = [
        SectionBlock(text=MarkdownTextObject(text=f":warning: *{escape(atrisk_text(digest))}*"))
    ]
    ids: list[str] = []
    for account in digest.accounts:
        lines = [f"*{escape(account.name)}*"]
        for line in account.lines:
            lines.append(f"• {escape(line.text)} _({link(line.url, line.label)})_")
            ids.append(line.record_id)
        if account.waiting:
            lines.append(f"• {escape(words.atrisk_waiting(account.waiting))}")
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text="\n".join(lines)[:MAX_SECTION]),
                accessory=view_brief_button(account.customer_id),
            )
        )
    if ids:
        sources = "Sources: " + " ".join(f"`{escape(rid)}`" for rid in dict.fromkeys(ids))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=sources[:2000])]))
    foot = words.atrisk_foot(len(digest.accounts), digest.total)
    if digest.accounts:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=escape(foot)[:2000])]))
    return [b.to_dict() for b in blocks]


def reminder_blocks(
    view: AlertView, now: datetime | None = None, tz: tzinfo | None = None
) -> list[dict[str, Any]]:
    """The DM an owner gets when an alert they own is still unresolved: the moment dated in
    words on the owner's calendar (``tz``, users.info), then the alert's summary."""
    age = moment_age(view.moment_at, now, token=False, tz=tz)
    text = (
        f":alarm_clock: Reminder: you own the moment for *{escape(view.customer_name)}* since "
        f"{_when(view.owned_at)} and it is not resolved yet.\n"
        + (f"_{age}_\n" if age else "")
        + escape(view.summary)
    )
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=text[:MAX_SECTION]))]
    actions = _actions(view)
    if actions is not None:
        blocks.append(actions)
    return [b.to_dict() for b in blocks]


def reminder_text(view: AlertView) -> str:
    return f"Reminder: the moment for {escape(view.customer_name)} you own is not resolved yet."


def text_blocks(text: str, limit: int = 40) -> list[dict[str, Any]]:
    """Long mrkdwn (the owner's brief) as sections within Slack's size limits."""
    pieces = split_text(text, MAX_SECTION)[:limit]
    return [SectionBlock(text=MarkdownTextObject(text=p)).to_dict() for p in pieces]


def render_text(blocks: list[dict[str, Any]]) -> str:
    """A plain rendering of alert blocks (for docs and terminal previews)."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            lines.append(_SLACK_DATE.sub(r"\1", block["text"]["text"]))
        elif kind == "context":
            text = " ".join(e.get("text", "") for e in block.get("elements", []))
            lines.append("  " + _SLACK_DATE.sub(r"\1", text))
        elif kind == "actions":
            labels = []
            for element in block.get("elements", []):
                label = (element.get("text") or element.get("placeholder") or {}).get("text", "")
                labels.append(f"[{label}{' ▾' if element['type'] != 'button' else ''}]")
            lines.append(" ".join(labels))
    return "\n".join(lines)
