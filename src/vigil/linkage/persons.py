"""The person view and supervisors' merges and splits.

A viewer sees a person only through reports they may read: the person exists for
them if at least one such report mentions the person; the timeline lists those
reports; every other report about the person appears as a pointer (holding agency,
date, kind) when policy allows its existence to be known, and not at all
otherwise. Names and details come only from readable mentions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import product

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from vigil.linkage import membership
from vigil.linkage.models import MatchCandidate, MatchDecision, Person, PersonChange, PersonMention
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Agency
from vigil.reports.models import Mention, Report

MAX_SPLIT_PAIRS = 50_000  # "not the same" decisions a split may record


@dataclass(frozen=True)
class TimelineEntry:
    report: Report
    mention: Mention
    at: datetime


@dataclass(frozen=True)
class Pointer:
    report_id: int
    holding_agency: str
    kind: str
    at: datetime


@dataclass(frozen=True)
class PossibleMatch:
    candidate_id: int
    other_person_id: int | None
    match_weight: float


@dataclass(frozen=True)
class PersonView:
    person: Person
    names: list[str]
    timeline: list[TimelineEntry]
    pointers: list[Pointer]
    possible: list[PossibleMatch]
    history: list[PersonChange]


def _when(report: Report) -> datetime:
    return report.occurred_at or report.reported_at


def _rows(db: Session, person_id: int) -> list[tuple[Mention, Report]]:
    return [
        (mention, report)
        for mention, report in db.execute(
            select(Mention, Report)
            .join(PersonMention, PersonMention.mention_id == Mention.id)
            .join(Report, Report.id == Mention.report_id)
            .where(PersonMention.person_id == person_id, Report.purged_at.is_(None))
            .order_by(Report.reported_at, Mention.id)
        ).all()
    ]


def _live_person(db: Session, person_id: int) -> Person:
    person = db.get(Person, person_id)
    if person is None:
        raise NotFound("person")
    return person


def readable_mentions(db: Session, *, actor: Actor, person_id: int) -> list[tuple[Mention, Report]]:
    """The person's mentions in reports ``actor`` may read; NotFound if there are none."""
    policy.authorize(actor, "read", "person")
    _live_person(db, person_id)
    every = _rows(db, person_id)
    if not policy.decide(actor, "view", "person", [report for _, report in every]):
        raise NotFound("person")
    return [
        (mention, report)
        for mention, report in every
        if policy.decide(actor, "read", "report", report)
    ]


def view_person(db: Session, *, actor: Actor, person_id: int) -> PersonView:
    policy.authorize(actor, "read", "person")
    person = _live_person(db, person_id)
    timeline: list[TimelineEntry] = []
    pointers: dict[int, Pointer] = {}
    agencies = dict(db.execute(select(Agency.id, Agency.name)).all())
    readable_ids: list[int] = []
    every = _rows(db, person_id)
    if not policy.decide(actor, "view", "person", [report for _, report in every]):
        raise NotFound("person")
    for mention, report in every:
        if policy.decide(actor, "read", "report", report):
            timeline.append(TimelineEntry(report, mention, _when(report)))
            readable_ids.append(mention.id)
        elif report.id not in pointers and policy.decide(actor, "see", "report_pointer", report):
            pointers[report.id] = Pointer(
                report.id, agencies.get(report.owner_agency_id, "?"), report.kind, _when(report)
            )
    names = sorted({entry.mention.full_name for entry in timeline})
    audit.record(
        db,
        actor=actor,
        action="person.read",
        object_type="person",
        object_id=person.id,
        details={"reports": len({e.report.id for e in timeline}), "pointers": len(pointers)},
    )
    return PersonView(
        person=person,
        names=names,
        timeline=sorted(timeline, key=lambda entry: entry.at),
        pointers=sorted(pointers.values(), key=lambda pointer: pointer.at),
        possible=_possible(db, actor, readable_ids),
        history=list(
            db.execute(
                select(PersonChange)
                .where(
                    or_(
                        PersonChange.person_id == person.id,
                        PersonChange.other_person_id == person.id,
                    )
                )
                .order_by(PersonChange.at)
            ).scalars()
        ),
    )


def _possible(db: Session, actor: Actor, mention_ids: list[int]) -> list[PossibleMatch]:
    """Open candidates touching these mentions that the actor could review."""
    if not mention_ids or not policy.decide(actor, "list", "match_candidate"):
        return []
    touching = or_(
        MatchCandidate.mention_a_id.in_(mention_ids), MatchCandidate.mention_b_id.in_(mention_ids)
    )
    candidates = db.execute(
        select(MatchCandidate)
        .where(
            touching,
            MatchCandidate.decided_at.is_(None),
            policy.scope(actor, "list", "match_candidate"),
        )
        .order_by(MatchCandidate.match_weight.desc())
        .limit(50)
    ).scalars()
    found = []
    mine = set(mention_ids)
    for candidate in candidates:
        other = candidate.mention_b_id if candidate.mention_a_id in mine else candidate.mention_a_id
        person_id = db.execute(
            select(PersonMention.person_id).where(PersonMention.mention_id == other)
        ).scalar_one_or_none()
        found.append(PossibleMatch(candidate.id, person_id, candidate.match_weight))
    return found


def person_of_mention(db: Session, mention_id: int) -> int | None:
    return db.execute(
        select(PersonMention.person_id).where(PersonMention.mention_id == mention_id)
    ).scalar_one_or_none()


def merge(db: Session, *, actor: Actor, person_id: int, other_person_id: int, reason: str) -> int:
    """A supervisor's merge of ``other_person_id`` into ``person_id``; recorded as a
    "same" decision so later runs keep them together. Returns mentions moved."""
    policy.authorize(actor, "merge", "person")
    reason = _reason(reason)
    if person_id == other_person_id:
        raise InvalidInput({"other_person_id": "Choose a different person to merge."})
    kept = readable_mentions(db, actor=actor, person_id=person_id)
    absorbed = readable_mentions(db, actor=actor, person_id=other_person_id)
    decisions = membership.binding_decisions(db)
    clash = membership.conflicts(
        decisions,
        membership.mentions_of(db, person_id),
        membership.mentions_of(db, other_person_id),
    )
    if clash:
        raise Conflict(
            f"A reviewer decided that {len(clash)} pair(s) of these mentions are not the "
            "same person. Review those decisions first.",
            field="other_person_id",
        )
    a, b = membership.ordered(kept[0][0].id, absorbed[0][0].id)
    db.add(
        MatchDecision(
            mention_a_id=a,
            mention_b_id=b,
            decision=membership.SAME,
            user_id=actor.user_id,
            agency_id=actor.agency_id,
            reason=f"merge: {reason}",
        )
    )
    moved = membership.merge_persons(db, person_id, other_person_id, linked_by="supervisor")
    _history(db, actor, "merge", person_id, other_person_id, moved, reason)
    return moved


def split(db: Session, *, actor: Actor, person_id: int, mention_ids: list[int], reason: str) -> int:
    """Move the chosen (readable) mentions to a new person, recorded as "not the same"
    decisions against the rest so later runs keep them apart. Returns the new person."""
    policy.authorize(actor, "split", "person")
    reason = _reason(reason)
    readable = {
        mention.id for mention, _ in readable_mentions(db, actor=actor, person_id=person_id)
    }
    chosen = sorted(set(mention_ids))
    every = membership.mentions_of(db, person_id)
    if not chosen or not set(chosen) <= readable:
        raise InvalidInput({"mention_ids": "Choose one or more of this person's mentions."})
    rest = [m for m in every if m not in chosen]
    if not rest:
        raise InvalidInput({"mention_ids": "Leave at least one mention with this person."})
    if len(chosen) * len(rest) > MAX_SPLIT_PAIRS:
        raise InvalidInput({"mention_ids": "Too many mentions to split at once."})
    for moved, kept in product(chosen, rest):
        a, b = membership.ordered(moved, kept)
        db.add(
            MatchDecision(
                mention_a_id=a,
                mention_b_id=b,
                decision=membership.NOT_SAME,
                user_id=actor.user_id,
                agency_id=actor.agency_id,
                reason=f"split: {reason}",
            )
        )
    (new_person,) = membership.new_persons(db, 1)
    membership.move(db, chosen, new_person, linked_by="supervisor")
    _history(db, actor, "split", person_id, new_person, len(chosen), reason)
    return new_person


def _reason(reason: str) -> str:
    cleaned = " ".join(reason.split())
    if not 5 <= len(cleaned) <= 2000:
        raise InvalidInput({"reason": "Give a reason of 5 to 2,000 characters."})
    return cleaned


def _history(
    db: Session, actor: Actor, kind: str, person_id: int, other: int, count: int, reason: str
) -> None:
    db.add(
        PersonChange(
            kind=kind,
            person_id=person_id,
            other_person_id=other,
            mention_count=count,
            user_id=actor.user_id,
            reason=reason,
        )
    )
    db.flush()
    audit.record(
        db,
        actor=actor,
        action=f"person.{kind}",
        object_type="person",
        object_id=person_id,
        details={"other_person": other, "mentions": count},
    )


@dataclass(frozen=True)
class MentionLink:
    """What the report page shows beside a mention: its person and how many other
    reports about that person the viewer may read, and possible matches to review."""

    person_id: int
    other_reports: int
    possible: int


def links_for_report(db: Session, *, actor: Actor, report: Report) -> dict[int, MentionLink]:
    """For each mention of a report the actor reads: its person and what else is known."""
    mention_ids = [mention.id for mention in report.mentions]
    if not mention_ids or not policy.decide(actor, "read", "person"):
        return {}
    placed = dict(
        db.execute(
            select(PersonMention.mention_id, PersonMention.person_id).where(
                PersonMention.mention_id.in_(mention_ids)
            )
        ).all()
    )
    links = {}
    for mention_id, person_id in placed.items():
        others = {
            other.id
            for _, other in _rows(db, person_id)
            if other.id != report.id and policy.decide(actor, "read", "report", other)
        }
        links[mention_id] = MentionLink(
            person_id, len(others), len(_possible(db, actor, [mention_id]))
        )
    return links
