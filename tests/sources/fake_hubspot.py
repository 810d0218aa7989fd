"""A strict fake of the HubSpot CRM API parts c360 reads, answering as documented at
developers.hubspot.com (CRM search, objects, v4 associations batch read, owners, account info):

- ``POST /crm/v3/objects/{type}/search``: ``filterGroups`` (here: one GTE/GT filter on the
  object's last-modified property), ``sorts``, ``properties``, ``limit`` <= 200, ``after``;
  answers ``total``, ``results`` (``id``, ``properties`` with only the asked ones plus
  ``hs_object_id``, ``createdAt``, ``updatedAt``, ``archived``) and ``paging.next.after``; an
  ``after`` past 10,000 is a 400, as HubSpot caps a search there;
- ``GET /crm/v3/objects/{type}?archived=true`` (paged by ``after``);
- ``POST /crm/v4/associations/{from}/{to}/batch/read`` (``inputs`` of ``{id}``): objects with
  associations under ``results`` (``from.id``, ``to[].toObjectId``, ``associationTypes`` with
  the "Primary" label for a contact's primary company); an object with none is listed under
  ``errors`` (``NO_ASSOCIATIONS_FOUND``) and the answer is then HTTP 207 Multi-Status;
- ``GET /crm/v3/owners``, ``GET /account-info/v3/details``.

``Authorization: Bearer <token>`` or 401 ``INVALID_AUTHENTICATION``. Merging two objects
removes the merged one and lists its id in the survivor's ``hs_merged_object_ids`` (a merged
company's associations move to the survivor). Archiving never changes the last-modified time.
Association changes do not change the objects' last-modified times either, except a contact's:
its read-only ``associatedcompanyid`` follows its primary company, and that is a change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fake_api import Answer, ApiError, FakeApi

TYPES = ("companies", "contacts", "notes", "calls", "emails", "meetings", "tickets")
T0 = 1_700_000_000_000  # ms, 2023-11-14
PORTAL = 424242


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FakeHubSpot(FakeApi):
    name = "fake-hubspot"

    def __init__(self, token: str = "hs-test-token") -> None:
        super().__init__()
        self.token = token
        self.objects: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in TYPES}
        self.archived: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in TYPES}
        self.associations: dict[tuple[str, str], str] = {}  # (type, id) -> company id
        self.owners = [
            {
                "id": "501",
                "email": "dana@vendor.com",
                "firstName": "Dana",
                "lastName": "Lee",
                "userId": 9,
            }
        ]
        self.ms = T0
        self.route("POST", r"/crm/v3/objects/(?P<object_type>\w+)/search", self._search)
        self.route("GET", r"/crm/v3/objects/(?P<object_type>\w+)", self._list)
        self.route(
            "POST", r"/crm/v4/associations/(?P<source>\w+)/(?P<target>\w+)/batch/read", self._assoc
        )
        self.route("GET", r"/crm/v3/owners/?", self._owners)
        self.route(
            "GET",
            r"/account-info/v3/details",
            lambda query, body: {"portalId": PORTAL, "timeZone": "UTC"},
        )

    def modified_property(self, object_type: str) -> str:
        return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"

    # --- data ---------------------------------------------------------------------------
    def put(self, object_type: str, oid: str, company: str | None = None, **props: Any) -> None:
        self.ms += 1000
        if object_type == "contacts" and company is not None:
            props["associatedcompanyid"] = company
        existing = self.objects[object_type].get(oid)
        created = existing["createdAt"] if existing else _iso(self.ms)
        properties = dict(existing["properties"]) if existing else {"createdate": created}
        properties.update({k: (None if v is None else str(v)) for k, v in props.items()})
        properties[self.modified_property(object_type)] = _iso(self.ms)
        properties["hs_object_id"] = oid
        self.objects[object_type][oid] = {
            "id": oid, "properties": properties, "createdAt": created, "updatedAt": _iso(self.ms),
            "archived": False, "_ms": self.ms,
        }  # fmt: skip
        if company is not None:
            self.associate(object_type, oid, company)

    def associate(self, object_type: str, oid: str, company: str | None) -> None:
        """Make ``company`` the object's (only, primary) company; None: no company. Only a
        contact changes with it (its ``associatedcompanyid``)."""
        if company is None:
            self.associations.pop((object_type, oid), None)
        else:
            self.associations[(object_type, oid)] = company
        if object_type == "contacts":
            props = self.objects["contacts"][oid]["properties"]
            if props.get("associatedcompanyid") != company:
                self.put("contacts", oid, associatedcompanyid=company)

    def archive(self, object_type: str, oid: str) -> None:
        self.ms += 1000
        obj = self.objects[object_type].pop(oid)
        self.archived[object_type][oid] = dict(obj, archived=True, archivedAt=_iso(self.ms))

    def merge_companies(self, survivor: str, merged: str) -> None:
        self.merge("companies", survivor, merged)

    def merge(self, object_type: str, survivor: str, merged: str) -> None:
        self.objects[object_type].pop(merged)
        if object_type == "companies":
            for (kind, oid), company in list(self.associations.items()):
                if company == merged:
                    self.associate(kind, oid, survivor)
        else:
            self.associations.pop((object_type, merged), None)
        props = self.objects[object_type][survivor]["properties"]
        ids = ";".join(filter(None, [props.get("hs_merged_object_ids"), merged]))
        self.put(object_type, survivor, hs_merged_object_ids=ids)

    # --- API ----------------------------------------------------------------------------
    def authenticate(self, headers: dict[str, str]) -> None:
        if headers.get("authorization") != f"Bearer {self.token}":
            raise ApiError(401, {
                "status": "error", "category": "INVALID_AUTHENTICATION",
                "message": "Authentication credentials not found.",
            })  # fmt: skip

    def _type(self, object_type: str) -> None:
        if object_type not in TYPES:
            raise ApiError(
                404,
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": f"Unable to infer object type from: {object_type}",
                },
            )

    @staticmethod
    def _view(obj: dict[str, Any], properties: list[str] | None) -> dict[str, Any]:
        props = obj["properties"]
        shown = {k: props.get(k) for k in (properties or [])} | {
            "hs_object_id": props["hs_object_id"]
        }
        out = {k: v for k, v in obj.items() if not k.startswith("_")}
        out["properties"] = shown
        return out

    def _search(self, object_type: str, query, body):
        self._type(object_type)
        if not isinstance(body, dict):
            raise ApiError(
                400, {"status": "error", "category": "VALIDATION_ERROR", "message": "body required"}
            )
        limit = int(body.get("limit", 10))
        if not 1 <= limit <= 200:
            raise ApiError(
                400,
                {
                    "status": "error",
                    "category": "VALIDATION_ERROR",
                    "message": "limit must be 1..200",
                },
            )
        after = int(body.get("after") or 0)
        if after >= 10_000:
            raise ApiError(400, {"status": "error", "category": "VALIDATION_ERROR",
                                 "message": "paging offset (after) may not exceed 10000"})  # fmt: skip
        items = list(self.objects[object_type].values())
        for group in body.get("filterGroups") or []:
            for f in group.get("filters") or []:
                if f.get("propertyName") != self.modified_property(object_type):
                    raise ApiError(400, {"status": "error", "category": "VALIDATION_ERROR",
                                         "message": f"unsupported filter property {f.get('propertyName')}"})  # fmt: skip
                value = int(f["value"])
                op = f.get("operator")
                if op == "GTE":
                    items = [i for i in items if i["_ms"] >= value]
                elif op == "GT":
                    items = [i for i in items if i["_ms"] > value]
                else:
                    raise ApiError(
                        400,
                        {
                            "status": "error",
                            "category": "VALIDATION_ERROR",
                            "message": f"operator {op}",
                        },
                    )
        sorts = body.get("sorts") or []
        descending = bool(sorts) and sorts[0].get("direction") == "DESCENDING"
        items.sort(key=lambda i: (i["_ms"], i["id"]), reverse=descending)
        page = items[after : after + limit]
        answer: dict[str, Any] = {
            "total": len(items),
            "results": [self._view(i, body.get("properties")) for i in page],
        }
        if after + limit < len(items):
            answer["paging"] = {
                "next": {"after": str(after + limit), "link": "?after=" + str(after + limit)}
            }
        return answer

    def _list(self, object_type: str, query, body):
        self._type(object_type)
        source = self.archived if query.get("archived") == "true" else self.objects
        items = sorted(source[object_type].values(), key=lambda i: int(i["id"]))
        limit = int(query.get("limit", 10))
        if not 1 <= limit <= 100:
            raise ApiError(
                400,
                {
                    "status": "error",
                    "category": "VALIDATION_ERROR",
                    "message": "limit must be 1..100",
                },
            )
        after = int(query.get("after") or 0)
        items = [i for i in items if int(i["id"]) > after]
        page = items[:limit]
        answer: dict[str, Any] = {
            "results": [
                self._view(
                    i, query.get("properties", "").split(",") if query.get("properties") else []
                )
                for i in page
            ]
        }
        if len(items) > limit:
            answer["paging"] = {
                "next": {"after": page[-1]["id"], "link": "?after=" + page[-1]["id"]}
            }
        return answer

    def _assoc(self, source: str, target: str, query, body):
        self._type(source)
        self._type(target)
        inputs = (body or {}).get("inputs")
        if not isinstance(inputs, list) or len(inputs) > 1000:
            raise ApiError(
                400,
                {"status": "error", "category": "VALIDATION_ERROR", "message": "inputs: 1..1000"},
            )
        results, errors = [], []
        for item in inputs:
            company = self.associations.get((source, str(item["id"])))
            if company is not None and target == "companies":
                results.append({
                    "from": {"id": str(item["id"])},
                    "to": [{"toObjectId": int(company), "associationTypes": [
                        {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"},
                        {"category": "HUBSPOT_DEFINED", "typeId": 279, "label": None}]}],
                })  # fmt: skip
            else:
                errors.append({
                    "status": "error", "category": "OBJECT_NOT_FOUND",
                    "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                    "message": f"No {target} is associated with {source} {item['id']}.",
                    "context": {"fromObjectId": [str(item["id"])]},
                })  # fmt: skip
        answer: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": _iso(self.ms),
            "completedAt": _iso(self.ms),
        }
        if errors:
            answer |= {"numErrors": len(errors), "errors": errors}
            return Answer(207, answer)
        return answer

    def _owners(self, query, body):
        return {"results": self.owners}
