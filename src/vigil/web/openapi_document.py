"""The OpenAPI document: what FastAPI derives from the routes, plus how the API
authenticates, so clients and fuzzers (schemathesis) know which operations need a token."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from fastapi import FastAPI

BEARER_SCHEME = "bearerAuth"


def install(app: FastAPI, *, public_paths: Collection[str]) -> None:
    """Declare bearer-token authentication on every /api/ operation but the public ones."""
    derive = app.openapi

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            add_bearer_auth(derive(), public_paths)
        built = app.openapi_schema
        if built is None:  # derive() always caches the document it builds
            raise RuntimeError("FastAPI built no OpenAPI document")
        return built

    app.openapi = document  # type: ignore[method-assign]


def add_bearer_auth(schema: dict[str, Any], public_paths: Collection[str]) -> None:
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[BEARER_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token from your account page: `Authorization: Bearer <token>`.",
    }
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/api/") or path in public_paths:
            continue
        for operation in operations.values():
            operation["security"] = [{BEARER_SCHEME: []}]
