"""Needs assessments and the service plan: the instrument (held as data, versioned),
recording an assessment, the change since the one before, and the plan's goals."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.types import utcnow
from vigil.recovery.cases import audit_case, get_case
from vigil.recovery.models import NeedsAssessment, PlanItem
from vigil.recovery.vocabulary import PLAN_STATUSES, SERVICE_KINDS

INSTRUMENT_FILE = Path(__file__).resolve().parent / "instruments" / "needs_v1.json"


@dataclass(frozen=True)
class Instrument:
    key: str
    version: int
    title: str
    scale: dict[int, str]
    domains: dict[str, str]


@cache
def instrument() -> Instrument:
    """The needs instrument, checked once: a broken definition fails loudly at first use."""
    raw: dict[str, Any] = json.loads(INSTRUMENT_FILE.read_text(encoding="utf-8"))
    scale = {int(step["value"]): str(step["label"]) for step in raw["scale"]}
    domains = {str(d["key"]): str(d["label"]) for d in raw["domains"]}
    if not scale or not domains or len(domains) != len(raw["domains"]):
        raise ValueError(f"{INSTRUMENT_FILE}: an empty scale or repeated domains")
    return Instrument(str(raw["key"]), int(raw["version"]), str(raw["title"]), scale, domains)


def record_assessment(
    db: Session,
    *,
    actor: Actor,
    case_id: int,
    scores: dict[str, int | None],
    assessed_on: date | None = None,
) -> NeedsAssessment:
    """Record the survivor's needs as they are today; a domain may be left unanswered."""
    case = get_case(db, actor=actor, case_id=case_id, action="work")
    tool = instrument()
    errors: dict[str, str] = {}
    kept: dict[str, int] = {}
    for key, value in scores.items():
        if key not in tool.domains:
            errors[key] = "Not a domain of this instrument."
        elif value is not None and value not in tool.scale:
            errors[key] = f"Choose a step from {min(tool.scale)} to {max(tool.scale)}."
        elif value is not None:
            kept[key] = value
    if not kept and not errors:
        errors["scores"] = "Answer at least one domain."
    today = utcnow().date()
    assessed_on = assessed_on or today
    if assessed_on > today:
        errors["assessed_on"] = "An assessment cannot be dated in the future."
    if errors:
        raise InvalidInput(errors)
    assessment = NeedsAssessment(
        case_id=case.id,
        instrument_key=tool.key,
        instrument_version=tool.version,
        scores=kept,
        assessed_on=assessed_on,
        assessed_by_user_id=actor.user_id,
        created_at=utcnow(),
    )
    db.add(assessment)
    db.flush()
    audit_case(
        db,
        actor=actor,
        action="needs_assess",
        case=case,
        details={"assessment_id": assessment.id, "domains": len(kept)},
    )
    return assessment


def list_assessments(db: Session, *, actor: Actor, case_id: int) -> list[NeedsAssessment]:
    """Newest first."""
    case = get_case(db, actor=actor, case_id=case_id)
    statement = (
        select(NeedsAssessment)
        .where(NeedsAssessment.case_id == case.id)
        .order_by(NeedsAssessment.assessed_on.desc(), NeedsAssessment.id.desc())
    )
    return list(db.execute(statement).scalars())


def changes(latest: dict[str, int], earlier: dict[str, int]) -> dict[str, int]:
    """Domain -> steps gained (positive) or lost since the earlier assessment."""
    return {key: latest[key] - earlier[key] for key in latest if key in earlier}


def add_plan_item(
    db: Session,
    *,
    actor: Actor,
    case_id: int,
    need: str,
    goal: str,
    service_kind: str | None = None,
    target_on: date | None = None,
) -> PlanItem:
    case = get_case(db, actor=actor, case_id=case_id, action="work")
    errors: dict[str, str] = {}
    if need not in instrument().domains:
        errors["need"] = "Choose a need from the list."
    text = " ".join(goal.split())
    if not 3 <= len(text) <= 500:
        errors["goal"] = "Describe the goal (3 to 500 characters)."
    if service_kind is not None and service_kind not in SERVICE_KINDS:
        errors["service_kind"] = "Choose a kind of service from the list."
    if errors:
        raise InvalidInput(errors)
    now = utcnow()
    item = PlanItem(
        case_id=case.id,
        need=need,
        goal=text,
        service_kind=service_kind,
        status="planned",
        target_on=target_on,
        created_at=now,
        updated_at=now,
    )
    db.add(item)
    db.flush()
    audit_case(db, actor=actor, action="plan_add", case=case, details={"plan_item_id": item.id})
    return item


def set_plan_status(
    db: Session, *, actor: Actor, case_id: int, plan_item_id: int, status: str
) -> PlanItem:
    case = get_case(db, actor=actor, case_id=case_id, action="work")
    item = db.get(PlanItem, plan_item_id)
    if item is None or item.case_id != case.id:
        raise NotFound("plan_item")
    if status not in PLAN_STATUSES:
        raise InvalidInput({"status": "Choose a state from the list."})
    item.status, item.updated_at = status, utcnow()
    audit_case(
        db,
        actor=actor,
        action="plan_status",
        case=case,
        details={"plan_item_id": item.id, "status": status},
    )
    return item


def list_plan(db: Session, *, actor: Actor, case_id: int) -> list[PlanItem]:
    case = get_case(db, actor=actor, case_id=case_id)
    statement = select(PlanItem).where(PlanItem.case_id == case.id).order_by(PlanItem.id)
    return list(db.execute(statement).scalars())
