"""Sharing tables: sharing groups and their member agencies, the reports shared with a
group (its TAXII collection), dissemination records (28 CFR 23.20(g)), and what the
STIX importer keeps about a partner's report (its STIX id, source identity and notes).

A dissemination record outlives the report it is about: a purge deletes the report
but the record of who received it stays (``report_id`` becomes NULL, the STIX id and
receipt number remain), because a purge must be notified to every recipient.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
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


class SharingGroup(Base):
    """Partner agencies an agency shares with together; served as one TAXII collection."""

    __tablename__ = "sharing_groups"
    __table_args__ = (UniqueConstraint("owner_agency_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The TAXII collection id (a UUID, stable for the life of the group).
    collection_id: Mapped[str] = mapped_column(String(36), unique=True)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # A bilateral arrangement: members do not learn who else is in the group.
    hide_members: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SharingGroupMember(Base):
    """A partner agency in a sharing group."""

    __tablename__ = "sharing_group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_groups.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True, index=True)
    added_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GroupShare(Base):
    """A report shared with a sharing group: an object of the group's TAXII collection
    from ``shared_at`` (TAXII's date_added) until revoked."""

    __tablename__ = "sharing_group_shares"
    __table_args__ = (
        UniqueConstraint("group_id", "report_id"),
        Index("ix_sharing_group_shares_feed", "group_id", "shared_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("sharing_groups.id", ondelete="CASCADE"))
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    shared_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class Dissemination(Base):
    """One dissemination of a report: what, to whom, by whom, why, when (28 CFR
    23.20(g)). Written for every share, export and group share."""

    __tablename__ = "disseminations"
    __table_args__ = (Index("ix_disseminations_report", "report_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), nullable=True
    )
    stix_id: Mapped[str] = mapped_column(String(80), index=True)
    receipt_number: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(20))  # stix_export, group, taxii
    recipient_agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id"), nullable=True, index=True
    )
    recipient_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_groups.id", ondelete="SET NULL"), nullable=True
    )
    recipient_label: Mapped[str] = mapped_column(String(200))
    marking: Mapped[str] = mapped_column(String(20))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    by_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ImportedReport(Base):
    """A partner's STIX report as it arrived: the id it keeps, who made it, the STIX
    timestamps and name. Makes import idempotent per receiving agency and lets an
    unchanged report leave again exactly as it came."""

    __tablename__ = "sharing_imported_reports"
    __table_args__ = (UniqueConstraint("stix_id", "holder_agency_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), unique=True
    )
    stix_id: Mapped[str] = mapped_column(String(80))
    holder_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    name: Mapped[str] = mapped_column(String(300))
    receipt_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    stix_created: Mapped[str] = mapped_column(String(40))
    stix_modified: Mapped[str] = mapped_column(String(40))
    stix_published: Mapped[str] = mapped_column(String(40))
    source_identity_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    source_name: Mapped[str] = mapped_column(String(300))
    source_identity_class: Mapped[str | None] = mapped_column(String(40), nullable=True)
    channel: Mapped[str] = mapped_column(String(20))  # file, api, taxii
    imported_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The partner's notes on the report (STIX note objects, inert JSON, never rendered
    # as markup), sent on unchanged when the report is shared again.
    notes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class Subscription(Base):
    """A partner's TAXII collection this instance pulls into one of its agencies: where
    it is, the token to read it (encrypted with the instance's secret key), and how far
    the pulls have read (the partner's date_added of the last object received)."""

    __tablename__ = "sharing_subscriptions"
    __table_args__ = (UniqueConstraint("agency_id", "collection_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    collection_url: Mapped[str] = mapped_column(String(500))
    token_encrypted: Mapped[str] = mapped_column(Text)
    created_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_after: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_pulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_outcome: Mapped[str | None] = mapped_column(String(300), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DeconflictionKey(Base):
    """A keyed hash (HMAC-SHA256 with the partners' shared key) of one blocking key of a
    mention: the index a partner's deconfliction query is answered from. ``digest`` is
    empty for a mention indexed without keys; ``key_id`` names the shared key the
    digests were made with, so a new key rebuilds the index."""

    __tablename__ = "sharing_deconfliction_keys"
    __table_args__ = (Index("ix_sharing_deconfliction_keys_digest", "digest"),)

    mention_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16))


class FeedEvent(Base):
    """A purge (or correction) of a report shared with a group, served in the group's
    TAXII collection at ``at`` so that partner instances apply it (28 CFR 23.20(h)):
    ``revoked`` serves the report's STIX object with ``revoked: true`` (nothing of its
    content); ``modified`` serves the report again as it now stands."""

    __tablename__ = "sharing_feed_events"
    __table_args__ = (Index("ix_sharing_feed_events_feed", "group_id", "at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("sharing_groups.id", ondelete="CASCADE"))
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # revoked, modified
    stix_id: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(300))
    author_ref: Mapped[str] = mapped_column(String(80))
    marking: Mapped[str] = mapped_column(String(20))
    stix_created: Mapped[str] = mapped_column(String(40))
    stix_published: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaxiiStatus(Base):
    """The TAXII 2.1 status resource of one add-objects request: what became of each
    object (the importer's message for each failure), read back by the agency that sent
    it at /api/taxii2/vigil/status/{id}/."""

    __tablename__ = "taxii_statuses"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a UUIDv4
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_groups.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(20))  # complete (imports run synchronously)
    request_timestamp: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    total_count: Mapped[int] = mapped_column(Integer)
    success_count: Mapped[int] = mapped_column(Integer)
    failure_count: Mapped[int] = mapped_column(Integer)
    pending_count: Mapped[int] = mapped_column(Integer)
    # [{"id", "version"?, "message"?}] as TAXII's status details (inert JSON).
    successes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    failures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
