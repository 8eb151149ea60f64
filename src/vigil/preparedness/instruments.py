"""Vulnerability-assessment instruments as versioned data files: their schema, loading a
file with the line of every problem, and keeping each version stored once, unchanged.

An instrument is a YAML (or JSON) file: sections of questions answered on named scales,
and for each answer that leaves a gap, the finding it produces and the options for
consideration, each with a cost range and the share of vulnerability it leaves. Text is
in English and Spanish. A version, once stored, is never rewritten: an edited file must
carry a new version number, so past assessments keep the definition they were made with.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import yaml  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform.schemas import storable_text
from vigil.platform.types import utcnow
from vigil.preparedness.assessment_models import SiteInstrument
from vigil.preparedness.vocabulary import SITE_KINDS

BUILTIN_FILES = ("k12_school.yaml", "worship_and_venues.yaml")
LANGUAGES = ("en", "es")
MAX_FILE_BYTES = 512 * 1024
MAX_COST = 1e9

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


def _float(value: Any) -> Any:
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return storable_text(value) if isinstance(value, str) else value


class Text(_Strict):
    """The same text in each language the interface offers."""

    en: Annotated[str, Field(min_length=1, max_length=2000)]
    es: Annotated[str, Field(min_length=1, max_length=2000)]

    def in_language(self, language: str) -> str:
        return self.es if language == "es" else self.en


class ScaleOption(_Strict):
    value: Key
    label: Text
    # Share of the question's weight earned (1 = fully in place); None: not applicable,
    # left out of the score.
    points: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None


class Option(_Strict):
    """An option for consideration: what it costs and the share of vulnerability it leaves."""

    key: Key
    text: Text
    cost: Annotated[list[Annotated[float, Field(ge=0, le=MAX_COST)]], Field(min_length=2)]
    vulnerability_factor: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]

    @field_validator("cost", mode="before")
    @classmethod
    def _whole_numbers(cls, value: Any) -> Any:
        # Strict mode refuses 5000 for a float; an integer amount is what people write.
        if isinstance(value, list):
            return [
                float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value
            ]
        return value

    @field_validator("cost", mode="after")
    @classmethod
    def _range(cls, value: list[float]) -> list[float]:
        if len(value) != 2 or value[0] > value[1]:
            raise ValueError("cost is [lowest, highest], lowest first")
        return value

    @property
    def cost_midpoint(self) -> float:
        return (self.cost[0] + self.cost[1]) / 2


class Finding(_Strict):
    finding: Text
    options: Annotated[list[Option], Field(max_length=10)] = []


class Question(_Strict):
    key: Key
    text: Text
    help: Text | None = None
    scale: Key
    weight: Annotated[int, Field(ge=1, le=10)] = 1
    # Answer value -> the finding it produces (answers without one leave no gap).
    findings: dict[Key, Finding] = {}


class Section(_Strict):
    key: Key
    title: Text
    questions: Annotated[list[Question], Field(min_length=1, max_length=100)]


class InstrumentDefinition(_Strict):
    key: Key
    version: Annotated[int, Field(ge=1, le=100_000)]
    title: Text
    description: Text
    source: Text
    site_kinds: Annotated[list[str], Field(min_length=1)]
    # The vulnerability left when every question is fully in place (an assessment never
    # proves a site invulnerable).
    vulnerability_floor: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]
    scales: Annotated[dict[Key, list[ScaleOption]], Field(min_length=1, max_length=20)]
    sections: Annotated[list[Section], Field(min_length=1, max_length=40)]

    @field_validator("vulnerability_floor", mode="before")
    @classmethod
    def _float(cls, value: Any) -> Any:
        return _float(value)

    def questions(self) -> dict[str, Question]:
        return {q.key: q for s in self.sections for q in s.questions}

    def section_of(self) -> dict[str, str]:
        return {q.key: s.key for s in self.sections for q in s.questions}

    def option(self, scale: str, value: str) -> ScaleOption | None:
        return next((o for o in self.scales[scale] if o.value == value), None)


Where = tuple[str | int, ...]


def reference_problems(definition: InstrumentDefinition) -> list[tuple[Where, str]]:
    """What the schema alone cannot check: names that must match, each with where it is."""
    problems: list[tuple[Where, str]] = []
    for n, kind in enumerate(definition.site_kinds):
        if kind not in SITE_KINDS:
            problems.append(
                (("site_kinds", n), f"site kind {kind!r} is not one of {', '.join(SITE_KINDS)}")
            )
    for name, options in definition.scales.items():
        values = [o.value for o in options]
        if len(options) < 2 or len(set(values)) != len(values):
            problems.append((("scales", name), f"scale {name!r} needs two or more distinct values"))
        if not any(o.points is not None for o in options):
            problems.append((("scales", name), f"scale {name!r} needs an answer that scores"))
    seen_sections: set[str] = set()
    seen: set[str] = set()
    for i, section in enumerate(definition.sections):
        if section.key in seen_sections:
            problems.append((("sections", i, "key"), f"section key {section.key!r} is used twice"))
        seen_sections.add(section.key)
        for j, question in enumerate(section.questions):
            where: Where = ("sections", i, "questions", j)
            if question.key in seen:
                problems.append(((*where, "key"), f"question key {question.key!r} is used twice"))
            seen.add(question.key)
            if question.scale not in definition.scales:
                problems.append(
                    ((*where, "scale"), f"question {question.key!r} uses an unknown scale")
                )
                continue
            allowed = {o.value for o in definition.scales[question.scale]}
            for answer in question.findings:
                if answer not in allowed:
                    problems.append(
                        (
                            (*where, "findings", answer, "[key]"),
                            f"question {question.key!r} has a finding for {answer!r}, "
                            f"which its scale {question.scale!r} does not offer",
                        )
                    )
    return problems


class InstrumentFileError(ValueError):
    """A file that is not a valid instrument: where (file and line) and why."""

    def __init__(self, file: str, line: int | None, reason: str) -> None:
        where = f"{file}, line {line}" if line else file
        super().__init__(f"{where}: {reason}")
        self.file = file
        self.line = line
        self.reason = reason


def _lines(node: yaml.Node, path: tuple[str | int, ...], found: dict[Any, int], file: str) -> None:
    """Record the (1-based) line where each path of the document starts; refuse a key
    given twice (YAML would silently keep the last)."""
    found[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in keys:
                raise InstrumentFileError(
                    file, key_node.start_mark.line + 1, f"{key!r} is given twice"
                )
            keys.add(key)
            found[(*path, key, "[key]")] = key_node.start_mark.line + 1
            _lines(value_node, (*path, key), found, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, index), found, file)


def _line_of(location: tuple[Any, ...], lines: dict[Any, int]) -> int | None:
    for end in range(len(location), -1, -1):
        if location[:end] in lines:
            return lines[location[:end]]
    return None


def parse_instrument(text: str, file: str) -> InstrumentDefinition:
    """Validate an instrument file's text; InstrumentFileError names the first problem's
    line and every problem's reason."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise InstrumentFileError(file, None, f"larger than {MAX_FILE_BYTES // 1024} KB")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = " ".join(str(part) for part in (error.context, error.problem) if part)
        raise InstrumentFileError(file, mark.line + 1 if mark else None, reason) from None
    except yaml.YAMLError as error:
        raise InstrumentFileError(file, None, str(error)) from None
    if node is None or not isinstance(data, dict):
        raise InstrumentFileError(file, 1, "an instrument is a mapping (key: value lines)")
    lines: dict[Any, int] = {}
    _lines(node, (), lines, file)
    _check_numbers(data, (), lines, file)
    try:
        definition = InstrumentDefinition.model_validate(data)
    except ValidationError as error:
        found = [(tuple(p["loc"]), p["msg"].removeprefix("Value error, ")) for p in error.errors()]
        _refuse(file, found, lines)
    _refuse(file, reference_problems(definition), lines)
    return definition


def _refuse(file: str, problems: list[tuple[Any, str]], lines: dict[Any, int]) -> None:
    """Raise for the first problem's line, naming up to five problems, if there are any."""
    if not problems:
        return
    reasons = []
    for location, message in problems[:5]:
        where = ".".join(str(part) for part in location if part != "[key]") or "instrument"
        reasons.append(f"{where}: {message}")
    raise InstrumentFileError(file, _line_of(problems[0][0], lines), "; ".join(reasons))


def _check_numbers(data: Any, path: tuple[Any, ...], lines: dict[Any, int], file: str) -> None:
    """YAML reads .nan and .inf as numbers; an instrument never means them."""
    if isinstance(data, float) and not math.isfinite(data):
        raise InstrumentFileError(file, lines.get(path), "numbers must be finite")
    if isinstance(data, dict):
        for key, value in data.items():
            _check_numbers(value, (*path, str(key)), lines, file)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _check_numbers(value, (*path, index), lines, file)


def load_instrument_file(path: Path) -> tuple[InstrumentDefinition, str]:
    """An instrument file's definition and the SHA-256 of its bytes."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InstrumentFileError(str(path), None, error.strerror or "cannot be read") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InstrumentFileError(str(path), line, "not UTF-8 text") from None
    return parse_instrument(text, path.name), hashlib.sha256(raw).hexdigest()


def builtin_paths() -> list[Path]:
    folder = resources.files("vigil.preparedness") / "instruments"
    return [Path(str(folder / name)) for name in BUILTIN_FILES]


@dataclass(frozen=True)
class SyncResult:
    added: list[str]
    unchanged: list[str]


def sync_instruments(db: Session, paths: list[Path] | None = None) -> SyncResult:
    """Store each instrument version not stored yet. A stored version whose file has
    changed is refused (the edit needs a new version number); nothing is rewritten."""
    added, unchanged = [], []
    stored = {
        (row.key, row.version): row.content_sha256
        for row in db.execute(select(SiteInstrument)).scalars()
    }
    for path in builtin_paths() if paths is None else paths:
        definition, digest = load_instrument_file(path)
        name = f"{definition.key} v{definition.version}"
        have = stored.get((definition.key, definition.version))
        if have == digest:
            unchanged.append(name)
            continue
        if have is not None:
            raise InstrumentFileError(
                path.name,
                2,
                f"{name} is already in use with other content; give the edited "
                "instrument a new version number",
            )
        db.add(
            SiteInstrument(
                key=definition.key,
                version=definition.version,
                title=definition.title.en[:200],
                content_sha256=digest,
                definition=definition.model_dump(mode="json"),
                loaded_at=utcnow(),
            )
        )
        stored[(definition.key, definition.version)] = digest
        added.append(name)
    db.flush()
    return SyncResult(added, unchanged)


def definition_of(instrument: SiteInstrument) -> InstrumentDefinition:
    return InstrumentDefinition.model_validate(instrument.definition)
