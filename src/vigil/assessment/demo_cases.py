"""Synthetic threat-assessment cases for `vigil demo`: opened from demo reports by the
demo threat-assessment staff, at different stages, so every page has something real
to show (an assessment, a risk decision, a plan with an overdue item, a review)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.assessment import assessments, cases, plan, shares
from vigil.assessment.models import Instrument
from vigil.platform.actor import for_user
from vigil.platform.models import Agency, User
from vigil.platform.types import utcnow
from vigil.reports.models import Mention, Report

# (opener's username, case title, regime, how far it goes)
DEMO_CASES = (
    ("rusd.tat", "Drawings and a list of names in a notebook", "school_record", "managing"),
    ("rusd.tat", "Posts about bringing a gun to the game", "school_record", "assessing"),
    ("lps.tat", "Threatening messages to a former teacher", "school_record", "open"),
)


def _report_for(db: Session, agency_id: int, skip: set[int]) -> Report | None:
    return db.execute(
        select(Report)
        .join(Mention, Mention.report_id == Report.id)
        .where(
            Report.owner_agency_id == agency_id,
            Mention.role == "subject",
            Report.id.not_in(skip) if skip else Report.id.is_not(None),
        )
        .order_by(Report.id)
        .limit(1)
    ).scalar_one_or_none()


def seed_cases(db: Session) -> int:
    """Open the demo cases; returns how many were opened."""
    today = utcnow().date()
    trap = (
        db.execute(
            select(Instrument).where(Instrument.key == "trap18").order_by(Instrument.version.desc())
        )
        .scalars()
        .first()
    )
    used: set[int] = set()
    opened = 0
    for username, title, regime, stage in DEMO_CASES:
        user = db.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            continue
        report = _report_for(db, user.agency_id, used)
        if report is None:
            continue
        used.add(report.id)
        actor = for_user(user, request_id="demo")
        case = cases.open_case(db, actor=actor, title=title, regime=regime, report_id=report.id)
        opened += 1
        if stage == "open":
            continue
        cases.change_status(db, actor=actor, case_id=case.id, to_status="assessing")
        if trap is not None:
            draft = assessments.start_assessment(
                db, actor=actor, case_id=case.id, instrument_id=trap.id, subject_id=None
            )
            answers = {
                item["key"]: assessments.AnswerInput(
                    answer="absent",
                    sources="Interviews with teachers and parents",
                    observed_on=today,
                )
                for section in trap.definition["sections"]
                for item in section["items"]
            }
            answers["leakage"] = assessments.AnswerInput(
                answer="present", sources="Two classmates' statements", observed_on=today
            )
            answers["fixation"] = assessments.AnswerInput(
                answer="present", sources="Notebook seen by the art teacher", observed_on=today
            )
            assessments.save_answers(
                db,
                actor=actor,
                case_id=case.id,
                assessment_id=draft.id,
                answers=answers,
                complete=stage == "managing",
            )
        if stage != "managing":
            continue
        assessments.decide_risk(
            db,
            actor=actor,
            case_id=case.id,
            level="high",
            rationale="Leakage to two classmates and a fixation on one teacher; no known access "
            "to firearms yet. Manage actively.",
        )
        cases.change_status(db, actor=actor, case_id=case.id, to_status="managing")
        plan.add_intervention(
            db,
            actor=actor,
            case_id=case.id,
            kind="mental_health_referral",
            description="Referral to the district's school-based mental-health clinician",
            owner_user_id=user.id,
            due_on=today - timedelta(days=2),
        )
        plan.add_intervention(
            db,
            actor=actor,
            case_id=case.id,
            kind="safety_plan",
            description="Safety plan with the counselor and the family; daily check-in",
            owner_user_id=user.id,
            due_on=today + timedelta(days=5),
        )
        plan.hold_review(
            db,
            actor=actor,
            case_id=case.id,
            held_on=today,
            summary="Team met with the family; supports agreed; review again in 30 days.",
        )
        police = (
            db.execute(
                select(Agency).where(Agency.id != user.agency_id).order_by(Agency.id).offset(1)
            )
            .scalars()
            .first()
        )
        if police is not None:
            shares.share_case(
                db,
                actor=actor,
                case_id=case.id,
                agency_id=police.id,
                reason="The school resource officer sits on the district's team.",
            )
    return opened
