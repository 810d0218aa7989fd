"""The WSGI app: ``POST /slack/events`` (events, commands and interactivity, as Bolt serves them)
and ``GET /healthz``.

Requests are checked here before Bolt sees them, so bad input is a clean 400/401 and never a
500 or a side effect: a missing or wrong signature or a timestamp more than 5 minutes off is 401,
a non-numeric timestamp or a body that is not what its content type says is 400 (so is an
``event_callback`` without an event object that has a type). Bolt verifies the signature again
(defence in depth) and dispatches. An event we have no listener for is answered 200, not Bolt's
404: Slack retries anything but a 2xx, and an event we ignore should simply be acknowledged.

Run it with a real server: ``gunicorn --workers 1 --threads 8 'bot.http:create_wsgi_app()'``
(the Procfile) or ``c360 serve``.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import json
import logging
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App, BoltRequest

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are far smaller
MAX_SKEW_SECONDS = 300
ACK_FRIENDLY_SWITCH_INTERVAL = 0.0005  # seconds; Python's default is 0.005


class SlackWSGI:
    def __init__(
        self, app: App, signing_secret: str, *, now: Callable[[], float] = time.time
    ) -> None:
        self.app = app
        self._secret = signing_secret.encode("utf-8")
        self._now = now

    # --- checks -------------------------------------------------------------------------------
    def check(self, headers: dict[str, str], body: bytes) -> tuple[int, str] | None:
        """An (HTTP status, reason) refusal, or None when the request is authentic and well formed."""
        timestamp = headers.get("x-slack-request-timestamp")
        signature = headers.get("x-slack-signature")
        if not timestamp or not signature:
            return 401, "missing Slack signature headers"
        if not timestamp.isascii() or not timestamp.isdigit():
            return 400, "X-Slack-Request-Timestamp is not a number"
        if abs(self._now() - int(timestamp)) > MAX_SKEW_SECONDS:
            return 401, "request timestamp too old (replay?)"
        expected = (
            "v0="
            + hmac.new(
                self._secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256
            ).hexdigest()
        )
        if not hmac.compare_digest(expected, signature):
            return 401, "invalid signature"
        return well_formed(headers.get("content-type", ""), body)

    # --- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz":
            services = getattr(self.app, "c360", None)  # queue depths, to watch a backlog grow
            return _send(
                start_response, 200, {"ok": True, **(services.status() if services else {})}
            )
        if path != EVENTS_PATH:
            return _send(start_response, 404, {"error": "not found"})
        if method != "POST":
            return _send(start_response, 405, {"error": "use POST"}, [("Allow", "POST")])
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _send(start_response, 400, {"error": "bad Content-Length"})
        if length > MAX_BODY_BYTES:
            return _send(start_response, 413, {"error": "body too large"})
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        headers = _headers(environ)
        refusal = self.check(headers, body)
        if refusal:
            log.info("refused a request: %s", refusal[1])
            return _send(start_response, refusal[0], {"error": refusal[1]})
        request = BoltRequest(
            body=body.decode("utf-8"), query=environ.get("QUERY_STRING", ""), headers=headers
        )
        response = self.app.dispatch(request)
        if response.status == 404 and _is_event_callback(headers, body):
            log.debug("no listener for this event; acknowledged")
            return _send(start_response, 200, {"ok": True, "ignored": True})
        out_headers = [(k, v) for k, values in response.headers.items() for v in values]
        data = (response.body or "").encode("utf-8")
        if not any(k.lower() == "content-length" for k, _ in out_headers):
            out_headers.append(("Content-Length", str(len(data))))
        start_response(_status(response.status), out_headers)
        return [data]


def well_formed(content_type: str, body: bytes) -> tuple[int, str] | None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return 400, "body is not UTF-8"
    kind = content_type.split(";")[0].strip().lower()
    try:
        if kind == "application/json":
            data = json.loads(text)
            if not isinstance(data, dict):
                return 400, "JSON body is not an object"
            if data.get("type") == "event_callback":
                event = data.get("event")
                if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                    return 400, "event_callback without an event object with a type"
            return None
        if kind == "application/x-www-form-urlencoded":
            form = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text))
            if "payload" in form and not isinstance(json.loads(form["payload"][0]), dict):
                return 400, "payload is not a JSON object"
            if "payload" not in form and "command" not in form and "ssl_check" not in form:
                return 400, "form body has neither a payload nor a command"
            return None
    except ValueError as exc:
        return 400, f"malformed body: {exc.__class__.__name__}"
    return 400, f"unsupported content type {kind!r}"


def _is_event_callback(headers: dict[str, str], body: bytes) -> bool:
    if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return False
    try:
        return json.loads(body).get("type") == "event_callback"
    except (ValueError, AttributeError):
        return False


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


def _status(code: int) -> str:
    from http import HTTPStatus

    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Unknown"


def _send(
    start_response, status: int, body: dict[str, Any], extra: list[tuple[str, str]] | None = None
) -> list[bytes]:
    data = json.dumps(body).encode("utf-8")
    start_response(
        _status(status),
        [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *(extra or [])],
    )
    return [data]


def limit_model_threads(container: Any, threads: int) -> None:
    """Cap the embedding model's intra-op threads. By default one forward pass takes every
    core, and its threads spin on them after each pass, so the request threads wait for a CPU
    even when the GIL is free (bench/bench_slack.py, two 30 s runs at load ~9 from other jobs:
    p99 ack 133 ms with torch's default threads, 86 ms with one)."""
    container.limit_model_threads(threads)


def create_wsgi_app(container: Any = None, *, warm: bool = True) -> SlackWSGI:
    """The WSGI callable for gunicorn (``'bot.http:create_wsgi_app()'``) and ``c360 serve``."""
    from bot.app import build_app, require_secret

    if container is None:
        from c360.container import Container

        container = Container()
    # Retrieval threads are CPU-bound Python; with the default 5 ms GIL switch interval an ack
    # thread can wait several slices for the GIL at each step. A shorter slice keeps acks fast
    # under load (measured in bench/bench_slack.py) at a small cost in throughput.
    sys.setswitchinterval(ACK_FRIENDLY_SWITCH_INTERVAL)
    limit_model_threads(container, container.settings.slack_model_threads)
    app = build_app(container)
    # On a normal exit (gunicorn stops the worker; SIGKILL after the graceful timeout skips it)
    # finish the queued jobs and write every exchange still waiting to be logged.
    atexit.register(app.c360.close)
    if warm:  # load the model and the name and field indexes now, not on the first request
        container.briefs.warm()
    return SlackWSGI(
        app, require_secret(container.settings, "slack_signing_secret", "SLACK_SIGNING_SECRET")
    )
