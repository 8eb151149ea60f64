"""Refuses text no database column can hold (NUL characters, lone surrogates) in query
strings and form fields, before any route sees it. JSON bodies: see ``schemas.Strict``."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from vigil.platform.schemas import storable_text
from vigil.web.csrf import SAFE_METHODS

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def refuse_unstorable_text(request: Request) -> None:
    """App-wide dependency: a 422 for any query or form value the database would refuse."""
    values: list[tuple[str, str, Any]] = [
        ("query", name, value) for name, value in request.query_params.multi_items()
    ]
    if request.method not in SAFE_METHODS and request.headers.get("content-type", "").startswith(
        FORM_TYPES
    ):
        form = await request.form()
        values += [("body", name, value) for name, value in form.multi_items()]
    errors = []
    for where, name, value in values:
        for text in (name, value):
            if not isinstance(text, str):
                continue  # an uploaded file: its bytes are not text
            try:
                storable_text(text)
            except ValueError as problem:
                shown = name if name.isprintable() else "?"
                errors.append({"type": "value_error", "loc": (where, shown), "msg": str(problem)})
                break
    if errors:
        raise RequestValidationError(errors)
