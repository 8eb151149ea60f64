"""Importing partners' STIX 2.1 bundles into reports: the partner's marking and source
identity kept, idempotent on the STIX id per receiving agency, every object checked on
its own so one bad object is a clear error and nothing else changes.

Hostile input is expected: a bundle too large, nested too deeply, of the wrong types,
with markings Vigil cannot enforce, with markup or scripts in its strings (stored as
text and always escaped when shown) or with external references (never fetched:
nothing here opens a network connection).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import stix2  # type: ignore[import-untyped]
import stix2.exceptions  # type: ignore[import-untyped]
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.platform.policy.markings import Tlp
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import search
from vigil.reports.models import Mention, Report
from vigil.reports.schemas import MentionIn, ReportCreate
from vigil.reports.service import Filing, file_report
from vigil.reports.vocabulary import Source
from vigil.sharing.models import ImportedReport
from vigil.sharing.stix_mapping import (
    PartnerReport,
    local_report_id,
    read_partner_report,
)
from vigil.sharing.stix_markings import tlp_of

MAX_BUNDLE_BYTES = 32 * 1024 * 1024
MAX_OBJECTS = 50_000
MAX_OBJECT_BYTES = 256 * 1024
MAX_DEPTH = 10
TLP_ORDER = [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED]
# Objects that are part of a report without becoming anything of their own.
SUPPORTING_TYPES = frozenset(
    {"marking-definition", "extension-definition", "identity", "note", "observed-data"}
)
CHANNELS = frozenset({"file", "api", "taxii"})
MENTION_COLUMNS = (
    "role",
    "given_name",
    "middle_name",
    "family_name",
    "aliases",
    "date_of_birth",
    "age_min",
    "age_max",
    "sex",
    "phones",
    "emails",
    "handles",
    "addresses",
    "school_or_employer",
    "description",
)


class BundleRefused(InvalidInput):
    """The bundle as a whole cannot be read (too large, not JSON, not a bundle)."""

    def __init__(self, message: str) -> None:
        super().__init__({"bundle": message})


@dataclass(frozen=True)
class ObjectResult:
    """What became of one object: imported, unchanged, rejected or ignored."""

    index: int
    stix_id: str | None
    type: str | None
    status: str
    message: str = ""
    report_id: int | None = None


@dataclass
class ImportOutcome:
    results: list[ObjectResult] = field(default_factory=list)
    objects: int = 0

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def report_ids(self) -> list[int]:
        return [r.report_id for r in self.results if r.status == "imported" and r.report_id]


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def read_objects(text: str | bytes) -> list[Any]:
    """The raw objects of a bundle (or of a TAXII envelope). Raises BundleRefused."""
    if len(text) > MAX_BUNDLE_BYTES:
        raise BundleRefused(f"The bundle is larger than {MAX_BUNDLE_BYTES // 2**20} MiB.")
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise BundleRefused("The bundle is nested too deeply to read.") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise BundleRefused(f"The bundle is not JSON: {str(error)[:200]}") from None
    if not isinstance(document, dict):
        raise BundleRefused("The bundle must be a JSON object of type 'bundle'.")
    if document.get("type") != "bundle" and set(document) - {"objects", "more", "next"}:
        raise BundleRefused("The bundle must be a JSON object of type 'bundle'.")
    objects = document.get("objects", [])
    if not isinstance(objects, list):
        raise BundleRefused("The bundle's 'objects' must be a list.")
    if len(objects) > MAX_OBJECTS:
        raise BundleRefused(f"The bundle has more than {MAX_OBJECTS:,} objects.")
    return objects


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return deepest


def check_object(raw: Any) -> dict[str, Any]:
    """The object as plain JSON once the stix2 library accepts it. Raises ValueError."""
    if not isinstance(raw, dict):
        raise ValueError("not a JSON object")
    kind, stix_id = raw.get("type"), raw.get("id")
    if not isinstance(kind, str) or not isinstance(stix_id, str):
        raise ValueError("'type' and 'id' must be strings")
    if not stix_id.startswith(f"{kind}--") or len(stix_id) > 80:
        raise ValueError("the id does not name an object of its type")
    if _depth(raw) > MAX_DEPTH:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
    if len(json.dumps(raw, ensure_ascii=False)) > MAX_OBJECT_BYTES:
        raise ValueError(f"larger than {MAX_OBJECT_BYTES // 1024} KiB")
    if raw.get("spec_version", "2.1") != "2.1":
        raise ValueError("only STIX 2.1 objects are read")
    try:
        parsed = stix2.parse(raw, allow_custom=True, version="2.1")
    except (stix2.exceptions.STIXError, ValueError, TypeError, KeyError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(f"not valid STIX 2.1: {first[:300]}") from None
    del parsed  # valid: keep the partner's own text (timestamps exactly as written)
    return raw


def _short_errors(error: ValidationError) -> str:
    parts = []
    for problem in error.errors()[:3]:
        where = ".".join(str(part) for part in problem.get("loc", ())) or "report"
        parts.append(f"{where}: {problem.get('msg', 'invalid')}")
    return "; ".join(parts)


def _strictest(levels: list[Tlp]) -> Tlp:
    return max(levels, key=TLP_ORDER.index)


def _report_marking(report: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> Tlp:
    if report.get("granular_markings"):
        raise ValueError("granular markings are not supported: mark the whole report")
    tlp = tlp_of(list(report.get("object_marking_refs") or []))
    for ref in report.get("object_refs") or []:
        part = by_id.get(ref)
        if part is None or not part.get("object_marking_refs"):
            continue
        level = tlp_of(list(part["object_marking_refs"]))
        if _strictest([tlp, level]) is not tlp:
            raise ValueError(
                f"{ref[:80]} is marked TLP:{level.value}, stricter than the report: "
                "mark the report at least as strictly as its parts"
            )
    return tlp


@dataclass
class _Batch:
    actor: Actor
    settings: Settings
    channel: str
    outcome: ImportOutcome = field(default_factory=ImportOutcome)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    index_of: dict[str, int] = field(default_factory=dict)
    rejected: set[str] = field(default_factory=set)
    notes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by report id


def _validated(batch: _Batch, objects: list[Any]) -> None:
    for index, raw in enumerate(objects):
        stix_id = raw.get("id") if isinstance(raw, dict) else None
        kind = raw.get("type") if isinstance(raw, dict) else None
        stix_id = stix_id if isinstance(stix_id, str) else None
        kind = kind if isinstance(kind, str) else None
        try:
            obj = check_object(raw)
            if obj["id"] in batch.by_id:
                raise ValueError("the id appears twice in the bundle")
        except ValueError as error:
            batch.outcome.results.append(
                ObjectResult(
                    index, stix_id and stix_id[:80], kind and kind[:40], "rejected", str(error)
                )
            )
            if stix_id:
                batch.rejected.add(stix_id)
            continue
        batch.by_id[obj["id"]] = obj
        batch.index_of[obj["id"]] = index


def _existing(db: Session, actor: Actor, stix_id: str, partner: PartnerReport) -> str | None:
    """Why the report is already here, or None."""
    found = db.execute(
        select(ImportedReport.report_id).where(
            ImportedReport.stix_id == stix_id, ImportedReport.holder_agency_id == actor.agency_id
        )
    ).scalar_one_or_none()
    if found is not None:
        return "already imported"
    receipt = partner.origin.receipt_number
    if receipt and local_report_id(receipt) == stix_id:
        own = db.execute(
            select(Report.id).where(
                Report.receipt_number == receipt, Report.owner_agency_id == actor.agency_id
            )
        ).scalar_one_or_none()
        if own is not None:
            return "this is your agency's own report"
    return None


def _import_report(db: Session, batch: _Batch, report: dict[str, Any]) -> ObjectResult:
    index, stix_id = batch.index_of[report["id"]], report["id"]

    def result(status: str, message: str = "", report_id: int | None = None) -> ObjectResult:
        return ObjectResult(index, stix_id, "report", status, message, report_id)

    broken = [ref for ref in report.get("object_refs") or [] if ref in batch.rejected]
    if broken:
        return result("rejected", f"it refers to a rejected object ({broken[0][:80]})")
    try:
        tlp = _report_marking(report, batch.by_id)
        partner = read_partner_report(report, batch.by_id, tlp, batch.notes.get(stix_id, []))
        for note in partner.origin.notes:
            if note.get("object_marking_refs"):
                tlp_of(list(note["object_marking_refs"]))
    except ValueError as error:
        return result("rejected", str(error))
    if (update := _newer_version(db, batch.actor, stix_id, partner)) is not None:
        return _update_copy(db, batch, update, partner, index)
    if (why := _existing(db, batch.actor, stix_id, partner)) is not None:
        return result("unchanged", why)
    try:
        data = ReportCreate.model_validate(partner.fields)
    except ValidationError as error:
        return result("rejected", _short_errors(error))
    _, own_agency_id = batch.actor.member_ids()
    try:
        with db.begin_nested():
            stored, _ = file_report(
                db,
                actor=batch.actor,
                settings=batch.settings,
                data=data,
                filing=Filing(
                    source=Source.FEDERATION if batch.channel == "taxii" else Source.IMPORT,
                    owner_agency_id=own_agency_id,
                    routed_agency_id=own_agency_id,
                    created_by_user_id=batch.actor.user_id,
                ),
            )
            origin = partner.origin
            db.add(
                ImportedReport(
                    report_id=stored.id,
                    stix_id=stix_id,
                    holder_agency_id=own_agency_id,
                    name=origin.name,
                    receipt_number=origin.receipt_number,
                    stix_created=origin.created,
                    stix_modified=origin.modified,
                    stix_published=origin.published,
                    source_identity_id=origin.source_identity_id,
                    source_name=origin.source_name,
                    source_identity_class=origin.source_identity_class,
                    channel=batch.channel,
                    imported_by_user_id=batch.actor.user_id,
                    imported_at=stored.updated_at,
                    notes=list(origin.notes),
                )
            )
            db.flush()
    except IntegrityError:
        # Another import of the same STIX id won the race: that one stands.
        return result("unchanged", "already imported")
    # file_report audits the new report (report.create, its source import or
    # federation); the bundle's audit event below counts what each import did.
    return result("imported", report_id=stored.id)


def _moment(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _newer_version(
    db: Session, actor: Actor, stix_id: str, partner: PartnerReport
) -> ImportedReport | None:
    """The copy the agency holds of this report if ``partner`` is a later version of it
    from the same source (a correction, 28 CFR 23.20(h)); else None."""
    row = db.execute(
        select(ImportedReport).where(
            ImportedReport.stix_id == stix_id, ImportedReport.holder_agency_id == actor.agency_id
        )
    ).scalar_one_or_none()
    if row is None or row.source_identity_id != partner.origin.source_identity_id:
        return None
    held, given = _moment(row.stix_modified), _moment(partner.origin.modified)
    if held is None or given is None or given <= held:
        return None
    return row


# What a partner's correction changes in the copy: the report's own fields and its
# mentions. Its class, vetting and everything the holder added stay the holder's.
UPDATED_FIELDS = (
    "narrative",
    "occurred_at",
    "location_text",
    "latitude",
    "longitude",
    "weapons",
    "target_name",
    "protected_activity_only",
)
CORRECTABLE_MARKINGS = frozenset({Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER})


def _update_copy(
    db: Session, batch: _Batch, row: ImportedReport, partner: PartnerReport, index: int
) -> ObjectResult:
    """Apply a partner's later version of a report to the copy the agency holds."""

    def result(status: str, message: str = "", report_id: int | None = None) -> ObjectResult:
        return ObjectResult(index, row.stix_id, "report", status, message, report_id)

    report = db.get(Report, row.report_id)
    if report is None or not policy.decide(batch.actor, "update", "stix_import", report):
        return result("unchanged", "already imported")
    try:
        data = ReportCreate.model_validate(partner.fields)
    except ValidationError as error:
        return result("rejected", _short_errors(error))
    if data.marking not in CORRECTABLE_MARKINGS and data.marking.value != report.marking:
        return result(
            "rejected", f"a correction cannot make a copy TLP:{data.marking.value}; ask the partner"
        )
    now = utcnow()
    with db.begin_nested():
        for name in UPDATED_FIELDS:
            setattr(report, name, getattr(data, name))
        report.behaviors = [b.value for b in data.behaviors]
        report.target_types = [t.value for t in data.target_types]
        report.marking = data.marking.value
        mentions = [mention_from(m) for m in data.mentions]
        if [_mention_values(m) for m in report.mentions] != [_mention_values(m) for m in mentions]:
            report.mentions.clear()
            db.flush()
            report.mentions.extend(mentions)
        report.updated_at = now
        origin = partner.origin
        row.stix_modified, row.name, row.notes = origin.modified, origin.name, list(origin.notes)
        row.imported_at = now
        db.flush()
        search.index_report(db, report)
    audit.record(
        db,
        actor=batch.actor,
        action="report.partner_correction",
        object_type="report",
        object_id=report.id,
        agency_id=report.owner_agency_id,
        details={"channel": batch.channel, "receipt_number": report.receipt_number},
    )
    return result("updated", "a later version from the partner", report_id=report.id)


def mention_from(given: MentionIn) -> Mention:
    """A mention row from validated input (as the report service files one)."""
    values = given.model_dump(mode="python")
    values["role"] = given.role.value
    values["sex"] = given.sex.value if given.sex else None
    return Mention(**values)


def _mention_values(mention: Mention) -> tuple[Any, ...]:
    return tuple(getattr(mention, name) for name in MENTION_COLUMNS)


def _parts(report: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> Iterator[str]:
    """Ids of objects that belong to a report: its refs, their refs, its notes, author."""
    for ref in report.get("object_refs") or []:
        yield ref
        yield from (by_id.get(ref) or {}).get("object_refs") or []
    if report.get("created_by_ref"):
        yield report["created_by_ref"]


def import_bundle(
    db: Session, *, actor: Actor, settings: Settings, text: str | bytes, channel: str = "file"
) -> ImportOutcome:
    """Import every report of a bundle into the actor's agency."""
    policy.authorize(actor, "import", "stix_import")
    policy.authorize(actor, "import", "report")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel}")
    objects = read_objects(text)
    batch = _Batch(actor=actor, settings=settings, channel=channel)
    batch.outcome.objects = len(objects)
    _validated(batch, objects)
    for obj in batch.by_id.values():
        if obj["type"] == "note":
            for ref in obj.get("object_refs") or []:
                batch.notes.setdefault(ref, []).append(obj)
    used: set[str] = set()
    for obj in list(batch.by_id.values()):
        if obj["type"] != "report":
            continue
        outcome = _import_report(db, batch, obj)
        batch.outcome.results.append(outcome)
        if outcome.status != "rejected":
            used.update(_parts(obj, batch.by_id))
    for stix_id, obj in batch.by_id.items():
        kind = obj["type"]
        if kind == "report" or stix_id in used or kind in SUPPORTING_TYPES:
            continue
        batch.outcome.results.append(
            ObjectResult(
                batch.index_of[stix_id], stix_id, kind, "ignored", "not part of any report"
            )
        )
    batch.outcome.results.sort(key=lambda r: r.index)
    audit.record(
        db,
        actor=actor,
        action="stix.import",
        object_type="stix_bundle",
        agency_id=actor.agency_id,
        details={
            "channel": channel,
            "objects": batch.outcome.objects,
            "imported": batch.outcome.count("imported"),
            "unchanged": batch.outcome.count("unchanged"),
            "updated": batch.outcome.count("updated"),
            "rejected": batch.outcome.count("rejected"),
        },
        at=utcnow(),
    )
    return batch.outcome
