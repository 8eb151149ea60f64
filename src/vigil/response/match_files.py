"""Reading accountability lists and inquiries from CSV, and writing ranked matches.

A file is read whole and checked row by row before anything is matched: a wrong
header, text that is not UTF-8, a repeated id, an impossible age or date stops the
run with one message naming the file, row and value, and no output is written.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

from vigil.response.inquiry_matching import Candidate
from vigil.response.profiles import (
    LIST_KINDS,
    InvalidValue,
    Profile,
    build_profile,
    parse_age,
    parse_date,
    parse_sex,
)

LIST_COLUMNS: Final[tuple[str, ...]] = (
    "id",
    "list",
    "full_name",
    "dob",
    "age",
    "sex",
    "description",
)
INQUIRY_COLUMNS: Final[tuple[str, ...]] = (
    "id",
    "full_name",
    "dob",
    "age",
    "sex",
    "description",
    "relationship",
)
MATCH_COLUMNS: Final[tuple[str, ...]] = ("inquiry_id", "person_id", "rank", "score", "likely")
MAX_FIELD_CHARS: Final = 2000


class BadFile(Exception):
    """A file the command refuses, with one line saying why."""


@dataclass(frozen=True)
class RowProblem:
    """Everything wrong with one row of an uploaded file."""

    line: int
    row_id: str
    problems: tuple[str, ...]

    def __str__(self) -> str:
        ident = f" (id {self.row_id!r})" if self.row_id else ""
        return f"line {self.line}{ident}: " + "; ".join(self.problems)


def check_rows(rows: list[dict[str, str]], *, today: date, with_list: bool) -> list[RowProblem]:
    """Every problem of every row (not only the first): blank or repeated ids, unknown
    lists, impossible dates and ages, unknown sexes."""
    first_line: dict[str, str] = {}
    found: list[RowProblem] = []
    for row in rows:
        problems: list[str] = []
        ident = row["id"]
        if not ident:
            problems.append("no id")
        elif ident in first_line:
            problems.append(f"id repeats line {first_line[ident]}")
        else:
            first_line[ident] = row["_line"]
        if with_list and row["list"].lower() not in LIST_KINDS:
            problems.append(f"list {row['list']!r} is not one of " + ", ".join(LIST_KINDS))
        checks: list[tuple[Callable[[str], object], str]] = [
            (functools.partial(parse_date, today=today), row["dob"]),
            (parse_age, row["age"]),
            (parse_sex, row["sex"]),
        ]
        for check, value in checks:
            try:
                check(value)
            except InvalidValue as problem:
                problems.append(str(problem))
        if problems:
            found.append(RowProblem(int(row["_line"]), ident, tuple(problems)))
    return found


def _text(path: Path) -> str:
    if not path.is_file():
        raise BadFile(f"no such file: {path}")
    return decode(path.read_bytes(), str(path))


def decode(data: bytes, path: str) -> str:
    """The text of an uploaded file, which must be UTF-8 throughout."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        line = data[: problem.start].count(b"\n") + 1
        raise BadFile(
            f"{path}: line {line} is not UTF-8 text (mixed or legacy encoding); "
            "save the file as UTF-8"
        ) from None
    if "\x00" in text:
        raise BadFile(f"{path}: holds NUL bytes; it is not a CSV text file")
    return text


def read_rows(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    """The rows of a CSV file with exactly `columns` (in any order), values stripped."""
    return rows_from_text(_text(path), str(path), columns)


def rows_from_text(text: str, path: str, columns: Sequence[str]) -> list[dict[str, str]]:
    """The rows of CSV text with exactly `columns` (in any order); `path` names it."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise BadFile(f"{path} is empty")
        names = [h.strip().lower() for h in header]
        missing = [c for c in columns if c not in names]
        unknown = [n for n in names if n not in columns]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if missing or unknown or repeated:
            parts = []
            if missing:
                parts.append("missing " + ", ".join(missing))
            if unknown:
                parts.append("unknown " + ", ".join(repr(n) for n in unknown))
            if repeated:
                parts.append("repeated " + ", ".join(repeated))
            raise BadFile(
                f"{path}: wrong header ({'; '.join(parts)}); expected " + ",".join(columns)
            )
        rows: list[dict[str, str]] = []
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(names):
                raise BadFile(
                    f"{path}: line {line} has {len(values)} fields, the header {len(names)}"
                )
            row = {name: value.strip() for name, value in zip(names, values, strict=True)}
            for name, value in row.items():
                if len(value) > MAX_FIELD_CHARS:
                    raise BadFile(f"{path}: line {line}: {name} is over {MAX_FIELD_CHARS} chars")
            row["_line"] = str(line)
            rows.append(row)
    except csv.Error as problem:
        raise BadFile(f"{path}: line {reader.line_num} is not valid CSV ({problem})") from None
    if not rows:
        raise BadFile(f"{path} has a header but no rows")
    return rows


def _check_ids(path: Path, rows: list[dict[str, str]]) -> None:
    seen: dict[str, str] = {}
    for row in rows:
        ident = row["id"]
        if not ident:
            raise BadFile(f"{path}: line {row['_line']} has no id")
        if ident in seen:
            raise BadFile(f"{path}: id {ident!r} on line {row['_line']} repeats line {seen[ident]}")
        seen[ident] = row["_line"]


def read_list(path: Path, *, today: date) -> list[Profile]:
    """The people of an accountability list file (id,list,full_name,dob,age,sex,description)."""
    rows = read_rows(path, LIST_COLUMNS)
    _check_ids(path, rows)
    people = []
    for row in rows:
        kind = row["list"].lower()
        if kind not in LIST_KINDS:
            raise BadFile(
                f"{path}: line {row['_line']}: list {row['list']!r} is not one of "
                + ", ".join(LIST_KINDS)
            )
        people.append(_profile(path, row, kind, today))
    return people


def read_inquiries(path: Path, *, today: date) -> list[Profile]:
    """The families' inquiries (id,full_name,dob,age,sex,description,relationship)."""
    rows = read_rows(path, INQUIRY_COLUMNS)
    _check_ids(path, rows)
    return [_profile(path, row, "", today) for row in rows]


def _profile(path: Path, row: dict[str, str], kind: str, today: date) -> Profile:
    try:
        return build_profile(
            id=row["id"],
            list_kind=kind,
            full_name=row["full_name"],
            dob=row["dob"],
            age=row["age"],
            sex=row["sex"],
            description=row["description"],
            today=today,
        )
    except InvalidValue as problem:
        raise BadFile(f"{path}: line {row['_line']} (id {row['id']!r}): {problem}") from None


def write_matches(path: Path, candidates: Sequence[Candidate]) -> None:
    """Write MATCHES.csv whole or not at all (a temporary file renamed into place)."""
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=".matches-", suffix=".csv", dir=directory)
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(MATCH_COLUMNS)
            for c in candidates:
                writer.writerow(
                    [
                        c.inquiry_id,
                        c.person_id,
                        c.rank,
                        f"{c.score:.2f}",
                        "yes" if c.likely else "no",
                    ]
                )
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
