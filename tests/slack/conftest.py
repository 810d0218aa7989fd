"""Fixtures for the Slack bot: the strict fake Web API, the real Bolt app over the real services
(MiniLM, Chroma, SQLite through the root ``container`` fixture), served over real HTTP on port 0,
and a sender of correctly signed requests built from Slack's documented payloads."""

from __future__ import annotations

import threading
from wsgiref.simple_server import make_server

import pytest
from fake_slack import FakeSlack
from slack_testkit import (
    ALICE,
    BOB,
    BOT_TOKEN,
    GENERAL,
    GUEST,
    SHARED,
    SIGNING_SECRET,
    SlackSender,
    _QuietHandler,
    _ThreadingWSGIServer,
    demo_records,
)

from c360.settings import Settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Overrides the root fixture: the same temp store, plus Slack settings aimed at the fake."""
    return Settings(
        data_dir=tmp_path / "c360",
        _env_file=None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url="http://127.0.0.1:9/api/",  # replaced by the fake's URL in `fake_slack`
    )


@pytest.fixture
def fake_slack(settings):
    with FakeSlack(token=BOT_TOKEN) as slack:
        slack.add_user(ALICE, "alice", real_name="Alice Archer")
        slack.add_user(BOB, "bob", real_name="Bob Baker")
        slack.add_user(GUEST, "gus", real_name="Gus Guest", is_restricted=True)
        slack.add_channel(GENERAL, "general")
        slack.add_channel(SHARED, "partners", is_ext_shared=True, is_shared=True)
        settings.slack_api_url = slack.api_url
        yield slack


@pytest.fixture
def seeded(container):
    summary = container.ingest.add_records(demo_records(), source="tests/slack")
    assert not summary.errors, summary.errors
    return container


@pytest.fixture
def work_pool():
    from bot.pool import WorkPool

    pool = WorkPool(workers=2, queue_size=20)
    yield pool
    pool.shutdown(wait=True)


@pytest.fixture
def bolt_app(container, fake_slack, work_pool):
    """The real app over the test's container; tests that need customers also ask for `seeded`.
    Exchanges are logged behind (the default), as in production; closing writes what is queued."""
    from bot.app import build_app

    yield build_app(container, pool=work_pool)
    container.moments.close()


@pytest.fixture
def bot_server(bolt_app):
    """The WSGI app on a real HTTP server, 127.0.0.1 port 0."""
    from bot.http import SlackWSGI

    server = make_server(
        "127.0.0.1", 0, SlackWSGI(bolt_app, SIGNING_SECRET), _ThreadingWSGIServer, _QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def slack(bot_server, fake_slack) -> SlackSender:
    return SlackSender(bot_server, fake_slack)
