"""A strict fake of the Zendesk Support API parts c360 reads, answering as documented at
developer.zendesk.com (Incremental Exports; Users show_many):

- ``GET /api/v2/incremental/organizations.json?start_time=`` (time-based: ``organizations``,
  ``end_time``, ``next_page``, ``end_of_stream``, ``count``);
- ``GET /api/v2/incremental/tickets/cursor.json?start_time=|cursor=`` (cursor-based:
  ``tickets``, ``after_cursor``, ``after_url``, ``before_cursor``, ``end_of_stream``; deleted
  tickets come back with status ``deleted``);
- ``GET /api/v2/incremental/ticket_events.json?start_time=&include=comment_events``
  (``ticket_events`` with ``child_events``; comment bodies only with the include);
- ``GET /api/v2/users/show_many.json?ids=`` (at most 100 ids);
- ``GET /api/v2/tickets/{id}/comments.json`` (List Comments, cursor pagination:
  ``page[size]`` at most 100, ``page[after]``; ``comments``, ``meta.has_more``,
  ``meta.after_cursor``, ``links.next``; 404 ``RecordNotFound`` for a ticket that is not there).

A deleted organization comes once more in the organization export, with ``deleted_at`` set.

Basic auth ``{email}/token:{api token}`` or 401 ``Couldn't authenticate you``; ``per_page``
at most 1000; a start_time that is missing or not an integer is a 400. Each change gets its own
second, so pages end cleanly (the real API may repeat items at a page boundary; so may this).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from fake_api import ApiError, FakeApi

T0 = 1_700_000_000  # 2023-11-14


class FakeZendesk(FakeApi):
    name = "fake-zendesk"

    def __init__(self, email: str = "agent@example.com", token: str = "zd-test-token") -> None:
        super().__init__()
        self.email, self.token = email, token
        self.orgs: dict[int, dict[str, Any]] = {}
        self.tickets: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.users: dict[int, dict[str, Any]] = {}
        self.clock = T0
        self._event_id = 1000
        self.route("GET", r"/api/v2/incremental/organizations\.json", self._orgs)
        self.route("GET", r"/api/v2/incremental/tickets/cursor\.json", self._tickets)
        self.route("GET", r"/api/v2/incremental/ticket_events\.json", self._events)
        self.route("GET", r"/api/v2/users/show_many\.json", self._show_many)
        self.route("GET", r"/api/v2/tickets/(?P<tid>\d+)/comments\.json", self._ticket_comments)

    def tick(self) -> int:
        self.clock += 1
        return self.clock

    @staticmethod
    def iso(epoch: int) -> str:
        from datetime import UTC, datetime

        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    # --- data ---------------------------------------------------------------------------
    def add_user(
        self, uid: int, name: str, role: str = "end-user", email: str | None = None
    ) -> None:
        self.users[uid] = {
            "id": uid,
            "name": name,
            "role": role,
            "email": email,
            "url": f"/users/{uid}.json",
        }

    def add_org(
        self, oid: int, name: str, domains: list[str] | None = None, external_id: str | None = None
    ) -> None:
        now = self.tick()
        self.orgs[oid] = {
            "id": oid, "url": f"https://acme.zendesk.com/api/v2/organizations/{oid}.json",
            "name": name, "domain_names": domains or [], "external_id": external_id,
            "details": "", "notes": "", "tags": [], "created_at": self.iso(now),
            "updated_at": self.iso(now), "_t": now,
        }  # fmt: skip

    def delete_org(self, oid: int) -> None:
        now = self.tick()
        self.orgs[oid].update(deleted_at=self.iso(now), updated_at=self.iso(now), _t=now)

    def add_ticket(self, tid: int, org: int | None, subject: str, description: str,
                   status: str = "open", priority: str | None = "normal", type_: str | None = "problem",
                   requester: int | None = None) -> None:  # fmt: skip
        now = self.tick()
        created = self.tickets.get(tid, {}).get("created_at", self.iso(now))
        self.tickets[tid] = {
            "id": tid, "url": f"https://acme.zendesk.com/api/v2/tickets/{tid}.json",
            "subject": subject, "raw_subject": subject, "description": description,
            "status": status, "priority": priority, "type": type_, "organization_id": org,
            "requester_id": requester, "tags": [], "created_at": created,
            "updated_at": self.iso(now), "generated_timestamp": now, "_t": now,
        }  # fmt: skip

    def update_ticket(self, tid: int, **changes: Any) -> None:
        now = self.tick()
        self.tickets[tid].update(changes, updated_at=self.iso(now), generated_timestamp=now, _t=now)

    def delete_ticket(self, tid: int) -> None:
        self.update_ticket(tid, status="deleted")

    def add_comment(self, tid: int, author: int, body: str, public: bool = True) -> int:
        now = self.tick()
        self._event_id += 1
        comment_id = self._event_id
        self._event_id += 1
        self.events.append({
            "id": self._event_id, "ticket_id": tid, "timestamp": now, "created_at": self.iso(now),
            "updater_id": author, "via": "web", "event_type": "Audit",
            "child_events": [{"id": comment_id, "event_type": "Comment", "body": body,
                              "html_body": f"<p>{body}</p>", "public": public, "author_id": author}],
        })  # fmt: skip
        return comment_id

    # --- API ----------------------------------------------------------------------------
    def authenticate(self, headers: dict[str, str]) -> None:
        expected = "Basic " + base64.b64encode(f"{self.email}/token:{self.token}".encode()).decode()
        if headers.get("authorization") != expected:
            raise ApiError(401, {"error": "Couldn't authenticate you"})

    @staticmethod
    def _int(query: dict[str, str], key: str, default: int | None = None) -> int:
        value = query.get(key)
        if value is None:
            if default is None:
                raise ApiError(400, {"error": "InvalidValue", "description": f"{key} is required"})
            return default
        try:
            return int(value)
        except ValueError:
            raise ApiError(
                400, {"error": "InvalidValue", "description": f"{key} must be an integer"}
            ) from None

    def _per_page(self, query: dict[str, str]) -> int:
        per_page = self._int(query, "per_page", 1000)
        if not 1 <= per_page <= 1000:
            raise ApiError(
                400, {"error": "InvalidValue", "description": "per_page must be 1..1000"}
            )
        return per_page

    @staticmethod
    def _public(item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if not k.startswith("_")}

    def _time_page(
        self, items: list[dict[str, Any]], key: str, query: dict[str, str], path: str, t: str = "_t"
    ):
        start = self._int(query, "start_time")
        per_page = self._per_page(query)
        chosen = sorted((i for i in items if i[t] >= start), key=lambda i: (i[t], i["id"]))
        page = chosen[:per_page]
        more = len(chosen) > per_page
        end = page[-1][t] if page else max(start, self.clock)
        return {
            key: [self._public(i) for i in page],
            "count": len(page),
            "end_time": end,
            "next_page": f"{self.base_url}{path}?start_time={end}",
            "end_of_stream": not more,
        }

    def _orgs(self, query, body):
        return self._time_page(
            list(self.orgs.values()),
            "organizations",
            query,
            "/api/v2/incremental/organizations.json",
        )

    def _events(self, query, body):
        events = [dict(e, _t=e["timestamp"]) for e in self.events]
        page = self._time_page(
            events, "ticket_events", query, "/api/v2/incremental/ticket_events.json"
        )
        if query.get("include") != "comment_events":
            for event in page["ticket_events"]:
                event.pop("child_events", None)
        return page

    def _tickets(self, query, body):
        per_page = self._per_page(query)
        if "cursor" in query:
            try:
                position = json.loads(base64.urlsafe_b64decode(query["cursor"].encode()))
            except ValueError:
                raise ApiError(400, {"error": "InvalidCursor"}) from None
        else:
            position = [self._int(query, "start_time"), -1]
        ordered = sorted(self.tickets.values(), key=lambda t: (t["_t"], t["id"]))
        after = [t for t in ordered if (t["_t"], t["id"]) > tuple(position)]
        page = after[:per_page]
        last = [page[-1]["_t"], page[-1]["id"]] if page else position
        cursor = base64.urlsafe_b64encode(json.dumps(last).encode()).decode()
        return {
            "tickets": [self._public(t) for t in page],
            "after_cursor": cursor,
            "after_url": f"{self.base_url}/api/v2/incremental/tickets/cursor.json?cursor={cursor}",
            "before_cursor": None,
            "before_url": None,
            "end_of_stream": len(after) <= per_page,
        }

    def _ticket_comments(self, tid: str, query, body):
        ticket = self.tickets.get(int(tid))
        if ticket is None or ticket["status"] == "deleted":
            raise ApiError(404, {"error": "RecordNotFound", "description": "Not found"})
        size = self._int(query, "page[size]", 100)
        if not 1 <= size <= 100:
            raise ApiError(
                400, {"error": "InvalidPaginationParameter", "description": "page[size] 1..100"}
            )
        comments = [
            dict(child, type="Comment", created_at=event["created_at"], audit_id=event["id"])
            for event in self.events
            if event["ticket_id"] == int(tid)
            for child in event["child_events"]
            if child["event_type"] == "Comment"
        ]
        for comment in comments:
            comment.pop("event_type")
        start = 0
        if query.get("page[after]"):
            try:
                start = int(base64.urlsafe_b64decode(query["page[after]"].encode()))
            except ValueError:
                raise ApiError(400, {"error": "InvalidPaginationParameter"}) from None
        page = comments[start : start + size]
        more = start + size < len(comments)
        after = base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None
        path = f"{self.base_url}/api/v2/tickets/{tid}/comments.json"
        return {
            "comments": page,
            "meta": {"has_more": more, "after_cursor": after, "before_cursor": None},
            "links": {"next": f"{path}?page[after]={after}" if more else None, "prev": None},
        }

    def _show_many(self, query, body):
        ids = [i for i in (query.get("ids") or "").split(",") if i]
        if not ids or len(ids) > 100:
            raise ApiError(400, {"error": "InvalidValue", "description": "ids: 1 to 100 ids"})
        return {"users": [self.users[int(i)] for i in ids if int(i) in self.users]}
