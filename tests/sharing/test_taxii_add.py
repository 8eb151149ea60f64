"""TAXII 2.1 add-objects and status against the real taxii2-client, over HTTP to a live
server on loopback (SQLite and PostgreSQL): a member whose role may import adds an
envelope, the objects go through the STIX importer into the member's agency, and the
status resource (kept, read again at /status/{id}/) tells what became of each object;
read-only members, other agencies, malformed and oversized envelopes are refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from sqlalchemy import select
from taxii2client.common import TokenAuth  # type: ignore[import-untyped]
from taxii2client.v21 import Collection, Status  # type: ignore[import-untyped]

from tests.conftest import create_postgres_database, drop_postgres_database, make_settings
from tests.e2e.live_server import serving
from tests.factories import actor_for, make_agency, make_user
from tests.sharing.factories import full_report
from vigil.platform import migrate, sessions
from vigil.platform.database import make_engine, make_sessionmaker, transaction
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.reports.models import Report
from vigil.sharing import groups, stix_export
from vigil.sharing.models import ImportedReport
from vigil.sharing.stix_mapping import local_report_id

TAXII = "application/taxii+json;version=2.1"


@dataclass
class Seeded:
    settings: Settings | None = None
    url: str = ""
    collection_id: str = ""
    partner_id: int = 0
    bundle: dict[str, Any] = field(default_factory=dict)
    unsent: dict[str, Any] = field(default_factory=dict)  # a bundle only refused requests send
    report_stix_id: str = ""
    tokens: dict[str, str] = field(default_factory=dict)


def _seed(settings: Settings) -> Seeded:
    engine = make_engine(settings)
    seeded = Seeded(settings=settings)
    try:
        migrate.upgrade(engine)
        with transaction(make_sessionmaker(engine)) as db:
            home, partner, outsider = make_agency(db), make_agency(db), make_agency(db)
            supervisor = make_user(db, agency=home, roles={Role.SUPERVISOR})
            users = {
                "member": make_user(db, agency=partner, roles={Role.ANALYST}),
                "readonly": make_user(db, agency=partner, roles={Role.TIPLINE_OPERATOR}),
                "outsider": make_user(db, agency=outsider, roles={Role.ANALYST}),
            }
            for name, user in users.items():
                seeded.tokens[name], _ = sessions.create_api_token(db, user=user, name="t", days=5)
            group = groups.create_group(
                db, actor=actor_for(supervisor), name="Stadium partners", agency_ids=[partner.id]
            )
            seeded.collection_id, seeded.partner_id = group.collection_id, partner.id
            report, unsent = full_report(db, home), full_report(db, home)
            seeded.report_stix_id = local_report_id(report.receipt_number)
            seeded.bundle, seeded.unsent = (
                json.loads(
                    stix_export.export_reports(
                        db,
                        actor=actor_for(supervisor),
                        report_ids=[one.id],
                        recipient="Stadium partners",
                        reason="Partners host the games",
                    ).bundle
                )
                for one in (report, unsent)
            )
        return seeded
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def live(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    data_dir = tmp_path_factory.mktemp(f"taxii-add-{backend}")
    url = create_postgres_database() if backend == "postgresql" else None
    try:
        settings = make_settings(data_dir, url)
        seeded = _seed(settings)
        with serving(settings) as base:
            seeded.url = base
            yield seeded
    finally:
        if url:
            drop_postgres_database(url)


def _url(live: Seeded) -> str:
    return f"{live.url}/api/taxii2/vigil/collections/{live.collection_id}/"


def _copies(live: Seeded, agency_id: int | None = None) -> list[str]:
    """STIX ids of imported copies (of the agency, or of every agency)."""
    assert live.settings is not None
    engine = make_engine(live.settings)
    statement = select(ImportedReport.stix_id).join(Report, Report.id == ImportedReport.report_id)
    if agency_id is not None:
        statement = statement.where(Report.owner_agency_id == agency_id)
    try:
        with make_sessionmaker(engine)() as db:
            return list(db.execute(statement).scalars())
    finally:
        engine.dispose()


def _post(live: Seeded, who: str, data: bytes, content_type: str = TAXII) -> requests.Response:
    return requests.post(
        f"{_url(live)}objects/",
        data=data,
        headers={
            "Authorization": f"Bearer {live.tokens[who]}",
            "Content-Type": content_type,
            "Accept": TAXII,
        },
        timeout=30,
    )


def test_a_member_adds_objects_and_reads_the_status(live: Seeded) -> None:
    collection = Collection(_url(live), auth=TokenAuth(live.tokens["member"]))
    assert collection.can_write
    hostile = {
        "type": "report",
        "spec_version": "2.1",
        "id": "report--6ba7b810-9dad-41d1-80b4-00c04fd430c8",
        "name": "<script>alert(1)</script>",
    }
    envelope = {"objects": [*live.bundle["objects"], hostile]}
    status = collection.add_objects(envelope)
    assert isinstance(status, Status)
    assert status.status == "complete" and status.pending_count == 0
    assert status.total_count == len(envelope["objects"])
    assert status.success_count == len(live.bundle["objects"]) and status.failure_count == 1
    assert [f["id"] for f in status.failures] == [hostile["id"]]
    assert status.failures[0]["message"]
    imported = [s for s in status.successes if s["id"] == live.report_stix_id]
    assert imported and imported[0]["message"].startswith("imported")
    assert _copies(live, live.partner_id) == [live.report_stix_id]
    # The status is kept: taxii2-client reads it again; another agency cannot.
    again = Status(status.url, auth=TokenAuth(live.tokens["member"]))
    assert again.id == status.id and again.failure_count == 1
    assert again.failures == status.failures
    with pytest.raises(requests.HTTPError) as refused:
        Status(status.url, auth=TokenAuth(live.tokens["outsider"]))
    assert refused.value.response.status_code == 404
    # The same envelope again changes nothing: the report is unchanged.
    second = collection.add_objects(envelope)
    assert second.id != status.id
    repeated = [s["message"] for s in second.successes if s["id"] == live.report_stix_id]
    assert len(repeated) == 1 and repeated[0].startswith("unchanged")
    assert _copies(live, live.partner_id) == [live.report_stix_id]


def test_refusals(live: Seeded) -> None:
    readonly = Collection(_url(live), auth=TokenAuth(live.tokens["readonly"]))
    assert readonly.can_read and not readonly.can_write
    data = json.dumps({"objects": live.unsent["objects"]}).encode()
    assert _post(live, "readonly", data).status_code == 403
    assert _post(live, "outsider", data).status_code == 404
    assert _post(live, "member", data, content_type="text/plain").status_code == 415
    for bad in (b"not json", b"[1, 2]", b'{"objects": "x"}', b'{"objects": []}'):
        assert _post(live, "member", bad).status_code == 422, bad
    oversized = b'{"objects": [' + b" " * (10 * 1024 * 1024) + b"]}"
    assert _post(live, "member", oversized).status_code == 413
    response = requests.get(
        f"{live.url}/api/taxii2/vigil/status/00000000-0000-4000-8000-000000000000/",
        headers={"Authorization": f"Bearer {live.tokens['member']}"},
        timeout=10,
    )
    assert response.status_code == 404
    unsent = [o["id"] for o in live.unsent["objects"] if o["type"] == "report"]
    assert unsent and not set(unsent) & set(_copies(live))  # nothing refused was imported
