"""Preparedness tables: the registry of protected sites (schools, houses of worship,
venues...) an agency owns, with what their risk is computed from.

A site's security details are sensitive: each site carries a TLP 2.0 marking (TLP:AMBER
unless its owner chooses otherwise) and is read only through the policy module.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigil.platform.database import Base
from vigil.platform.types import UTCDateTime, utcnow


class ProtectedSite(Base):
    """A place to protect, owned by one agency."""

    __tablename__ = "protected_sites"
    __table_args__ = (Index("ix_protected_sites_owner", "owner_agency_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    marking: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Occupancy at its busiest: the consequence part of the site's risk.
    capacity: Mapped[int] = mapped_column(Integer)
    hours: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Names and numbers of the site's security and emergency contacts (personal data:
    # reading a site's page is audited).
    contacts: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Threat (0-1) as an analyst set it, with why; vulnerability (0-1] as last judged
    # (an analyst's baseline until the site has an assessment).
    threat: Mapped[float] = mapped_column(Float)
    threat_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    vulnerability: Mapped[float] = mapped_column(Float)
    vulnerability_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MitigationMeasure(Base):
    """A candidate measure at a site: what it costs and how much of the site's
    vulnerability it leaves (the factor). Measures of one site that share a non-empty
    ``exclusive_group`` exclude each other (two ways of controlling one entrance)."""

    __tablename__ = "mitigation_measures"
    __table_args__ = (Index("ix_mitigation_measures_site", "site_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("protected_sites.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    cost: Mapped[float] = mapped_column(Float)
    vulnerability_factor: Mapped[float] = mapped_column(Float)
    exclusive_group: Mapped[str | None] = mapped_column(String(60), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
