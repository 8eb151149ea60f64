"""Object swaps: for every write route of the catalog that carries ids in its body, each
id (top level or nested in a list) is replaced, one at a time, by the id of the same
kind of object held by another agency, and the request is sent as a role the matrix
lets through with its own objects. The answer is always a refusal (403 or 404, or a
422 that a made-up id gets too, so the answer reveals nothing) and the database is
unchanged. The ids in the path are swapped by the authorization matrix already (its
"other" targets); this covers the ones an object-checked-another-mutated bug hides in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from tests.web.catalog import OTHER, OWN, PROTECTED, SELF, RouteCase, Target, call
from tests.web.catalog_recovery import STAFF_ONLY
from tests.web.conftest import ROLES, Site, World, WriteLog, rolled_back, snapshot
from tests.web.matrix import expected
from vigil.platform.roles import Role

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# An id no row has: what a made-up id is answered.
UNKNOWN_ID = 2_147_483_000

Foreign = Callable[[World, int, RouteCase], int]


def _site_of(world: World, agency: int, case: RouteCase) -> int:
    if "reunification" in case.template or "/incidents" in case.template:
        return world.response[f"site:{agency}"]
    return world.preparedness[f"site:{agency}"]


# Body fields naming an object, and the same kind of object held by `agency`.
SWAPS: dict[str, Foreign] = {
    "report_id": lambda w, a, _c: w.reports[a],
    "report_ids": lambda w, a, _c: w.reports[a],
    "case_id": lambda w, a, _c: w.cases[a],
    "person_id": lambda w, a, _c: w.persons[a],
    "other_person_id": lambda w, a, _c: w.second_persons[a],
    "mention_ids": lambda w, a, _c: w.split_mentions[a],
    "user_id": lambda w, a, _c: w.plain[a].user_id,
    "owner_user_id": lambda w, a, _c: w.plain[a].user_id,
    "advocate_user_id": lambda w, a, _c: w.plain[a].user_id,
    "incident_id": lambda w, a, _c: w.response[f"incident:{a}"],
    "site_id": _site_of,
    "checkin_id": lambda w, a, _c: w.response[f"checkin:{a}"],
    "measure_id": lambda w, a, _c: w.preparedness[f"measure:{a}"],
    "group_id": lambda w, a, _c: w.sharing[f"group:{a}"],
    "bulletin_id": lambda w, a, _c: w.alerts[f"bulletin:{a}"],
    # An exercise's area for improvement (tests/web/catalog_improvement.py).
    "item_id": lambda w, a, _c: w.preparedness[f"area:{a}"],
    # A site assessment in progress (tests/web/catalog_site_assessments.py).
    "assessment_id": lambda w, a, _c: w.preparedness[f"assessment:progress:{a}"],
}
# Body fields that hold ids but are not objects of the actor's agency to swap, and why.
NOT_SWAPPED = {
    # Naming another agency is what these forms are for (share with it, ask it for
    # access, a consent's recipient, a group's member); the matrix and each domain's
    # tests check who may be named.
    "agency_id": "names a partner agency",
    "agency_ids": "names partner agencies",
    "recipient_agency_id": "names the consent's recipient agency",
    "member_agency_id": "names a group member agency",
    # A pair of rows of the public incident catalogue, which every agency reads alike.
    "link_id": "a link of the public incident catalogue",
    # One instrument serves every agency (published, read-only reference data).
    "instrument_id": "a shared, read-only instrument",
    # The walk schedules a course shipped with Vigil, which every agency uses.
    "course_id": "a shipped course every agency uses",
    # A resource request names a type from the resource catalogue shipped with Vigil.
    "resource_id": "a resource type of the shipped catalogue",
}


def _id_fields(body: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """The paths to every field whose name says it holds an id, nested lists included."""
    if isinstance(body, dict):
        for key, value in body.items():
            here = (*path, key)
            if key.endswith(("_id", "_ids")):
                yield here
            elif isinstance(value, (dict, list)):
                yield from _id_fields(value, here)
    elif isinstance(body, list):
        for index, item in enumerate(body):
            yield from _id_fields(item, (*path, index))


def _with(body: Any, path: tuple[str | int, ...], new: int) -> Any:
    """A copy of ``body`` with the id(s) at ``path`` replaced by ``new``, in their form
    (a number, a string, or a list of either)."""
    if not path:
        if isinstance(body, list):
            return [_with(item, (), new) for item in body] or [new]
        return str(new) if isinstance(body, str) else new
    head, rest = path[0], path[1:]
    if isinstance(body, dict):
        return {
            key: (_with(value, rest, new) if key == head else value) for key, value in body.items()
        }
    return [_with(item, rest, new) if index == head else item for index, item in enumerate(body)]


def _allowed_roles(case: RouteCase) -> list[tuple[Role, str]]:
    """Roles the matrix lets through ``case`` at their own objects (one per target)."""
    found = []
    for kind in (OWN, SELF, "-"):
        if kind not in case.targets:
            continue
        answers = expected(case.label, kind)
        found += [(role, kind) for role in ROLES if answers[role.value] == "ok"]
    return found


def _swappable(case: RouteCase) -> bool:
    return (
        case.method in WRITE_METHODS
        and case.build is not None
        and case.body is not None
        and case.label not in STAFF_ONLY
    )


def test_every_id_field_of_a_write_is_swapped_or_says_why(site: Site) -> None:
    unknown = set()
    for case in filter(_swappable, PROTECTED):
        for role, kind in _allowed_roles(case)[:1]:
            body = case.payload(Target(site.world, site.world.member(role), kind))
            for path in _id_fields(body):
                name = str(path[-1])
                if name not in SWAPS and name not in NOT_SWAPPED:
                    unknown.add(f"{case.label}: {name}")
    assert not unknown, "id fields with no swap (add to SWAPS or NOT_SWAPPED):\n" + "\n".join(
        sorted(unknown)
    )


def test_an_id_of_another_agency_in_a_body_is_refused_and_changes_nothing(site: Site) -> None:
    world = site.world
    seed = snapshot(site.session_factory)
    writes = WriteLog(site.connection)
    tried, wrong = 0, []
    try:
        for case in filter(_swappable, PROTECTED):
            for role, kind in _allowed_roles(case)[:2]:
                target = Target(world, world.member(role), kind)
                body = case.payload(target)
                foreign_agency = Target(world, world.member(role), OTHER).agency_id
                for path in _id_fields(body):
                    swap = SWAPS.get(str(path[-1]))
                    if swap is None:
                        continue
                    foreign = swap(world, foreign_agency, case)
                    with rolled_back(site.connection):
                        writes.statements.clear()
                        answer = call(
                            case,
                            target,
                            browsers=site.browsers,
                            api=site.api,
                            payload=_with(body, path, foreign),
                        )
                        changed = not writes.unchanged_since(seed, site.session_factory)
                    tried += 1
                    where = f"{case.label} as {role.value}, {'.'.join(map(str, path))}={foreign}"
                    if changed:
                        wrong.append(f"{where}: the database changed ({answer.status_code})")
                    if answer.status_code in (403, 404):
                        continue
                    with rolled_back(site.connection):
                        made_up = call(
                            case,
                            target,
                            browsers=site.browsers,
                            api=site.api,
                            payload=_with(body, path, UNKNOWN_ID),
                        )
                    if answer.status_code != 422 or made_up.status_code != 422:
                        wrong.append(
                            f"{where}: answered {answer.status_code} "
                            f"(a made-up id: {made_up.status_code})"
                        )
    finally:
        writes.close()
    assert tried >= 10, f"only {tried} swaps were tried: is the catalog's body building broken?"
    assert not wrong, f"{len(wrong)} of {tried} swaps were not refused cleanly:\n" + "\n".join(
        wrong
    )
