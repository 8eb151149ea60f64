"""The public incident catalogue's tables: each source row as published, the harmonised
incidents with field-by-field provenance, and the evidence for every link.

Everything here is public data (published by its sources); nothing is personal data
collected by Vigil. Shooters' names stay inside the published row only."""

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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vigil.platform.database import Base
from vigil.platform.types import UTCDateTime, utcnow


class CatalogIncident(Base):
    """One real-world shooting as Vigil harmonised it across the sources."""

    __tablename__ = "analytics_incidents"
    __table_args__ = (
        Index("ix_analytics_incidents_year_state", "year", "state"),
        Index("ix_analytics_incidents_occurred", "occurred_on"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    occurred_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    month: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state: Mapped[str | None] = mapped_column(String(2), nullable=True)
    city: Mapped[str | None] = mapped_column(String(120), nullable=True)
    county: Mapped[str | None] = mapped_column(String(120), nullable=True)
    killed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    injured: Mapped[int | None] = mapped_column(Integer, nullable=True)
    school: Mapped[bool] = mapped_column(Boolean, default=False)
    school_level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # Under which definitions this incident counts (see vigil.analytics.definitions).
    shot4: Mapped[bool] = mapped_column(Boolean, default=False)
    killed4: Mapped[bool] = mapped_column(Boolean, default=False)
    active_shooter: Mapped[bool] = mapped_column(Boolean, default=False)
    public_mass: Mapped[bool] = mapped_column(Boolean, default=False)
    school_shooting: Mapped[bool] = mapped_column(Boolean, default=False)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    # field -> [{"dataset", "row_key", "value"}]: which source said what.
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    disagreements: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    # Underlying factors (vigil.analytics.factors): factor -> value, None where unsaid.
    factors: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SourceRow(Base):
    """A data row exactly as its source published it, with its incident."""

    __tablename__ = "analytics_source_rows"
    __table_args__ = (
        UniqueConstraint("dataset", "file", "row_index"),
        Index("ix_analytics_source_rows_incident", "incident_id"),
        Index("ix_analytics_source_rows_key", "dataset", "row_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(60))
    file: Mapped[str] = mapped_column(String(200))
    row_index: Mapped[int] = mapped_column(Integer)
    row_key: Mapped[str] = mapped_column(String(200))
    incident_id: Mapped[str] = mapped_column(String(40))
    published: Mapped[dict[str, str]] = mapped_column(JSON)
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CatalogLink(Base):
    """The evidence about two source rows: linked, or left apart for review."""

    __tablename__ = "analytics_links"
    __table_args__ = (Index("ix_analytics_links_decision", "decision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_a: Mapped[str] = mapped_column(String(60))
    row_key_a: Mapped[str] = mapped_column(String(200))
    dataset_b: Mapped[str] = mapped_column(String(60))
    row_key_b: Mapped[str] = mapped_column(String(200))
    probability: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(10))
    levels: Mapped[dict[str, Any]] = mapped_column(JSON)


class LinkDecision(Base):
    """An analyst's decision on a pair the linkage was unsure about: ``confirmed`` (one
    incident) or ``rejected`` (two). Kept by the rows' data sets and published keys, so
    it outlives a reload of the catalogue; harmonising honours it."""

    __tablename__ = "analytics_link_decisions"
    __table_args__ = (UniqueConstraint("dataset_a", "row_key_a", "dataset_b", "row_key_b"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_a: Mapped[str] = mapped_column(String(60))
    row_key_a: Mapped[str] = mapped_column(String(200))
    dataset_b: Mapped[str] = mapped_column(String(60))
    row_key_b: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(10))
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutcomeSharing(Base):
    """An agency's choice to let other agencies see its de-identified outcome figures
    (off unless its supervisor turns it on)."""

    __tablename__ = "analytics_outcome_sharing"

    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True
    )
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
