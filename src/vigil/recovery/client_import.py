"""Importing a client list (CSV) into a family assistance center's registrations: every
row is checked first and a report given row by row; one bad row and nothing is
imported (never half a list)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from vigil.platform.actor import Actor
from vigil.recovery.assistance import (
    RegistrationInput,
    audit_center,
    check_registration,
    get_center,
    store_registration,
)

COLUMNS = (
    "kind",
    "display_name",
    "people_count",
    "preferred_language",
    "contact",
    "reunification_record",
)
REQUIRED = ("kind", "display_name")
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class RowReport:
    row: int  # the line of the file, the header being line 1
    problems: dict[str, str]
    number: str | None = None  # the registration number, once imported


@dataclass
class ImportReport:
    file_problem: str | None = None
    rows: list[RowReport] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return sum(1 for row in self.rows if row.number is not None)

    @property
    def ok(self) -> bool:
        return self.file_problem is None and not any(row.problems for row in self.rows)


def _rows(data: bytes) -> tuple[str | None, list[dict[str, str]]]:
    if len(data) > MAX_BYTES:
        return f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.", []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "The file is not UTF-8 text; save it as CSV UTF-8.", []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing:
        return "The header lacks the column(s): " + ", ".join(missing) + ".", []
    if unknown:
        return (
            "Unknown column(s): " + ", ".join(unknown) + ". Use: " + ", ".join(COLUMNS) + ".",
            [],
        )
    if len(set(header)) != len(header):
        return "A column appears twice in the header.", []
    reader.fieldnames = header
    rows: list[dict[str, str]] = []
    try:
        for row in reader:
            if None in row:
                rows.append({"__extra__": "yes"})
            else:
                rows.append({key: (value or "") for key, value in row.items()})
            if len(rows) > MAX_ROWS:
                return f"The file has more than {MAX_ROWS:,} rows; split it.", []
    except csv.Error as problem:
        return f"The file is not valid CSV: {problem}.", []
    if not rows:
        return "The file has a header but no rows.", []
    return None, rows


def import_clients(db: Session, *, actor: Actor, center_id: int, data: bytes) -> ImportReport:
    """Check every row, then register all of them or none; the report says which rows
    were imported (with their numbers) or what is wrong with each row."""
    center = get_center(db, actor=actor, center_id=center_id, action="work")
    file_problem, rows = _rows(data)
    if file_problem:
        return ImportReport(file_problem=file_problem)
    checked: list[tuple[dict[str, str], RegistrationInput]] = []
    seen_records: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        if "__extra__" in row:
            checked.append(({"row": "This row has more values than the header has columns."},
                            RegistrationInput("", "")))  # fmt: skip
            continue
        problems: dict[str, str] = {}
        raw_count = row.get("people_count", "").strip() or "1"
        count = int(raw_count) if raw_count.isdigit() and len(raw_count) < 6 else -1
        if count < 0:
            problems["people_count"] = "Give a whole number of people."
            count = 1
        data_in = RegistrationInput(
            kind=row.get("kind", "").strip().lower(),
            display_name=row.get("display_name", ""),
            people_count=count,
            preferred_language=row.get("preferred_language") or None,
            contact=row.get("contact") or None,
            reunification_record=row.get("reunification_record") or None,
        )
        errors, cleaned = check_registration(db, center, data_in)
        problems.update(errors)
        record = cleaned.reunification_record
        if record:
            if record in seen_records:
                problems["reunification_record"] = (
                    f"The same record id is on line {seen_records[record]} too."
                )
            seen_records.setdefault(record, line)
        checked.append((problems, cleaned))
    report = ImportReport()
    if any(problems for problems, _ in checked):
        report.rows = [RowReport(line, problems) for line, (problems, _) in enumerate(checked, 2)]
        audit_center(db, actor, "import_refused", center, rows=len(rows))
        return report
    for line, (_, cleaned) in enumerate(checked, start=2):
        registration = store_registration(db, actor, center, cleaned)
        report.rows.append(RowReport(line, {}, registration.number))
    audit_center(db, actor, "import", center, rows=len(rows))
    return report
