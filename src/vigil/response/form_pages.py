"""How the response pages answer a form: the state a page is shown again in (errors
under their fields, what was typed, a notice, the status code), and the one way a
form's change is run: done, it redirects (post/redirect/get); refused, the page is
shown again with the reasons and nothing is kept but the page view's audit record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from vigil.platform.errors import Conflict, InvalidInput
from vigil.platform.routes.forms import refuse_form

T = TypeVar("T")


@dataclass(frozen=True)
class Shown:
    """What a page shows besides its records: errors by field id, the values typed,
    a notice of what was just done, and the status code to answer with."""

    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    flash: str | None = None
    status_code: int = 200


def settle(
    request: Request,
    db: Session,
    form: FormData,
    form_name: str,
    change: Callable[[], T],
    *,
    again: Callable[[Shown], Response],
    done: str | Callable[[T], str],
    bare_fields: bool = False,
) -> Response:
    """Run ``change``; redirect to ``done`` (or what it makes of the outcome) when it
    succeeds, or show the page again (``again``) with the problems of an invalid or
    conflicting input under the fields of ``form_name`` (``bare_fields``: without
    the form's prefix, for a page of one form)."""
    try:
        outcome = change()
    except (InvalidInput, Conflict) as problem:
        refused = refuse_form(request, db, form_name, problem, form)
        prefix = f"{form_name}-" if bare_fields else ""
        return again(
            Shown(
                errors={key.removeprefix(prefix): text for key, text in refused.errors.items()},
                values=refused.values,
                status_code=refused.status_code,
            )
        )
    return RedirectResponse(done(outcome) if callable(done) else done, status_code=303)
