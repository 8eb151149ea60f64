"""Helpers shared by the platform's HTML forms: reading checkbox lists and numbers."""

from __future__ import annotations

from starlette.datastructures import FormData

from vigil.platform.roles import Role


def roles_from_form(form: FormData) -> frozenset[Role]:
    known = {role.value: role for role in Role}
    return frozenset(known[v] for v in form.getlist("roles") if isinstance(v, str) and v in known)


def text_from_form(form: FormData, name: str, max_length: int = 1024) -> str:
    value = form.get(name)
    return value[:max_length] if isinstance(value, str) else ""


def int_from_form(form: FormData, name: str) -> int | None:
    value = text_from_form(form, name, 20).strip()
    return int(value) if value.isdigit() else None
