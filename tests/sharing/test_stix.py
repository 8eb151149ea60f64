"""STIX 2.1 export and import through the services on both databases: bundles validate
with stix2 and stix2-validator, export -> import -> export gives the same objects,
markings and source identity are kept, import is idempotent, policy decides what may
leave, and every export is a dissemination record and an audit event."""

from __future__ import annotations

import json

import pytest
import stix2
from sqlalchemy import select
from stix2validator import ValidationOptions, validate_string

from tests.reports.factories import make_report
from tests.sharing.factories import Partners, full_report, make_partners
from vigil.platform.errors import NotFound
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.policy.markings import Tlp
from vigil.reports.models import Report
from vigil.sharing import stix_export, stix_import
from vigil.sharing.models import Dissemination, ImportedReport
from vigil.sharing.stix_markings import TLP2_IDS

REASON = "Joint threat assessment of the stadium threat"


@pytest.fixture()
def staff(db) -> Partners:
    return make_partners(db)


def export(db, staff: Partners, user, report_ids: list[int]) -> str:
    return stix_export.export_reports(
        db,
        actor=staff.actor(user),
        report_ids=report_ids,
        recipient="County fusion center",
        reason=REASON,
    ).bundle


def assert_valid(bundle: str) -> None:
    results = validate_string(bundle, ValidationOptions(strict=False))
    assert results.is_valid, [str(e) for r in results.object_results for e in r.errors]
    parsed = stix2.parse(bundle, allow_custom=False)
    assert parsed.type == "bundle"


def objects_by_id(bundle: str) -> dict[str, dict]:
    return {obj["id"]: obj for obj in json.loads(bundle)["objects"]}


def test_a_report_exports_as_a_valid_bundle_by_the_mapping(db, staff):
    report = full_report(db, staff.home)
    bundle = export(db, staff, staff.analyst, [report.id])
    assert_valid(bundle)
    objects = objects_by_id(bundle)
    types = sorted(obj["type"] for obj in objects.values())
    assert types.count("report") == 1 and types.count("note") == 1
    assert {"location", "observed-data", "email-addr", "user-account"} <= set(types)
    assert "marking-definition" in types and "extension-definition" in types
    (stix_report,) = [o for o in objects.values() if o["type"] == "report"]
    assert stix_report["description"] == report.narrative
    assert stix_report["object_marking_refs"] == [TLP2_IDS[Tlp.GREEN]]
    author = objects[stix_report["created_by_ref"]]
    assert author["name"] == staff.home.name and author["identity_class"] == "organization"
    people = [o for o in objects.values() if o.get("identity_class") == "individual"]
    assert sorted(p["name"] for p in people) == ["Ana Lopez", "Jordan Reyes"]
    marking = objects[TLP2_IDS[Tlp.GREEN]]
    assert marking["name"] == "TLP:GREEN"
    assert (
        marking["extensions"]["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"][
            "tlp_2_0"
        ]
        == "green"
    )
    # Every object but the published definitions and identities carries the marking.
    for obj in objects.values():
        if obj["type"] in ("report", "location", "note", "observed-data", "email-addr"):
            assert obj["object_marking_refs"] == [TLP2_IDS[Tlp.GREEN]]
    # Exporting again gives the same objects (stable ids), in a new bundle.
    again = export(db, staff, staff.analyst, [report.id])
    assert objects_by_id(again) == objects
    assert json.loads(again)["id"] != json.loads(bundle)["id"]


@pytest.mark.parametrize("marking", [t.value for t in Tlp])
def test_export_import_export_round_trips(db, settings, staff, marking):
    report = full_report(db, staff.home, marking=marking, recipients=[staff.analyst])
    first = export(db, staff, staff.analyst, [report.id])
    outcome = stix_import.import_bundle(
        db, actor=staff.actor(staff.partner_analyst), settings=settings, text=first
    )
    assert outcome.count("imported") == 1 and outcome.count("rejected") == 0
    (arrived_id,) = outcome.report_ids
    arrived = db.get(Report, arrived_id)
    assert arrived.owner_agency_id == staff.partner.id and arrived.marking == marking
    assert arrived.narrative == report.narrative and arrived.kind == "sar"
    assert arrived.behaviors == report.behaviors and arrived.weapons == ["rifle"]
    assert (arrived.latitude, arrived.longitude) == (40.7128, -74.006)
    assert arrived.occurred_at == report.occurred_at
    assert [m.full_name for m in arrived.mentions] == ["Jordan Reyes", "Ana Lopez"]
    assert arrived.mentions[0].emails == ["jr@example.org"]
    assert arrived.mentions[0].handles == ["@jr_rifle"] and arrived.mentions[1].role == "witness"
    if marking == "RED":
        assert staff.partner_analyst.id in arrived.named_user_ids
    kept = db.execute(
        select(ImportedReport).where(ImportedReport.report_id == arrived_id)
    ).scalar_one()
    assert kept.source_name == staff.home.name and kept.channel == "file"
    second = export(db, staff, staff.partner_analyst, [arrived_id])
    assert_valid(second)
    assert objects_by_id(second) == objects_by_id(first)


def test_import_is_idempotent_on_the_stix_id(db, settings, staff):
    report = full_report(db, staff.home)
    bundle = export(db, staff, staff.analyst, [report.id])
    partner = staff.actor(staff.partner_analyst)
    first = stix_import.import_bundle(db, actor=partner, settings=settings, text=bundle)
    again = stix_import.import_bundle(db, actor=partner, settings=settings, text=bundle)
    assert first.count("imported") == 1
    assert again.count("imported") == 0 and again.count("unchanged") == 1
    home = stix_import.import_bundle(
        db, actor=staff.actor(staff.analyst), settings=settings, text=bundle
    )
    assert [r.message for r in home.results if r.type == "report"] == [
        "this is your agency's own report"
    ]
    count = db.execute(select(ImportedReport).where(ImportedReport.stix_id.like("report--%")))
    assert len(count.scalars().all()) == 1


def test_only_reports_the_actor_may_export_leave(db, staff):
    own_amber = make_report(db, agency=staff.home, marking="AMBER")
    shared_amber = make_report(db, agency=staff.partner, marking="AMBER", shared_with=[staff.home])
    community = make_report(db, agency=staff.partner, marking="GREEN")
    intelligence = make_report(db, agency=staff.partner, marking="GREEN", file_class="intelligence")
    strict = make_report(db, agency=staff.partner, marking="AMBER+STRICT")
    export(db, staff, staff.analyst, [own_amber.id, community.id])
    for refused in (shared_amber, intelligence, strict):
        with pytest.raises(NotFound):
            export(db, staff, staff.analyst, [own_amber.id, refused.id])
    red = make_report(db, agency=staff.home, marking="RED", recipients=[staff.supervisor])
    with pytest.raises(NotFound):  # not a named recipient
        export(db, staff, staff.analyst, [red.id])
    export(db, staff, staff.supervisor, [red.id])
    with pytest.raises(NotFound):  # an administrator reads no reports
        export(db, staff, staff.admin, [own_amber.id])


def test_every_export_is_a_dissemination_record_and_audited(db, staff):
    one, two = full_report(db, staff.home), make_report(db, agency=staff.home)
    result = stix_export.export_reports(
        db,
        actor=staff.actor(staff.analyst),
        report_ids=[one.id, two.id],
        recipient="State police intelligence unit",
        reason=REASON,
    )
    records = db.execute(select(Dissemination).order_by(Dissemination.id)).scalars().all()
    assert [r.report_id for r in records] == [one.id, two.id]
    assert records[0].recipient_label == "State police intelligence unit"
    assert records[0].reason == REASON and records[0].by_user_id == staff.analyst.id
    assert records[0].channel == "stix_export" and records[0].marking == "GREEN"
    assert result.dissemination_ids == [r.id for r in records]
    events = db.execute(select(AuditEvent).where(AuditEvent.action == "report.export")).scalars()
    details = [e.details for e in events]
    assert [d["dissemination"] for d in details] == result.dissemination_ids
    assert "Reyes" not in json.dumps(details) and REASON not in json.dumps(details)


def test_import_needs_an_analyst_or_supervisor(db, settings, staff):
    bundle = export(db, staff, staff.analyst, [full_report(db, staff.home).id])
    with pytest.raises(PermissionDenied):
        stix_import.import_bundle(
            db, actor=staff.actor(staff.admin), settings=settings, text=bundle
        )
