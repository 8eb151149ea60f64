"""Which person each mention belongs to: keeping person ids stable when a run
reclusters, reading the binding reviewer decisions, and moving mentions between
persons (the one place that writes ``person_mentions``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from vigil.linkage.models import MatchDecision, Person, PersonMention
from vigil.platform.types import utcnow

SAME = "same"
NOT_SAME = "not_same"
UNSURE = "unsure"
DECISIONS = (SAME, NOT_SAME, UNSURE)


def ordered(first: int, second: int) -> tuple[int, int]:
    return (first, second) if first < second else (second, first)


@dataclass(frozen=True)
class BindingDecisions:
    """The latest decision for each pair, as must-link and cannot-link sets."""

    same: frozenset[tuple[int, int]]
    not_same: frozenset[tuple[int, int]]


def binding_decisions(db: Session) -> BindingDecisions:
    latest = (
        select(
            MatchDecision.mention_a_id,
            MatchDecision.mention_b_id,
            func.max(MatchDecision.id).label("last_id"),
        )
        .group_by(MatchDecision.mention_a_id, MatchDecision.mention_b_id)
        .subquery()
    )
    rows = db.execute(
        select(MatchDecision.mention_a_id, MatchDecision.mention_b_id, MatchDecision.decision).join(
            latest, latest.c.last_id == MatchDecision.id
        )
    ).all()
    same = frozenset((a, b) for a, b, decision in rows if decision == SAME)
    not_same = frozenset((a, b) for a, b, decision in rows if decision == NOT_SAME)
    return BindingDecisions(same, not_same)


def current_persons(db: Session) -> dict[int, int]:
    """mention id -> person id, for every linked mention."""
    return dict(db.execute(select(PersonMention.mention_id, PersonMention.person_id)).all())


def new_persons(db: Session, count: int) -> list[int]:
    """Create ``count`` persons; their ids in creation order."""
    if count == 0:
        return []
    now = utcnow()
    rows = [{"created_at": now, "updated_at": now} for _ in range(count)]
    ids = db.execute(insert(Person).returning(Person.id, sort_by_parameter_order=True), rows)
    return [row[0] for row in ids]


def assign_clusters(db: Session, clusters: Mapping[int, str], *, run_id: int) -> tuple[int, int]:
    """Replace every membership with ``clusters`` (mention id -> cluster key), giving
    each cluster the existing person most of its mentions had (largest clusters
    choose first) or a new person. Returns (persons, new persons)."""
    previous = current_persons(db)
    members: dict[str, list[int]] = defaultdict(list)
    for mention_id, key in clusters.items():
        members[key].append(mention_id)
    taken: set[int] = set()
    chosen: dict[str, int] = {}
    unplaced: list[str] = []
    for key, mention_ids in sorted(members.items(), key=lambda item: (-len(item[1]), item[0])):
        votes = Counter(previous[m] for m in mention_ids if m in previous)
        for person_id, _ in votes.most_common():
            if person_id not in taken:
                chosen[key] = person_id
                taken.add(person_id)
                break
        else:
            unplaced.append(key)
    for key, person_id in zip(unplaced, new_persons(db, len(unplaced)), strict=True):
        chosen[key] = person_id
    now = utcnow()
    db.execute(delete(PersonMention))
    rows = [
        {
            "mention_id": mention_id,
            "person_id": chosen[key],
            "linked_by": "run",
            "run_id": run_id,
            "linked_at": now,
        }
        for mention_id, key in clusters.items()
    ]
    for start in range(0, len(rows), 10_000):
        db.execute(insert(PersonMention), rows[start : start + 10_000])
    _retire(db, set(previous.values()) - taken)
    return len(chosen), len(unplaced)


def _retire(db: Session, person_ids: Iterable[int], merged_into: int | None = None) -> None:
    ids = list(person_ids)
    for start in range(0, len(ids), 10_000):
        db.execute(
            update(Person)
            .where(Person.id.in_(ids[start : start + 10_000]))
            .values(retired_at=utcnow(), merged_into_id=merged_into)
        )


def place(
    db: Session, mention_id: int, person_id: int | None, *, linked_by: str, new: bool = False
) -> int:
    """Put one mention in ``person_id`` (or a new person); returns the person id.
    ``new``: the mention has never been placed (nothing to remove first)."""
    if person_id is None:
        (person_id,) = new_persons(db, 1)
    if not new:
        db.execute(delete(PersonMention).where(PersonMention.mention_id == mention_id))
    db.add(PersonMention(mention_id=mention_id, person_id=person_id, linked_by=linked_by))
    db.flush()
    return person_id


def mentions_of(db: Session, person_id: int) -> list[int]:
    return list(
        db.execute(
            select(PersonMention.mention_id)
            .where(PersonMention.person_id == person_id)
            .order_by(PersonMention.mention_id)
        ).scalars()
    )


def conflicts(
    decisions: BindingDecisions, group: Iterable[int], other: Iterable[int]
) -> list[tuple[int, int]]:
    """Pairs decided "not the same" that joining ``group`` and ``other`` would unite."""
    other_set = set(other)
    return [
        pair
        for mention_id in group
        for pair in (ordered(mention_id, o) for o in other_set)
        if pair in decisions.not_same
    ]


def move(db: Session, mention_ids: Iterable[int], person_id: int, *, linked_by: str) -> None:
    ids = list(mention_ids)
    db.execute(
        update(PersonMention)
        .where(PersonMention.mention_id.in_(ids))
        .values(person_id=person_id, linked_by=linked_by, run_id=None, linked_at=utcnow())
    )


def merge_persons(db: Session, keep: int, absorbed: int, *, linked_by: str) -> int:
    """Move every mention of ``absorbed`` into ``keep``; retire ``absorbed``."""
    moved = mentions_of(db, absorbed)
    move(db, moved, keep, linked_by=linked_by)
    _retire(db, [absorbed], merged_into=keep)
    db.execute(update(Person).where(Person.id == keep).values(updated_at=utcnow()))
    return len(moved)
