"""HubSpot CRM in: companies -> customers, contacts -> a customer's people, notes, calls,
emails and meetings -> moments, tickets -> complaints.

Incremental through the CRM search API (``POST /crm/v3/objects/<type>/search``), filtered on
the last-modified property (``hs_lastmodifieddate``; ``lastmodifieddate`` for contacts) at or
after the cursor, sorted ascending, paginated by ``after``. A search stops at 10,000 results,
so a long backlog restarts the search from the newest modified time it has read. Objects are
tied to their company through the v4 associations batch read (the association labelled
"Primary" when there are several); a contact's primary company is also its read-only
``associatedcompanyid`` property, which HubSpot keeps in step with its associations, so a
contact moved to another company is modified and read again, though the companies are not.
An activity moved to another company without a change of its own is read again by ``--full``.
Archived objects (``GET /crm/v3/objects/<type>?archived=true``, every sync: HubSpot keeps them
there 90 days) are removed from c360: a company with its records, a contact from its company's
record. A company merged into another (``hs_merged_object_ids`` on the survivor) is redirected
to the survivor with its contacts; a contact, activity or ticket merged away is removed (the
survivor is modified and read again).

Ids: ``hs-<company id>`` for customers, ``hs-<type>-<id>`` for moments and complaints. Deep
links open the record in ``app.hubspot.com`` (the portal id comes from ``/account-info``).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from connectors.base import ApiRow, ApiSource, Page, SourceError
from connectors.http import ApiConnector

SEARCH_LIMIT = 100  # results per search page (HubSpot allows up to 200)
SEARCH_CAP = 10_000  # HubSpot returns no result past this offset of one search
# HubSpot's search endpoints allow 5 requests a second per account.
DEFAULT_PACE = 0.2
ENGAGEMENTS = {
    "notes": ("note", ("hs_note_body",), None),
    "calls": ("call", ("hs_call_title", "hs_call_body"), "hs_call_direction"),
    "emails": ("email", ("hs_email_subject", "hs_email_text"), "hs_email_direction"),
    "meetings": ("meeting", ("hs_meeting_title", "hs_meeting_body"), None),
}
OBJECT_TYPE_IDS = {"companies": "0-2", "contacts": "0-1", "tickets": "0-5"}
_TAG = re.compile(r"<[^>]+>")


ID_PREFIX = "hs-"  # the customers this source mints


def company_id(value: Any) -> str:
    return f"{ID_PREFIX}{value}"


def contact_id(value: Any) -> str:
    return f"hs-contact-{value}"


def _plain(value: Any) -> str:
    return html.unescape(_TAG.sub(" ", str(value or ""))).strip()


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _millis(value: str | None) -> int | None:
    if not value:
        return None
    if str(value).isdigit():
        return int(value)
    return int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp() * 1000)


def _when(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if str(value).isdigit():
        return datetime.fromtimestamp(int(value) / 1000, UTC).isoformat()
    return str(value)


class HubSpotConnector(ApiConnector):
    id_prefix = ID_PREFIX  # company ids
    connector = "hubspot"
    default_pace = DEFAULT_PACE

    def __init__(
        self,
        source: ApiSource,
        token: str,
        arr_property: str = "arr",
        external_id_property: str | None = None,
    ) -> None:
        if not token:
            raise SourceError(
                f"{source.name}: set HUBSPOT_TOKEN (a private app's access token) in the environment"
            )
        bearer = {"Authorization": f"Bearer {token}"}
        super().__init__(source, "https://api.hubapi.com", "HUBSPOT_TOKEN", headers=bearer)
        self.arr_property = arr_property
        self.external_id_property = external_id_property
        self._owners: dict[str, str] | None = None
        self._portal: str | None = None

    def pages(self, cursor: str | None) -> Iterator[Page]:
        state: dict[str, Any] = json.loads(cursor) if cursor else {}
        self._load_owners()
        yield from self._search("companies", state, self._company)
        yield from self._search("contacts", state, self._contact)
        for object_type in ENGAGEMENTS:
            yield from self._search(object_type, state, self._engagement(object_type))
        yield from self._search("tickets", state, self._ticket)
        yield from self._archived(state)

    # --- reading ----------------------------------------------------------------------
    def _load_owners(self) -> None:
        if self._owners is not None:
            return
        owners: dict[str, str] = {}
        after = None
        while True:
            params: dict[str, Any] = {"limit": 100}
            if after:
                params["after"] = after
            body = self.api.get("/crm/v3/owners", params)
            for owner in body.get("results") or []:
                full = " ".join(p for p in (owner.get("firstName"), owner.get("lastName")) if p)
                owners[str(owner["id"])] = full or owner.get("email") or str(owner["id"])
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                break
        self._owners = owners
        try:
            self._portal = (
                str(self.api.get("/account-info/v3/details").get("portalId") or "") or None
            )
        except SourceError:
            self._portal = None  # no deep links without it; the records still sync

    def _link(self, object_type: str, oid: Any) -> str | None:
        if not self._portal:
            return None
        type_id = OBJECT_TYPE_IDS.get(object_type)
        if type_id is None:
            return None
        return f"https://app.hubspot.com/contacts/{self._portal}/record/{type_id}/{oid}"

    def _properties(self, object_type: str) -> list[str]:
        if object_type == "companies":
            props = ["name", "domain", "hubspot_owner_id", "lifecyclestage", "industry",
                     "createdate", "hs_lastmodifieddate", "hs_merged_object_ids", self.arr_property]  # fmt: skip
            if self.external_id_property:
                props.append(self.external_id_property)
            return props
        if object_type == "contacts":
            return ["email", "firstname", "lastname", "jobtitle", "lastmodifieddate",
                    "associatedcompanyid", "hs_merged_object_ids"]  # fmt: skip
        if object_type == "tickets":
            return ["subject", "content", "hs_ticket_priority", "hs_ticket_category",
                    "hs_pipeline_stage", "createdate", "closed_date", "hs_lastmodifieddate",
                    "hs_merged_object_ids"]  # fmt: skip
        _, fields, direction = ENGAGEMENTS[object_type]
        props = [*fields, "hs_timestamp", "hs_lastmodifieddate", "hubspot_owner_id"]
        return props + ([direction] if direction else [])

    def _search(self, object_type: str, state: dict[str, Any], convert) -> Iterator[Page]:
        modified = "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"
        mine = state.setdefault(object_type, {"since": 0, "after": None})
        newest = mine["since"]
        while True:
            body: dict[str, Any] = {
                "filterGroups": [
                    {
                        "filters": [
                            {
                                "propertyName": modified,
                                "operator": "GTE",
                                "value": str(mine["since"]),
                            }
                        ]
                    }
                ],
                "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
                "properties": self._properties(object_type),
                "limit": SEARCH_LIMIT,
            }
            if mine["after"]:
                body["after"] = mine["after"]
            answer = self.api.post(f"/crm/v3/objects/{object_type}/search", body)
            results = answer.get("results") or []
            companies = self._companies_of(object_type, [r["id"] for r in results])
            rows: list[ApiRow] = []
            merged: dict[str, str] = {}
            deleted: list[str] = []
            for result in results:
                props = result.get("properties") or {}
                stamp = _millis(props.get(modified) or result.get("updatedAt"))
                if stamp is not None:
                    newest = max(newest, stamp)
                row = convert(result, companies.get(str(result["id"])))
                if row is not None:
                    rows.append(row)
                for old in filter(None, str(props.get("hs_merged_object_ids") or "").split(";")):
                    if object_type == "companies":
                        merged[company_id(old)] = company_id(result["id"])
                    else:
                        deleted.append(self._record_id(object_type, old))
            after = ((answer.get("paging") or {}).get("next") or {}).get("after")
            if after and int(after) < SEARCH_CAP:
                mine["after"] = after
            else:
                # Done, or at the search's cap: the next search starts at the newest time read
                # (GTE: records sharing that time are read again, unchanged).
                mine["since"], mine["after"] = newest, None
            yield Page(
                rows, cursor=json.dumps(state), merged=merged, deleted=[d for d in deleted if d]
            )
            if not after:
                return

    def _companies_of(self, object_type: str, ids: list[str]) -> dict[str, str]:
        """object id -> its first associated company id (v4 batch associations read)."""
        if object_type == "companies" or not ids:
            return {}
        found: dict[str, str] = {}
        for start in range(0, len(ids), 100):
            answer = self.api.post(
                f"/crm/v4/associations/{object_type}/companies/batch/read",
                {"inputs": [{"id": str(i)} for i in ids[start : start + 100]]},
            )
            # An object with no company is listed under "errors" (HTTP 207), not "results".
            for result in answer.get("results") or []:
                targets = result.get("to") or []
                primary = [
                    t
                    for t in targets
                    if any(a.get("label") == "Primary" for a in t.get("associationTypes") or [])
                ]
                if targets:
                    found[str(result["from"]["id"])] = str((primary or targets)[0]["toObjectId"])
        return found

    def _archived(self, state: dict[str, Any]) -> Iterator[Page]:
        for object_type in ("companies", "contacts", *ENGAGEMENTS, "tickets"):
            after = None
            while True:
                params: dict[str, Any] = {"archived": "true", "limit": 100}
                if after:
                    params["after"] = after
                answer = self.api.get(f"/crm/v3/objects/{object_type}", params)
                gone = [self._record_id(object_type, r["id"]) for r in answer.get("results") or []]
                yield Page([], cursor=json.dumps(state), deleted=[g for g in gone if g])
                after = ((answer.get("paging") or {}).get("next") or {}).get("after")
                if not after:
                    break

    @staticmethod
    def _record_id(object_type: str, oid: Any) -> str | None:
        if object_type == "companies":
            return f"customer:{company_id(oid)}"
        if object_type == "contacts":
            return f"person:{contact_id(oid)}"  # a line of its company's record, not a record
        if object_type == "tickets":
            return f"complaint:hs-ticket-{oid}"
        return f"moment:hs-{ENGAGEMENTS[object_type][0]}-{oid}"

    # --- objects -> rows --------------------------------------------------------------
    def _company(self, result: dict[str, Any], _company: str | None) -> ApiRow:
        p = result.get("properties") or {}
        oid = result["id"]
        external = p.get(self.external_id_property) if self.external_id_property else None
        data = {
            "customer_id": company_id(oid),
            "name": p.get("name") or f"HubSpot company {oid}",
            "aliases": [company_id(oid)],
            "domain": (p.get("domain") or "").lower() or None,
            "owner": (self._owners or {}).get(str(p.get("hubspot_owner_id") or "")),
            "arr": _number(p.get(self.arr_property)),
            "created_at": p.get("createdate") or result.get("createdAt"),
            "url": self._link("companies", oid),
            "lifecycle_stage": p.get("lifecyclestage") or None,
            "industry": p.get("industry") or None,
        }
        return ApiRow.of("customer", data, f"company {oid}", external_id=external)

    def _contact(self, result: dict[str, Any], company: str | None) -> ApiRow:
        p = result.get("properties") or {}
        company = p.get("associatedcompanyid") or company
        name = " ".join(x for x in (p.get("firstname"), p.get("lastname")) if x) or None
        data = {
            "person_id": contact_id(result["id"]),
            # None: the contact belongs to no company (any more); it leaves the one it was on
            "customer_id": company_id(company) if company else None,
            "email": (p.get("email") or "").lower() or None,
            "name": name,
            "title": p.get("jobtitle") or None,
        }
        return ApiRow.of("person", data, f"contact {result['id']}")

    def _engagement(self, object_type: str):
        channel, fields, direction_prop = ENGAGEMENTS[object_type]

        def convert(result: dict[str, Any], company: str | None) -> ApiRow:
            p = result.get("properties") or {}
            oid = result["id"]
            parts = [_plain(p.get(f)) for f in fields]
            direction = "internal" if channel in ("note", "meeting") else "outbound"
            raw = str(p.get(direction_prop) or "").upper() if direction_prop else ""
            if raw in ("INBOUND", "INCOMING_EMAIL"):
                direction = "inbound"
            data = {
                "moment_id": f"hs-{channel}-{oid}",
                "customer_id": company_id(company) if company else None,
                "occurred_at": _when(p.get("hs_timestamp")) or result.get("createdAt"),
                "channel": channel,
                "direction": direction,
                "author": (self._owners or {}).get(str(p.get("hubspot_owner_id") or "")),
                "text": "\n\n".join(x for x in parts if x) or f"HubSpot {channel} {oid}",
                "url": self._link("companies", company) if company else None,
            }
            return ApiRow.of("moment", data, f"{channel} {oid}")

        return convert

    def _ticket(self, result: dict[str, Any], company: str | None) -> ApiRow:
        p = result.get("properties") or {}
        oid = result["id"]
        subject = _plain(p.get("subject"))
        content = _plain(p.get("content"))
        closed = p.get("closed_date") or None
        data = {
            "complaint_id": f"hs-ticket-{oid}",
            "customer_id": company_id(company) if company else None,
            "opened_at": p.get("createdate") or result.get("createdAt"),
            "text": "\n\n".join(x for x in (subject, content) if x) or f"HubSpot ticket {oid}",
            "category": p.get("hs_ticket_category") or None,
            "severity": (p.get("hs_ticket_priority") or "").lower() or None,
            "status": "closed" if closed else "open",
            "resolved_at": closed,
            "url": self._link("tickets", oid),
            "pipeline_stage": p.get("hs_pipeline_stage") or None,
        }
        return ApiRow.of("complaint", data, f"ticket {oid}")
