"""Who may see what, on which surface: the one audience policy.

Every Slack surface (a mention in a channel, a DM, ``/customer``, the Share and pick buttons,
``/moment`` and the message shortcut, App Home, the customer typeahead, each alert button)
builds a :class:`Requester` and calls :func:`decide` before it shows or changes anything about a
customer, and does what the :class:`Decision` says: refuse (say ``reason``), show the masked
view (say ``reason`` when there is one) or show everything.

The rules, in order:

1. A guest (single- or multi-channel) or a user from another organisation (Slack Connect) is
   refused everywhere: no brief, no customer names in the picker or on App Home, no alert
   changes. Same polite wording on every surface.
2. A channel shared with another organisation is refused for anything about a customer; so is
   posting for everyone in a channel Slack would not describe (it may be shared).
3. When Slack could not tell who is asking (``users.info`` failed), we fail closed: alert
   changes are refused, everything else is shown masked, with the reason.
4. A full member sees the masked view in a channel (everyone there reads it) and everything in
   a DM, an ephemeral reply, App Home, the typeahead and on alert buttons.

A post nobody asked for (an ownership alert, a backlog digest, the daily at-risk digest) is
decided by the same rules with no requester to check (:func:`decide_post`): refused in a shared
channel and in one Slack would not describe, masked in an internal channel.

Pure: no Slack, no I/O. The wording lives here so every surface says the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Standing(StrEnum):
    MEMBER = "member"  # a full member of this workspace
    GUEST = "guest"  # is_restricted / is_ultra_restricted
    EXTERNAL = "external"  # Slack Connect: is_stranger, or a user of another team
    UNKNOWN = "unknown"  # users.info failed: we could not confirm


class Surface(StrEnum):
    CHANNEL = "channel"  # a message everyone in an internal channel reads
    SHARED_CHANNEL = "shared_channel"  # a channel with people from another organisation
    # A channel Slack would not describe (conversations.info failed): it may be shared, so
    # nothing is posted there for everyone to read.
    UNCONFIRMED_CHANNEL = "unconfirmed_channel"
    DM = "dm"  # the app's DM with the requester
    EPHEMERAL = "ephemeral"  # only the requester sees it (ephemeral, response_url)
    APP_HOME = "app_home"
    ALERT_ACTION = "alert_action"  # an alert's buttons: claim, assign, snooze, release, resolve
    TYPEAHEAD = "typeahead"  # the customer picker's options


class Content(StrEnum):
    BRIEF = "brief"  # a customer's brief or answer
    CUSTOMERS = "customers"  # customer names and quoted moment text (picker, App Home lists)
    MOMENT = "moment"  # logging a moment about a customer
    ALERT_CHANGE = "alert_change"  # changing who owns an alert (the owner gets the full brief)


class Outcome(StrEnum):
    REFUSE = "refuse"
    MASKED = "masked"
    FULL = "full"


GUEST_USER = (
    "Sorry, customer briefs and alerts are only available to full members of this workspace, "
    "not to guests."
)
EXTERNAL_USER = (
    "Sorry, customer briefs and alerts are only available to full members of this workspace, "
    "not to people from other organisations."
)
EXTERNAL_CHANNEL = (
    "Sorry, I don't share customer briefs in channels with people from outside the company "
    "(Slack Connect). Ask me in an internal channel or a DM."
)
CHANNEL_UNCONFIRMED = (
    "Sorry, I couldn't check with Slack whether this channel has people from outside the "
    "company, so I didn't post the brief here. Try again in a minute, or ask me in a DM."
)
LOOKUP_MASKED = (
    "I couldn't confirm your account with Slack just now, so sensitive fields (such as ARR, "
    "emails and phone numbers) are hidden. Try again in a minute for the full brief."
)
LOOKUP_REFUSED = (
    "Sorry, I couldn't confirm your account with Slack just now, so I can't change this alert. "
    "Please try again in a minute."
)


@dataclass(frozen=True)
class Requester:
    user_id: str
    standing: Standing


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str | None = None  # what the requester reads (a refusal, or why fields are hidden)

    @property
    def refused(self) -> bool:
        return self.outcome is Outcome.REFUSE

    @property
    def masked(self) -> bool:
        return self.outcome is Outcome.MASKED

    @property
    def full(self) -> bool:
        return self.outcome is Outcome.FULL


def decide(requester: Requester, surface: Surface, content: Content = Content.BRIEF) -> Decision:
    """Refuse, masked or full for ``requester`` seeing ``content`` on ``surface``."""
    if requester.standing is Standing.GUEST:
        return Decision(Outcome.REFUSE, GUEST_USER)
    if requester.standing is Standing.EXTERNAL:
        return Decision(Outcome.REFUSE, EXTERNAL_USER)
    if surface is Surface.SHARED_CHANNEL:
        return Decision(Outcome.REFUSE, EXTERNAL_CHANNEL)
    if surface is Surface.UNCONFIRMED_CHANNEL:
        return Decision(Outcome.REFUSE, CHANNEL_UNCONFIRMED)
    if requester.standing is Standing.UNKNOWN:
        if content is Content.ALERT_CHANGE or surface is Surface.ALERT_ACTION:
            return Decision(Outcome.REFUSE, LOOKUP_REFUSED)
        return Decision(Outcome.MASKED, LOOKUP_MASKED)
    if surface is Surface.CHANNEL:
        return Decision(Outcome.MASKED)
    return Decision(Outcome.FULL)


# A post nobody asked for: the channel's members read it, so only the channel rules apply.
NO_REQUESTER = Requester("", Standing.MEMBER)


def decide_post(surface: Surface, content: Content = Content.CUSTOMERS) -> Decision:
    """May the bot post ``content`` about customers to ``surface`` on its own (an alert, a
    digest)? The rules of :func:`decide` for the surface alone: refused in a shared channel or
    one Slack would not describe (fail closed), masked in an internal channel, full in a DM."""
    return decide(NO_REQUESTER, surface, content)
