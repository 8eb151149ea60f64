"""Reading the report forms of the web pages into validated ReportCreate data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from vigil.reports.schemas import ReportCreate

MENTION_SLOTS = 3
MENTION_TEXT = (
    "given_name",
    "middle_name",
    "family_name",
    "school_or_employer",
    "description",
    "date_of_birth",
    "age_min",
    "age_max",
    "sex",
    "role",
)
MENTION_LISTS = ("aliases", "phones", "emails", "handles", "addresses")


def _text(form: FormData, name: str, limit: int = 60_000) -> str:
    value = form.get(name)
    return value[:limit].strip() if isinstance(value, str) else ""


def _lines(value: str) -> list[str]:
    """Entries separated by new lines or commas (addresses: new lines only)."""
    return [part.strip() for part in value.replace("\r", "").split("\n") if part.strip()]


def _items(value: str) -> list[str]:
    return [part.strip() for line in _lines(value) for part in line.split(",") if part.strip()]


def _when(value: str) -> datetime | str | None:
    """The browser's datetime-local has no zone and the form says UTC; a time typed with
    an offset keeps it."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # left for validation to reject with a message
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def report_values(form: FormData) -> dict[str, Any]:
    """Raw values of the filing form, also used to refill it after an error."""
    values: dict[str, Any] = {
        "kind": _text(form, "kind", 40) or "agency_report",
        "narrative": _text(form, "narrative"),
        "occurred_at": _text(form, "occurred_at", 40),
        "location_text": _text(form, "location_text", 600),
        "latitude": _text(form, "latitude", 40),
        "longitude": _text(form, "longitude", 40),
        "behaviors": [v for v in form.getlist("behaviors") if isinstance(v, str)],
        "weapons": _text(form, "weapons", 3000),
        "target_types": [v for v in form.getlist("target_types") if isinstance(v, str)],
        "target_name": _text(form, "target_name", 400),
        "marking": _text(form, "marking", 20) or "AMBER",
        "protected_activity_only": form.get("protected_activity_only") == "on",
        "mentions": [],
    }
    for slot in range(MENTION_SLOTS):
        mention = {
            name: _text(form, f"m{slot}_{name}", 2500) for name in (*MENTION_TEXT, *MENTION_LISTS)
        }
        values["mentions"].append(mention)
    return values


def to_report_create(values: dict[str, Any]) -> ReportCreate:
    """Validate; raises ValidationError (turned into field messages by the route)."""
    mentions = []
    values["_mention_slots"] = []
    for slot, mention in enumerate(values["mentions"]):
        filled = {k: v for k, v in mention.items() if v and k not in ("role", "sex")}
        if not filled:
            continue
        values["_mention_slots"].append(slot)
        data: dict[str, Any] = {k: v for k, v in mention.items() if v and k in MENTION_TEXT}
        for name in ("aliases", "phones", "emails", "handles"):
            data[name] = _items(mention.get(name, ""))
        data["addresses"] = _lines(mention.get("addresses", ""))
        mentions.append(data)
    payload: dict[str, Any] = {
        "kind": values["kind"],
        "narrative": values["narrative"],
        "occurred_at": _when(values["occurred_at"]),
        "location_text": values["location_text"] or None,
        "latitude": values["latitude"] or None,
        "longitude": values["longitude"] or None,
        "behaviors": values["behaviors"],
        "weapons": _items(values["weapons"]),
        "target_types": values["target_types"],
        "target_name": values["target_name"] or None,
        "marking": values["marking"],
        "protected_activity_only": values["protected_activity_only"],
        "mentions": mentions,
    }
    return ReportCreate.model_validate(payload)


# A rule about several fields (checked on the whole report or mention) is shown at the
# first of these fields its message names; else at the first field of the group.
REPORT_RULE_FIELDS = ("latitude", "longitude")
MENTION_RULE_FIELDS = ("age_min", "age_max", "date_of_birth")


def _named_in(message: str, fields: tuple[str, ...], default: str) -> str:
    return next((field for field in fields if field in message), default)


def field_errors(error: ValidationError, values: dict[str, Any]) -> dict[str, str]:
    """Pydantic errors as {form field id: message}, for the summary and each field."""
    errors: dict[str, str] = {}
    slots = values.get("_mention_slots", [])
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ())]
        message = str(item.get("msg", "is not valid")).removeprefix("Value error, ")
        if location[:1] == ["mentions"] and len(location) >= 2 and location[1].isdigit():
            index = int(location[1])
            slot = slots[index] if index < len(slots) else index
            if len(location) > 2:
                name = location[2]
            else:
                name = _named_in(message, MENTION_RULE_FIELDS, "given_name")
            field = f"m{slot}_{name}"
        elif location:
            field = location[0]
        else:
            field = _named_in(message, REPORT_RULE_FIELDS, "narrative")
        errors.setdefault(field, f"{field.replace('_', ' ')}: {message}")
    return errors
