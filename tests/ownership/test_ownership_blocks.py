"""Block Kit of an alert in each state: pure rendering, checked against slack_sdk's models."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block

from bot import alert_blocks as ab
from c360.ownership.types import AlertView, parse_snooze

T = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _view(**kw) -> AlertView:
    values = {
        "alert_id": "al_0123456789abcdef",
        "record_id": "moment:m-17",
        "customer_id": "C2",
        "rule": "negative_inbound",
        "customer_name": "Globex",
        "summary": "Globex (Mid-market, Gold) · inbound email: “This is terrible” [moment:m-17]",
        "reasons": [
            {"rule": "negative_inbound", "reason": "Negative inbound email (sentiment -0.87)"}
        ],
        "citations": ["moment:m-17"],
        "status": "open",
        "created_at": T,
        "updated_at": T,
    }
    values.update(kw)
    return AlertView(**values)


def _controls(blocks) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_an_open_alert_offers_own_assign_snooze_and_resolve():
    blocks = ab.alert_blocks(_view())
    assert _controls(blocks) == [
        ab.ACTION_CLAIM,
        ab.ACTION_ASSIGN,
        ab.ACTION_SNOOZE,
        ab.ACTION_RESOLVE,
        ab.ACTION_FULL_BRIEF,  # View brief: the customer's whole brief, privately
    ]
    actions = next(b for b in blocks if b["type"] == "actions")
    view_brief = json.loads(actions["elements"][-1]["value"])
    assert actions["elements"][-1]["text"]["text"] == "View brief"
    assert view_brief["c"] == _view().customer_id
    assert ab.alert_id_from_block(actions["block_id"]) == "al_0123456789abcdef"
    assert [o["value"] for o in actions["elements"][2]["options"]] == ["1h", "4h", "tomorrow"]
    assert actions["elements"][1]["type"] == "users_select"
    assert "*Waiting for an owner*" in ab.render_text(blocks)
    for block in blocks:  # every block parses back into slack_sdk's model: valid Block Kit
        assert Block.parse(block).to_dict() == block


def test_a_claimed_alert_shows_its_owner_and_trades_the_claim_button_for_release():
    blocks = ab.alert_blocks(
        _view(status="owned", owner_id="U0BOB", owner_name="Bob", owned_at=T + timedelta(minutes=7))
    )
    assert _controls(blocks) == [
        ab.ACTION_ASSIGN,
        ab.ACTION_SNOOZE,
        ab.ACTION_RELEASE,
        ab.ACTION_RESOLVE,
        ab.ACTION_FULL_BRIEF,
    ]
    assert ":raising_hand: *Owned by* <@U0BOB> since 2026-11-23 12:07 UTC" in ab.render_text(blocks)
    assert ab.alert_text(_view(status="owned", owner_id="U0BOB")).startswith(
        "Globex owned by <@U0BOB>: Negative inbound"
    )


def test_a_snoozed_alert_says_until_when_and_a_resolved_one_has_no_buttons():
    snoozed = ab.render_text(
        ab.alert_blocks(_view(snoozed_until=T + timedelta(hours=4), snoozed_by="U0ANN"))
    )
    assert ":zzz: snoozed until 2026-11-23 16:00 UTC by <@U0ANN>" in snoozed
    resolved = ab.alert_blocks(
        _view(status="resolved", resolved_by="U0ANN", resolved_at=T + timedelta(hours=1))
    )
    assert _controls(resolved) == []
    assert ":white_check_mark: *Resolved* by <@U0ANN> on 2026-11-23 13:00 UTC" in ab.render_text(
        resolved
    )


def test_an_escalation_repost_puts_the_mention_first():
    blocks = ab.alert_blocks(
        _view(), mention="<!subteam^S0ESC>", note="Still no owner after 30 min."
    )
    assert (
        blocks[0]["text"]["text"]
        == "<!subteam^S0ESC> :rotating_light: Still no owner after 30 min."
    )
    assert ab.alert_text(_view(), mention="<!subteam^S0ESC>").startswith(
        "<!subteam^S0ESC> Globex needs an owner"
    )


def test_record_text_is_escaped_so_it_can_never_ping_anyone():
    view = _view(
        customer_name="Acme <!channel>",
        summary="<!here> call <@U0CEO> & co",
        reasons=[{"rule": "r", "reason": "<!everyone>"}],
    )
    rendered = str(ab.alert_blocks(view)) + ab.alert_text(view)
    for raw in ("<!channel>", "<!here>", "<@U0CEO>", "<!everyone>"):
        assert raw not in rendered
    assert "&lt;!here&gt; call &lt;@U0CEO&gt; &amp; co" in rendered


def test_a_huge_summary_stays_within_slacks_section_limit():
    blocks = ab.alert_blocks(
        _view(summary="x" * 10_000, reasons=[{"rule": "r", "reason": "y" * 5000}])
    )
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert len(ab.text_blocks("z " * 40_000)) <= 40


def test_snooze_choices_become_times():
    assert parse_snooze("1h", T) == T + timedelta(hours=1)
    assert parse_snooze("4h", T) == T + timedelta(hours=4)
    assert parse_snooze("tomorrow", T) == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    # the reader's own 09:00: Los Angeles (PST, UTC-8) and Tokyo (21:00 there now)
    la, tokyo = ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Tokyo")
    assert parse_snooze("tomorrow", T, la) == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    assert parse_snooze("tomorrow", T, tokyo) == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    # 22:00 on the 23rd in Los Angeles is already the 24th in UTC: tomorrow is still the 24th
    late = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    assert parse_snooze("tomorrow", late, la) == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    # across the change to summer time (8 Mar 2026 in the US): still 09:00 on the clock
    spring = datetime(2026, 3, 7, 20, 0, tzinfo=UTC)
    assert parse_snooze("tomorrow", spring, la) == datetime(2026, 3, 8, 16, 0, tzinfo=UTC)
    assert parse_snooze("30m", T) == T + timedelta(minutes=30)
    with pytest.raises(ValueError, match="use 1h, 4h, tomorrow"):
        parse_snooze("soon", T)


# --- mentions: the service hands over ids, the bot builds the markup ---------------------------
def test_an_escalation_ping_is_a_mention_only_for_a_slack_id():
    from c360.ownership.types import Ping

    assert ab.ping_text(Ping("S0ESC", "escalation group S0ESC")) == "<!subteam^S0ESC>"
    assert ab.ping_text(Ping("U0OWNER", "account owner U0OWNER")) == "<@U0OWNER>"
    hostile = "<!channel> <http://evil.example|Click>"
    assert ab.ping_text(Ping(hostile, f"account owner {hostile}")) == (
        "account owner &lt;!channel&gt; &lt;http://evil.example|Click&gt;"
    )
    # a row queued by older code stored the markup itself: kept only when it is one mention
    assert ab.ping_text(Ping("<@U0OLD>")) == "<@U0OLD>"
    assert ab.ping_text(Ping("<!channel>")) == "&lt;!channel&gt;"
    assert ab.ping_text(None) is None


def test_a_button_reply_mentions_the_person_it_names():
    from c360.ownership.types import ActionResult

    taken = ActionResult(False, "al_1", "It's already owned by {who}.", "U0BOB", "owned", "U0BOB")
    assert ab.action_reply(taken) == "It's already owned by <@U0BOB>."
    odd = ActionResult(False, "al_1", "Already resolved by {who}.", who="Jane <!here>")
    assert ab.action_reply(odd) == "Already resolved by Jane &lt;!here&gt;."
    assert ab.action_reply(ActionResult(True, "al_1", "Marked resolved. Thank you!")) == (
        "Marked resolved. Thank you!"
    )


def test_the_owner_dm_escapes_record_text_and_falls_back_to_the_summary():
    from c360.ownership.types import OwnerBrief

    brief = OwnerBrief(
        how="assigned",
        customer_id="C<1>",
        customer_name="Evil & Co <!here>",
        reasons=["Negative <!channel>"],
        summary="Evil & Co · inbound email",
        by="U0ANN",
    )
    text = ab.owner_brief_text(brief)
    assert text.startswith(
        "You were assigned this moment for *Evil &amp; Co &lt;!here&gt;* (by <@U0ANN>)."
    )
    assert "• Negative &lt;!channel&gt;" in text
    assert "run `/customer C&lt;1&gt;`" in text
    claimed = ab.owner_brief_text(OwnerBrief("claimed", "C1", "Acme", [], "s", answer="All good."))
    assert claimed.startswith("You now own this moment for *Acme*.") and claimed.endswith(
        "All good."
    )


def test_times_in_an_alert_are_slack_date_tokens_so_each_reader_sees_their_own_zone():
    owned = ab.alert_blocks(
        _view(status="owned", owner_id="U0BOB", owned_at=T + timedelta(minutes=7)), now=T
    )
    state = next(
        b["text"]["text"] for b in owned if "*Owned by*" in b.get("text", {}).get("text", "")
    )
    stamp = int((T + timedelta(minutes=7)).timestamp())
    assert state == (
        f":raising_hand: *Owned by* <@U0BOB> since "
        f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|2026-11-23 12:07 UTC>"
    )
    context = owned[-1]["elements"][0]["text"]
    assert context.startswith(
        f"Raised <!date^{int(T.timestamp())}^{{date_short_pretty}} at {{time}}|"
    )
    # the moment's own date in words with its age; no ISO date, no rule id in what is read
    blocks = ab.alert_blocks(_view(moment_at=T - timedelta(days=3)), now=T)
    assert "_moment from 20 Nov, 3 days ago_" in ab.render_text(blocks[:1])
    # ... the day as Slack's date token: each reader of the channel sees their own day (a
    # moment at 03:00 UTC is the day before in Los Angeles); UTC's day is the fallback.
    late = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    text = ab.alert_blocks(_view(moment_at=late), now=T)[0]["text"]["text"]
    assert f"moment from <!date^{int(late.timestamp())}^{{date_short}}|20 Nov>, 3 days ago" in text
    assert text.count("Nov") == 1, "the day once: the summary names none"


def test_the_owners_dms_date_the_moment_once_in_words_on_the_owners_calendar():
    """A DM has one reader: the day in words on their calendar (users.info ``tz``), so the
    notification reads right too; 03:00 UTC on 20 Nov is 19:00 on 19 Nov in Los Angeles."""
    from c360.ownership.types import OwnerBrief

    late = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    la = ZoneInfo("America/Los_Angeles")
    brief = OwnerBrief("claimed", "C2", "Globex", ["Negative"], _view().summary, moment_at=late)
    text = ab.owner_brief_text(brief, now=T, tz=la)
    assert text.startswith(
        "You now own this moment for *Globex*.\n_moment from 19 Nov, 4 days ago_\n"
    )
    assert text.count("Nov") == 1, text
    assert "_moment from 20 Nov, 3 days ago_" in ab.owner_brief_text(brief, now=T)  # UTC's
    # the outbox row keeps the brief as JSON; a row written by older code has no moment_at
    assert OwnerBrief.from_dict(json.loads(json.dumps(brief.to_dict()))) == brief
    old = {k: v for k, v in brief.to_dict().items() if k != "moment_at"}
    assert "moment from" not in ab.owner_brief_text(OwnerBrief.from_dict(old), now=T)

    owned = _view(status="owned", owner_id="U0BOB", owned_at=T, moment_at=late)
    reminder = ab.reminder_blocks(owned, now=T, tz=la)[0]["text"]["text"]
    assert "\n_moment from 19 Nov, 4 days ago_\nGlobex (Mid-market, Gold) · inbound email: “" in (
        reminder
    )
    assert reminder.count("Nov") == 1, reminder


def test_a_backlog_digest_names_rules_by_their_labels():
    from c360.ownership.types import DigestView

    digest = DigestView(
        total=2,
        by_rule=[("negative_inbound", 1), ("late_payer", 1)],
        oldest=[
            _view(moment_at=T - timedelta(days=3)),
            _view(
                customer_name="<!channel> Evil",
                rule="late_payer",
                reasons=[{"rule": "late_payer", "reason": "x"}],
            ),
        ],
    )
    shown = ab.render_text(ab.digest_blocks(digest, now=T))
    assert "(1 Negative sentiment, 1 Late payer)" in shown
    assert "• Globex · Negative sentiment · moment from 20 Nov, 3 days ago" in shown
    assert "• &lt;!channel&gt; Evil · Late payer · undated moment" in shown


def test_a_snooze_end_is_said_in_words_on_the_readers_clock():
    from prompts.ownership import snoozed

    la = ZoneInfo("America/Los_Angeles")
    # 12:00 UTC is 04:00 in Los Angeles: four hours on is still today there
    assert snoozed(parse_snooze("4h", T), T, la) == (
        "Snoozed until 08:00 today, 23 Nov (your time, America/Los_Angeles)."
    )
    assert snoozed(parse_snooze("48h", T), T, la) == (
        "Snoozed until 04:00 on Wed, 25 Nov (your time, America/Los_Angeles)."
    )
    assert snoozed(parse_snooze("tomorrow", T), T) == (
        "Snoozed until 09:00 UTC tomorrow, 24 Nov. Slack didn't tell me your time zone, so "
        "that time is UTC."
    )
