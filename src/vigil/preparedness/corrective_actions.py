"""Corrective actions: what an agency will fix after an assessment finding, a mitigation
plan or an exercise, with its POETE element, an owner, a due date and a status tracked
to closure with evidence.

Other modules create them through ``create_corrective_action`` (assessment findings,
the mitigation plan, after-action reports) and find them again by their source with
``actions_for_source``. Audit records carry ids, the POETE element, the source kind and
the status: never a title, a description or evidence text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.models import User
from vigil.platform.types import utcnow
from vigil.preparedness.improvement_models import CorrectiveAction, CorrectiveActionEvidence
from vigil.preparedness.sites import get_site

# The five POETE elements of HSEEP improvement planning.
POETE = {
    "planning": "Planning",
    "organization": "Organization",
    "equipment": "Equipment",
    "training": "Training",
    "exercise": "Exercise",
}
SOURCE_KINDS = {
    "finding": "Assessment finding",
    "measure": "Mitigation plan measure",
    "exercise_area": "Exercise area for improvement",
}
STATUSES = {"open": "Open", "in_progress": "In progress", "closed": "Closed"}
OPEN_STATUSES = ("open", "in_progress")
EVIDENCE_KINDS = {
    "document": "Document (plan, policy, procedure)",
    "photo": "Photo of the installed measure",
    "inspection": "Inspection or walkthrough",
    "training": "Training record",
    "exercise": "Exercise objective demonstrated",
    "other": "Other",
}
MAX_TITLE = 200
MAX_TEXT = 4000
MAX_SOURCE_REF = 80
MAX_REFERENCE = 300
# A due date further out than this is a typing slip, not a plan.
MAX_YEARS_AHEAD = 10


def _audit(
    db: Session, actor: Actor, action: str, item: CorrectiveAction, **details: object
) -> None:
    audit.record(
        db,
        actor=actor,
        action=f"corrective_action.{action}",
        object_type="corrective_action",
        object_id=item.id,
        agency_id=item.owner_agency_id,
        details=details or None,
    )


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _owner(db: Session, owner_user_id: int | None, agency_id: int, errors: dict[str, str]) -> None:
    if owner_user_id is None:
        errors["owner_user_id"] = "Choose who owns this action."
        return
    user = db.get(User, owner_user_id)
    if user is None or user.agency_id != agency_id or user.disabled_at is not None:
        errors["owner_user_id"] = "Choose an active member of your agency as the owner."


def _due(due: date | None, today: date, errors: dict[str, str], *, new: bool) -> None:
    if due is None:
        errors["due"] = "Enter the due date, such as 2027-03-31."
    elif new and due < today:
        errors["due"] = "Choose a due date from today on."
    elif due.year > today.year + MAX_YEARS_AHEAD:
        errors["due"] = f"Choose a due date within {MAX_YEARS_AHEAD} years."


def may_create(actor: Actor) -> bool:
    return policy.decide(actor, "create", "corrective_action")


def create_corrective_action(
    db: Session,
    *,
    actor: Actor,
    site_id: int | None,
    title: str,
    owner_user_id: int | None,
    due: date | None,
    poete: str,
    source_kind: str,
    source_ref: str,
    description: str | None = None,
    today: date | None = None,
) -> CorrectiveAction:
    """Record a corrective action of the actor's agency; every field is checked and all
    problems are reported together (InvalidInput keyed by field name)."""
    policy.authorize(actor, "create", "corrective_action")
    _, agency_id = actor.member_ids()
    today = today or utcnow().date()
    errors: dict[str, str] = {}
    clean_title = _clean(title)
    if not clean_title:
        errors["title"] = "Say what will be done."
    elif len(clean_title) > MAX_TITLE:
        errors["title"] = f"Use at most {MAX_TITLE} characters."
    text = (description or "").strip() or None
    if text and len(text) > MAX_TEXT:
        errors["description"] = f"Use at most {MAX_TEXT:,} characters."
    _owner(db, owner_user_id, agency_id, errors)
    _due(due, today, errors, new=True)
    if poete not in POETE:
        errors["poete"] = (
            "Choose the POETE element: planning, organization, equipment, training or exercise."
        )
    if source_kind not in SOURCE_KINDS:
        errors["source_kind"] = (
            "Choose where the action comes from: an assessment finding, a mitigation plan "
            "measure or an exercise area for improvement."
        )
    ref = _clean(source_ref)
    if not ref:
        errors["source_ref"] = "Name the finding, measure or area for improvement."
    elif len(ref) > MAX_SOURCE_REF:
        errors["source_ref"] = f"Use at most {MAX_SOURCE_REF} characters."
    if site_id is not None:
        site = get_site(db, actor=actor, site_id=site_id)
        if site.owner_agency_id != agency_id:
            errors["site_id"] = "Choose a site your agency owns."
    if errors:
        raise InvalidInput(errors)
    now = utcnow()
    item = CorrectiveAction(
        owner_agency_id=agency_id,
        site_id=site_id,
        title=clean_title,
        description=text,
        owner_user_id=owner_user_id,
        due_on=due,
        poete=poete,
        source_kind=source_kind,
        source_ref=ref,
        status="open",
        created_at=now,
        created_by_user_id=actor.user_id,
        updated_at=now,
    )
    db.add(item)
    db.flush()
    _audit(db, actor, "create", item, poete=poete, source_kind=source_kind, site_id=site_id)
    return item


def get_corrective_action(
    db: Session, *, actor: Actor, action_id: int, action: str = "read"
) -> CorrectiveAction:
    """An action the actor may ``action``; NotFound when it may not even read it."""
    item = db.get(CorrectiveAction, action_id)
    if item is None or not policy.decide(actor, "read", "corrective_action", item):
        raise NotFound("corrective_action")
    if action != "read":
        policy.authorize(actor, action, "corrective_action", item)
    return item


def may(actor: Actor, action: str, item: CorrectiveAction) -> bool:
    return policy.decide(actor, action, "corrective_action", item)


def update_corrective_action(
    db: Session,
    *,
    actor: Actor,
    action_id: int,
    status: str | None = None,
    owner_user_id: int | None = None,
    due: date | None = None,
) -> CorrectiveAction:
    """Move an open action along (open, in progress), reassign it or move its due date.
    Closing is ``close_corrective_action``: it needs evidence."""
    item = get_corrective_action(db, actor=actor, action_id=action_id, action="update")
    errors: dict[str, str] = {}
    if item.status == "closed":
        errors["status"] = "This action is closed; reopen it first."
    if status is not None and status not in OPEN_STATUSES:
        errors["status"] = "Choose open or in progress (close an action with its evidence)."
    if owner_user_id is not None:
        _owner(db, owner_user_id, item.owner_agency_id, errors)
    if due is not None:
        _due(due, utcnow().date(), errors, new=False)
    if errors:
        raise InvalidInput(errors)
    changed = []
    for name, value in (("status", status), ("owner_user_id", owner_user_id), ("due_on", due)):
        if value is not None and getattr(item, name) != value:
            setattr(item, name, value)
            changed.append(name)
    if changed:
        item.updated_at = utcnow()
        db.flush()
        _audit(db, actor, "update", item, fields=changed, status=item.status)
    return item


def add_evidence(
    db: Session,
    *,
    actor: Actor,
    action_id: int,
    kind: str,
    description: str,
    reference: str | None = None,
    objective_id: int | None = None,
) -> CorrectiveActionEvidence:
    """Attach what shows the action done; an exercise objective of the same agency may
    be named as the proof (the capability was demonstrated)."""
    item = get_corrective_action(db, actor=actor, action_id=action_id, action="add_evidence")
    errors: dict[str, str] = {}
    if kind not in EVIDENCE_KINDS:
        errors["kind"] = "Choose the kind of evidence."
    text = (description or "").strip()
    if not text:
        errors["description"] = "Describe the evidence."
    elif len(text) > MAX_TEXT:
        errors["description"] = f"Use at most {MAX_TEXT:,} characters."
    ref = _clean(reference) or None
    if ref and len(ref) > MAX_REFERENCE:
        errors["reference"] = f"Use at most {MAX_REFERENCE} characters."
    if objective_id is not None:
        from vigil.preparedness.improvement_models import Exercise, ExerciseObjective

        objective = db.get(ExerciseObjective, objective_id)
        exercise = db.get(Exercise, objective.exercise_id) if objective else None
        if exercise is None or exercise.owner_agency_id != item.owner_agency_id:
            errors["objective_id"] = "Choose an objective of one of your agency's exercises."
    if errors:
        raise InvalidInput(errors)
    evidence = CorrectiveActionEvidence(
        action_id=item.id,
        kind=kind,
        description=text,
        reference=ref,
        objective_id=objective_id,
        added_at=utcnow(),
        added_by_user_id=actor.user_id,
    )
    db.add(evidence)
    item.updated_at = utcnow()
    db.flush()
    _audit(db, actor, "evidence", item, evidence_id=evidence.id, kind=kind)
    return evidence


def evidence_of(db: Session, *, actor: Actor, action_id: int) -> list[CorrectiveActionEvidence]:
    item = get_corrective_action(db, actor=actor, action_id=action_id)
    return list(
        db.execute(
            select(CorrectiveActionEvidence)
            .where(CorrectiveActionEvidence.action_id == item.id)
            .order_by(CorrectiveActionEvidence.id)
        ).scalars()
    )


def close_corrective_action(db: Session, *, actor: Actor, action_id: int) -> CorrectiveAction:
    """Close an action: only with evidence, and only by its agency's site staff."""
    item = get_corrective_action(db, actor=actor, action_id=action_id, action="close")
    if item.status == "closed":
        raise InvalidInput({"status": "This action is already closed."})
    if not evidence_of(db, actor=actor, action_id=item.id):
        raise InvalidInput({"status": "Add evidence that the action is done before closing it."})
    now = utcnow()
    item.status = "closed"
    item.closed_at = now
    item.closed_by_user_id = actor.user_id
    item.updated_at = now
    db.flush()
    _audit(db, actor, "close", item)
    return item


def reopen_corrective_action(db: Session, *, actor: Actor, action_id: int) -> CorrectiveAction:
    """Reopen a closed action (the evidence did not hold up)."""
    item = get_corrective_action(db, actor=actor, action_id=action_id, action="close")
    if item.status != "closed":
        raise InvalidInput({"status": "This action is not closed."})
    item.status = "open"
    item.closed_at = None
    item.closed_by_user_id = None
    item.updated_at = utcnow()
    db.flush()
    _audit(db, actor, "reopen", item)
    return item


def is_overdue(item: CorrectiveAction, today: date) -> bool:
    return item.status in OPEN_STATUSES and item.due_on < today


def list_corrective_actions(
    db: Session,
    *,
    actor: Actor,
    status: str | None = None,
    site_id: int | None = None,
    overdue_on: date | None = None,
    limit: int = 500,
) -> list[CorrectiveAction]:
    """The actions the actor may see, soonest due first; ``status`` "open" means open or
    in progress; ``overdue_on`` keeps only those open past that day."""
    policy.authorize(actor, "list", "corrective_action")
    condition = policy.scope(actor, "list", "corrective_action")
    if status == "open":
        condition = condition & CorrectiveAction.status.in_(OPEN_STATUSES)
    elif status in STATUSES:
        condition = condition & (CorrectiveAction.status == status)
    if site_id is not None:
        condition = condition & (CorrectiveAction.site_id == site_id)
    if overdue_on is not None:
        condition = (
            condition
            & CorrectiveAction.status.in_(OPEN_STATUSES)
            & (CorrectiveAction.due_on < overdue_on)
        )
    return list(
        db.execute(
            select(CorrectiveAction)
            .where(condition)
            .order_by(CorrectiveAction.due_on, CorrectiveAction.id)
            .limit(limit)
        ).scalars()
    )


def actions_for_source(
    db: Session, *, actor: Actor, source_kind: str, source_refs: Iterable[str]
) -> dict[str, list[CorrectiveAction]]:
    """The actions the actor may see that came from these findings, measures or areas
    for improvement, by reference."""
    policy.authorize(actor, "list", "corrective_action")
    refs = sorted({str(ref) for ref in source_refs})
    found: dict[str, list[CorrectiveAction]] = {ref: [] for ref in refs}
    if not refs:
        return found
    rows = db.execute(
        select(CorrectiveAction)
        .where(
            policy.scope(actor, "list", "corrective_action"),
            CorrectiveAction.source_kind == source_kind,
            CorrectiveAction.source_ref.in_(refs),
        )
        .order_by(CorrectiveAction.id)
    ).scalars()
    for item in rows:
        found[item.source_ref].append(item)
    return found


@dataclass(frozen=True)
class ActionRow:
    """An action as a list shows it."""

    action: CorrectiveAction
    owner_name: str | None
    overdue: bool


def rows_of(db: Session, items: list[CorrectiveAction], today: date) -> list[ActionRow]:
    """Owner names for a list the caller already read through the policy module."""
    ids = {i.owner_user_id for i in items if i.owner_user_id is not None}
    names = (
        dict(db.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
        if ids
        else {}
    )
    return [ActionRow(i, names.get(i.owner_user_id or 0), is_overdue(i, today)) for i in items]


def agency_members(db: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """(id, display name) of the active users of the actor's agency: who may own an action."""
    policy.authorize(actor, "create", "corrective_action")
    _, agency_id = actor.member_ids()
    return [
        (user_id, name)
        for user_id, name in db.execute(
            select(User.id, User.display_name)
            .where(User.agency_id == agency_id, User.disabled_at.is_(None))
            .order_by(User.display_name, User.id)
        ).all()
    ]


def today_utc(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(UTC).date()


def agency_sites(db: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of the sites the actor's agency owns and the actor may read: the sites
    an action, exercise or training session may be about."""
    from vigil.preparedness.models import ProtectedSite

    policy.authorize(actor, "list", "protected_site")
    return [
        (site_id, name)
        for site_id, name in db.execute(
            select(ProtectedSite.id, ProtectedSite.name)
            .where(
                policy.scope(actor, "list", "protected_site"),
                ProtectedSite.owner_agency_id == actor.agency_id,
            )
            .order_by(ProtectedSite.name, ProtectedSite.id)
            .limit(2000)
        ).all()
    ]
