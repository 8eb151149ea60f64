"""Administration pages: agencies and users (create, edit, roles, lock, disable, MFA reset)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.platform import accounts, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Agency
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.routes.forms import int_from_form, roles_from_form, text_from_form
from vigil.web.deps import ActorDep, PathId, QueryId, SessionDep, SettingsDep
from vigil.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)

DONE_MESSAGES = {
    "created": "The account was created.",
    "updated": "The changes were saved.",
    "roles": "The roles were saved.",
    "disable": "The account was disabled; its sessions and API tokens ended.",
    "enable": "The account was enabled.",
    "unlock": "The account was unlocked.",
    "reset-mfa": "Two-step verification was reset; the user sets it up at next sign-in.",
    "password": "The password was set; the user's sessions were ended.",  # nosec B105
    "agency": "The agency was saved.",
}


def _grantable(actor: Actor) -> list[Role]:
    return sorted(actor.roles, key=lambda role: role.label)


def _agencies_for_new_user(db: SessionDep, actor: Actor) -> list[Agency]:
    agencies = accounts.list_agencies(db, actor=actor)
    return [
        agency
        for agency in agencies
        if policy.decide(
            actor,
            "create",
            "user",
            accounts.UserDraft(agency_id=agency.id, agency_is_operator=agency.is_operator),
        )
    ]


# --- users ---------------------------------------------------------------------------


@router.get("/users", response_class=HTMLResponse)
def users(
    request: Request,
    db: SessionDep,
    actor: ActorDep,
    agency_id: QueryId = None,
    done: str | None = None,
) -> HTMLResponse:
    found = accounts.list_users(db, actor=actor, agency_id=agency_id)
    return render(
        request,
        "admin_users.html",
        {
            "users": found,
            "agencies": accounts.list_agencies(db, actor=actor),
            "agency_id": agency_id,
            "flash": DONE_MESSAGES.get(done or ""),
            "can_manage_agencies": policy.decide(actor, "create", "agency"),
        },
    )


def _new_user_page(
    request: Request,
    db: SessionDep,
    actor: Actor,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    agencies = _agencies_for_new_user(db, actor)
    if not agencies:
        raise policy.PermissionDenied("create", "user")
    return render(
        request,
        "admin_user_new.html",
        {
            "agencies": agencies,
            "grantable": _grantable(actor),
            "errors": errors or {},
            "values": values or {"agency_id": actor.agency_id, "roles": []},
        },
        status_code=status_code,
    )


@router.get("/users/new", response_class=HTMLResponse)
def new_user(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    return _new_user_page(request, db, actor)


@router.post("/users")
async def create_user(
    request: Request, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> Response:
    form = await request.form()
    values: dict[str, object] = {
        "agency_id": int_from_form(form, "agency_id"),
        "username": text_from_form(form, "username", 200),
        "display_name": text_from_form(form, "display_name", 300),
        "email": text_from_form(form, "email", 320).strip(),
        "roles": [role.value for role in roles_from_form(form)],
    }
    password = text_from_form(form, "password")
    agency_id = values["agency_id"]
    try:
        if not isinstance(agency_id, int):
            raise InvalidInput({"agency_id": "Choose the user's agency."})
        user = accounts.create_user(
            db,
            actor=actor,
            settings=settings,
            agency_id=agency_id,
            username=str(values["username"]),
            display_name=str(values["display_name"]),
            email=str(values["email"]) or None,
            roles=roles_from_form(form),
            password=password or None,
        )
    except InvalidInput as invalid:
        return _new_user_page(
            request, db, actor, errors=invalid.errors, values=values, status_code=422
        )
    except Conflict as clash:
        return _new_user_page(
            request,
            db,
            actor,
            errors={clash.field or "username": str(clash)},
            values=values,
            status_code=409,
        )
    return RedirectResponse(f"/admin/users/{user.id}?done=created", status_code=303)


def _user_page(
    request: Request,
    db: SessionDep,
    actor: Actor,
    user_id: int,
    *,
    errors: dict[str, str] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    user = accounts.get_user(db, actor=actor, user_id=user_id)
    return render(
        request,
        "admin_user.html",
        {
            "user": user,
            "errors": errors or {},
            "flash": flash,
            "grantable": _grantable(actor),
            "can": {
                action: policy.decide(actor, action, "user", user)
                for action in (
                    "update",
                    "disable",
                    "enable",
                    "unlock",
                    "reset_mfa",
                    "set_password",
                    "grant_roles",
                )
            },
            "all_roles": list(Role),
        },
        status_code=status_code,
    )


@router.get("/users/{user_id}", response_class=HTMLResponse)
def user_detail(
    request: Request, user_id: PathId, db: SessionDep, actor: ActorDep, done: str | None = None
) -> HTMLResponse:
    return _user_page(request, db, actor, user_id, flash=DONE_MESSAGES.get(done or ""))


@router.post("/users/{user_id}")
async def update_user(
    request: Request, user_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    try:
        accounts.update_user(
            db,
            actor=actor,
            user_id=user_id,
            display_name=text_from_form(form, "display_name", 300),
            email=text_from_form(form, "email", 320).strip() or None,
        )
    except InvalidInput as invalid:
        return _user_page(request, db, actor, user_id, errors=invalid.errors, status_code=422)
    return RedirectResponse(f"/admin/users/{user_id}?done=updated", status_code=303)


@router.post("/users/{user_id}/roles")
async def set_roles(request: Request, user_id: PathId, db: SessionDep, actor: ActorDep) -> Response:
    form = await request.form()
    # Roles the actor does not hold are not on the form; keep them as they are.
    target = accounts.get_user(db, actor=actor, user_id=user_id, audit_read=False)
    kept = target.roles - actor.roles
    accounts.set_roles(
        db, actor=actor, user_id=user_id, roles=kept | (roles_from_form(form) & actor.roles)
    )
    return RedirectResponse(f"/admin/users/{user_id}?done=roles", status_code=303)


@router.post("/users/{user_id}/password")
async def set_password(
    request: Request, user_id: PathId, db: SessionDep, actor: ActorDep, settings: SettingsDep
) -> Response:
    form = await request.form()
    try:
        accounts.set_password_by_admin(
            db,
            actor=actor,
            settings=settings,
            user_id=user_id,
            password=text_from_form(form, "password"),
        )
    except InvalidInput as invalid:
        return _user_page(request, db, actor, user_id, errors=invalid.errors, status_code=422)
    return RedirectResponse(f"/admin/users/{user_id}?done=password", status_code=303)


ACTIONS = {
    "disable": accounts.disable_user,
    "enable": accounts.enable_user,
    "unlock": accounts.unlock_user,
    "reset-mfa": accounts.reset_mfa,
}


@router.post("/users/{user_id}/{action}")
def user_action(user_id: PathId, action: str, db: SessionDep, actor: ActorDep) -> Response:
    operation = ACTIONS.get(action)
    if operation is None:
        raise NotFound("action")
    operation(db, actor=actor, user_id=user_id)
    return RedirectResponse(f"/admin/users/{user_id}?done={action}", status_code=303)


# --- agencies ------------------------------------------------------------------------


@router.get("/agencies", response_class=HTMLResponse)
def agencies(
    request: Request, db: SessionDep, actor: ActorDep, done: str | None = None
) -> HTMLResponse:
    return _agencies_page(request, db, actor, flash=DONE_MESSAGES.get(done or ""))


def _agencies_page(
    request: Request,
    db: SessionDep,
    actor: Actor,
    *,
    errors: dict[str, str] | None = None,
    flash: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "admin_agencies.html",
        {
            "agencies": accounts.list_agencies(db, actor=actor),
            "can_create": policy.decide(actor, "create", "agency"),
            "kinds": list(AgencyKind),
            "errors": errors or {},
            "flash": flash,
            "values": values or {},
        },
        status_code=status_code,
    )


def _kind(value: str) -> AgencyKind:
    try:
        return AgencyKind(value)
    except ValueError:
        raise InvalidInput({"kind": "Choose the kind of agency."}) from None


@router.post("/agencies")
async def create_agency(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    form = await request.form()
    values = {"name": text_from_form(form, "name", 300), "kind": text_from_form(form, "kind", 40)}
    try:
        accounts.create_agency(db, actor=actor, name=values["name"], kind=_kind(values["kind"]))
    except InvalidInput as invalid:
        return _agencies_page(
            request, db, actor, errors=invalid.errors, values=values, status_code=422
        )
    except Conflict as clash:
        return _agencies_page(
            request, db, actor, errors={"name": str(clash)}, values=values, status_code=409
        )
    return RedirectResponse("/admin/agencies?done=agency", status_code=303)


@router.get("/agencies/{agency_id}", response_class=HTMLResponse)
def agency_detail(
    request: Request, agency_id: PathId, db: SessionDep, actor: ActorDep
) -> HTMLResponse:
    return _agency_page(request, db, actor, agency_id)


def _agency_page(
    request: Request,
    db: SessionDep,
    actor: Actor,
    agency_id: int,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    agency = accounts.get_agency(db, actor=actor, agency_id=agency_id)
    return render(
        request,
        "admin_agency.html",
        {
            "agency": agency,
            "kinds": list(AgencyKind),
            "errors": errors or {},
            "can_update": policy.decide(actor, "update", "agency", agency),
        },
        status_code=status_code,
    )


@router.post("/agencies/{agency_id}")
async def update_agency(
    request: Request, agency_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    form = await request.form()
    try:
        accounts.update_agency(
            db,
            actor=actor,
            agency_id=agency_id,
            name=text_from_form(form, "name", 300),
            kind=_kind(text_from_form(form, "kind", 40)),
            active=form.get("active") == "on",
        )
    except InvalidInput as invalid:
        return _agency_page(request, db, actor, agency_id, errors=invalid.errors, status_code=422)
    except Conflict as clash:
        return _agency_page(
            request, db, actor, agency_id, errors={"name": str(clash)}, status_code=409
        )
    return RedirectResponse("/admin/agencies?done=agency", status_code=303)
