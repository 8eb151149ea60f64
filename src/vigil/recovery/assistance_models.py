"""Tables of the family assistance center, the donated fund's distribution and community
recovery, all held by a victim-services provider under the survivor-consent regime.

* An ``AssistanceCenter`` is opened by a provider for one incident; families and
  survivors register there (``CenterRegistration``, linked to the incident's
  reunification record and to a survivor case where they exist), use its services
  (``CenterService``), visit (``CenterVisit``) and attend family briefings
  (``CenterBriefing`` with ``BriefingAttendance``).
* A ``Fund`` is distributed under a ``FundProtocol``: a draft published for comment
  (``ProtocolComment``), then a final one. ``FundClaim`` rows carry the eligibility
  evidence and the reviewer's decision; the ``FundDistribution`` keeps the exact input
  the calculation ran on (the published, anonymised file) and ``FundPayment`` each
  payment and when it was paid.
* Community recovery: ``CommunityProvider`` (a directory with languages and capacity),
  ``CommunityEvent``, ``CommunityNeed`` and the ``CommunityOffer`` of goods or
  volunteer time matched to a need.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
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

# Cents of a fund: beyond 32 bits for a fund over $21 million.
Cents = BigInteger().with_variant(Integer, "sqlite")


def _user_fk() -> ForeignKey:
    return ForeignKey("users.id", ondelete="SET NULL")


class AssistanceCenter(Base):
    """A family assistance center a provider runs for one incident."""

    __tablename__ = "assistance_centers"
    __table_args__ = (Index("ix_assistance_centers_retain_until", "retain_until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    provider_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))
    opened_on: Mapped[date] = mapped_column(Date)
    lead_user_id: Mapped[int | None] = mapped_column(_user_fk(), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # open, closed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Set when the center closes; the purge deletes it, with every family's registration,
    # visits and attendance, after this date.
    retain_until: Mapped[date | None] = mapped_column(Date, nullable=True)


class CenterService(Base):
    """A service on offer at the center (interpreters, counsellors, legal help, ...)."""

    __tablename__ = "center_services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    center_id: Mapped[int] = mapped_column(
        ForeignKey("assistance_centers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    provider_name: Mapped[str] = mapped_column(String(200))
    languages: Mapped[str | None] = mapped_column(String(300), nullable=True)
    hours: Mapped[str | None] = mapped_column(String(200), nullable=True)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CenterRegistration(Base):
    """A family or survivor registered at the center."""

    __tablename__ = "center_registrations"
    __table_args__ = (Index("ix_center_registrations_center", "center_id", "registered_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("assistance_centers.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # survivor, family
    display_name: Mapped[str] = mapped_column(String(200))
    people_count: Mapped[int] = mapped_column(Integer, default=1)
    preferred_language: Mapped[str | None] = mapped_column(String(60), nullable=True)
    contact: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The row id of the person on the incident's reunification lists, checked on entry.
    reunification_record: Mapped[str | None] = mapped_column(String(100), nullable=True)
    survivor_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("survivor_cases.id", ondelete="SET NULL"), nullable=True
    )
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    registered_by_user_id: Mapped[int | None] = mapped_column(_user_fk(), nullable=True)


class CenterVisit(Base):
    """One visit of a registered family to the center and the services it used."""

    __tablename__ = "center_visits"
    __table_args__ = (Index("ix_center_visits_center", "center_id", "visited_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("assistance_centers.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("center_registrations.id", ondelete="CASCADE"), index=True
    )
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by_user_id: Mapped[int | None] = mapped_column(_user_fk(), nullable=True)


class CenterBriefing(Base):
    """A scheduled briefing of the families (by officials, before any press)."""

    __tablename__ = "center_briefings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    center_id: Mapped[int] = mapped_column(
        ForeignKey("assistance_centers.id", ondelete="CASCADE"), index=True
    )
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    topic: Mapped[str] = mapped_column(String(200))
    presenter: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BriefingAttendance(Base):
    """How many of a registered family attended a briefing."""

    __tablename__ = "center_briefing_attendance"
    __table_args__ = (UniqueConstraint("briefing_id", "registration_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    briefing_id: Mapped[int] = mapped_column(ForeignKey("center_briefings.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("center_registrations.id", ondelete="CASCADE"), index=True
    )
    attendees: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Fund(Base):
    """A donated fund a provider administers for the victims of one incident."""

    __tablename__ = "funds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    provider_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # drafting, comment, final, distributed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(_user_fk(), nullable=True)
    # The day the last payment was made: the claims' retention runs from it.
    paid_out_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class FundProtocol(Base):
    """One published version of the protocol: a draft for comment, or the final one."""

    __tablename__ = "fund_protocols"
    __table_args__ = (UniqueConstraint("fund_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(10))  # draft, final
    fund_cents: Mapped[int] = mapped_column(Cents)
    # [{"id", "label", "harm", "min_nights", "max_nights", "weight" (decimal text)}]
    tiers: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    comment_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_user_id: Mapped[int | None] = mapped_column(_user_fk(), nullable=True)


class ProtocolComment(Base):
    """A comment received on a draft protocol, recorded as received."""

    __tablename__ = "fund_protocol_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    protocol_id: Mapped[int] = mapped_column(
        ForeignKey("fund_protocols.id", ondelete="CASCADE"), index=True
    )
    commenter: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_user_id: Mapped[int | None] = mapped_column(_user_fk(), nullable=True)


class FundClaim(Base):
    """A claim on the fund, its eligibility evidence and the reviewer's decision."""

    __tablename__ = "fund_claims"
    __table_args__ = (Index("ix_fund_claims_fund", "fund_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(24), unique=True)
    claimant_name: Mapped[str] = mapped_column(String(200))
    harm: Mapped[str] = mapped_column(String(20))  # killed, hospitalised, injured, present
    nights: Mapped[int | None] = mapped_column(Integer, nullable=True)
    evidence_record: Mapped[str | None] = mapped_column(String(100), nullable=True)
    evidence_document: Mapped[str | None] = mapped_column(String(200), nullable=True)
    evidence_check: Mapped[str | None] = mapped_column(String(20), nullable=True)
    evidence_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # submitted, approved, refused
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by_user_id: Mapped[int | None] = mapped_column(_user_fk(), nullable=True)
    survivor_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("survivor_cases.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(_user_fk(), nullable=True)
    # Set by the retention purge, which empties the claimant's name, evidence and reason
    # and keeps the harm, decision and payment the published report counts.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class FundDistribution(Base):
    """The calculation as run: the exact published input file and its digest."""

    __tablename__ = "fund_distributions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id", ondelete="CASCADE"), unique=True)
    protocol_id: Mapped[int] = mapped_column(ForeignKey("fund_protocols.id"))
    input_json: Mapped[str] = mapped_column(Text)
    input_sha256: Mapped[str] = mapped_column(String(64))
    calculated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    calculated_by_user_id: Mapped[int | None] = mapped_column(_user_fk(), nullable=True)


class FundPayment(Base):
    """One claimant's payment: the amount calculated, and when and how it was paid."""

    __tablename__ = "fund_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    distribution_id: Mapped[int] = mapped_column(
        ForeignKey("fund_distributions.id", ondelete="CASCADE"), index=True
    )
    claim_id: Mapped[int] = mapped_column(
        ForeignKey("fund_claims.id", ondelete="CASCADE"), unique=True
    )
    anonymous_id: Mapped[str] = mapped_column(String(20))
    tier: Mapped[str] = mapped_column(String(60))
    amount_cents: Mapped[int] = mapped_column(Cents)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    payment_reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    recorded_by_user_id: Mapped[int | None] = mapped_column(_user_fk(), nullable=True)


class CommunityProvider(Base):
    """A provider in the resiliency center's directory, with languages and capacity."""

    __tablename__ = "community_providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    languages: Mapped[str | None] = mapped_column(String(300), nullable=True)
    capacity: Mapped[int] = mapped_column(Integer)  # clients it can take now
    contact: Mapped[str | None] = mapped_column(String(300), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommunityEvent(Base):
    """A service session or community event of the resiliency center."""

    __tablename__ = "community_events"
    __table_args__ = (Index("ix_community_events_holder", "holder_agency_id", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    kind: Mapped[str] = mapped_column(String(20))  # service, event
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommunityNeed(Base):
    """Something the community needs (meals, rides, childcare, interpreters, ...)."""

    __tablename__ = "community_needs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(60), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # open, met
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommunityOffer(Base):
    """An in-kind offer or a volunteer's time, and the need it was matched to."""

    __tablename__ = "community_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    offer_kind: Mapped[str] = mapped_column(String(20))  # in_kind, volunteer
    kind: Mapped[str] = mapped_column(String(40))
    offered_by: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(300), nullable=True)
    quantity: Mapped[int] = mapped_column(Integer)
    languages: Mapped[str | None] = mapped_column(String(300), nullable=True)
    need_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_needs.id", ondelete="SET NULL"), nullable=True, index=True
    )
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
