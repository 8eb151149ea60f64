"""Retention review: the queue page, the reviewer's decision, and their JSON API."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from vigil.platform import accounts, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.platform.routes.forms import text_from_form
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import retention
from vigil.reports.schemas import Strict
from vigil.reports.vocabulary import FileClass
from vigil.web.deps import ActorDep, SessionDep, SettingsDep
from vigil.web.templating import render

log = logging.getLogger("vigil.reports")
ReportId = Annotated[int, Path(ge=1, le=2_147_483_647)]
PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}

router = APIRouter()

DONE = {
    "revalidated": "The report was revalidated; its new review date is set.",
    "purged": "The report was purged. The audit trail keeps only its id and the reason.",
}


def _remove_files_later(request: Request, settings: Settings, digests: Iterable[str]) -> None:
    """Runs after the response, so after the request's transaction committed."""
    try:
        retention.remove_files(request.app.state.session_factory, settings, digests)
    except Exception as error:
        log.error("deleting purged attachment files failed: %s", type(error).__name__)


def _queue_page(
    request: Request,
    db: Session,
    actor: Actor,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    reports = retention.review_queue(db, actor=actor)
    return render(
        request,
        "retention_queue.html",
        {
            "reports": reports,
            "can_review": {
                report.id: policy.decide(actor, "retention_review", "report", report)
                for report in reports
            },
            "agencies": {a.id: a.name for a in accounts.list_agencies(db, actor=actor)},
            "labels": {value.value: value.label for value in FileClass},
            "now": utcnow(),
            "errors": errors or {},
            "values": values or {},
            "flash": flash,
        },
        status_code=status_code,
    )


@router.get("/reports/retention", response_class=HTMLResponse, include_in_schema=False)
def queue(
    request: Request, db: SessionDep, actor: ActorDep, done: str | None = None
) -> HTMLResponse:
    return _queue_page(request, db, actor, flash=DONE.get(done or ""))


@router.post("/reports/{report_id}/retention-review", include_in_schema=False)
async def review(
    request: Request,
    report_id: ReportId,
    db: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> Response:
    form = await request.form()
    decision = text_from_form(form, "decision", 20)
    reason = text_from_form(form, "reason", retention.MAX_REASON + 100)
    try:
        outcome = retention.review_report(
            db,
            actor=actor,
            settings=settings,
            report_id=report_id,
            decision=decision,
            reason=reason,
        )
    except InvalidInput as invalid:
        db.rollback()
        request.state.commit_on_error = True  # keep the audit record of the page view
        errors = {f"{field}-{report_id}": message for field, message in invalid.errors.items()}
        return _queue_page(
            request,
            db,
            actor,
            errors=errors,
            values={f"decision-{report_id}": decision, f"reason-{report_id}": reason},
            status_code=422,
        )
    if outcome.files_to_delete:
        background.add_task(_remove_files_later, request, settings, outcome.files_to_delete)
    done = "purged" if outcome.decision is retention.Decision.PURGE else "revalidated"
    return RedirectResponse(f"/reports/retention?done={done}", status_code=303)


# --- JSON API ----------------------------------------------------------------------


class RetentionQueueItem(BaseModel):
    id: int
    receipt_number: str
    file_class: str
    owner_agency_id: int
    review_due_at: datetime | None
    purge_due_at: datetime | None
    can_review: bool


class RetentionReviewIn(Strict):
    decision: Literal["revalidate", "purge"]
    reason: str = Field(max_length=retention.MAX_REASON)


class RetentionReviewOut(BaseModel):
    report_id: int
    receipt_number: str
    decision: Literal["revalidate", "purge"]
    decided_at: datetime
    review_due_at: datetime | None = Field(description="Next review; empty after a purge.")
    purge_due_at: datetime | None = Field(description="New purge date; empty after a purge.")


API_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Sign-in required", **PROBLEM},
    403: {"description": "Not allowed", **PROBLEM},
    404: {"description": "Not found or not visible to you", **PROBLEM},
    422: {"description": "Invalid input", **PROBLEM},
}


@router.get("/api/v1/retention/queue", tags=["retention"], responses=API_RESPONSES)
def api_queue(actor: ActorDep, db: SessionDep) -> list[RetentionQueueItem]:
    """Reports you may see whose retention review is due, soonest purge first."""
    return [
        RetentionQueueItem(
            id=report.id,
            receipt_number=report.receipt_number,
            file_class=report.file_class,
            owner_agency_id=report.owner_agency_id,
            review_due_at=report.review_due_at,
            purge_due_at=report.purge_due_at,
            can_review=policy.decide(actor, "retention_review", "report", report),
        )
        for report in retention.review_queue(db, actor=actor)
    ]


@router.post(
    "/api/v1/reports/{report_id}/retention-review", tags=["retention"], responses=API_RESPONSES
)
def api_review(
    report_id: ReportId,
    body: RetentionReviewIn,
    request: Request,
    actor: ActorDep,
    db: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> RetentionReviewOut:
    """A supervisor of the owning agency revalidates a report due for review (a new
    review and purge date from today, with the reason) or purges it now."""
    outcome = retention.review_report(
        db,
        actor=actor,
        settings=settings,
        report_id=report_id,
        decision=body.decision,
        reason=body.reason,
    )
    if outcome.files_to_delete:
        background.add_task(_remove_files_later, request, settings, outcome.files_to_delete)
    return RetentionReviewOut(
        report_id=outcome.report_id,
        receipt_number=outcome.receipt_number,
        decision=outcome.decision.value,
        decided_at=outcome.decided_at,
        review_due_at=outcome.review_due_at,
        purge_due_at=outcome.purge_due_at,
    )
