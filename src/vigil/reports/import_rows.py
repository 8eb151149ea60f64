"""Bulk import's work on each row: raw rows into validated, triaged values ready to
store, in worker processes or in the importer's own. Only plain values cross processes.

Triage is scored here without the earlier-reports count, the one part of it that depends
on the rows before: the importer counts them in file order and `finish_triage` adds
them, giving what `score_urgency` gives with the count.
"""

from __future__ import annotations

import gc
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple, cast

from vigil.platform.policy.markings import Tlp
from vigil.platform.settings import Settings
from vigil.reports import identifiers, search
from vigil.reports.import_formats import RawRow
from vigil.reports.import_mapping import RowRules, ValidRow, plan_columns
from vigil.reports.import_storage import json_text, stored_date, stored_time
from vigil.reports.models import Report
from vigil.reports.schemas import MentionIn
from vigil.reports.triage import IMMINENT, MAX_SCORE, earlier_reports_rule, level_for, score_urgency
from vigil.reports.vocabulary import FileClass, Source

# The settings the row rules read (retention), sent to workers instead of all of them.
RETENTION_SETTINGS = (
    "tip_lead_retention_days",
    "sar_retention_days",
    "intelligence_retention_days",
    "intelligence_review_notice_days",
)
OVERRIDE_RULE = "imminent_override"
# Rows allocate many small objects and create no cycles: the collector's default
# (a young-generation pass every 700 allocations) took a fifth of the import's time.
FEWER_COLLECTIONS = (50_000, 20, 100)
# What json.dumps(..., ensure_ascii=False, separators=(",", ":")) uses, built once.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

# A raw row as it crosses to a worker: number, line, values (a CSV row's cells in
# header order, or a JSON item), problem.
WireRow = tuple[int, int, Any, str | None]


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that was not imported, where it is, and every reason."""

    row: int
    where: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class RowContext:
    """What preparing rows needs, as plain values (sent once to each worker)."""

    file_format: str
    columns: tuple[str, ...]  # a CSV file's header
    now: datetime
    from_user: bool
    user_id: int | None
    agency_id: int
    retention: dict[str, Any]  # RETENTION_SETTINGS
    sqlite: bool


class NarrativeTriage(NamedTuple):
    """`score_urgency` without earlier reports, in pieces `finish_triage` can join."""

    points: int  # the fired rules' points, before the cap
    rules: str  # the fired rules as JSON objects, comma-separated; not the override
    override: str  # the imminent override as a JSON object, or ""


class ReadyRow(NamedTuple):
    """A valid row in its stored form, without what the writing process adds (id,
    receipt number, earlier reports and what depends on them)."""

    report: tuple[Any, ...]  # import_storage.PREPARED_REPORT_COLUMNS
    review_due_at: Any
    purge_due_at: Any
    mentions: list[tuple[Any, ...]]  # import_storage.MENTION_COLUMNS after report_id
    identifiers: list[tuple[str, str]]  # the subjects', sorted
    document: str
    red: bool
    triage: NarrativeTriage


def triage_narrative(
    narrative: str, behaviors: list[str], target_types: list[str], weapons: list[str]
) -> NarrativeTriage:
    fired = list(
        score_urgency(
            narrative, behaviors=behaviors, target_types=target_types, weapons=weapons
        ).rules
    )
    override = ""
    if fired and fired[-1].rule == OVERRIDE_RULE:
        override = _ENCODER.encode(fired.pop().as_dict())
    # One call for the list (the encoder's cost is mostly per call), without its [ ].
    rules = _ENCODER.encode([rule.as_dict() for rule in fired])[1:-1] if fired else ""
    return NarrativeTriage(sum(rule.points for rule in fired), rules, override)


@lru_cache(maxsize=128)
def _earlier_rule(earlier_reports: int) -> tuple[int, str]:
    rule = earlier_reports_rule(earlier_reports)
    return (0, "") if rule is None else (rule.points, _ENCODER.encode(rule.as_dict()))


def finish_triage(triage: NarrativeTriage, earlier_reports: int) -> tuple[int, str, str]:
    """(score, level, rules as JSON) as `score_urgency` gives them with ``earlier_reports``:
    its rule follows the narrative's and precedes the override, which sets the level."""
    points, earlier = _earlier_rule(earlier_reports)
    score = min(MAX_SCORE, triage.points + points)
    level = IMMINENT if triage.override else level_for(score)
    rules = ",".join(part for part in (triage.rules, earlier, triage.override) if part)
    return score, level, f"[{rules}]"


class RowPreparer:
    """Checks and prepares batches of rows (one per process)."""

    def __init__(self, context: RowContext) -> None:
        self.context = context
        self.rules = RowRules(
            settings=Settings.model_construct(**context.retention),
            now=context.now,
            from_user=context.from_user,
            file_format=context.file_format,
        )
        if context.file_format == "csv":
            self.rules.plan = plan_columns(list(context.columns))
        # Many rows share a time (received at the import, deadlines counted from it).
        self._times: dict[datetime | None, Any] = {}

    def prepare(self, raws: list[RawRow], store: bool) -> list[ReadyRow | Rejection | None]:
        """Each row's outcome: a rejection, or the row ready to store (None when nothing
        is stored any more: an all-or-nothing file with a rejected row)."""
        outcomes: list[ReadyRow | Rejection | None] = []
        self._times.clear()
        for raw, checked in zip(raws, self.rules.check_many(raws), strict=True):
            if isinstance(checked, ValidRow):
                outcomes.append(self._ready(checked) if store else None)
            else:
                outcomes.append(Rejection(raw.number, self.rules.where(raw), tuple(checked)))
        return outcomes

    def _ready(self, row: ValidRow) -> ReadyRow:
        data, context = row.data, self.context
        sqlite = context.sqlite
        behaviors = [behavior.value for behavior in data.behaviors]
        target_types = [target.value for target in data.target_types]
        report = (
            data.kind.value,
            FileClass.TIP_LEAD.value,
            Source.IMPORT.value,
            data.narrative,
            self._time(data.occurred_at),
            self._time(row.reported_at),
            data.location_text,
            data.latitude,
            data.longitude,
            json_text(behaviors),
            json_text(data.weapons),
            json_text(target_types),
            data.target_name,
            data.marking.value,
            context.agency_id,
            context.agency_id,
            context.user_id,
            int(data.protected_activity_only) if sqlite else data.protected_activity_only,
        )
        return ReadyRow(
            report,
            self._time(row.review_due_at),
            self._time(row.purge_due_at),
            [self._mention(mention) for mention in data.mentions],
            sorted(identifiers.of_subjects(data.mentions)),
            # ReportCreate has every attribute the search document reads.
            search.document_for(cast(Report, data)),
            data.marking is Tlp.RED,
            triage_narrative(data.narrative, behaviors, target_types, data.weapons),
        )

    def _time(self, value: datetime | None) -> Any:
        if not self.context.sqlite:
            return value
        if value not in self._times:
            self._times[value] = stored_time(value, sqlite=True)
        return self._times[value]

    def _mention(self, mention: MentionIn) -> tuple[Any, ...]:
        return (
            mention.role.value,
            mention.given_name,
            mention.middle_name,
            mention.family_name,
            json_text(mention.aliases),
            stored_date(mention.date_of_birth, sqlite=self.context.sqlite),
            mention.age_min,
            mention.age_max,
            mention.sex.value if mention.sex else None,
            json_text(mention.phones),
            json_text(mention.emails),
            json_text(mention.handles),
            json_text(mention.addresses),
            mention.school_or_employer,
            mention.description,
        )


# --- in a worker process -------------------------------------------------------------

_WORKER: dict[str, RowPreparer] = {}


def start_worker(context: RowContext) -> None:
    """A worker process's initializer."""
    _WORKER["preparer"] = RowPreparer(context)
    # What is loaded now lives as long as the process: never scanned for cycles again.
    gc.freeze()
    gc.set_threshold(*FEWER_COLLECTIONS)


def to_wire(raws: list[RawRow], csv: bool) -> list[WireRow]:
    return [
        (raw.number, raw.line, list(raw.values.values()) if csv and raw.values else raw.values,
         raw.problem)
        for raw in raws
    ]  # fmt: skip


def prepare_in_worker(rows: list[WireRow], store: bool) -> list[ReadyRow | Rejection | None]:
    preparer = _WORKER["preparer"]
    columns = preparer.context.columns
    raws = [
        RawRow(number, line, dict(zip(columns, values, strict=True)), problem)
        if columns and values is not None
        else RawRow(number, line, values, problem)
        for number, line, values, problem in rows
    ]
    return preparer.prepare(raws, store)
