"""The role lattice through every route: every write route of the catalog is sent by
every role, with the catalog's own body and with that body salted with escalation
fields (every role, another agency, the operator flag, another user). After each
request, before it is rolled back, the users, their roles, the agencies and the
credentials are compared with the seed:

* no user gained a role the actor does not hold, and no user was made with one;
* no user moved to another agency, and no agency became the operator;
* no session or API token was made for anyone but the actor.

The service-level properties (an admin grants and removes only roles it holds, in
agencies it administers) are tests/platform/test_accounts.py's; this proves no route
reaches round them. The command line is the operator's shell and is not a route: it
already holds the database.
"""

from __future__ import annotations

from typing import Any

from tests.web.catalog import OTHER, PROTECTED, RouteCase, Target, call
from tests.web.conftest import ROLES, Cell, Site, rolled_back
from tests.web.grants import GrantWrites, escalations, grants
from vigil.platform.models import User, UserRole
from vigil.platform.roles import Role

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def salted(body: dict[str, Any], form: bool, site: Site, target: Target) -> dict[str, Any]:
    """``body`` asking for more: every role, another agency, the operator's powers."""
    every_role = [role.value for role in Role]
    victim = site.world.plain[site.world.other].user_id
    extra: dict[str, Any] = {
        "roles": every_role,
        "role": Role.SYSTEM_ADMIN.value,
        "agency_id": site.world.other if target.kind != OTHER else site.world.home,
        "is_operator": True,
        "user_id": victim,
        "is_admin": True,
    }
    if form:
        extra = {
            key: (
                [str(v) for v in value]
                if isinstance(value, list)
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
            for key, value in extra.items()
        }
    return {**body, **extra}


def _writes() -> list[RouteCase]:
    return [case for case in PROTECTED if case.method in WRITE_METHODS]


def test_no_route_of_the_walk_escalates(walk: list[Cell]) -> None:
    """Every route, as every role, at every target, with the catalog's body."""
    compared = [cell for cell in walk if cell.grant_write]
    found = [f"{cell}: {problem}" for cell in walk for problem in cell.escalations]
    assert len(compared) > 20, f"only {len(compared)} requests wrote to users or credentials"
    assert not found, "\n".join(found)


def test_no_route_escalates_with_a_salted_body(site: Site) -> None:
    """Every write route with a body, as every role, asking for more than it holds."""
    seed = grants(site)
    writes = GrantWrites(site.connection)
    sent, compared, found = 0, 0, []
    for role in ROLES:
        actor = site.world.member(role)
        for case in _writes():
            if case.body is None:
                continue
            for kind in case.targets:
                target = Target(site.world, actor, kind)
                body = salted(case.payload(target), case.body == "form", site, target)
                with rolled_back(site.connection):
                    writes.seen = False
                    answer = call(case, target, browsers=site.browsers, api=site.api, payload=body)
                    after = grants(site) if writes.seen else seed
                sent += 1
                compared += writes.seen
                found += [
                    f"{case.label} [{kind}] as {role.value} -> {answer.status_code}: {problem}"
                    for problem in escalations(seed, after, actor, frozenset({role.value}))
                ]
    writes.close()
    assert sent > 300, f"only {sent} requests were sent"
    assert compared > 5, f"only {compared} requests wrote to users, roles or credentials"
    assert not found, "\n".join(found)


def test_the_check_sees_an_escalation(site: Site) -> None:
    """The comparison must notice a role granted beyond the actor's, a move and a token."""
    seed = grants(site)
    actor = site.world.member(Role.AGENCY_ADMIN)
    victim = site.world.plain[site.world.home].user_id
    writes = GrantWrites(site.connection)
    with rolled_back(site.connection):
        with site.session_factory() as db:
            db.add(UserRole(user_id=victim, role=Role.SYSTEM_ADMIN.value))
            user = db.get(User, victim)
            assert user is not None
            user.agency_id = site.world.other
            db.commit()
        found = escalations(seed, grants(site), actor, frozenset({Role.AGENCY_ADMIN.value}))
    writes.close()
    assert writes.seen, "the statement log missed a role grant"
    assert any("gained ['system_admin']" in line for line in found), found
    assert any("moved from agency" in line for line in found), found
