"""Single sign-on pages (OpenID Connect); see vigil.platform.oidc."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
