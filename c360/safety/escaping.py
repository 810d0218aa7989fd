"""Text bound for Slack: record and settings text made inert, and the one place a mention is built.

Slack reads three characters in any message text (mrkdwn or plain): ``<`` and ``>`` open and close
control sequences (``<!channel>``, ``<@U123>``, ``<http://x|label>``) and ``&`` starts an entity.
Slack's documented escape (``&amp;``, ``&lt;``, ``&gt;``) shows them as text. Every string that
comes from a record (a customer's name or owner, a moment, a complaint) or from settings passes
:func:`slack_escape` before it reaches any Slack text.

A mention is the one control sequence we emit on purpose, and only :func:`mention` builds it:
``<@U…>``/``<@W…>`` for a string in Slack's user-id format, ``<!subteam^S…>`` for a user-group
id, and for anything else (a person's name in the owner field, or
``<!channel> <http://evil|Click>``) the escaped text.
"""

from __future__ import annotations

import re
from typing import Any

# A link we may render as ``<url|label>``: absolute http(s), no spaces, quotes or Slack's control
# characters (``<``, ``>``, ``|``), so no stored value can close the link early or open another.
URL_MAX = 2048
_WEB_URL = re.compile(r"https?://[^\s/?#<>|\"'`]+[^\s<>|\"'`]*", re.IGNORECASE)
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
# A whole string that is exactly one mention we built (what `mention` emits for an id).
_MENTION_TOKEN = re.compile(r"^(?:<@[UW][A-Z0-9]{2,}>|<!subteam\^S[A-Z0-9]{2,}>)$")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def slack_escape(text: Any) -> str:
    """Slack's three control characters, escaped as Slack documents; everything else verbatim."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def is_web_url(value: Any) -> bool:
    """Whether ``value`` is a link Slack may show as ``<url|label>`` (see ``_WEB_URL``)."""
    return isinstance(value, str) and len(value) <= URL_MAX and bool(_WEB_URL.fullmatch(value))


def link(url: str | None, label: str) -> str:
    """``label`` (escaped) linked to ``url`` as Slack mrkdwn ``<url|label>``; the label alone
    when ``url`` is missing or is not a plain web address. ``&`` in the address is escaped as
    Slack documents; ``<``, ``>`` and ``|`` cannot occur in it (``is_web_url``)."""
    text = slack_escape(label).replace("|", "\u2758")
    if not is_web_url(url):
        return text
    return f"<{url.replace('&', '&amp;')}|{text}>"


def is_user_id(value: str | None) -> bool:
    return bool(value) and bool(SLACK_USER_ID.match(value.strip()))


def mention(target: str | None, fallback: str | None = None) -> str:
    """``<@U…>`` for a Slack user id, ``<!subteam^S…>`` for a user-group id; otherwise the
    escaped ``fallback`` (or the escaped ``target`` itself), so no other text can ping."""
    value = (target or "").strip()
    if SLACK_USER_ID.match(value):
        return f"<@{value}>"
    if SLACK_GROUP_ID.match(value):
        return f"<!subteam^{value}>"
    return slack_escape(fallback if fallback is not None else (target or ""))


def stored_mention(value: str | None) -> str | None:
    """A mention read back from storage (an outbox row): kept when it is exactly one mention
    token, otherwise made inert. Idempotent on text that is already escaped, so it is safe for
    rows written by older code that put raw record text there."""
    if not value:
        return None
    if _MENTION_TOKEN.match(value):
        return value
    for entity, char in _ENTITIES:
        value = value.replace(entity, char)
    return slack_escape(value)
