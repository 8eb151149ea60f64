"""ICS record tables of an incident: operational periods, the positions people hold in
it, the significant-events log, ICS forms (201, 202, 209, 211, 213, 214 and situation
reports) and ICS 213RR resource requests with their state changes, mutual-aid offers
and the time expected at each step.

Submitted records are append-only: the services never change them, and the database
refuses to (triggers in migration 0016). A correction is a new record whose
``corrects_id`` names the one it corrects. Only a draft form is edited in place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigil.platform.database import Base
from vigil.platform.types import UTCDateTime, utcnow


class OperationalPeriod(Base):
    """One operational period of an incident (the span an Incident Action Plan covers)."""

    __tablename__ = "incident_operational_periods"
    __table_args__ = (UniqueConstraint("incident_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class StaffAssignment(Base):
    """A user holding an ICS position in one incident (incident commander, a section
    chief, ...), from assignment until relieved."""

    __tablename__ = "incident_staff"
    __table_args__ = (Index("ix_incident_staff_incident_user", "incident_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    position: Mapped[str] = mapped_column(String(40))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    relieved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    relieved_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class IncidentEvent(Base):
    """A significant event in the incident's log, as recorded (append-only)."""

    __tablename__ = "incident_events"
    __table_args__ = (Index("ix_incident_events_incident", "incident_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))
    summary: Mapped[str] = mapped_column(Text)
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    author_name: Mapped[str] = mapped_column(String(150))
    author_position: Mapped[str | None] = mapped_column(String(40), nullable=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("incident_events.id"), nullable=True)


class IcsForm(Base):
    """One ICS form of an incident (201, 202, 209, 211, 213, 214) or a situation report:
    its blocks as structured fields, a draft until submitted, append-only after."""

    __tablename__ = "ics_forms"
    __table_args__ = (
        UniqueConstraint("incident_id", "number"),
        Index("ix_ics_forms_incident_form", "incident_id", "form", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    # The form's number in this incident (1, 2, ...), shown as the document number.
    number: Mapped[int] = mapped_column(Integer)
    form: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default="draft")
    operational_period_id: Mapped[int | None] = mapped_column(
        ForeignKey("incident_operational_periods.id"), nullable=True
    )
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("ics_forms.id"), nullable=True)
    prepared_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    prepared_by_name: Mapped[str] = mapped_column(String(150))
    prepared_by_position: Mapped[str | None] = mapped_column(String(40), nullable=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ResourceRequest(Base):
    """An ICS 213RR resource request and where it stands in its life cycle."""

    __tablename__ = "resource_requests"
    __table_args__ = (
        UniqueConstraint("incident_id", "number"),
        Index("ix_resource_requests_incident_state", "incident_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    # The resource's entry in the shipped catalogue (NIMS kind and type).
    resource_id: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int] = mapped_column(Integer)
    priority: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    needed_by: Mapped[datetime] = mapped_column(UTCDateTime)
    deliver_to: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Why it was rejected or cancelled.
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    requested_by_name: Mapped[str] = mapped_column(String(150))
    requested_position: Mapped[str | None] = mapped_column(String(40), nullable=True)
    requesting_agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id"), nullable=True
    )
    supplier: Mapped[str | None] = mapped_column(String(200), nullable=True)
    order_reference: Mapped[str | None] = mapped_column(String(60), nullable=True)
    estimated_cost_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ResourceRequestStep(Base):
    """One state change of a resource request: who moved it, in which position, when."""

    __tablename__ = "resource_request_steps"
    __table_args__ = (Index("ix_resource_request_steps_request", "request_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("resource_requests.id", ondelete="CASCADE"))
    from_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_state: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    by_name: Mapped[str] = mapped_column(String(150))
    position: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class ResourceOffer(Base):
    """A mutual-aid partner's offer of resources against a request."""

    __tablename__ = "resource_offers"
    __table_args__ = (Index("ix_resource_offers_request", "request_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("resource_requests.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    terms: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="offered")
    offered_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by_name: Mapped[str | None] = mapped_column(String(150), nullable=True)
    decided_position: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Why it was declined (an accepted offer fills the request: its agency supplies it).
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class StepExpectation(Base):
    """How long a request may wait in one state of this incident before it is overdue
    (overriding the shipped default)."""

    __tablename__ = "resource_step_expectations"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(20), primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer)
    set_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
