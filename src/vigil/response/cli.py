"""The `vigil incident`, `vigil reunify` and `vigil pfif` command groups; each command
lives in its own module."""

from __future__ import annotations

from vigil.response.incident_cli import incident_app
from vigil.response.pfif_cli import pfif_app
from vigil.response.reunify_cli import reunify_app

__all__ = ["incident_app", "pfif_app", "reunify_app"]
