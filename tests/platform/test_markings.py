"""TLP 2.0 markings: who may see a marked record, in Python and in SQL, alike."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, and_, exists, select

from vigil.platform.actor import Actor, anonymous, command_line
from vigil.platform.policy.markings import Tlp, marking_allows, marking_scope

OWNER, PARTNER, OUTSIDER = 10, 20, 30

OWNER_STAFF = Actor(kind="user", user_id=1, agency_id=OWNER)
NAMED_OWNER_STAFF = Actor(kind="user", user_id=2, agency_id=OWNER)
PARTNER_STAFF = Actor(kind="user", user_id=3, agency_id=PARTNER)
NAMED_PARTNER_STAFF = Actor(kind="user", user_id=4, agency_id=PARTNER)
OUTSIDER_STAFF = Actor(kind="user", user_id=5, agency_id=OUTSIDER)
NAMED_OUTSIDER = Actor(kind="user", user_id=6, agency_id=OUTSIDER)
ACTORS = {
    "owner": OWNER_STAFF,
    "named owner": NAMED_OWNER_STAFF,
    "partner": PARTNER_STAFF,
    "named partner": NAMED_PARTNER_STAFF,
    "outsider": OUTSIDER_STAFF,
    "named outsider": NAMED_OUTSIDER,
    "anonymous": anonymous(),
    "cli": command_line("root"),
}
SHARED_WITH = {PARTNER}
NAMED = {2, 4, 6}

# Who sees a record owned by OWNER, shared with PARTNER, naming users 2, 4 and 6.
EXPECTED = {
    Tlp.CLEAR: {"owner", "named owner", "partner", "named partner", "outsider", "named outsider"},
    Tlp.GREEN: {"owner", "named owner", "partner", "named partner", "outsider", "named outsider"},
    Tlp.AMBER: {"owner", "named owner", "partner", "named partner"},
    Tlp.AMBER_STRICT: {"owner", "named owner"},
    Tlp.RED: {"named owner", "named partner", "named outsider"},
}


def test_tlp_levels_are_the_five_of_tlp_2():
    assert [level.value for level in Tlp] == ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]


@pytest.mark.parametrize("marking", list(Tlp), ids=lambda level: level.value)
def test_marking_allows(marking):
    seen = {
        name
        for name, actor in ACTORS.items()
        if marking_allows(
            actor,
            owner_agency_id=OWNER,
            marking=marking,
            shared_agency_ids=SHARED_WITH,
            named_user_ids=NAMED,
        )
    }

    assert seen == EXPECTED[marking]


def test_amber_without_shares_is_the_owner_only():
    assert marking_allows(OWNER_STAFF, owner_agency_id=OWNER, marking="AMBER")
    assert not marking_allows(PARTNER_STAFF, owner_agency_id=OWNER, marking="AMBER")


def test_red_with_nobody_named_is_seen_by_nobody():
    assert not marking_allows(OWNER_STAFF, owner_agency_id=OWNER, marking=Tlp.RED)


def test_markings_are_accepted_as_stored_strings_and_unknown_ones_refused():
    assert marking_allows(OWNER_STAFF, owner_agency_id=OWNER, marking="AMBER+STRICT")
    with pytest.raises(ValueError):
        marking_allows(OWNER_STAFF, owner_agency_id=OWNER, marking="WHITE")


# --- the same rule as SQL -----------------------------------------------------------

metadata = MetaData()
records = Table(
    "test_marked_records",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_agency_id", Integer, nullable=False),
    Column("marking", String(20), nullable=False),
)
shares = Table(
    "test_marked_record_shares",
    metadata,
    Column("record_id", Integer, nullable=False),
    Column("agency_id", Integer, nullable=False),
)
named_users = Table(
    "test_marked_record_users",
    metadata,
    Column("record_id", Integer, nullable=False),
    Column("user_id", Integer, nullable=False),
)


@pytest.fixture()
def marked_records(db):
    """Every marking × owner × sharing × naming combination, in tables that exist only
    inside this test's transaction."""
    connection = db.connection()
    metadata.create_all(connection)
    rows, share_rows, name_rows = [], [], []
    record_id = 0
    for marking in Tlp:
        for owner in (OWNER, PARTNER, OUTSIDER):
            for shared_with in ((), (PARTNER,), (OUTSIDER, PARTNER)):
                for named in ((), (2,), (3, 6)):
                    record_id += 1
                    rows.append(
                        {"id": record_id, "owner_agency_id": owner, "marking": marking.value}
                    )
                    share_rows += [
                        {"record_id": record_id, "agency_id": agency} for agency in shared_with
                    ]
                    name_rows += [{"record_id": record_id, "user_id": user} for user in named]
    connection.execute(records.insert(), rows)
    connection.execute(shares.insert(), share_rows)
    connection.execute(named_users.insert(), name_rows)
    return rows, share_rows, name_rows


def visible_in_sql(db, actor) -> set[int]:
    condition = marking_scope(
        actor,
        owner_agency_column=records.c.owner_agency_id,
        marking_column=records.c.marking,
        shared_with_actor_agency=exists().where(
            and_(shares.c.record_id == records.c.id, shares.c.agency_id == actor.agency_id)
        ),
        actor_is_named=exists().where(
            and_(named_users.c.record_id == records.c.id, named_users.c.user_id == actor.user_id)
        ),
    )
    return set(db.execute(select(records.c.id).where(condition)).scalars())


@pytest.mark.parametrize("name", sorted(ACTORS))
def test_marking_scope_in_sql_gives_the_same_answers(db, marked_records, name):
    actor = ACTORS[name]
    rows, share_rows, name_rows = marked_records
    expected = {
        row["id"]
        for row in rows
        if marking_allows(
            actor,
            owner_agency_id=row["owner_agency_id"],
            marking=row["marking"],
            shared_agency_ids={s["agency_id"] for s in share_rows if s["record_id"] == row["id"]},
            named_user_ids={n["user_id"] for n in name_rows if n["record_id"] == row["id"]},
        )
    }

    assert visible_in_sql(db, actor) == expected
    if actor.is_user:
        assert expected, "every user sees at least the CLEAR records"
    else:
        assert expected == set()
