"""Administration page for routing rules: which agency receives tips about a place or
a school. Agency administrators manage their own agency's rules; system
administrators every agency's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from vigil.platform import accounts, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput
from vigil.platform.routes.forms import int_from_form, text_from_form
from vigil.reports import routing_rules
from vigil.web.deps import ActorDep, SessionDep
from vigil.web.templating import render

RuleId = Annotated[int, Path(ge=1, le=2_147_483_647)]

router = APIRouter(prefix="/admin/routing", include_in_schema=False)

DONE = {
    "added": "The routing rule was added.",
    "removed": "The routing rule was removed.",
}


def _page(
    request: Request,
    db: Session,
    actor: Actor,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, object] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rules = routing_rules.list_rules(db, actor=actor)
    agencies = accounts.list_agencies(db, actor=actor)
    return render(
        request,
        "routing_admin.html",
        {
            "rules": rules,
            "agency_names": {agency.id: agency.name for agency in agencies},
            "choosable": [
                agency
                for agency in agencies
                if agency.active
                and policy.decide(
                    actor, "create", "routing_rule", routing_rules.RuleDraft(agency.id)
                )
            ],
            "kinds": list(routing_rules.MatchKind),
            "errors": errors or {},
            "values": values or {"agency_id": actor.agency_id, "match_kind": "school"},
            "flash": flash,
        },
        status_code=status_code,
    )


@router.get("", response_class=HTMLResponse)
def rules_page(
    request: Request, db: SessionDep, actor: ActorDep, done: str | None = None
) -> HTMLResponse:
    return _page(request, db, actor, flash=DONE.get(done or ""))


@router.post("")
async def add_rule(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    form = await request.form()
    agency_id = int_from_form(form, "agency_id")
    values: dict[str, object] = {
        "agency_id": agency_id,
        "match_kind": text_from_form(form, "match_kind", 20),
        "value": text_from_form(form, "value", 400),
    }
    try:
        if agency_id is None:
            raise InvalidInput({"agency_id": "Choose the agency that receives these tips."})
        routing_rules.add_rule(
            db,
            actor=actor,
            agency_id=agency_id,
            match_kind=str(values["match_kind"]),
            value=str(values["value"]),
        )
    except (InvalidInput, Conflict) as problem:
        db.rollback()
        errors = (
            problem.errors
            if isinstance(problem, InvalidInput)
            else {problem.field or "value": str(problem)}
        )
        status = 422 if isinstance(problem, InvalidInput) else 409
        return _page(request, db, actor, errors=errors, values=values, status_code=status)
    return RedirectResponse("/admin/routing?done=added", status_code=303)


@router.post("/{rule_id}/delete")
def remove_rule(rule_id: RuleId, db: SessionDep, actor: ActorDep) -> Response:
    routing_rules.remove_rule(db, actor=actor, rule_id=rule_id)
    return RedirectResponse("/admin/routing?done=removed", status_code=303)
