"""Escalations mention a real person (issue 10): the CRM's owner value ("@hannah.kim", "Jane
Doe") is mapped to a Slack user id in the rules file's ``owners:``; an owner with no mapping is
named as text, pinging nobody, and the alert's first escalation says the mapping is missing."""

from __future__ import annotations

import pytest
from fixtures.hostile import is_inert_in_slack
from ownership_support import (
    ALERTS_CHANNEL,
    AlertSlack,
    make_container,
    ownership_settings,
    raise_alert,
)

from c360.domain import Customer
from c360.ownership.rules import RulesError, default_rules_path, load_rules


@pytest.fixture
def slack():
    with AlertSlack() as fake:
        yield fake


def rules_with_owners(tmp_path, owners: str) -> str:
    path = tmp_path / "rules.yml"
    text = default_rules_path().read_text().replace("owners: {}", "owners:\n" + owners)
    path.write_text(text)
    return str(path)


def escalations(slack) -> list[str]:
    return [
        c.args["text"]
        for c in slack.calls_to("chat.postMessage")
        if c.args["channel"] == ALERTS_CHANNEL and "Still no owner" in c.args["text"]
    ]


def test_an_escalation_mentions_the_mapped_owner_and_says_once_when_there_is_no_mapping(
    tmp_path, embeddings, clock, slack
):
    path = rules_with_owners(tmp_path, '  "@Hannah.Kim": U0HANNAH01\n')
    container = make_container(
        ownership_settings(tmp_path, None, slack, rules_file=path, max_escalations=2),
        embeddings,
        clock,
    )
    container.ingest.add_records(
        [
            Customer("C1", "Acme Corp", owner="@hannah.kim"),
            Customer("C2", "Globex", owner="@<!channel>.unknown"),
        ],
        source="test",
    )
    raise_alert(container, clock.now(), mid="m-acme", customer="C1")
    raise_alert(container, clock.now(), mid="m-globex", customer="C2")
    svc = container.ownership
    svc.run_once()
    clock.advance(minutes=31)
    svc.run_once()
    clock.advance(minutes=31)
    svc.run_once()
    acme = [t for t in escalations(slack) if "Acme" in t]
    globex = [t for t in escalations(slack) if "Globex" in t]
    assert len(acme) == 2 and all(t.startswith("<@U0HANNAH01> ") for t in acme)
    assert len(globex) == 2
    assert "not mapped to a Slack user" in globex[0]  # said once...
    assert "not mapped" not in globex[1]  # ...not on every re-post
    assert all(is_inert_in_slack(t) for t in globex)  # a hostile handle pings nobody


def test_an_owners_entry_that_is_not_a_slack_user_id_is_refused_with_its_line(tmp_path):
    path = rules_with_owners(tmp_path, '  "@hannah.kim": hannah\n')
    with pytest.raises(
        RulesError, match=r"rules.yml:\d+: owner '@hannah.kim': 'hannah' is not a Slack user id"
    ):
        load_rules(path)
    assert (
        load_rules(rules_with_owners(tmp_path, "  Jane Doe: W0JANE0001\n")).slack_user_for(
            " jane doe "
        )
        == "W0JANE0001"
    )
