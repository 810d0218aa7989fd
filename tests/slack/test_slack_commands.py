"""Slash commands, buttons, the message shortcut and App Home, end to end over signed HTTP."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from slack_testkit import ALICE, GENERAL, all_text, buttons

from bot import blocks, wording
from c360.domain import Asker


def response_text(body: dict) -> str:
    return (body.get("text") or "") + "\n" + all_text(body.get("blocks") or [])


def ack_text(data: bytes) -> str:
    """A command's ack body: plain text, or JSON with a text field (both are what Slack accepts)."""
    text = data.decode("utf-8")
    return json.loads(text)["text"] if text.startswith("{") else text


def get_moment(container, moment_id):
    from store.queries import get_moment as read

    with container.sessions() as session:
        return read(session, moment_id)


def test_customer_command_acks_with_progress_then_answers_privately_with_a_share_button(
    slack, fake_slack, seeded
):
    status, data, elapsed, key = slack.command("/customer", "Globex")
    assert status == 200 and elapsed < 3.0
    assert "Looking up Globex" in ack_text(data)
    [answer] = fake_slack.wait_for_response(key)
    assert answer["response_type"] == "ephemeral"
    assert "Globex Industries" in response_text(answer)
    assert "*Profile*" not in response_text(answer)  # short first
    share = [b for b in buttons(answer["blocks"]) if b["action_id"] == blocks.ACTION_SHARE]
    assert share and len(buttons(answer["blocks"])) == 5  # full brief + 3 feedback + share
    full = next(b for b in buttons(answer["blocks"]) if b["action_id"] == blocks.ACTION_FULL_BRIEF)
    _, full_key = slack.click(full)
    [whole] = fake_slack.wait_for_response(full_key)
    assert whole["response_type"] == "ephemeral" and "ops@globex.example" in response_text(whole)
    [exchange] = seeded.moments.recent_exchanges(asker_id=ALICE)
    assert exchange.meta["channel_id"] == GENERAL and exchange.author == "Alice Archer"


def test_share_in_channel_posts_the_masked_brief_for_everyone(slack, fake_slack, seeded):
    _, _, _, key = slack.command("/customer", "Globex")
    [answer] = fake_slack.wait_for_response(key)
    share = next(b for b in buttons(answer["blocks"]) if b["action_id"] == blocks.ACTION_SHARE)
    status, click_key = slack.click(share)
    assert status == 200
    [shared] = fake_slack.wait_for_response(click_key)
    assert shared["response_type"] == "in_channel" and shared["replace_original"] is False
    text = response_text(shared)
    assert "Globex Industries" in text and "ops@globex.example" not in text and "90,000" not in text


def test_customer_command_with_a_question_answers_it(slack, fake_slack, seeded):
    _, _, _, key = slack.command("/customer", "was Globex charged twice?")
    [answer] = fake_slack.wait_for_response(key)
    assert "invoice 4471" in response_text(answer)


def test_customer_command_ambiguous_offers_buttons_and_the_pick_replaces_them_with_the_brief(
    slack, fake_slack, seeded
):
    _, _, _, key = slack.command("/customer", "Acme")
    [picker] = fake_slack.wait_for_response(key)
    choice = next(b for b in buttons(picker["blocks"]) if "acme-2" in b["text"]["text"])
    _, click_key = slack.click(choice)
    [brief] = fake_slack.wait_for_response(click_key)
    assert brief["replace_original"] is True and "Acme Corporation Ltd" in response_text(brief)
    assert "customer:acme-2" in response_text(brief)


def test_customer_command_for_an_unknown_customer_says_so(slack, fake_slack, seeded):
    _, _, _, key = slack.command("/customer", "Zzyzx Holdings")
    [reply] = fake_slack.wait_for_response(key)
    assert "couldn't find a customer" in reply["text"]


def test_empty_customer_command_explains_usage_in_the_ack(slack, fake_slack):
    _, data, _, _ = slack.command("/customer", "  ")
    assert "Usage: `/customer" in ack_text(data)


def test_feedback_buttons_store_the_vote_on_the_logged_exchange(slack, fake_slack, seeded):
    _, _, _, key = slack.command("/customer", "Globex")
    [answer] = fake_slack.wait_for_response(key)
    wrong = next(
        b
        for b in buttons(answer["blocks"])
        if b["action_id"] == f"{blocks.ACTION_FEEDBACK}_wrong_customer"
    )
    moment_id = json.loads(wrong["value"])["m"]
    _, click_key = slack.click(wrong)
    [thanks] = fake_slack.wait_for_response(click_key)
    assert "wrong customer" in thanks["text"].lower()
    assert get_moment(seeded, moment_id).meta["feedback"][ALICE]["value"] == "wrong_customer"


def test_moment_command_logs_a_moment_and_flags_needs_owner(slack, fake_slack, seeded):
    _, data, _, key = slack.command(
        "/moment", "Globex: CFO called, refund arrived but they want a discount !owner"
    )
    assert "Logging" in ack_text(data)
    [reply] = fake_slack.wait_for_response(key)
    assert (
        "Logged a moment for *Globex Industries*" in reply["text"]
        and "needs owner" in reply["text"]
    )
    moment_id = reply["text"].split("id `")[1].split("`")[0]
    moment = get_moment(seeded, moment_id)
    assert moment.customer_id == "globex-1" and moment.origin == "logged"
    assert moment.text == "CFO called, refund arrived but they want a discount"
    assert moment.meta["needs_owner"] is True and moment.meta["logged_by_id"] == ALICE


def test_moment_command_with_an_ambiguous_customer_asks_which_then_logs(slack, fake_slack, seeded):
    _, _, _, key = slack.command("/moment", "Acme: renewal signed")
    [picker] = fake_slack.wait_for_response(key)
    choice = next(b for b in buttons(picker["blocks"]) if "acme-2" in b["text"]["text"])
    assert choice["action_id"].startswith(blocks.ACTION_PICK_MOMENT_CUSTOMER)
    _, click_key = slack.click(choice)
    [reply] = fake_slack.wait_for_response(click_key)
    moment = get_moment(seeded, reply["text"].split("id `")[1].split("`")[0])
    assert (
        moment.customer_id == "acme-2"
        and moment.text == "renewal signed"
        and moment.meta["needs_owner"] is False
    )


def test_moment_command_without_a_colon_explains_the_format(slack, fake_slack, seeded):
    _, _, _, key = slack.command("/moment", "Globex called")
    [reply] = fake_slack.wait_for_response(key)
    assert "Usage: `/moment <customer>: <what happened>`" in reply["text"]


def test_message_shortcut_opens_a_prefilled_modal_and_the_submission_logs_the_moment(
    slack, fake_slack, seeded
):
    message = {
        "type": "message",
        "user": "U0BOB00002",
        "ts": "1700000000.000100",
        "text": "Globex says the refund finally arrived",
    }
    status, _, _ = slack.interaction(
        {"type": "message_action", "callback_id": "log_customer_moment", "trigger_id": "t-1", "response_url": fake_slack.response_url(),
         "user": {"id": ALICE, "name": "alice"}, "channel": {"id": GENERAL, "name": "general"}, "message": message, "message_ts": message["ts"]}
    )  # fmt: skip
    assert status == 200
    [opened] = fake_slack.wait_for_call("views.open")
    view = opened.args["view"]
    assert opened.args["trigger_id"] == "t-1"
    assert view["blocks"][0]["element"]["initial_option"]["value"] == "globex-1"
    assert view["blocks"][1]["element"]["initial_value"] == message["text"]

    # typing in the customer picker asks for options (answered in the HTTP response)
    status, data, _ = slack.interaction(
        {"type": "block_suggestion", "user": {"id": ALICE}, "action_id": blocks.ACTION_CUSTOMER_SELECT, "block_id": blocks.BLOCK_CUSTOMER,
         "value": "Acme", "view": {"id": "V1", "type": "modal", "callback_id": blocks.MODAL_LOG_MOMENT}}
    )  # fmt: skip
    assert status == 200
    assert {o["value"] for o in json.loads(data)["options"]} == {"acme-1", "acme-2"}

    state = {
        blocks.BLOCK_CUSTOMER: {
            blocks.ACTION_CUSTOMER_SELECT: {
                "type": "external_select",
                "selected_option": view["blocks"][0]["element"]["initial_option"],
            }
        },
        blocks.BLOCK_TEXT: {
            blocks.ACTION_TEXT: {
                "type": "plain_text_input",
                "value": "Globex: refund arrived, wants a call",
            }
        },
        blocks.BLOCK_NEEDS_OWNER: {
            blocks.ACTION_NEEDS_OWNER: {
                "type": "checkboxes",
                "selected_options": [{"value": "needs_owner"}],
            }
        },
    }
    status, data, _ = slack.interaction(
        {"type": "view_submission", "user": {"id": ALICE, "name": "alice"}, "trigger_id": "t-2",
         "view": {"id": "V1", "type": "modal", "callback_id": blocks.MODAL_LOG_MOMENT, "private_metadata": view["private_metadata"], "state": {"values": state}}}
    )  # fmt: skip
    assert status == 200 and data in (b"", b"{}")  # closes the modal
    dm = fake_slack.wait_for(
        lambda s: [c for c in s.calls_to("chat.postMessage") if c.args["channel"] == ALICE],
        15,
        "the confirmation DM",
    )[0]
    moment = get_moment(seeded, dm.args["text"].split("id `")[1].split("`")[0])
    assert moment.customer_id == "globex-1" and moment.meta["needs_owner"] is True
    assert moment.meta["permalink"].endswith("/p1700000000000100")


def test_a_modal_submitted_without_a_customer_shows_an_error_on_that_field(
    slack, fake_slack, seeded
):
    state = {blocks.BLOCK_CUSTOMER: {blocks.ACTION_CUSTOMER_SELECT: {"type": "external_select", "selected_option": None}},
             blocks.BLOCK_TEXT: {blocks.ACTION_TEXT: {"type": "plain_text_input", "value": "something"}}}  # fmt: skip
    status, data, _ = slack.interaction(
        {
            "type": "view_submission",
            "user": {"id": ALICE},
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": blocks.MODAL_LOG_MOMENT,
                "private_metadata": "{}",
                "state": {"values": state},
            },
        }
    )
    assert status == 200
    assert json.loads(data) == {
        "response_action": "errors",
        "errors": {blocks.BLOCK_CUSTOMER: "Pick the customer this moment is about."},
    }


def test_app_home_shows_my_recent_questions_and_the_ownership_lists(
    slack, fake_slack, seeded, bolt_app
):
    seeded.briefs.ask("is Globex happy?", Asker(ALICE, "Alice Archer", "slack", GENERAL))
    # another listener module contributes its own part of the Home tab
    bolt_app.c360.home_sections.append(
        lambda user_id: [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"extra for {user_id}"}}
        ]
    )
    status, _, _ = slack.event(
        {
            "type": "app_home_opened",
            "user": ALICE,
            "channel": "D0ALICE001",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
    )
    assert status == 200
    [published] = fake_slack.wait_for_call("views.publish")
    text = all_text(published.args["view"]["blocks"])
    assert published.args["user_id"] == ALICE and published.args["view"]["type"] == "home"
    assert "My recent questions" in text and "is Globex happy?" in text
    # the customer's name, not its id, and the day in words with its age (issue 10)
    assert "• *Globex Industries* — is Globex happy?" in text and "globex-1" not in text
    # one row per section, its date on a line of its own, on the reader's calendar (users.info
    # tz America/Los_Angeles: 04:00 on 23 Nov when the clock says 12:00 UTC)
    assert "• *Globex Industries* — is Globex happy?\n_23 Nov, today_" in text, text
    assert "Moments I own" in text and "Moments waiting for an owner" in text
    assert f"extra for {ALICE}" in text


class SlowBriefs:
    """The real BriefService behind a fixed delay: slow work, as a loaded store would be."""

    def __init__(self, real, delay: float) -> None:
        self.real, self.delay = real, delay

    def __getattr__(self, name):
        return getattr(self.real, name)

    def brief(self, *args, **kwargs):
        time.sleep(self.delay)
        return self.real.brief(*args, **kwargs)


def test_acks_stay_fast_while_slow_work_queues_in_our_own_pool(slack, fake_slack, seeded, bolt_app):
    bolt_app.c360.container.__dict__["briefs"] = SlowBriefs(seeded.briefs, delay=0.6)
    with ThreadPoolExecutor(max_workers=12) as senders:
        results = list(senders.map(lambda _: slack.command("/customer", "Globex"), range(12)))
    acks = [elapsed for status, _, elapsed, _ in results if status == 200]
    # The work behind them takes 12 x 0.6 s on 2 workers (3.6 s): an ack that waited for it
    # would take seconds. Acks stay far inside Slack's 3 s (bounds leave room for a busy CI box).
    assert len(acks) == 12 and max(acks) < 1.5 and sorted(acks)[6] < 0.5, acks
    for *_, key in results:
        [answer] = fake_slack.wait_for_response(key, timeout=30)
        assert "Globex Industries" in response_text(answer)


@pytest.fixture
def tiny_pool():
    from bot.pool import WorkPool

    pool = WorkPool(workers=1, queue_size=1)
    yield pool
    pool.shutdown(wait=True)


def test_when_the_pool_is_full_the_user_is_told_to_try_again_at_once(fake_slack, seeded, tiny_pool):
    import threading
    from wsgiref.simple_server import make_server

    from slack_testkit import SIGNING_SECRET, SlackSender, _QuietHandler, _ThreadingWSGIServer

    from bot.app import build_app
    from bot.http import SlackWSGI

    app = build_app(seeded, pool=tiny_pool)
    seeded.__dict__["briefs"] = SlowBriefs(seeded.briefs, delay=1.0)
    server = make_server(
        "127.0.0.1", 0, SlackWSGI(app, SIGNING_SECRET), _ThreadingWSGIServer, _QuietHandler
    )
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    try:
        sender = SlackSender(f"http://127.0.0.1:{server.server_address[1]}", fake_slack)
        results = [sender.command("/customer", "Globex") for _ in range(4)]
    finally:
        server.shutdown()
        server.server_close()
    acks = [ack_text(data) for _, data, _, _ in results]
    assert all("Looking up Globex" in a for a in acks[:2])
    assert acks[2:] == [wording.BUSY, wording.BUSY]
    for *_, key in results[:2]:
        assert "Globex Industries" in response_text(
            fake_slack.wait_for_response(key, timeout=20)[0]
        )
