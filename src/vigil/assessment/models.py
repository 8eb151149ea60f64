"""Threat-assessment tables: cases, their teams, subjects and linked reports, the
versioned instruments and the answers recorded against them, risk-level decisions,
management-plan interventions (extreme risk protection orders among them),
scheduled reviews, shares with other agencies (dissemination records) and the
reminders already sent.

A case is a threat-assessment record under its own regime: only its team, the
owning agency's supervisors and agencies it was shared with see it. Nothing here
is deleted by a user; status changes, risk decisions and team changes are kept as
history beside the audit trail.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vigil.platform.database import Base
from vigil.platform.types import UTCDateTime, utcnow


class Instrument(Base):
    """A versioned structured-professional-judgment instrument, held as data."""

    __tablename__ = "assessment_instruments"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Case(Base):
    """A behavioral threat-assessment and management case."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_owner_status", "owner_agency_id", "status"),
        Index("ix_cases_status_review", "status", "next_review_on"),
        Index("ix_cases_first_assessed", "first_assessed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    # The record's regime: a school threat-assessment record is also a student record.
    regime: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    risk_level: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    risk_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    review_interval_days: Mapped[int] = mapped_column(Integer, default=30)
    next_review_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closure_criteria: Mapped[str | None] = mapped_column(Text, nullable=True)
    closing_summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    origin_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), nullable=True
    )
    # When the first report about the subject came in (kept if that report is purged),
    # and when the first assessment was completed: the dashboard's time to assessment.
    origin_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CaseStatusChange(Base):
    __tablename__ = "case_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class CaseMember(Base):
    """A user on a case team; removal ends the membership, the row stays as history."""

    __tablename__ = "case_members"
    __table_args__ = (Index("ix_case_members_user_active", "user_id", "removed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    team_role: Mapped[str] = mapped_column(String(20))  # lead, member
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    removed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class CaseSubject(Base):
    """A person of concern in a case: a linked person, a mention, or described here."""

    __tablename__ = "case_subjects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), nullable=True, index=True
    )
    mention_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentions.id", ondelete="SET NULL"), nullable=True
    )
    display_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseReport(Base):
    """A report the case draws on (opening report or added later)."""

    __tablename__ = "case_reports"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assessment(Base):
    """One pass of an instrument over a subject: a draft until the assessor completes it."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_subjects.id", ondelete="SET NULL"), nullable=True
    )
    instrument_id: Mapped[int] = mapped_column(ForeignKey("assessment_instruments.id"))
    status: Mapped[str] = mapped_column(String(20))  # draft, final
    assessor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AssessmentAnswer(Base):
    """The answer to one item, with where it came from and when it was observed."""

    __tablename__ = "assessment_answers"
    __table_args__ = (UniqueConstraint("assessment_id", "item_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    item_key: Mapped[str] = mapped_column(String(60))
    answer: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sources: Mapped[str | None] = mapped_column(Text, nullable=True)
    observed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RiskDecision(Base):
    """A team's risk-level decision with its rationale and what Vigil suggested then."""

    __tablename__ = "risk_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    rationale: Mapped[str] = mapped_column(Text)
    suggested_level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    suggestion: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the rules that fired
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Intervention(Base):
    """One item of the management plan, with an owner, a due date and a status."""

    __tablename__ = "interventions"
    __table_args__ = (
        Index("ix_interventions_open_due", "status", "due_on"),
        # A case's overdue items and the earliest of them, read from the index alone.
        # due_on before status: SQLite 3.40 gave wrong results for an IN on status
        # followed by a range on due_on (migration 0007).
        Index("ix_interventions_case_open_due", "case_id", "due_on", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # planned, in_progress, done, cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Extreme risk protection order petitions: the court's steps and firearm relinquishment.
    erpo_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    erpo_filed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    erpo_decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    erpo_expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    firearms_reported: Mapped[int | None] = mapped_column(Integer, nullable=True)
    firearms_relinquished: Mapped[int | None] = mapped_column(Integer, nullable=True)
    relinquished_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class CaseReview(Base):
    """A held review of the case; the next one falls due an interval later."""

    __tablename__ = "case_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    held_on: Mapped[date] = mapped_column(Date)
    held_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseShare(Base):
    """A dissemination of a case to another agency's team: who, to whom, why, when."""

    __tablename__ = "case_shares"
    __table_args__ = (Index("ix_case_shares_agency_active", "agency_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    reason: Mapped[str] = mapped_column(Text)
    shared_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    revoke_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class ReminderSent(Base):
    """A reminder already sent, so each fires once per due date and recipient."""

    __tablename__ = "assessment_reminders"
    __table_args__ = (UniqueConstraint("kind", "object_id", "due_key", "recipient_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # intervention_overdue, review_due
    object_id: Mapped[int] = mapped_column(Integer)
    due_key: Mapped[str] = mapped_column(String(40))
    recipient_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
