"""The /moment jobs (after the ack, in the work pool): ``/moment <customer>: <what happened>``
logs a moment on that customer; a reference that names no customer clearly gets the picker,
whose buttons log the moment on the customer picked. The audience policy applies as for every
reply (``bot.answering.refusal``)."""

from __future__ import annotations

import re
from typing import Any

from c360.domain import Asker
from c360.safety.policy import Content

from bot import blocks, picker, wording
from bot.answering import refusal
from bot.services import BotServices

# "/moment Acme: refund asked !owner" or "... needs owner" / "needs an owner": flag for an owner.
NEEDS_OWNER_MARKER = re.compile(r"(?:^|\s)!owner\b", re.IGNORECASE)
NEEDS_OWNER_WORDS = re.compile(r"\bneeds?\s+(?:an\s+)?owner\b", re.IGNORECASE)
MOMENT_CANDIDATES = 5  # customers offered when a /moment reference names none clearly


def parse_moment(text: str) -> tuple[str, str, bool] | None:
    """``"<customer>: <what happened>"`` -> (customer, text, needs_owner); None if not that shape."""
    customer, sep, what = (text or "").partition(":")
    customer, what = customer.strip(), what.strip()
    if not sep or not customer or not what:
        return None
    needs_owner = bool(NEEDS_OWNER_MARKER.search(what) or NEEDS_OWNER_WORDS.search(what))
    what = NEEDS_OWNER_MARKER.sub(" ", what).strip()
    return customer, what, needs_owner


def resolve_for_moment(
    services: BotServices, ref: str
) -> tuple[dict[str, str] | None, list[dict[str, Any]]]:
    """(customer, []) when ``ref`` names one customer clearly, else (None, candidates). Whether
    it does is the brief service's call (``resolve_reference``), not the bot's."""
    verdict = services.briefs.resolve_reference(ref, limit=MOMENT_CANDIDATES)
    if verdict.customer_id is not None:
        return {"customer_id": verdict.customer_id, "name": verdict.name or verdict.customer_id}, []
    return None, [c.to_dict() for c in verdict.candidates]


def log_moment_command(services: BotServices, command: dict[str, Any]) -> None:
    """``/moment <customer>: <what happened>``."""
    slack = services.slack
    response_url = command.get("response_url")
    parsed = parse_moment(command.get("text", ""))
    if parsed is None:
        slack.respond(response_url, blocks.text_message(wording.MOMENT_USAGE))
        return
    ref, what, needs_owner = parsed
    user_id, channel_id = command["user_id"], command.get("channel_id")
    reason = refusal(
        services, user_id, channel_id, team_id=command.get("team_id"), content=Content.MOMENT
    )
    if reason:
        slack.respond(response_url, blocks.text_message(reason))
        return
    customer, candidates = resolve_for_moment(services, ref)
    if customer is None:
        brief = {"question": ref, "candidates": candidates}
        context = {"k": "moment", "t": what[:1500], "o": needs_owner}
        message = picker.candidates_message(brief, context=context)
        if candidates:  # the picker buttons must log the moment, not brief the customer
            message = _retarget(message)
        slack.respond(response_url, message)
        return
    asker = slack.asker(user_id, channel_id=channel_id, team=command.get("team_id"))
    slack.respond(response_url, _log(services, customer, what, asker, needs_owner, channel_id))


def _retarget(message: dict[str, Any]) -> dict[str, Any]:
    for block in message["blocks"]:
        for element in block.get("elements") or []:
            if element.get("action_id", "").startswith(blocks.ACTION_PICK_CUSTOMER):
                element["action_id"] = element["action_id"].replace(
                    blocks.ACTION_PICK_CUSTOMER, blocks.ACTION_PICK_MOMENT_CUSTOMER
                )
    return message


def log_picked_moment(services: BotServices, body: dict[str, Any], value: dict[str, Any]) -> None:
    slack = services.slack
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    team_id = (body.get("team") or {}).get("id")
    reason = refusal(services, user_id, channel_id, team_id=team_id, content=Content.MOMENT)
    if reason:
        slack.respond(body.get("response_url"), blocks.text_message(reason), replace_original=True)
        return
    asker = slack.asker(user_id, channel_id=channel_id, team=team_id)
    customer = {"customer_id": value["c"], "name": _customer_name(services, value["c"])}
    confirmation = _log(services, customer, value["t"], asker, bool(value.get("o")), channel_id)
    slack.respond(body.get("response_url"), confirmation, replace_original=True)


def _log(
    services: BotServices,
    customer: dict[str, str],
    what: str,
    asker: Asker,
    needs_owner: bool,
    channel_id: str | None,
) -> dict[str, Any]:
    """Log the /moment (typed, or picked after a question back) and say so."""
    moment = services.moments.log_moment(
        customer["customer_id"],
        what,
        asker,
        needs_owner=needs_owner,
        meta={"via": "/moment", "channel_id": channel_id},
    )
    return blocks.text_message(wording.moment_logged(customer, moment.moment_id, needs_owner))


def _customer_name(services: BotServices, customer_id: str) -> str:
    for cand in services.briefs.find_customers(customer_id, limit=1):
        if cand.customer_id == customer_id:
            return cand.name
    return customer_id
