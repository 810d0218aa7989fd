"""The customer picker: an ambiguous question gets a button per candidate, an unknown
customer a plain "not found"."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock

from bot.blocks import (
    ACTION_PICK_CUSTOMER,
    MAX_FALLBACK_TEXT,
    SECTION_BUDGET,
    _button,
    _section,
    _truncate,
    escape,
    fit_value,
    to_dicts,
)


def candidates_message(brief: dict[str, Any], *, context: dict[str, Any]) -> dict[str, Any]:
    """Ambiguous (several candidates: a button each) or not found (say so)."""
    candidates = brief.get("candidates") or []
    asked = brief.get("question") or context.get("q") or ""
    if not candidates:
        text = f"I couldn't find a customer matching “{escape(asked)}”. Try the exact name, a customer id, an email domain, or describe them differently."
        return {
            "text": _truncate(text, MAX_FALLBACK_TEXT),
            "blocks": to_dicts([_section(_truncate(text, SECTION_BUDGET))]),
        }
    text = f"Several customers could match “{escape(asked)}”. Which one did you mean?"
    buttons = []
    for cand in candidates[:5]:
        label = escape(f"{cand.get('name', '?')} ({cand.get('customer_id', '?')})")
        value = {**context, "c": cand.get("customer_id")}
        buttons.append(_button(label, f"{ACTION_PICK_CUSTOMER}_{len(buttons)}", fit_value(value)))
    blocks = [
        _section(_truncate(text, SECTION_BUDGET)),
        ActionsBlock(block_id="c360_pick", elements=buttons),
    ]
    return {"text": _truncate(text, MAX_FALLBACK_TEXT), "blocks": to_dicts(blocks)}
