"""Who may see what, surface by surface, end to end: signed requests into the real Bolt app, the
real services (MiniLM, Chroma, SQLite), Slack's side recorded by the fake Web API.

Every surface (a mention in a channel, a DM, /customer, the Share and pick buttons, /moment, App
Home, the customer typeahead, each alert button) is walked with a member, a guest, a member whose
users.info lookup fails, a member in a channel shared with another organisation, and a Slack
Connect user, and what that person actually sees is checked against the audience policy's table.
Then the record text that tries to ping: an owner field of ``<!channel> <http://evil|Click>``."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import pytest
from fake_slack import TEAM_ID
from fixtures.hostile import HOSTILE_OWNER, is_inert_in_slack
from fixtures.hostile import records as hostile_records
from slack_testkit import ALICE, BOB, GENERAL, GUEST, SHARED, all_text

from bot import alert_blocks as ab
from bot import blocks, views
from c360.domain import Customer, Moment, Person
from c360.safety.policy import (
    EXTERNAL_CHANNEL,
    EXTERNAL_USER,
    GUEST_USER,
    LOOKUP_MASKED,
    LOOKUP_REFUSED,
)

ALERTS = "C0ALERTS01"
STRANGER = "U0EXTERN05"  # a Slack Connect user: another organisation's workspace
PHONE = "+44 20 7946 0958"  # quoted in Globex's latest moment: shown in full, hidden when masked
EMAIL = "ops@globex.example"  # Globex's e-mail on its profile


@pytest.fixture
def settings(settings):
    settings.alerts_channel = ALERTS
    settings.escalate_after_minutes = 30
    return settings


@pytest.fixture
def world(seeded, fake_slack, clock, bolt_app):
    """The demo customers, plus an angry e-mail from Globex (quoting a phone number) that raised
    an alert, posted in the alerts channel and waiting for an owner."""
    from c360.ownership.types import alert_id_for

    fake_slack.add_channel(ALERTS, "customer-alerts")
    fake_slack.add_user(STRANGER, "stranger", real_name="Sam Stranger", is_stranger=True,
                        team_id="T0OTHERORG")  # fmt: skip
    angry = Moment(
        "m-angry",
        "globex-1",
        clock.now() - timedelta(minutes=5),
        f"This is terrible, your service is awful and I am furious. Call me on {PHONE}.",
        channel="email",
        direction="inbound",
    )
    assert not seeded.ingest.add_records([angry], source="tests/slack").errors
    alert_id = alert_id_for("moment:m-angry")
    seeded.ownership.run_once()
    fake_slack.wait_for(
        lambda s: [c for c in s.calls_to("chat.postMessage") if c.args["channel"] == ALERTS],
        what="the alert in the alerts channel",
    )
    return alert_id


# --- who is asking ---------------------------------------------------------------------------
REQUESTERS = ["member", "guest", "lookup failed", "shared channel", "slack connect user"]


def requester(case: str, fake_slack) -> tuple[str, str]:
    """(user, channel) for a case; 'lookup failed' makes every users.info answer ok:false."""
    if case == "lookup failed":
        fake_slack.cue_error("users.info", "internal_error", times=10_000)
    return {
        "member": (ALICE, GENERAL),
        "guest": (GUEST, GENERAL),
        "lookup failed": (ALICE, GENERAL),
        "shared channel": (ALICE, SHARED),
        "slack connect user": (STRANGER, GENERAL),
    }[case]


REFUSALS = {
    GUEST_USER: "refused: guest",
    EXTERNAL_USER: "refused: other organisation",
    EXTERNAL_CHANNEL: "refused: shared channel",
    LOOKUP_REFUSED: "refused: lookup failed",
}


def seen(text: str) -> str:
    """What a person saw, in the policy's terms: a refusal (and which), the full brief, the
    masked one (saying why when the lookup failed), or nothing about Globex."""
    for reason, label in REFUSALS.items():
        if reason in text:
            assert "Globex" not in text and PHONE not in text, text
            return label
    if EMAIL in text or PHONE in text:
        return "full"
    if "Globex" in text:
        assert "[phone hidden]" in text or "hidden here" in text, text
        return "masked, says why" if LOOKUP_MASKED in text else "masked"
    return "nothing"


def message_text(call_or_body) -> str:
    args = getattr(call_or_body, "args", call_or_body)
    return (args.get("text") or "") + "\n" + all_text(args.get("blocks") or [])


# --- the surfaces ------------------------------------------------------------------------------
def in_thread(fake, channel, ts, method="chat.postMessage"):
    return [
        c
        for c in fake.calls_to(method)
        if c.args.get("channel") == channel and c.args.get("thread_ts") == ts
    ]


def mention(slack, fake, user, channel) -> str:
    """The channel's copy, then the asker's own copy ("public + private")."""
    (_, _, _), event = slack.mention("what is going on with Globex?", user=user, channel=channel)
    first = fake.wait_for(lambda s: in_thread(s, channel, event["ts"]), what="a reply")[0]
    if seen(message_text(first)).startswith("refused"):
        return seen(message_text(first))
    private = fake.wait_for(
        lambda s: in_thread(s, channel, event["ts"], "chat.postEphemeral"), what="a private copy"
    )
    public = in_thread(fake, channel, event["ts"])
    return f"{seen(message_text(public[0]))} + {seen(message_text(private[0]))}"


def direct_message(slack, fake, user, channel) -> str:
    (_, _, _), event = slack.dm("what is going on with Globex?", user=user, channel="D" + user[1:])
    # answered in the conversation itself, not in a thread
    replies = fake.wait_for(lambda s: in_thread(s, event["channel"], None), what="a reply")
    return seen(message_text(replies[0]))


def customer_command(slack, fake, user, channel) -> str:
    _, _, _, key = slack.command("/customer", "Globex", user=user, channel=channel)
    return seen(message_text(fake.wait_for_response(key)[0]))


def share_button(slack, fake, user, channel) -> str:
    share = {"action_id": blocks.ACTION_SHARE, "value": json.dumps({"c": "globex-1", "q": ""})}
    _, key = slack.click(share, user=user, channel=channel)
    [shown] = fake.wait_for_response(key)
    label = seen(message_text(shown))
    return (
        label
        if label.startswith("refused")
        else f"{label} for everyone" * (shown["response_type"] == "in_channel")
    )


def pick_button(slack, fake, user, channel) -> str:
    value = {"k": "command", "q": "Globex", "c": "globex-1"}
    pick = {"action_id": f"{blocks.ACTION_PICK_CUSTOMER}_0", "value": json.dumps(value)}
    _, key = slack.click(pick, user=user, channel=channel)
    return seen(message_text(fake.wait_for_response(key)[0]))


def moment_command(slack, fake, user, channel) -> str:
    _, _, _, key = slack.command("/moment", "Globex: asked for a call back", user=user,
                                 channel=channel)  # fmt: skip
    text = message_text(fake.wait_for_response(key)[0])
    return "logged" if "Logged a moment for *Globex Industries*" in text else seen(text)


def app_home(slack, fake, user, channel) -> str:
    event = {"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home"}
    assert slack.event(event)[0] == 200
    [published] = fake.wait_for_call("views.publish")
    assert published.args["user_id"] == user
    got = seen(all_text(published.args["view"]["blocks"]))
    # An alert's summary is channel-safe from the start (contact details masked when it is
    # raised, since the alerts channel reads it), so on App Home a member's full view and a
    # masked one differ only by the notice that says why fields are hidden.
    return "full" if got == "masked" else got


def typeahead(slack, fake, user, channel) -> str:
    status, data, _ = slack.interaction(
        {"type": "block_suggestion", "user": {"id": user, "team_id": TEAM_ID}, "value": "Globex",
         "action_id": blocks.ACTION_CUSTOMER_SELECT, "block_id": blocks.BLOCK_CUSTOMER,
         "view": {"id": "V1", "type": "modal", "callback_id": blocks.MODAL_LOG_MOMENT}}
    )  # fmt: skip
    assert status == 200
    options = json.loads(data)["options"]
    return "customer names" if options else "no options"


SURFACES = {
    "mention": mention,
    "direct message": direct_message,
    "/customer": customer_command,
    "share in channel button": share_button,
    "pick customer button": pick_button,
    "/moment": moment_command,
    "app home": app_home,
    "typeahead": typeahead,
}
M_, F_ = "masked", "full"
# surface -> what each requester sees:
#   member, guest, lookup failed, shared channel, slack connect user
EXPECTED = {
    "mention": (
        f"{M_} + {F_}", "refused: guest", "masked, says why + masked, says why",
        "refused: shared channel", "refused: other organisation",
    ),
    "direct message": (F_, "refused: guest", "masked, says why", F_, "refused: other organisation"),
    "/customer": (
        F_, "refused: guest", "masked, says why", "refused: shared channel",
        "refused: other organisation",
    ),
    "share in channel button": (
        "masked for everyone", "refused: guest", "masked for everyone", "refused: shared channel",
        "refused: other organisation",
    ),
    "pick customer button": (
        F_, "refused: guest", "masked, says why", "refused: shared channel",
        "refused: other organisation",
    ),
    "/moment": (
        "logged", "refused: guest", "logged", "refused: shared channel",
        "refused: other organisation",
    ),
    "app home": (F_, "refused: guest", "masked, says why", F_, "refused: other organisation"),
    "typeahead": (
        "customer names", "no options", "customer names", "customer names", "no options",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", REQUESTERS)
@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_surface_shows_each_requester_what_the_policy_allows(
    slack, fake_slack, world, surface, case
):
    user, channel = requester(case, fake_slack)
    got = SURFACES[surface](slack, fake_slack, user, channel)
    assert got == EXPECTED[surface][REQUESTERS.index(case)], (surface, case)


# --- alert buttons -------------------------------------------------------------------------------
def press(slack, alert_id: str, action: dict, user: str, channel: str) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": channel},
        "trigger_id": "trigger-" + uuid.uuid4().hex,
        "channel": {"id": channel, "name": "customer-alerts"},
        "message": {"type": "message", "ts": "1.000001", "text": "alert"},
        "response_url": slack.fake.response_url(),
        "actions": [
            {"block_id": f"{ab.ACTIONS_BLOCK_PREFIX}{alert_id}", "action_ts": "1.1", **action}
        ],
    }
    assert slack.interaction(payload)[0] == 200


def dms_to(fake, user: str) -> list:
    ims = {c.args["users"] for c in fake.calls_to("conversations.open")}
    return [
        c for c in fake.calls_to("chat.postMessage") if user in ims and c.args["channel"][0] == "D"
    ]


ALERT_BUTTONS = {
    "I'll own it": {"action_id": ab.ACTION_CLAIM, "type": "button", "value": "x"},
    "Assign to…": {"action_id": ab.ACTION_ASSIGN, "type": "users_select", "selected_user": BOB},
    "Snooze": {
        "action_id": ab.ACTION_SNOOZE,
        "type": "static_select",
        "selected_option": {"value": "1h", "text": {"type": "plain_text", "text": "1 hour"}},
    },
    "Release": {"action_id": ab.ACTION_RELEASE, "type": "button", "value": "x"},
    "Resolved": {"action_id": ab.ACTION_RESOLVE, "type": "button", "value": "x"},
}
ALERT_REFUSALS = {
    "guest": GUEST_USER,
    "lookup failed": LOOKUP_REFUSED,
    "slack connect user": EXTERNAL_USER,
}


def alert_state(container, alert_id: str) -> tuple:
    view = container.ownership.view(alert_id)
    return view.status, view.owner_id, view.snoozed_until is not None


@pytest.mark.parametrize("case", REQUESTERS)
@pytest.mark.parametrize("button", list(ALERT_BUTTONS))
def test_alert_buttons_change_nothing_for_anyone_the_policy_refuses(
    slack, fake_slack, seeded, world, button, case
):
    user, channel = requester(case, fake_slack)
    channel = SHARED if case == "shared channel" else ALERTS
    if button == "Release":  # only an owner can release: this user owns it already
        seeded.ownership.claim(world, Person(user, "someone"))
    before = alert_state(seeded, world)
    dms_before = len(fake_slack.calls_to("chat.postMessage"))
    press(slack, world, ALERT_BUTTONS[button], user, channel)

    if case in ALERT_REFUSALS:
        note = fake_slack.wait_for_call("chat.postEphemeral")[0].args
        assert (note["user"], note["text"]) == (user, ALERT_REFUSALS[case])
        time.sleep(0.3)
        assert alert_state(seeded, world) == before  # the service was never reached
        assert len(fake_slack.calls_to("chat.postMessage")) == dms_before  # no brief by DM
        return
    expected = {
        "I'll own it": ("owned", user, False),
        "Assign to…": ("owned", BOB, False),
        "Snooze": ("open", None, True),
        "Release": ("open", None, False),
        "Resolved": ("resolved", None, False),
    }[button]
    fake_slack.wait_for(
        lambda s: alert_state(seeded, world)[0] == expected[0] and s.calls_to("chat.update"),
        what=f"{button} to take effect",
    )
    status, owner, snoozed = alert_state(seeded, world)
    assert (status, owner if status == "owned" else None, snoozed) == expected
    if button == "I'll own it":  # the new owner gets the full brief, by DM
        dm = fake_slack.wait_for(lambda s: dms_to(s, user), what="the owner's DM")[0]
        assert EMAIL in message_text(dm) and "You now own this moment" in message_text(dm)


def test_an_alert_cannot_be_assigned_to_a_guest_who_would_get_the_full_brief(
    slack, fake_slack, seeded, world
):
    action = {**ALERT_BUTTONS["Assign to…"], "selected_user": GUEST}
    press(slack, world, action, ALICE, ALERTS)
    note = fake_slack.wait_for_call("chat.postEphemeral")[0].args
    assert note["user"] == ALICE
    assert note["text"].startswith("Sorry, I can't assign it to Gus Guest: alerts")
    time.sleep(0.3)
    assert seeded.ownership.view(world).status == "open"
    assert fake_slack.calls_to("conversations.open") == []


# --- record text that tries to ping -------------------------------------------------------------
def test_an_escalation_for_a_customer_whose_owner_field_pings_the_channel_pings_no_one(
    fake_slack, seeded, clock, bolt_app
):
    """The owner field ``<!channel> <http://evil.example/claim|Click to claim>``: the escalation
    re-post names the account owner as text, in its notification text and in every block."""
    fake_slack.add_channel(ALERTS, "customer-alerts")
    rows = hostile_records()
    hostile = [Customer(**{**c, "emails": [c["emails"]]} if "emails" in c else c)
               for c in rows["customers"]]  # fmt: skip
    angry = Moment("m-h-angry", "H-1", clock.now() - timedelta(minutes=5),
                   "This is terrible, your service is awful and I am furious.", channel="email",
                   direction="inbound")  # fmt: skip
    assert not seeded.ingest.add_records([*hostile, angry], source="tests/hostile").errors
    assert hostile[0].owner == HOSTILE_OWNER
    seeded.ownership.run_once()
    clock.advance(minutes=31)
    assert seeded.ownership.run_once()["fired"] == 1
    repost = fake_slack.wait_for(
        lambda s: [
            c
            for c in s.calls_to("chat.postMessage")
            if c.args["channel"] == ALERTS and "Still no owner" in c.args["text"]
        ],
        what="the escalation re-post",
    )[0]
    texts = [repost.args["text"], *all_text(repost.args["blocks"]).split("\n")]
    assert all(is_inert_in_slack(t) for t in texts), texts
    escaped_owner = (
        "account owner &lt;!channel&gt; &lt;http://evil.example/claim|Click to claim&gt;"
    )
    assert repost.args["text"].startswith(escaped_owner)
    assert repost.args["blocks"][0]["text"]["text"].startswith(escaped_owner)


def test_a_customer_named_to_ping_is_shown_as_text_on_every_brief_surface(
    slack, fake_slack, seeded
):
    rows = hostile_records()
    customers = [Customer(**{**c, "emails": [c["emails"]]} if "emails" in c else c)
                 for c in rows["customers"]]  # fmt: skip
    assert not seeded.ingest.add_records(customers, source="tests/hostile").errors
    _, _, _, key = slack.command("/customer", "H-2")
    [answer] = fake_slack.wait_for_response(key)
    assert "Evil &amp; Co &lt;!here&gt;" in answer["text"]
    header = next(b for b in answer["blocks"] if b["type"] == "header")["text"]["text"]
    assert header == "Evil &amp; Co &lt;!here&gt;"  # the name, not the id (issue 10)
    texts = [answer["text"], *all_text(answer["blocks"]).split("\n")]
    assert all(is_inert_in_slack(t) for t in texts), texts


def submit_moment_form(slack, user: str) -> None:
    state = {
        blocks.BLOCK_CUSTOMER: {
            blocks.ACTION_CUSTOMER_SELECT: {
                "type": "external_select",
                "selected_option": views.customer_option("globex-1", "Globex Industries").to_dict(),
            }
        },
        blocks.BLOCK_TEXT: {blocks.ACTION_TEXT: {"type": "plain_text_input", "value": "hello"}},
    }
    status, _, _ = slack.interaction(
        {"type": "view_submission", "user": {"id": user, "name": user.lower()}, "trigger_id": "t-9",
         "view": {"id": "V9", "type": "modal", "callback_id": blocks.MODAL_LOG_MOMENT,
                  "private_metadata": json.dumps({"ch": GENERAL}), "state": {"values": state}}}
    )  # fmt: skip
    assert status == 200


def dm_to(fake, user: str):
    return fake.wait_for(
        lambda s: [c for c in s.calls_to("chat.postMessage") if c.args["channel"] == user],
        what=f"a DM to {user}",
    )[-1]


def test_a_guest_submitting_the_moment_form_logs_nothing(slack, fake_slack, seeded):
    """The form is never opened for a guest; a submission arriving anyway is refused too,
    while a member's submission logs the moment."""
    submit_moment_form(slack, GUEST)
    assert dm_to(fake_slack, GUEST).args["text"] == GUEST_USER
    time.sleep(0.3)
    assert logged_moments(seeded) == 0

    submit_moment_form(slack, ALICE)
    assert "Logged a moment" in dm_to(fake_slack, ALICE).args["text"]
    assert logged_moments(seeded) == 1


def logged_moments(container) -> int:
    from store.queries import count_moments

    with container.sessions() as session:
        return sum(count_moments(session, "globex-1", origins=["logged"]).values())


@pytest.mark.parametrize("flag", ["is_org_shared", "is_pending_ext_shared"])
def test_a_channel_shared_only_org_wide_or_by_a_pending_invitation_is_refused(
    slack, fake_slack, seeded, flag
):
    """The one reading of conversations.info (bot/services.py) counts every way of sharing."""
    fake_slack.add_channel("C0ORGWIDE1", "org-wide", **{flag: True})
    assert mention(slack, fake_slack, ALICE, "C0ORGWIDE1") == "refused: shared channel"
    assert "Globex" not in "".join(message_text(c) for c in fake_slack.calls_to("chat.postMessage"))
