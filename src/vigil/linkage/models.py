"""Linkage tables: persons and which mentions belong to them, the runs that
clustered them (each with its trained model as a versioned artefact), the
features and blocking keys of each mention for incremental matching, the review
queue of possible matches, reviewers' decisions, the history of supervisors'
merges and splits, and requests for access to a report seen only as a pointer.

Everything here hangs off ``mentions`` with ON DELETE CASCADE: purging a report
deletes its mentions and, with them, every trace of them in linkage.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
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


class LinkRun(Base):
    """One (re)clustering of every mention; ``run_key`` is the run id users see."""

    __tablename__ = "link_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_key: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # running, succeeded, failed
    backend: Mapped[str] = mapped_column(String(20))
    started_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    mention_count: Mapped[int] = mapped_column(Integer, default=0)
    person_count: Mapped[int] = mapped_column(Integer, default=0)
    pair_count: Mapped[int] = mapped_column(Integer, default=0)
    review_count: Mapped[int] = mapped_column(Integer, default=0)
    # Match weights (log2 Bayes factors): at or above upper, linked; from lower, reviewed.
    lower_weight: Mapped[float] = mapped_column(Float)
    upper_weight: Mapped[float] = mapped_column(Float)
    model_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Person(Base):
    """A cluster of mentions believed to be one person. Ids stay stable across runs."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a run or a supervisor's merge left this person without mentions.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), nullable=True)


class PersonMention(Base):
    """Which person a mention belongs to, and what put it there."""

    __tablename__ = "person_mentions"

    mention_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    linked_by: Mapped[str] = mapped_column(String(20))  # run, incremental, supervisor
    run_id: Mapped[int | None] = mapped_column(ForeignKey("link_runs.id"), nullable=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MentionFeatures(Base):
    """A mention's normalised features as the engine compares them (for incremental
    matching without re-reading and re-normalising the candidates)."""

    __tablename__ = "mention_features"

    mention_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True
    )
    features: Mapped[dict[str, Any]] = mapped_column(JSON)
    linkable: Mapped[bool] = mapped_column(Boolean)
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MentionKey(Base):
    """One blocking key of a mention ("dob:1990-01-02"): the index incremental
    matching looks candidates up in."""

    __tablename__ = "mention_keys"

    mention_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)

    __table_args__ = (Index("ix_mention_keys_key", "key"),)


class MatchCandidate(Base):
    """A possible match between two mentions of different persons, with its match
    weight and explanation; open until a reviewer decides it."""

    __tablename__ = "match_candidates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mention_a_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), index=True
    )
    mention_b_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), index=True
    )
    match_weight: Mapped[float] = mapped_column(Float)
    match_probability: Mapped[float] = mapped_column(Float)
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("link_runs.id"), nullable=True)
    found_by: Mapped[str] = mapped_column(String(20))  # run or incremental
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("mention_a_id", "mention_b_id", name="uq_match_candidate_pair"),
        CheckConstraint("mention_a_id < mention_b_id", name="ordered_pair"),
        Index("ix_match_candidates_open", "decided_at", "match_weight"),
    )


class MatchDecision(Base):
    """A reviewer's decision on a pair of mentions; the latest for a pair binds
    every later run ("not the same" is never merged, "same" never split)."""

    __tablename__ = "match_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mention_a_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"))
    mention_b_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[str] = mapped_column(String(20))  # same, not_same, unsure
    match_weight: Mapped[float | None] = mapped_column(Float, nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("mention_a_id < mention_b_id", name="ordered_pair"),
        Index("ix_match_decisions_pair", "mention_a_id", "mention_b_id"),
    )


class PersonChange(Base):
    """A supervisor's merge or split of persons, kept as history."""

    __tablename__ = "person_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # merge, split
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    other_person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    mention_count: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccessRequest(Base):
    """A request, from a user who sees a report only as a pointer, for access to it.
    The holding agency grants (a share: a recorded dissemination) or refuses."""

    __tablename__ = "report_access_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), nullable=True
    )
    requester_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requester_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    holding_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # granted, refused
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
