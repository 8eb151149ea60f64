"""Administration of routing rules: the place and school names whose tips an agency
receives. (Applying them to a new tip is ``reports.routing``'s job.)"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Agency
from vigil.platform.types import utcnow
from vigil.reports.models import RoutingRule

MAX_VALUE = 200


class MatchKind(StrEnum):
    PLACE = "place"
    SCHOOL = "school"

    @property
    def label(self) -> str:
        return {"place": "Place", "school": "School"}[self.value]


@dataclass(frozen=True)
class RuleDraft:
    """A rule not yet created: what the policy needs to judge the creation."""

    agency_id: int
    id: None = None


def normalized_value(value: str) -> str:
    """How rules are stored and matched: single spaces, case-folded."""
    return " ".join(value.split()).casefold()


def list_rules(db: Session, *, actor: Actor) -> list[RoutingRule]:
    """The routing rules the actor administers, by agency, kind and name."""
    policy.authorize(actor, "list", "routing_rule")
    statement = (
        select(RoutingRule)
        .where(policy.scope(actor, "list", "routing_rule"))
        .order_by(RoutingRule.agency_id, RoutingRule.match_kind, RoutingRule.value)
    )
    return list(db.execute(statement).scalars())


def add_rule(
    db: Session, *, actor: Actor, agency_id: int, match_kind: str, value: str
) -> RoutingRule:
    """Route tips naming this place or school to the agency (audited)."""
    policy.authorize(actor, "create", "routing_rule", RuleDraft(agency_id=agency_id))
    errors = {}
    try:
        kind = MatchKind(match_kind)
    except ValueError:
        errors["match_kind"] = "Choose place or school."
    name = normalized_value(value)
    if not 2 <= len(name) <= MAX_VALUE:
        errors["value"] = f"Enter a name of 2 to {MAX_VALUE} characters."
    agency = db.get(Agency, agency_id)
    if agency is None or not agency.active:
        errors["agency_id"] = "Choose an active agency."
    if errors:
        raise InvalidInput(errors)
    taken = db.execute(
        select(RoutingRule.id).where(
            RoutingRule.match_kind == kind.value, RoutingRule.value == name
        )
    ).first()
    if taken:
        raise Conflict(
            f"Tips about the {kind.value} {name!r} already route to an agency; remove that "
            "rule first.",
            field="value",
        )
    rule = RoutingRule(agency_id=agency_id, match_kind=kind.value, value=name, created_at=utcnow())
    db.add(rule)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="routing_rule.create",
        object_type="routing_rule",
        object_id=rule.id,
        agency_id=agency_id,
        details={"match_kind": kind.value, "value": name},
    )
    return rule


def remove_rule(db: Session, *, actor: Actor, rule_id: int) -> None:
    """Stop routing by this rule (audited). Someone else's rule is not found."""
    rule = db.get(RoutingRule, rule_id)
    if rule is None or not policy.decide(actor, "read", "routing_rule", rule):
        raise NotFound("routing_rule")
    policy.authorize(actor, "delete", "routing_rule", rule)
    details = {"match_kind": rule.match_kind, "value": rule.value}
    agency_id = rule.agency_id
    db.delete(rule)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="routing_rule.delete",
        object_type="routing_rule",
        object_id=rule_id,
        agency_id=agency_id,
        details=details,
    )
