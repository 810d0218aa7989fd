"""Block Kit rendering: pure functions from service results (the BriefResult JSON contract) to
Slack messages and views. No I/O here, so every shape is tested on its own.

Blocks are built with ``slack_sdk.models.blocks``, whose validators enforce Slack's limits
(section text <= 3000 characters, ...) when ``to_dict()`` runs; on top of that a brief is split
into messages of at most ``MAX_BLOCKS_PER_MESSAGE`` blocks. Every piece of customer text goes
through ``escape`` (``c360.safety.escaping.slack_escape``: ``&``, ``<``, ``>``), so a record saying
``<!channel>`` or ``<@U123>`` is shown as text and never pings anyone; the channel view is masked
by ``c360.safety.masking`` (``mask_text``/``mask_brief``, re-exported here). The refusal wording
comes from the audience policy, ``c360.safety.policy``. The customer picker is in ``bot.picker``,
the modals and App Home in ``bot.views``, the fixed notices in ``bot.wording``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from c360.safety.escaping import link
from c360.safety.escaping import slack_escape as escape
from c360.safety.masking import mask_brief as mask_brief  # re-exported for the listeners
from c360.safety.masking import mask_text as mask_text
from c360.safety.policy import EXTERNAL_CHANNEL as EXTERNAL_CHANNEL
from c360.safety.policy import GUEST_USER as GUEST_USER
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

# Slack's documented limits (api.slack.com/reference/block-kit/blocks).
MAX_BLOCKS_PER_MESSAGE = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK_TEXT = 3000  # chat.postMessage allows 40k; notifications only show the start
# Leave room below the hard limits for the actions block that closes the last message.
SECTION_BUDGET = 2900
BLOCK_BUDGET = MAX_BLOCKS_PER_MESSAGE - 2

# action ids, shared with the listeners that handle them
ACTION_FEEDBACK = (
    "c360_feedback"  # value: {"m": moment_id, "v": helpful|not_helpful|wrong_customer}
)
ACTION_PICK_CUSTOMER = "c360_pick_customer"  # value: {"c": customer_id, "q": question, ...}
ACTION_SHARE = "c360_share_brief"  # value: {"c": customer_id, "q": question}
ACTION_FULL_BRIEF = "c360_full_brief"  # value: {"c": customer_id, "q": question, "t": thread}
ACTION_PICK_MOMENT_CUSTOMER = "c360_pick_moment_customer"
MODAL_LOG_MOMENT = "c360_log_moment_modal"
MODAL_FEEDBACK_REASON = "c360_feedback_reason_modal"  # private_metadata: {"m": moment_id}
BLOCK_REASON = "reason_block"
ACTION_REASON = "c360_feedback_reason"
BLOCK_CUSTOMER = "customer_block"
ACTION_CUSTOMER_SELECT = "c360_customer_select"
BLOCK_TEXT = "text_block"
ACTION_TEXT = "c360_moment_text"
BLOCK_NEEDS_OWNER = "needs_owner_block"
ACTION_NEEDS_OWNER = "c360_needs_owner"

FEEDBACK_CHOICES = (
    ("helpful", "Helpful"),
    ("not_helpful", "Not helpful"),
    ("wrong_customer", "Wrong customer"),
)

HIDDEN_NOTE = "Some fields (such as ARR, emails and phone numbers) are hidden in channels; the full brief went to you privately."


def split_text(text: str, limit: int = SECTION_BUDGET) -> list[str]:
    """Split at line breaks (then spaces) so no piece exceeds ``limit`` characters."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # one very long line: cut at the last space before the limit
            cut = line.rfind(" ", 0, limit)
            if (
                cut <= limit // 2
            ):  # no good space: hard cut, but never inside an "&amp;"-style escape
                amp = line.rfind("&", limit - 5, limit)
                cut = amp if amp > 0 else limit
            head, line = line[:cut], line[cut:].lstrip()
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return [p for p in pieces if p.strip()] or [""]


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def _sections(text: str) -> list[SectionBlock]:
    return [_section(piece) for piece in split_text(text) if piece]


def _button(
    text: str, action_id: str, value: dict[str, Any] | str, style: str | None = None
) -> ButtonElement:
    raw = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    if len(raw) > MAX_BUTTON_VALUE:
        raise ValueError(
            f"button value for {action_id} is {len(raw)} characters (Slack allows {MAX_BUTTON_VALUE})"
        )
    return ButtonElement(
        text=PlainTextObject(text=text[:75]), action_id=action_id, value=raw, style=style
    )


CITES_SHOWN = 3  # labels shown after a line; the rest are counted (all are in Sources)
LEAD_CITES_SHOWN = 1


def _cites(
    citations: Sequence[str], by_id: dict[str, dict[str, Any]], shown: int = CITES_SHOWN
) -> str:
    """A line's sources as short human labels, each linked to its record when it has a url
    (``c360.safety.escaping.link``: label escaped, url checked), the rest counted."""
    labels = []
    for rid in citations[:shown]:
        cite = by_id.get(rid) or {}
        labels.append(link(cite.get("url"), cite.get("label") or rid))
    more = len(citations) - shown
    if more > 0:
        labels.append(f"+{more} more")
    return f"_({', '.join(labels)})_" if labels else ""


def _citation_index(brief: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c.get("record_id"): c for c in brief.get("citations") or []}


def sources_block(record_ids: Sequence[str]) -> ContextBlock | None:
    """The raw ids of the records cited, for whoever checks them (``c360 brief --json``)."""
    ids = list(dict.fromkeys(record_ids))
    if not ids:
        return None
    text = "Sources: " + " ".join(f"`{escape(rid)}`" for rid in ids)
    return ContextBlock(elements=[MarkdownTextObject(text=_truncate(text, 2900))])


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def whole_line(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word, never inside a ``[citation]``: a cut
    citation reads as a broken id."""
    flat = " ".join(str(text or "").split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    if cut.rfind("[") > cut.rfind("]"):
        cut = cut[: cut.rfind("[")]
    return cut.rstrip(" ,;:.") + "…"


def to_dicts(blocks: Iterable[Block]) -> list[dict[str, Any]]:
    """Serialise, which also runs slack_sdk's validators (lengths, required fields)."""
    return [b.to_dict() for b in blocks]


# --- briefs ---------------------------------------------------------------------------------
def brief_blocks(
    brief: dict[str, Any], *, masked: bool = False, note: str | None = None
) -> list[Block]:
    """All content blocks of one brief (not yet split into messages). ``note`` replaces the
    channel note on a masked brief (say, why a private copy is masked too)."""
    customer = brief.get("customer") or {}
    by_id = _citation_index(brief)
    blocks: list[Block] = []
    title = escape(f"{customer.get('name', 'Customer')} ({customer.get('customer_id', '?')})")
    blocks.append(HeaderBlock(text=PlainTextObject(text=_truncate(title, MAX_HEADER_TEXT))))
    if brief.get("question"):
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=_truncate("Question: " + escape(brief["question"]), 2000)
                    )
                ]
            )
        )
    # With sections, `answer` is the same brief as plain text: render the structured sections
    # (one cited line each) instead. Without them (say, an LLM-only answer) show the answer.
    answer = (brief.get("answer") or "").strip()
    if answer and not brief.get("sections"):
        blocks.extend(_sections(escape(answer)))
    lead = brief.get("lead") or []
    answer_items = next(
        (s.get("items") for s in brief.get("sections") or [] if s.get("title") == "Answer"), None
    )
    sections = list(brief.get("sections") or [])
    if lead and lead != answer_items:  # a general question: what matters first
        sections.insert(0, {"title": "In short", "items": lead})
    for section in sections:
        items = section.get("items") or []
        if not items:
            continue
        blocks.append(DividerBlock())
        title = f"*{escape(section.get('title', ''))}*"
        shared = {tuple(item.get("citations") or []) for item in items}
        if len(items) > 1 and len(shared) == 1 and len(next(iter(shared))) == 1:  # one record
            title += " " + _cites(list(next(iter(shared))), by_id)
            items = [{**item, "citations": []} for item in items]
        lines = [title]
        for item in items:
            cites = _cites(item.get("citations") or [], by_id)
            lines.append(f"• {escape(item.get('text', ''))}" + (f" {cites}" if cites else ""))
        blocks.extend(_sections("\n".join(lines)))
    actions = brief.get("next_actions") or []
    if actions:
        blocks.append(DividerBlock())
        lines = ["*Suggested next actions*"]
        for action in actions:
            cites = _cites(action.get("citations") or [], by_id)
            reason = escape(action.get("reason", ""))
            lines.append(
                f"• {escape(action.get('text', ''))}"
                + (f"\n   _why: {reason}_" if reason else "")
                + (f" {cites}" if cites else "")
            )
        blocks.extend(_sections("\n".join(lines)))
    n_cites = len(brief.get("citations") or [])
    sources = sources_block(list(by_id))
    if sources is not None:
        blocks.append(sources)
    footer = f"{n_cites} cited record(s)."
    if masked or note:
        footer += " " + (note or HIDDEN_NOTE)
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    return blocks


def feedback_actions(
    moment_id: str | None, *, share: dict[str, Any] | None = None
) -> ActionsBlock | None:
    elements = []
    if moment_id:
        for value, label in FEEDBACK_CHOICES:
            elements.append(
                _button(label, f"{ACTION_FEEDBACK}_{value}", {"m": moment_id, "v": value})
            )
    if share:
        elements.append(_button("Share in channel", ACTION_SHARE, share, style="primary"))
    return ActionsBlock(block_id="c360_answer_actions", elements=elements) if elements else None


def brief_messages(
    brief: dict[str, Any],
    *,
    masked: bool = False,
    feedback: bool = True,
    share: dict[str, Any] | None = None,
    note: str | None = None,
) -> list[dict[str, Any]]:
    """A brief as one or more chat messages (``{"text", "blocks"}``), each within Block Kit's
    limits; the feedback (and share) buttons close the last one."""
    content = brief_blocks(brief, masked=masked, note=note)
    messages: list[list[Block]] = []
    current: list[Block] = []
    for block in content:
        # Start a new message at a divider when close to the limit, so sections stay whole.
        if len(current) >= BLOCK_BUDGET or (
            isinstance(block, DividerBlock) and len(current) >= BLOCK_BUDGET - 6
        ):
            messages.append(current)
            current = []
        if isinstance(block, DividerBlock) and not current:
            continue
        current.append(block)
    actions = feedback_actions(brief.get("logged_moment_id") if feedback else None, share=share)
    if actions:
        current.append(actions)
    messages.append(current)
    name = (brief.get("customer") or {}).get("name", "customer")
    out = []
    for n, blocks in enumerate(messages, 1):
        suffix = f" ({n}/{len(messages)})" if len(messages) > 1 else ""
        out.append(
            {
                "text": _truncate(f"Brief: {escape(name)}{suffix}", MAX_FALLBACK_TEXT),
                "blocks": to_dicts(blocks),
            }
        )
    return out


def other_customers(brief: dict[str, Any], limit: int = 4) -> list[list[str]]:
    """[id, name] of the customers the question could also have meant (the other candidates,
    then the resolver's runner-up), for "Wrong customer" to offer."""
    answered = (brief.get("customer") or {}).get("customer_id")
    runner_up = (brief.get("resolution") or {}).get("runner_up")
    out: list[list[str]] = []
    for cand in [*(brief.get("candidates") or []), *([runner_up] if runner_up else [])]:
        cid = cand.get("customer_id")
        if cid and cid != answered and all(cid != o[0] for o in out):
            out.append([cid[:100], (cand.get("name") or cid)[:60]])
    return out[:limit]


def with_choice(message_blocks: list[dict[str, Any]], action_id: str) -> list[dict[str, Any]]:
    """The message's blocks with the pressed feedback button shown as chosen ("✓ Helpful",
    primary) and the other feedback buttons plain: a vote that is seen to have counted."""
    out = json.loads(json.dumps(message_blocks))
    for block in out:
        if block.get("type") != "actions":
            continue
        for element in block.get("elements") or []:
            aid = element.get("action_id", "")
            if not aid.startswith(f"{ACTION_FEEDBACK}_"):
                continue
            label = dict(FEEDBACK_CHOICES).get(aid.removeprefix(f"{ACTION_FEEDBACK}_"), "")
            element.pop("style", None)
            element["text"] = {"type": "plain_text", "text": label}
            if aid == action_id:
                element["text"]["text"] = f"\u2713 {label}"
                element["style"] = "primary"
    return out


def lead_messages(
    brief: dict[str, Any],
    *,
    feedback: bool = True,
    full: dict[str, Any] | None = None,
    share: dict[str, Any] | None = None,
    note: str | None = None,
    follow_up: bool = False,
) -> list[dict[str, Any]]:
    """The short answer (issue 10): at most five cited lines that answer the question, the
    sources as labels (linked when the record has a url) and as raw ids, then the buttons: "Full
    brief" (``full``: its value) and feedback. A ``follow_up`` in a thread drops the header: the
    thread already says who it is about. Falls back to the full brief when there is no lead."""
    lead = brief.get("lead") or []
    if not lead:
        return brief_messages(brief, feedback=feedback, note=note, share=share)
    by_id = _citation_index(brief)
    customer = brief.get("customer") or {}
    name = customer.get("name") or "Customer"
    blocks: list[Block] = []
    if not follow_up:
        blocks.append(
            HeaderBlock(text=PlainTextObject(text=_truncate(escape(name), MAX_HEADER_TEXT)))
        )
    lines = []
    cited: list[str] = []
    for item in lead[:5]:
        ids = item.get("citations") or []
        cited.extend(ids)
        cites = _cites(ids, by_id, shown=LEAD_CITES_SHOWN)
        lines.append(f"• {escape(item.get('text', ''))}" + (f" {cites}" if cites else ""))
    blocks.extend(_sections("\n".join(lines)))
    sources = sources_block(cited)
    if sources is not None:
        blocks.append(sources)
    if note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_truncate(note, 2000))]))
    elements = []
    if full:
        elements.append(_button("Full brief", ACTION_FULL_BRIEF, fit_value(full)))
    moment_id = brief.get("logged_moment_id") if feedback else None
    if moment_id:
        for value, label in FEEDBACK_CHOICES:
            vote: dict[str, Any] = {"m": moment_id, "v": value}
            if value == "wrong_customer" and full:
                vote.update(fit_value({"o": other_customers(brief), "q": full.get("q") or "",
                                        "t": full.get("t"), "dm": full.get("dm")}))  # fmt: skip
            elements.append(_button(label, f"{ACTION_FEEDBACK}_{value}", vote))
    if share:
        elements.append(_button("Share in channel", ACTION_SHARE, share, style="primary"))
    if elements:
        blocks.append(ActionsBlock(block_id="c360_answer_actions", elements=elements))
    fallback = f"{name}: {lead[0].get('text', '')}"
    return [{"text": _truncate(escape(fallback), MAX_FALLBACK_TEXT), "blocks": to_dicts(blocks)}]


def block_texts(blocks: Any) -> list[str]:
    """Every text string in Block Kit blocks, in order (section and context text, field and
    button labels); a button's ``value`` is data, not text, and is skipped."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    out.append(value)
                elif key != "value":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return out


def visible_text(message: dict[str, Any]) -> str:
    """What a reader sees of a message: block text with links shown as their labels and
    escapes decoded (how Slack renders mrkdwn), buttons included."""
    text = "\n".join(block_texts(message.get("blocks") or []))
    text = re.sub(r"<([^<>|]+)\|([^<>]+)>", r"\2", text)
    text = re.sub(r"[*_`]", "", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def text_message(text: str) -> dict[str, Any]:
    """A plain notice (progress, busy, refusal, error): already-safe text, one section."""
    return {
        "text": _truncate(text, MAX_FALLBACK_TEXT),
        "blocks": to_dicts([_section(_truncate(text, SECTION_BUDGET))]),
    }


def fit_value(value: dict[str, Any]) -> dict[str, Any]:
    """Shorten the carried question so the button value stays within Slack's 2000 characters."""
    value = dict(value)
    while len(json.dumps(value, separators=(",", ":"))) > MAX_BUTTON_VALUE and value.get("q"):
        value["q"] = value["q"][: max(0, len(value["q"]) - 200)]
    return value
