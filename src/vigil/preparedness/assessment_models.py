"""Vulnerability-assessment tables: the stored instrument versions, a site's assessments
with their answers and evidence, and the links from a site to the reports and cases that
hold threats against it.

An assessment pins the instrument version it was made with; its section scores and
vulnerability are frozen when it is signed off, so a new version of an instrument never
changes a past assessment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigil.platform.database import Base
from vigil.platform.types import UTCDateTime, utcnow


class SiteInstrument(Base):
    """One version of an instrument file, stored as it was validated."""

    __tablename__ = "preparedness_instruments"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_preparedness_instruments_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    content_sha256: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SiteAssessment(Base):
    """An assessment of one site against one instrument version: in progress, submitted
    for review, or signed off by a reviewer who is not its assessor."""

    __tablename__ = "site_assessments"
    __table_args__ = (
        Index("ix_site_assessments_latest", "site_id", "status", "signed_off_at", "id"),
        Index("ix_site_assessments_owner", "owner_agency_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("protected_sites.id", ondelete="CASCADE"))
    instrument_id: Mapped[int] = mapped_column(ForeignKey("preparedness_instruments.id"))
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    marking: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(20))  # in_progress, submitted, signed_off
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reviewer_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    review_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Frozen at sign-off: the overall score (0-1), the vulnerability it gives, and
    # {section key: score or None}.
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    vulnerability: Mapped[float | None] = mapped_column(Float, nullable=True)
    section_scores: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SiteAssessmentAnswer(Base):
    """The answer to one question, saved on its own (the latest one counts)."""

    __tablename__ = "site_assessment_answers"
    __table_args__ = (
        UniqueConstraint("assessment_id", "question_key", name="uq_site_assessment_answers"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("site_assessments.id", ondelete="CASCADE")
    )
    question_key: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class SiteAssessmentEvidence(Base):
    """A photo or document on one answer, kept outside the database under its SHA-256."""

    __tablename__ = "site_assessment_evidence"
    __table_args__ = (Index("ix_site_assessment_evidence", "assessment_id", "question_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("site_assessments.id", ondelete="CASCADE")
    )
    question_key: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class SiteThreat(Base):
    """A report or a threat-assessment case that holds a threat against a site. Whether
    it counts for a reader is decided by the policy module on each read."""

    __tablename__ = "protected_site_threats"
    __table_args__ = (
        UniqueConstraint("site_id", "report_id", name="uq_protected_site_threats_report"),
        UniqueConstraint("site_id", "case_id", name="uq_protected_site_threats_case"),
        Index("ix_protected_site_threats_report", "report_id"),
        Index("ix_protected_site_threats_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("protected_sites.id", ondelete="CASCADE"))
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), nullable=True
    )
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), nullable=True
    )
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    linked_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class FindingMeasure(Base):
    """A candidate mitigation measure proposed from an option of an assessment finding."""

    __tablename__ = "site_finding_measures"
    __table_args__ = (
        UniqueConstraint(
            "assessment_id", "question_key", "option_key", name="uq_site_finding_measures"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("site_assessments.id", ondelete="CASCADE")
    )
    question_key: Mapped[str] = mapped_column(String(40))
    option_key: Mapped[str] = mapped_column(String(40))
    measure_id: Mapped[int] = mapped_column(
        ForeignKey("mitigation_measures.id", ondelete="CASCADE"), index=True
    )
