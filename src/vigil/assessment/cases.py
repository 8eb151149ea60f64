"""Cases: opening one from a report or a person, finding the ones a user may see,
moving a case through its statuses, its team and its subjects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.assessment.models import (
    Case,
    CaseMember,
    CaseReport,
    CaseShare,
    CaseStatusChange,
    CaseSubject,
)
from vigil.assessment.vocabulary import (
    ACTIVE_STATUSES,
    LEVELS,
    REGIMES,
    STATUSES,
    TEAM_ROLES,
    TRANSITIONS,
)
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import User
from vigil.platform.policy.assessment_rules import CASE_ROLES, CaseFacts
from vigil.platform.types import utcnow

MAX_REVIEW_INTERVAL_DAYS = 365


def text(value: str | None, field: str, *, minimum: int = 0, maximum: int = 4000) -> str | None:
    """Trimmed text within bounds; None when empty and allowed to be."""
    value = (value or "").strip()
    if not value:
        if minimum:
            raise InvalidInput({field: "This is required."})
        return None
    if len(value) < minimum:
        raise InvalidInput({field: f"Write at least {minimum} characters."})
    if len(value) > maximum:
        raise InvalidInput({field: f"Write at most {maximum} characters."})
    return value


def facts(db: Session, case: Case) -> CaseFacts:
    members = dict(
        db.execute(
            select(CaseMember.user_id, CaseMember.team_role).where(
                CaseMember.case_id == case.id, CaseMember.removed_at.is_(None)
            )
        ).all()
    )
    shared = db.execute(
        select(CaseShare.agency_id).where(
            CaseShare.case_id == case.id, CaseShare.revoked_at.is_(None)
        )
    ).scalars()
    return CaseFacts(case.owner_agency_id, members, frozenset(shared))


def load_case(db: Session, *, actor: Actor, case_id: int, action: str = "read") -> Case:
    """A case the actor may read (else NotFound) and may do ``action`` on (else 403)."""
    case = db.get(Case, case_id)
    if case is None:
        raise NotFound("case")
    known = facts(db, case)
    if not policy.decide(actor, "read", "case", known):
        raise NotFound("case")
    if action != "read":
        policy.authorize(actor, action, "case", known)
    return case


def audit_case(db: Session, actor: Actor, action: str, case: Case, **details: object) -> None:
    """Audit an action on a case (details: ids and counts, never names or text)."""
    audit.record(
        db,
        actor=actor,
        action=action,
        object_type="case",
        object_id=case.id,
        agency_id=case.owner_agency_id,
        details=details or None,
    )


def touch(case: Case) -> None:
    case.updated_at = utcnow()


def _interval(value: int | None) -> int:
    if value is None:
        return 30
    if not 1 <= value <= MAX_REVIEW_INTERVAL_DAYS:
        raise InvalidInput(
            {"review_interval_days": f"Give 1 to {MAX_REVIEW_INTERVAL_DAYS} days between reviews."}
        )
    return value


def open_case(
    db: Session,
    *,
    actor: Actor,
    title: str,
    regime: str = "threat_assessment",
    report_id: int | None = None,
    person_id: int | None = None,
    closure_criteria: str | None = None,
    review_interval_days: int | None = None,
) -> Case:
    """Open a case from a report the actor may read or a person they may view; the
    opener leads its team. The report's subjects (or the person) become its subjects."""
    from vigil.linkage.persons import readable_mentions, view_person
    from vigil.reports.service import get_report

    policy.authorize(actor, "create", "case")
    if (report_id is None) == (person_id is None):
        raise InvalidInput({"report_id": "Open a case from one report or one person."})
    # The origin first: a report or person the actor may not see is "not found",
    # whatever else the request says.
    subjects: list[CaseSubject] = []
    report_ids: list[int] = []
    origin_reported_at = None
    if report_id is not None:
        report = get_report(db, actor=actor, report_id=report_id)
        origin_reported_at = report.reported_at
        report_ids.append(report.id)
        subjects = [
            CaseSubject(
                mention_id=mention.id,
                display_name=mention.full_name,
                description=mention.description,
            )
            for mention in report.mentions
            if mention.role == "subject"
        ]
    elif person_id is not None:
        view = view_person(db, actor=actor, person_id=person_id)
        rows = readable_mentions(db, actor=actor, person_id=person_id)
        origin_reported_at = min(report.reported_at for _, report in rows)
        report_ids = sorted({report.id for _, report in rows})
        subjects = [
            CaseSubject(
                person_id=person_id,
                display_name=(view.names[0] if view.names else f"Person {person_id}"),
            )
        ]
    errors: dict[str, str] = {}
    if not subjects:
        errors["origin"] = "The report names no subject to assess."
    try:
        clean_title = text(title, "title", minimum=3, maximum=200)
    except InvalidInput as invalid:
        errors.update(invalid.errors)
    if regime not in REGIMES:
        errors["regime"] = "Choose the record's regime."
    try:
        interval = _interval(review_interval_days)
        criteria = text(closure_criteria, "closure_criteria", maximum=4000)
    except InvalidInput as invalid:
        errors.update(invalid.errors)
    if errors:
        raise InvalidInput(errors)
    now = utcnow()
    case = Case(
        number="pending",
        title=clean_title,
        owner_agency_id=actor.agency_id,
        regime=regime,
        status="open",
        opened_at=now,
        opened_by_user_id=actor.user_id,
        status_changed_at=now,
        updated_at=now,
        review_interval_days=interval,
        next_review_on=(now + timedelta(days=interval)).date(),
        closure_criteria=criteria,
        origin_report_id=report_id,
        origin_reported_at=origin_reported_at,
    )
    db.add(case)
    db.flush()
    case.number = f"TA-{now.year}-{case.id:06d}"
    for subject in subjects:
        subject.case_id = case.id
        db.add(subject)
    for linked in report_ids:
        db.add(CaseReport(case_id=case.id, report_id=linked, added_at=now))
    user_id, agency_id = actor.member_ids()
    db.add(CaseStatusChange(case_id=case.id, to_status="open", at=now, user_id=user_id))
    db.add(
        CaseMember(
            case_id=case.id,
            user_id=user_id,
            agency_id=agency_id,
            team_role="lead",
            added_at=now,
            added_by_user_id=user_id,
        )
    )
    db.flush()
    audit_case(
        db,
        actor,
        "case.open",
        case,
        origin="report" if report_id is not None else "person",
        subjects=len(subjects),
    )
    return case


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None  # a status, "active" or None for all
    level: str | None = None
    overdue_review: bool = False


PAGE_SIZE = 50


def list_cases(
    db: Session,
    *,
    actor: Actor,
    filters: CaseFilter = CaseFilter(),
    page: int = 1,
    today: date | None = None,
) -> tuple[list[Case], int]:
    """One page of the cases the actor may read, the most urgent first, and the total."""
    policy.authorize(actor, "list", "case")
    conditions = [policy.scope(actor, "read", "case")]
    if filters.status == "active":
        conditions.append(Case.status.in_(ACTIVE_STATUSES))
    elif filters.status in STATUSES:
        conditions.append(Case.status == filters.status)
    if filters.level in LEVELS:
        conditions.append(Case.risk_level == filters.level)
    if filters.overdue_review:
        conditions += [
            Case.status.in_(ACTIVE_STATUSES),
            Case.next_review_on < (today or utcnow().date()),
        ]
    rank = when(
        *[(Case.risk_level == level, -position) for position, level in enumerate(LEVELS)],
        else_=1,
    )
    # One pass sorts the matching cases' keys and counts them beside the page (counting,
    # then sorting whole rows, read every case a supervisor sees twice); only the page's
    # cases are then read in full.
    offset = (max(page, 1) - 1) * PAGE_SIZE
    found = db.execute(
        select(Case.id, func.count().over())
        .where(*conditions)
        .order_by(rank, Case.next_review_on.is_(None), Case.next_review_on, Case.id.desc())
        .limit(PAGE_SIZE)
        .offset(offset)
    ).all()
    rows: list[Case] = []
    if found:
        total = found[0][1]
        loaded = {
            case.id: case
            for case in db.execute(select(Case).where(Case.id.in_([key for key, _ in found])))
            .scalars()
            .all()
        }
        rows = [loaded[key] for key, _ in found]
    else:  # past the last page: count on its own
        total = (
            db.execute(select(func.count()).select_from(Case).where(*conditions)).scalar_one()
            if offset
            else 0
        )
    audit.record(
        db, actor=actor, action="case.list", object_type="case", details={"shown": len(rows)}
    )
    return rows, total


def change_status(
    db: Session,
    *,
    actor: Actor,
    case_id: int,
    to_status: str,
    note: str | None = None,
    closing_summary: str | None = None,
) -> Case:
    """Move a case along its life cycle. Closing and reopening are the lead's or a
    supervisor's; closing needs a closing summary."""
    case = load_case(db, actor=actor, case_id=case_id, action="work")
    if to_status not in STATUSES:
        raise InvalidInput({"status": "Choose a status."})
    if to_status not in TRANSITIONS[case.status]:
        allowed = ", ".join(STATUSES[s] for s in TRANSITIONS[case.status])
        raise InvalidInput(
            {"status": f"A case that is {STATUSES[case.status].lower()} can move to: {allowed}."}
        )
    if to_status == "closed" or case.status == "closed":
        policy.authorize(actor, "manage", "case", facts(db, case))
    clean_note = text(note, "note", maximum=2000)
    now = utcnow()
    if to_status == "closed":
        case.closing_summary = text(closing_summary, "closing_summary", minimum=20, maximum=8000)
        case.closed_at = now
        case.next_review_on = None
    elif case.status == "closed":
        case.closed_at = None
        case.next_review_on = (now + timedelta(days=case.review_interval_days)).date()
    db.add(
        CaseStatusChange(
            case_id=case.id,
            from_status=case.status,
            to_status=to_status,
            at=now,
            user_id=actor.user_id,
            note=clean_note,
        )
    )
    audit_case(db, actor, "case.status", case, from_status=case.status, to_status=to_status)
    case.status = to_status
    case.status_changed_at = now
    touch(case)
    db.flush()
    return case


def update_settings(
    db: Session,
    *,
    actor: Actor,
    case_id: int,
    review_interval_days: int,
    closure_criteria: str | None,
) -> Case:
    case = load_case(db, actor=actor, case_id=case_id, action="manage")
    interval = _interval(review_interval_days)
    case.closure_criteria = text(closure_criteria, "closure_criteria", maximum=4000)
    if interval != case.review_interval_days and case.status != "closed":
        last = (
            case.next_review_on - timedelta(days=case.review_interval_days)
            if (case.next_review_on)
            else utcnow().date()
        )
        case.next_review_on = last + timedelta(days=interval)
    case.review_interval_days = interval
    touch(case)
    audit_case(db, actor, "case.settings", case, review_interval_days=interval)
    db.flush()
    return case


def add_member(
    db: Session, *, actor: Actor, case_id: int, username: str, team_role: str = "member"
) -> CaseMember:
    """Put a user (of any agency) on the team; they must be case-working staff."""
    case = load_case(db, actor=actor, case_id=case_id, action="manage")
    if team_role not in TEAM_ROLES:
        raise InvalidInput({"team_role": "Choose lead or member."})
    user = db.execute(
        select(User).where(User.username == (username or "").strip().lower())
    ).scalar_one_or_none()
    if user is None or not user.is_active:
        raise InvalidInput({"username": "No active user has that username."})
    if not user.roles & CASE_ROLES:
        raise InvalidInput(
            {
                "username": "Only threat-assessment staff, supervisors and analysts can "
                "join a case team."
            }
        )
    if user.id in facts(db, case).members:
        raise Conflict("That user is already on the team.", field="username")
    member = CaseMember(
        case_id=case.id,
        user_id=user.id,
        agency_id=user.agency_id,
        team_role=team_role,
        added_at=utcnow(),
        added_by_user_id=actor.user_id,
    )
    db.add(member)
    touch(case)
    db.flush()
    audit_case(
        db,
        actor,
        "case.member.add",
        case,
        user_id=user.id,
        member_agency_id=user.agency_id,
        team_role=team_role,
    )
    return member


def remove_member(db: Session, *, actor: Actor, case_id: int, member_id: int) -> CaseMember:
    case = load_case(db, actor=actor, case_id=case_id, action="manage")
    member = db.get(CaseMember, member_id)
    if member is None or member.case_id != case.id or member.removed_at is not None:
        raise NotFound("case member")
    active = facts(db, case).members
    leads = [uid for uid, role in active.items() if role == "lead"]
    if member.team_role == "lead" and leads == [member.user_id]:
        raise Conflict("A case keeps at least one lead; make someone else lead first.")
    member.removed_at = utcnow()
    member.removed_by_user_id = actor.user_id
    touch(case)
    audit_case(db, actor, "case.member.remove", case, user_id=member.user_id)
    db.flush()
    return member


def add_subject(
    db: Session,
    *,
    actor: Actor,
    case_id: int,
    person_id: int | None = None,
    display_name: str | None = None,
    description: str | None = None,
) -> CaseSubject:
    """Add a person of concern: a linked person the actor may view, or one described."""
    from vigil.linkage.persons import view_person

    case = load_case(db, actor=actor, case_id=case_id, action="work")
    if person_id is not None:
        view = view_person(db, actor=actor, person_id=person_id)
        name = view.names[0] if view.names else f"Person {person_id}"
    else:
        name = text(display_name, "display_name", minimum=2, maximum=200) or ""
    subject = CaseSubject(
        case_id=case.id,
        person_id=person_id,
        display_name=name,
        description=text(description, "description", maximum=4000),
        added_at=utcnow(),
    )
    db.add(subject)
    touch(case)
    db.flush()
    audit_case(db, actor, "case.subject.add", case, subject_id=subject.id)
    return subject


def subjects(db: Session, case: Case) -> list[CaseSubject]:
    return list(
        db.execute(
            select(CaseSubject).where(CaseSubject.case_id == case.id).order_by(CaseSubject.id)
        )
        .scalars()
        .all()
    )


def members(db: Session, case: Case, *, include_removed: bool = False) -> list[CaseMember]:
    query = select(CaseMember).where(CaseMember.case_id == case.id)
    if not include_removed:
        query = query.where(CaseMember.removed_at.is_(None))
    return list(db.execute(query.order_by(CaseMember.id)).scalars().all())


def status_history(db: Session, case: Case) -> list[CaseStatusChange]:
    return list(
        db.execute(
            select(CaseStatusChange)
            .where(CaseStatusChange.case_id == case.id)
            .order_by(CaseStatusChange.at, CaseStatusChange.id)
        )
        .scalars()
        .all()
    )


def report_ids(db: Session, case: Case) -> list[int]:
    return list(
        db.execute(
            select(CaseReport.report_id)
            .where(CaseReport.case_id == case.id)
            .order_by(CaseReport.report_id)
        )
        .scalars()
        .all()
    )


def days_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 86400
