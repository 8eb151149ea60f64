"""Helpers shared by the platform's HTML forms: reading checkbox lists and numbers."""

from __future__ import annotations

from starlette.datastructures import FormData

from vigil.platform.roles import Role
from vigil.platform.schemas import MAX_ID


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
