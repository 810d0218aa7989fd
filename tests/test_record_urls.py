"""Records may carry a ``url`` (issue 10): where a person opens the record. Canonical rows and
mappings fill it, the store keeps it (migration 0006), citations in ``--json`` carry it (null
when none), moments logged from Slack carry their permalink, and a value that is not a plain web
address is refused with the reason, never stored (it would be rendered as a Slack link)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

import pytest

from c360.domain import Asker, Complaint, Customer, Moment, content_hash
from connectors.canonical import RowProblem, parse_record
from connectors.mapping import apply_mapping, parse_mapping

T = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def test_a_canonical_row_may_carry_a_url_and_a_row_without_one_has_none():
    row = {"moment_id": "m1", "customer_id": "c1", "occurred_at": "2026-11-20", "text": "hi"}
    assert parse_record("moment", row).url is None
    linked = parse_record("moment", {**row, "url": " https://mail.example/m/1?x=1&y=2 "})
    assert linked.url == "https://mail.example/m/1?x=1&y=2"
    assert "url" not in linked.meta  # a canonical field, not an extra


@pytest.mark.parametrize(
    "bad",
    [
        "javascript:alert(1)",
        "/relative/path",
        "https://x.example/a|<!channel>",
        "<http://evil.example|click>",
        "https://x.example/a b",
        'https://x.example/"quoted"',
        "https://" + "a" * 2100,
    ],
)
def test_a_url_that_is_not_a_plain_web_address_is_refused_with_the_reason(bad):
    row = {"complaint_id": "k1", "customer_id": "c1", "opened_at": "2026-11-20", "text": "t"}
    with pytest.raises(RowProblem, match="url"):
        parse_record("complaint", {**row, "url": bad})


def test_a_mapping_can_fill_the_url_from_a_column():
    mapping = parse_mapping(
        {
            "outputs": [
                {
                    "kind": "complaint",
                    "fields": {
                        "complaint_id": "Ticket",
                        "customer_id": {"value": "c1"},
                        "opened_at": "Opened",
                        "text": "Body",
                        "url": {"template": "https://help.example/tickets/{Ticket}"},
                    },
                }
            ]
        }
    )
    row = apply_mapping(mapping, {"Ticket": "77", "Opened": "2026-11-20", "Body": "Broken"})[0][1]
    assert parse_record("complaint", row).url == "https://help.example/tickets/77"


def test_a_record_without_a_url_keeps_the_content_hash_it_had_before_the_field_existed():
    """Upgrading must not make the next ingest rewrite every stored record."""
    moment = Moment("m1", "c1", T, "hello")
    before = asdict(moment)
    before.pop("url")
    assert moment.hash() == content_hash(before)
    assert Moment("m1", "c1", T, "hello", url="https://x.example/1").hash() != moment.hash()


def test_urls_are_stored_and_every_json_citation_carries_one_or_null(container):
    records = [
        Customer("c1", "Linkwell Ltd", url="https://crm.example/c/1"),
        Moment("m1", "c1", T, "Renewal call went fine.", channel="call",
               url="https://calls.example/r/9"),
        Complaint("k1", "c1", T, "Export is broken again.", category="bug"),
    ]  # fmt: skip
    summary = container.ingest.add_records(records, source="test")
    assert not summary.errors
    again = container.ingest.add_records(records, source="test")
    changed = sum(c["inserted"] + c["updated"] for c in again.counts.values())
    assert changed == 0  # re-ingest changes nothing
    data = container.briefs.brief("Linkwell Ltd", Asker("u", "Una"), log=False).to_dict()
    urls = {c["record_id"]: c["url"] for c in data["citations"]}
    assert urls["moment:m1"] == "https://calls.example/r/9"
    assert urls["complaint:k1"] is None
    assert all("url" in c for c in data["citations"])
    json.dumps(data)  # still the plain JSON contract


def test_a_moment_logged_from_slack_carries_its_permalink_as_url(container):
    container.ingest.add_records([Customer("c1", "Linkwell Ltd")], source="test")
    link = "https://team.slack.com/archives/C1/p1700000000000100"
    asker = Asker("U1", "Una", channel="slack", channel_id="C1", permalink=link)
    moment = container.moments.log_moment("c1", "They asked for SSO.", asker)
    assert moment.url == link
    odd = Asker("U1", "Una", channel="slack", permalink="<!channel>")
    assert container.moments.log_moment("c1", "Still stored.", odd).url is None


def test_the_0006_migration_adds_and_removes_the_url_columns(tmp_path):
    import sqlalchemy as sa
    from alembic import command

    from store.db import alembic_config, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    cfg = alembic_config()

    def to(revision: str, down: bool = False) -> None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, revision)

    def columns(table: str) -> set[str]:
        with engine.connect() as conn:
            return {c["name"] for c in sa.inspect(conn).get_columns(table)}

    to("0006")
    assert all("url" in columns(t) for t in ("customers", "moments", "complaints"))
    to("0005", down=True)
    assert not any("url" in columns(t) for t in ("customers", "moments", "complaints"))
