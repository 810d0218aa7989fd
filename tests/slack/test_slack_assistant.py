"""Slack's assistant surface (issue 10): ``assistant_thread_started`` sets suggested prompts
(``assistant.threads.setSuggestedPrompts``, checked by the strict fake against Slack's
documented shape), and a question written in the assistant thread is answered in that thread by
the same service as any DM. Signed events over real HTTP into the real Bolt app."""

from __future__ import annotations

import time

from fake_slack import TEAM_ID
from slack_testkit import ALICE, DM_ALICE, GUEST, all_text

from c360.domain import Asker, Customer

PROMPTS = "assistant.threads.setSuggestedPrompts"
THREAD_TS = "1729999327.187299"


def start_thread(slack, user: str = ALICE, channel: str = DM_ALICE) -> dict:
    """The event as Slack documents it (docs.slack.dev/reference/events/assistant_thread_started)."""
    thread = {
        "user_id": user,
        "context": {"channel_id": "C0GENERAL1", "team_id": TEAM_ID, "enterprise_id": None},
        "channel_id": channel,
        "thread_ts": THREAD_TS,
    }
    status, _, elapsed = slack.event(
        {
            "type": "assistant_thread_started",
            "assistant_thread": thread,
            "event_ts": f"{time.time():.6f}",
        }
    )
    assert status == 200 and elapsed < 3.0
    return thread


def in_thread(fake, channel: str = DM_ALICE) -> list:
    return [
        c
        for c in fake.calls_to("chat.postMessage")
        if c.args.get("channel") == channel and c.args.get("thread_ts") == THREAD_TS
    ]


def test_opening_the_pane_suggests_the_customers_i_asked_about_last(
    slack, fake_slack, seeded, clock
):
    seeded.briefs.ask("is Globex happy?", Asker(ALICE, "Alice Archer", "slack", DM_ALICE))
    clock.advance(minutes=5)
    seeded.briefs.ask("how is Acme Corp doing?", Asker(ALICE, "Alice Archer", "slack", DM_ALICE))
    seeded.moments.close()  # the exchange log writes behind; flush it as a later visit would see
    start_thread(slack)
    [call] = fake_slack.wait_for_call(PROMPTS)
    assert call.args["channel_id"] == DM_ALICE and call.args["thread_ts"] == THREAD_TS
    assert call.args["title"] == "Pick up where you left off"
    prompts = call.args["prompts"]
    assert prompts[:2] == [
        {"title": "Catch up on Acme Corp", "message": "What is going on with Acme Corp?"},
        {
            "title": "Catch up on Globex Industries",
            "message": "What is going on with Globex Industries?",
        },
    ]
    assert 2 <= len(prompts) <= 4 and len({p["message"] for p in prompts}) == len(prompts)
    assert in_thread(fake_slack) == [], "prompts set: no greeting on top"


def test_a_question_in_the_assistant_thread_is_answered_there_and_the_thread_keeps_its_customer(
    slack, fake_slack, seeded
):
    start_thread(slack)
    fake_slack.wait_for(lambda s: in_thread(s), what="the greeting of a first visit")

    def answers(s) -> list:
        return [c for c in in_thread(s) if not c.args["text"].startswith("Ask me about")]

    (status, _, _), _ = slack.dm("what is going on with Globex?", thread_ts=THREAD_TS)
    assert status == 200
    [first] = fake_slack.wait_for(answers, what="answer")
    assert "Globex Industries" in all_text(first.args["blocks"])
    (status, _, _), _ = slack.dm("any open complaints?", thread_ts=THREAD_TS)
    fake_slack.wait_for(lambda s: len(answers(s)) >= 2, what="follow-up")
    follow_up = all_text(answers(fake_slack)[1].args["blocks"])
    # Globex's open complaints (the thread's customer), dated in words; record text inert
    assert follow_up.startswith(
        "• Opened 3 Sep · outage · open 81 days: “&lt;!channel&gt; the dashboard is down"
    )
    assert "`complaint:c-g2` `complaint:c-g1`" in follow_up and "Acme" not in follow_up
    assert "2026-" not in follow_up


def test_a_first_visit_gets_one_line_on_how_to_ask_and_no_made_up_customer(
    slack, fake_slack, container
):
    start_thread(slack)
    [greeting] = fake_slack.wait_for(lambda s: in_thread(s), what="greeting")
    assert greeting.args["text"].startswith("Ask me about a customer by name, id or domain")
    assert fake_slack.calls_to(PROMPTS) == []


def test_a_guest_is_told_why_in_the_thread_and_offered_no_customer(slack, fake_slack, seeded):
    seeded.briefs.ask("is Globex happy?", Asker(GUEST, "Gus Guest", "slack", "D0GUEST003"))
    seeded.moments.close()
    start_thread(slack, user=GUEST, channel="D0GUEST003")
    [told] = fake_slack.wait_for(lambda s: in_thread(s, "D0GUEST003"), what="refusal")
    assert "only available to full members" in told.args["text"]
    assert "Globex" not in str(told.args)
    assert fake_slack.calls_to(PROMPTS) == []


def test_when_users_info_fails_no_customer_is_named_and_nothing_breaks(slack, fake_slack, seeded):
    seeded.briefs.ask("is Globex happy?", Asker(ALICE, "Alice Archer", "slack", DM_ALICE))
    seeded.moments.close()
    fake_slack.cue_error("users.info", "user_not_found", times=5)
    start_thread(slack)
    [greeting] = fake_slack.wait_for(lambda s: in_thread(s), what="greeting")
    assert "Globex" not in greeting.args["text"] and fake_slack.calls_to(PROMPTS) == []


def test_a_customer_name_with_slack_markup_is_suggested_as_inert_text(slack, fake_slack, seeded):
    seeded.ingest.add_records([Customer("evil-1", "<!channel> Evil & Co")], source="test")
    seeded.briefs.brief("evil-1", Asker(ALICE, "Alice", "slack", DM_ALICE))
    seeded.moments.close()
    start_thread(slack)
    [call] = fake_slack.wait_for_call(PROMPTS)
    first = call.args["prompts"][0]
    assert first == {
        "title": "Catch up on &lt;!channel&gt; Evil &amp; Co",
        "message": "What is going on with &lt;!channel&gt; Evil &amp; Co?",
    }
    assert "<!" not in str(call.args["prompts"])


def test_a_workspace_without_the_surface_refusing_prompts_still_gets_the_greeting(
    slack, fake_slack, seeded
):
    seeded.briefs.ask("is Globex happy?", Asker(ALICE, "Alice Archer", "slack", DM_ALICE))
    seeded.moments.close()
    fake_slack.cue_error(PROMPTS, "not_allowed_token_type")
    start_thread(slack)
    [greeting] = fake_slack.wait_for(lambda s: in_thread(s), what="greeting")
    assert greeting.args["text"].startswith("Ask me about a customer")


def test_the_fake_holds_set_suggested_prompts_to_slacks_documented_shape(fake_slack):
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=fake_slack.token, base_url=fake_slack.api_url)
    one = {"title": "Catch up on Globex", "message": "What is going on with Globex?"}
    assert client.assistant_threads_setSuggestedPrompts(
        channel_id=DM_ALICE, thread_ts=THREAD_TS, title="t", prompts=[one]
    )["ok"]
    refused = {
        "channel_not_found": {"channel_id": "C0GENERAL1", "prompts": [one]},
        "invalid_arguments": {"channel_id": DM_ALICE, "prompts": [one] * 5},
    }
    for error, args in refused.items():
        try:
            client.assistant_threads_setSuggestedPrompts(**args)
        except SlackApiError as exc:
            assert exc.response["error"] == error
        else:
            raise AssertionError(f"the fake accepted {args}")
    for bad in ({"title": "x"}, {"title": "", "message": "m"}, {**one, "extra": "x"}):
        try:
            client.assistant_threads_setSuggestedPrompts(channel_id=DM_ALICE, prompts=[bad])
        except SlackApiError as exc:
            assert exc.response["error"] == "invalid_arguments"
        else:
            raise AssertionError(f"the fake accepted {bad}")
