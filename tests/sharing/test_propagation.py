"""Purges and corrections of shared reports on one instance (SQLite and PostgreSQL):
recipients notified without content, external recipients counted for the sender, the
group's TAXII collection serving a revoked report (valid STIX 2.1) and the corrected
version in date-added order, paging across them, and a copy updated by a partner's
later version. Between two instances: test_federation.py."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
import stix2
from sqlalchemy import select
from stix2validator import ValidationOptions, validate_string

from tests.factories import actor_for
from tests.sharing.factories import Partners, full_report, make_partners
from vigil.platform.errors import InvalidInput
from vigil.platform.models import Notification
from vigil.platform.policy import PermissionDenied
from vigil.platform.types import utcnow
from vigil.reports import file_classes, retention
from vigil.reports.jobs import SCHEDULER_ACTOR
from vigil.reports.models import Report
from vigil.sharing import groups, propagation, stix_export, stix_import, taxii_feed
from vigil.sharing.stix_mapping import local_report_id

REASON = "Partners in the county need to know"


@pytest.fixture()
def staff(db) -> Partners:
    return make_partners(db)


def _shared(db, staff: Partners):
    actor = actor_for(staff.supervisor)
    group = groups.create_group(db, actor=actor, name="County", agency_ids=[staff.partner.id])
    kept = full_report(db, staff.home, marking="GREEN")
    purged = full_report(db, staff.home, marking="AMBER")
    for report in (kept, purged):
        groups.share_report(db, actor=actor, group_id=group.id, report_id=report.id, reason=REASON)
    stix_export.export_reports(
        db,
        actor=actor_for(staff.analyst),
        report_ids=[purged.id],
        recipient="A partner outside Vigil",
        reason=REASON,
    )
    return group, kept, purged


def _walk(db, group, limit: int) -> list[dict]:
    objects, cursor = [], None
    while True:
        page = taxii_feed.read_page(
            db, group, filters=taxii_feed.Filters(), limit=limit, cursor=cursor
        )
        objects.extend(page.objects)
        if not page.more:
            return objects
        cursor = taxii_feed.parse_cursor(page.next)


def test_a_purge_is_told_to_recipients_and_served_revoked(db, staff, settings) -> None:
    group, kept, purged = _shared(db, staff)
    purged_id, receipt = local_report_id(purged.receipt_number), purged.receipt_number
    purged.purge_due_at = utcnow() - timedelta(days=1)
    db.flush()
    assert retention.run_retention(db, actor=SCHEDULER_ACTOR, settings=settings).purged == 1

    notices = db.execute(
        select(Notification.user_id, Notification.kind, Notification.subject)
    ).all()
    told = {(user, kind) for user, kind, _ in notices}
    assert (staff.partner_analyst.id, "shared_report_purged") in told
    assert (staff.analyst.id, "exported_report_purged") in told  # tell the outside recipient
    assert all(receipt in subject and "rifle" not in subject for _, _, subject in notices)
    assert not any(user == staff.other_analyst.id for user, _ in told)

    objects = _walk(db, group, limit=100)
    (revoked,) = [o for o in objects if o["id"] == purged_id]
    assert revoked["revoked"] is True and "description" not in revoked
    assert revoked["object_marking_refs"] == [
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
    ]
    bundle = json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [revoked]})
    assert validate_string(bundle, ValidationOptions(strict=False)).is_valid
    assert stix2.parse(revoked, allow_custom=False).revoked is True
    # Paging one object at a time walks the shares and the event alike.
    assert _walk(db, group, limit=1) == objects
    with pytest.raises(InvalidInput):
        taxii_feed.read_page(
            db,
            group,
            filters=taxii_feed.Filters(),
            limit=1,
            cursor=taxii_feed.parse_cursor("e999999.0"),
        )
    assert kept.id in {r.id for r in db.execute(select(Report)).scalars()}


def test_a_correction_serves_the_new_version_after_the_old(db, staff, settings) -> None:
    group, kept, _ = _shared(db, staff)
    file_classes.promote_to_intelligence(
        db,
        actor=actor_for(staff.supervisor),
        settings=settings,
        report_id=kept.id,
        predicate="Reasonable suspicion of a planned shooting at the game",
        justification="Named a rifle, a date and a place; a witness confirms it",
    )
    after = _walk(db, group, limit=100)
    kept_id = local_report_id(kept.receipt_number)
    versions = [o for o in after if o["id"] == kept_id]
    assert len(versions) == 1 and versions[0]["object_marking_refs"] == [
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
    ]
    later = taxii_feed.read_page(
        db,
        group,
        filters=taxii_feed.Filters(added_after=utcnow() - timedelta(seconds=30)),
        limit=100,
        cursor=None,
    )
    assert kept_id in {o["id"] for o in later.objects}
    notices = db.execute(
        select(Notification.kind).where(Notification.user_id == staff.partner_analyst.id)
    ).scalars()
    assert list(notices) == ["shared_report_corrected"]


def test_only_the_owner_or_the_scheduler_propagates(db, staff) -> None:
    report = full_report(db, staff.home)
    with pytest.raises(PermissionDenied):
        propagation.propagate(
            db, actor=actor_for(staff.partner_analyst), report=report, change="purge"
        )
    with pytest.raises(ValueError):
        propagation.propagate(db, actor=SCHEDULER_ACTOR, report=report, change="rename")


def test_a_later_version_updates_the_copy_and_an_older_one_does_not(db, staff, settings) -> None:
    report = full_report(db, staff.home, marking="GREEN")
    exported = stix_export.export_reports(
        db,
        actor=actor_for(staff.analyst),
        report_ids=[report.id],
        recipient="The partner",
        reason=REASON,
    )
    importer = actor_for(staff.partner_analyst)
    first = stix_import.import_bundle(db, actor=importer, settings=settings, text=exported.bundle)
    assert first.count("imported") == 1
    bundle = json.loads(exported.bundle)
    (stix_report,) = [o for o in bundle["objects"] if o["type"] == "report"]
    stix_report["description"] = "Corrected: he named the north gate, not the stadium."
    stix_report["modified"] = "2099-01-01T00:00:00.000Z"
    second = stix_import.import_bundle(
        db, actor=importer, settings=settings, text=json.dumps(bundle)
    )
    assert second.count("updated") == 1, [r.message for r in second.results]
    (copy_id,) = [r.report_id for r in second.results if r.status == "updated"]
    copy = db.get_one(Report, copy_id)
    assert copy.narrative.startswith("Corrected:") and len(copy.mentions) == 2
    stix_report["modified"] = "2098-01-01T00:00:00.000Z"
    stix_report["description"] = "An older version"
    third = stix_import.import_bundle(
        db, actor=importer, settings=settings, text=json.dumps(bundle)
    )
    assert third.count("updated") == 0 and third.count("unchanged") == 1
    assert db.get_one(Report, copy.id).narrative.startswith("Corrected:")
