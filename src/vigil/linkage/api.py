"""Linkage JSON API: a person as the caller may see them, the review queue and
decisions, and access requests. The same services and policy as the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from vigil.linkage import access, persons, review
from vigil.reports.schemas import Strict
from vigil.web.deps import ActorDep, PathId, SessionDep

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Sign-in required", **PROBLEM},
    403: {"description": "Not allowed", **PROBLEM},
    404: {"description": "Not found or not visible to you", **PROBLEM},
    409: {"description": "Already decided, or a binding decision forbids it", **PROBLEM},
    422: {"description": "Invalid input", **PROBLEM},
}

router = APIRouter(prefix="/api/v1", tags=["linkage"], responses=RESPONSES)


class TimelineItem(BaseModel):
    report_id: int
    receipt_number: str
    kind: str
    owner_agency_id: int
    at: datetime
    mention_id: int
    role: str
    name: str


class PointerOut(BaseModel):
    report_id: int = Field(description="Quote it when requesting access.")
    holding_agency: str
    kind: str
    at: datetime


class PersonOut(BaseModel):
    id: int
    names: list[str]
    timeline: list[TimelineItem] = Field(description="Reports you may read.")
    pointers: list[PointerOut] = Field(
        description="Reports about this person you may not read: who holds them, nothing more."
    )
    possible_match_ids: list[int]


@router.get("/persons/{person_id}")
def get_person(person_id: PathId, actor: ActorDep, db: SessionDep) -> PersonOut:
    """A person as you may see them: your readable reports, pointers to the others."""
    view = persons.view_person(db, actor=actor, person_id=person_id)
    return PersonOut(
        id=view.person.id,
        names=view.names,
        timeline=[
            TimelineItem(
                report_id=entry.report.id,
                receipt_number=entry.report.receipt_number,
                kind=entry.report.kind,
                owner_agency_id=entry.report.owner_agency_id,
                at=entry.at,
                mention_id=entry.mention.id,
                role=entry.mention.role,
                name=entry.mention.full_name,
            )
            for entry in view.timeline
        ],
        pointers=[
            PointerOut(report_id=p.report_id, holding_agency=p.holding_agency, kind=p.kind, at=p.at)
            for p in view.pointers
        ],
        possible_match_ids=[match.candidate_id for match in view.possible],
    )


class SideOut(BaseModel):
    mention_id: int
    report_id: int
    person_id: int | None
    name: str


class CandidateOut(BaseModel):
    id: int
    match_weight: float
    match_probability: float
    explanation: list[dict[str, Any]]
    left: SideOut
    right: SideOut
    unsure_count: int
    decided: bool


def _candidate(pair: review.Pair) -> CandidateOut:
    def side(s: review.Side) -> SideOut:
        return SideOut(
            mention_id=s.mention.id,
            report_id=s.report.id,
            person_id=s.person_id,
            name=s.mention.full_name,
        )

    return CandidateOut(
        id=pair.candidate.id,
        match_weight=pair.candidate.match_weight,
        match_probability=pair.candidate.match_probability,
        explanation=pair.candidate.explanation,
        left=side(pair.left),
        right=side(pair.right),
        unsure_count=pair.doubts,
        decided=pair.candidate.decided_at is not None,
    )


class QueueOut(BaseModel):
    total: int
    items: list[CandidateOut]


@router.get("/linkage/review")
def get_queue(
    actor: ActorDep, db: SessionDep, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0
) -> QueueOut:
    """Possible matches whose two reports you may read, strongest first (50 a page)."""
    total, pairs = review.list_queue(db, actor=actor, limit=50, offset=offset)
    return QueueOut(total=total, items=[_candidate(pair) for pair in pairs])


class DecisionIn(Strict):
    decision: Literal["same", "not_same", "unsure"]
    reason: str | None = Field(None, max_length=2000)


@router.post("/linkage/review/{candidate_id}")
def post_decision(
    candidate_id: PathId, body: DecisionIn, actor: ActorDep, db: SessionDep
) -> CandidateOut:
    """Decide a possible match. It binds every later run."""
    review.decide(
        db, actor=actor, candidate_id=candidate_id, decision=body.decision, reason=body.reason
    )
    return _candidate(review.get_pair(db, actor=actor, candidate_id=candidate_id, audit_read=False))


class AccessRequestIn(Strict):
    reason: str = Field(max_length=2000)
    person_id: int | None = Field(None, ge=1, le=2_147_483_647)


class AccessRequestOut(BaseModel):
    id: int
    report_id: int | None = Field(description="Given to the requester and the holding agency.")
    requester_agency_id: int
    holding_agency_id: int
    status: Literal["pending", "granted", "refused"]
    created_at: datetime
    decided_at: datetime | None


def _request(item: Any) -> AccessRequestOut:
    return AccessRequestOut(
        id=item.id,
        report_id=item.report_id,
        requester_agency_id=item.requester_agency_id,
        holding_agency_id=item.holding_agency_id,
        status=item.status,
        created_at=item.created_at,
        decided_at=item.decided_at,
    )


@router.post("/reports/{report_id}/access-requests", status_code=201)
def post_access_request(
    report_id: PathId, body: AccessRequestIn, actor: ActorDep, db: SessionDep
) -> AccessRequestOut:
    """Ask the holding agency for a report you see only as a pointer."""
    return _request(
        access.request_access(
            db, actor=actor, report_id=report_id, reason=body.reason, person_id=body.person_id
        )
    )


@router.get("/linkage/access-requests")
def get_access_requests(actor: ActorDep, db: SessionDep) -> list[AccessRequestOut]:
    """Your requests, and those addressed to your agency if you decide them."""
    return [_request(item) for item in access.list_requests(db, actor=actor)]


class AccessDecisionIn(Strict):
    decision: Literal["grant", "refuse"]
    reason: str = Field(max_length=2000)


@router.post("/linkage/access-requests/{request_id}")
def post_access_decision(
    request_id: PathId, body: AccessDecisionIn, actor: ActorDep, db: SessionDep
) -> AccessRequestOut:
    """Grant (a share with the requester's agency, logged as a dissemination) or refuse."""
    return _request(
        access.decide_request(
            db,
            actor=actor,
            request_id=request_id,
            grant=body.decision == "grant",
            reason=body.reason,
        )
    )
