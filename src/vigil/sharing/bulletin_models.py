"""Tables of intelligence bulletins (their distribution lists and deliveries) and of
public CAP 1.2 alerts (the XML exactly as served, validated before it was stored)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigil.platform.database import Base
from vigil.platform.types import UTCDateTime, utcnow


class Bulletin(Base):
    """An intelligence bulletin of one agency: a draft until published, then frozen."""

    __tablename__ = "bulletins"
    __table_args__ = (Index("ix_bulletins_owner", "owner_agency_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # The STIX id the bulletin keeps when disseminated (dissemination records cite it).
    stix_id: Mapped[str] = mapped_column(String(80), unique=True)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    marking: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft, published
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class BulletinAgency(Base):
    """An agency on a bulletin's distribution list (named, or reached through a group:
    the group's members are resolved into rows here when the bulletin is published)."""

    __tablename__ = "bulletin_agencies"

    bulletin_id: Mapped[int] = mapped_column(
        ForeignKey("bulletins.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True, index=True)
    via_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_groups.id", ondelete="SET NULL"), nullable=True
    )


class BulletinGroup(Base):
    """A sharing group on a bulletin's distribution list."""

    __tablename__ = "bulletin_groups"

    bulletin_id: Mapped[int] = mapped_column(
        ForeignKey("bulletins.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_groups.id", ondelete="CASCADE"), primary_key=True
    )


class BulletinNamedUser(Base):
    """A named recipient of a TLP:RED bulletin: the only readers besides the author."""

    __tablename__ = "bulletin_named_users"

    bulletin_id: Mapped[int] = mapped_column(
        ForeignKey("bulletins.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class BulletinDelivery(Base):
    """One recipient user of a published bulletin: notified in the app at publication;
    e-mailed (title and link only) once the publication committed."""

    __tablename__ = "bulletin_deliveries"

    bulletin_id: Mapped[int] = mapped_column(
        ForeignKey("bulletins.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # pending, sent, no_address, refused, deferred (the mail server was unreachable)
    email_status: Mapped[str] = mapped_column(String(20))
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PublicAlert(Base):
    """A public CAP 1.2 message (Alert, Update or Cancel) as issued: the XML is stored
    exactly as served; the columns repeat what the feed and the issuing pages need."""

    __tablename__ = "public_alerts"
    __table_args__ = (Index("ix_public_alerts_thread", "thread_identifier", "sent_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(120), unique=True)
    # The identifier of the first Alert of the thread its Updates and Cancel continue.
    thread_identifier: Mapped[str] = mapped_column(String(120))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    issued_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    msg_type: Mapped[str] = mapped_column(String(20))
    event: Mapped[str] = mapped_column(String(200))
    headline: Mapped[str] = mapped_column(String(160))
    area_desc: Mapped[str] = mapped_column(String(300))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    xml: Mapped[str] = mapped_column(Text)
