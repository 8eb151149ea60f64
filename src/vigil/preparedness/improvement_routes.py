"""Preparedness pages for getting better: corrective actions (the chain from finding to
evidence), exercises with their evaluation guides, after-action report and improvement
plan, and the mitigation plan's investment justification and corrective actions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.platform.routes.forms import (
    RefusedForm,
    settle_form,
    show_again,
    text_from_form,
    whole_number,
)
from vigil.preparedness import corrective_actions as ca
from vigil.preparedness import exercises, investment, measures
from vigil.preparedness.improvement_pages import (
    form_date,
    form_id,
    form_text,
    page,
)
from vigil.preparedness.pages import parse_number
from vigil.web.deps import ActorDep, PathId, SessionDep

router = APIRouter(include_in_schema=False)

FLASH = {
    "created": "The corrective action was recorded.",
    "updated": "The corrective action was updated.",
    "evidence": "The evidence was added.",
    "closed": "The corrective action is closed.",
    "reopened": "The corrective action was reopened.",
    "exercise": "The exercise was created. Add its objectives next.",
    "objective": "The objective was added.",
    "evaluation": "Your evaluation guide was saved.",
    "ended": "The exercise has ended; its after-action report was drafted from the guides.",
    "improvement": "The area for improvement is now a corrective action in the plan.",
}


# --- corrective actions -----------------------------------------------------------------


def _actions_page(
    request: Request,
    db: Session,
    actor: Actor,
    status: str,
    *,
    flash: str | None = None,
    refused: RefusedForm | None = None,
) -> HTMLResponse:
    items = ca.list_corrective_actions(db, actor=actor, status=status or None)
    today = ca.today_utc()
    may_create = ca.may_create(actor)
    return page(
        request,
        "preparedness_actions.html",
        {
            "rows": ca.rows_of(db, items, today),
            "status": status,
            "flash": flash,
            "may_create": may_create,
            "members": ca.agency_members(db, actor=actor) if may_create else [],
            "sites": ca.agency_sites(db, actor=actor) if may_create else [],
            "today": today,
        },
        refused=refused,
        form_name="action",
    )


@router.get("/preparedness/actions", response_class=HTMLResponse)
def actions_page(
    request: Request, db: SessionDep, actor: ActorDep, status: str = "open", done: str = ""
) -> HTMLResponse:
    """Corrective actions of the reader's agency (or those the reader owns)."""
    chosen = status if status in ("open", "closed", "in_progress") else ""
    return _actions_page(request, db, actor, chosen, flash=FLASH.get(done))


@router.post("/preparedness/actions")
async def create_action(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    form = await request.form()
    errors: dict[str, str] = {}
    site_id = form_id(form, "site_id", errors)
    owner = form_id(form, "owner_user_id", errors)
    due = form_date(form, "due", errors)
    return settle_form(
        request,
        db,
        form,
        "action",
        lambda: ca.create_corrective_action(
            db,
            actor=actor,
            site_id=site_id,
            title=form_text(form, "title"),
            owner_user_id=owner,
            due=due,
            poete=text_from_form(form, "poete", 40),
            source_kind=text_from_form(form, "source_kind", 40),
            source_ref=form_text(form, "source_ref"),
            description=form_text(form, "description"),
        ),
        again=lambda refused: _actions_page(request, db, actor, "open", refused=refused),
        done=lambda item: f"/preparedness/actions/{item.id}?done=created",
        parse_errors=errors,
    )


def _action_page(
    request: Request,
    db: Session,
    actor: Actor,
    action_id: int,
    *,
    flash: str | None = None,
    refused: RefusedForm | None = None,
    form_name: str | None = None,
) -> HTMLResponse:
    chain = exercises.chain_of(db, actor=actor, action_id=action_id)
    item = chain.action
    may_update = ca.may(actor, "update", item)
    members = ca.agency_members(db, actor=actor) if ca.may_create(actor) else []
    objectives = []
    if ca.may(actor, "close", item):
        for exercise in exercises.list_exercises(db, actor=actor, limit=50):
            for objective in exercises.objectives_of(db, actor=actor, exercise_id=exercise.id):
                objectives.append((objective.id, f"{exercise.name}: {objective.text[:80]}"))
    today = ca.today_utc()
    return page(
        request,
        "preparedness_action.html",
        {
            "chain": chain,
            "item": item,
            "row": ca.rows_of(db, [item], today)[0],
            "flash": flash,
            "may_update": may_update,
            "may_close": ca.may(actor, "close", item),
            "members": members,
            "objectives": objectives,
        },
        refused=refused,
        form_name=form_name,
    )


@router.get("/preparedness/actions/{action_id}", response_class=HTMLResponse)
def action_page(
    request: Request, action_id: PathId, db: SessionDep, actor: ActorDep, done: str = ""
) -> HTMLResponse:
    """One corrective action and its chain: finding, action, exercise retest, evidence."""
    return _action_page(request, db, actor, action_id, flash=FLASH.get(done))


@router.post("/preparedness/actions/{action_id}")
async def update_action(
    request: Request, action_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    errors: dict[str, str] = {}
    owner = form_id(form, "owner_user_id", errors)
    due = form_date(form, "due", errors)
    status = text_from_form(form, "status", 40) or None
    return settle_form(
        request,
        db,
        form,
        "update",
        lambda: ca.update_corrective_action(
            db, actor=actor, action_id=action_id, status=status, owner_user_id=owner, due=due
        ),
        again=show_again(_action_page, request, db, actor, action_id, form_name="update"),
        done=f"/preparedness/actions/{action_id}?done=updated",
        parse_errors=errors,
    )


@router.post("/preparedness/actions/{action_id}/evidence")
async def add_evidence(
    request: Request, action_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    errors: dict[str, str] = {}
    objective = form_id(form, "objective_id", errors)
    return settle_form(
        request,
        db,
        form,
        "evidence",
        lambda: ca.add_evidence(
            db,
            actor=actor,
            action_id=action_id,
            kind=text_from_form(form, "kind", 40),
            description=form_text(form, "description"),
            reference=form_text(form, "reference"),
            objective_id=objective,
        ),
        again=show_again(_action_page, request, db, actor, action_id, form_name="evidence"),
        done=f"/preparedness/actions/{action_id}?done=evidence#evidence",
        parse_errors=errors,
    )


@router.post("/preparedness/actions/{action_id}/close")
async def close_action(
    request: Request, action_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return settle_form(
        request,
        db,
        await request.form(),
        "close",
        lambda: ca.close_corrective_action(db, actor=actor, action_id=action_id),
        again=show_again(_action_page, request, db, actor, action_id, form_name="close"),
        done=f"/preparedness/actions/{action_id}?done=closed",
    )


@router.post("/preparedness/actions/{action_id}/reopen")
async def reopen_action(
    request: Request, action_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return settle_form(
        request,
        db,
        await request.form(),
        "close",
        lambda: ca.reopen_corrective_action(db, actor=actor, action_id=action_id),
        again=show_again(_action_page, request, db, actor, action_id, form_name="close"),
        done=f"/preparedness/actions/{action_id}?done=reopened",
    )


# --- exercises --------------------------------------------------------------------------


def _exercises_page(
    request: Request,
    db: Session,
    actor: Actor,
    *,
    refused: RefusedForm | None = None,
) -> HTMLResponse:
    return page(
        request,
        "preparedness_exercises.html",
        {
            "exercises": exercises.list_exercises(db, actor=actor),
            "may_create": ca.may_create(actor),
            "sites": ca.agency_sites(db, actor=actor) if ca.may_create(actor) else [],
        },
        refused=refused,
        form_name="exercise",
    )


@router.get("/preparedness/exercises", response_class=HTMLResponse)
def exercises_page(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    """The agency's exercises, newest first, and a form to design one."""
    return _exercises_page(request, db, actor)


@router.post("/preparedness/exercises")
async def create_exercise(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    form = await request.form()
    errors: dict[str, str] = {}
    starts = form_date(form, "starts_on", errors)
    ends = form_date(form, "ends_on", errors)
    site_id = form_id(form, "site_id", errors)
    return settle_form(
        request,
        db,
        form,
        "exercise",
        lambda: exercises.create_exercise(
            db,
            actor=actor,
            name=form_text(form, "name"),
            kind=text_from_form(form, "kind", 40),
            starts_on=starts,
            ends_on=ends,
            site_id=site_id,
            scenario=form_text(form, "scenario"),
        ),
        again=lambda refused: _exercises_page(request, db, actor, refused=refused),
        done=lambda exercise: f"/preparedness/exercises/{exercise.id}?done=exercise",
        parse_errors=errors,
    )


def _exercise_page(
    request: Request,
    db: Session,
    actor: Actor,
    exercise_id: int,
    *,
    flash: str | None = None,
    refused: RefusedForm | None = None,
    form_name: str | None = None,
) -> HTMLResponse:
    exercise = exercises.get_exercise(db, actor=actor, exercise_id=exercise_id)
    objectives = exercises.objectives_of(db, actor=actor, exercise_id=exercise.id)
    guides = exercises.evaluations_of(db, actor=actor, exercise_id=exercise.id)
    items = exercises.after_action_items(db, actor=actor, exercise_id=exercise.id)
    may_change = exercises.may_change(actor, exercise)
    planned = ca.actions_for_source(
        db,
        actor=actor,
        source_kind="exercise_area",
        source_refs=[str(i.id) for i in items if i.kind == "area"],
    )
    open_actions = ca.list_corrective_actions(db, actor=actor, status="open") if may_change else []
    return page(
        request,
        "preparedness_exercise.html",
        {
            "exercise": exercise,
            "objectives": objectives,
            "guides": guides,
            "mine": {g.objective_id: g for g in guides if g.evaluator_user_id == actor.user_id},
            "items": items,
            "planned": planned,
            "may_change": may_change,
            "members": ca.agency_members(db, actor=actor) if may_change else [],
            "action_options": [(a.id, f"CA-{a.id}: {a.title}") for a in open_actions],
            "flash": flash,
        },
        refused=refused,
        form_name=form_name,
    )


@router.get("/preparedness/exercises/{exercise_id}", response_class=HTMLResponse)
def exercise_page(
    request: Request, exercise_id: PathId, db: SessionDep, actor: ActorDep, done: str = ""
) -> HTMLResponse:
    """An exercise: objectives, evaluation guides, after-action report, improvement plan."""
    return _exercise_page(request, db, actor, exercise_id, flash=FLASH.get(done))


@router.post("/preparedness/exercises/{exercise_id}/objectives")
async def add_objective(
    request: Request, exercise_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    errors: dict[str, str] = {}
    action_id = form_id(form, "corrective_action_id", errors)
    return settle_form(
        request,
        db,
        form,
        "objective",
        lambda: exercises.add_objective(
            db,
            actor=actor,
            exercise_id=exercise_id,
            text=form_text(form, "text"),
            capability_key=text_from_form(form, "capability_key", 60) or None,
            corrective_action_id=action_id,
            finding_ref=form_text(form, "finding_ref"),
        ),
        again=show_again(_exercise_page, request, db, actor, exercise_id, form_name="objective"),
        done=f"/preparedness/exercises/{exercise_id}?done=objective#objectives",
        parse_errors=errors,
    )


@router.post("/preparedness/exercises/{exercise_id}/objectives/{objective_id}/evaluation")
async def evaluate(
    request: Request, exercise_id: PathId, objective_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    name = f"eval{objective_id}"

    def change() -> None:
        exercises.get_exercise(db, actor=actor, exercise_id=exercise_id)
        exercises.submit_evaluation(
            db,
            actor=actor,
            objective_id=objective_id,
            rating=text_from_form(form, "rating", 4),
            strengths=form_text(form, "strengths"),
            areas_for_improvement=form_text(form, "areas_for_improvement"),
            observations=form_text(form, "observations"),
        )

    return settle_form(
        request,
        db,
        form,
        name,
        change,
        again=show_again(_exercise_page, request, db, actor, exercise_id, form_name=name),
        done=f"/preparedness/exercises/{exercise_id}?done=evaluation#objective-{objective_id}",
    )


@router.post("/preparedness/exercises/{exercise_id}/end")
async def end_exercise(
    request: Request, exercise_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return settle_form(
        request,
        db,
        await request.form(),
        "end",
        lambda: exercises.end_exercise(db, actor=actor, exercise_id=exercise_id),
        again=show_again(_exercise_page, request, db, actor, exercise_id, form_name="end"),
        done=f"/preparedness/exercises/{exercise_id}?done=ended#after-action",
    )


@router.post("/preparedness/exercises/{exercise_id}/improvements")
async def plan_improvement(
    request: Request, exercise_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    errors: dict[str, str] = {}
    item_id = form_id(form, "item_id", errors)
    owner = form_id(form, "owner_user_id", errors)
    due = form_date(form, "due", errors)
    name = f"plan{item_id or 0}"

    def change() -> None:
        exercises.get_exercise(db, actor=actor, exercise_id=exercise_id, action="update")
        if item_id is None:
            raise InvalidInput({"item_id": "Choose an area for improvement."})
        exercises.plan_improvement(
            db,
            actor=actor,
            item_id=item_id,
            owner_user_id=owner,
            due=due,
            poete=text_from_form(form, "poete", 40),
            title=form_text(form, "title"),
        )

    return settle_form(
        request,
        db,
        form,
        name,
        change,
        again=show_again(_exercise_page, request, db, actor, exercise_id, form_name=name),
        done=f"/preparedness/exercises/{exercise_id}?done=improvement#improvement-plan",
        parse_errors=errors,
    )


# --- the mitigation plan as an investment --------------------------------------------


def _forced(texts: list[str] | None, errors: dict[str, str]) -> frozenset[int]:
    found = set()
    for text in (texts or [])[:1000]:
        value = whole_number(text)
        if value is None:
            errors["force"] = "Choose measures from the list."
        else:
            found.add(value)
    return frozenset(found)


def _justification_page(
    request: Request,
    db: Session,
    actor: Actor,
    budget: str,
    force_in: list[str] | None,
    force_out: list[str] | None,
    *,
    refused: RefusedForm | None = None,
) -> HTMLResponse:
    measures.require_planner(actor)
    errors: dict[str, str] = {}
    amount = parse_number(budget.replace(",", ""), "budget", errors) if budget.strip() else None
    if amount is None and not errors:
        errors["budget"] = "Enter the budget of the plan to justify."
    chosen_in, chosen_out = _forced(force_in, errors), _forced(force_out, errors)
    case = None
    if not errors and amount is not None:
        try:
            case = investment.justify(
                db, actor=actor, budget=amount, forced_in=chosen_in, forced_out=chosen_out
            )
        except InvalidInput as problem:
            errors = problem.errors
    context = {
        "case": case,
        "budget": budget,
        "force_in": sorted(chosen_in),
        "force_out": sorted(chosen_out),
        "plan_errors": errors,
        "may_create": ca.may_create(actor),
        "members": ca.agency_members(db, actor=actor) if ca.may_create(actor) else [],
        "today": ca.today_utc(),
        "printed_by": actor.username,
    }
    response = page(
        request, "preparedness_justification.html", context, refused=refused, form_name="plan"
    )
    if errors and refused is None:
        response.status_code = 422
    return response


@router.get("/preparedness/mitigation/justification", response_class=HTMLResponse)
def justification_page(
    request: Request,
    db: SessionDep,
    actor: ActorDep,
    budget: str = "",
    force_in: Annotated[list[str] | None, Query()] = None,
    force_out: Annotated[list[str] | None, Query()] = None,
) -> HTMLResponse:
    """The best plan for a budget as a printable investment justification."""
    return _justification_page(request, db, actor, budget, force_in, force_out)


@router.post("/preparedness/mitigation/actions")
async def plan_actions(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    form = await request.form()
    budget = text_from_form(form, "budget", 40)
    force_in = [v for v in form.getlist("force_in") if isinstance(v, str)]
    force_out = [v for v in form.getlist("force_out") if isinstance(v, str)]
    errors: dict[str, str] = {}
    amount = parse_number(budget.replace(",", ""), "budget", errors) if budget.strip() else None
    owner = form_id(form, "owner_user_id", errors)
    due = form_date(form, "due", errors)
    chosen_in, chosen_out = _forced(force_in, errors), _forced(force_out, errors)
    if amount is None:
        errors.setdefault("budget", "Enter the budget of the plan.")

    def change() -> investment.PlannedActions:
        if amount is None:
            raise InvalidInput(errors)
        return investment.actions_from_plan(
            db,
            actor=actor,
            budget=amount,
            owner_user_id=owner,
            due=due,
            poete=text_from_form(form, "poete", 40),
            forced_in=chosen_in,
            forced_out=chosen_out,
        )

    return settle_form(
        request,
        db,
        form,
        "plan",
        change,
        again=lambda refused: _justification_page(
            request, db, actor, budget, force_in, force_out, refused=refused
        ),
        done=lambda result: f"/preparedness/actions?done=created&made={len(result.created)}",
        parse_errors=errors,
    )
