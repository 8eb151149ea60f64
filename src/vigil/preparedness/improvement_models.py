"""Preparedness tables for getting better: corrective actions and their evidence,
training (courses, sessions, attendees, certifications), exercises with objectives,
evaluation guides and after-action items, capability targets, and reminders sent.

Each row belongs to one agency (``owner_agency_id``) and is read through the policy
module; a corrective action's source (an assessment finding, a mitigation measure or an
exercise's area for improvement) is named by kind and reference, not by a foreign key,
so the assessments module and this one keep their own tables.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigil.platform.database import Base
from vigil.platform.types import UTCDateTime, utcnow


class CorrectiveAction(Base):
    """Something to fix, with its POETE element, an owner, a due date and a status
    tracked to closure with evidence."""

    __tablename__ = "corrective_actions"
    __table_args__ = (
        Index("ix_corrective_actions_agency", "owner_agency_id", "status", "due_on"),
        Index("ix_corrective_actions_source", "source_kind", "source_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("protected_sites.id", ondelete="CASCADE"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    due_on: Mapped[date] = mapped_column(Date)
    poete: Mapped[str] = mapped_column(String(20))
    source_kind: Mapped[str] = mapped_column(String(20))
    source_ref: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="open")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CorrectiveActionEvidence(Base):
    """What shows an action done: a document, photo, inspection or an exercise objective
    that demonstrated the capability."""

    __tablename__ = "corrective_action_evidence"
    __table_args__ = (Index("ix_corrective_action_evidence_action", "action_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("corrective_actions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(300), nullable=True)
    objective_id: Mapped[int | None] = mapped_column(
        ForeignKey("exercise_objectives.id", ondelete="SET NULL"), nullable=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class PreparednessReminder(Base):
    """A reminder already sent (an overdue action, an expiring certification), so each
    fires once per due date and recipient."""

    __tablename__ = "preparedness_reminders"
    __table_args__ = (
        Index(
            "ix_preparedness_reminders_once",
            "kind",
            "object_id",
            "due_key",
            "recipient_user_id",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    due_key: Mapped[str] = mapped_column(String(20))
    recipient_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Course(Base):
    """A course people take; seeded ones belong to no agency and every agency uses them."""

    __tablename__ = "training_courses"
    __table_args__ = (Index("ix_training_courses_agency", "owner_agency_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    # How long a certification stays current; None: it does not expire.
    validity_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    capability_key: Mapped[str | None] = mapped_column(String(60), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrainingSession(Base):
    """One delivery of a course by an agency, on a day, perhaps at a site."""

    __tablename__ = "training_sessions"
    __table_args__ = (Index("ix_training_sessions_agency", "owner_agency_id", "held_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id"))
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("protected_sites.id", ondelete="SET NULL"), nullable=True
    )
    held_on: Mapped[date] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    instructor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class Attendance(Base):
    """A person at a session (staff of a site need not be Vigil users) and whether they
    completed it."""

    __tablename__ = "training_attendance"
    __table_args__ = (Index("ix_training_attendance_session", "session_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"))
    person_name: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("protected_sites.id", ondelete="SET NULL"), nullable=True
    )
    completed: Mapped[bool] = mapped_column(default=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Certification(Base):
    """A course completed: issued on the session's day, expiring after the course's
    validity."""

    __tablename__ = "training_certifications"
    __table_args__ = (
        Index("ix_training_certifications_agency", "owner_agency_id", "expires_on"),
        Index("ix_training_certifications_site", "site_id", "course_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id"))
    attendance_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_attendance.id", ondelete="CASCADE"), nullable=True
    )
    person_name: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("protected_sites.id", ondelete="SET NULL"), nullable=True
    )
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class Exercise(Base):
    """An exercise in the HSEEP cycle: designed (planned), conducted, then ended with
    its after-action report drafted from the evaluators' guides."""

    __tablename__ = "exercises"
    __table_args__ = (Index("ix_exercises_agency", "owner_agency_id", "starts_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("protected_sites.id", ondelete="SET NULL"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    scenario: Mapped[str | None] = mapped_column(Text, nullable=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class ExerciseObjective(Base):
    """What the exercise tests: tied to a core capability and, when it retests a fix, to
    a corrective action (and through it to the finding behind it)."""

    __tablename__ = "exercise_objectives"
    __table_args__ = (Index("ix_exercise_objectives_exercise", "exercise_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    capability_key: Mapped[str | None] = mapped_column(String(60), nullable=True)
    corrective_action_id: Mapped[int | None] = mapped_column(
        ForeignKey("corrective_actions.id", ondelete="SET NULL"), nullable=True
    )
    finding_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)


class EvaluationGuide(Base):
    """An evaluator's exercise evaluation guide for one objective: the capability's
    rating (P, S, M or U), strengths and areas for improvement."""

    __tablename__ = "exercise_evaluations"
    __table_args__ = (
        Index("ix_exercise_evaluations_once", "objective_id", "evaluator_user_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    objective_id: Mapped[int] = mapped_column(
        ForeignKey("exercise_objectives.id", ondelete="CASCADE")
    )
    evaluator_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    capability_key: Mapped[str] = mapped_column(String(60))
    rating: Mapped[str] = mapped_column(String(1))
    strengths: Mapped[str | None] = mapped_column(Text, nullable=True)
    areas_for_improvement: Mapped[str | None] = mapped_column(Text, nullable=True)
    observations: Mapped[str | None] = mapped_column(Text, nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AfterActionItem(Base):
    """One line of an after-action report: a strength or an area for improvement for a
    capability, drafted from the evaluation guides when the exercise ends."""

    __tablename__ = "after_action_items"
    __table_args__ = (Index("ix_after_action_items_exercise", "exercise_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"))
    objective_id: Mapped[int | None] = mapped_column(
        ForeignKey("exercise_objectives.id", ondelete="SET NULL"), nullable=True
    )
    capability_key: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))  # strength, area
    rating: Mapped[str] = mapped_column(String(1))
    text: Mapped[str] = mapped_column(Text)


class CapabilityTarget(Base):
    """A jurisdiction's (an agency's) target and current level for one core capability."""

    __tablename__ = "capability_targets"
    __table_args__ = (
        Index("ix_capability_targets_once", "agency_id", "capability_key", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    capability_key: Mapped[str] = mapped_column(String(60))
    target_level: Mapped[int] = mapped_column(Integer)
    current_level: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
