"""A strict local HTTP server for the JSON APIs the live sources read (HubSpot, Zendesk).

Port 0 on 127.0.0.1, one thread per request. Routes are ``(verb, path regex) -> handler``;
every request is recorded (verb, path, query, body, headers). Cues make the next calls of a
route answer 429 with ``Retry-After`` or a 5xx, as the real APIs do under load. An unknown
route answers 404, a wrong verb 405: a client that calls what the API does not have fails here
as it would there.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Request:
    verb: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


@dataclass
class Answer:
    """A handler's answer with a status other than 200 (HubSpot's 207 Multi-Status)."""

    status: int
    body: Any


class FakeApi:
    name = "fake"

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = []
        self._cues: list[tuple[str, int, int]] = []  # (path regex, status, retry_after)
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self.cpu_seconds = 0.0  # CPU its request threads took (bench_sync counts the harness)

    # --- lifecycle ----------------------------------------------------------------------
    def start(self):
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name=self.name, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- cues and inspection --------------------------------------------------------------
    def cue(
        self, path_pattern: str, status: int = 429, times: int = 1, retry_after: int = 1
    ) -> None:
        """The next ``times`` calls whose path matches answer ``status`` (429: with Retry-After)."""
        with self.lock:
            self._cues.extend([(path_pattern, status, retry_after)] * times)

    def calls(self, pattern: str = "") -> list[Request]:
        with self.lock:
            return [r for r in self.requests if re.search(pattern, r.path)]

    def route(self, verb: str, pattern: str, handler: Callable[..., Any]) -> None:
        self.routes.append((verb, re.compile(f"^{pattern}$"), handler))

    # --- overridden by each API -------------------------------------------------------------
    def authenticate(self, headers: dict[str, str]) -> None:
        """Raise ApiError(401, ...) unless the credentials are right."""

    def _dispatch(
        self, verb: str, path: str, query: dict[str, str], body: Any, headers: dict[str, str]
    ):
        with self.lock:
            self.requests.append(Request(verb, path, query, body, headers))
            for n, (pattern, status, retry_after) in enumerate(self._cues):
                if re.search(pattern, path):
                    del self._cues[n]
                    extra = {"Retry-After": str(retry_after)} if status == 429 else {}
                    return status, {"status": "error", "message": f"cued {status}"}, extra
        self.authenticate(headers)
        allowed = False
        for route_verb, regex, handler in self.routes:
            match = regex.match(path)
            if match:
                allowed = True
                if route_verb == verb:
                    with self.lock:
                        answer = handler(query=query, body=body, **match.groupdict())
                    if isinstance(answer, Answer):
                        return answer.status, answer.body, {}
                    return 200, answer, {}
        if allowed:
            raise ApiError(405, {"error": "MethodNotAllowed"})
        raise ApiError(404, {"error": "RecordNotFound", "description": f"no route {verb} {path}"})


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # a client killed mid-request (the crash tests) is not the server's error


class _Handler(BaseHTTPRequestHandler):
    owner: FakeApi
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _handle(self, verb: str) -> None:
        started = time.thread_time()
        try:
            self._answer(verb)
        finally:
            with self.owner.lock:
                self.owner.cpu_seconds += time.thread_time() - started

    def _answer(self, verb: str) -> None:
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        body: Any = None
        try:
            if raw:
                if not headers.get("content-type", "").startswith("application/json"):
                    raise ApiError(415, {"error": "Unsupported Media Type"})
                body = json.loads(raw)
            status, payload, extra = self.owner._dispatch(verb, url.path, query, body, headers)
        except ApiError as exc:
            status, payload, extra = exc.status, exc.body, exc.headers
        except ValueError:
            status, payload, extra = 400, {"error": "invalid JSON"}, {}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")
