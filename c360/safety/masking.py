"""The one masking rule: sensitive values hidden in text a wider audience sees.

A brief shown in a channel (or to a requester Slack could not vouch for) hides the settings'
``sensitive_fields``: e-mail addresses (``email``/``emails``), phone numbers (``phone``/
``phones``), and for any other field (``arr``) the amount written after its label and every
amount of money on a line that names it. One marker per kind, ``[email hidden]``,
``[phone hidden]``, ``[amount hidden]``, everywhere: the service's channel view, the Slack
renderer and App Home.

Phone numbers are recognised by shape, not by "a run of digits": a leading ``+`` and country
code, a parenthesised area code, a national number with its trunk ``0`` (UK, DE, FR, JP, IN), the
US 3-3-4 / 3-4 forms and India's 5-5 mobile form. Dates (2026-11-21, 21/11/2026, 21.11.2026,
ISO timestamps), times, amounts ($1,100,000), ZIP codes (94105, 94105-1234) and ids written next
to letters (INV-2024-000123, C-1001, CP1001-005, TCK-6241) are not phone numbers and stay as
they are.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

EMAIL_HIDDEN = "[email hidden]"
PHONE_HIDDEN = "[phone hidden]"
AMOUNT_HIDDEN = "[amount hidden]"

EMAIL_FIELDS = frozenset({"email", "emails"})
PHONE_FIELDS = frozenset({"phone", "phones"})

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# A candidate: digit groups joined by one separator (space . - /), an optional leading "+",
# parenthesised parts like "(555)" or "(0)". Never glued to a letter, a digit, an id's hyphen,
# a currency sign, or a decimal/thousands separator on either side.
_GROUP = r"(?:\(\d{1,5}\)\s?)?\d{1,14}"
_PHONE_CANDIDATE = re.compile(
    rf"(?<![\w+\-/.,:$€£¥#&])(?:\+|\(\+)?{_GROUP}(?:[ .\-/]{_GROUP})*(?![\w\-/:]|[.,]\d)"
)
_DATE = re.compile(
    r"\d{4}([-/.])\d{1,2}\1\d{1,2}"  # 2026-11-21, 2026/11/21
    r"|\d{1,2}([-/.])\d{1,2}\2(?:\d{4}|\d{2})"  # 21/11/2026, 21.11.26, 11-21-2026
)
_MONEY = re.compile(
    r"(?:[$€£]\s?\d[\d,]*(?:\.\d+)?(?:\s?[kKmM]\b)?"
    r"|\b\d[\d,]*(?:\.\d+)?\s?(?:USD|EUR|GBP)\b"
    r"|\b\d[\d,]*(?:\.\d+)?\s?[kKmM]\b)"
)
_LABELLED = (
    r"(\b{label}\b[^\w$€£\n]{{0,3}}(?:is|of|:|=)?\s*)([$€£]?\s?\d[\d,]*(?:\.\d+)?(?:\s?[kKmM]\b)?)"
)


def is_phone_number(candidate: str) -> bool:
    """True when ``candidate`` (a run of digit groups) has the shape of a phone number."""
    text = candidate.strip()
    if _DATE.fullmatch(text):
        return False
    digits = re.sub(r"\D", "", text)
    groups = [len(g) for g in re.findall(r"\d+", text)]
    separated = len(groups) > 1
    if text.startswith(("+", "(+")):
        return 8 <= len(digits) <= 15 and not text.startswith("+0")
    if text.startswith("("):
        return 7 <= len(digits) <= 12
    if text.startswith("0"):
        return separated and 9 <= len(digits) <= 12
    seps = set(re.findall(r"[ .\-/]", text))
    if groups in ([3, 3, 4], [1, 3, 3, 4]) and len(seps) == 1 and "/" not in seps:
        return groups[0] != 1 or text.startswith("1")
    if groups == [3, 4] and seps <= {"-", "."}:
        return True
    return groups == [5, 5] and seps == {" "} and text[0] in "6789"  # India: 98765 43210


def _hide_phones(text: str) -> str:
    def replace(m: re.Match[str]) -> str:
        found = m.group(0)
        if is_phone_number(found):
            return PHONE_HIDDEN
        # Not a phone as a whole ("2026-11-21 555-123-4567"): the part after a space may be one.
        head, space, tail = found.partition(" ")
        return head + space + _hide_phones(tail) if space else found

    return _PHONE_CANDIDATE.sub(replace, text)


def mask_text(text: str, fields: Iterable[str]) -> str:
    """``text`` with the values of the sensitive ``fields`` hidden (see the module docstring)."""
    text = str(text or "")
    wanted = {f.lower() for f in fields}
    if wanted & EMAIL_FIELDS:
        text = _EMAIL.sub(EMAIL_HIDDEN, text)
    if wanted & PHONE_FIELDS:
        text = _hide_phones(text)
    labels = sorted(wanted - EMAIL_FIELDS - PHONE_FIELDS)
    if labels:
        text = "\n".join(_hide_labelled(line, labels) for line in text.split("\n"))
    return text


def _hide_labelled(line: str, labels: list[str]) -> str:
    """The value after a label ("ARR: $120,000", "arr 120000", "ARR of 1.2M"), and any amount
    of money on a line that names the label."""
    for label in labels:
        named = re.compile(rf"\b{re.escape(label)}\b", re.IGNORECASE)
        if not named.search(line):
            continue
        labelled = re.compile(_LABELLED.format(label=re.escape(label)), re.IGNORECASE)
        line = labelled.sub(lambda m: m.group(1) + AMOUNT_HIDDEN, line)
        line = _MONEY.sub(AMOUNT_HIDDEN, line)
    return line


_HIDDEN_KINDS = (
    (EMAIL_HIDDEN, "e-mail addresses"),
    (PHONE_HIDDEN, "phone numbers"),
    (AMOUNT_HIDDEN, "amounts of money"),
)


def hidden_note(shown: str, full: str) -> str | None:
    """What masking hid in ``shown`` that ``full`` has, in words for the private note (None
    when it hid nothing): "Hidden in the channel: amounts of money, e-mail addresses."."""
    if shown == full:
        return None
    kinds = [words for marker, words in _HIDDEN_KINDS if shown.count(marker) > full.count(marker)]
    what = ", ".join(kinds) if kinds else "some profile fields"
    return f"Hidden in the channel: {what}. This copy is for you only."


def mask_brief(brief: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """A copy of a BriefResult dict with sensitive values hidden in every user-visible text."""
    fields = list(fields)
    out = copy.deepcopy(brief)
    out["answer"] = mask_text(out.get("answer") or "", fields)
    if out.get("question"):
        out["question"] = mask_text(out["question"], fields)
    for section in out.get("sections") or []:
        for item in section.get("items") or []:
            item["text"] = mask_text(item.get("text") or "", fields)
    for action in out.get("next_actions") or []:
        action["text"] = mask_text(action.get("text") or "", fields)
        action["reason"] = mask_text(action.get("reason") or "", fields)
    for item in out.get("lead") or []:
        item["text"] = mask_text(item.get("text") or "", fields)
    for citation in out.get("citations") or []:
        citation["snippet"] = mask_text(citation.get("snippet") or "", fields)
        if citation.get("label"):
            citation["label"] = mask_text(citation["label"], fields)
    return out
