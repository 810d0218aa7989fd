"""Answers people read in Slack (issue 10), end to end through signed requests and the strict
fake Web API, asserting what the reader sees: a short cited answer first with the full brief one
button away, sources as labels they can open, thread replies and DMs that keep the customer."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest
from fake_slack import BOT_USER_ID
from fixtures.hostile import is_inert_in_slack
from slack_testkit import ALICE, DM_ALICE, GENERAL, all_text, buttons

from bot import blocks
from c360.domain import Moment
from c360.ports import ChannelMessage

MAX_LEAD_LINES = 5


def rendered(blocks_: list[dict]) -> str:
    """The message as Slack shows it: a link shows its label, entities decoded, mrkdwn
    markers gone; button labels count (they are on screen), their values do not."""
    text = all_text(blocks_)
    text = re.sub(r"<(https?://[^|<>]+)\|([^<>]*)>", r"\2", text)
    text = re.sub(r"[*_`]", "", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def posts(fake, channel: str, thread_ts: str | None, method: str = "chat.postMessage"):
    return [
        c
        for c in fake.calls_to(method)
        if c.args.get("channel") == channel and c.args.get("thread_ts") == thread_ts
    ]


def wait_posts(fake, channel, thread_ts, n=1, method="chat.postMessage"):
    return fake.wait_for(
        lambda s: (
            len(posts(s, channel, thread_ts, method)) >= n and posts(s, channel, thread_ts, method)
        ),
        20,
        f"{n} {method} in {channel}/{thread_ts}",
    )


def lead_lines(call) -> list[str]:
    section = next(b for b in call.args["blocks"] if b["type"] == "section")
    return [line for line in section["text"]["text"].split("\n") if line.startswith("• ")]


def source_ids(call) -> list[str]:
    context = [b for b in call.args["blocks"] if b["type"] == "context"]
    text = " ".join(e["text"] for b in context for e in b["elements"])
    return re.findall(r"`([a-z]+:[^`]+)`", text)


def has_header(call) -> bool:
    return any(b["type"] == "header" for b in call.args["blocks"])


def owners(container, record_ids):
    from c360.domain import split_record_id
    from store import queries as Q

    out = {}
    with container.sessions() as session:
        for rid in record_ids:
            kind, sid = split_record_id(rid)
            rec = {
                "moment": Q.get_moment,
                "complaint": Q.get_complaint,
                "customer": Q.get_customer,
            }[kind](session, sid)
            out[rid] = rec.customer_id if rec is not None else None
    return out


# --- short first ---------------------------------------------------------------------------------
def test_a_mention_gets_a_short_cited_answer_a_full_brief_button_and_no_private_duplicate(
    slack, fake_slack, seeded
):
    (_, _, _), event = slack.mention("what is going on with Globex?")
    [answer] = wait_posts(fake_slack, GENERAL, event["ts"])
    assert next(b for b in answer.args["blocks"] if b["type"] == "header")["text"]["text"] == (
        "Globex Industries"
    )
    lines = lead_lines(answer)
    assert 1 <= len(lines) <= MAX_LEAD_LINES
    # every line cites: a label in italics after it, never a raw id in the line itself
    assert all(re.search(r"_\(.+\)_$", line) for line in lines), lines
    assert not any("complaint:" in line or "moment:" in line for line in lines)
    assert "Complaint c-g2, outage, opened 3 Sep" in all_text(answer.args["blocks"])
    # the raw ids stay available, and every one is a record of Globex
    ids = source_ids(answer)
    assert ids and set(owners(seeded, ids).values()) == {"globex-1"}
    labels = {b["text"]["text"] for b in buttons(answer.args["blocks"])}
    assert {"Full brief", "Helpful", "Not helpful", "Wrong customer"} <= labels
    assert "Profile" not in all_text(answer.args["blocks"])  # the full brief is not pasted
    time.sleep(0.5)
    assert posts(fake_slack, GENERAL, event["ts"], "chat.postEphemeral") == []  # nothing hidden


def test_the_full_brief_button_sends_the_whole_brief_to_the_one_who_pressed_it(
    slack, fake_slack, seeded
):
    (_, _, _), event = slack.mention("what is going on with Globex?")
    [answer] = wait_posts(fake_slack, GENERAL, event["ts"])
    full = next(
        b for b in buttons(answer.args["blocks"]) if b["action_id"] == blocks.ACTION_FULL_BRIEF
    )
    status, _ = slack.click(full)
    assert status == 200
    [brief] = wait_posts(fake_slack, GENERAL, event["ts"], method="chat.postEphemeral")
    text = all_text(brief.args["blocks"])
    assert brief.args["user"] == ALICE
    assert "*Profile*" in text and "ops@globex.example" in text  # in full: only Alice sees it
    assert "Sources: " in text and "`complaint:c-g1`" in text
    assert "`complaint:c-g1`" not in text.split("Sources: ")[0]  # lines carry labels, not ids


def test_when_masking_hides_something_the_askers_private_copy_says_what(
    slack, fake_slack, seeded, clock
):
    angry = Moment("m-g9", "globex-1", clock.now() - timedelta(hours=2),
                   "Furious: the outage cost us a day. Call me back on +44 20 7946 0958.",
                   channel="call", direction="inbound", author="Olga Ops")  # fmt: skip
    assert not seeded.ingest.add_records([angry], source="tests/slack").errors
    (_, _, _), event = slack.mention("what is going on with Globex?")
    [public] = wait_posts(fake_slack, GENERAL, event["ts"])
    [private] = wait_posts(fake_slack, GENERAL, event["ts"], method="chat.postEphemeral")
    assert "[phone hidden]" in all_text(public.args["blocks"])
    assert "+44 20 7946 0958" in all_text(private.args["blocks"])
    assert "Hidden in the channel: phone numbers" in all_text(private.args["blocks"])
    # the risk leads: the newest, angriest moment is the first line
    assert lead_lines(public)[0].startswith("• At risk, today:")


# --- conversations that flow ----------------------------------------------------------------
def thread_reply(slack, text: str, thread_ts: str, channel: str = GENERAL):
    event = {
        "type": "message",
        "channel_type": "channel",
        "user": ALICE,
        "text": text,
        "ts": f"{time.time():.6f}",
        "thread_ts": thread_ts,
        "channel": channel,
    }
    return slack.event(event), event


def test_a_reply_in_a_bot_thread_is_answered_without_a_mention_and_only_the_follow_up(
    slack, fake_slack, seeded
):
    (_, _, _), first = slack.mention("what is going on with Globex?")
    wait_posts(fake_slack, GENERAL, first["ts"])
    (status, _, _), _ = thread_reply(slack, "any open billing complaints?", first["ts"])
    assert status == 200
    replies = wait_posts(fake_slack, GENERAL, first["ts"], n=2)
    follow_up = replies[-1]
    assert not has_header(follow_up)  # the thread already says who it is about
    text = all_text(follow_up.args["blocks"])
    assert "Double charge" in text and "Profile" not in text
    assert len(lead_lines(follow_up)) <= MAX_LEAD_LINES
    assert set(owners(seeded, source_ids(follow_up)).values()) == {"globex-1"}


def test_a_mention_in_a_thread_is_answered_once_and_other_threads_are_left_alone(
    slack, fake_slack, seeded
):
    (_, _, _), first = slack.mention("what is going on with Globex?")
    wait_posts(fake_slack, GENERAL, first["ts"])
    # Slack sends both app_mention and message.channels for a mention: one answer
    text = f"<@{BOT_USER_ID}> any open complaints?"
    slack.mention("any open complaints?", thread_ts=first["ts"])
    thread_reply(slack, text, first["ts"])
    # people talking in a thread the bot never answered in
    (_, _, _), _ = thread_reply(slack, "lunch at noon?", "1700000000.000100")
    wait_posts(fake_slack, GENERAL, first["ts"], n=2)
    time.sleep(1.0)
    assert len(posts(fake_slack, GENERAL, first["ts"])) == 2
    assert posts(fake_slack, GENERAL, "1700000000.000100") == []


def test_every_person_s_channel_message_reaches_the_capture_hook(slack, fake_slack, seeded):
    got: list[ChannelMessage] = []
    seeded.slack_events.on_channel_message(got.append)
    event = {"type": "message", "channel_type": "channel", "user": ALICE, "text": "Globex called",
             "ts": f"{time.time():.6f}", "channel": GENERAL}  # fmt: skip
    slack.event(event)
    slack.event({**event, "ts": f"{time.time():.6f}", "bot_id": "B1", "text": "a bot"})
    fake_slack.wait_for(lambda s: got, 10, "the captured message")
    time.sleep(0.3)
    assert [(m.channel_id, m.user_id, m.text, m.thread_ts) for m in got] == [
        (GENERAL, ALICE, "Globex called", None)
    ]


def test_a_dm_is_answered_in_the_conversation_and_keeps_its_customer_until_another_is_named(
    slack, fake_slack, seeded
):
    def ask(text: str, n: int):
        (status, _, _), _ = slack.dm(text)
        assert status == 200
        return wait_posts(fake_slack, DM_ALICE, None, n=n)[-1]  # no thread

    first = ask("what is going on with Globex?", 1)
    assert has_header(first)
    follow = ask("and when did we last talk to them?", 2)
    assert not has_header(follow)
    assert set(owners(seeded, source_ids(follow)).values()) == {"globex-1"}
    other = ask("what is going on with Acme Corp?", 3)
    assert set(owners(seeded, source_ids(other)).values()) == {"acme-1"}
    again = ask("any open complaints?", 4)
    assert set(owners(seeded, source_ids(again)).values()) == {"acme-1"}


# --- sources people can open ----------------------------------------------------------------
def test_citations_link_to_their_record_and_hostile_labels_stay_inert(
    slack, fake_slack, seeded, clock
):
    url = "https://mail.example/thread?id=9&view=full"
    linked = Moment("m-g8", "globex-1", clock.now() - timedelta(hours=1),
                    "Renewal at risk: they are evaluating other vendors.", channel="email",
                    direction="inbound", author="<!channel> <http://evil.example|Click>", url=url)  # fmt: skip
    assert not seeded.ingest.add_records([linked], source="tests/slack").errors
    (_, _, _), event = slack.mention("what is going on with Globex?")
    [answer] = wait_posts(fake_slack, GENERAL, event["ts"])
    text = all_text(answer.args["blocks"])
    assert "<https://mail.example/thread?id=9&amp;view=full|Email from &lt;!channel&gt;" in text
    assert all(is_inert_in_slack(t, links=(url,)) for t in text.split("\n")), text
    assert not is_inert_in_slack(text)  # the checker does see our link (it is not vacuous)
    first = lead_lines(answer)[0]
    assert first.startswith("• At risk, today:") and "m-g8" not in first


# --- the demo's largest customer ------------------------------------------------------------
@pytest.fixture
def demo_container(container, tmp_path):
    """A small demo generated and ingested through the CLI (the real connectors)."""
    import contextlib
    import io

    from c360.cli import build_parser

    args = build_parser().parse_args(
        ["demo", "--customers", "30", "--dir", str(tmp_path / "demo"), "--no-progress",
         "--no-briefs", "--today", "2026-11-23"]
    )  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):
        assert args.func(args, container) == 0
    return container


def largest_customer(container) -> tuple[str, str]:
    from sqlalchemy import func, select

    from store.models import ComplaintRow, CustomerRow, MomentRow

    with container.sessions() as session:
        counts: dict[str, int] = {}
        for model in (MomentRow, ComplaintRow):
            for cid, n in session.execute(
                select(model.customer_id, func.count()).group_by(model.customer_id)
            ):
                counts[cid] = counts.get(cid, 0) + n
        cid = max(counts, key=lambda c: (counts[c], c))
        return cid, session.get(CustomerRow, cid).name


def test_the_first_message_about_the_demo_s_largest_customer_is_short(
    demo_container, slack, fake_slack
):
    cid, name = largest_customer(demo_container)
    (_, _, _), event = slack.mention(f"what is going on with {name}?")
    [answer] = wait_posts(fake_slack, GENERAL, event["ts"])
    shown = rendered(answer.args["blocks"])
    assert len(shown) <= 900, (len(shown), shown)
    ids = source_ids(answer)
    assert ids and set(owners(demo_container, ids).values()) == {cid}
    # the full brief, one press away, is the long one it replaces
    full = next(
        b for b in buttons(answer.args["blocks"]) if b["action_id"] == blocks.ACTION_FULL_BRIEF
    )
    slack.click(full)
    briefs = fake_slack.wait_for(
        lambda s: [
            c
            for c in posts(s, GENERAL, event["ts"], "chat.postEphemeral")
            if "Profile" in all_text(c.args["blocks"])
        ],
        20,
        "the full brief",
    )
    whole = sum(len(rendered(c.args["blocks"])) for c in briefs)
    print(f"\nfirst message {len(shown)} visible characters; full brief {whole}")
    assert whole > 2 * len(shown)
    assert json.loads(full["value"])["c"] == cid


# --- the picker -------------------------------------------------------------------------------
def suggest(slack, typed: str) -> list[str]:
    from fake_slack import TEAM_ID

    status, data, elapsed = slack.interaction(
        {"type": "block_suggestion", "user": {"id": ALICE, "team_id": TEAM_ID}, "value": typed,
         "action_id": blocks.ACTION_CUSTOMER_SELECT, "block_id": blocks.BLOCK_CUSTOMER,
         "view": {"id": "V1", "type": "modal", "callback_id": blocks.MODAL_LOG_MOMENT}}
    )  # fmt: skip
    assert status == 200 and elapsed < 3.0
    return [o["text"]["text"] for o in json.loads(data)["options"]]


def test_the_picker_finds_customers_by_the_first_letters_of_a_name_id_or_domain(slack, seeded):
    assert suggest(slack, "g")[0] == "Globex Industries (globex-1)"
    assert suggest(slack, "glob") == ["Globex Industries (globex-1)"]
    assert suggest(slack, "acme-")[:2] == ["Acme Corp (acme-1)", "Acme Corporation Ltd (acme-2)"]
    assert suggest(slack, "acmeltd.ex") == ["Acme Corporation Ltd (acme-2)"]


# --- feedback -----------------------------------------------------------------------------------
def test_a_pressed_feedback_button_shows_as_chosen(slack, fake_slack, seeded):
    (_, _, _), event = slack.mention("what is going on with Globex?")
    [answer] = wait_posts(fake_slack, GENERAL, event["ts"])
    helpful = next(
        b
        for b in buttons(answer.args["blocks"])
        if b["action_id"].endswith("_helpful") and "not" not in b["action_id"]
    )
    _, key = slack.click(helpful, message_blocks=answer.args["blocks"])
    responses = fake_slack.wait_for(
        lambda s: len(s.responses.get(key, [])) >= 2 and s.responses[key], 10, "two responses"
    )
    redrawn = next(r for r in responses if r.get("replace_original") is True)
    labels = {b["text"]["text"]: b.get("style") for b in buttons(redrawn["blocks"])}
    assert labels["\u2713 Helpful"] == "primary"
    assert "Not helpful" in labels and labels["Not helpful"] is None
    assert "Full brief" in labels  # the rest of the message is unchanged
    assert (
        all_text(redrawn["blocks"]).split("Full brief")[0]
        == all_text(answer.args["blocks"]).split("Full brief")[0]
    )


def test_not_helpful_asks_one_question_and_keeps_the_answer(slack, fake_slack, seeded):
    (_, _, _), event = slack.mention("what is going on with Globex?")
    [answer] = wait_posts(fake_slack, GENERAL, event["ts"])
    not_helpful = next(
        b for b in buttons(answer.args["blocks"]) if b["action_id"].endswith("_not_helpful")
    )
    moment_id = json.loads(not_helpful["value"])["m"]
    slack.click(not_helpful)
    [opened] = fake_slack.wait_for_call("views.open")
    view = opened.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == blocks.MODAL_FEEDBACK_REASON
    assert [b["label"]["text"] for b in view["blocks"]] == ["What was wrong or missing?"]
    state = {blocks.BLOCK_REASON: {blocks.ACTION_REASON: {"type": "plain_text_input",
                                                          "value": "It missed the refund"}}}  # fmt: skip
    status, _, _ = slack.interaction(
        {"type": "view_submission", "user": {"id": ALICE, "name": "alice"}, "trigger_id": "t-1",
         "view": {"id": "V2", "type": "modal", "callback_id": blocks.MODAL_FEEDBACK_REASON,
                  "private_metadata": view["private_metadata"], "state": {"values": state}}}
    )  # fmt: skip
    assert status == 200

    def vote():
        from store.queries import get_moment

        with seeded.sessions() as session:
            moment = get_moment(session, moment_id)
        return ((moment.meta.get("feedback") or {}).get(ALICE) or {}) if moment else {}

    fake_slack.wait_for(lambda s: vote().get("reason"), 10, "the stored reason")
    assert vote() == {**vote(), "value": "not_helpful", "reason": "It missed the refund"}


# --- the reader's time zone -------------------------------------------------------------------
def test_the_asker_carries_the_readers_time_zone_from_users_info(fake_slack, bolt_app):
    fake_slack.add_user("U0KIWI0001", "kiri", real_name="Kiri Kiwi", tz="Pacific/Auckland")
    asker = bolt_app.c360.slack.asker("U0KIWI0001", channel_id=GENERAL)
    assert asker.tz == "Pacific/Auckland" and asker.name == "Kiri Kiwi"


def test_wrong_customer_offers_the_other_candidates_and_a_pick_re_answers(
    slack, fake_slack, seeded, clock
):
    from c360.domain import Customer

    look_alike = [Customer("globex-2", "Globex Inc", domain="globexinc.example"),
                  Moment("m-gi1", "globex-2", clock.now() - timedelta(days=3),
                         "Globex Inc renewal call went fine.", channel="call")]  # fmt: skip
    assert not seeded.ingest.add_records(look_alike, source="tests/slack").errors
    (_, _, _), event = slack.mention("how is Globex Inc doing?")
    [answer] = wait_posts(fake_slack, GENERAL, event["ts"])
    answered = set(owners(seeded, source_ids(answer)).values())
    assert len(answered) == 1
    wrong = next(
        b for b in buttons(answer.args["blocks"]) if b["action_id"].endswith("_wrong_customer")
    )
    _, key = slack.click(wrong)
    [offer] = fake_slack.wait_for_response(key)
    assert "wrong customer" in offer["text"].lower()
    picks = buttons(offer["blocks"])
    assert picks and not any(next(iter(answered)) in b["text"]["text"] for b in picks)
    slack.click(picks[0])
    again = fake_slack.wait_for(
        lambda s: len(posts(s, GENERAL, event["ts"])) >= 2 and posts(s, GENERAL, event["ts"]),
        20,
        "the answer about the other customer",
    )[-1]
    picked = json.loads(picks[0]["value"])["c"]
    assert set(owners(seeded, source_ids(again)).values()) == {picked} != answered


def test_a_citation_label_names_the_readers_calendar_day_like_the_age_beside_it(
    slack, fake_slack, seeded
):
    """03:00 UTC on 20 Nov is 19:00 on 19 Nov in Los Angeles (where Alice is, per users.info):
    her label says 19 Nov and her age counts from the 19th. A reader Slack names no zone for
    gets UTC's day in both."""
    from datetime import UTC, datetime

    night = Moment("m-g9", "globex-1", datetime(2026, 11, 20, 3, 0, tzinfo=UTC),
                   "Renewal at risk: they will cancel unless the outage is fixed.",
                   channel="note", direction="internal", author="Dana")  # fmt: skip
    assert not seeded.ingest.add_records([night], source="tests/slack").errors
    (_, _, _), event = slack.mention("what is going on with Globex?")
    [answer] = wait_posts(fake_slack, GENERAL, event["ts"])
    text = rendered(answer.args["blocks"])
    assert "At risk, 4 days ago:" in text and "(Note by Dana, 19 Nov)" in text, text
    assert "Note by Dana, 20 Nov" not in text

    fake_slack.add_user("U0NOZONE1", "nozone", real_name="Nick No-Zone", tz=None)
    (_, _, _), event = slack.mention("what is going on with Globex?", user="U0NOZONE1")
    [answer] = wait_posts(fake_slack, GENERAL, event["ts"])
    text = rendered(answer.args["blocks"])
    assert "At risk, 3 days ago:" in text and "(Note by Dana, 20 Nov)" in text, text
