"""Report intake tables: reports, mentions, attachments, shares, the tipster
conversation, file-class history, routing events, retention reviews, idempotency."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigil.platform.database import Base
from vigil.platform.types import UTCDateTime, utcnow


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    file_class: Mapped[str] = mapped_column(String(20), default="tip_lead", index=True)
    source: Mapped[str] = mapped_column(String(20))
    narrative: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    location_text: Mapped[str | None] = mapped_column(String(500), nullable=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    behaviors: Mapped[list[str]] = mapped_column(JSON, default=list)
    weapons: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    marking: Mapped[str] = mapped_column(String(20), default="AMBER")
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    routed_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    protected_activity_only: Mapped[bool] = mapped_column(Boolean, default=False)
    tipster_contact: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    followup_code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    # Triage: the computed score and level, the rules that fired, and any override.
    urgency_score: Mapped[int] = mapped_column(Integer, default=0)
    urgency_level: Mapped[str] = mapped_column(String(20), default="low", index=True)
    urgency_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    level_override: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # Routing and disposition.
    ack_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    disposition: Mapped[str | None] = mapped_column(String(40), nullable=True)
    disposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Retention (28 CFR Part 23 and the instance's policy).
    review_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    purge_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mentions: Mapped[list[Mention]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="Mention.id"
    )
    attachments: Mapped[list[ReportAttachment]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportAttachment.id"
    )
    shares: Mapped[list[ReportShare]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    recipients: Mapped[list[ReportRecipient]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        Index("ix_reports_queue", "routed_agency_id", "disposed_at"),
        # Search checks every candidate match against the reader's policy and ranks it:
        # with these beside the id, that lookup reads this index, not the whole row
        # (migration 0026). Keep it in step with policy.report_rules.report_scope.
        Index(
            "ix_reports_search_scope",
            "id",
            "marking",
            "owner_agency_id",
            "routed_agency_id",
            "file_class",
            "urgency_level",
            "level_override",
            "reported_at",
        ),
    )

    @property
    def shared_agency_ids(self) -> frozenset[int]:
        return frozenset(share.agency_id for share in self.shares)

    @property
    def named_user_ids(self) -> frozenset[int]:
        return frozenset(recipient.user_id for recipient in self.recipients)

    @property
    def effective_level(self) -> str:
        return self.level_override or self.urgency_level


class ReportShare(Base):
    """An explicit share of a report with a named agency (need-to-know)."""

    __tablename__ = "report_shares"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    shared_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportRecipient(Base):
    """A user named as a recipient of a TLP:RED report."""

    __tablename__ = "report_recipients"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class Mention(Base):
    """A person named or described in a report; what linkage connects."""

    __tablename__ = "mentions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    given_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    middle_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    family_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    age_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    age_max: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sex: Mapped[str | None] = mapped_column(String(10), nullable=True)
    phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    handles: Mapped[list[str]] = mapped_column(JSON, default=list)
    addresses: Mapped[list[str]] = mapped_column(JSON, default=list)
    school_or_employer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)

    report: Mapped[Report] = relationship(back_populates="mentions")

    @property
    def full_name(self) -> str:
        parts = [self.given_name, self.middle_name, self.family_name]
        return " ".join(part for part in parts if part) or "(no name given)"


class MentionIdentifier(Base):
    """A subject's full name or contact as filing compares them (case-folded), one row per
    report and value: looked up by index to count earlier reports about the same person,
    instead of reading the agency's subjects. Written with the mentions; goes with the
    report."""

    __tablename__ = "mention_identifiers"
    __table_args__ = (Index("ix_mention_identifiers_value", "value", "kind"),)

    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # "name" or "contact"
    value: Mapped[str] = mapped_column(Text, primary_key=True)


class ReportAttachment(Base):
    """Metadata of a file kept outside the database under its SHA-256."""

    __tablename__ = "report_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    report: Mapped[Report] = relationship(back_populates="attachments")


class ReportMessage(Base):
    """One message of the anonymous two-way conversation with a tipster."""

    __tablename__ = "report_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(10))  # "agency" or "tipster"
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FileClassChange(Base):
    """A promotion (or demotion) between tip/lead, SAR and criminal intelligence."""

    __tablename__ = "report_file_class_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    from_class: Mapped[str] = mapped_column(String(20))
    to_class: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    behavior: Mapped[str | None] = mapped_column(String(40), nullable=True)
    nexus: Mapped[str | None] = mapped_column(Text, nullable=True)
    predicate: Mapped[str | None] = mapped_column(Text, nullable=True)
    justification: Mapped[str | None] = mapped_column(Text, nullable=True)


class ReportEvent(Base):
    """What happened to a report on its way: routed, acknowledged, escalated, disposed,
    level overridden, reviewed. Shown on the report page; the audit trail also has it."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class IdempotencyKey(Base):
    """A submission already processed: a retry with the same key gets the same receipt."""

    __tablename__ = "report_idempotency_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("scope", "key", name="uq_report_idempotency_scope_key"),)


class RetentionReview(Base):
    """A reviewer's decision on a report due for review: revalidated (with a reason,
    setting a new review date) or purged."""

    __tablename__ = "report_retention_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    reviewer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decision: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    next_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RoutingRule(Base):
    """Sends tips about a place or a school to the agency responsible for it."""

    __tablename__ = "report_routing_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    match_kind: Mapped[str] = mapped_column(String(20))  # "place" or "school"
    value: Mapped[str] = mapped_column(String(200))  # stored case-folded
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("match_kind", "value", name="uq_routing_rule_value"),)
