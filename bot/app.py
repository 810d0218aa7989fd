"""The Bolt app, built from the composition root: ``build_app(container) -> slack_bolt.App``.

Ack first, then work: Bolt runs listeners in its own small executor (shared with the acks), so
listeners only acknowledge and hand the slow part to our bounded ``WorkPool``. Slack's retries and
duplicate deliveries are dropped by a middleware backed by the database, so two processes (two
gunicorn workers, or a restart) never answer the same event twice.
"""

from __future__ import annotations

import logging

from c360.ports import ServicesPort
from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot import blocks, wording
from bot.listeners import register_all
from bot.pool import InlineExecutor, WorkPool
from bot.services import BotServices, SlackIO

log = logging.getLogger(__name__)


class BotConfigError(RuntimeError):
    """The bot cannot start: a setting is missing. The message says which and how to set it."""


def require_secret(settings, name: str, env: str) -> str:
    secret = getattr(settings, name)
    value = secret.get_secret_value() if secret is not None else ""
    if not value:
        raise BotConfigError(
            f"{env} is not set. Export it (see docs/slack-setup.md) and start again."
        )
    return value


def web_client(settings) -> WebClient:
    """A WebClient on SLACK_API_URL that waits out 429s (Retry-After) and retries dropped connections."""
    return WebClient(
        token=require_secret(settings, "slack_bot_token", "SLACK_BOT_TOKEN"),
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


def build_app(
    container: ServicesPort,
    *,
    pool: WorkPool | None = None,
    socket_mode: bool = False,
) -> App:
    """Build the Bolt app over ``container``'s services. ``app.c360`` holds the BotServices.

    HTTP mode verifies every request's signature, so it needs SLACK_SIGNING_SECRET; Socket Mode
    receives requests over its own authenticated connection and does not."""
    settings = container.settings
    if socket_mode:
        signing_secret = ""
    else:
        signing_secret = require_secret(settings, "slack_signing_secret", "SLACK_SIGNING_SECRET")
    client = web_client(settings)
    app = App(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        # Our listeners only ack and hand off to the WorkPool, so they run inline in the request
        # thread (see InlineExecutor): no thread hop, no 10 ms ack polling.
        listener_executor=InlineExecutor(),
        raise_error_for_unhandled_request=False,
    )
    services = BotServices(
        container=container,
        pool=pool
        or WorkPool(
            settings.slack_work_threads, settings.slack_work_queue, nice=settings.slack_work_nice
        ),
        slack=SlackIO(client),
        events=container.slack_events,
    )
    app.c360 = services  # type: ignore[attr-defined]
    if settings.slack_log_write_behind:
        # Exchanges are logged in batches by one background thread (c360/services/moments.py);
        # BotServices.close() writes what is still queued.
        container.moments.write_behind()

    @app.middleware
    def process_each_event_once(body: dict, next) -> BoltResponse | None:  # noqa: A002 - Bolt's name
        # Slack retries an event it thinks we missed (X-Slack-Retry-Num), with the same event_id.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            try:
                first = services.events.first_delivery(event_id)
            except Exception:  # the database is down: answer twice rather than never
                log.exception("event dedupe failed for %s; processing anyway", event_id)
                first = True
            if not first:
                log.info("event %s already handled; acknowledging the redelivery", event_id)
                return BoltResponse(status=200, body="")
        return next()

    @app.error
    def on_error(error: Exception, body: dict, logger: logging.Logger) -> None:
        # Errors in the ack part of a listener land here (work-pool errors are reported by the
        # pool). Never silent: tell the user through the response_url when the request has one.
        logger.exception("listener failed: %s", error)
        response_url = (body or {}).get("response_url") or next(
            (r.get("response_url") for r in (body or {}).get("response_urls") or []), None
        )
        if response_url:
            services.slack.respond(
                response_url, blocks.text_message(wording.failure("ack")), replace_original=False
            )

    register_all(app, services)
    return app
