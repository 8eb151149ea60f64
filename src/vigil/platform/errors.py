"""Errors the services raise; the web layer turns them into pages and problem details."""

from __future__ import annotations


class NotFound(Exception):
    """The object does not exist, or the actor may not know that it does."""

    def __init__(self, object_type: str) -> None:
        super().__init__(f"{object_type} not found")
        self.object_type = object_type


class InvalidInput(Exception):
    """Input failed a business rule. ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class Conflict(Exception):
    """The change clashes with existing data (a taken name, a stale version)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
