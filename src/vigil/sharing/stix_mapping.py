"""The mapping between a Vigil report and STIX 2.1 objects, both ways (values in,
values out; no database). MAPPING.md beside this module documents it for partners.

Out: a ``report`` (the narrative as its description, Vigil's own fields in the Vigil
property extension), the owning agency as an ``identity``, a ``location`` when the
report has coordinates, each person mentioned as an ``identity`` of class individual,
an ``observed-data`` over ``email-addr`` and ``user-account`` SCOs for their contacts,
and ``note`` objects (Vigil's triage, or the partner's own notes for a report that came
from a partner). Every object but the agency identity carries the report's TLP 2.0
marking. Ids are stable: a report keeps one STIX id for life, and the objects derived
from it take name-based UUIDs under it, so exporting twice gives the same objects.

In: ``report_create_fields`` turns a partner's report and the objects it references
back into the fields of ``ReportCreate``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vigil.platform.policy.markings import Tlp
from vigil.sharing.stix_markings import TLP2_IDS, marking_definition

VIGIL_NAMESPACE = uuid.UUID("ce1ba7f8-1587-4074-a539-e7f6b1152272")
VIGIL_IDENTITY_ID = "identity--d9a1e2ab-8c50-4654-a823-00dde66b9b47"
VIGIL_EXTENSION_ID = "extension-definition--" + str(uuid.uuid5(VIGIL_NAMESPACE, "extension:1"))
EXTENSION_CREATED = "2026-11-26T00:00:00.000Z"
# What stix2-validator accepts as an e-mail address (its own pattern).
EMAIL_ADDRESS = re.compile(r"^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$")
# STIX 2.1 section 2.9: the namespace of deterministic cyber-observable ids.
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
KIND_NAMES = {"tip": "Tip", "sar": "Suspicious-activity report", "agency_report": "Agency report"}
MENTION_FIELDS = (
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
LIST_MENTION_FIELDS = ("aliases", "phones", "emails", "handles", "addresses")


def stix_time(moment: datetime) -> str:
    """A STIX timestamp (UTC, milliseconds)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def local_report_id(receipt_number: str) -> str:
    """The STIX id of a report filed here: fixed by its receipt number."""
    return "report--" + str(uuid.uuid5(VIGIL_NAMESPACE, f"report:{receipt_number}"))


def agency_identity_id(agency_name: str) -> str:
    return "identity--" + str(uuid.uuid5(VIGIL_NAMESPACE, f"agency:{agency_name}"))


def _derived_id(report_id: str, object_type: str, name: str) -> str:
    base = uuid.UUID(report_id.split("--", 1)[1])
    return f"{object_type}--{uuid.uuid5(base, name)}"


@dataclass(frozen=True)
class Origin:
    """What a report imported from a partner keeps of its STIX form."""

    stix_id: str
    name: str
    created: str
    modified: str
    published: str
    receipt_number: str | None
    source_identity_id: str | None
    source_name: str
    source_identity_class: str | None
    notes: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ReportValues:
    """A report as the mapping needs it (built from the tables by the exporter)."""

    receipt_number: str
    kind: str
    file_class: str
    narrative: str
    occurred_at: datetime | None
    reported_at: datetime
    created_at: datetime
    updated_at: datetime
    location_text: str | None
    latitude: float | None
    longitude: float | None
    behaviors: tuple[str, ...]
    weapons: tuple[str, ...]
    target_types: tuple[str, ...]
    target_name: str | None
    marking: str
    protected_activity_only: bool
    urgency_level: str
    urgency_score: int
    urgency_rules: tuple[str, ...]
    owner_agency_name: str
    mentions: tuple[dict[str, Any], ...] = ()
    origin: Origin | None = None
    changed_since_import: bool = False

    @property
    def stix_id(self) -> str:
        return self.origin.stix_id if self.origin else local_report_id(self.receipt_number)


def _sdo(kind: str, stix_id: str, **properties: Any) -> dict[str, Any]:
    """A STIX object as JSON, without the properties that have no value."""
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": stix_id,
        **{name: value for name, value in properties.items() if value is not None},
    }


def sco_id(kind: str, contributing: dict[str, Any]) -> str:
    """The deterministic id STIX 2.1 gives a cyber-observable (section 2.9): a UUIDv5 in
    the STIX namespace of the canonical JSON of its id-contributing properties."""
    canonical = json.dumps(contributing, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{kind}--{uuid.uuid5(SCO_NAMESPACE, canonical)}"


def common_objects() -> list[dict[str, Any]]:
    """The objects every bundle Vigil writes references: Vigil itself (the author of
    the extension) and the Vigil property extension's definition."""
    stamps = {"created": EXTENSION_CREATED, "modified": EXTENSION_CREATED}
    return [
        _sdo("identity", VIGIL_IDENTITY_ID, name="Vigil", identity_class="system", **stamps),
        _sdo(
            "extension-definition",
            VIGIL_EXTENSION_ID,
            created_by_ref=VIGIL_IDENTITY_ID,
            name="Vigil report fields",
            description="Fields of a Vigil report and of a person mentioned in it that "
            "STIX 2.1 has no property for: report kind, ISE-SAR behaviors, file class "
            "(28 CFR Part 23), weapons, targets; a person's names, date of birth, "
            "contacts and role in the report.",
            schema="Plain text: see src/vigil/sharing/MAPPING.md in Vigil's source.",
            version="1.0.0",
            extension_types=["property-extension"],
            **stamps,
        ),
    ]


def marking_object(tlp: Tlp) -> dict[str, Any]:
    return marking_definition(tlp)


def _extension(values: dict[str, Any]) -> dict[str, Any]:
    clean = {key: value for key, value in values.items() if value not in (None, [], "")}
    return {VIGIL_EXTENSION_ID: {"extension_type": "property-extension", **clean}}


def _person_name(mention: dict[str, Any]) -> str:
    parts = [mention.get("given_name"), mention.get("middle_name"), mention.get("family_name")]
    name = " ".join(part for part in parts if part)
    if name:
        return name
    if mention.get("aliases"):
        return str(mention["aliases"][0])
    return f"Unnamed person ({mention.get('role', 'subject')})"


def report_objects(values: ReportValues) -> list[dict[str, Any]]:
    """The STIX objects of one report as JSON, report first. Built as plain data for
    speed; tests/sharing check with the stix2 library and stix2-validator that what
    this writes is valid STIX 2.1 for any report Vigil can hold."""
    tlp = Tlp(values.marking)
    marking = [TLP2_IDS[tlp]]
    report_id = values.stix_id
    origin = values.origin
    if origin is not None:
        author_id = origin.source_identity_id or agency_identity_id(values.owner_agency_name)
        author_name = origin.source_name
        author_class = origin.source_identity_class or "organization"
        created, published = origin.created, origin.published
        modified = stix_time(values.updated_at) if values.changed_since_import else origin.modified
        name = origin.name
        receipt = origin.receipt_number
    else:
        author_id = agency_identity_id(values.owner_agency_name)
        author_name, author_class = values.owner_agency_name, "organization"
        created, published = stix_time(values.created_at), stix_time(values.reported_at)
        modified = stix_time(max(values.updated_at, values.created_at))
        name = f"{KIND_NAMES.get(values.kind, 'Report')} {values.receipt_number}"
        receipt = values.receipt_number
    stamps = {"created": created, "modified": modified, "created_by_ref": author_id}
    marked = {**stamps, "object_marking_refs": marking}
    objects: list[dict[str, Any]] = [
        _sdo(
            "identity",
            author_id,
            created=EXTENSION_CREATED,
            modified=EXTENSION_CREATED,
            name=author_name,
            identity_class=author_class,
        )
    ]
    refs: list[str] = []
    if values.latitude is not None and values.longitude is not None:
        location = _sdo(
            "location",
            _derived_id(report_id, "location", "location"),
            latitude=values.latitude,
            longitude=values.longitude,
            description=values.location_text or None,
            **marked,
        )
        objects.append(location)
        refs.append(location["id"])
    scos: dict[str, dict[str, Any]] = {}
    for index, mention in enumerate(values.mentions):
        person = _sdo(
            "identity",
            _derived_id(report_id, "identity", f"mention:{index}"),
            name=_person_name(mention),
            identity_class="individual",
            roles=[mention["role"]],
            description=mention.get("description") or None,
            extensions=_extension({k: mention.get(k) for k in MENTION_FIELDS}),
            **marked,
        )
        objects.append(person)
        refs.append(person["id"])
        for email in mention.get("emails") or ():
            if not EMAIL_ADDRESS.match(email):
                continue  # not an address STIX tools accept: kept in the extension only
            found = sco_id("email-addr", {"value": email})
            scos[found] = _sdo("email-addr", found, value=email, object_marking_refs=marking)
        for handle in mention.get("handles") or ():
            found = sco_id("user-account", {"account_login": handle})
            scos[found] = _sdo(
                "user-account", found, account_login=handle, object_marking_refs=marking
            )
    if scos:
        seen = stix_time(values.occurred_at or values.reported_at)
        observed = _sdo(
            "observed-data",
            _derived_id(report_id, "observed-data", "contacts"),
            first_observed=seen,
            last_observed=seen,
            number_observed=1,
            object_refs=list(scos),
            **marked,
        )
        objects.extend(scos.values())
        objects.append(observed)
        refs.append(observed["id"])
    notes = [
        {"type": "note", "spec_version": "2.1", **note}
        for note in _notes(values, report_id, stamps, marking)
    ]
    refs.extend(note["id"] for note in notes)
    report = _sdo(
        "report",
        report_id,
        name=name,
        description=values.narrative,
        published=published,
        report_types=["threat-report"],
        object_refs=refs or [author_id],
        extensions=_extension(
            {
                "kind": values.kind,
                "file_class": values.file_class,
                "receipt_number": receipt,
                "occurred_at": stix_time(values.occurred_at) if values.occurred_at else None,
                "location_text": values.location_text if values.latitude is None else None,
                "behaviors": list(values.behaviors),
                "weapons": list(values.weapons),
                "target_types": list(values.target_types),
                "target_name": values.target_name,
                "protected_activity_only": values.protected_activity_only or None,
            }
        ),
        **marked,
    )
    return [report, *objects, *notes]


def _notes(
    values: ReportValues, report_id: str, stamps: dict[str, str], marking: list[str]
) -> list[dict[str, Any]]:
    if values.origin is not None:
        return [{**note, "object_refs": [report_id]} for note in values.origin.notes]
    rules = "; ".join(values.urgency_rules) or "none"
    return [
        {
            "id": _derived_id(report_id, "note", "triage"),
            "abstract": f"Vigil triage: {values.urgency_level}",
            "content": f"Urgency {values.urgency_level} (score {values.urgency_score}). "
            f"Rules that fired: {rules}.",
            "authors": ["Vigil triage"],
            "object_refs": [report_id],
            "object_marking_refs": marking,
            **stamps,
        }
    ]


@dataclass
class PartnerReport:
    """A partner's report read from a bundle: the fields for ``ReportCreate`` and what
    the importer keeps beside the report."""

    fields: dict[str, Any]
    origin: Origin
    extra: dict[str, Any] = field(default_factory=dict)


def _vigil_extension(obj: dict[str, Any]) -> dict[str, Any]:
    found = (obj.get("extensions") or {}).get(VIGIL_EXTENSION_ID)
    if not isinstance(found, dict):
        return {}
    return {key: value for key, value in found.items() if key != "extension_type"}


def _mention_fields(person: dict[str, Any]) -> dict[str, Any]:
    extension = _vigil_extension(person)
    if extension:
        mention = {key: extension[key] for key in MENTION_FIELDS if key in extension}
    else:
        # A partner's own individual: its name as given, its first role if Vigil knows it.
        name = str(person.get("name") or "").strip()
        given, _, family = name.rpartition(" ")
        mention = {"given_name": given or None, "family_name": family or None}
        if person.get("description"):
            mention["description"] = person["description"]
    roles = person.get("roles") or []
    if "role" not in mention and roles:
        mention["role"] = roles[0]
    return mention


def _location_text(location: dict[str, Any]) -> str | None:
    parts = [
        location.get(key)
        for key in ("description", "name", "street_address", "city", "region", "country")
    ]
    text = ", ".join(str(part) for part in parts if part)
    return text or None


def read_partner_report(
    report: dict[str, Any],
    by_id: dict[str, dict[str, Any]],
    tlp: Tlp,
    notes: Sequence[dict[str, Any]] = (),
) -> PartnerReport:
    """The fields of a partner's report (already parsed by stix2) and of the objects it
    references. Raises ValueError for what cannot become a Vigil report."""
    extension = _vigil_extension(report)
    narrative = report.get("description") or report.get("name")
    if not narrative:
        raise ValueError("the report has neither a description nor a name")
    fields: dict[str, Any] = {
        "narrative": narrative,
        "marking": tlp.value,
        "mentions": [],
    }
    for key in ("kind", "occurred_at", "behaviors", "weapons", "target_types", "target_name"):
        if key in extension:
            fields[key] = extension[key]
    if extension.get("protected_activity_only"):
        fields["protected_activity_only"] = True
    if "location_text" in extension:
        fields["location_text"] = extension["location_text"]
    for ref in report.get("object_refs") or []:
        obj = by_id.get(ref)
        if obj is None:
            continue
        if obj["type"] == "identity" and obj.get("identity_class") == "individual":
            fields["mentions"].append(_mention_fields(obj))
        elif obj["type"] == "location":
            if obj.get("latitude") is not None and obj.get("longitude") is not None:
                fields["latitude"], fields["longitude"] = obj["latitude"], obj["longitude"]
            fields["location_text"] = _location_text(obj) or fields.get("location_text")
    author = by_id.get(report.get("created_by_ref") or "")
    author_ref = report.get("created_by_ref")
    kept = tuple(_kept_note(note) for note in notes)
    origin = Origin(
        stix_id=report["id"],
        name=str(report.get("name") or "")[:300],
        created=report["created"],
        modified=report["modified"],
        published=report["published"],
        receipt_number=extension.get("receipt_number"),
        source_identity_id=author_ref,
        source_name=str((author or {}).get("name") or author_ref or "unknown source")[:300],
        source_identity_class=(author or {}).get("identity_class"),
        notes=kept,
    )
    return PartnerReport(fields=fields, origin=origin)


NOTE_KEPT = (
    "id",
    "created",
    "modified",
    "created_by_ref",
    "abstract",
    "content",
    "authors",
    "object_marking_refs",
)


def _kept_note(note: dict[str, Any]) -> dict[str, Any]:
    return {key: note[key] for key in NOTE_KEPT if key in note}
