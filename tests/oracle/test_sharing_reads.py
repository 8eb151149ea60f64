"""The sharing read paths against the reference model (tests/oracle/model.py): STIX
exports and the TAXII 2.1 feed that partner agencies (and their federation pulls) read.

Hypothesis generates agencies, users with any roles, reports with every marking, file
class, routing, share and named recipient, and sharing groups with members and live or
revoked shares of those reports. For every user: each report exported alone
(``POST /api/v1/sharing/export``) is refused unless the model lets that user export it,
and one export of everything the model allows carries exactly those reports; the
TAXII collection list names exactly the groups the user may read; each collection's
objects and manifest answer only those users and serve exactly the reports the model
says the group's collection serves.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import make_agency, make_user
from tests.oracle.model import (
    ModelGroup,
    ModelReport,
    ModelUser,
    collection_serves,
    exports_report,
    reads_collection,
)
from tests.oracle.tally import OracleCases
from tests.oracle.test_report_reads import worlds as report_worlds
from tests.oracle.worlds import explore
from tests.reports.factories import make_report
from tests.web.conftest import bearer, rolled_back
from vigil.platform import sessions
from vigil.platform.roles import Role
from vigil.platform.types import utcnow
from vigil.sharing.models import GroupShare, SharingGroup, SharingGroupMember
from vigil.sharing.stix_mapping import local_report_id

EXAMPLES = int(os.environ.get("VIGIL_ORACLE_EXAMPLES", "20"))  # ~950 cases a database
TAXII = "/api/taxii2/vigil/collections/"


@dataclass(frozen=True)
class SharingWorld:
    agencies: int
    users: list[ModelUser]
    reports: list[ModelReport]
    groups: list[ModelGroup]


@st.composite
def worlds(draw: st.DrawFn) -> SharingWorld:
    agencies, users, reports = draw(report_worlds())
    agency = st.integers(min_value=0, max_value=agencies - 1)
    keys = st.sets(st.sampled_from([r.key for r in reports]), max_size=len(reports))
    groups = []
    for i in range(draw(st.integers(min_value=0, max_value=3))):
        owner = draw(agency)
        shared = draw(keys)
        groups.append(
            ModelGroup(
                key=i,
                owner=owner,
                members=frozenset(draw(st.sets(agency, max_size=agencies)) - {owner}),
                shared=frozenset(shared),
                revoked=frozenset(draw(keys) - shared),
            )
        )
    return SharingWorld(agencies, users, reports, groups)


@dataclass
class Stored:
    tokens: dict[int, str]  # by user key
    ids: dict[int, int]  # report id by report key
    stix_ids: dict[int, str]  # report STIX id by report key
    collections: dict[int, str]  # collection id by group key


def build(db: Session, world: SharingWorld) -> Stored:
    agencies = [make_agency(db) for _ in range(world.agencies)]
    users = {
        u.key: make_user(db, agency=agencies[u.agency], roles={Role(r) for r in u.roles})
        for u in world.users
    }
    tokens = {
        key: sessions.create_api_token(db, user=user, name="oracle", days=1)[0]
        for key, user in users.items()
    }
    ids, stix_ids = {}, {}
    for r in world.reports:
        report = make_report(
            db,
            agency=agencies[r.owner],
            routed_to=agencies[r.routed],
            marking=r.marking,
            file_class=r.file_class,
            shared_with=[agencies[a] for a in sorted(r.shared_with)],
            recipients=[users[k] for k in sorted(r.recipients)],
        )
        ids[r.key], stix_ids[r.key] = report.id, local_report_id(report.receipt_number)
    now = utcnow()
    collections = {}
    for g in world.groups:
        group = SharingGroup(
            collection_id=str(uuid.uuid4()),
            owner_agency_id=agencies[g.owner].id,
            name=f"Oracle group {g.key}",
            description="",
            hide_members=False,
            created_at=now,
        )
        db.add(group)
        db.flush()
        db.add_all(
            SharingGroupMember(group_id=group.id, agency_id=agencies[a].id, added_at=now)
            for a in sorted(g.members)
        )
        # Shares are stored as they stand after any re-marking: a report shared while
        # AMBER and re-marked RED later keeps its share row.
        db.add_all(
            GroupShare(
                group_id=group.id,
                report_id=ids[key],
                reason="Oracle share",
                shared_at=now,
                revoked_at=now if key in g.revoked else None,
            )
            for key in sorted(g.shared | g.revoked)
        )
        collections[g.key] = group.collection_id
    db.commit()
    return Stored(tokens, ids, stix_ids, collections)


def _export(client: TestClient, token: str, report_ids: list[int]) -> Any:
    return client.post(
        "/api/v1/sharing/export",
        json={
            "report_ids": report_ids,
            "recipient": "Oracle partner agency",
            "reason": "Need to know, for the oracle",
        },
        headers=bearer(token),
    )


def _report_ids_in(objects: list[dict[str, Any]]) -> set[str]:
    return {obj["id"] for obj in objects if obj["id"].startswith("report--")}


def test_exports_and_feeds_match_the_model(
    app_client: TestClient,
    session_factory: sessionmaker[Session],
    connection: Any,
    oracle_cases: OracleCases,
) -> None:
    @given(world=worlds())
    @explore(EXAMPLES)
    def check(world: SharingWorld) -> None:
        with rolled_back(connection):
            with session_factory() as db:
                stored = build(db, world)
            for user in world.users:
                token = stored.tokens[user.key]
                # Exports: each report alone, then everything the model allows at once.
                allowed = [r for r in world.reports if exports_report(user, r)]
                for r in world.reports:
                    one = _export(app_client, token, [stored.ids[r.key]])
                    assert (one.status_code == 200) == exports_report(user, r), (
                        "export",
                        one.status_code,
                        user,
                        r,
                    )
                    assert one.status_code in (200, 403, 404), one.status_code
                oracle_cases.add(len(world.reports))
                if allowed:
                    bundle = _export(app_client, token, [stored.ids[r.key] for r in allowed])
                    assert bundle.status_code == 200, ("export all", user, allowed)
                    assert _report_ids_in(bundle.json()["objects"]) == {
                        stored.stix_ids[r.key] for r in allowed
                    }, ("export bundle", user, allowed)
                # The TAXII feed: the collections, then each one's objects and manifest.
                auth = bearer(token)
                listed = app_client.get(TAXII, headers=auth)
                readable = {
                    stored.collections[g.key] for g in world.groups if reads_collection(user, g)
                }
                if listed.status_code == 200:
                    got = {c["id"] for c in listed.json().get("collections", [])}
                    assert got == readable, ("collections", user, world.groups)
                else:
                    assert listed.status_code == 403, listed.status_code
                    assert not readable, ("refused a collection reader", user, world.groups)
                oracle_cases.add(len(world.groups))
                for g in world.groups:
                    base = f"{TAXII}{stored.collections[g.key]}"
                    served = {
                        stored.stix_ids[r.key] for r in world.reports if collection_serves(g, r)
                    }
                    objects = app_client.get(f"{base}/objects/?limit=1000", headers=auth)
                    manifest = app_client.get(f"{base}/manifest/?limit=1000", headers=auth)
                    if not reads_collection(user, g):
                        assert objects.status_code in (403, 404), ("objects", user, g)
                        assert manifest.status_code in (403, 404), ("manifest", user, g)
                    else:
                        assert objects.status_code == 200, ("objects", objects.status_code, user)
                        assert manifest.status_code == 200, ("manifest", manifest.status_code)
                        assert _report_ids_in(objects.json().get("objects", [])) == served, (
                            "objects",
                            user,
                            g,
                            world.reports,
                        )
                        assert _report_ids_in(manifest.json().get("objects", [])) == served, (
                            "manifest",
                            user,
                            g,
                            world.reports,
                        )
                    oracle_cases.add(2 * len(world.reports))

    check()
    print(f"sharing oracle: {oracle_cases.cases} (user, report or group, read path) cases")
    assert oracle_cases.cases >= EXAMPLES
