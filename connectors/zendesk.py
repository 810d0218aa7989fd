"""Zendesk Support in: organizations -> customers, tickets -> complaints, comments -> moments.

Read through the incremental export API, the way Zendesk asks bulk readers to:
organizations (``/api/v2/incremental/organizations.json``, time-based), tickets
(``/api/v2/incremental/tickets/cursor.json``, cursor-based; a deleted ticket comes back with
status ``deleted``), then comments (``/api/v2/incremental/ticket_events.json`` with
``include=comment_events``, time-based). The cursor is one JSON value holding where each of
the three streams left off; every page carries the cursor past itself. As Zendesk documents:
a time-based stream goes on from the answer's ``end_time`` (items at that second may come
again, the content hash makes them no-ops) until ``end_of_stream``; the ticket stream goes on
from ``after_cursor``, which is also where the next sync starts (no start time once a cursor
exists); changes of the last minute come with a later request. A deleted organization comes
with ``deleted_at``: its customer leaves (or, linked to another source's customer, its id and
name leave that customer's aliases, with its tickets). The comments of a ticket a sync rejected
are read again through List Comments once the ticket is valid (``pages_about``). Comment authors are
read in bulk (``/api/v2/users/show_many.json``) to tell a customer (end-user: inbound) from an
agent (public reply: outbound; internal note: internal).

Ids: customers ``zd-org-<id>``, complaints ``zd-<ticket id>``, moments ``zd-<ticket
id>-c<comment id>``. Deep links go to the agent interface on ``<subdomain>.zendesk.com``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from connectors.base import ApiRow, ApiSource, Page, SourceError
from connectors.http import ApiConnector, RequestError

log = logging.getLogger(__name__)

STATUS = {
    "new": "open",
    "open": "open",
    "pending": "in_progress",
    "hold": "in_progress",
    "solved": "resolved",
    "closed": "closed",
}
PER_PAGE = 1000
# Zendesk allows 10 requests a minute on the incremental endpoints (higher with the High Volume
# add-on); a 429 tells us to wait anyway.
DEFAULT_PACE = 6.0


ID_PREFIX = "zd-org-"  # the customers this source mints


def org_id(value: Any) -> str:
    return f"{ID_PREFIX}{value}"


def ticket_id(value: Any) -> str:
    return f"zd-{value}"


def _iso(epoch: Any) -> str | None:
    if epoch in (None, ""):
        return None
    return datetime.fromtimestamp(int(epoch), UTC).isoformat()


def _advance(start: int, end: int, body: dict[str, Any]) -> int:
    """The next start_time of a time-based export. A full page whose items all share its start
    second would be asked for again forever; the next page then starts one second later."""
    if end <= start and not body.get("end_of_stream", True):
        log.warning("zendesk: a full page within one second (%s); moving on by a second", start)
        return start + 1
    return end


class ZendeskConnector(ApiConnector):
    id_prefix = ID_PREFIX  # organization ids
    connector = "zendesk"
    default_pace = DEFAULT_PACE

    def __init__(
        self, source: ApiSource, subdomain: str, email: str, token: str, per_page: int = PER_PAGE
    ) -> None:
        name = source.name
        if not subdomain:
            raise SourceError(
                f"{name}: a zendesk source needs 'subdomain:' (acme for acme.zendesk.com)"
            )
        if not email or not token:
            raise SourceError(
                f"{name}: set ZENDESK_EMAIL and ZENDESK_API_TOKEN (an API token of an admin) "
                "in the environment"
            )
        if not 1 <= int(per_page) <= 1000:
            raise SourceError(f"{name}: per_page must be 1..1000 (Zendesk's limit)")
        self.web = f"https://{subdomain}.zendesk.com"
        token_hint = "ZENDESK_EMAIL and ZENDESK_API_TOKEN"
        super().__init__(source, self.web, token_hint, auth=(f"{email}/token", token))
        self.per_page = int(per_page)
        self._users: dict[int, dict[str, Any]] = {}

    # --- the three streams --------------------------------------------------------------
    def pages(self, cursor: str | None) -> Iterator[Page]:
        state = json.loads(cursor) if cursor else {}
        state.setdefault("orgs", 0)
        state.setdefault("tickets", None)
        state.setdefault("tickets_start", 0)
        state.setdefault("events", 0)
        yield from self._organizations(state)
        yield from self._tickets(state)
        yield from self._comments(state)

    def _organizations(self, state: dict[str, Any]) -> Iterator[Page]:
        while True:
            body = self.api.get(
                "/api/v2/incremental/organizations.json",
                {"start_time": state["orgs"], "per_page": self.per_page},
            )
            orgs = body.get("organizations") or []
            rows = [r for r in (self._organization(o) for o in orgs) if r is not None]
            gone = [o for o in orgs if o.get("deleted_at")]
            deleted = [f"customer:{org_id(o['id'])}" for o in gone]
            names = {org_id(o["id"]): o["name"] for o in gone if o.get("name")}
            end = body.get("end_time")
            if end is not None:
                state["orgs"] = _advance(state["orgs"], int(end), body)
            yield Page(rows, cursor=json.dumps(state), deleted=deleted, names=names)
            if body.get("end_of_stream", True) or end is None:
                return

    def _organization(self, org: dict[str, Any]) -> ApiRow | None:
        if org.get("deleted_at"):
            return None
        domains = [d.lower() for d in org.get("domain_names") or [] if d]
        data = {
            "customer_id": org_id(org["id"]),
            "name": org.get("name") or f"Zendesk organization {org['id']}",
            "aliases": [org_id(org["id"])],
            "domain": domains[0] if domains else None,
            "created_at": org.get("created_at"),
            "url": f"{self.web}/agent/organizations/{org['id']}",
            "zendesk_tags": org.get("tags") or None,
            "notes": org.get("notes") or None,
            "details": org.get("details") or None,
        }
        external = org.get("external_id")
        return ApiRow.of("customer", data, f"organization {org['id']}", external_id=external)

    def _tickets(self, state: dict[str, Any]) -> Iterator[Page]:
        while True:
            params: dict[str, Any] = {"per_page": self.per_page}
            if state["tickets"]:
                params["cursor"] = state["tickets"]
            else:
                params["start_time"] = state["tickets_start"]
            body = self.api.get("/api/v2/incremental/tickets/cursor.json", params)
            rows: list[ApiRow] = []
            deleted: list[str] = []
            for ticket in body.get("tickets") or []:
                if ticket.get("status") == "deleted":
                    deleted.append(f"complaint:{ticket_id(ticket['id'])}")
                else:
                    rows.append(self._ticket(ticket))
            if body.get("after_cursor"):
                state["tickets"] = body["after_cursor"]
            yield Page(rows, cursor=json.dumps(state), deleted=deleted)
            if body.get("end_of_stream", True):
                return

    def _ticket(self, ticket: dict[str, Any]) -> ApiRow:
        tid = ticket["id"]
        status = STATUS.get(str(ticket.get("status") or "open"), "open")
        subject = (ticket.get("subject") or "").strip()
        description = (ticket.get("description") or "").strip()
        text = (
            f"{subject}\n\n{description}".strip()
            if subject and description
            else subject or description
        )
        data = {
            "complaint_id": ticket_id(tid),
            "customer_id": org_id(ticket["organization_id"])
            if ticket.get("organization_id")
            else None,
            "opened_at": ticket.get("created_at"),
            "category": ticket.get("type") or None,
            "text": text or f"Zendesk ticket {tid}",
            "status": status,
            "severity": ticket.get("priority") or None,
            "resolved_at": ticket.get("updated_at") if status in ("resolved", "closed") else None,
            "url": f"{self.web}/agent/tickets/{tid}",
            "zendesk_status": ticket.get("status"),
            "priority": ticket.get("priority") or None,
            "tags": ", ".join(ticket.get("tags") or []) or None,
            "ticket_updated_at": ticket.get("updated_at"),
        }
        return ApiRow.of("complaint", data, f"ticket {tid}")

    def _comments(self, state: dict[str, Any]) -> Iterator[Page]:
        while True:
            body = self.api.get(
                "/api/v2/incremental/ticket_events.json",
                {
                    "start_time": state["events"],
                    "include": "comment_events",
                    "per_page": self.per_page,
                },
            )
            events = body.get("ticket_events") or []
            comments = [
                (event, child)
                for event in events
                for child in event.get("child_events") or []
                if child.get("event_type") == "Comment"
            ]
            self._load_users({c.get("author_id") for _, c in comments})
            rows = [self._comment(event, child) for event, child in comments]
            end = body.get("end_time")
            if end is not None:
                state["events"] = _advance(state["events"], int(end), body)
            yield Page([r for r in rows if r is not None], cursor=json.dumps(state))
            if body.get("end_of_stream", True) or end is None:
                return

    def _comment(self, event: dict[str, Any], comment: dict[str, Any]) -> ApiRow | None:
        tid = event["ticket_id"]
        author = self._users.get(comment.get("author_id")) or {}
        role = author.get("role")
        if not comment.get("public", True):
            direction = "internal"
        elif role == "end-user":
            direction = "inbound"
        else:
            direction = "outbound"
        text = (comment.get("body") or comment.get("plain_body") or "").strip()
        if not text:
            return None
        data = {
            "moment_id": f"{ticket_id(tid)}-c{comment['id']}",
            # No customer_id: a comment belongs to its ticket's customer (the sync service
            # reads it from the complaint), and a deleted ticket's comments are not kept.
            "occurred_at": event.get("created_at") or _iso(event.get("timestamp")),
            "channel": "ticket",
            "direction": direction,
            "author": author.get("name"),
            "text": text,
            "complaint_id": ticket_id(tid),
            "public": bool(comment.get("public", True)),
            "url": f"{self.web}/agent/tickets/{tid}",
        }
        return ApiRow.of("moment", data, f"ticket {tid} comment {comment['id']}")

    def pages_about(self, record_ids: list[str]) -> Iterator[Page]:
        """The comments of these tickets (complaint ids ``zd-<id>``), read again through
        List Comments (``/api/v2/tickets/{id}/comments.json``, cursor-paginated): a sync
        rejected the ticket and skipped its comments, which the time-based event stream does
        not bring again. One page per API page; no cursor moves."""
        for record_id in record_ids:
            tid = record_id.removeprefix("zd-")
            if not tid.isdigit():
                continue
            after = None
            while True:
                params: dict[str, Any] = {"page[size]": 100}
                if after:
                    params["page[after]"] = after
                try:
                    body = self.api.get(f"/api/v2/tickets/{tid}/comments.json", params)
                except RequestError as exc:
                    if exc.status != 404:
                        raise
                    break  # the ticket is gone since; its deletion comes with the tickets
                comments = body.get("comments") or []
                self._load_users({c.get("author_id") for c in comments})
                event = {"ticket_id": int(tid)}
                rows = [
                    self._comment(event | {"created_at": c.get("created_at")}, c) for c in comments
                ]
                yield Page([r for r in rows if r is not None], cursor=None)
                meta = body.get("meta") or {}
                after = meta.get("after_cursor")
                if not (meta.get("has_more") and after):
                    break

    def _load_users(self, ids: set[Any]) -> None:
        wanted = sorted(i for i in ids if i is not None and i not in self._users)
        for start in range(0, len(wanted), 100):
            part = wanted[start : start + 100]
            body = self.api.get("/api/v2/users/show_many.json", {"ids": ",".join(map(str, part))})
            for user in body.get("users") or []:
                self._users[user["id"]] = user
