"""`c360 serve [--port N] [--socket]`: run the Slack bot.

HTTP mode serves the WSGI app (``bot.http``) under gunicorn with threads, the same server the
Procfile's ``web:`` line runs; ``--socket`` connects out through Socket Mode instead (no public
URL needed; requires SLACK_APP_TOKEN).
"""

from __future__ import annotations

import os
import sys

from c360.commands import Command, add_commands, option


def register(sub) -> None:
    add_commands(sub, [
        Command("serve", "run the Slack bot (HTTP on /slack/events, or Socket Mode)", _serve, [
            option("--port", type=int, default=None, help="HTTP port (default: $PORT, else 3000)"),
            option("--host", default="0.0.0.0", help="interface to bind (default 0.0.0.0)"),
            option("--threads", type=int, default=8, help="gunicorn threads answering HTTP requests"),
            option(
                "--workers", type=int, default=1,
                help="gunicorn worker processes (default 1); each loads the model and the name and "
                "field indexes, so use more only on a shared store (PostgreSQL + a Chroma server)",
            ),
            option("--socket", action="store_true", help="use Socket Mode (needs SLACK_APP_TOKEN)"),
        ]),
    ])  # fmt: skip


def _serve(args, container) -> int:
    from bot.app import BotConfigError, require_secret

    settings = container.settings
    try:
        require_secret(settings, "slack_bot_token", "SLACK_BOT_TOKEN")
        if args.socket:
            app_token = require_secret(settings, "slack_app_token", "SLACK_APP_TOKEN")
        else:
            require_secret(settings, "slack_signing_secret", "SLACK_SIGNING_SECRET")
    except BotConfigError as exc:
        if args.socket and "SLACK_APP_TOKEN" in str(exc):
            print(
                "c360 serve --socket needs SLACK_APP_TOKEN (an app-level token with connections:write, "
                "from your app's Basic Information page). Set it, or run `c360 serve` for HTTP mode.",
                file=sys.stderr,
            )
        else:
            print(f"c360 serve: {exc}", file=sys.stderr)
        return 2
    if args.socket:
        return _socket_mode(container, app_token)
    port = args.port or int(os.environ.get("PORT") or 3000)
    return _http(container, args.host, port, args.threads, max(1, args.workers))


def _socket_mode(container, app_token: str) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_app
    from bot.http import limit_model_threads

    limit_model_threads(container, container.settings.slack_model_threads)
    app = build_app(container, socket_mode=True)
    container.briefs.warm()  # the model and indexes load now, not on the first question
    print("c360: connected to Slack through Socket Mode; Ctrl-C stops.", file=sys.stderr)
    try:
        SocketModeHandler(app, app_token).start()
    finally:  # Ctrl-C: write the exchanges still queued
        app.c360.close()
    return 0


def _http(container, host: str, port: int, threads: int, workers: int = 1) -> int:
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": f"{host}:{port}",
                "workers": workers,  # each process holds the model; threads answer requests
                "worker_class": "gthread",
                "threads": threads,
                "timeout": 60,
                "graceful_timeout": 10,
                "accesslog": None,
                "loglevel": "warning",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            # Runs in the worker process, after the fork: the model and database connections
            # are created there, never inherited across fork.
            from bot.http import create_wsgi_app

            return create_wsgi_app(container)

    print(
        f"c360: serving Slack on http://{host}:{port}/slack/events (health: /healthz)",
        file=sys.stderr,
    )
    Server().run()
    return 0
