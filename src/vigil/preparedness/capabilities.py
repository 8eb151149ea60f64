"""The 32 core capabilities of the National Preparedness Goal (shipped as data, those
that matter for mass-casualty violence first) and a jurisdiction's target and current
level for each, with the gap report that points at exercises, training and measures."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.platform.types import utcnow
from vigil.preparedness.improvement_models import (
    CapabilityTarget,
    Certification,
    CorrectiveAction,
    Course,
    EvaluationGuide,
    Exercise,
    ExerciseObjective,
)
from vigil.preparedness.models import MitigationMeasure, ProtectedSite

EXPECTED_COUNT = 32
# Levels 1-5: 1 no capability, 2 planned, 3 partly able, 4 mostly able, 5 fully able.
LEVELS = {
    1: "1 - none",
    2: "2 - planned, not yet able",
    3: "3 - partly able",
    4: "4 - mostly able",
    5: "5 - fully able",
}
# The capabilities a site's candidate mitigation measures build.
MEASURE_CAPABILITIES = frozenset(
    {"physical_protective_measures", "access_control", "screening_search_detection"}
)
RATING_ORDER = {"P": 0, "S": 1, "M": 2, "U": 3}


@dataclass(frozen=True)
class Capability:
    key: str
    name: str
    mission_areas: tuple[str, ...]
    mass_violence: bool
    why: str | None


class CapabilityDataError(ValueError):
    """The shipped data file is wrong (a packaging fault, found at start-up by tests)."""


def parse_capabilities(data: Any) -> tuple[dict[str, str], tuple[Capability, ...]]:
    """Mission areas and capabilities from the parsed data file, checked."""
    if not isinstance(data, dict) or not isinstance(data.get("capabilities"), list):
        raise CapabilityDataError("core_capabilities.json: 'capabilities' must be a list")
    areas = data.get("mission_areas")
    if not isinstance(areas, dict):
        raise CapabilityDataError("core_capabilities.json: 'mission_areas' must be an object")
    found: list[Capability] = []
    for n, raw in enumerate(data["capabilities"]):
        where = f"core_capabilities.json: capabilities[{n}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("key"), str):
            raise CapabilityDataError(f"{where}: needs a key")
        missions = raw.get("mission_areas")
        if not isinstance(missions, list) or not missions or set(missions) - set(areas):
            raise CapabilityDataError(f"{where}: mission_areas must name known areas")
        if not isinstance(raw.get("name"), str) or not isinstance(raw.get("mass_violence"), bool):
            raise CapabilityDataError(f"{where}: needs a name and mass_violence")
        found.append(
            Capability(
                raw["key"], raw["name"], tuple(missions), raw["mass_violence"], raw.get("why")
            )
        )
    if len(found) != EXPECTED_COUNT or len({c.key for c in found}) != EXPECTED_COUNT:
        raise CapabilityDataError(
            f"core_capabilities.json: {EXPECTED_COUNT} capabilities with distinct keys expected"
        )
    # Mass-casualty-violence capabilities come first, in the file's order.
    ordered = [c for c in found if c.mass_violence] + [c for c in found if not c.mass_violence]
    return dict(areas), tuple(ordered)


@cache
def _loaded() -> tuple[dict[str, str], tuple[Capability, ...]]:
    text = resources.files("vigil.preparedness").joinpath("data/core_capabilities.json")
    return parse_capabilities(json.loads(text.read_text(encoding="utf-8")))


def mission_areas() -> dict[str, str]:
    return _loaded()[0]


def capabilities() -> tuple[Capability, ...]:
    return _loaded()[1]


def capability_names() -> dict[str, str]:
    return {c.key: c.name for c in capabilities()}


def check_capability(key: str | None, errors: dict[str, str], field: str) -> None:
    if key is not None and key not in capability_names():
        errors[field] = "Choose one of the 32 core capabilities."


def set_target(
    db: Session,
    *,
    actor: Actor,
    capability_key: str,
    target_level: int | None,
    current_level: int | None,
    note: str | None = None,
) -> CapabilityTarget:
    """Set the actor's jurisdiction's target and current level for one capability."""
    _, agency_id = actor.member_ids()
    policy.authorize(actor, "update", "capability_target", agency_id)
    errors: dict[str, str] = {}
    check_capability(capability_key, errors, "capability_key")
    if target_level not in LEVELS:
        errors["target_level"] = "Choose a target level from 1 to 5."
    if current_level not in LEVELS:
        errors["current_level"] = "Choose the current level from 1 to 5."
    text = (note or "").strip() or None
    if text and len(text) > 2000:
        errors["note"] = "Use at most 2,000 characters."
    if errors or target_level is None or current_level is None:
        raise InvalidInput(errors)
    target = db.execute(
        select(CapabilityTarget).where(
            CapabilityTarget.agency_id == agency_id,
            CapabilityTarget.capability_key == capability_key,
        )
    ).scalar_one_or_none()
    if target is None:
        target = CapabilityTarget(agency_id=agency_id, capability_key=capability_key)
        db.add(target)
    target.target_level = target_level
    target.current_level = current_level
    target.note = text
    target.updated_at = utcnow()
    target.updated_by_user_id = actor.user_id
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="capability_target.update",
        object_type="capability_target",
        object_id=target.id,
        agency_id=agency_id,
        details={"capability": capability_key, "target": target_level, "current": current_level},
    )
    return target


@dataclass(frozen=True)
class GapRow:
    """One capability of the gap report and what addresses it."""

    capability: Capability
    target: int | None
    current: int | None
    exercises: list[tuple[int, str, str | None]]  # exercise id, name, worst rating
    courses: list[tuple[int, str, int]]  # course id, name, current certifications
    open_actions: int
    measures: int  # candidate measures at the agency's sites (measure capabilities)

    @property
    def gap(self) -> int:
        if self.target is None or self.current is None:
            return 0
        return max(0, self.target - self.current)


def may_set_targets(actor: Actor) -> bool:
    return actor.agency_id is not None and policy.decide(
        actor, "update", "capability_target", actor.agency_id
    )


def gap_report(db: Session, *, actor: Actor, today: Any = None) -> list[GapRow]:
    """Every capability for the actor's jurisdiction: target, current level, the gap, and
    the exercises, courses, corrective actions and measures that bear on it. Largest
    gaps first; among equal gaps, mass-casualty-violence capabilities first."""
    _, agency_id = actor.member_ids()
    policy.authorize(actor, "read", "capability_target", agency_id)
    today = today or utcnow().date()
    targets = {
        t.capability_key: t
        for t in db.execute(
            select(CapabilityTarget).where(CapabilityTarget.agency_id == agency_id)
        ).scalars()
    }
    exercises: dict[str, dict[int, tuple[str, str | None]]] = {}
    rows = db.execute(
        select(ExerciseObjective.capability_key, Exercise.id, Exercise.name, EvaluationGuide.rating)
        .join(Exercise, Exercise.id == ExerciseObjective.exercise_id)
        .outerjoin(EvaluationGuide, EvaluationGuide.objective_id == ExerciseObjective.id)
        .where(
            policy.scope(actor, "list", "exercise"), ExerciseObjective.capability_key.is_not(None)
        )
    ).all()
    for key, exercise_id, name, rating in rows:
        per = exercises.setdefault(key or "", {})
        _, worst = per.get(exercise_id, (name, None))
        if rating is not None and (worst is None or RATING_ORDER[rating] > RATING_ORDER[worst]):
            worst = rating
        per[exercise_id] = (name, worst)
    courses: dict[str, list[tuple[int, str, int]]] = {}
    course_rows = db.execute(
        select(Course.capability_key, Course.id, Course.name, func.count(Certification.id))
        .outerjoin(
            Certification,
            (Certification.course_id == Course.id)
            & (Certification.owner_agency_id == agency_id)
            & ((Certification.expires_on.is_(None)) | (Certification.expires_on >= today)),
        )
        .where(
            Course.capability_key.is_not(None),
            (Course.owner_agency_id.is_(None)) | (Course.owner_agency_id == agency_id),
        )
        .group_by(Course.capability_key, Course.id, Course.name)
    ).all()
    for key, course_id, name, count in course_rows:
        courses.setdefault(key or "", []).append((course_id, name, int(count)))
    action_rows = db.execute(
        select(ExerciseObjective.capability_key, func.count(func.distinct(CorrectiveAction.id)))
        .join(CorrectiveAction, CorrectiveAction.id == ExerciseObjective.corrective_action_id)
        .where(
            CorrectiveAction.owner_agency_id == agency_id,
            CorrectiveAction.status != "closed",
            ExerciseObjective.capability_key.is_not(None),
        )
        .group_by(ExerciseObjective.capability_key)
    ).all()
    open_actions = {key: int(count) for key, count in action_rows}
    measure_count = int(
        db.execute(
            select(func.count(MitigationMeasure.id))
            .join(ProtectedSite, ProtectedSite.id == MitigationMeasure.site_id)
            .where(ProtectedSite.owner_agency_id == agency_id)
        ).scalar_one()
    )
    report = []
    for capability in capabilities():
        target = targets.get(capability.key)
        report.append(
            GapRow(
                capability=capability,
                target=target.target_level if target else None,
                current=target.current_level if target else None,
                exercises=[
                    (i, name, worst)
                    for i, (name, worst) in sorted(exercises.get(capability.key, {}).items())
                ],
                courses=sorted(courses.get(capability.key, []), key=lambda c: c[1]),
                open_actions=open_actions.get(capability.key, 0),
                measures=measure_count if capability.key in MEASURE_CAPABILITIES else 0,
            )
        )
    order = {c.key: n for n, c in enumerate(capabilities())}
    report.sort(key=lambda r: (-r.gap, order[r.capability.key]))
    return report
