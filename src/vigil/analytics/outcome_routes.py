"""Vigil's own outcomes for supervisors: the page, its CSV and the JSON API (one agency's
de-identified figures a request), and the agency's choice to share them; the analysts'
decisions on the linkage review queue. Thin: parse, call the service, render."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.analytics import outcomes, review
from vigil.analytics.outcome_exports import as_json, csv_rows
from vigil.platform.errors import InvalidInput
from vigil.platform.routes.forms import int_from_form, text_from_form
from vigil.web import templating
from vigil.web.deps import ActorDep, SessionDep, SettingsDep

router = APIRouter()

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Sign-in required", **PROBLEM},
    403: {
        "description": "Not allowed: supervisors only, another agency only if it shares",
        **PROBLEM,
    },
    404: {"description": "No such agency", **PROBLEM},
    422: {"description": "Invalid input", **PROBLEM},
}


def _published(settings: SettingsDep) -> outcomes.OutcomeQuery:
    # One published view: the last 12 months at the deployment's threshold. Letting a
    # reader choose the threshold or the period would publish the same counts suppressed
    # in different patterns, and one pattern's shown cell could unlock another's.
    return outcomes.OutcomeQuery(
        months=outcomes.PUBLISHED_MONTHS, threshold=settings.analytics_min_cell_count
    )


def _agency(request: Request, actor: ActorDep) -> int:
    text = (request.query_params.get("agency") or "").strip()
    if not text:
        _, own = actor.member_ids()
        return own
    if not text.isdigit() or len(text) > 12:
        raise InvalidInput({"agency": "Choose an agency from the list."})
    return int(text)


@router.get("/analytics/outcomes", response_class=HTMLResponse, include_in_schema=False)
def outcomes_page(
    request: Request, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> HTMLResponse:
    """One agency's de-identified outcome figures (supervisors)."""
    agencies = outcomes.visible_agencies(db, actor=actor)
    errors: dict[str, str] = {}
    try:
        agency_id = _agency(request, actor)
    except InvalidInput as refused:
        errors = refused.errors
        agency_id = actor.member_ids()[1]
    figures = outcomes.agency_outcomes(
        db, actor=actor, agency_id=agency_id, query=_published(settings)
    )
    return templating.render(
        request,
        "analytics_outcomes.html",
        {
            "errors": errors,
            "figures": figures,
            "agencies": agencies,
            "own_agency": actor.agency_id,
            "changed": request.query_params.get("sharing") in ("on", "off"),
        },
        status_code=400 if errors else 200,
    )


@router.get("/analytics/outcomes.csv", include_in_schema=False)
def outcomes_csv(
    request: Request, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> Response:
    """The same figures as CSV: one line a cell, "suppressed" where hidden."""
    figures = outcomes.agency_outcomes(
        db, actor=actor, agency_id=_agency(request, actor), query=_published(settings)
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(csv_rows(figures))
    writer.writerow([])
    writer.writerow(["# agency", figures.agency_name])
    writer.writerow(["# since", figures.since.isoformat()])
    writer.writerow(["# suppression", f"no count from 1 to {figures.threshold - 1} is shown"])
    name = f"vigil-outcomes-agency-{figures.agency_id}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/api/v1/analytics/outcomes", tags=["analytics"], responses=RESPONSES)
def outcomes_api(
    db: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    agency_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> dict[str, Any]:
    """One agency's de-identified outcome figures over the last 12 months (supervisors:
    their own agency, or an agency that shares its figures). Suppressed counts are
    null."""
    chosen = agency_id if agency_id is not None else actor.member_ids()[1]
    return as_json(
        outcomes.agency_outcomes(db, actor=actor, agency_id=chosen, query=_published(settings))
    )


@router.post("/analytics/outcomes/sharing", include_in_schema=False)
async def outcomes_sharing(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    """Turn the agency's sharing of its outcome figures on or off."""
    form = await request.form()
    choice = text_from_form(form, "shared", 5)
    if choice not in ("on", "off"):
        raise InvalidInput({"shared": "Choose whether to share the figures."})
    outcomes.set_sharing(db, actor=actor, shared=choice == "on")
    return RedirectResponse(f"/analytics/outcomes?sharing={choice}", status_code=303)


@router.post("/analytics/review/decisions", include_in_schema=False)
async def review_decision(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    """Confirm or reject a pair in the linkage review queue."""
    form = await request.form()
    link_id = int_from_form(form, "link_id")
    if link_id is None:
        raise InvalidInput({"link_id": "Choose a pair from the queue."})
    page = int_from_form(form, "page") or 1
    review.decide_link(
        db, actor=actor, link_id=link_id, decision=text_from_form(form, "decision", 10)
    )
    return RedirectResponse(
        f"/analytics/review?page={min(max(page, 1), 10_000)}&decided=1", status_code=303
    )
