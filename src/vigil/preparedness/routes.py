"""Preparedness pages: the sites an agency's staff may see, registering and changing a
site, a site's page with its risk explained, and the regional risk register."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.platform.routes.forms import text_from_form, whole_number
from vigil.preparedness import measures, sites
from vigil.preparedness.pages import (
    MEASURE_FIELDS,
    form_number,
    form_values,
    parse_number,
    render,
    site_from_form,
    site_values,
)
from vigil.web.deps import ActorDep, PathId, SessionDep

router = APIRouter(include_in_schema=False)

FLASH = {
    "registered": "The site is registered. Its details are TLP:AMBER unless you chose otherwise.",
    "updated": "The site's details were saved.",
    "measure": "The candidate measure was added; it is weighed in every mitigation plan.",
    "removed": "The candidate measure was removed.",
}


def _site_page(
    request: Request,
    db: Session,
    actor: Actor,
    site_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    site, risk = sites.read_site(db, actor=actor, site_id=site_id)
    return render(
        request,
        "preparedness_site.html",
        {
            "site": site,
            "risk": risk,
            "measures": measures.measures_of(db, actor=actor, site_id=site_id),
            "may_update": sites.may_update(actor, site),
            "flash": flash,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/preparedness/sites", response_class=HTMLResponse)
def register_page(
    request: Request, db: SessionDep, actor: ActorDep, page: int = 1, kind: str = ""
) -> HTMLResponse:
    """The regional risk register: every site the reader may see, highest risk first."""
    register = sites.risk_register(
        db, actor=actor, page=min(max(page, 1), 100_000), kind=kind or None
    )
    return render(
        request,
        "preparedness_register.html",
        {"register": register, "kind": kind, "may_register": sites.may_register(actor)},
    )


@router.get("/preparedness/sites/new", response_class=HTMLResponse)
def new_site_page(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    sites.require_register(actor)
    return render(
        request, "preparedness_site_form.html", {"site": None, "values": {"marking": "AMBER"}}
    )


@router.post("/preparedness/sites")
async def register_site(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    form = await request.form()
    try:
        site = sites.register_site(db, actor=actor, data=site_from_form(form))
    except InvalidInput as problem:
        db.rollback()
        return render(
            request,
            "preparedness_site_form.html",
            {"site": None, "errors": problem.errors, "values": form_values(form)},
            status_code=422,
        )
    return RedirectResponse(f"/preparedness/sites/{site.id}?done=registered", status_code=303)


@router.get("/preparedness/sites/{site_id}", response_class=HTMLResponse)
def site_page(
    request: Request, site_id: PathId, db: SessionDep, actor: ActorDep, done: str = ""
) -> HTMLResponse:
    return _site_page(request, db, actor, site_id, flash=FLASH.get(done))


@router.get("/preparedness/sites/{site_id}/edit", response_class=HTMLResponse)
def edit_site_page(
    request: Request, site_id: PathId, db: SessionDep, actor: ActorDep
) -> HTMLResponse:
    site = sites.get_site(db, actor=actor, site_id=site_id, action="update")
    return render(
        request, "preparedness_site_form.html", {"site": site, "values": site_values(site)}
    )


@router.post("/preparedness/sites/{site_id}")
async def update_site(
    request: Request, site_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    try:
        sites.update_site(db, actor=actor, site_id=site_id, data=site_from_form(form))
    except InvalidInput as problem:
        db.rollback()
        site = sites.get_site(db, actor=actor, site_id=site_id, action="update")
        return render(
            request,
            "preparedness_site_form.html",
            {"site": site, "errors": problem.errors, "values": form_values(form)},
            status_code=422,
        )
    return RedirectResponse(f"/preparedness/sites/{site_id}?done=updated", status_code=303)


@router.post("/preparedness/sites/{site_id}/measures")
async def add_measure(
    request: Request, site_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    number_errors: dict[str, str] = {}
    # Money may be written with thousands separators ("4,000").
    cost = parse_number(text_from_form(form, "cost", 40).replace(",", ""), "cost", number_errors)
    factor = form_number(form, "vulnerability_factor", number_errors)
    try:
        if number_errors:
            sites.get_site(db, actor=actor, site_id=site_id, action="update")
            raise InvalidInput(number_errors)
        measures.add_measure(
            db,
            actor=actor,
            site_id=site_id,
            name=text_from_form(form, "measure_name", 10_000),
            cost=cost,
            vulnerability_factor=factor,
            exclusive_group=text_from_form(form, "exclusive_group", 10_000),
        )
    except InvalidInput as problem:
        db.rollback()
        request.state.commit_on_error = True  # keep the audit record of the page view
        return _site_page(
            request,
            db,
            actor,
            site_id,
            errors=problem.errors,
            values=form_values(form, MEASURE_FIELDS),
            status_code=422,
        )
    return RedirectResponse(f"/preparedness/sites/{site_id}?done=measure#measures", status_code=303)


@router.post("/preparedness/sites/{site_id}/measures/{measure_id}/delete")
def remove_measure(
    site_id: PathId, measure_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    measures.remove_measure(db, actor=actor, site_id=site_id, measure_id=measure_id)
    return RedirectResponse(f"/preparedness/sites/{site_id}?done=removed#measures", status_code=303)


@router.get("/preparedness/mitigation", response_class=HTMLResponse)
def mitigation_page(
    request: Request,
    db: SessionDep,
    actor: ActorDep,
    budget: str = "",
    curve: str = "",
    force_in: Annotated[list[str] | None, Query()] = None,
    force_out: Annotated[list[str] | None, Query()] = None,
) -> HTMLResponse:
    """The best plan for a budget over every site the planner may see, and the curve."""
    errors: dict[str, str] = {}
    values = {"budget": budget, "curve": "1" if curve == "1" else ""}
    chosen_in = _ids(force_in or [], "force", errors)
    chosen_out = _ids(force_out or [], "force", errors)
    amount = None
    if budget.strip():
        amount = parse_number(budget.replace(",", ""), "budget", errors)
    measures.require_planner(actor)
    view = None
    status = 200
    try:
        if errors:
            raise InvalidInput(errors)
        if amount is not None:
            view = measures.plan_mitigation(
                db,
                actor=actor,
                budget=amount,
                forced_in=frozenset(chosen_in),
                forced_out=frozenset(chosen_out),
                # Six more solves: on request only (about 40 s at 2,000 sites).
                curve=curve == "1",
            )
    except InvalidInput as problem:
        errors, status = problem.errors, 422
    return render(
        request,
        "preparedness_mitigation.html",
        {"view": view, "errors": errors, "values": values},
        status_code=status,
    )


def _ids(texts: list[str], field: str, errors: dict[str, str]) -> set[int]:
    found = set()
    for text in texts[:1000]:
        value = whole_number(text)
        if value is None:
            errors[field] = "Choose measures from the list."
        else:
            found.add(value)
    return found
