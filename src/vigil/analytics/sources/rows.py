"""One source row as published plus its normalised fields, the per-row problem reports,
and the CSV reading and value parsing every loader shares."""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from vigil.analytics.places import is_variant, state_code

# No plausible incident has more people shot than this; a larger number is a typo.
MAX_PLAUSIBLE_COUNT = 1000
EARLIEST_PLAUSIBLE_DATE = date(1900, 1, 1)


@dataclass(frozen=True)
class RowProblem:
    """Something wrong with one row (or, with row_index None, with a whole file)."""

    dataset: str
    file: str
    row_index: int | None
    row_key: str | None
    column: str | None
    message: str


@dataclass
class SourceRow:
    """A data row as published (``raw``) with the fields Vigil compares across sources.

    ``killed`` and ``injured`` count victims only (never the shooter) wherever the
    source allows; ``group`` names the rows of one source that are one incident (the
    FBI file has a row per shooter)."""

    dataset: str
    file: str
    row_index: int
    row_key: str
    published_id: str | None
    raw: dict[str, str]
    date: date | None = None
    city: str | None = None
    state: str | None = None
    county: str | None = None
    place_text: str | None = None
    title: str | None = None
    killed: int | None = None
    injured: int | None = None
    shooter_names: tuple[str, ...] = ()
    shooter_ages: tuple[int, ...] = ()
    school: bool | None = None
    school_level: str | None = None
    setting: str | None = None
    weapon: str | None = None
    gva_id: str | None = None
    group: str | None = None
    extra: dict[str, str | None] = field(default_factory=dict)


@dataclass
class LoadedSource:
    dataset: str
    rows: list[SourceRow]
    problems: list[RowProblem]


class SourceFileError(Exception):
    """A file cannot be read at all (missing, not CSV, no id column)."""


@dataclass
class CsvTable:
    """A CSV file's header and data rows, each row mapped by column name."""

    path: Path
    header: list[str]
    rows: list[dict[str, str]]
    lengths: list[int]
    ended: str | None = None
    undecodable: frozenset[int] = frozenset()
    encoding: str = "utf-8"


def open_text(path: Path, encoding: str) -> io.TextIOBase:
    # Undecodable bytes become U+FFFD and their row is reported, rather than losing the
    # rest of the file.
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(
            gzip.open(path, "rb"), encoding=encoding, errors="replace", newline=""
        )
    return open(path, encoding=encoding, errors="replace", newline="")


def read_csv(
    path: Path, *, encoding: str = "utf-8-sig", header_names: Sequence[str] | None = None
) -> CsvTable:
    """Read a CSV file. Duplicate header names get ``_2``, ``_3``; short rows are padded
    with '' (their length is kept so the loader can report them as truncated)."""
    try:
        with open_text(path, encoding) as handle:
            reader = csv.reader(handle)
            try:
                header = next(reader)
            except StopIteration:
                raise SourceFileError(f"{path.name} is empty") from None
            if header_names is not None:
                header = list(header_names)
            seen: Counter[str] = Counter()
            names = []
            for name in header:
                seen[name] += 1
                names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
            rows: list[dict[str, str]] = []
            lengths: list[int] = []
            ended: str | None = None
            undecodable: set[int] = set()
            try:
                for cells in reader:
                    if not cells or (len(cells) == 1 and not cells[0].strip()):
                        continue
                    lengths.append(len(cells))
                    if any("\ufffd" in cell for cell in cells):
                        undecodable.add(len(rows))
                    padded = cells + [""] * (len(names) - len(cells))
                    rows.append(dict(zip(names, padded, strict=False)))
            except (EOFError, OSError, csv.Error, UnicodeDecodeError) as problem:
                # A file cut short (a truncated download): keep the rows before the cut.
                ended = f"the file ends early after {len(rows)} rows: {problem}"
    except (UnicodeDecodeError, csv.Error, OSError, EOFError) as problem:
        raise SourceFileError(f"{path.name} cannot be read as CSV: {problem}") from None
    return CsvTable(
        path=path,
        header=names,
        rows=rows,
        lengths=lengths,
        ended=ended,
        undecodable=frozenset(undecodable),
        encoding=encoding,
    )


def row_keys(values: Sequence[str]) -> list[str]:
    """The published id of each row, written ``<id>#<i>`` where the id is not unique
    in its file (or is empty); i is the 0-based index of the data row."""
    counts = Counter(value.strip() for value in values)
    keys = []
    for index, value in enumerate(values):
        value = value.strip()
        keys.append(value if value and counts[value] == 1 else f"{value}#{index}")
    return keys


class ProblemLog:
    """Collects the problems of one file, so each parse helper can report and go on."""

    def __init__(self, dataset: str, file: str) -> None:
        self.dataset = dataset
        self.file = file
        self.problems: list[RowProblem] = []
        self.row_index: int | None = None
        self.row_key: str | None = None

    def at(self, row_index: int | None, row_key: str | None) -> None:
        self.row_index = row_index
        self.row_key = row_key

    def report(self, column: str | None, message: str) -> None:
        self.problems.append(
            RowProblem(self.dataset, self.file, self.row_index, self.row_key, column, message)
        )

    def state(self, column: str, text: str | None) -> str | None:
        """The USPS code, reporting unknown states and corrected misspellings."""
        value = (text or "").strip()
        if not value:
            return None
        code = state_code(value)
        if code is None:
            self.report(column, f"unknown state {value!r}")
        elif is_variant(value):
            self.report(column, f"state {value!r} read as {code}")
        return code

    def check_header(
        self, table: CsvTable, expected: Sequence[str], required: Sequence[str]
    ) -> None:
        """Report unknown and missing columns once for the file."""
        self.at(None, None)
        if table.ended:
            self.report(None, table.ended)
        known = set(expected)
        for name in table.header:
            if name not in known:
                self.report(name, f"unknown column {name!r}")
        for name in expected:
            if name not in table.header:
                self.report(name, f"missing column {name!r}")
        missing = [name for name in required if name not in table.header]
        if missing:
            raise SourceFileError(
                f"{table.path.name} has no {', '.join(map(repr, missing))} column"
            )

    def check_length(self, table: CsvTable, index: int) -> None:
        if index in table.undecodable:
            self.report(None, f"bytes that are not valid {table.encoding} (shown as \ufffd)")
        length = table.lengths[index]
        if length < len(table.header):
            self.report(None, f"truncated row: {length} of {len(table.header)} cells")
        elif length > len(table.header):
            self.report(None, f"{length - len(table.header)} cells more than the header")

    def date(
        self, column: str, text: str | None, formats: Sequence[str], *, today: date | None = None
    ) -> date | None:
        value = (text or "").strip()
        if not value:
            return None
        out_of_range = False
        for fmt in formats:
            try:
                parsed = datetime.strptime(value, fmt).date()
            except ValueError as error:
                # '2/30/1999' has the right shape but no such day.
                out_of_range = out_of_range or "out of range" in str(error)
                continue
            latest = today or date.today()
            if parsed < EARLIEST_PLAUSIBLE_DATE or parsed > latest:
                self.report(column, f"impossible date {value!r}")
                return None
            return parsed
        if out_of_range:
            self.report(column, f"impossible date {value!r}")
        else:
            self.report(column, f"not a date: {value!r}")
        return None

    def count(self, column: str, text: str | None) -> int | None:
        value = (text or "").strip()
        if not value or value.lower() in {"null", "n/a", "na", "unknown", "unclear", "-"}:
            return None
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            self.report(column, f"not a count: {value!r}")
            return None
        if number != int(number) or number < 0 or number > MAX_PLAUSIBLE_COUNT:
            self.report(column, f"impossible count {value!r}")
            return None
        return int(number)


def clean(text: str | None) -> str | None:
    """A cell's text without surrounding blanks; None for empty and 'null'."""
    if text is None:
        return None
    value = text.strip()
    return value if value and value.lower() not in {"null", "n/a"} else None


def sum_known(*values: int | None) -> int | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def yes_no(text: str | None) -> bool | None:
    value = (text or "").strip().lower()
    if value in {"yes", "y", "1", "true"}:
        return True
    if value in {"no", "n", "0", "false"}:
        return False
    return None


def ages(text: str | None) -> tuple[int, ...]:
    """Whole-number ages in a cell such as '25', '18, 17' or '15 & 16'."""
    found = []
    for token in re.findall(r"\d+", text or ""):
        number = int(token)
        if 5 <= number <= 110:
            found.append(number)
    return tuple(found)


def iter_files(folder: Path, patterns: Sequence[str]) -> Iterator[Path]:
    for pattern in patterns:
        yield from sorted(folder.glob(pattern))
