"""Intelligence bulletins and the notifications their publication sends, against the
reference model (tests/oracle/model.py).

Hypothesis generates agencies, users with any roles, sharing groups with members, and
bulletins of every marking, drafts and published, listing agencies and groups (or, for
TLP:RED, naming users); they are written and published through the bulletin service
as their author would. For every user: the API's bulletin list, each bulletin by id
(API and page), its STIX export, and the notifications page's links to bulletins must
be exactly what the model says that user may read, export or is told of.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import actor_for, make_agency, make_user
from tests.oracle.model import (
    BULLETIN_WRITING_ROLES,
    ModelBulletin,
    ModelGroup,
    ModelUser,
    exports_bulletin,
    notified_of_bulletin,
    reads_bulletin,
)
from tests.oracle.tally import OracleCases
from tests.oracle.worlds import any_users, explore
from tests.web.conftest import bearer, rolled_back
from vigil.platform import sessions
from vigil.platform.roles import Role
from vigil.platform.types import utcnow
from vigil.sharing import bulletins
from vigil.sharing.models import SharingGroup, SharingGroupMember
from vigil.web.deps import SESSION_COOKIE

EXAMPLES = int(os.environ.get("VIGIL_ORACLE_EXAMPLES", "20"))  # ~800 cases a database
MARKINGS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
BULLETIN_LINK = re.compile(r'href="/bulletins/(\d+)"')


@dataclass(frozen=True)
class BulletinWorld:
    agencies: int
    users: list[ModelUser]
    groups: list[ModelGroup]
    bulletins: list[ModelBulletin]


@st.composite
def worlds(draw: st.DrawFn) -> BulletinWorld:
    agencies = draw(st.integers(min_value=2, max_value=4))
    agency = st.integers(min_value=0, max_value=agencies - 1)
    users = any_users(draw, agencies, least=2, most=6)
    if not any(u.roles & BULLETIN_WRITING_ROLES for u in users):
        writer = draw(st.sampled_from(sorted(BULLETIN_WRITING_ROLES)))
        users.append(ModelUser(key=len(users), agency=draw(agency), roles=frozenset({writer})))
    authors = [u for u in users if u.roles & BULLETIN_WRITING_ROLES]
    groups = []
    for i in range(draw(st.integers(min_value=0, max_value=3))):
        owner = draw(agency)
        members = frozenset(draw(st.sets(agency, max_size=agencies)) - {owner})
        groups.append(ModelGroup(i, owner, members, frozenset(), frozenset()))
    found = []
    for i in range(draw(st.integers(min_value=1, max_value=4))):
        author = draw(st.sampled_from(authors))
        marking = draw(st.sampled_from(MARKINGS))
        own_groups = [g.key for g in groups if g.owner == author.agency]
        listed_agencies: frozenset[int] = frozenset()
        listed_groups: frozenset[int] = frozenset()
        named: frozenset[int] = frozenset()
        if marking == "RED":
            named = frozenset(draw(st.sets(st.sampled_from([u.key for u in users]), min_size=1)))
        elif marking != "AMBER+STRICT":
            listed_agencies = frozenset(draw(st.sets(agency, max_size=agencies)) - {author.agency})
            if own_groups:
                listed_groups = frozenset(draw(st.sets(st.sampled_from(own_groups))))
        found.append(
            ModelBulletin(
                key=i,
                owner=author.agency,
                author=author.key,
                marking=marking,
                published=draw(st.booleans()),
                agencies=listed_agencies,
                groups=listed_groups,
                named=named,
            )
        )
    return BulletinWorld(agencies, users, groups, found)


# Found by this oracle: a user named on a TLP:RED bulletin without a role that reads
# intelligence was notified (and e-mailed its title), though they may not read it.
NAMED_WITHOUT_A_READING_ROLE = BulletinWorld(
    agencies=2,
    users=[
        ModelUser(key=0, agency=0, roles=frozenset({"analyst"})),
        ModelUser(key=1, agency=1, roles=frozenset({"agency_admin"})),
    ],
    groups=[],
    bulletins=[
        ModelBulletin(
            key=0,
            owner=0,
            author=0,
            marking="RED",
            published=True,
            agencies=frozenset(),
            groups=frozenset(),
            named=frozenset({1}),
        )
    ],
)


@dataclass
class Stored:
    tokens: dict[int, str]  # API token by user key
    cookies: dict[int, str]  # web session by user key
    ids: dict[int, int]  # bulletin id by bulletin key


def build(db: Session, world: BulletinWorld) -> Stored:
    """Store the world: bulletins are written and published through the service."""
    agencies = [make_agency(db) for _ in range(world.agencies)]
    users = {
        u.key: make_user(db, agency=agencies[u.agency], roles={Role(r) for r in u.roles})
        for u in world.users
    }
    tokens = {
        key: sessions.create_api_token(db, user=user, name="oracle", days=1)[0]
        for key, user in users.items()
    }
    cookies = {
        key: sessions.start_session(db, user=user, mfa_verified=True)[0]
        for key, user in users.items()
    }
    now = utcnow()
    group_ids = {}
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
        group_ids[g.key] = group.id
    db.flush()
    ids = {}
    for b in world.bulletins:
        author = actor_for(users[b.author])
        draft = bulletins.Draft(
            title=f"Oracle bulletin {b.key}",
            summary="What the oracle bulletin is about.",
            body="The body of the oracle bulletin, in full.",
            marking=b.marking,
            agency_ids=[agencies[a].id for a in sorted(b.agencies)],
            group_ids=[group_ids[g] for g in sorted(b.groups)],
            named_usernames=[users[k].username for k in sorted(b.named)],
        )
        stored = bulletins.create_draft(db, actor=author, draft=draft)
        if b.published:
            bulletins.publish(db, actor=author, bulletin_id=stored.id)
        ids[b.key] = stored.id
    db.commit()
    return Stored(tokens, cookies, ids)


def test_bulletins_and_their_notifications_match_the_model(
    app_client: TestClient,
    session_factory: sessionmaker[Session],
    connection: Any,
    oracle_cases: OracleCases,
) -> None:
    @given(world=worlds())
    @example(world=NAMED_WITHOUT_A_READING_ROLE)
    @explore(EXAMPLES)
    def check(world: BulletinWorld) -> None:
        groups = world.groups
        with rolled_back(connection):
            with session_factory() as db:
                stored = build(db, world)
            for user in world.users:
                auth = bearer(stored.tokens[user.key])
                want = {
                    stored.ids[b.key] for b in world.bulletins if reads_bulletin(user, b, groups)
                }
                listed = app_client.get("/api/v1/bulletins", headers=auth)
                if listed.status_code == 200:
                    assert {item["id"] for item in listed.json()} == want, (
                        "list",
                        user,
                        world.bulletins,
                    )
                else:
                    assert listed.status_code == 403, listed.status_code
                    assert not want, ("refused a bulletin reader", user, world.bulletins)
                for b in world.bulletins:
                    path = f"/api/v1/bulletins/{stored.ids[b.key]}"
                    one = app_client.get(path, headers=auth)
                    assert (one.status_code == 200) == reads_bulletin(user, b, groups), (
                        "get",
                        one.status_code,
                        user,
                        b,
                    )
                    stix = app_client.get(f"{path}/stix", headers=auth)
                    assert (stix.status_code == 200) == exports_bulletin(user, b, groups), (
                        "stix",
                        stix.status_code,
                        user,
                        b,
                    )
                oracle_cases.add(3 * len(world.bulletins))
            # The pages and the notifications, as each user signed in in a browser.
            for user in world.users:
                app_client.cookies.set(SESSION_COOKIE, stored.cookies[user.key])
                try:
                    told = {
                        stored.ids[b.key]
                        for b in world.bulletins
                        if notified_of_bulletin(user, b, groups)
                    }
                    page = app_client.get("/notifications")
                    assert page.status_code == 200, ("notifications", page.status_code, user)
                    links = {int(found) for found in BULLETIN_LINK.findall(page.text)}
                    assert links == told, ("notified", user, world.bulletins, groups)
                    for b in world.bulletins:
                        shown = app_client.get(f"/bulletins/{stored.ids[b.key]}")
                        assert (shown.status_code == 200) == reads_bulletin(user, b, groups), (
                            "page",
                            shown.status_code,
                            user,
                            b,
                        )
                    oracle_cases.add(2 * len(world.bulletins))
                finally:
                    app_client.cookies.clear()

    check()
    print(f"bulletin oracle: {oracle_cases.cases} (user, bulletin, read path) cases")
    assert oracle_cases.cases >= EXAMPLES
