"""The TAXII 2.1 server against the real taxii2-client, over HTTP to a live uvicorn server
on loopback with its own database (SQLite and PostgreSQL): discovery, API root,
collections per sharing group, objects with filters and pagination, one object, the
manifest, token authentication, media types, and what never leaves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import stix2validator  # type: ignore[import-untyped]
from taxii2client.common import TokenAuth  # type: ignore[import-untyped]
from taxii2client.v21 import Collection, Server, as_pages  # type: ignore[import-untyped]

from tests.conftest import create_postgres_database, drop_postgres_database, make_settings
from tests.e2e.live_server import serving
from tests.factories import actor_for, make_agency, make_user
from tests.sharing.factories import full_report
from vigil.platform import migrate, sessions
from vigil.platform.database import make_engine, make_sessionmaker, transaction
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.sharing import groups
from vigil.sharing.stix_mapping import local_report_id

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
REASON = "Regional partners need to know"


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


@dataclass
class Seeded:
    url: str = ""
    group_name: str = ""
    collection_id: str = ""
    shared: list[str] = field(default_factory=list)  # STIX ids of reports served, in order
    withheld: list[str] = field(default_factory=list)  # unshared, revoked, now TLP:RED
    tokens: dict[str, str] = field(default_factory=dict)


def _seed(settings: Settings) -> Seeded:
    engine = make_engine(settings)
    seeded = Seeded()
    try:
        migrate.upgrade(engine)
        with transaction(make_sessionmaker(engine)) as db:
            home, partner, outsider = make_agency(db), make_agency(db), make_agency(db)
            supervisor = make_user(db, agency=home, roles={Role.SUPERVISOR, Role.AGENCY_ADMIN})
            users = {
                "member": make_user(db, agency=partner, roles={Role.ANALYST}),
                "outsider": make_user(db, agency=outsider, roles={Role.ANALYST}),
                "owner": supervisor,
                "admin": make_user(db, agency=partner, roles={Role.AGENCY_ADMIN}),
            }
            for name, user in users.items():
                seeded.tokens[name], _ = sessions.create_api_token(db, user=user, name="t", days=5)
            actor = actor_for(supervisor)
            group = groups.create_group(
                db, actor=actor, name="Stadium partners", agency_ids=[partner.id]
            )
            seeded.group_name, seeded.collection_id = group.name, group.collection_id
            for index in range(6):
                report = full_report(db, home, marking="GREEN" if index % 2 else "AMBER")
                stix_id = local_report_id(report.receipt_number)
                share = groups.share_report(
                    db, actor=actor, group_id=group.id, report_id=report.id, reason=REASON
                )
                share.shared_at = START + timedelta(minutes=index)
                if index == 4:
                    groups.revoke_share(db, actor=actor, group_id=group.id, report_id=report.id)
                    seeded.withheld.append(stix_id)
                elif index == 5:
                    report.marking = "RED"  # re-marked after the share: no longer served
                    seeded.withheld.append(stix_id)
                else:
                    seeded.shared.append(stix_id)
            unshared = full_report(db, home)
            seeded.withheld.append(local_report_id(unshared.receipt_number))
        return seeded
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def live(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    data_dir = tmp_path_factory.mktemp(f"taxii-{backend}")
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


def _collection(live: Seeded, who: str = "member") -> Collection:
    server = Server(f"{live.url}/api/taxii2/", auth=TokenAuth(live.tokens[who]))
    (root,) = server.api_roots
    assert server.default.url == root.url
    (collection,) = root.collections
    return collection


def _reports(objects: list[dict[str, Any]]) -> list[str]:
    return [obj["id"] for obj in objects if obj["type"] == "report"]


def test_discovery_api_root_and_collections(live: Seeded) -> None:
    server = Server(f"{live.url}/api/taxii2/", auth=TokenAuth(live.tokens["member"]))
    assert server.title == "Vigil TAXII 2.1"
    root = server.api_roots[0]
    assert root.versions == ["application/taxii+json;version=2.1"]
    assert root.max_content_length > 0
    collection = _collection(live)
    assert collection.id == live.collection_id and collection.title == live.group_name
    assert collection.can_read and collection.can_write  # an analyst member may add objects
    assert collection.media_types == ["application/stix+json;version=2.1"]


def test_objects_page_through_exactly_what_was_shared(live: Seeded) -> None:
    collection = _collection(live)
    objects: list[dict[str, Any]] = []
    pages = 0
    for envelope in as_pages(collection.get_objects, per_request=7):
        objects.extend(envelope.get("objects", []))
        pages += 1
    assert pages > 3
    assert _reports(objects) == live.shared  # in the order shared; nothing withheld
    assert not set(_reports(objects)) & set(live.withheld)
    report_parts = [o["id"] for o in objects if o["type"] in ("report", "location", "note")]
    assert len(report_parts) == len(set(report_parts))  # nothing twice
    bundle = {"type": "bundle", "id": "bundle--6ba7b810-9dad-41d1-80b4-00c04fd430c8"}
    unique = list({o["id"]: o for o in objects}.values())
    results = stix2validator.validate_string(json.dumps({**bundle, "objects": unique}))
    assert results.is_valid


def test_filters_and_date_headers(live: Seeded) -> None:
    collection = _collection(live)
    only_reports = collection.get_objects(type="report")
    assert _reports(only_reports["objects"]) == live.shared
    assert {o["type"] for o in only_reports["objects"]} == {"report"}
    later = collection.get_objects(added_after="2026-06-01T12:01:30.000Z", type="report")
    assert _reports(later["objects"]) == live.shared[2:]
    by_id = collection.get_objects(id=live.shared[1])
    assert _reports(by_id["objects"]) == [live.shared[1]]
    assert collection.get_objects(id=live.withheld[0]) == {}
    one = collection.get_object(live.shared[0])
    assert [o["id"] for o in one["objects"]] == [live.shared[0]]
    response = requests.get(
        f"{collection.url}objects/",
        params={"match[type]": "report", "limit": "2"},
        headers={"Accept": "application/taxii+json;version=2.1"},
        auth=BearerAuth(live.tokens["member"]),
        timeout=10,
    )
    assert response.headers["content-type"] == "application/taxii+json;version=2.1"
    assert response.headers["X-TAXII-Date-Added-First"] == "2026-06-01T12:00:00.000Z"
    assert response.headers["X-TAXII-Date-Added-Last"] == "2026-06-01T12:01:00.000Z"
    body = response.json()
    assert body["more"] is True and body["next"]


def test_manifest_matches_the_objects(live: Seeded) -> None:
    collection = _collection(live)
    manifest = collection.get_manifest(type="report")
    records = manifest["objects"]
    assert [r["id"] for r in records] == live.shared
    assert all(r["media_type"] == "application/stix+json;version=2.1" for r in records)
    assert records[0]["date_added"] == "2026-06-01T12:00:00.000Z"
    reports = collection.get_objects(type="report")["objects"]
    assert [r["version"] for r in records] == [o["modified"] for o in reports]


def test_tokens_decide_who_reads_a_collection(live: Seeded) -> None:
    outsider = Server(f"{live.url}/api/taxii2/", auth=TokenAuth(live.tokens["outsider"]))
    assert outsider.api_roots[0].collections == []
    collection_url = f"{live.url}/api/taxii2/vigil/collections/{live.collection_id}/"
    for who in ("outsider", "admin"):
        stranger = Collection(collection_url, auth=TokenAuth(live.tokens[who]))
        with pytest.raises(requests.HTTPError) as refused:
            stranger.get_objects()
        assert refused.value.response.status_code == 404
    owner = Collection(collection_url, auth=BearerAuth(live.tokens["owner"]))
    assert _reports(owner.get_objects(type="report")["objects"]) == live.shared
    nobody = Collection(collection_url, auth=TokenAuth("vgl_not-a-token"))
    with pytest.raises(requests.HTTPError) as refused:
        nobody.get_objects()
    assert refused.value.response.status_code == 401


def test_media_types(live: Seeded) -> None:
    url = f"{live.url}/api/taxii2/vigil/collections/{live.collection_id}/objects/"
    auth = BearerAuth(live.tokens["member"])
    for accept in ("text/html", "application/taxii+json;version=2.0"):
        response = requests.get(url, headers={"Accept": accept}, auth=auth, timeout=10)
        assert response.status_code == 406, accept
    response = requests.get(url, params={"next": "bad"}, auth=auth, timeout=10)
    assert response.status_code == 422
