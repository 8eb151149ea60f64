"""The management plan and the review cycle: interventions with an owner, a due date
and a status (extreme risk protection order petitions with their court steps and
firearm relinquishment), and scheduled case reviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.assessment.cases import audit_case, facts, load_case, text, touch
from vigil.assessment.models import Case, CaseReview, Intervention
from vigil.assessment.vocabulary import (
    ERPO_NEXT,
    ERPO_STATUSES,
    INTERVENTION_KINDS,
    INTERVENTION_STATUSES,
    OPEN_INTERVENTION_STATUSES,
)
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.types import utcnow

LONGEST_PLAN_DAYS = 3 * 365
MAX_FIREARMS = 10_000


def _owner(db: Session, case: Case, owner_user_id: int | None) -> int | None:
    if owner_user_id is None:
        return None
    if owner_user_id not in facts(db, case).members:
        raise InvalidInput({"owner_user_id": "The owner must be on the case team."})
    return owner_user_id


def _due(value: date | None, today: date, *, field: str = "due_on") -> date:
    if value is None:
        raise InvalidInput({field: "Give a due date."})
    if value < today - timedelta(days=LONGEST_PLAN_DAYS) or value > today + timedelta(
        days=LONGEST_PLAN_DAYS
    ):
        raise InvalidInput({field: "Give a due date within three years of today."})
    return value


def add_intervention(
    db: Session,
    *,
    actor: Actor,
    case_id: int,
    kind: str,
    description: str,
    owner_user_id: int | None,
    due_on: date | None,
    today: date | None = None,
) -> Intervention:
    case = load_case(db, actor=actor, case_id=case_id, action="work")
    today = today or utcnow().date()
    errors: dict[str, str] = {}
    if kind not in INTERVENTION_KINDS:
        errors["kind"] = "Choose the kind of intervention."
    values: dict[str, object] = {}
    for name, check in (
        ("description", lambda: text(description, "description", minimum=5, maximum=4000)),
        ("owner_user_id", lambda: _owner(db, case, owner_user_id)),
        ("due_on", lambda: _due(due_on, today)),
    ):
        try:
            values[name] = check()
        except InvalidInput as invalid:
            errors.update(invalid.errors)
    if errors:
        raise InvalidInput(errors)
    if case.status == "closed":
        raise Conflict("The case is closed; reopen it to plan interventions.")
    now = utcnow()
    intervention = Intervention(
        case_id=case.id,
        kind=kind,
        description=values["description"],
        owner_user_id=values["owner_user_id"],
        due_on=values["due_on"],
        status="planned",
        created_at=now,
        updated_at=now,
    )
    db.add(intervention)
    touch(case)
    db.flush()
    audit_case(db, actor, "intervention.add", case, intervention_id=intervention.id, kind=kind)
    return intervention


@dataclass(frozen=True)
class InterventionUpdate:
    status: str | None = None
    outcome: str | None = None
    due_on: date | None = None
    owner_user_id: int | None = None
    erpo_status: str | None = None
    erpo_on: date | None = None  # the date of that court step
    erpo_expires_on: date | None = None
    firearms_reported: int | None = None
    firearms_relinquished: int | None = None
    relinquished_on: date | None = None


def _impossible_step(current: str | None, wanted: str) -> str:
    """Say where the petition is, that ``wanted`` cannot follow, and what can."""
    where = (
        "The petition is not filed yet"
        if current is None
        else f"The petition's last step is “{ERPO_STATUSES[current].lower()}”"
    )
    allowed = " or ".join(ERPO_STATUSES[step].lower() for step in ERPO_NEXT[current])
    after = f"only {allowed} can come next" if allowed else "no step follows it"
    return f"{where}: it cannot become {ERPO_STATUSES[wanted].lower()} next; {after}."


def _apply_erpo(item: Intervention, change: InterventionUpdate, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if change.erpo_status is not None and change.erpo_status != item.erpo_status:
        if change.erpo_status not in ERPO_STATUSES:
            errors["erpo_status"] = "Choose the petition's step."
        elif change.erpo_status not in ERPO_NEXT[item.erpo_status]:
            errors["erpo_status"] = _impossible_step(item.erpo_status, change.erpo_status)
        elif change.erpo_on is None or change.erpo_on > today:
            errors["erpo_on"] = "Give the date of this step (not in the future)."
        else:
            earlier = item.erpo_decided_on or item.erpo_filed_on
            if earlier is not None and change.erpo_on < earlier:
                errors["erpo_on"] = "A step cannot come before the one it follows."
            else:
                if change.erpo_status == "filed":
                    item.erpo_filed_on = change.erpo_on
                elif change.erpo_status in ("granted", "denied"):
                    item.erpo_decided_on = change.erpo_on
                item.erpo_status = change.erpo_status
    if change.erpo_expires_on is not None:
        if item.erpo_status not in ("granted", "expired"):
            errors["erpo_expires_on"] = "Only a granted order has an expiry date."
        elif item.erpo_decided_on is not None and change.erpo_expires_on <= item.erpo_decided_on:
            errors["erpo_expires_on"] = "An order expires after it is granted."
        else:
            item.erpo_expires_on = change.erpo_expires_on
    for name in ("firearms_reported", "firearms_relinquished"):
        value = getattr(change, name)
        if value is not None:
            if not 0 <= value <= MAX_FIREARMS:
                errors[name] = "Give a number of firearms from 0."
            else:
                setattr(item, name, value)
    if (
        item.firearms_reported is not None
        and item.firearms_relinquished is not None
        and item.firearms_relinquished > item.firearms_reported
    ):
        errors["firearms_relinquished"] = "More firearms relinquished than are known."
    if change.relinquished_on is not None:
        if change.relinquished_on > today:
            errors["relinquished_on"] = "The relinquishment date cannot be in the future."
        elif item.erpo_status is None:
            errors["relinquished_on"] = "Record the petition first."
        else:
            item.relinquished_on = change.relinquished_on
    return errors


def update_intervention(
    db: Session,
    *,
    actor: Actor,
    case_id: int,
    intervention_id: int,
    change: InterventionUpdate,
    today: date | None = None,
) -> Intervention:
    case = load_case(db, actor=actor, case_id=case_id, action="work")
    item = db.get(Intervention, intervention_id)
    if item is None or item.case_id != case.id:
        raise NotFound("intervention")
    today = today or utcnow().date()
    if all(value is None for value in vars(change).values()):
        raise InvalidInput({"status": "Say what changes: a status, an outcome, a date or a step."})
    errors: dict[str, str] = {}
    previous = item.status
    if change.status is not None and change.status != item.status:
        if change.status not in INTERVENTION_STATUSES:
            errors["status"] = "Choose a status."
        elif item.status not in OPEN_INTERVENTION_STATUSES:
            errors["status"] = "This intervention is finished; add a new one instead."
        else:
            item.status = change.status
            if change.status in ("done", "cancelled"):
                item.completed_at = utcnow()
    if change.due_on is not None:
        try:
            item.due_on = _due(change.due_on, today)
        except InvalidInput as invalid:
            errors.update(invalid.errors)
    if change.owner_user_id is not None:
        try:
            item.owner_user_id = _owner(db, case, change.owner_user_id)
        except InvalidInput as invalid:
            errors.update(invalid.errors)
    try:
        outcome = text(change.outcome, "outcome", maximum=4000)
    except InvalidInput as invalid:
        errors.update(invalid.errors)
        outcome = None
    if outcome is not None:
        item.outcome = outcome
    if item.kind == "erpo_petition":
        errors.update(_apply_erpo(item, change, today))
    elif any(
        value is not None
        for value in (
            change.erpo_status,
            change.erpo_expires_on,
            change.firearms_reported,
            change.firearms_relinquished,
            change.relinquished_on,
        )
    ):
        errors["erpo_status"] = "Only a protection-order petition has court steps."
    if item.status == "done" and previous != "done" and item.outcome is None:
        errors["outcome"] = "Say what came of it before marking it done."
    if errors:
        raise InvalidInput(errors)
    item.updated_at = utcnow()
    touch(case)
    db.flush()
    audit_case(
        db,
        actor,
        "intervention.update",
        case,
        intervention_id=item.id,
        status=item.status,
        erpo_status=item.erpo_status,
    )
    return item


def interventions(db: Session, case: Case) -> list[Intervention]:
    return list(
        db.execute(
            select(Intervention)
            .where(Intervention.case_id == case.id)
            .order_by(Intervention.due_on, Intervention.id)
        )
        .scalars()
        .all()
    )


def is_overdue(item: Intervention, today: date) -> bool:
    return item.status in OPEN_INTERVENTION_STATUSES and item.due_on < today


def hold_review(
    db: Session,
    *,
    actor: Actor,
    case_id: int,
    held_on: date | None,
    summary: str,
    today: date | None = None,
) -> CaseReview:
    """Record a review; the next one falls due the case's interval after it."""
    case = load_case(db, actor=actor, case_id=case_id, action="work")
    today = today or utcnow().date()
    errors: dict[str, str] = {}
    if held_on is None or held_on > today or held_on < case.opened_at.date():
        errors["held_on"] = (
            "Give the date the review was held: not in the future, not before the case opened."
        )
    try:
        clean = text(summary, "summary", minimum=10, maximum=8000)
    except InvalidInput as invalid:
        errors.update(invalid.errors)
    if errors or held_on is None:
        raise InvalidInput(errors)
    if case.status == "closed":
        raise Conflict("The case is closed; closed cases are not reviewed.")
    review = CaseReview(
        case_id=case.id,
        due_on=case.next_review_on,
        held_on=held_on,
        held_by_user_id=actor.user_id,
        summary=clean or "",
        created_at=utcnow(),
    )
    db.add(review)
    case.next_review_on = held_on + timedelta(days=case.review_interval_days)
    touch(case)
    db.flush()
    audit_case(db, actor, "case.review", case, review_id=review.id)
    return review


def reviews(db: Session, case: Case) -> list[CaseReview]:
    return list(
        db.execute(
            select(CaseReview)
            .where(CaseReview.case_id == case.id)
            .order_by(CaseReview.held_on.desc(), CaseReview.id.desc())
        )
        .scalars()
        .all()
    )
