"""Report intake JSON API under /api/v1/reports: file (idempotent), list, read, act."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status
from pydantic import AwareDatetime, BaseModel, Field

from vigil.reports import file_classes, handling, service
from vigil.reports.schemas import (
    Receipt,
    ReportCreate,
    ReportPublic,
    ReportSummary,
    RowId,
    Strict,
)
from vigil.reports.vocabulary import Behavior, ReportKind, Source, UrgencyLevel
from vigil.web.deps import ActorDep, PathId, QueryId, SessionDep, SettingsDep

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
router = APIRouter(
    prefix="/api/v1/reports",
    tags=["reports"],
    responses={
        401: {"description": "Sign-in required", **PROBLEM},
        403: {"description": "Not allowed", **PROBLEM},
        404: {"description": "Not found or not visible to you", **PROBLEM},
        409: {"description": "Idempotency-Key reused for another body", **PROBLEM},
        422: {"description": "Invalid input", **PROBLEM},
    },
)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string (a UUID). A retry with the same key and body returns "
        "the original receipt and never creates a duplicate.",
    ),
]


def public(report: Any) -> ReportPublic:
    return ReportPublic.model_validate(
        {
            **{
                name: getattr(report, name)
                for name in ReportPublic.model_fields
                if name not in ("shared_agency_ids", "effective_level")
            },
            "effective_level": report.effective_level,
            "shared_agency_ids": sorted(report.shared_agency_ids),
        }
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def file_report(
    body: ReportCreate,
    actor: ActorDep,
    db: SessionDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Receipt:
    """File a report for your agency. The receipt is sent only after the report, its
    mentions and its audit record are durably committed together."""
    report, duplicate = service.create_report(
        db,
        actor=actor,
        settings=settings,
        data=body,
        source=Source.API,
        idempotency_key=idempotency_key,
    )
    if duplicate:
        response.status_code = status.HTTP_200_OK
    return Receipt(
        id=report.id,
        receipt_number=report.receipt_number,
        reported_at=report.reported_at,
        duplicate=duplicate,
    )


class Page(BaseModel):
    items: list[ReportSummary]
    total: int
    limit: int
    offset: int


@router.get("")
def list_reports(
    actor: ActorDep,
    db: SessionDep,
    kind: ReportKind | None = None,
    behavior: Behavior | None = None,
    level: UrgencyLevel | None = None,
    agency_id: QueryId = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    include_disposed: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Page:
    """The triage queue: reports you may see, most urgent first."""
    filters = service.QueueFilter(
        agency_id=agency_id,
        kind=kind.value if kind else None,
        behavior=behavior.value if behavior else None,
        level=level.value if level else None,
        since=since,
        until=until,
        unassessed_only=not include_disposed,
    )
    rows, total = service.list_reports(db, actor=actor, filters=filters, limit=limit, offset=offset)
    return Page(
        items=[ReportSummary.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/{report_id}")
def get_report(report_id: PathId, actor: ActorDep, db: SessionDep) -> ReportPublic:
    """One report (every read is audited)."""
    return public(service.get_report(db, actor=actor, report_id=report_id))


@router.post("/{report_id}/acknowledge")
def acknowledge(report_id: PathId, actor: ActorDep, db: SessionDep) -> ReportSummary:
    return ReportSummary.model_validate(
        handling.acknowledge_report(db, actor=actor, report_id=report_id)
    )


class DispositionIn(Strict):
    disposition: str = Field(max_length=60, description=", ".join(handling.DISPOSITIONS))
    outcome: str = Field(max_length=2000)


@router.post("/{report_id}/disposition")
def dispose(
    report_id: PathId, body: DispositionIn, actor: ActorDep, db: SessionDep
) -> ReportSummary:
    """Record what was done and the outcome; the report leaves the queue."""
    return ReportSummary.model_validate(
        handling.dispose_report(
            db, actor=actor, report_id=report_id, disposition=body.disposition, outcome=body.outcome
        )
    )


class RouteIn(Strict):
    agency_id: RowId
    reason: str = Field(max_length=2000)


@router.post("/{report_id}/route")
def route(
    report_id: PathId, body: RouteIn, actor: ActorDep, db: SessionDep, settings: SettingsDep
) -> ReportSummary:
    return ReportSummary.model_validate(
        handling.route_report(
            db,
            actor=actor,
            settings=settings,
            report_id=report_id,
            agency_id=body.agency_id,
            reason=body.reason,
        )
    )


class LevelIn(Strict):
    level: UrgencyLevel
    reason: str = Field(max_length=2000)


@router.post("/{report_id}/level")
def override_level(
    report_id: PathId, body: LevelIn, actor: ActorDep, db: SessionDep, settings: SettingsDep
) -> ReportSummary:
    """Override the computed urgency level, with a reason (audited)."""
    return ReportSummary.model_validate(
        handling.override_level(
            db,
            actor=actor,
            settings=settings,
            report_id=report_id,
            level=body.level.value,
            reason=body.reason,
        )
    )


class ShareIn(Strict):
    agency_ids: list[RowId] = Field(min_length=1, max_length=100)
    reason: str = Field(max_length=2000)


@router.post("/{report_id}/shares")
def share(report_id: PathId, body: ShareIn, actor: ActorDep, db: SessionDep) -> ReportPublic:
    """Share with named agencies that need to know (recorded as a dissemination)."""
    handling.share_report(
        db, actor=actor, report_id=report_id, agency_ids=body.agency_ids, reason=body.reason
    )
    # The answer is the whole report: a read, audited like any other.
    return public(service.get_report(db, actor=actor, report_id=report_id))


class SarIn(Strict):
    behavior: Behavior
    nexus: str = Field(max_length=5000)


@router.post("/{report_id}/promote-sar")
def promote_sar(
    report_id: PathId, body: SarIn, actor: ActorDep, db: SessionDep, settings: SettingsDep
) -> ReportSummary:
    """A supervisor vets a tip/lead as a suspicious-activity report."""
    return ReportSummary.model_validate(
        file_classes.promote_to_sar(
            db,
            actor=actor,
            settings=settings,
            report_id=report_id,
            behavior=body.behavior,
            nexus=body.nexus,
        )
    )


class IntelligenceIn(Strict):
    predicate: str = Field(max_length=5000)
    justification: str = Field(max_length=5000)


@router.post("/{report_id}/promote-intelligence")
def promote_intelligence(
    report_id: PathId, body: IntelligenceIn, actor: ActorDep, db: SessionDep, settings: SettingsDep
) -> ReportSummary:
    """Keep as criminal intelligence: needs a documented criminal predicate."""
    return ReportSummary.model_validate(
        file_classes.promote_to_intelligence(
            db,
            actor=actor,
            settings=settings,
            report_id=report_id,
            predicate=body.predicate,
            justification=body.justification,
        )
    )
