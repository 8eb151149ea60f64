"""Victim-services tables: survivor cases (one per survivor or family), the consents
that alone allow a disclosure outside the provider holding the record, the
disclosures made under them, referrals to providers with their closed-loop outcome
history, the dates that matter to the survivor and the reminders sent before them,
needs assessments (re-assessed over time) and the service plan's goals.

These records live under their own regime: the survivor's consent. The provider
agency that holds a case (a victim-services agency) works it; nobody else reads it
without a valid, unrevoked, unexpired written consent naming their agency and the
purpose. Deleting a case (the retention purge) deletes every row here that hangs off it.

The family assistance center, the fund and the community-recovery tables
(issue 11) live in ``assistance_models``, under the same regime.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigil.platform.database import Base
from vigil.platform.types import UTCDateTime, utcnow


class SurvivorCase(Base):
    """A long-term victim-services case for one survivor or one family."""

    __tablename__ = "survivor_cases"
    __table_args__ = (
        # The caseload pages: an advocate's open cases, a supervisor's agency by status,
        # both newest first.
        Index("ix_survivor_cases_advocate", "advocate_user_id", "status", "opened_at"),
        Index("ix_survivor_cases_provider", "provider_agency_id", "status", "opened_at"),
        Index("ix_survivor_cases_retain_until", "retain_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    provider_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    kind: Mapped[str] = mapped_column(String(20))  # survivor, family
    display_name: Mapped[str] = mapped_column(String(200))
    preferred_language: Mapped[str | None] = mapped_column(String(60), nullable=True)
    contact: Mapped[str | None] = mapped_column(Text, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # open, closed
    # The incident the survivor or family was harmed in, where the response domain has it.
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True, index=True
    )
    advocate_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    first_service_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set when the case closes; the purge deletes the case after this date.
    retain_until: Mapped[date | None] = mapped_column(Date, nullable=True)


class Consent(Base):
    """A survivor's informed, written consent to disclose to one agency for one purpose."""

    __tablename__ = "survivor_consents"
    __table_args__ = (
        Index("ix_survivor_consents_lookup", "case_id", "recipient_agency_id", "purpose"),
        Index("ix_survivor_consents_recipient", "recipient_agency_id", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("survivor_cases.id", ondelete="CASCADE"))
    recipient_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    written_on_file: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the signed form is kept (a file number, a scan's reference); never the form.
    document_reference: Mapped[str] = mapped_column(String(200))
    signed_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    # The form also lets the family's records at the assistance center (registration,
    # visits, briefings attended) go to the recipient, for the same purpose.
    covers_center_records: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class Disclosure(Base):
    """One read of a case by another agency under a consent (who, to whom, why, when)."""

    __tablename__ = "survivor_disclosures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("survivor_cases.id", ondelete="CASCADE"), index=True
    )
    consent_id: Mapped[int] = mapped_column(
        ForeignKey("survivor_consents.id", ondelete="CASCADE"), index=True
    )
    recipient_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    recipient_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    purpose: Mapped[str] = mapped_column(String(40))
    # What was disclosed: the case, or a registration at an assistance center.
    subject: Mapped[str] = mapped_column(String(40), default="case")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Referral(Base):
    """A referral to a provider, tracked until its outcome closes the loop."""

    __tablename__ = "survivor_referrals"
    __table_args__ = (Index("ix_survivor_referrals_case", "case_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("survivor_cases.id", ondelete="CASCADE"))
    service_kind: Mapped[str] = mapped_column(String(40))
    provider_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    referred_on: Mapped[date] = mapped_column(Date)
    follow_up_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ReferralEvent(Base):
    """One status change of a referral: the loop's history."""

    __tablename__ = "survivor_referral_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("survivor_referrals.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class ImportantDate(Base):
    """A date that matters to the survivor: an anniversary, a court date, a follow-up."""

    __tablename__ = "survivor_dates"
    __table_args__ = (Index("ix_survivor_dates_on", "on_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("survivor_cases.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(200))
    on_date: Mapped[date] = mapped_column(Date)
    yearly: Mapped[bool] = mapped_column(Boolean, default=False)
    remind_days_before: Mapped[int] = mapped_column(Integer, default=7)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DateReminder(Base):
    """A reminder already sent for one occurrence of a date, so it is sent once."""

    __tablename__ = "survivor_date_reminders"
    __table_args__ = (
        Index("ix_survivor_date_reminders_once", "date_id", "occurs_on", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date_id: Mapped[int] = mapped_column(ForeignKey("survivor_dates.id", ondelete="CASCADE"))
    occurs_on: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NeedsAssessment(Base):
    """One assessment of the survivor's needs against a versioned instrument (held as
    data); re-assessed over time, each kept."""

    __tablename__ = "survivor_needs_assessments"
    __table_args__ = (Index("ix_survivor_needs_assessments_case", "case_id", "assessed_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("survivor_cases.id", ondelete="CASCADE"))
    instrument_key: Mapped[str] = mapped_column(String(40))
    instrument_version: Mapped[int] = mapped_column(Integer)
    scores: Mapped[dict[str, int]] = mapped_column(JSON)
    assessed_on: Mapped[date] = mapped_column(Date)
    assessed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlanItem(Base):
    """One goal of the survivor's service plan, for a need, with its state."""

    __tablename__ = "survivor_plan_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("survivor_cases.id", ondelete="CASCADE"), index=True
    )
    need: Mapped[str] = mapped_column(String(40))
    goal: Mapped[str] = mapped_column(String(500))
    service_kind: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    target_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The assistance-center, fund and community tables share this metadata (the registry
# imports this module only).
import vigil.recovery.assistance_models  # noqa: E402, F401
