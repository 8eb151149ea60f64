"""The ICS forms Vigil keeps, block by block as the federal forms number them (ICS 201,
202, 209, 211, 213, 214, and a situation report), and the checks on their fields.

Blocks the record fills itself (incident name and number, date and time prepared,
prepared by) have no field; the others are entered. A draft may be incomplete; a form
is submitted only with every required field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from vigil.platform.schemas import storable_text

MAX_TEXT: Final = 200
MAX_AREA: Final = 5000
MAX_ROWS: Final = 50
MAX_COUNT: Final = 1_000_000


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str = "text"  # text, datetime, count


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, textarea, datetime, count, choice, table
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    columns: tuple[Column, ...] = ()
    hint: str | None = None


@dataclass(frozen=True)
class Block:
    number: str
    title: str
    fields: tuple[Field, ...] = ()
    auto: str | None = None  # what the record fills in: incident, prepared, period, ...


@dataclass(frozen=True)
class FormSpec:
    code: str
    title: str
    purpose: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return f"ICS {self.code} {self.title}" if self.code.isdigit() else self.title

    def fields(self) -> list[Field]:
        return [f for block in self.blocks for f in block.fields]


def _counts(prefix: str, who: str) -> tuple[Field, ...]:
    rows = (
        ("fatalities", "fatalities"),
        ("injured", "injured or ill"),
        ("missing", "missing"),
        ("evacuated", "evacuated"),
        ("sheltering", "sheltering in place"),
    )
    return tuple(
        Field(f"{prefix}_{name}", f"{who}: {label} (total to date)", "count")
        for name, label in rows
    )


NAME_POSITION = (Column("name", "Name"), Column("position", "ICS position"))
SPECS: Final[dict[str, FormSpec]] = {
    spec.code: spec
    for spec in (
        FormSpec(
            "201",
            "Incident Briefing",
            "The incident commander's briefing on the situation and the resources allocated.",
            (
                Block("1", "Incident Name", auto="incident_name"),
                Block("2", "Incident Number", auto="incident_number"),
                Block("3", "Date/Time Initiated", auto="prepared_at"),
                Block(
                    "4",
                    "Map/Sketch",
                    (
                        Field(
                            "map_sketch",
                            "Map or sketch (describe the perimeter, hot, warm and cold zones, "
                            "command post, staging, casualty collection point)",
                            "textarea",
                        ),
                    ),
                ),
                Block(
                    "5",
                    "Situation Summary and Health and Safety Briefing",
                    (
                        Field(
                            "situation", "Situation summary and safety briefing", "textarea", True
                        ),
                    ),
                ),
                Block("6", "Prepared by", auto="prepared_by"),
                Block(
                    "7",
                    "Current and Planned Objectives",
                    (Field("objectives", "Objectives", "textarea", True),),
                ),
                Block(
                    "8",
                    "Current and Planned Actions, Strategies, and Tactics",
                    (
                        Field(
                            "actions",
                            "Actions",
                            "table",
                            columns=(
                                Column("time", "Time", "datetime"),
                                Column("action", "Action"),
                            ),
                        ),
                    ),
                ),
                Block(
                    "9",
                    "Current Organization",
                    (Field("organization", "Organization", "table", columns=NAME_POSITION),),
                ),
                Block(
                    "10",
                    "Resource Summary",
                    (
                        Field(
                            "resources",
                            "Resources",
                            "table",
                            columns=(
                                Column("resource", "Resource"),
                                Column("identifier", "Resource identifier"),
                                Column("ordered_at", "Date/time ordered", "datetime"),
                                Column("eta", "ETA", "datetime"),
                                Column("arrived", "Arrived (yes/no)"),
                                Column("notes", "Notes (location/assignment/status)"),
                            ),
                        ),
                    ),
                ),
            ),
        ),
        FormSpec(
            "202",
            "Incident Objectives",
            "The objectives and command emphasis for one operational period.",
            (
                Block("1", "Incident Name", auto="incident_name"),
                Block("2", "Operational Period", auto="period"),
                Block("3", "Objective(s)", (Field("objectives", "Objectives", "textarea", True),)),
                Block(
                    "4",
                    "Operational Period Command Emphasis",
                    (
                        Field("command_emphasis", "Command emphasis", "textarea"),
                        Field("situational_awareness", "General situational awareness", "textarea"),
                    ),
                ),
                Block(
                    "5",
                    "Site Safety Plan Required?",
                    (
                        Field(
                            "safety_plan_required",
                            "Site safety plan required",
                            "choice",
                            True,
                            choices=(("yes", "Yes"), ("no", "No")),
                        ),
                        Field("safety_plan_location", "Approved site safety plan(s) located at"),
                    ),
                ),
                Block(
                    "6",
                    "Incident Action Plan",
                    (Field("iap_components", "Forms and attachments in the plan", "textarea"),),
                ),
                Block("7", "Prepared by", auto="prepared_by"),
                Block(
                    "8",
                    "Approved by Incident Commander",
                    (Field("approved_by", "Incident commander's name", required=True),),
                ),
            ),
        ),
        FormSpec(
            "209",
            "Incident Status Summary",
            "The incident's status for agencies outside it (casualties, threats, needs).",
            (
                Block("1", "Incident Name", auto="incident_name"),
                Block("2", "Incident Number", auto="incident_number"),
                Block(
                    "3",
                    "Report Version",
                    (
                        Field(
                            "version",
                            "Report version",
                            "choice",
                            True,
                            choices=(
                                ("initial", "Initial"),
                                ("update", "Update"),
                                ("final", "Final"),
                            ),
                        ),
                    ),
                ),
                Block(
                    "4",
                    "Incident Commander(s) & Agency or Organization",
                    (Field("commanders", "Incident commander(s) and agencies", required=True),),
                ),
                Block("6", "Incident Start Date/Time", auto="incident_start"),
                Block("11", "For Time Period", auto="period"),
                Block("12", "Prepared by", auto="prepared_by"),
                Block(
                    "26",
                    "Life, Safety, and Health Status/Threat Remarks",
                    (Field("threat_remarks", "Status and threat remarks", "textarea", True),),
                ),
                Block(
                    "31",
                    "Civilian (Public) Status",
                    _counts("public", "Civilians"),
                ),
                Block(
                    "33",
                    "Responder Status",
                    _counts("responder", "Responders")[:3],
                ),
                Block(
                    "38",
                    "Projected Incident Activity",
                    (Field("projected_activity", "Projected activity and escalation", "textarea"),),
                ),
                Block(
                    "40",
                    "Critical Resource Needs",
                    (Field("critical_needs", "Critical resource needs", "textarea"),),
                ),
                Block(
                    "47",
                    "Remarks",
                    (Field("remarks", "Remarks", "textarea"),),
                ),
            ),
        ),
        FormSpec(
            "211",
            "Incident Check-In List",
            "Who and what arrived at the incident, when, and where they were sent.",
            (
                Block("1", "Incident Name", auto="incident_name"),
                Block("2", "Incident Number", auto="incident_number"),
                Block(
                    "3",
                    "Check-In Location",
                    (Field("location", "Check-in location", required=True),),
                ),
                Block("4", "Start Date/Time", auto="prepared_at"),
                Block(
                    "5",
                    "Check-In Information",
                    (
                        Field(
                            "check_ins",
                            "Check-ins",
                            "table",
                            True,
                            columns=(
                                Column("agency", "Agency"),
                                Column("resource", "Single resource or leader's name"),
                                Column("order_number", "Order request number"),
                                Column("checked_in_at", "Date/time check-in", "datetime"),
                                Column("personnel", "Total number of personnel", "count"),
                                Column("home_unit", "Home unit or agency"),
                                Column("assignment", "Incident assignment"),
                            ),
                        ),
                    ),
                ),
                Block("6", "Prepared by", auto="prepared_by"),
            ),
        ),
        FormSpec(
            "213",
            "General Message",
            "A message between people in the incident that needs a record.",
            (
                Block("1", "Incident Name", auto="incident_name"),
                Block(
                    "2",
                    "To (Name and Position)",
                    (Field("to", "To (name and position)", required=True),),
                ),
                Block(
                    "3",
                    "From (Name and Position)",
                    (Field("sender", "From (name and position)", required=True),),
                ),
                Block("4", "Subject", (Field("subject", "Subject", required=True),)),
                Block("5", "Date/Time", auto="prepared_at"),
                Block("7", "Message", (Field("message", "Message", "textarea", True),)),
                Block("8", "Approved by", (Field("approved_by", "Approved by (name, position)"),)),
                Block("9", "Reply", (Field("reply", "Reply", "textarea"),)),
                Block("10", "Replied by", (Field("replied_by", "Replied by (name, position)"),)),
            ),
        ),
        FormSpec(
            "214",
            "Activity Log",
            "What a person or unit did during an operational period.",
            (
                Block("1", "Incident Name", auto="incident_name"),
                Block("2", "Operational Period", auto="period"),
                Block("3", "Name", (Field("name", "Name", required=True),)),
                Block("4", "ICS Position", (Field("position", "ICS position", required=True),)),
                Block(
                    "5", "Home Agency (and Unit)", (Field("home_agency", "Home agency and unit"),)
                ),
                Block(
                    "6",
                    "Resources Assigned",
                    (
                        Field(
                            "assigned",
                            "Resources assigned",
                            "table",
                            columns=(*NAME_POSITION, Column("home_agency", "Home agency and unit")),
                        ),
                    ),
                ),
                Block(
                    "7",
                    "Activity Log",
                    (
                        Field(
                            "activities",
                            "Activities",
                            "table",
                            True,
                            columns=(
                                Column("at", "Date/time", "datetime"),
                                Column("activity", "Notable activities"),
                            ),
                        ),
                    ),
                ),
                Block("8", "Prepared by", auto="prepared_by"),
            ),
        ),
        FormSpec(
            "sitrep",
            "Situation Report",
            "A periodic report of the incident's situation to partners and officials.",
            (
                Block("1", "Incident Name", auto="incident_name"),
                Block("2", "Reporting Period", auto="period"),
                Block(
                    "3", "Situation", (Field("situation", "Current situation", "textarea", True),)
                ),
                Block(
                    "4",
                    "Casualties and Accountability",
                    (Field("casualties", "Casualties and accountability", "textarea"),),
                ),
                Block("5", "Actions Taken", (Field("actions", "Actions taken", "textarea"),)),
                Block(
                    "6",
                    "Resource Status and Needs",
                    (Field("resources", "Resource status and needs", "textarea"),),
                ),
                Block("7", "Next Steps", (Field("next_steps", "Planned next steps", "textarea"),)),
                Block(
                    "8",
                    "Next Report Due",
                    (Field("next_report_at", "Next report due", "datetime"),),
                ),
                Block("9", "Prepared by", auto="prepared_by"),
            ),
        ),
    )
}


def spec_for(code: str) -> FormSpec | None:
    return SPECS.get(code)


def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _clean_text(value: Any, limit: int) -> tuple[str, str | None]:
    if value is None:
        return "", None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return "", "must be text"
    text = str(value).replace("\r\n", "\n").strip()
    try:
        storable_text(text)
    except ValueError as problem:
        return "", str(problem)
    if len(text) > limit:
        return "", f"must be at most {limit:,} characters"
    return text, None


def _clean_value(
    kind: str, value: Any, choices: tuple[tuple[str, str], ...]
) -> tuple[Any, str | None]:
    if kind in ("text", "textarea"):
        return _clean_text(value, MAX_AREA if kind == "textarea" else MAX_TEXT)
    text, problem = _clean_text(value, MAX_TEXT)
    if problem or not text:
        return None, problem
    if kind == "datetime":
        moment = _parse_time(text)
        if moment is None:
            return None, "must be a date and time (YYYY-MM-DDTHH:MM)"
        return moment.astimezone(UTC).isoformat(timespec="minutes"), None
    if kind == "count":
        if not text.isdigit() or int(text) > MAX_COUNT:
            return None, f"must be a whole number from 0 to {MAX_COUNT:,}"
        return int(text), None
    if kind == "choice":
        if text not in {key for key, _ in choices}:
            return None, "must be one of " + ", ".join(label for _, label in choices)
        return text, None
    return None, "is not a field Vigil knows"


def _shown(name: str) -> str:
    """A field name someone sent, fit to quote back in a message."""
    return name if name.isprintable() and len(name) <= 40 else "?"


def _clean_rows(spec_field: Field, value: Any, errors: dict[str, str]) -> list[dict[str, Any]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        errors[spec_field.name] = f"{spec_field.label} must be a list of rows"
        return []
    if len(value) > MAX_ROWS:
        errors[spec_field.name] = f"{spec_field.label}: at most {MAX_ROWS} rows"
        return []
    rows = []
    for number, raw in enumerate(value, start=1):
        if not isinstance(raw, Mapping):
            errors[spec_field.name] = f"{spec_field.label}: row {number} must be an object"
            continue
        unknown = set(raw) - {c.name for c in spec_field.columns}
        if unknown:
            shown = sorted(_shown(str(name)) for name in unknown)
            errors[spec_field.name] = (
                f"{spec_field.label}: row {number} has unknown columns " + ", ".join(shown[:10])
            )
            continue
        row: dict[str, Any] = {}
        for column in spec_field.columns:
            clean, problem = _clean_value(column.kind, raw.get(column.name), ())
            if problem:
                errors[f"{spec_field.name}-{number}-{column.name}"] = (
                    f"{spec_field.label}, row {number}, {column.label}: {problem}"
                )
            row[column.name] = clean if clean not in ("", None) else None
        if any(v is not None for v in row.values()):
            rows.append(row)
    return rows


def clean_fields(
    spec: FormSpec, raw: Mapping[str, Any], *, complete: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's fields checked and normalised, and every problem by field name.

    ``complete``: the form is being submitted, so required fields must be filled.
    """
    errors: dict[str, str] = {}
    known = {f.name for f in spec.fields()}
    unknown = sorted(set(raw) - known)
    if unknown:
        shown = [_shown(str(name)) for name in unknown]
        errors["fields"] = f"{spec.label} has no field " + ", ".join(shown[:10])
    clean: dict[str, Any] = {}
    for spec_field in spec.fields():
        value = raw.get(spec_field.name)
        if spec_field.kind == "table":
            rows = _clean_rows(spec_field, value, errors)
            if rows:
                clean[spec_field.name] = rows
        else:
            cleaned, problem = _clean_value(spec_field.kind, value, spec_field.choices)
            if problem:
                errors[spec_field.name] = f"{spec_field.label} {problem}"
            elif cleaned not in ("", None):
                clean[spec_field.name] = cleaned
        if complete and spec_field.required and spec_field.name not in clean:
            errors.setdefault(spec_field.name, f"Fill in {spec_field.label} before submitting.")
    return clean, errors
