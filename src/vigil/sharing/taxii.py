"""The TAXII 2.1 server: discovery, one API root, one collection per sharing group the
caller's agency owns or belongs to, objects (filters added_after, match[id],
match[type], match[version]; pagination by limit and next, with the
X-TAXII-Date-Added-First/Last headers), one object, and the manifest.

Callers authenticate with a Vigil API token, sent as ``Authorization: Bearer <token>``
(or ``Token <token>``, as taxii2-client's TokenAuth sends it). Every answer has the
media type application/taxii+json;version=2.1, and a request that accepts neither it
nor any JSON is answered 406. What a collection serves is decided by the owning
agency's shares. A collection is writable (``can_write``) to members and the owner
whose role may import STIX: objects added to it are imported by the STIX importer into
the sender's own agency (never served back in the collection), and the answer is a
TAXII status resource, kept and readable again at /status/{id}/ by the sender's agency.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from vigil.platform import actor as actors
from vigil.platform import policy, sessions
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.models import User
from vigil.platform.types import utcnow
from vigil.sharing import groups, stix_import, taxii_feed
from vigil.sharing.models import SharingGroup, TaxiiStatus
from vigil.sharing.stix_mapping import stix_time
from vigil.web.deps import SessionDep, SignInRequired, current_actor, get_settings

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
ROOT = "/api/taxii2"
API_ROOT = f"{ROOT}/vigil"
MAX_CONTENT_LENGTH = 10 * 1024 * 1024

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
router = APIRouter(
    prefix=ROOT,
    tags=["taxii"],
    responses={
        401: {"description": "A Vigil API token is required", **PROBLEM},
        403: {"description": "Not allowed", **PROBLEM},
        404: {"description": "Not found or not visible to you", **PROBLEM},
        406: {"description": "The client accepts neither TAXII nor JSON", **PROBLEM},
        422: {"description": "Invalid filter or pagination", **PROBLEM},
    },
)


def _accepts_taxii(request: Request) -> None:
    accept = request.headers.get("accept", "").replace(" ", "").lower()
    if not accept:
        return
    wanted = ("application/taxii+json", "application/json", "application/*", "*/*")
    if not any(kind in accept for kind in wanted):
        raise HTTPException(406, f"This server answers with {TAXII_MEDIA_TYPE}.")
    if "application/taxii+json;version=" in accept and "version=2.1" not in accept:
        raise HTTPException(406, f"This server answers with {TAXII_MEDIA_TYPE}.")


def taxii_actor(request: Request, db: SessionDep) -> Actor:
    """The caller, from a Vigil API token as Bearer or as taxii2-client's Token scheme."""
    _accepts_taxii(request)
    header = request.headers.get("authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "token":
        return current_actor(request, db, get_settings(request))
    token = sessions.resolve_api_token(db, raw.strip())
    user = db.get(User, token.user_id) if token else None
    if user is None or not user.is_active or not user.agency.active:
        raise SignInRequired()
    actor = actors.for_user(
        user,
        request_id=request.state.request_id,
        source_address=request.state.source_address,
        via="api",
    )
    request.state.actor, request.state.user = actor, user
    return actor


TaxiiActor = Annotated[Actor, Depends(taxii_actor)]


def taxii(
    body: dict[str, Any], status_code: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, media_type=TAXII_MEDIA_TYPE, headers=headers)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/", summary="TAXII 2.1 discovery")
def discovery(request: Request, actor: TaxiiActor) -> JSONResponse:
    """What this TAXII server offers: one API root."""
    policy.authorize(actor, "list", "sharing_group")
    root = f"{_base(request)}{API_ROOT}/"
    return taxii(
        {
            "title": "Vigil TAXII 2.1",
            "description": "Reports shared with sharing groups, one collection per group.",
            "default": root,
            "api_roots": [root],
        }
    )


@router.get("/vigil/", summary="TAXII 2.1 API root")
def api_root(actor: TaxiiActor) -> JSONResponse:
    policy.authorize(actor, "list", "sharing_group")
    return taxii(
        {
            "title": "Vigil sharing groups",
            "description": "One collection per sharing group your agency owns or belongs to.",
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": MAX_CONTENT_LENGTH,
        }
    )


def _collection(db: Session, actor: Actor, group: SharingGroup) -> dict[str, Any]:
    writable = policy.decide(actor, "write_collection", "sharing_group", groups.facts(db, group))
    return {
        "id": group.collection_id,
        "title": group.name,
        "description": group.description or f"Reports shared with the sharing group {group.name}.",
        "can_read": True,
        "can_write": writable,
        "media_types": [taxii_feed.STIX_MEDIA_TYPE],
    }


def _readable(db: Session, actor: Actor) -> list[SharingGroup]:
    return [
        g
        for g in groups.list_groups(db, actor=actor)
        if policy.decide(actor, "read_collection", "sharing_group", groups.facts(db, g))
    ]


@router.get("/vigil/collections/", summary="TAXII 2.1 collections")
def collections(db: SessionDep, actor: TaxiiActor) -> JSONResponse:
    found = _readable(db, actor)
    return taxii({"collections": [_collection(db, actor, g) for g in found]} if found else {})


COLLECTION_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
OBJECT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}--[0-9a-fA-F-]{36}$")


def _group(db: Session, actor: Actor, collection_id: str) -> SharingGroup:
    if not COLLECTION_ID.match(collection_id):
        raise NotFound("sharing_group")
    return groups.load_by_collection(db, actor=actor, collection_id=collection_id)


@router.get("/vigil/collections/{collection_id}/", summary="TAXII 2.1 collection")
def collection(collection_id: str, db: SessionDep, actor: TaxiiActor) -> JSONResponse:
    return taxii(_collection(db, actor, _group(db, actor, collection_id)))


def _filters(request: Request, added_after: str | None) -> taxii_feed.Filters:
    moment = None
    if added_after:
        try:
            moment = datetime.fromisoformat(added_after.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(
                {"added_after": "Give a STIX timestamp, e.g. 2026-05-01T00:00:00.000Z."}
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)

    def values(name: str) -> frozenset[str]:
        found: set[str] = set()
        for value in request.query_params.getlist(name):
            found.update(part.strip() for part in value.split(",") if part.strip())
        if len(found) > 100 or any(len(v) > 100 for v in found):
            raise InvalidInput({name: "At most 100 values of up to 100 characters."})
        return frozenset(found)

    return taxii_feed.Filters(
        added_after=moment,
        ids=values("match[id]"),
        types=values("match[type]"),
        versions=values("match[version]"),
    )


def _limit(limit: int | None) -> int:
    if limit is None:
        return taxii_feed.DEFAULT_LIMIT
    return max(1, min(limit, taxii_feed.MAX_LIMIT))


def _date_headers(page: taxii_feed.Page) -> dict[str, str]:
    if not page.added:
        return {}
    return {
        "X-TAXII-Date-Added-First": stix_time(min(page.added)),
        "X-TAXII-Date-Added-Last": stix_time(max(page.added)),
    }


def _page(
    request: Request,
    db: Session,
    actor: Actor,
    collection_id: str,
    *,
    added_after: str | None,
    limit: int | None,
    next_page: str | None,
    extra_ids: frozenset[str] = frozenset(),
    action: str,
) -> tuple[taxii_feed.Page, dict[str, str]]:
    group = _group(db, actor, collection_id)
    filters = _filters(request, added_after)
    if extra_ids:
        filters = taxii_feed.Filters(
            filters.added_after, extra_ids, filters.types, filters.versions
        )
    page = taxii_feed.read_page(
        db, group, filters=filters, limit=_limit(limit), cursor=taxii_feed.parse_cursor(next_page)
    )
    taxii_feed.audit_read(db, actor=actor, group=group, page=page, action=action)
    return page, _date_headers(page)


def _envelope(page: taxii_feed.Page, body: dict[str, Any]) -> dict[str, Any]:
    if page.more:
        body = {"more": True, "next": page.next, **body}
    elif body.get("objects") is not None:
        body = {"more": False, **body}
    return body


Limit = Annotated[int | None, Query(ge=1, le=1_000_000)]
AddedAfter = Annotated[str | None, Query(max_length=40)]
Next = Annotated[str | None, Query(alias="next", max_length=40)]


@router.get("/vigil/collections/{collection_id}/objects/", summary="TAXII 2.1 objects")
def objects(
    request: Request,
    collection_id: str,
    db: SessionDep,
    actor: TaxiiActor,
    added_after: AddedAfter = None,
    limit: Limit = None,
    next_page: Next = None,
) -> JSONResponse:
    page, headers = _page(
        request,
        db,
        actor,
        collection_id,
        added_after=added_after,
        limit=limit,
        next_page=next_page,
        action="objects",
    )
    body = _envelope(page, {"objects": page.objects} if page.objects else {})
    return taxii(body, headers=headers)


@router.get("/vigil/collections/{collection_id}/objects/{object_id}/", summary="TAXII 2.1 object")
def one_object(
    request: Request,
    collection_id: str,
    object_id: str,
    db: SessionDep,
    actor: TaxiiActor,
    limit: Limit = None,
    next_page: Next = None,
) -> JSONResponse:
    if not OBJECT_ID.match(object_id):
        raise NotFound("stix_object")
    page, headers = _page(
        request,
        db,
        actor,
        collection_id,
        added_after=None,
        limit=limit,
        next_page=next_page,
        extra_ids=frozenset({object_id}),
        action="object",
    )
    if not page.objects and not page.more:
        raise NotFound("stix_object")
    return taxii(_envelope(page, {"objects": page.objects[:1]}), headers=headers)


@router.get("/vigil/collections/{collection_id}/manifest/", summary="TAXII 2.1 manifest")
def manifest(
    request: Request,
    collection_id: str,
    db: SessionDep,
    actor: TaxiiActor,
    added_after: AddedAfter = None,
    limit: Limit = None,
    next_page: Next = None,
) -> JSONResponse:
    page, headers = _page(
        request,
        db,
        actor,
        collection_id,
        added_after=added_after,
        limit=limit,
        next_page=next_page,
        action="manifest",
    )
    records = [
        {
            "id": obj["id"],
            "date_added": stix_time(added),
            "version": taxii_feed.version_of(obj, added),
            "media_type": taxii_feed.STIX_MEDIA_TYPE,
        }
        for obj, added in zip(page.objects, page.added, strict=True)
    ]
    return taxii(_envelope(page, {"objects": records} if records else {}), headers=headers)


STATUS_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _status_body(row: TaxiiStatus) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": row.id,
        "status": row.status,
        "request_timestamp": stix_time(row.request_timestamp),
        "total_count": row.total_count,
        "success_count": row.success_count,
        "failure_count": row.failure_count,
        "pending_count": row.pending_count,
    }
    if row.successes:
        body["successes"] = row.successes
    if row.failures:
        body["failures"] = row.failures
    return body


def _detail(raw: Any, message: str) -> dict[str, Any]:
    obj = raw if isinstance(raw, dict) else {}
    stix_id = obj.get("id")
    detail: dict[str, Any] = {"id": stix_id[:100] if isinstance(stix_id, str) else "unknown"}
    version = obj.get("modified") or obj.get("created")
    if isinstance(version, str):
        detail["version"] = version[:40]
    if message:
        detail["message"] = message[:500]
    return detail


async def _envelope_text(request: Request) -> bytes:
    kind = request.headers.get("content-type", "").replace(" ", "").lower()
    if not kind.startswith(("application/taxii+json", "application/json")) or (
        "version=" in kind and "version=2.1" not in kind
    ):
        raise HTTPException(415, f"Send a TAXII envelope as {TAXII_MEDIA_TYPE}.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_CONTENT_LENGTH:
        raise HTTPException(413, f"The envelope is larger than {MAX_CONTENT_LENGTH} bytes.")
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > MAX_CONTENT_LENGTH:
            raise HTTPException(413, f"The envelope is larger than {MAX_CONTENT_LENGTH} bytes.")
    return bytes(data)


@router.post(
    "/vigil/collections/{collection_id}/objects/",
    summary="TAXII 2.1 add objects",
    status_code=202,
    responses={
        413: {"description": "The envelope is too large", **PROBLEM},
        415: {"description": "Not a TAXII 2.1 envelope", **PROBLEM},
    },
)
async def add_objects(
    request: Request, collection_id: str, db: SessionDep, actor: TaxiiActor
) -> JSONResponse:
    """Import an envelope's objects into your agency through the STIX importer (every
    object checked on its own; URLs in them never fetched). Answers the status resource
    (complete: the import runs before the answer)."""
    group = _group(db, actor, collection_id)
    policy.authorize(actor, "write_collection", "sharing_group", groups.facts(db, group))
    text = await _envelope_text(request)
    try:
        raw_objects = stix_import.read_objects(text)
    except stix_import.BundleRefused as refused:  # named as the envelope's field
        raise InvalidInput({"objects": refused.errors["bundle"]}) from None
    if not raw_objects:
        raise InvalidInput({"objects": "The envelope has no objects."})
    settings = get_settings(request)
    outcome = stix_import.import_bundle(
        db, actor=actor, settings=settings, text=text, channel="taxii"
    )
    by_index = {result.index: result for result in outcome.results}
    successes: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_objects):
        result = by_index.get(index)
        if result is not None and result.status == "rejected":
            failures.append(_detail(raw, result.message or "rejected"))
        elif result is not None:
            successes.append(_detail(raw, f"{result.status}: {result.message}".rstrip(": ")))
        else:
            successes.append(_detail(raw, "read: a supporting object, not stored on its own"))
    user_id, agency_id = actor.member_ids()
    row = TaxiiStatus(
        id=str(uuid.uuid4()),
        agency_id=agency_id,
        user_id=user_id,
        group_id=group.id,
        status="complete",
        request_timestamp=utcnow(),
        total_count=len(raw_objects),
        success_count=len(successes),
        failure_count=len(failures),
        pending_count=0,
        successes=successes,
        failures=failures,
    )
    db.add(row)
    db.flush()
    return taxii(_status_body(row), status_code=202)


@router.get("/vigil/status/{status_id}/", summary="TAXII 2.1 status")
def status(status_id: str, db: SessionDep, actor: TaxiiActor) -> JSONResponse:
    """The status of an add-objects request your agency sent (for those who may import)."""
    policy.authorize(actor, "import", "stix_import")
    row = db.get(TaxiiStatus, status_id) if STATUS_ID.match(status_id) else None
    if row is None or not policy.decide(actor, "read_status", "stix_import", row):
        raise NotFound("stix_import")  # named as the policy type, so a refusal is audited
    return taxii(_status_body(row))
