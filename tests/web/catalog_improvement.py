"""The preparedness improvement routes of the catalog (tests/web/catalog.py): corrective
actions, exercises, training, capability targets and the investment justification, the
world they need and their rows of the authorization matrix (tests/web/matrix.py).

Each agency of the world has an open corrective action at its site (owned by its member
without a role, with evidence, so it can be closed) and a closed one; a planned exercise
with an objective and an ended one with an area for improvement; a training session.
Everything belongs to its agency: another agency's is hidden (404) from everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.web.catalog import OTHER, OWN, RouteCase, Target
from vigil.platform.models import Agency
from vigil.platform.types import utcnow
from vigil.preparedness.improvement_models import (
    AfterActionItem,
    CorrectiveAction,
    CorrectiveActionEvidence,
    Course,
    Exercise,
    ExerciseObjective,
    TrainingSession,
)

ITEM = "improvement"  # an object of the actor's agency, or of another agency


def seed_improvement(db: Session, world: Any, agencies: tuple[Agency, ...]) -> None:
    """Actions, exercises and a session for each agency; ids in ``world.preparedness``."""
    now = utcnow()
    today = now.date()
    bleed = db.execute(select(Course.id).where(Course.code == "BLEED")).scalar_one()
    world.preparedness["course"] = bleed
    for agency in agencies:
        site_id = world.preparedness[f"site:{agency.id}"]
        owner = world.plain[agency.id].user_id
        actions = []
        for status in ("open", "closed"):
            action = CorrectiveAction(
                owner_agency_id=agency.id,
                site_id=site_id,
                title="Walk: lock the gym doors",
                owner_user_id=owner,
                due_on=today + timedelta(days=30),
                poete="equipment",
                source_kind="finding",
                source_ref="F-1",
                status=status,
                closed_at=now if status == "closed" else None,
                created_at=now,
                updated_at=now,
            )
            db.add(action)
            db.flush()
            db.add(
                CorrectiveActionEvidence(
                    action_id=action.id, kind="photo", description="Walk locks fitted", added_at=now
                )
            )
            actions.append(action)
        planned = Exercise(
            owner_agency_id=agency.id,
            site_id=site_id,
            name="Walk tabletop",
            kind="tabletop",
            starts_on=today + timedelta(days=60),
            ends_on=today + timedelta(days=60),
            status="planned",
            created_at=now,
        )
        ended = Exercise(
            owner_agency_id=agency.id,
            name="Walk drill",
            kind="drill",
            starts_on=today - timedelta(days=10),
            ends_on=today - timedelta(days=10),
            status="ended",
            ended_at=now,
            created_at=now,
        )
        db.add_all([planned, ended])
        db.flush()
        objective = ExerciseObjective(
            exercise_id=planned.id, text="Walk objective", capability_key="planning"
        )
        area = AfterActionItem(
            exercise_id=ended.id, capability_key="planning", kind="area", rating="M", text="Walk"
        )
        session = TrainingSession(
            owner_agency_id=agency.id,
            course_id=bleed,
            site_id=site_id,
            held_on=today,
            created_at=now,
        )
        db.add_all([objective, area, session])
        db.flush()
        seeded = world.preparedness
        seeded[f"action:{agency.id}"] = actions[0].id
        seeded[f"closed_action:{agency.id}"] = actions[1].id
        seeded[f"exercise:{agency.id}"] = planned.id
        seeded[f"ended_exercise:{agency.id}"] = ended.id
        seeded[f"objective:{agency.id}"] = objective.id
        seeded[f"area:{agency.id}"] = area.id
        seeded[f"session:{agency.id}"] = session.id


@dataclass(frozen=True)
class ImprovementRoute(RouteCase):
    """A route whose path names an action, exercise, objective, session or site."""

    @property
    def targets(self) -> tuple[str, ...]:
        return (OWN, OTHER) if self.target == ITEM else super().targets

    def path(self, target: Target) -> str:
        seeded = target.world.preparedness
        agency = target.agency_id
        action = "closed_action" if self.template.endswith("/reopen") else "action"
        exercise = "ended_exercise" if self.template.endswith("/improvements") else "exercise"
        params = {
            "action_id": str(seeded[f"{action}:{agency}"]),
            "exercise_id": str(seeded[f"{exercise}:{agency}"]),
            "objective_id": str(seeded[f"objective:{agency}"]),
            "session_id": str(seeded[f"session:{agency}"]),
            "site_id": str(seeded[f"site:{agency}"]),
        }
        used = {k: v for k, v in params.items() if "{" + k + "}" in self.template}
        filled = RouteCase(self.method, self.template, params=used, query=self.query)
        return filled.path(target)


def _due() -> str:
    return (date.today() + timedelta(days=30)).isoformat()


def _owner(t: Target) -> int:
    return t.world.plain[t.actor.agency_id].user_id


def _action_form(t: Target) -> dict[str, str]:
    return {
        "title": "Walk: fit classroom locks",
        "poete": "equipment",
        "owner_user_id": str(_owner(t)),
        "due": _due(),
        "source_kind": "finding",
        "source_ref": "F-2",
    }


def _action_json(t: Target) -> dict[str, Any]:
    return {
        "title": "Walk: fit classroom locks",
        "poete": "equipment",
        "owner_user_id": _owner(t),
        "due": _due(),
        "source_kind": "finding",
        "source_ref": "F-2",
    }


def _improvement(t: Target, *, form: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "item_id": t.world.preparedness[f"area:{t.agency_id}"],
        "poete": "planning",
        "owner_user_id": _owner(t),
        "due": _due(),
    }
    return {k: str(v) for k, v in values.items()} if form else values


def _session_form(t: Target) -> dict[str, str]:
    return {"course_id": str(t.world.preparedness["course"]), "held_on": _due()}


def _plan_form(t: Target) -> dict[str, str]:
    return {"budget": "6000", "poete": "equipment", "owner_user_id": str(_owner(t)), "due": _due()}


EXERCISE_FORM = {"name": "Walk exercise", "kind": "drill", "starts_on": "2027-01-05"}
EXERCISE_FORM["ends_on"] = "2027-01-05"
EVALUATION = {"rating": "S", "areas_for_improvement": "Walk: one lock stuck"}

IMPROVEMENT_PAGES: list[RouteCase] = [
    RouteCase("GET", "/preparedness/actions"),
    RouteCase("POST", "/preparedness/actions", body="form", build=_action_form),
    ImprovementRoute("GET", "/preparedness/actions/{action_id}", target=ITEM),
    ImprovementRoute(
        "POST",
        "/preparedness/actions/{action_id}",
        target=ITEM,
        body="form",
        build=lambda t: {"status": "in_progress"},
    ),
    ImprovementRoute(
        "POST",
        "/preparedness/actions/{action_id}/evidence",
        target=ITEM,
        body="form",
        build=lambda t: {"kind": "document", "description": "Walk: the new policy"},
    ),
    ImprovementRoute("POST", "/preparedness/actions/{action_id}/close", target=ITEM),
    ImprovementRoute("POST", "/preparedness/actions/{action_id}/reopen", target=ITEM),
    RouteCase("GET", "/preparedness/exercises"),
    RouteCase("POST", "/preparedness/exercises", body="form", build=lambda t: EXERCISE_FORM),
    ImprovementRoute("GET", "/preparedness/exercises/{exercise_id}", target=ITEM),
    ImprovementRoute(
        "POST",
        "/preparedness/exercises/{exercise_id}/objectives",
        target=ITEM,
        body="form",
        build=lambda t: {"text": "Walk: alert every room", "capability_key": "planning"},
    ),
    ImprovementRoute(
        "POST",
        "/preparedness/exercises/{exercise_id}/objectives/{objective_id}/evaluation",
        target=ITEM,
        body="form",
        build=lambda t: EVALUATION,
    ),
    ImprovementRoute("POST", "/preparedness/exercises/{exercise_id}/end", target=ITEM),
    ImprovementRoute(
        "POST",
        "/preparedness/exercises/{exercise_id}/improvements",
        target=ITEM,
        body="form",
        build=lambda t: _improvement(t, form=True),
    ),
    RouteCase("GET", "/preparedness/training"),
    RouteCase(
        "POST",
        "/preparedness/training/courses",
        body="form",
        build=lambda t: {"code": "WALK-1", "name": "Walk course", "validity_months": "12"},
    ),
    RouteCase("POST", "/preparedness/training/sessions", body="form", build=_session_form),
    ImprovementRoute("GET", "/preparedness/training/sessions/{session_id}", target=ITEM),
    ImprovementRoute(
        "POST",
        "/preparedness/training/sessions/{session_id}/attendance",
        target=ITEM,
        body="form",
        build=lambda t: {"person_name": "Walk Teacher", "completed": "yes"},
    ),
    ImprovementRoute("GET", "/preparedness/sites/{site_id}/readiness", target=ITEM),
    RouteCase("GET", "/preparedness/capabilities"),
    RouteCase(
        "POST",
        "/preparedness/capabilities",
        body="form",
        build=lambda t: {"capability_key": "planning", "target_level": "4", "current_level": "2"},
    ),
    RouteCase("GET", "/preparedness/mitigation/justification", query="budget=6000"),
    RouteCase("POST", "/preparedness/mitigation/actions", body="form", build=_plan_form),
]
IMPROVEMENT_API: list[RouteCase] = [
    RouteCase("GET", "/api/v1/preparedness/actions"),
    RouteCase("POST", "/api/v1/preparedness/actions", body="json", build=_action_json),
    ImprovementRoute("GET", "/api/v1/preparedness/actions/{action_id}", target=ITEM),
    ImprovementRoute(
        "PATCH",
        "/api/v1/preparedness/actions/{action_id}",
        target=ITEM,
        body="json",
        build=lambda t: {"status": "in_progress"},
    ),
    ImprovementRoute(
        "POST",
        "/api/v1/preparedness/actions/{action_id}/evidence",
        target=ITEM,
        body="json",
        build=lambda t: {"kind": "document", "description": "Walk: the new policy"},
    ),
    ImprovementRoute("POST", "/api/v1/preparedness/actions/{action_id}/close", target=ITEM),
    RouteCase("GET", "/api/v1/preparedness/training/courses"),
    RouteCase(
        "POST",
        "/api/v1/preparedness/training/courses",
        body="json",
        build=lambda t: {"code": "WALK-2", "name": "Walk course"},
    ),
    RouteCase(
        "POST",
        "/api/v1/preparedness/training/sessions",
        body="json",
        build=lambda t: {"course_id": t.world.preparedness["course"], "held_on": _due()},
    ),
    ImprovementRoute(
        "POST",
        "/api/v1/preparedness/training/sessions/{session_id}/attendance",
        target=ITEM,
        body="json",
        build=lambda t: {"person_name": "Walk Teacher", "completed": True},
    ),
    ImprovementRoute("GET", "/api/v1/preparedness/sites/{site_id}/readiness", target=ITEM),
    RouteCase("GET", "/api/v1/preparedness/exercises"),
    RouteCase(
        "POST",
        "/api/v1/preparedness/exercises",
        body="json",
        build=lambda t: dict(EXERCISE_FORM),
    ),
    ImprovementRoute("GET", "/api/v1/preparedness/exercises/{exercise_id}", target=ITEM),
    ImprovementRoute(
        "POST",
        "/api/v1/preparedness/exercises/{exercise_id}/objectives",
        target=ITEM,
        body="json",
        # The capability is optional (null is allowed), so the walk leaves it out.
        build=lambda t: {"text": "Walk: alert every room"},
    ),
    ImprovementRoute(
        "PUT",
        "/api/v1/preparedness/exercises/{exercise_id}/objectives/{objective_id}/evaluation",
        target=ITEM,
        body="json",
        build=lambda t: dict(EVALUATION),
    ),
    ImprovementRoute("POST", "/api/v1/preparedness/exercises/{exercise_id}/end", target=ITEM),
    ImprovementRoute(
        "POST",
        "/api/v1/preparedness/exercises/{exercise_id}/improvements",
        target=ITEM,
        body="json",
        build=lambda t: _improvement(t, form=False),
    ),
    RouteCase("GET", "/api/v1/preparedness/capabilities"),
    RouteCase(
        "PUT",
        "/api/v1/preparedness/capabilities/{capability_key}",
        params={"capability_key": "planning"},
        body="json",
        build=lambda t: {"target_level": 4, "current_level": 2},
    ),
]

# Columns: an su tl ta aa sa au (tests/web/matrix.py).
EVERYONE = "ok  ok  ok  ok  ok  ok  ok"
SITE_STAFF = "ok  ok  403 ok  ok  403 403"
TARGET_SETTERS = "403 ok  403 403 ok  403 403"
IN_AGENCY = {OWN: "ok  ok  404 ok  ok  404 404", OTHER: "404 " * 7}
IMPROVEMENT_MATRIX: dict[str, str | dict[str, str]] = {
    **{
        case.label: IN_AGENCY if case.target == ITEM else SITE_STAFF
        for case in IMPROVEMENT_PAGES + IMPROVEMENT_API
    },
    # Members list the actions they own (none, here): the list itself is for everyone.
    "GET /preparedness/actions": EVERYONE,
    "GET /api/v1/preparedness/actions": EVERYONE,
    "POST /preparedness/capabilities": TARGET_SETTERS,
    "PUT /api/v1/preparedness/capabilities/planning": TARGET_SETTERS,
}
