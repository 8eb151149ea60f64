"""Bulletins as STIX 2.1 bundles on both databases: the bundle parses with the stix2
library (no custom content) and validates with stix2-validator; only readers of a
published bulletin get one; every export is a dissemination record and an audit event;
the page download and the JSON API answer the same."""

from __future__ import annotations

import json

import pytest
import stix2
from sqlalchemy import select
from stix2validator import ValidationOptions, validate_string

from tests.sharing.factories import Partners, make_partners
from vigil.platform.errors import NotFound
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.sharing import bulletin_stix, bulletins
from vigil.sharing.models import Dissemination
from vigil.sharing.stix_mapping import agency_identity_id
from vigil.sharing.stix_markings import TLP2_IDS, TLP_BY_ID

BODY = "The subject keeps a rifle at 12 Elm St; <script>alert(1)</script> noted."


@pytest.fixture()
def staff(db) -> Partners:
    return make_partners(db)


def _publish(db, staff: Partners, marking: str = "AMBER", **lists) -> int:
    analyst = staff.actor(staff.analyst)
    draft = bulletins.create_draft(
        db,
        actor=analyst,
        draft=bulletins.Draft(
            title="Threats against stadium events",
            summary="Several reports describe threats against Friday games.",
            body=BODY,
            marking=marking,
            **lists,
        ),
    )
    bulletins.publish(db, actor=analyst, bulletin_id=draft.id)
    return draft.id


def assert_valid(bundle: str) -> None:
    results = validate_string(bundle, ValidationOptions(strict=False))
    assert results.is_valid, [str(e) for r in results.object_results for e in r.errors]
    parsed = stix2.parse(bundle, allow_custom=False)
    assert parsed.type == "bundle"


@pytest.mark.parametrize("marking", ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT"])
def test_a_published_bulletin_exports_as_a_valid_bundle(db, staff, marking):
    lists = {"agency_ids": [staff.partner.id]} if marking != "AMBER+STRICT" else {}
    bulletin_id = _publish(db, staff, marking, **lists)
    result = bulletin_stix.export_bulletin(
        db, actor=staff.actor(staff.supervisor), bulletin_id=bulletin_id
    )
    assert_valid(result.bundle)
    objects = json.loads(result.bundle)["objects"]
    assert sorted(obj["type"] for obj in objects) == ["identity", "marking-definition", "report"]
    by_type = {obj["type"]: obj for obj in objects}
    report, identity, mark = by_type["report"], by_type["identity"], by_type["marking-definition"]
    bulletin = bulletins.read_bulletin(
        db, actor=staff.actor(staff.analyst), bulletin_id=bulletin_id
    )
    assert report["id"] == bulletin.stix_id and report["name"] == bulletin.title
    assert bulletin.summary in report["description"] and BODY in report["description"]
    assert report["external_references"][0]["external_id"] == bulletin.number
    assert identity["id"] == agency_identity_id(staff.home.name) == report["created_by_ref"]
    assert identity["name"] == staff.home.name and identity["identity_class"] == "organization"
    assert report["object_marking_refs"] == [mark["id"]]
    assert TLP_BY_ID[mark["id"]].value == marking and mark["id"] in TLP2_IDS.values()
    assert result.filename == f"{bulletin.number}.stix.json"


def test_red_bulletin_exports_only_for_its_named_readers(db, staff):
    bulletin_id = _publish(db, staff, "RED", named_usernames=[staff.partner_analyst.username])
    result = bulletin_stix.export_bulletin(
        db, actor=staff.actor(staff.partner_analyst), bulletin_id=bulletin_id
    )
    assert_valid(result.bundle)
    marks = [o for o in json.loads(result.bundle)["objects"] if o["type"] == "marking-definition"]
    assert [m["name"] for m in marks] == ["TLP:RED"]
    for outsider in (staff.supervisor, staff.other_analyst):
        with pytest.raises(NotFound):
            bulletin_stix.export_bulletin(db, actor=staff.actor(outsider), bulletin_id=bulletin_id)


def test_every_export_is_a_dissemination_and_audited_and_refusals_leave_none(db, staff):
    bulletin_id = _publish(db, staff, "AMBER", agency_ids=[staff.partner.id])
    bulletin = bulletins.read_bulletin(
        db, actor=staff.actor(staff.analyst), bulletin_id=bulletin_id
    )

    def records() -> list[Dissemination]:
        return list(
            db.execute(
                select(Dissemination).where(
                    Dissemination.stix_id == bulletin.stix_id,
                    Dissemination.channel == bulletin_stix.CHANNEL,
                )
            ).scalars()
        )

    # Outsiders, the agency admin (not a reader), and an unknown id: nothing recorded.
    with pytest.raises(NotFound):
        bulletin_stix.export_bulletin(
            db, actor=staff.actor(staff.other_analyst), bulletin_id=bulletin_id
        )
    with pytest.raises(NotFound):
        bulletin_stix.export_bulletin(db, actor=staff.actor(staff.admin), bulletin_id=bulletin_id)
    with pytest.raises(NotFound):
        bulletin_stix.export_bulletin(db, actor=staff.actor(staff.analyst), bulletin_id=999_999)
    assert records() == []
    result = bulletin_stix.export_bulletin(
        db, actor=staff.actor(staff.partner_analyst), bulletin_id=bulletin_id
    )
    [record] = records()
    assert record.id == result.dissemination_id
    assert record.recipient_agency_id == staff.partner.id
    assert record.by_user_id == staff.partner_analyst.id and record.marking == "AMBER"
    assert record.receipt_number == bulletin.number and record.report_id is None
    event = db.execute(
        select(AuditEvent).where(
            AuditEvent.action == "bulletin.export", AuditEvent.object_id == str(bulletin_id)
        )
    ).scalar_one()
    assert event.details["dissemination"] == record.id and "rifle" not in str(event.details)


def test_a_draft_is_not_exported(db, staff):
    draft = bulletins.create_draft(
        db,
        actor=staff.actor(staff.analyst),
        draft=bulletins.Draft(
            title="Threats against stadium events",
            summary="Several reports describe threats against Friday games.",
            body=BODY,
            marking="GREEN",
        ),
    )
    with pytest.raises(PermissionDenied):
        bulletin_stix.export_bulletin(db, actor=staff.actor(staff.analyst), bulletin_id=draft.id)
    with pytest.raises(NotFound):
        bulletin_stix.export_bulletin(
            db, actor=staff.actor(staff.partner_analyst), bulletin_id=draft.id
        )
    assert not db.execute(select(Dissemination).where(Dissemination.stix_id == draft.stix_id)).all()


def test_download_page_and_api_route(settings, session_factory, db, staff):
    from fastapi.testclient import TestClient

    from vigil.platform import sessions
    from vigil.web.app import create_app
    from vigil.web.deps import SESSION_COOKIE

    bulletin_id = _publish(db, staff, "GREEN", agency_ids=[staff.partner.id])
    raw, _ = sessions.start_session(db, user=staff.partner_analyst, mfa_verified=True)
    token, _ = sessions.create_api_token(db, user=staff.analyst, name="t", days=1)
    outsider, _ = sessions.create_api_token(db, user=staff.other_analyst, name="t", days=1)
    db.commit()
    app = create_app(settings, session_factory=session_factory)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        api = client.get(
            f"/api/v1/bulletins/{bulletin_id}/stix", headers={"Authorization": f"Bearer {token}"}
        )
        assert api.status_code == 200, api.text
        assert api.headers["content-type"].startswith("application/stix+json")
        assert_valid(api.text)
        hidden = client.get(
            f"/api/v1/bulletins/{bulletin_id}/stix",
            headers={"Authorization": f"Bearer {outsider}"},
        )
        assert hidden.status_code == 404
        client.cookies.set(SESSION_COOKIE, raw)
        page = client.get(f"/bulletins/{bulletin_id}")
        assert f'href="/bulletins/{bulletin_id}/stix"' in page.text
        download = client.get(f"/bulletins/{bulletin_id}/stix")
        assert download.status_code == 200
        assert "attachment" in download.headers["content-disposition"]
        assert_valid(download.text)
