"""The alert lifecycle against real PostgreSQL and the fake Slack Web API: posting, the atomic
claim, assign/release/snooze/resolve with their events, escalation and reminder timers on a
controllable clock, and the measured outcomes."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from ownership_support import (
    ALERTS_CHANNEL,
    AlertSlack,
    make_container,
    ownership_settings,
    raise_alert,
    seed_customers,
)

from bot.alert_blocks import action_reply
from c360.domain import Person

pytestmark = pytest.mark.postgres


@pytest.fixture
def slack():
    with AlertSlack() as fake:
        yield fake


@pytest.fixture
def owned(tmp_path, pg_url, embeddings, clock, slack):
    container = make_container(ownership_settings(tmp_path, pg_url, slack), embeddings, clock)
    seed_customers(container)
    return container


def _posts(slack, channel=ALERTS_CHANNEL):
    return [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == channel]


def _dms(slack):
    return [c for c in slack.calls_to("chat.postMessage") if c.args["channel"].startswith("D")]


def test_an_alert_is_posted_once_with_the_customer_the_reason_and_the_buttons(owned, slack, clock):
    alert_id = raise_alert(owned, clock.now())
    assert owned.ownership.run_once() == {"fired": 0, "sent": 1}
    assert owned.ownership.run_once() == {"fired": 0, "sent": 0}
    (post,) = _posts(slack)
    blocks = post.args["blocks"]
    text = " ".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "*Globex* — a moment needs an owner" in text
    assert "Negative inbound email (sentiment -0.87)" in text
    assert "[moment:m-angry]" in text
    actions = next(b for b in blocks if b["type"] == "actions")
    assert actions["block_id"] == f"c360_alert:{alert_id}"
    assert [e["action_id"] for e in actions["elements"]] == [
        "c360_alert_claim",
        "c360_alert_assign",
        "c360_alert_snooze",
        "c360_alert_resolve",
        "c360_full_brief",  # View brief (issue 10)
    ]
    assert post.args["metadata"]["event_payload"]["dedupe_key"] == f"post:{alert_id}"
    assert [e["kind"] for e in owned.ownership.events(alert_id)] == ["created", "posted"]


def test_twenty_simultaneous_claims_make_exactly_one_owner(owned, slack, clock):
    alert_id = raise_alert(owned, clock.now())
    owned.ownership.run_once()
    barrier = threading.Barrier(20)
    results = {}

    def click(i: int) -> None:
        barrier.wait()
        results[i] = owned.ownership.claim(alert_id, Person(f"U{i:03d}", f"User {i}"))

    threads = [threading.Thread(target=click, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    winners = [r for r in results.values() if r.ok]
    losers = [r for r in results.values() if not r.ok]
    assert len(results) == 20 and len(winners) == 1 and len(losers) == 19
    owner = winners[0].owner_id
    assert {action_reply(r) for r in losers} == {
        f"Thanks for jumping in! It's already owned by <@{owner}>."
    }
    view = owned.ownership.view(alert_id)
    assert (view.status, view.owner_id) == ("owned", owner)
    assert [e["actor_id"] for e in owned.ownership.events(alert_id) if e["kind"] == "claimed"] == [
        owner
    ]
    # the channel message now shows the owner (chat.update), and only the owner got a DM
    (update,) = slack.calls_to("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (
        ALERTS_CHANNEL,
        slack.messages[ALERTS_CHANNEL][0]["ts"],
    )
    assert f"*Owned by* <@{owner}>" in str(update.args["blocks"])
    assert "c360_alert_claim" not in str(update.args["blocks"])
    (dm,) = _dms(slack)
    assert slack.calls_to("conversations.open")[0].args["users"] == owner
    assert "You now own this moment for *Globex*" in dm.args["text"]
    assert "Negative inbound email" in dm.args["text"]


def test_assign_release_snooze_and_resolve_are_each_recorded_with_who_and_when(owned, slack, clock):
    alert_id = raise_alert(owned, clock.now())
    owned.ownership.run_once()
    svc = owned.ownership

    clock.advance(minutes=5)
    assert svc.assign(alert_id, Person("U0BOB", "Bob"), by=Person("U0ANN")).ok
    assert svc.view(alert_id).owner_id == "U0BOB"
    clock.advance(minutes=5)
    assert not svc.release(alert_id, Person("U0ANN")).ok, "only the owner can release"
    assert svc.release(alert_id, Person("U0BOB")).ok
    view = svc.view(alert_id)
    assert (view.status, view.owner_id) == ("open", None)
    clock.advance(minutes=1)
    result = svc.snooze(alert_id, Person("U0ANN"), "4h")
    assert result.ok and svc.view(alert_id).snoozed_until == clock.now() + timedelta(hours=4)
    clock.advance(minutes=1)
    assert svc.claim(alert_id, Person("U0CAT")).ok
    assert svc.view(alert_id).snoozed_until is None, "owning it ends the snooze"
    clock.advance(minutes=1)
    assert svc.resolve(alert_id, Person("U0CAT")).ok
    assert not svc.resolve(alert_id, Person("U0ANN")).ok
    assert (
        action_reply(svc.claim(alert_id, Person("U0DAN")))
        == "Thanks! This one is already resolved by <@U0CAT>."
    )

    events = [(e["kind"], e["actor_id"]) for e in svc.events(alert_id)]
    assert [e for e in events if e[0] not in ("posted", "dm_sent")] == [
        ("created", None),
        ("assigned", "U0ANN"),
        ("released", "U0BOB"),
        ("snoozed", "U0ANN"),
        ("claimed", "U0CAT"),
        ("resolved", "U0CAT"),
    ]
    times = [e["at"] for e in svc.events(alert_id)]
    assert times == sorted(times) and times[-1] == clock.now()
    assert [e["detail"] for e in svc.events(alert_id) if e["kind"] == "assigned"] == [
        {"from": None, "to": "U0BOB"}
    ]
    # every change redrew the channel message; the last one shows it resolved, without buttons
    last = slack.calls_to("chat.update")[-1].args["blocks"]
    assert "*Resolved* by <@U0CAT>" in str(last) and not any(b["type"] == "actions" for b in last)
    # Bob (assigned) and Cat (claimed) got the brief by DM
    assert [c.args["users"] for c in slack.calls_to("conversations.open")] == ["U0BOB", "U0CAT"]


def test_unclaimed_alerts_escalate_on_time_and_owned_ones_remind_the_owner(owned, slack, clock):
    alert_id = raise_alert(owned, clock.now(), mid="m-acme", customer="C1")
    svc = owned.ownership
    svc.run_once()
    clock.advance(minutes=29)
    assert svc.run_once()["fired"] == 0
    clock.advance(minutes=1)
    assert svc.run_once() == {"fired": 1, "sent": 1}
    repost = _posts(slack)[-1]
    assert repost.args["blocks"][0]["text"]["text"].startswith(
        "<@U0ACCOUNT1> :rotating_light: Still no owner after 30 min."
    )
    clock.advance(minutes=30)
    assert svc.run_once()["fired"] == 1  # second and last re-post (max_escalations=2)
    clock.advance(hours=5)
    assert svc.run_once()["fired"] == 0
    assert len(_posts(slack)) == 3

    # a claim updates all three copies, and starts the owner's reminder timer
    assert svc.claim(alert_id, Person("U0OWN")).ok
    assert {c.args["ts"] for c in slack.calls_to("chat.update")} == {
        m["ts"] for m in slack.messages[ALERTS_CHANNEL]
    }
    clock.advance(hours=23, minutes=59)
    assert svc.run_once()["fired"] == 0
    clock.advance(minutes=1)
    assert svc.run_once() == {"fired": 1, "sent": 1}
    reminder = _dms(slack)[-1]
    assert (
        reminder.args["text"] == "Reminder: the moment for Acme Corp you own is not resolved yet."
    )
    assert [e["kind"] for e in svc.events(alert_id)][-2:] == ["reminder_due", "reminded"]
    svc.resolve(alert_id, Person("U0OWN"))
    clock.advance(hours=48)
    assert svc.run_once()["fired"] == 0, "a resolved alert never reminds"


def test_escalation_mentions_the_configured_group_and_a_snooze_delays_it(
    tmp_path, pg_url, embeddings, clock, slack
):
    settings = ownership_settings(tmp_path, pg_url, slack, escalation_group="S0ESCAL8")
    container = make_container(settings, embeddings, clock)
    seed_customers(container)
    alert_id = raise_alert(container, clock.now())
    svc = container.ownership
    svc.run_once()
    clock.advance(minutes=10)
    svc.snooze(alert_id, Person("U0ANN"), "1h")
    clock.advance(minutes=40)  # 50 min after raising: would have escalated without the snooze
    assert svc.run_once()["fired"] == 0
    clock.advance(minutes=20)
    assert svc.run_once()["fired"] == 1
    top = _posts(slack)[-1].args["blocks"][0]["text"]["text"]
    assert top == "<!subteam^S0ESCAL8> :rotating_light: Snooze is over and it still has no owner."
    assert svc.view(alert_id).snoozed_until is None


def test_timers_live_in_the_database_and_survive_a_restart(
    tmp_path, pg_url, embeddings, clock, slack
):
    settings = ownership_settings(tmp_path, pg_url, slack)
    first = make_container(settings, embeddings, clock)
    seed_customers(first)
    raise_alert(first, clock.now())
    first.ownership.run_once()
    first.engine.dispose()  # the process is gone

    clock.advance(minutes=31)
    second = make_container(settings, embeddings, clock)
    assert second.ownership.run_once() == {"fired": 1, "sent": 1}
    assert len(_posts(slack)) == 2


def test_the_report_measures_time_to_owner_resolution_and_sla_by_team_and_rule(
    tmp_path, pg_url, embeddings, clock, slack
):
    rules = tmp_path / "rules.yml"
    from c360.ownership.rules import default_rules_path

    rules.write_text(
        default_rules_path()
        .read_text()
        .replace("teams: {}", "teams:\n  Support: [U0SUP1]\n  Success: [U0SUC1]")
    )
    container = make_container(
        ownership_settings(tmp_path, pg_url, slack, rules_file=rules), embeddings, clock
    )
    seed_customers(container)
    svc = container.ownership
    start = clock.now()
    a1 = raise_alert(container, clock.now(), mid="m1")
    a2 = raise_alert(container, clock.now(), mid="m2")
    a3 = raise_alert(container, clock.now(), mid="m3", customer="C3")
    clock.advance(minutes=20)
    svc.claim(a1, Person("U0SUP1"))  # 20 min: within SLA (60)
    clock.advance(minutes=70)
    svc.claim(a2, Person("U0SUC1"))  # 90 min: late
    clock.advance(hours=2)
    svc.resolve(a1, Person("U0SUP1"))  # resolved 3h30 after raising
    report = svc.report(since_days=1)

    overall = report["overall"]
    assert (overall["alerts"], overall["owned"], overall["resolved"], overall["open"]) == (
        3,
        2,
        1,
        1,
    )
    assert overall["median_minutes_to_owner"] == 55.0
    assert overall["median_hours_to_resolution"] == 3.5
    # a3 has been waiting 3h30 > SLA: it counts as missed
    assert overall["owned_within_sla"] == round(1 / 3, 3)
    assert report["by_team"]["Support"]["owned_within_sla"] == 1.0
    assert report["by_team"]["Success"]["owned_within_sla"] == 0.0
    assert report["by_team"]["unowned"]["alerts"] == 1
    assert report["by_rule"]["negative_inbound"]["alerts"] == 3
    assert (report["since"], report["until"]) == (
        (clock.now() - timedelta(days=1)).isoformat(),
        clock.now().isoformat(),
    )
    assert start < clock.now()

    home = svc.home_summary("U0SUC1")
    assert [a["alert_id"] for a in home["owned"]] == [a2]
    assert [a["alert_id"] for a in home["waiting"]] == [a3]
    assert home["metrics"]["alerts"] == 3


def test_a_queued_escalation_overtaken_by_a_claim_is_dropped_not_posted(owned, slack, clock):
    alert_id = raise_alert(owned, clock.now())
    svc = owned.ownership
    svc.run_once()
    clock.advance(minutes=31)
    assert svc.fire_timers() == 1  # queued, not sent yet
    assert svc.claim(alert_id, Person("U0FAST")).ok
    svc.deliver()
    assert len(_posts(slack)) == 1, "no 'still no owner' re-post for an owned alert"
    assert "message_dropped" in [e["kind"] for e in svc.events(alert_id)]
    assert svc.pending_messages() == 0
