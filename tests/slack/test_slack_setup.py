"""The pieces a workspace install depends on: the manifest matches the app, `c360 serve` refuses
clearly when a secret is missing, and the Procfile runs the WSGI app under gunicorn."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.listeners.shortcuts import CALLBACK_ID
from c360.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_manifest_declares_what_the_app_listens_to_with_least_privilege():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    features, settings = manifest["features"], manifest["settings"]
    assert {c["command"] for c in features["slash_commands"]} == {"/customer", "/moment"}
    assert [s["callback_id"] for s in features["shortcuts"]] == [CALLBACK_ID]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_mention",
        "message.im",
        "message.channels",  # thread replies without an @mention (issue 10)
        "message.groups",
        "app_home_opened",
        "assistant_thread_started",  # Slack's assistant pane: suggested prompts (issue 10)
    }
    assert features["assistant_view"]["assistant_description"]
    assert settings["interactivity"]["is_enabled"] is True
    urls = {c["url"] for c in features["slash_commands"]} | {
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        settings["interactivity"]["message_menu_options_url"],
    }
    assert {u.rsplit("/", 2)[-2] + "/" + u.rsplit("/", 1)[-1] for u in urls} == {"slack/events"}
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    # nothing that writes as users, posts where the bot was not invited, or reads e-mails
    assert not scopes & {
        "chat:write.public",
        "users:read.email",
        "admin",
    }
    assert {"app_mentions:read", "im:history", "chat:write", "commands"} <= scopes
    # the alert worker checks the alerts channel's history before re-posting a retried message
    # (bot/notifier.py find_posted) and opens owners' DMs
    assert {"channels:history", "groups:history", "im:write"} <= scopes
    assert "assistant:write" in scopes  # assistant.threads.setSuggestedPrompts
    # every scope says why, in the comment on its line
    lines = (ROOT / "manifest.yml").read_text().splitlines()
    for scope in scopes:
        [line] = [x for x in lines if x.strip().startswith(f"- {scope} ")]
        assert "#" in line and len(line.split("#", 1)[1].strip()) > 10, line


def test_serve_socket_mode_refuses_without_an_app_token(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("C360_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-set")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "set")
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.delenv("C360_SLACK_APP_TOKEN", raising=False)
    assert main(["serve", "--socket"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_APP_TOKEN" in err and "connections:write" in err


def test_serve_refuses_without_a_signing_secret(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("C360_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-set")
    for name in ("SLACK_SIGNING_SECRET", "C360_SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert main(["serve", "--port", "0"]) == 2
    assert "SLACK_SIGNING_SECRET is not set" in capsys.readouterr().err


def test_socket_mode_needs_no_signing_secret_but_http_mode_does(container, fake_slack):
    from bot.app import BotConfigError, build_app

    container.settings.slack_signing_secret = None
    app = build_app(container, socket_mode=True)  # Slack authenticates the socket itself
    try:
        assert app.c360 is not None
    finally:
        app.c360.close()
    assert [c.method for c in fake_slack.calls].count("auth.test") == 1  # the bot token is checked
    with pytest.raises(BotConfigError, match="SLACK_SIGNING_SECRET is not set"):
        build_app(container)


def test_the_procfile_web_line_runs_the_wsgi_app_under_gunicorn_with_threads():
    web = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    assert (
        "gunicorn" in web
        and "--threads" in web
        and "'bot.http:create_wsgi_app()'" in web
        and "$PORT" in web
    )


def test_event_dedupe_holds_in_the_database_and_old_marks_are_pruned(container, clock):
    from datetime import timedelta

    from c360.services.slack_events import SlackEventService

    first, second = (
        SlackEventService(container.sessions, clock),
        SlackEventService(container.sessions, clock),
    )
    assert first.first_delivery("Ev1") is True
    assert second.first_delivery("Ev1") is False  # another process sees the same mark
    second.remember_thread("C1", "1.000100", "globex-1")
    assert first.thread_customer("C1", "1.000100") == "globex-1"
    clock.advance(days=4)
    assert first.prune(older_than=timedelta(days=3)) == 1
    assert first.first_delivery("Ev1") is True  # forgotten after the retention window
    assert first.thread_customer("C1", "1.000100") == "globex-1"  # thread memory is kept


@pytest.mark.slow
def test_c360_serve_answers_a_signed_command_under_gunicorn(seeded, fake_slack, settings):
    """The production path: `c360 serve` (gunicorn, gthread) in its own process."""
    import os
    import socket
    import subprocess
    import sys

    from child_processes import answers_ok, stop, wait_until_up
    from slack_testkit import BOT_TOKEN, SIGNING_SECRET, SlackSender

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "C360_DATA_DIR": str(settings.data_dir),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "HF_HUB_OFFLINE": "1",
    }
    c360 = str(Path(sys.executable).with_name("c360"))
    proc = subprocess.Popen(
        [c360, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        sender = SlackSender(f"http://127.0.0.1:{port}", fake_slack)
        # healthy once the worker has loaded the model
        problem = wait_until_up(proc, lambda: answers_ok(f"http://127.0.0.1:{port}/healthz"), 90)
        assert problem is None, f"c360 serve: {problem}: {proc.stderr.read().decode()[-2000:]}"
        status, _, elapsed, key = sender.command("/customer", "Globex")
        assert status == 200 and elapsed < 3.0
        [answer] = fake_slack.wait_for_response(key, timeout=30)
        assert "Globex Industries" in answer["text"] + str(answer["blocks"])
    finally:
        stop(proc)
