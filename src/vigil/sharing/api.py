"""Sharing JSON API under /api/v1/sharing: STIX export and import, who received a
report, and deconfliction queries from partner instances. (The TAXII 2.1 server is
in ``taxii.py``.)"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from vigil.platform import audit
from vigil.platform.settings import per_process
from vigil.reports.schemas import RowId, Strict
from vigil.sharing import deconfliction, disseminations, stix_export, stix_import
from vigil.web.deps import ActorDep, PathId, SessionDep, SettingsDep
from vigil.web.problems import problem

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
router = APIRouter(
    prefix="/api/v1/sharing",
    tags=["sharing"],
    responses={
        401: {"description": "Sign-in required", **PROBLEM},
        403: {"description": "Not allowed", **PROBLEM},
        404: {"description": "Not found or not visible to you", **PROBLEM},
        422: {"description": "Invalid input", **PROBLEM},
    },
)


class ExportRequest(Strict):
    report_ids: list[RowId] = Field(min_length=1, max_length=10_000)
    recipient: str = Field(min_length=5, max_length=200, description="Who receives the bundle.")
    reason: str = Field(min_length=5, max_length=2000, description="Why they need to know.")


class BundleIn(Strict):
    """A STIX 2.1 bundle. Its objects are checked one by one by the importer."""

    type: Literal["bundle"]
    id: str = Field(pattern=r"^bundle--[0-9a-fA-F-]{36}$", max_length=44)
    objects: list[Any] = Field(default_factory=list, max_length=stix_import.MAX_OBJECTS)


class ObjectResultPublic(BaseModel):
    index: int
    stix_id: str | None
    type: str | None
    status: str
    message: str
    report_id: int | None


class ImportResultPublic(BaseModel):
    objects: int
    imported: int
    unchanged: int
    rejected: int
    ignored: int
    results: list[ObjectResultPublic]


class DisseminationPublic(BaseModel):
    id: int
    at: datetime
    channel: str
    recipient: str
    by: str
    reason: str
    marking: str
    revoked_at: datetime | None


@router.post(
    "/export",
    response_class=Response,
    responses={200: {"content": {"application/stix+json;version=2.1": {}}}},
)
def export_bundle(body: ExportRequest, db: SessionDep, actor: ActorDep) -> Response:
    """A STIX 2.1 bundle of the reports, each recorded as a dissemination to
    ``recipient``. Refused (404) if any report may not be exported by you."""
    result = stix_export.export_reports(
        db, actor=actor, report_ids=body.report_ids, recipient=body.recipient, reason=body.reason
    )
    return Response(result.bundle, media_type="application/stix+json;version=2.1")


@router.post("/import", response_model=ImportResultPublic)
def import_bundle(
    body: BundleIn, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> ImportResultPublic:
    """Import a STIX 2.1 bundle into your agency's reports. Each object's result says
    imported, unchanged, rejected (with the reason) or ignored."""
    text = json.dumps(body.model_dump(mode="json"), ensure_ascii=False)
    outcome = stix_import.import_bundle(
        db, actor=actor, settings=settings, text=text, channel="api"
    )
    return ImportResultPublic(
        objects=outcome.objects,
        imported=outcome.count("imported"),
        unchanged=outcome.count("unchanged"),
        rejected=outcome.count("rejected"),
        ignored=outcome.count("ignored"),
        results=[ObjectResultPublic(**vars(result)) for result in outcome.results],
    )


@router.get("/reports/{report_id}/disseminations", response_model=list[DisseminationPublic])
def report_disseminations(
    report_id: PathId, db: SessionDep, actor: ActorDep
) -> list[DisseminationPublic]:
    """Who received the report, as far as you may know: every record if your agency
    disseminated it, else those addressed to your agency."""
    return [
        DisseminationPublic(**vars(line))
        for line in disseminations.for_report(db, actor=actor, report_id=report_id)
    ]


class DeconflictionQuery(Strict):
    """Keyed hashes (HMAC-SHA256 with the partners' shared key) of a person's blocked
    identifiers: never the identifiers themselves."""

    digests: list[str] = Field(
        min_length=1,
        max_length=deconfliction.MAX_DIGESTS,
        description="Lower-case hexadecimal HMAC-SHA256 digests, 64 characters each.",
    )


class PointerPublic(BaseModel):
    agency: str
    agency_kind: str


class DeconflictionAnswer(BaseModel):
    pointers: list[PointerPublic]


@router.post(
    "/deconfliction",
    response_model=DeconflictionAnswer,
    responses={
        429: {
            "description": "Too many queries from this account; see Retry-After",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            **PROBLEM,
        }
    },
)
def deconfliction_query(
    request: Request,
    body: DeconflictionQuery,
    db: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> Any:
    """A partner instance asks whether this instance holds records on a person, with
    digests of the person's blocked identifiers; the answer names only the agencies
    to contact. Rate-limited per account and audited."""
    limiter = deconfliction.limiter_for(
        request.app.state, per_process(settings, settings.deconfliction_queries_per_hour)
    )
    if not limiter.hit("answer", actor.user_id):
        audit.record(
            db,
            actor=actor,
            action="deconfliction.answer",
            object_type="deconfliction",
            agency_id=actor.agency_id,
            outcome="failure",
            details={"refused": "rate limit"},
        )
        request.state.commit_on_error = True  # the refusal stays in the audit trail
        return problem(
            429,
            "Too many requests",
            detail="Too many deconfliction queries from this account. Try again later.",
            request=request,
            headers={"Retry-After": "3600"},
        )
    pointers = deconfliction.answer(db, actor=actor, settings=settings, digests=body.digests)
    return DeconflictionAnswer(
        pointers=[PointerPublic(agency=p.agency, agency_kind=p.agency_kind) for p in pointers]
    )
