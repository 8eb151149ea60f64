"""Errors as RFC 9457 problem details for the API, and as pages for browsers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

PROBLEM_TYPE_BASE = "https://vigil.invalid/problems/"  # stable identifiers, never fetched


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def problem(
    status: int,
    title: str,
    *,
    detail: str | None = None,
    kind: str = "about:blank",
    errors: list[dict[str, Any]] | None = None,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": kind if kind == "about:blank" else PROBLEM_TYPE_BASE + kind,
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )
