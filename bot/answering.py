"""The slow half of the listeners: what runs in the work pool after the ack.

Each job calls one service, renders with ``bot.blocks`` and replies. Errors are not caught here:
the pool logs them with an error id and runs the job's ``on_error`` reply, so the user always
hears back.

Who sees what is decided by the audience policy (``c360.safety.policy.decide``) for every reply:
``audience`` builds the requester (from users.info) and the surface (from where the reply lands),
and each job refuses, masks or answers in full as the decision says. The /moment jobs are in
``bot/moments.py``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from c360.ports import BriefAnswer
from c360.safety.masking import hidden_note
from c360.safety.policy import Content, Decision, Requester, Surface, decide

from bot import blocks, picker, wording
from bot.services import BotServices, ReplyTo

log = logging.getLogger(__name__)

MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
MAX_FOLLOWUP_MESSAGES = 4  # a response_url takes 5 posts; keep one for a later notice


def question_text(raw: str) -> str:
    return MENTION.sub(" ", raw or "").strip()


def looks_like_question(text: str) -> bool:
    """`/customer Acme` wants a brief; `/customer what did Acme complain about?` wants an answer."""
    return text.rstrip().endswith("?") or len(text.split()) > 4


def channel_view(services: BotServices, result: BriefAnswer) -> dict[str, Any]:
    """The masked brief (what a channel, or a requester Slack could not vouch for, sees): the
    service's masked brief, then the same text mask over every text (defence in depth: a
    sensitive value quoted inside a note is hidden as well)."""
    fields = services.settings.sensitive_fields
    return blocks.mask_brief(result.masked(fields).to_dict(), fields)


def brief_for(services: BotServices, result: BriefAnswer, decision: Decision) -> dict[str, Any]:
    """The brief as the decision allows: in full, or masked. (Refusals never get here.)"""
    return result.to_dict() if decision.full else channel_view(services, result)


def surface(
    services: BotServices, channel_id: str | None, *, is_dm: bool = False, private: bool = False
) -> Surface:
    """Where a reply lands: the app's DM, a shared channel, a channel Slack would not describe,
    or an internal channel (read by everyone, or ``private``: by the requester alone)."""
    if is_dm:
        return Surface.DM
    return services.slack.channel(channel_id).surface(private=private)


def audience(
    services: BotServices,
    user_id: str,
    channel_id: str | None,
    *,
    team_id: str | None = None,
    is_dm: bool = False,
    private: bool = False,
    content: Content = Content.BRIEF,
    requester: Requester | None = None,
) -> Decision:
    """The audience policy's decision for ``user_id`` reading ``content`` in ``channel_id``."""
    who = requester or services.slack.requester(user_id, team_id)
    return decide(who, surface(services, channel_id, is_dm=is_dm, private=private), content)


def refusal(
    services: BotServices,
    user_id: str,
    channel_id: str | None,
    *,
    team_id: str | None = None,
    content: Content = Content.BRIEF,
) -> str | None:
    """The polite reason not to answer ``user_id`` privately here, or None when answering is
    fine (in full or masked)."""
    decision = audience(
        services, user_id, channel_id, team_id=team_id, private=True, content=content
    )
    return decision.reason if decision.refused else None


# --- mentions, DMs and thread replies -------------------------------------------------------
# Where a DM remembers its customer when the question was not asked in a thread.
DM_CONTEXT = "dm"


def conversation_key(event: dict[str, Any], is_dm: bool) -> tuple[str | None, str | None]:
    """(where the answer goes, which conversation remembers the customer). A DM is answered in
    the conversation, not in a thread (unless the question was written in one); a channel
    question is answered in its thread."""
    ts, thread_ts = event["ts"], event.get("thread_ts")
    if is_dm:
        return thread_ts, thread_ts or DM_CONTEXT
    return thread_ts or ts, thread_ts or ts


def answer_conversation(services: BotServices, event: dict[str, Any], team_id: str | None) -> None:
    """app_mention / message.im / a reply in a bot thread: progress reaction, the short answer
    (in the thread, or in the DM itself), log the exchange. A question that names no customer
    is about the conversation's customer (the thread's, or the DM's last), until one is named."""
    slack = services.slack
    channel_id, user_id, ts = event["channel"], event["user"], event["ts"]
    is_dm = event.get("channel_type") == "im" or channel_id.startswith("D")
    reply_ts, memory = conversation_key(event, is_dm)
    to = ReplyTo(channel_id, user_id, reply_ts)
    question = question_text(event.get("text", ""))
    if not question:
        slack.post_or_dm(to, blocks.text_message(wording.EMPTY_QUESTION))
        return
    slack.react(channel_id, ts, "eyes")
    requester = slack.requester(user_id, team_id)
    private = audience(
        services, user_id, channel_id, is_dm=is_dm, private=True, requester=requester
    )
    if private.refused:
        slack.post_or_dm(to, blocks.text_message(private.reason))
        slack.unreact(channel_id, ts, "eyes")
        return
    asker = slack.asker(user_id, channel_id=channel_id, message_ts=ts, team=team_id)
    context_customer = services.events.thread_customer(channel_id, memory) if memory else None
    result = services.briefs.ask(question, asker, context_customer_id=context_customer)
    brief = result.to_dict()
    if not brief.get("customer"):
        context = {"k": "ask", "q": question, "ch": channel_id, "t": reply_ts, "dm": is_dm}
        slack.post_or_dm(to, picker.candidates_message(brief, context=context))
        slack.unreact(channel_id, ts, "eyes")
        return
    customer_id = brief["customer"]["customer_id"]
    services.events.remember_thread(channel_id, memory, customer_id)
    deliver_in_conversation(
        services,
        result,
        to,
        is_dm=is_dm,
        requester=requester,
        follow_up=context_customer == customer_id,
    )
    slack.unreact(channel_id, ts, "eyes")


def full_brief_value(
    brief: dict[str, Any], *, thread_ts: str | None, is_dm: bool, kind: str
) -> dict[str, Any]:
    """What the "Full brief" button carries: the customer, the question, where to answer."""
    return {
        "k": kind,
        "c": brief["customer"]["customer_id"],
        "q": (brief.get("question") or "")[:1500],
        "t": thread_ts,
        "dm": is_dm,
    }


def deliver_in_conversation(
    services: BotServices,
    result: BriefAnswer,
    to: ReplyTo,
    *,
    is_dm: bool,
    requester: Requester | None = None,
    follow_up: bool = False,
) -> None:
    """The short answer. In a DM, as the policy allows. In a channel, the masked answer for
    everyone; the asker gets a private copy only when masking hid something in it, with a note
    saying what (or when the channel copy could not be posted)."""
    slack = services.slack
    user_id, channel_id = to.user_id, to.channel_id
    who = requester or slack.requester(user_id)
    private = audience(services, user_id, channel_id, is_dm=is_dm, private=True, requester=who)
    if private.refused:
        slack.post_or_dm(to, blocks.text_message(private.reason))
        return
    mine = brief_for(services, result, private)
    full = full_brief_value(mine, thread_ts=to.thread_ts, is_dm=is_dm, kind="conversation")
    if is_dm:
        for message in blocks.lead_messages(
            mine, full=full, note=private.reason, follow_up=follow_up
        ):
            slack.post_or_dm(to, message)
        return
    posted_in_channel = False
    shown_text = ""
    public = audience(services, user_id, channel_id, requester=who)
    if not public.refused:
        shown = channel_view(services, result)
        messages = blocks.lead_messages(shown, full=full, note=public.reason, follow_up=follow_up)
        posted_in_channel = all(
            [slack.post(channel_id, m, thread_ts=to.thread_ts) for m in messages]
        )
        shown_text = "".join(
            blocks.visible_text(m) for m in blocks.lead_messages(shown, feedback=False)
        )
    mine_text = "".join(blocks.visible_text(m) for m in blocks.lead_messages(mine, feedback=False))
    note = private.reason
    if posted_in_channel:
        note = note or hidden_note(shown_text, mine_text)
        if note is None:
            return  # the channel copy hides nothing: no private duplicate
    # The asker's copy goes to the asker alone; it carries the feedback buttons when the
    # channel copy (which has them) could not be posted.
    for message in blocks.lead_messages(
        mine, full=full, note=note, feedback=not posted_in_channel, follow_up=follow_up
    ):
        if not slack.ephemeral(to, message):
            slack.dm(user_id, message)


def send_full_brief(services: BotServices, body: dict[str, Any], value: dict[str, Any]) -> None:
    """The "Full brief" button: the whole brief, to the one who pressed it (in the DM, or
    privately in the channel's thread, or on the command's response_url), as the policy allows."""
    slack = services.slack
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    team_id = (body.get("team") or {}).get("id")
    is_dm = bool(value.get("dm"))
    decision = audience(services, user_id, channel_id, team_id=team_id, is_dm=is_dm, private=True)
    if decision.refused:
        slack.respond(
            body.get("response_url"), blocks.text_message(decision.reason), replace_original=False
        )
        return
    asker = slack.asker(user_id, channel_id=channel_id, team=team_id)
    question = value.get("q") or ""
    result = None
    if question and looks_like_question(question):
        result = services.briefs.ask(question, asker, context_customer_id=value["c"], log=False)
        if (result.to_dict().get("customer") or {}).get("customer_id") != value["c"]:
            result = None
    if result is None:
        result = services.briefs.brief(value["c"], asker, log=False)
    brief = brief_for(services, result, decision)
    messages = blocks.brief_messages(
        brief, masked=decision.masked, note=decision.reason, feedback=False
    )[:MAX_FOLLOWUP_MESSAGES]
    to = ReplyTo(channel_id, user_id, value.get("t"))
    for message in messages:
        if value.get("k") == "command":
            slack.respond(body.get("response_url"), message, replace_original=False)
        elif is_dm:
            slack.post_or_dm(to, message)
        elif not slack.ephemeral(to, message):
            slack.dm(user_id, message)


# --- /customer ----------------------------------------------------------------------------------
def answer_command(services: BotServices, command: dict[str, Any]) -> None:
    """``/customer <name or question>``: an ephemeral brief with a "Share in channel" button."""
    slack = services.slack
    text, user_id, channel_id = (
        command["text"].strip(),
        command["user_id"],
        command.get("channel_id"),
    )
    response_url = command.get("response_url")
    decision = audience(services, user_id, channel_id, team_id=command.get("team_id"), private=True)
    if decision.refused:
        slack.respond(response_url, blocks.text_message(decision.reason))
        return
    asker = slack.asker(user_id, channel_id=channel_id, team=command.get("team_id"))
    if looks_like_question(text):
        result = services.briefs.ask(text, asker)
    else:
        result = services.briefs.brief(text, asker)
    brief = result.to_dict()
    if not brief.get("customer"):
        brief["question"] = brief.get("question") or text
        context = {"k": "command", "q": text}
        slack.respond(response_url, picker.candidates_message(brief, context=context))
        return
    send_private_brief(services, result, response_url, decision=decision)


def send_private_brief(
    services: BotServices,
    result: BriefAnswer,
    response_url: str | None,
    *,
    decision: Decision,
    replace: bool = False,
) -> None:
    brief = brief_for(services, result, decision)
    share = {
        "c": brief["customer"]["customer_id"],
        "q": (brief.get("question") or "")[:1500],
        "m": brief.get("logged_moment_id"),
    }
    full = full_brief_value(brief, thread_ts=None, is_dm=False, kind="command")
    messages = blocks.lead_messages(brief, share=share, full=full, note=decision.reason)[
        :MAX_FOLLOWUP_MESSAGES
    ]
    for n, message in enumerate(messages):
        services.slack.respond(response_url, message, replace_original=replace and n == 0)


def share_in_channel(services: BotServices, body: dict[str, Any], value: dict[str, Any]) -> None:
    """The "Share in channel" button: the masked brief, posted in the channel by the asker's hand."""
    slack = services.slack
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    team_id = (body.get("team") or {}).get("id")
    # Everyone in the channel reads it: the channel surface (refused when shared or unconfirmed).
    decision = audience(services, user_id, channel_id, team_id=team_id)
    if decision.refused:
        slack.respond(
            body.get("response_url"), blocks.text_message(decision.reason), replace_original=False
        )
        return
    asker = slack.asker(user_id, channel_id=channel_id, team=team_id)
    result = services.briefs.brief(value["c"], asker, log=False)
    brief = channel_view(services, result)
    brief["question"] = value.get("q") or None
    # feedback on the shared copy goes to the original exchange
    brief["logged_moment_id"] = value.get("m")
    full = full_brief_value(brief, thread_ts=None, is_dm=False, kind="conversation")
    for message in blocks.lead_messages(brief, full=full)[:MAX_FOLLOWUP_MESSAGES]:
        slack.respond(
            body.get("response_url"), message, response_type="in_channel", replace_original=False
        )


# --- picking a customer after an ambiguous question ---------------------------------------------
def answer_picked(services: BotServices, body: dict[str, Any], value: dict[str, Any]) -> None:
    slack = services.slack
    user_id = body["user"]["id"]
    channel_id = value.get("ch") or (body.get("channel") or {}).get("id")
    response_url = body.get("response_url")
    team_id = (body.get("team") or {}).get("id")
    requester = slack.requester(user_id, team_id)
    is_dm = bool(value.get("dm"))
    decision = audience(
        services, user_id, channel_id, is_dm=is_dm, private=True, requester=requester
    )
    if decision.refused:
        slack.respond(response_url, blocks.text_message(decision.reason), replace_original=False)
        return
    asker = slack.asker(user_id, channel_id=channel_id, team=team_id)
    question = value.get("q") or ""
    if question and looks_like_question(question):
        result = services.briefs.ask(question, asker, context_customer_id=value["c"])
        customer = result.to_dict().get("customer")
        # the question still names several, or (after "Wrong customer", ``w``) the one it
        # names was not meant: answer about the pick
        if not customer or (value.get("w") and customer["customer_id"] != value["c"]):
            result = services.briefs.brief(value["c"], asker)
    else:
        result = services.briefs.brief(value["c"], asker)
    if value.get("k") == "command":
        send_private_brief(services, result, response_url, decision=decision, replace=True)
        return
    thread_ts = value.get("t")
    customer = result.to_dict()["customer"]
    services.events.remember_thread(channel_id, thread_ts, customer["customer_id"])
    slack.respond(
        response_url,
        blocks.text_message(f"Answering about the customer {blocks.escape(customer['name'])}."),
        replace_original=True,
    )
    deliver_in_conversation(
        services, result, ReplyTo(channel_id, user_id, thread_ts), is_dm=is_dm, requester=requester
    )
