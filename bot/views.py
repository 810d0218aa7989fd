"""Block Kit views: the "Log as customer moment" modal, the "Not helpful" reason modal and
App Home. Pure functions to view dicts; the ids they carry are in ``bot.blocks``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from c360.ports import CandidateView
from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    CheckboxesElement,
    DividerBlock,
    ExternalDataSelectElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.alert_blocks import ACTION_CLAIM, ACTIONS_BLOCK_PREFIX, CLAIM_LABEL
from bot.blocks import (
    ACTION_CUSTOMER_SELECT,
    ACTION_NEEDS_OWNER,
    ACTION_REASON,
    ACTION_TEXT,
    BLOCK_CUSTOMER,
    BLOCK_NEEDS_OWNER,
    BLOCK_REASON,
    BLOCK_TEXT,
    MODAL_FEEDBACK_REASON,
    MODAL_LOG_MOMENT,
    SECTION_BUDGET,
    _section,
    _sections,
    _truncate,
    escape,
    whole_line,
)


def refused_home(reason: str) -> dict[str, Any]:
    """App Home for someone the audience policy refuses: the reason, nothing about customers."""
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="Customer 360")),
        _section(_truncate(reason, SECTION_BUDGET)),
    ]
    return View(type="home", blocks=blocks).to_dict()


# --- moment modal ----------------------------------------------------------------------------
def customer_option(customer_id: str, name: str) -> Option:
    return Option(
        text=PlainTextObject(text=_truncate(escape(f"{name} ({customer_id})"), 75)),
        value=customer_id[:150],
    )


def customer_options(candidates: Iterable[CandidateView]) -> list[dict[str, Any]]:
    """Options for the external select, from BriefService.find_customers candidates."""
    return [customer_option(c.customer_id, c.name).to_dict() for c in list(candidates)[:100]]


def moment_modal(
    text: str, *, private_metadata: str, initial: tuple[str, str] | None = None
) -> dict[str, Any]:
    """The "Log as customer moment" modal: pick the customer, confirm the text, flag ownership."""
    select = ExternalDataSelectElement(
        action_id=ACTION_CUSTOMER_SELECT,
        placeholder=PlainTextObject(text="Type a customer name, id or domain"),
        min_query_length=1,
        initial_option=customer_option(*initial) if initial else None,
    )
    blocks = [
        InputBlock(block_id=BLOCK_CUSTOMER, label=PlainTextObject(text="Customer"), element=select),
        InputBlock(
            block_id=BLOCK_TEXT,
            label=PlainTextObject(text="What happened"),
            element=PlainTextInputElement(
                action_id=ACTION_TEXT, multiline=True, initial_value=text[:3000], max_length=3000
            ),
        ),
        InputBlock(
            block_id=BLOCK_NEEDS_OWNER,
            label=PlainTextObject(text="Ownership"),
            optional=True,
            element=CheckboxesElement(
                action_id=ACTION_NEEDS_OWNER,
                options=[Option(text=PlainTextObject(text="Needs an owner"), value="needs_owner")],
            ),
        ),
    ]
    return _modal(
        MODAL_LOG_MOMENT,
        ("Log customer moment", "Log it", "Cancel"),
        private_metadata[:3000],
        blocks,
    )


def reason_modal(moment_id: str) -> dict[str, Any]:
    """ "Not helpful": one question, what was wrong or missing (optional to answer)."""
    return _modal(
        MODAL_FEEDBACK_REASON,
        ("Not helpful", "Send", "Skip"),
        json.dumps({"m": moment_id}),
        [
            InputBlock(
                block_id=BLOCK_REASON,
                label=PlainTextObject(text="What was wrong or missing?"),
                element=PlainTextInputElement(
                    action_id=ACTION_REASON, multiline=True, max_length=1000
                ),
            )
        ],
    )


def _modal(
    callback_id: str, labels: tuple[str, str, str], private_metadata: str, blocks: list[Block]
) -> dict[str, Any]:
    """A modal view; ``labels`` are its title, submit and close texts."""
    title, submit, close = (PlainTextObject(text=label) for label in labels)
    view = View(
        type="modal",
        callback_id=callback_id,
        title=title,
        submit=submit,
        close=close,
        private_metadata=private_metadata,
        blocks=blocks,
    )
    return view.to_dict()


# --- App Home --------------------------------------------------------------------------------
HOME_ROWS = 10
ROW_TEXT = 200


def home_row(row: dict[str, Any]) -> SectionBlock:
    """One Home row as its own section, so no row is ever cut by another's length: the customer
    (bold), the line (whole words, never a cut citation), then in italics the moment's date and
    its SLA clock. A waiting alert carries the "I'll own it" button: the alert message's own
    claim action (``bot.alert_blocks``), so one listener and one claim rule serve both."""
    line = f"• *{escape(row.get('customer') or '?')}* — {escape(whole_line(row.get('text', ''), ROW_TEXT))}"
    meta = " · ".join(escape(x) for x in (row.get("when"), row.get("sla")) if x)
    if meta:
        line += f"\n_{meta}_"
    claim = row.get("claim")
    if not claim:
        return _section(line)
    return SectionBlock(
        block_id=f"{ACTIONS_BLOCK_PREFIX}{claim}",
        text=MarkdownTextObject(text=line),
        accessory=ButtonElement(
            text=PlainTextObject(text=CLAIM_LABEL),
            action_id=ACTION_CLAIM,
            value=claim,
            style="primary",
        ),
    )


def home_view(
    *,
    owned: Sequence[dict[str, Any]] | None,
    waiting: Sequence[dict[str, Any]] | None,
    recent: Sequence[dict[str, Any]],
    outcomes: str | None = None,
    notice: str | None = None,
    totals: dict[str, int] | None = None,
) -> dict[str, Any]:
    """App Home. ``owned``/``waiting`` None means ownership is not set up (an explained empty
    state); each row is ``{"customer": name, "text": ..., "when": "20 Nov, 3 days ago",
    "sla": "waiting 2 hours, past the 1 hour SLA", "claim": alert id of a waiting alert}``
    (all but customer and text optional). ``notice`` (already safe text, such as the audience
    policy's reason) is shown first. ``totals`` ("owned", "waiting"): how many there are in
    all, when more than the rows given."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="Customer 360"))]
    totals = totals or {}
    if notice:
        blocks.append(_section(_truncate(notice, SECTION_BUDGET)))

    def listing(
        title: str, rows: Sequence[dict[str, Any]] | None, empty: str, total: int | None = None
    ) -> None:
        blocks.append(DividerBlock())
        if rows is None:
            blocks.append(
                _section(f"*{title}*\n_Ownership alerts are not set up in this workspace yet._")
            )
        elif not rows:
            blocks.append(_section(f"*{title}*\n_{empty}_"))
        else:
            shown = rows[:HOME_ROWS]
            more = max(total or 0, len(rows)) - len(shown)
            head = f"*{title}*" + (f" _({len(shown)} shown, {more} more)_" if more > 0 else "")
            blocks.append(_section(head))
            blocks.extend(home_row(row) for row in shown)

    listing("Moments I own", owned, "You don't own any open moments.", totals.get("owned"))
    listing(
        "Moments waiting for an owner",
        waiting,
        "Nothing is waiting for an owner.",
        totals.get("waiting"),
    )
    listing("My recent questions", recent, "You haven't asked anything yet. Try `/customer Acme`.")
    if outcomes:
        blocks.append(DividerBlock())
        blocks.extend(_sections(escape(outcomes)))
    return View(type="home", blocks=blocks[:100]).to_dict()
