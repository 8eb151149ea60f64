"""Helpers shared by the HTML forms: reading checkbox lists, numbers and typed values,
what a page of several forms shows when one of them is refused, and the one way a
form's change is run and answered (``settle_form``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from vigil.platform.errors import Conflict, InvalidInput
from vigil.platform.roles import Role
from vigil.platform.schemas import MAX_ID

T = TypeVar("T")


def roles_from_form(form: FormData) -> frozenset[Role]:
    known = {role.value: role for role in Role}
    return frozenset(known[v] for v in form.getlist("roles") if isinstance(v, str) and v in known)


def text_from_form(form: FormData, name: str, max_length: int = 1024) -> str:
    value = form.get(name)
    return value[:max_length] if isinstance(value, str) else ""


def whole_number(value: str, maximum: int = MAX_ID) -> int | None:
    """A number written in ASCII digits, up to ``maximum``; else None. (str.isdigit alone
    accepts "²" and "١", which int() refuses or reads unexpectedly.)"""
    value = value.strip()
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if number <= maximum else None


def int_from_form(form: FormData, name: str) -> int | None:
    return whole_number(text_from_form(form, name, 20))


def form_values(form: FormData) -> dict[str, str]:
    """What was typed into the form (to show again), without its CSRF token."""
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    values.pop("csrf_token", None)
    return values


@dataclass(frozen=True)
class RefusedForm:
    errors: dict[str, str]  # keyed "<form>-<field>": field ids on the page carry their form
    values: dict[str, str]
    status_code: int


def refuse_form(
    request: Request,
    db: Session,
    form_name: str,
    problem: InvalidInput | Conflict,
    form: FormData,
) -> RefusedForm:
    """Undo the refused change but keep the audit record of the page view, and say what
    the page shows again: each error under its form's field id and what was typed."""
    db.rollback()
    request.state.commit_on_error = True
    raw = (
        problem.errors
        if isinstance(problem, InvalidInput)
        else {problem.field or "form": str(problem)}
    )
    return RefusedForm(
        errors={f"{form_name}-{key}": message for key, message in raw.items()},
        values=form_values(form),
        status_code=409 if isinstance(problem, Conflict) else 422,
    )


def attempt(call: Callable[[], T], parse_errors: dict[str, str]) -> T:
    """Run a service call and report its errors together with the form's own (a date or
    id that did not parse); a call that succeeds despite those is refused all the same
    (the caller's rollback undoes it)."""
    try:
        result = call()
    except InvalidInput as problem:
        raise InvalidInput({**problem.errors, **parse_errors}) from None
    if parse_errors:
        raise InvalidInput(parse_errors)
    return result


def show_again(
    page: Callable[..., Response], *args: object, form_name: str
) -> Callable[[RefusedForm], Response]:
    """``page(*args)`` shown again with what refused the form ``form_name``, for
    ``settle_form``'s ``again`` (a page of several forms says which one it was)."""
    return lambda refused: page(*args, refused=refused, form_name=form_name)


def settle_form(
    request: Request,
    db: Session,
    form: FormData,
    form_name: str,
    change: Callable[[], T],
    *,
    again: Callable[[RefusedForm], Response],
    done: str | Callable[[T], str],
    parse_errors: dict[str, str] | None = None,
) -> Response:
    """Make a form's change and answer it: refused (its own errors and the form's parse
    errors together), the change is undone and ``again`` shows the page with the errors
    under ``form_name``; made, a 303 to ``done`` (a URL, or one made from the result)."""
    try:
        result = attempt(change, parse_errors or {})
    except InvalidInput as problem:
        return again(refuse_form(request, db, form_name, problem, form))
    return RedirectResponse(done(result) if callable(done) else done, status_code=303)
