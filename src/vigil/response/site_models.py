"""Reunification-site tables: the sites and map points of an incident, each listed
person's authorised guardians and custody restrictions, guardian check-ins (verified or
refused) and releases.

Check-ins and releases are append-only: the services only ever add rows (a mistaken
release is corrected by staff outside Vigil and noted as a new check-in, never by
editing the record of who released whom to whom and when). All of it is reunification
data: it is deleted with the incident's other reunification data on schedule.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigil.platform.database import Base
from vigil.platform.types import UTCDateTime, utcnow


class ReunificationSite(Base):
    """A place where students and guardians are reunited (a family reunification site)."""

    __tablename__ = "reunification_sites"
    __table_args__ = (UniqueConstraint("incident_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(150))


class IncidentLocation(Base):
    """A point on the incident's map: the incident itself, a hospital, a command post."""

    __tablename__ = "incident_locations"
    __table_args__ = (Index("ix_incident_locations_incident", "incident_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuthorizedGuardian(Base):
    """Someone named for a listed person: allowed to take them home, or (restricted) not,
    under a custody order or the school's record."""

    __tablename__ = "authorized_guardians"
    __table_args__ = (Index("ix_authorized_guardians_person", "listed_person_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    listed_person_id: Mapped[int] = mapped_column(
        ForeignKey("listed_persons.id", ondelete="CASCADE")
    )
    full_name: Mapped[str] = mapped_column(String(300))
    # The name compared at check-in (accents, case and punctuation dropped, words sorted).
    name_key: Mapped[str] = mapped_column(String(300))
    relationship: Mapped[str | None] = mapped_column(String(100), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(50), nullable=True)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    restriction: Mapped[str | None] = mapped_column(Text, nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by: Mapped[str] = mapped_column(String(150))


class GuardianCheckIn(Base):
    """A guardian presenting at a site for a listed person: verified, or refused and why."""

    __tablename__ = "guardian_checkins"
    __table_args__ = (Index("ix_guardian_checkins_site", "site_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("reunification_sites.id", ondelete="CASCADE"))
    listed_person_id: Mapped[int] = mapped_column(
        ForeignKey("listed_persons.id", ondelete="CASCADE")
    )
    guardian_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorized_guardians.id", ondelete="CASCADE"), nullable=True
    )
    presented_name: Mapped[str] = mapped_column(String(300))
    id_document: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_by: Mapped[str] = mapped_column(String(150))


class Release(Base):
    """A listed person released at a site by a staff member to a verified guardian."""

    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("listed_person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("reunification_sites.id", ondelete="CASCADE"))
    listed_person_id: Mapped[int] = mapped_column(
        ForeignKey("listed_persons.id", ondelete="CASCADE")
    )
    checkin_id: Mapped[int] = mapped_column(ForeignKey("guardian_checkins.id", ondelete="CASCADE"))
    released_to: Mapped[str] = mapped_column(String(300))
    released_by: Mapped[str] = mapped_column(String(150))
    released_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InquiryContact(Base):
    """How to reach the family behind an inquiry taken at the phone bank or web form."""

    __tablename__ = "inquiry_contacts"
    __table_args__ = (UniqueConstraint("inquiry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"))
    caller_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    contact: Mapped[str] = mapped_column(String(200))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    taken_by: Mapped[str] = mapped_column(String(150))
