"""A strict local stand-in for Slack's Web API, for tests and the bench.

A real HTTP server on 127.0.0.1, port 0, in a thread. It behaves like the documented API where
our bot touches it, and is stricter than a mock:

- every Web API call must carry ``Authorization: Bearer <the configured token>``
  (``not_authed`` / ``invalid_auth`` otherwise, as Slack answers);
- write methods require POST with ``application/json`` or ``application/x-www-form-urlencoded``;
  read methods (``users.info``, ``conversations.info``, ``chat.getPermalink``, ``auth.test``)
  also accept GET with a query string, as Slack does;
- required arguments are checked per method (``chat.postMessage`` needs ``channel`` and ``text``
  or ``blocks``...), answering ``invalid_arguments`` / ``no_text`` like Slack;
- an unknown method answers ``{"ok": false, "error": "unknown_method"}``.

Every call is recorded (method, args, headers, HTTP verb). ``cue_rate_limit`` and ``cue_error``
make the next N calls of a method answer 429 with ``Retry-After`` or ``ok: false``. The server
also receives ``response_url`` POSTs under ``/response/<id>`` (see ``response_url()``).

Modelled on bolt-python's ``tests/mock_web_api_server``, but on port 0 and strict.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

READ_METHODS = {
    "auth.test",
    "users.info",
    "conversations.info",
    "chat.getPermalink",
    "conversations.history",
    "conversations.replies",
    "users.conversations",
    "team.info",
}

# Required arguments per method, as documented at api.slack.com/methods.
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    # each inner tuple is "one of these"; all inner tuples are required
    "auth.test": (),
    "chat.postMessage": (("channel",), ("text", "blocks", "attachments")),
    "chat.postEphemeral": (("channel",), ("user",), ("text", "blocks", "attachments")),
    "chat.update": (("channel",), ("ts",)),
    "chat.getPermalink": (("channel",), ("message_ts",)),
    "reactions.add": (("channel",), ("name",), ("timestamp",)),
    "reactions.remove": (("name",),),
    "users.info": (("user",),),
    "conversations.info": (("channel",),),
    "conversations.history": (("channel",),),
    "conversations.replies": (("channel",), ("ts",)),
    "users.conversations": (),
    "team.info": (),
    "conversations.open": (("users", "channel"),),
    "views.open": (("trigger_id", "interactivity_pointer"), ("view",)),
    "views.publish": (("user_id",), ("view",)),
    "views.update": (("view",), ("view_id", "external_id")),
    # docs.slack.dev/reference/methods/assistant.threads.setSuggestedPrompts (assistant:write)
    "assistant.threads.setSuggestedPrompts": (("channel_id",), ("prompts",)),
}

TEAM_ID = "T0FAKE0001"
BOT_USER_ID = "U0BOTFAKE1"
BOT_ID = "B0BOTFAKE1"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    http_verb: str
    at: float = field(default_factory=time.monotonic)


@dataclass
class UserProfile:
    id: str
    name: str
    real_name: str | None = None
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    is_bot: bool = False
    is_stranger: bool = False  # Slack Connect: a user of another organisation
    team_id: str | None = None  # None: this workspace (TEAM_ID)
    # users.info carries the user's IANA zone; None: a profile without one (the key is absent)
    tz: str | None = "America/Los_Angeles"


@dataclass
class ChannelInfo:
    id: str
    name: str
    is_im: bool = False
    is_private: bool = False
    is_ext_shared: bool = False
    is_shared: bool = False
    is_pending_ext_shared: bool = False  # a Slack Connect invitation not yet accepted
    is_org_shared: bool = False  # Enterprise Grid: shared across the org's workspaces
    connected_team_ids: list[str] = field(default_factory=list)  # Slack Connect: other orgs
    is_member: bool = True  # the bot is in it (users.conversations lists it)


class FakeSlack:
    """Start with ``with FakeSlack(token=...) as slack:``; ``slack.api_url`` is SLACK_API_URL."""

    def __init__(self, token: str = "xoxb-test-token", start_ts: int | None = None) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.responses: dict[str, list[dict[str, Any]]] = {}  # response_url id -> bodies
        self.response_times: dict[
            str, list[float]
        ] = {}  # response_url id -> time.monotonic() of each POST
        self.users: dict[str, UserProfile] = {}
        self.channels: dict[str, ChannelInfo] = {}
        # Channel history (conversations.history / .replies): channel id -> messages, and
        # other organisations' teams (team.info) for Slack Connect.
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.teams: dict[str, dict[str, Any]] = {}
        self.page_size_cap = 1000  # conversations.history's documented maximum limit
        self._cues: dict[str, list[tuple[str, Any]]] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._ts = start_ts or int(time.time())  # message ts are counted from here
        self._seq = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> FakeSlack:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def response_url(self, key: str | None = None) -> str:
        key = key or uuid.uuid4().hex
        with self._lock:
            self.responses.setdefault(key, [])
        return f"{self.base_url}/response/{key}"

    # --- directory -----------------------------------------------------------------------
    def add_user(self, user_id: str, name: str, **flags: Any) -> UserProfile:
        profile = UserProfile(
            user_id, name, real_name=flags.pop("real_name", name.title()), **flags
        )
        self.users[user_id] = profile
        return profile

    def add_channel(self, channel_id: str, name: str, **flags: Any) -> ChannelInfo:
        info = ChannelInfo(channel_id, name, **flags)
        self.channels[channel_id] = info
        return info

    def post_history(self, channel: str, user: str | None, text: str, **fields: Any) -> str:
        """A message as it would sit in a channel's history; returns its ts."""
        ts = fields.pop("ts", None) or self._next_ts()
        message = {"type": "message", "ts": ts, "text": text, **fields}
        if user:
            message["user"] = user
        with self._lock:
            self.history.setdefault(channel, []).append(message)
            if message.get("thread_ts") and message["thread_ts"] != ts:
                for parent in self.history[channel]:
                    if parent["ts"] == message["thread_ts"]:
                        parent["reply_count"] = parent.get("reply_count", 0) + 1
                        parent.setdefault("thread_ts", parent["ts"])
        return ts

    # --- cues ----------------------------------------------------------------------------
    def cue_rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        with self._lock:
            self._cues.setdefault(method, []).extend([("429", retry_after)] * times)

    def cue_error(self, method: str, error: str = "internal_error", times: int = 1) -> None:
        with self._lock:
            self._cues.setdefault(method, []).extend([("error", error)] * times)

    # --- inspection ----------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def api_calls(self) -> list[Call]:
        """Web API calls other than the auth.test Bolt makes when an App is built."""
        with self._lock:
            return [c for c in self.calls if c.method != "auth.test"]

    def all_responses(self) -> list[dict[str, Any]]:
        with self._lock:
            return [body for bodies in self.responses.values() for body in bodies]

    def wait_for(self, predicate, timeout: float = 10.0, what: str = "a condition"):
        """Wait until ``predicate(self)`` is truthy; returns its value or fails with what was seen."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                self._lock.release()
                try:
                    value = predicate(self)
                finally:
                    self._lock.acquire()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(c.method, c.args) for c in self.calls]
                    raise AssertionError(
                        f"timed out waiting for {what}; calls seen: {seen}; responses: {self.responses}"
                    )
                self._changed.wait(min(remaining, 0.05))

    def wait_for_call(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        return self.wait_for(
            lambda s: (found := s.calls_to(method)) and len(found) >= count and found,
            timeout,
            f"{count} call(s) to {method}",
        )

    def wait_for_response(
        self, key: str, count: int = 1, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        def ready(s):
            with s._lock:
                bodies = list(s.responses.get(key, []))
            return bodies if len(bodies) >= count else None

        return self.wait_for(ready, timeout, f"{count} POST(s) to response_url {key}")

    # --- request handling ------------------------------------------------------------------
    def _next_ts(self) -> str:
        with self._lock:
            self._seq += 1
            return f"{self._ts}.{self._seq:06d}"

    def _take_cue(self, method: str) -> tuple[str, Any] | None:
        with self._lock:
            queue = self._cues.get(method)
            return queue.pop(0) if queue else None

    def _record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _record_response(self, key: str, body: dict[str, Any]) -> None:
        with self._changed:
            self.responses.setdefault(key, []).append(body)
            self.response_times.setdefault(key, []).append(time.monotonic())
            self._changed.notify_all()

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """Slack's documented answer for a call with valid auth and arguments."""
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake-team.slack.com/",
                "team": "Fake Team",
                "user": "c360",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = self._next_ts()
            message = {
                "type": "message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "ts": ts,
                "text": args.get("text", ""),
            }
            if args.get("thread_ts"):
                message["thread_ts"] = args["thread_ts"]
            return {"ok": True, "channel": args["channel"], "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "chat.update":
            return {
                "ok": True,
                "channel": args["channel"],
                "ts": args["ts"],
                "text": args.get("text", ""),
            }
        if method == "chat.getPermalink":
            channel, ts = args["channel"], str(args["message_ts"])
            link = f"https://fake-team.slack.com/archives/{channel}/p{ts.replace('.', '')}"
            # A thread reply's permalink opens its thread, as Slack's do.
            for message in self.history.get(channel, []):
                if message["ts"] == ts and message.get("thread_ts", ts) != ts:
                    link += f"?thread_ts={message['thread_ts']}&cid={channel}"
            return {"ok": True, "channel": channel, "permalink": link}
        if method in ("reactions.add", "reactions.remove"):
            return {"ok": True}
        if method == "users.info":
            user = self.users.get(args["user"])
            if not user:
                return {"ok": False, "error": "user_not_found"}
            return {
                "ok": True,
                "user": {
                    "id": user.id,
                    "team_id": user.team_id or TEAM_ID,
                    "name": user.name,
                    "real_name": user.real_name,
                    "is_bot": user.is_bot,
                    "is_restricted": user.is_restricted,
                    "is_ultra_restricted": user.is_ultra_restricted,
                    **({"is_stranger": True} if user.is_stranger else {}),
                    **({"tz": user.tz} if user.tz else {}),
                    "profile": {"real_name": user.real_name, "display_name": user.name},
                },
            }
        if method == "conversations.info":
            channel = self.channels.get(args["channel"])
            if not channel:
                return {"ok": False, "error": "channel_not_found"}
            return {
                "ok": True,
                "channel": {
                    "id": channel.id,
                    "name": channel.name,
                    "is_channel": not channel.is_im and not channel.is_private,
                    "is_im": channel.is_im,
                    "is_private": channel.is_private,
                    "is_ext_shared": channel.is_ext_shared,
                    "is_shared": channel.is_shared,
                    "is_pending_ext_shared": channel.is_pending_ext_shared,
                    "is_org_shared": channel.is_org_shared,
                    **(
                        {"connected_team_ids": [TEAM_ID, *channel.connected_team_ids]}
                        if channel.connected_team_ids
                        else {}
                    ),
                },
            }
        if method == "conversations.history":
            return self._history(args)
        if method == "conversations.replies":
            return self._replies(args)
        if method == "users.conversations":
            chans = [c for c in self.channels.values() if c.is_member and not c.is_im]
            return self._paged(
                [{"id": c.id, "name": c.name, "is_channel": not c.is_private,
                  "is_private": c.is_private, "is_ext_shared": c.is_ext_shared} for c in chans],
                args, "channels", key=lambda c: c["id"],
            )  # fmt: skip
        if method == "team.info":
            team = self.teams.get(args.get("team") or TEAM_ID)
            if team is None:
                return {"ok": False, "error": "team_not_found"}
            return {"ok": True, "team": team}
        if method == "conversations.open":
            users = str(args.get("users", ""))
            return {"ok": True, "channel": {"id": "D" + users.replace(",", "")[-9:].upper()}}
        if method == "assistant.threads.setSuggestedPrompts":
            return _prompts_answer(args)
        if method in ("views.open", "views.publish", "views.update"):
            view = args["view"]
            if isinstance(view, str):
                view = json.loads(view)
            error = _view_error(view)
            if error:
                return {
                    "ok": False,
                    "error": "invalid_arguments",
                    "response_metadata": {"messages": [error]},
                }
            return {"ok": True, "view": {"id": "V" + uuid.uuid4().hex[:10].upper(), **view}}
        return {"ok": False, "error": "unknown_method"}

    def _limit(self, args: dict[str, Any]) -> int:
        limit = int(args.get("limit") or 100)
        if not 1 <= limit <= self.page_size_cap:
            raise ValueError("invalid_limit")
        return limit

    def _paged(self, items: list[dict[str, Any]], args: dict[str, Any], key_name: str, key):
        """Cursor pagination as Slack does it: an opaque ``next_cursor`` ("" at the end)."""
        import base64

        try:
            limit = self._limit(args)
        except ValueError:
            return {"ok": False, "error": "invalid_limit"}
        start = 0
        if args.get("cursor"):
            try:
                start = int(base64.b64decode(str(args["cursor"]))[len("next:") :])
            except ValueError:
                return {"ok": False, "error": "invalid_cursor"}
        page = items[start : start + limit]
        more = start + limit < len(items)
        cursor = base64.b64encode(f"next:{start + limit}".encode()).decode() if more else ""
        return {"ok": True, key_name: page, "has_more": more,
                "response_metadata": {"next_cursor": cursor}}  # fmt: skip

    def _channel_messages(self, args: dict[str, Any]) -> list[dict[str, Any]] | None:
        if args["channel"] not in self.channels:
            return None
        oldest = float(args.get("oldest") or 0)
        latest = float(args.get("latest") or 9e12)
        inclusive = str(args.get("inclusive") or "").lower() in ("1", "true")
        out = []
        for m in self.history.get(args["channel"], []):
            ts = float(m["ts"])
            inside = (oldest <= ts <= latest) if inclusive else (oldest < ts < latest)
            if inside:
                out.append(dict(m))
        return out

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        messages = self._channel_messages(args)
        if messages is None:
            return {"ok": False, "error": "channel_not_found"}
        # The channel's own messages, newest first; thread replies only with the parent.
        top = [m for m in messages if not m.get("thread_ts") or m["thread_ts"] == m["ts"]
               or m.get("subtype") == "thread_broadcast"]  # fmt: skip
        top.sort(key=lambda m: float(m["ts"]), reverse=True)
        return self._paged(top, args, "messages", key=lambda m: m["ts"])

    def _replies(self, args: dict[str, Any]) -> dict[str, Any]:
        if args["channel"] not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        parent = str(args["ts"])
        thread = [m for m in self.history.get(args["channel"], [])
                  if m["ts"] == parent or m.get("thread_ts") == parent]  # fmt: skip
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        thread.sort(key=lambda m: float(m["ts"]))
        return self._paged([dict(m) for m in thread], args, "messages", key=lambda m: m["ts"])


def _prompts_answer(args: dict[str, Any]) -> dict[str, Any]:
    """assistant.threads.setSuggestedPrompts as documented: an assistant thread lives in the
    app's DM (``channel_id`` D…); ``prompts`` is a list of one to four objects with exactly a
    non-empty string ``title`` and ``message``; ``title`` and ``thread_ts`` are strings."""
    if not str(args["channel_id"]).startswith("D"):
        return {"ok": False, "error": "channel_not_found"}
    prompts = args["prompts"]
    if isinstance(prompts, str):
        try:
            prompts = json.loads(prompts)
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
    well_formed = (
        isinstance(prompts, list)
        and 1 <= len(prompts) <= 4
        and all(
            isinstance(p, dict)
            and set(p) == {"title", "message"}
            and all(isinstance(p[k], str) and p[k].strip() for k in ("title", "message"))
            for p in prompts
        )
    )
    optional_strings = all(
        isinstance(args[k], str) for k in ("title", "thread_ts") if args.get(k) is not None
    )
    if not well_formed or not optional_strings:
        return {"ok": False, "error": "invalid_arguments"}
    return {"ok": True}


def _view_error(view: dict[str, Any]) -> str | None:
    if view.get("type") not in ("modal", "home"):
        return "[ERROR] view.type must be modal or home"
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return "[ERROR] missing required field: blocks"
    if len(blocks) > 100:
        return "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"
    if view["type"] == "modal" and not view.get("title"):
        return "[ERROR] missing required field: title"
    return None


def _missing(method: str, args: dict[str, Any]) -> str | None:
    for one_of in REQUIRED.get(method, ()):
        if not any(args.get(name) not in (None, "", []) for name in one_of):
            if method in ("chat.postMessage", "chat.postEphemeral") and one_of[0] == "text":
                return "no_text"
            if one_of == ("channel",):
                return "channel_not_found"
            return "invalid_arguments"
    return None


class _Handler(BaseHTTPRequestHandler):
    owner: FakeSlack
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _reply(
        self, status: int, body: dict[str, Any] | str, headers: dict[str, str] | None = None
    ) -> None:
        payload = body if isinstance(body, str) else json.dumps(body)
        data = payload.encode("utf-8")
        self.send_response(status)
        self.send_header(
            "Content-Type",
            "application/json; charset=utf-8" if not isinstance(body, str) else "text/plain",
        )
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlparse(self.path)
        if not url.path.startswith("/api/"):
            self._reply(404, "not found")
            return
        method = url.path[len("/api/") :]
        args = {k: v[0] for k, v in parse_qs(url.query).items()}
        if method not in READ_METHODS:
            if method in REQUIRED:
                self._reply(
                    200, {"ok": False, "error": "invalid_request_method", "detail": "use POST"}
                )
            else:
                self._reply(200, {"ok": False, "error": "unknown_method"})
            return
        self._api(method, args, "GET")

    def do_POST(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if url.path.startswith("/response/"):
            self._response_url(url.path[len("/response/") :], raw, content_type)
            return
        if not url.path.startswith("/api/"):
            self._reply(404, "not found")
            return
        method = url.path[len("/api/") :]
        if content_type == "application/json":
            try:
                args = json.loads(raw.decode("utf-8") or "{}")
            except ValueError:
                self._reply(200, {"ok": False, "error": "invalid_json"})
                return
            if not isinstance(args, dict):
                self._reply(200, {"ok": False, "error": "invalid_json"})
                return
        elif content_type == "application/x-www-form-urlencoded":
            args = {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}
            for key in ("blocks", "view", "attachments"):
                if isinstance(args.get(key), str):
                    try:
                        args[key] = json.loads(args[key])
                    except ValueError:
                        self._reply(200, {"ok": False, "error": "invalid_arguments"})
                        return
        else:
            self._reply(
                200,
                {
                    "ok": False,
                    "error": "invalid_form_data",
                    "detail": f"content type {content_type!r}",
                },
            )
            return
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self._api(method, {**query, **args}, "POST")

    def _api(self, method: str, args: dict[str, Any], verb: str) -> None:
        fake = self.owner
        auth = self.headers.get("Authorization") or ""
        headers = {k.lower(): v for k, v in self.headers.items()}
        if not auth.startswith("Bearer "):
            # Recorded too, so a test can see an unauthenticated call was attempted.
            fake._record(Call(method, args, headers, verb))
            self._reply(200, {"ok": False, "error": "not_authed"})
            return
        if auth[len("Bearer ") :] != fake.token:
            fake._record(Call(method, args, headers, verb))
            self._reply(200, {"ok": False, "error": "invalid_auth"})
            return
        fake._record(Call(method, args, headers, verb))
        cue = fake._take_cue(method)
        if cue and cue[0] == "429":
            self._reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(cue[1])})
            return
        if cue and cue[0] == "error":
            self._reply(200, {"ok": False, "error": cue[1]})
            return
        if method not in REQUIRED:
            self._reply(200, {"ok": False, "error": "unknown_method"})
            return
        missing = _missing(method, args)
        if missing:
            self._reply(200, {"ok": False, "error": missing})
            return
        self._reply(200, fake.answer(method, args))

    def _response_url(self, key: str, raw: bytes, content_type: str) -> None:
        fake = self.owner
        with fake._lock:
            known = key in fake.responses
        if not known:
            self._reply(404, "no_such_response_url")
            return
        if content_type != "application/json":
            self._reply(400, "invalid_payload")
            return
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            self._reply(400, "invalid_payload")
            return
        if not isinstance(body, dict) or not (
            body.get("text") or body.get("blocks") or body.get("delete_original")
        ):
            self._reply(400, "no_text")
            return
        fake._record_response(key, body)
        self._reply(200, "ok")
