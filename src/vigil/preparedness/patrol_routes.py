"""The protective-patrol page: paste the places and their payoffs, get the exact
coverage explained place by place, override it with the cost shown and recorded, and
export the sampled daily assignments as CSV or iCalendar."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from vigil.platform.errors import InvalidInput
from vigil.platform.routes.forms import text_from_form, whole_number
from vigil.preparedness import measures, patrol_plans
from vigil.preparedness.pages import parse_number, render
from vigil.web.deps import ActorDep, SessionDep

router = APIRouter(include_in_schema=False)

EXAMPLE = json.dumps(
    {
        "resources": 2,
        "targets": [
            {
                "id": place,
                "defender_covered": 0,
                "defender_uncovered": -value,
                "attacker_covered": covered,
                "attacker_uncovered": value,
            }
            for place, value, covered in (
                ("Stadium", 40, -5),
                ("Fairground", 25, -5),
                ("Main Street parade", 30, -5),
                ("Mall", 10, -2),
            )
        ],
    },
    indent=1,
)
FORMATS = {"csv": "text/csv; charset=utf-8", "ics": "text/calendar; charset=utf-8"}


def _read(form: FormData) -> tuple[str, int, int | None, date, dict[int, float], dict[str, str]]:
    errors: dict[str, str] = {}
    text = text_from_form(form, "game", patrol_plans.MAX_INPUT_CHARACTERS + 1)
    days_text = text_from_form(form, "schedules", 20).strip() or "100"
    days = whole_number(days_text)
    if days is None:
        errors["schedules"] = "Enter a whole number of days."
    seed_text = text_from_form(form, "seed", 30).strip()
    seed = whole_number(seed_text, maximum=2**63 - 1) if seed_text else None
    if seed_text and seed is None:
        errors["seed"] = "Enter a whole number, or leave it empty for a new draw."
    start_text = text_from_form(form, "start", 20).strip()
    try:
        start = date.fromisoformat(start_text) if start_text else datetime.now(UTC).date()
    except ValueError:
        errors["start"] = "Give the first day as YYYY-MM-DD."
        start = datetime.now(UTC).date()
    overrides: dict[int, float] = {}
    for name, value in form.multi_items():
        if not name.startswith("override-") or not isinstance(value, str) or not value.strip():
            continue
        index = whole_number(name.removeprefix("override-"), maximum=10**7)
        number = parse_number(value[:40], name, errors)
        if index is None:
            errors["override"] = "An override names no place of this plan."
        elif number is not None:
            overrides[index] = number
    if errors:
        raise InvalidInput(errors)
    return (
        text,
        100 if days is None else days,
        seed,
        start,
        overrides,
        {
            "game": text,
            "schedules": days_text,
            "seed": seed_text,
            "start": start.isoformat(),
        },
    )


@router.get("/preparedness/patrols", response_class=HTMLResponse)
def patrols_page(request: Request, actor: ActorDep) -> HTMLResponse:
    """The empty planner, with an example weekend to start from."""
    measures.require_planner(actor)
    return render(request, "preparedness_patrols.html", {"view": None, "values": {"game": EXAMPLE}})


@router.post("/preparedness/patrols", response_class=HTMLResponse)
async def plan_patrols(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    measures.require_planner(actor)
    form = await request.form()
    try:
        text, days, seed, start, overrides, values = _read(form)
        view = patrol_plans.plan_patrols(
            db, actor=actor, text=text, schedules=days, seed=seed, overrides=overrides
        )
    except InvalidInput as problem:
        db.rollback()
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        return render(
            request,
            "preparedness_patrols.html",
            {"view": None, "errors": problem.errors, "values": values},
            status_code=422,
        )
    values["seed"] = str(view.seed)
    overridden = {f"override-{i}": f"{v:g}" for i, v in overrides.items()}
    return render(
        request,
        "preparedness_patrols.html",
        {
            "view": view,
            "values": {**values, **overridden},
            "first_days": [
                (
                    (start + timedelta(days=n)).isoformat(),
                    [view.game.keys[i] for i in schedule.tolist()],
                )
                for n, schedule in enumerate(view.schedules[:14])
            ],
        },
    )


@router.post("/preparedness/patrols/export")
async def export_schedules(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    """The sampled days as CSV or iCalendar (the same seed draws the same days)."""
    measures.require_planner(actor)
    form = await request.form()
    kind = text_from_form(form, "format", 10)
    if kind not in FORMATS:
        raise InvalidInput({"format": "Choose CSV or iCalendar."})
    text, days, seed, start, overrides, _ = _read(form)
    if seed is None:
        raise InvalidInput({"seed": "Export the schedules of a plan on the page (it has a seed)."})
    view = patrol_plans.plan_patrols(
        db, actor=actor, text=text, schedules=days, seed=seed, overrides=overrides
    )
    if kind == "csv":
        body = patrol_plans.schedules_csv(view, start)
    else:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        body = patrol_plans.schedules_ics(view, start, stamp=stamp)
    return Response(
        body,
        media_type=FORMATS[kind],
        headers={"Content-Disposition": f'attachment; filename="patrols-{seed}.{kind}"'},
    )
