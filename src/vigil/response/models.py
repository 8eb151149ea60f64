"""Response tables: incidents with the agencies involved, accountability lists and the
people on them, families' inquiries and their candidate matches, and the
reunification persons and notes exchanged as PFIF.

Reunification data is its own regime (response_rules): scoped to one incident and
the agencies involved in it. A PFIF record keeps its own id (domain/id) and the
fields PFIF carries; once its expiry_date passes, its content is deleted and only
the placeholder (id and dates) stays, as PFIF requires.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from vigil.platform.database import Base
from vigil.platform.types import UTCDateTime, utcnow

RECORD_ID_CHARS = 500


class Incident(Base):
    """One incident (a shooting at a school, a venue, ...) that response work belongs to."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    place: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="active")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the reunification data of the closed incident was deleted on schedule.
    reunification_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lead_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncidentAgency(Base):
    """An agency involved in an incident, with its role in unified command."""

    __tablename__ = "incident_agencies"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40))


class ReunificationPerson(Base):
    """A PFIF person record: someone sought or found, as one repository recorded them."""

    __tablename__ = "reunification_persons"
    __table_args__ = (Index("ix_reunification_persons_incident", "incident_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(String(RECORD_ID_CHARS), unique=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), nullable=True
    )
    full_name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    source_date: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    entry_date: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expiry_date: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The other PFIF 1.4 fields as given (name, description, dates of birth, ...).
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ReunificationNote(Base):
    """A PFIF note record: news about a person (seen, found, believed alive or dead)."""

    __tablename__ = "reunification_notes"
    __table_args__ = (Index("ix_reunification_notes_person", "person_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(String(RECORD_ID_CHARS), unique=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("reunification_persons.id", ondelete="CASCADE")
    )
    status: Mapped[str | None] = mapped_column(String(30), nullable=True)
    source_date: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    entry_date: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AccountabilityList(Base):
    """One uploaded accountability list file (a roster, a hospital's patients, ...)."""

    __tablename__ = "accountability_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    source_name: Mapped[str] = mapped_column(String(200))
    row_count: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class ListedPerson(Base):
    """A person on an accountability list, with their Standard Reunification Method status."""

    __tablename__ = "listed_persons"
    __table_args__ = (
        UniqueConstraint("incident_id", "row_id"),
        Index("ix_listed_persons_list", "list_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("accountability_lists.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    row_id: Mapped[str] = mapped_column(String(100))
    list_kind: Mapped[str] = mapped_column(String(30))
    full_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    dob: Mapped[str | None] = mapped_column(String(10), nullable=True)
    age: Mapped[str | None] = mapped_column(String(20), nullable=True)
    sex: Mapped[str | None] = mapped_column(String(1), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(30))


class ListedPersonLink(Base):
    """Staff's record that two rows of an incident's lists are the same person (a
    roster's student and a hospital's patient, say): who said so and when. The
    operating picture counts each group of linked rows once.

    A mistaken link is removed, not deleted: the row keeps who linked and who removed
    it, when and why, and no longer counts (``removed_at`` is set)."""

    __tablename__ = "listed_person_links"
    __table_args__ = (
        # A pair is linked once at a time; once removed it may be linked again, and the
        # removed link stays as history.
        Index(
            "uq_listed_person_links_current_pair",
            "person_id",
            "same_as_id",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
        Index("ix_listed_person_links_incident", "incident_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("listed_persons.id", ondelete="CASCADE"))
    same_as_id: Mapped[int] = mapped_column(ForeignKey("listed_persons.id", ondelete="CASCADE"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who linked them: the user's login, or the operating-system user at the shell.
    linked_by: Mapped[str] = mapped_column(String(150))
    linked_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    removed_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    removed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # Why staff removed it, for the reunification staff who read the person's page
    # (reunification data: purged with the incident's, never in the audit trail).
    removal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Inquiry(Base):
    """A family's inquiry about someone (from the phone bank or the web form)."""

    __tablename__ = "inquiries"
    __table_args__ = (UniqueConstraint("incident_id", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    dob: Mapped[str | None] = mapped_column(String(10), nullable=True)
    age: Mapped[str | None] = mapped_column(String(20), nullable=True)
    sex: Mapped[str | None] = mapped_column(String(1), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    relationship: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InquiryCandidate(Base):
    """A listed person proposed for an inquiry, waiting for staff to confirm it."""

    __tablename__ = "inquiry_candidates"
    __table_args__ = (
        UniqueConstraint("inquiry_id", "listed_person_id"),
        Index("ix_inquiry_candidates_incident", "incident_id", "likely", "inquiry_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"))
    listed_person_id: Mapped[int] = mapped_column(
        ForeignKey("listed_persons.id", ondelete="CASCADE")
    )
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    likely: Mapped[bool] = mapped_column(Boolean, default=False)
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Who confirmed it: the user's login, or the operating-system user at the shell.
    confirmed_by: Mapped[str | None] = mapped_column(String(150), nullable=True)


class DeathNotification(Base):
    """A family to be told of a death in person by designated staff; Vigil never tells
    them itself. Queued when staff confirm a match on the medical examiner's list."""

    __tablename__ = "death_notifications"
    __table_args__ = (UniqueConstraint("inquiry_id", "listed_person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"))
    listed_person_id: Mapped[int] = mapped_column(
        ForeignKey("listed_persons.id", ondelete="CASCADE")
    )
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_by: Mapped[str] = mapped_column(String(150))
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    notified_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    recorded_by: Mapped[str | None] = mapped_column(String(150), nullable=True)


class ReunificationAccess(Base):
    """The documented reason an intelligence or threat-assessment user gave to read one
    person's reunification record (kept here, not in the audit trail, which holds
    only this row's id)."""

    __tablename__ = "reunification_accesses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    listed_person_id: Mapped[int] = mapped_column(
        ForeignKey("listed_persons.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
