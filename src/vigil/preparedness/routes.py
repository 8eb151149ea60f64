"""Preparedness pages: the sites an agency's staff may see, registering and changing a
site, a site's page with its risk explained, and the regional risk register."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.platform.errors import InvalidInput
from vigil.preparedness import sites
from vigil.preparedness.pages import form_values, render, site_from_form, site_values
from vigil.web.deps import ActorDep, PathId, SessionDep

router = APIRouter(include_in_schema=False)

FLASH = {
    "registered": "The site is registered. Its details are TLP:AMBER unless you chose otherwise.",
    "updated": "The site's details were saved.",
}


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
    site, risk = sites.read_site(db, actor=actor, site_id=site_id)
    return render(
        request,
        "preparedness_site.html",
        {
            "site": site,
            "risk": risk,
            "may_update": sites.may_update(actor, site),
            "flash": FLASH.get(done),
        },
    )


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
