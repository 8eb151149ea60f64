"""The review queue of possible matches and reviewers' decisions on them.

A reviewer sees a pair only if they may read both reports. "Same" joins the two
persons (unless a "not the same" decision forbids it), "not the same" keeps them
apart for good, "unsure" records the doubt and leaves the pair in the queue for
someone else. Every decision binds later runs and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.linkage import membership
from vigil.linkage.models import MatchCandidate, MatchDecision
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.types import utcnow
from vigil.reports.models import Mention, Report


@dataclass(frozen=True)
class Side:
    mention: Mention
    report: Report
    person_id: int | None


@dataclass(frozen=True)
class Pair:
    candidate: MatchCandidate
    left: Side
    right: Side
    doubts: int  # "unsure" decisions so far


def _side(db: Session, mention_id: int) -> Side:
    mention = db.get_one(Mention, mention_id)
    return Side(mention, mention.report, _person(db, mention_id))


def _person(db: Session, mention_id: int) -> int | None:
    from vigil.linkage.persons import person_of_mention

    return person_of_mention(db, mention_id)


def _doubts(db: Session, candidate: MatchCandidate) -> int:
    return int(
        db.execute(
            select(func.count())
            .select_from(MatchDecision)
            .where(
                MatchDecision.mention_a_id == candidate.mention_a_id,
                MatchDecision.mention_b_id == candidate.mention_b_id,
                MatchDecision.decision == membership.UNSURE,
            )
        ).scalar_one()
    )


def list_queue(
    db: Session, *, actor: Actor, limit: int = 50, offset: int = 0
) -> tuple[int, list[Pair]]:
    """Open candidates the actor may review, strongest first; (total, page)."""
    policy.authorize(actor, "list", "match_candidate")
    where = (MatchCandidate.decided_at.is_(None), policy.scope(actor, "list", "match_candidate"))
    total = db.execute(select(func.count()).select_from(MatchCandidate).where(*where)).scalar_one()
    candidates = db.execute(
        select(MatchCandidate)
        .where(*where)
        .order_by(MatchCandidate.match_weight.desc(), MatchCandidate.id)
        .limit(limit)
        .offset(offset)
    ).scalars()
    pairs = [
        Pair(c, _side(db, c.mention_a_id), _side(db, c.mention_b_id), _doubts(db, c))
        for c in candidates
    ]
    # The queue shows names and reports of people: a read of personal data, audited.
    audit.record(
        db,
        actor=actor,
        action="match.list",
        object_type="match_candidate",
        details={"shown": len(pairs), "offset": offset},
    )
    return int(total), pairs


def get_pair(db: Session, *, actor: Actor, candidate_id: int, audit_read: bool = True) -> Pair:
    policy.authorize(actor, "list", "match_candidate")
    candidate = db.get(MatchCandidate, candidate_id)
    if candidate is None:
        raise NotFound("match_candidate")
    left, right = _side(db, candidate.mention_a_id), _side(db, candidate.mention_b_id)
    if not policy.decide(actor, "decide", "match_candidate", (left.report, right.report)):
        raise NotFound("match_candidate")
    if audit_read:
        audit.record(
            db,
            actor=actor,
            action="match.read",
            object_type="match_candidate",
            object_id=candidate.id,
        )
    return Pair(candidate, left, right, _doubts(db, candidate))


def decide(
    db: Session, *, actor: Actor, candidate_id: int, decision: str, reason: str | None = None
) -> Pair:
    if decision not in membership.DECISIONS:
        raise InvalidInput({"decision": "Choose same, not the same, or unsure."})
    pair = get_pair(db, actor=actor, candidate_id=candidate_id, audit_read=False)
    candidate = pair.candidate
    if candidate.decided_at is not None:
        raise Conflict("This pair has already been decided.", field="decision")
    note = " ".join((reason or "").split())[:2000] or None
    if decision == membership.SAME:
        _join(db, pair)
    db.add(
        MatchDecision(
            mention_a_id=candidate.mention_a_id,
            mention_b_id=candidate.mention_b_id,
            decision=decision,
            match_weight=candidate.match_weight,
            user_id=actor.user_id,
            agency_id=actor.agency_id,
            reason=note,
        )
    )
    if decision != membership.UNSURE:
        candidate.decided_at = utcnow()
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="match.decide",
        object_type="match_candidate",
        object_id=candidate.id,
        details={"decision": decision},
    )
    return pair


def _join(db: Session, pair: Pair) -> None:
    """Put both mentions' persons together, unless a binding decision forbids it."""
    left, right = pair.left.person_id, pair.right.person_id
    if left is not None and left == right:
        return
    decisions = membership.binding_decisions(db)
    left_group = membership.mentions_of(db, left) if left else [pair.left.mention.id]
    right_group = membership.mentions_of(db, right) if right else [pair.right.mention.id]
    if membership.conflicts(decisions, left_group, right_group):
        raise Conflict(
            "A reviewer decided that some mentions of these two persons are not the same "
            "person; a supervisor must split or re-decide first.",
            field="decision",
        )
    if left is None and right is None:
        person = membership.place(db, pair.left.mention.id, None, linked_by="review")
        membership.place(db, pair.right.mention.id, person, linked_by="review")
    elif left is None:
        membership.place(db, pair.left.mention.id, right, linked_by="review")
    elif right is None:
        membership.place(db, pair.right.mention.id, left, linked_by="review")
    else:
        keep, absorbed = sorted((left, right))
        membership.merge_persons(db, keep, absorbed, linked_by="review")
