"""The bulk import's field mapping and row rules: CSV columns and JSON bodies into
validated `ReportCreate` rows, or every reason a row is rejected. The mapping itself
is described in `vigil.reports.importer` and in the README."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError

from vigil.platform.policy.markings import Tlp
from vigil.platform.settings import Settings
from vigil.reports.import_formats import ImportFileError, RawRow
from vigil.reports.schemas import ReportCreate
from vigil.reports.service import retention_dates
from vigil.reports.vocabulary import FileClass, MentionRole

CLOCK_SKEW = timedelta(minutes=5)
LIST_SEPARATOR = ";"

REPORT_COLUMNS: dict[str, str] = {
    "kind": "tip, sar or agency_report (default agency_report)",
    "narrative": "What happened. Required; at most 50,000 characters.",
    "occurred_at": "When it happened: ISO 8601 with a time zone, e.g. 2026-05-01T14:30:00-05:00",
    "reported_at": "When the source system received it (same form; default: now). "
    "Retention counts from it.",
    "location_text": "Address or place; at most 500 characters.",
    "latitude": "Decimal degrees, -90 to 90 (give longitude too).",
    "longitude": "Decimal degrees, -180 to 180 (give latitude too).",
    "behaviors": "ISE-SAR behavior codes, separated by ;",
    "weapons": "Weapons mentioned, separated by ;",
    "target_types": "school, house_of_worship, workplace, public_event, government, "
    "named_person; separated by ;",
    "target_name": "The target's name.",
    "marking": "CLEAR, GREEN, AMBER (default), AMBER+STRICT or RED.",
    "protected_activity_only": "true or false (default false).",
}
MENTION_PREFIXES: dict[str, MentionRole] = {
    "subject": MentionRole.SUBJECT,
    "witness": MentionRole.WITNESS,
    "victim": MentionRole.VICTIM_OR_TARGET,
    "reporting_party": MentionRole.REPORTING_PARTY,
}
# CSV field of a person -> (MentionIn field, what it holds).
MENTION_COLUMNS: dict[str, tuple[str, str]] = {
    "given_name": ("given_name", "Given name."),
    "middle_name": ("middle_name", "Middle name."),
    "family_name": ("family_name", "Family name."),
    "aliases": ("aliases", "Aliases or nicknames, separated by ;"),
    "dob": ("date_of_birth", "Date of birth, YYYY-MM-DD."),
    "age_min": ("age_min", "Youngest likely age."),
    "age_max": ("age_max", "Oldest likely age."),
    "sex": ("sex", "female, male, other or unknown."),
    "phones": ("phones", "Phone numbers, separated by ;"),
    "emails": ("emails", "E-mail addresses, separated by ;"),
    "handles": ("handles", "Social-media handles, separated by ;"),
    "addresses": ("addresses", "Addresses, separated by ;"),
    "school_or_employer": ("school_or_employer", "School or employer."),
    "description": ("description", "Description; at most 2,000 characters."),
}
_LIST_FIELDS = frozenset(
    {
        "behaviors",
        "weapons",
        "target_types",
        "aliases",
        "phones",
        "emails",
        "handles",
        "addresses",
    }
)
_MENTION_COLUMN = re.compile(r"(subject|witness|victim|reporting_party)([2-9]|[1-4][0-9]|50)?_(.+)")
_NOT_IMPORTED = {
    "shared_agency_ids": "an import never shares; share the reports once imported",
    "recipient_user_ids": "an import names no recipients; a RED report's recipient is "
    "the importing user",
}


# --- CSV mapping -----------------------------------------------------------------------


@dataclass(frozen=True)
class CsvPlan:
    report: tuple[tuple[str, str], ...]
    # (prefix, role, ((column, MentionIn field), ...)) in a fixed order.
    mentions: tuple[tuple[str, MentionRole, tuple[tuple[str, str], ...]], ...]


def plan_columns(names: list[str]) -> CsvPlan:
    """Check a CSV header against the mapping; ImportFileError names what is wrong."""
    report: list[tuple[str, str]] = []
    people: dict[tuple[int, int, str], list[tuple[str, str]]] = {}
    unknown: list[str] = []
    for name in names:
        if name in REPORT_COLUMNS:
            report.append((name, name))
            continue
        found = _MENTION_COLUMN.fullmatch(name)
        if found and found.group(3) in MENTION_COLUMNS:
            who, number, suffix = found.group(1), found.group(2), found.group(3)
            order = list(MENTION_PREFIXES).index(who)
            prefix = f"{who}{number or ''}"
            people.setdefault((order, int(number or 1), prefix), []).append(
                (name, MENTION_COLUMNS[suffix][0])
            )
            continue
        unknown.append(name)
    if unknown:
        shown = ", ".join(repr(_printable(name)) for name in unknown[:5])
        raise ImportFileError(
            f"row 1 (the header): unknown column{'s' if len(unknown) > 1 else ''} {shown}. "
            "The columns are listed on the import page and in the README."
        )
    if "narrative" not in names:
        raise ImportFileError("row 1 (the header): there is no narrative column.")
    mentions = tuple(
        (prefix, list(MENTION_PREFIXES.values())[order], tuple(columns))
        for (order, _, prefix), columns in sorted(people.items())
    )
    return CsvPlan(tuple(report), mentions)


def _printable(value: str) -> str:
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in value)
    return cleaned if len(cleaned) <= 40 else cleaned[:39] + "…"


def _cell(value: str, name: str) -> str | list[str]:
    """A stripped, non-empty cell as its field takes it."""
    if name in _LIST_FIELDS:
        return [part for part in map(str.strip, value.split(LIST_SEPARATOR)) if part]
    return value


def _csv_payload(plan: CsvPlan, values: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    payload: dict[str, Any] = {}
    for column, name in plan.report:
        if value := values[column].strip():
            payload[name] = _cell(value, name) if name in _LIST_FIELDS else value
    mentions: list[dict[str, Any]] = []
    prefixes: list[str] = []
    for prefix, role, columns in plan.mentions:
        person = {
            name: _cell(value, name) if name in _LIST_FIELDS else value
            for column, name in columns
            if (value := values[column].strip())
        }
        if person:
            mentions.append({"role": role.value, **person})
            prefixes.append(prefix)
    if mentions:
        payload["mentions"] = mentions
    return payload, prefixes


def _csv_column(location: tuple[int | str, ...], prefixes: list[str]) -> str:
    if location[:1] == ("mentions",) and len(location) >= 2 and isinstance(location[1], int):
        prefix = prefixes[location[1]] if location[1] < len(prefixes) else "mentions"
        if len(location) < 3:
            return prefix
        name = "dob" if location[2] == "date_of_birth" else str(location[2])
        return f"{prefix}_{name}"
    return str(location[0]) if location else ""


def _json_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


# --- rows ----------------------------------------------------------------------------


def _unstorable(value: Any, path: str) -> str | None:
    """Where the database could not hold a text (NUL, lone surrogates), if anywhere."""
    if isinstance(value, str):
        if "\x00" in value:
            return f"{path or 'value'}: contains a NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{path or 'value'}: is not valid Unicode text"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if (found := _unstorable(key, path)) or (
                found := _unstorable(item, f"{path}.{key}" if path else str(key))
            ):
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if found := _unstorable(item, f"{path}[{index}]"):
                return found
    return None


def _moment(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("give an ISO 8601 date and time with a time zone")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("give an ISO 8601 date and time, e.g. 2026-05-01T14:30:00Z") from None
    if moment.tzinfo is None:
        raise ValueError("give a time zone (e.g. 2026-05-01T14:30:00-05:00 or ...Z)")
    return moment


@dataclass(frozen=True, slots=True)
class ValidRow:
    """A row that passed every rule, with the dates counted from when it was received."""

    number: int
    data: ReportCreate
    reported_at: datetime
    review_due_at: datetime | None
    purge_due_at: datetime


@dataclass(frozen=True, slots=True)
class _Payload:
    """A row as ReportCreate's input, and the import's own reasons found so far."""

    body: dict[str, Any]
    prefixes: list[str]
    reasons: list[str]
    reported_at: datetime


# Validates a batch of rows in one call.
_REPORTS = TypeAdapter(list[ReportCreate])


class RowRules:
    """Validates rows into ReportCreate, with the import's own rules on top."""

    def __init__(
        self, *, settings: Settings, now: datetime, from_user: bool, file_format: str
    ) -> None:
        self.settings = settings
        self.now = now
        # Only a user can import RED: they become its recipient.
        self.from_user = from_user
        self.file_format = file_format
        self.plan: CsvPlan | None = None

    def where(self, raw: RawRow) -> str:
        kind = "item" if self.file_format == "json" else "row"
        if raw.number == raw.line:
            return f"{kind} {raw.number}"
        return f"{kind} {raw.number} (line {raw.line})"

    def check(self, raw: RawRow) -> ValidRow | list[str]:
        return self.check_many([raw])[0]

    def check_many(self, raws: list[RawRow]) -> list[ValidRow | list[str]]:
        """Every row's outcome. The rows' bodies are validated in one call (faster than
        one call each); only when one fails are they validated one by one, for the
        failing rows' reasons."""
        payloads = [self._payload(raw) for raw in raws]
        bodies = [payload.body for payload in payloads if isinstance(payload, _Payload)]
        try:
            checked: list[ReportCreate | list[str]] = list(_REPORTS.validate_python(bodies))
        except ValidationError:
            checked = [
                self._validate(payload) for payload in payloads if isinstance(payload, _Payload)
            ]
        outcomes: list[ValidRow | list[str]] = []
        validated = iter(checked)
        for raw, payload in zip(raws, payloads, strict=True):
            if not isinstance(payload, _Payload):
                outcomes.append(payload)
                continue
            data = next(validated)
            if isinstance(data, ReportCreate):
                outcomes.append(self._after(raw, payload, data))
            else:
                outcomes.append(payload.reasons + data)
        return outcomes

    def _payload(self, raw: RawRow) -> _Payload | list[str]:
        if raw.values is None:
            return [raw.problem or "could not be read"]
        if self.file_format == "csv":
            if self.plan is None:  # the header is read before any row
                return ["the file's header could not be read"]
            if "\x00" in "".join(raw.values.values()):
                return [
                    f"{k}: contains a NUL character" for k, v in raw.values.items() if "\x00" in v
                ]
            body, prefixes = _csv_payload(self.plan, raw.values)
        else:
            try:
                if problem := _unstorable(raw.values, ""):
                    return [problem]
            except RecursionError:
                return ["arrays or objects are nested too deeply"]
            body, prefixes = dict(raw.values), []
        reasons: list[str] = []
        reported_at = self.now
        if (given := body.pop("reported_at", None)) is not None:
            try:
                reported_at = _moment(given)
            except ValueError as problem:
                reasons.append(f"reported_at: {problem}")
        for name, why in _NOT_IMPORTED.items():
            if body.get(name):
                reasons.append(f"{name}: {why}")
        return _Payload(body, prefixes, reasons, reported_at)

    def _validate(self, payload: _Payload) -> ReportCreate | list[str]:
        try:
            return ReportCreate.model_validate(payload.body)
        except ValidationError as invalid:
            reasons = []
            for error in invalid.errors(include_url=False, include_input=False):
                location = tuple(error["loc"])
                name = (
                    _csv_column(location, payload.prefixes)
                    if self.file_format == "csv"
                    else _json_path(location)
                )
                message = str(error["msg"]).removeprefix("Value error, ")
                if error["type"] == "missing":
                    message = "is required" + (" (the cell is empty)" if self.plan else "")
                reasons.append(f"{name}: {message}" if name else message)
            return reasons

    def _after(self, raw: RawRow, payload: _Payload, data: ReportCreate) -> ValidRow | list[str]:
        reasons = list(payload.reasons)
        reported_at = payload.reported_at
        if data.marking is Tlp.RED and not self.from_user:
            reasons.append(
                "marking: a RED report needs a named recipient; import it on the upload page "
                "(you become its recipient) or file it through the API"
            )
        # Retention counts from when the information was received, not from the import.
        review, purge = retention_dates(
            self.settings, FileClass.TIP_LEAD, reported_at, data.protected_activity_only
        )
        if reported_at > self.now + CLOCK_SKEW:
            reasons.append("reported_at: is in the future")
        elif purge <= self.now:
            reasons.append(
                f"reported_at: is more than {self.settings.tip_lead_retention_days} days "
                "ago, past the tip/lead retention limit; Vigil may not keep it"
            )
        return reasons or ValidRow(raw.number, data, reported_at, review, purge)


def column_reference() -> list[tuple[str, str]]:
    """(column, what it holds) for every CSV column, for the upload page."""
    rows = list(REPORT_COLUMNS.items())
    rows += [(f"subject_{name}", text_) for name, (_, text_) in MENTION_COLUMNS.items()]
    return rows
