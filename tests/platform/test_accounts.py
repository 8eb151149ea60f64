"""Agencies and users: who may administer whom, the role lattice (one grants only
what one holds, only where one administers), and what every change leaves behind."""

from __future__ import annotations

import inspect
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.factories import actor_for, make_agency, make_user
from tests.platform.audit_checks import assert_audit_free_of, audit_rows
from vigil.platform import accounts, passwords, sessions
from vigil.platform.actor import anonymous, command_line
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Agency, User
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import AgencyKind, Role

ALL_ROLES = list(Role)


@pytest.fixture()
def world(db):
    operator = make_agency(db, name="State Operator", is_operator=True)
    county = make_agency(db, name="County Sheriff")
    city = make_agency(db, name="City Schools", kind=AgencyKind.SCHOOL_OR_CAMPUS)
    return {
        "operator": operator,
        "county": county,
        "city": city,
        "sysadmin": make_user(db, agency=operator, roles={Role.SYSTEM_ADMIN}, username="sys.admin"),
        "county_admin": make_user(
            db, agency=county, roles={Role.AGENCY_ADMIN, Role.ANALYST}, username="county.admin"
        ),
        "county_user": make_user(
            db, agency=county, roles={Role.ANALYST}, username="county.analyst"
        ),
        "city_user": make_user(db, agency=city, roles={Role.ANALYST}, username="city.analyst"),
    }


def new_user(db, settings, actor, agency, roles=frozenset(), username="new.user", **kwargs):
    return accounts.create_user(
        db,
        actor=actor,
        settings=settings,
        agency_id=agency.id,
        username=username,
        display_name=kwargs.pop("display_name", "New User"),
        email=kwargs.pop("email", None),
        roles=roles,
        password=kwargs.pop("password", None),
    )


def user_count(db) -> int:
    return db.execute(select(func.count()).select_from(User)).scalar_one()


def last_event(db) -> dict:
    return max(audit_rows(db), key=lambda row: row["seq"])


# --- creating users -----------------------------------------------------------------


def test_an_agency_admin_creates_users_in_its_own_agency(db, settings, world):
    admin = actor_for(world["county_admin"])

    user = new_user(
        db,
        settings,
        admin,
        world["county"],
        {Role.ANALYST},
        username="  New.Analyst ",
        display_name="  Pat   Lee ",
        email="pat@example.org",
    )

    assert (user.username, user.display_name, user.email) == (
        "new.analyst",
        "Pat Lee",
        "pat@example.org",
    )
    assert user.agency_id == world["county"].id
    assert user.roles == {Role.ANALYST}
    assert user.password_hash is None  # single sign-on only
    event = last_event(db)
    assert (event["action"], event["object_id"], event["agency_id"], event["actor_id"]) == (
        "user.create",
        str(user.id),
        world["county"].id,
        admin.user_id,
    )
    assert event["details"] == {"roles": ["analyst"]}


def test_an_agency_admin_cannot_create_users_in_another_agency(db, settings, world):
    before = user_count(db)

    with pytest.raises(PermissionDenied):
        new_user(db, settings, actor_for(world["county_admin"]), world["city"])

    assert user_count(db) == before


def test_an_agency_admin_grants_only_roles_it_holds(db, settings, world):
    admin = actor_for(world["county_admin"])

    for role in (Role.SUPERVISOR, Role.AUDITOR, Role.SYSTEM_ADMIN):
        with pytest.raises(PermissionDenied):
            new_user(db, settings, admin, world["county"], {Role.ANALYST, role})
    assert new_user(
        db, settings, admin, world["county"], {Role.ANALYST, Role.AGENCY_ADMIN}
    ).roles == {Role.ANALYST, Role.AGENCY_ADMIN}


def test_a_system_admin_creates_users_in_any_agency(db, settings, world):
    sysadmin = actor_for(world["sysadmin"])

    created = [
        new_user(db, settings, sysadmin, world[name], username=f"made.in.{name}")
        for name in ("operator", "county", "city")
    ]

    assert [user.agency_id for user in created] == [
        world[name].id for name in ("operator", "county", "city")
    ]


def test_system_admin_exists_only_in_the_operator_agency(db, settings, world):
    sysadmin = actor_for(world["sysadmin"])

    for name in ("county", "city"):
        with pytest.raises(PermissionDenied):
            new_user(db, settings, sysadmin, world[name], {Role.SYSTEM_ADMIN})
        with pytest.raises(PermissionDenied):
            accounts.set_roles(
                db,
                actor=sysadmin,
                user_id=world[f"{name}_user"].id,
                roles={Role.SYSTEM_ADMIN, Role.ANALYST},
            )
    made = new_user(db, settings, sysadmin, world["operator"], {Role.SYSTEM_ADMIN})
    assert made.roles == {Role.SYSTEM_ADMIN}


def test_the_system_admin_role_outside_the_operator_agency_reaches_nowhere(db, settings, world):
    stray = actor_for(make_user(db, agency=world["county"], roles={Role.SYSTEM_ADMIN}))

    for name in ("county", "city", "operator"):
        with pytest.raises(PermissionDenied):
            new_user(db, settings, stray, world[name])
    with pytest.raises(NotFound):
        accounts.get_user(db, actor=stray, user_id=world["city_user"].id)


def test_an_unknown_agency_is_bad_input(db, settings, world):
    with pytest.raises(InvalidInput) as error:
        accounts.create_user(
            db,
            actor=actor_for(world["sysadmin"]),
            settings=settings,
            agency_id=999_999,
            username="x.y",
            display_name="X",
            email=None,
            roles=(),
            password=None,
        )
    assert "agency_id" in error.value.errors


@pytest.mark.parametrize(
    "username", ["a", "-starts.with.dash", "has space", "ünïcode", "semi;colon", "x" * 151]
)
def test_usernames_are_checked(db, settings, world, username):
    with pytest.raises(InvalidInput) as error:
        new_user(db, settings, actor_for(world["county_admin"]), world["county"], username=username)
    assert "username" in error.value.errors


def test_usernames_are_unique_whatever_the_case(db, settings, world):
    with pytest.raises(Conflict):
        new_user(
            db,
            settings,
            actor_for(world["county_admin"]),
            world["county"],
            username="County.Analyst",
        )


@pytest.mark.usefixtures("fast_argon2")
def test_a_new_users_password_must_pass_the_rules(db, settings, world):
    admin = actor_for(world["county_admin"])

    for weak in ("short", "qwerty123456", "new.user"):
        with pytest.raises(InvalidInput) as error:
            new_user(db, settings, admin, world["county"], password=weak)
        assert "password" in error.value.errors
    user = new_user(db, settings, admin, world["county"], password="a perfectly fine one")
    assert passwords.verify_password(user.password_hash, "a perfectly fine one")
    assert_audit_free_of(db, "a perfectly fine one", "qwerty123456")


def test_a_stored_user_reads_back_with_its_roles_and_utc_times(db, settings, world):
    made = new_user(
        db,
        settings,
        actor_for(world["county_admin"]),
        world["county"],
        {Role.ANALYST, Role.AGENCY_ADMIN},
        username="round.trip",
    )
    db.commit()
    db.expire_all()

    found = db.execute(select(User).where(User.username == "round.trip")).scalar_one()

    assert found.id == made.id
    assert found.roles == {Role.ANALYST, Role.AGENCY_ADMIN}
    assert found.created_at.utcoffset() == timedelta(0)
    assert found.agency.name == "County Sheriff"


# --- other agencies' users ----------------------------------------------------------


ADMIN_OPERATIONS = {
    "update": lambda db, actor, uid, settings: accounts.update_user(
        db, actor=actor, user_id=uid, display_name="Changed", email=None
    ),
    "set_roles": lambda db, actor, uid, settings: accounts.set_roles(
        db, actor=actor, user_id=uid, roles={Role.ANALYST}
    ),
    "disable": lambda db, actor, uid, settings: accounts.disable_user(db, actor=actor, user_id=uid),
    "enable": lambda db, actor, uid, settings: accounts.enable_user(db, actor=actor, user_id=uid),
    "unlock": lambda db, actor, uid, settings: accounts.unlock_user(db, actor=actor, user_id=uid),
    "reset_mfa": lambda db, actor, uid, settings: accounts.reset_mfa(db, actor=actor, user_id=uid),
    "set_password": lambda db, actor, uid, settings: accounts.set_password_by_admin(
        db, actor=actor, settings=settings, user_id=uid, password="irrelevant here"
    ),
}


@pytest.mark.parametrize("operation", sorted(ADMIN_OPERATIONS))
def test_another_agencys_users_are_not_found(db, settings, world, operation):
    admin = actor_for(world["county_admin"])
    target = world["city_user"]
    before = last_event(db)["seq"] if audit_rows(db) else 0

    with pytest.raises(NotFound):
        accounts.get_user(db, actor=admin, user_id=target.id)
    with pytest.raises(NotFound):
        ADMIN_OPERATIONS[operation](db, admin, target.id, settings)

    db.expire_all()
    target = db.get(User, target.id)
    assert (target.display_name, target.roles, target.disabled_at) == (
        "Test User",
        {Role.ANALYST},
        None,
    )
    assert all(row["seq"] <= before for row in audit_rows(db))


@pytest.mark.parametrize("operation", sorted(ADMIN_OPERATIONS))
def test_nobody_administers_their_own_account(db, settings, world, operation):
    admin = world["county_admin"]
    actor = actor_for(admin)

    assert accounts.get_user(db, actor=actor, user_id=admin.id) is admin  # reading is fine
    with pytest.raises(PermissionDenied):
        ADMIN_OPERATIONS[operation](db, actor, admin.id, settings)

    db.expire_all()
    admin = db.get(User, admin.id)
    assert admin.roles == {Role.AGENCY_ADMIN, Role.ANALYST}
    assert admin.disabled_at is None


@pytest.mark.parametrize("operation", sorted(ADMIN_OPERATIONS))
def test_a_plain_user_administers_nobody(db, settings, world, operation):
    analyst = actor_for(world["county_user"])
    colleague = make_user(db, agency=world["county"])

    with pytest.raises(NotFound):
        ADMIN_OPERATIONS[operation](db, analyst, colleague.id, settings)


def test_the_user_list_is_limited_to_what_the_actor_may_see(db, world):
    county_admin = actor_for(world["county_admin"])

    county_view = accounts.list_users(db, actor=county_admin)
    everyone = accounts.list_users(db, actor=actor_for(world["sysadmin"]))

    assert {user.agency_id for user in county_view} == {world["county"].id}
    assert {user.username for user in county_view} >= {"county.admin", "county.analyst"}
    assert {user.username for user in everyone} >= {
        "sys.admin",
        "county.admin",
        "county.analyst",
        "city.analyst",
    }
    assert len(everyone) == user_count(db)
    assert accounts.list_users(db, actor=county_admin, agency_id=world["city"].id) == []
    assert last_event(db)["action"] == "user.list"
    with pytest.raises(PermissionDenied):
        accounts.list_users(db, actor=actor_for(world["county_user"]))


def test_there_is_no_way_to_move_a_user_to_another_agency(db, world):
    target = world["county_user"]

    with pytest.raises(TypeError):
        accounts.update_user(
            db,
            actor=actor_for(world["sysadmin"]),
            user_id=target.id,
            display_name="Moved",
            email=None,
            agency_id=world["city"].id,
        )  # type: ignore[call-arg]

    assert db.get(User, target.id).agency_id == world["county"].id
    # Only creating a user (and filtering a list) takes an agency for a user.
    takes_agency = {
        name
        for name, function in inspect.getmembers(accounts, inspect.isfunction)
        if function.__module__ == accounts.__name__
        and not name.startswith("_")
        and "agency_id" in inspect.signature(function).parameters
    }
    assert takes_agency == {"create_user", "list_users", "get_agency", "update_agency"}


# --- changing users -----------------------------------------------------------------


def test_an_admin_changes_a_users_details_and_it_is_audited(db, world):
    target = world["county_user"]

    accounts.update_user(
        db,
        actor=actor_for(world["county_admin"]),
        user_id=target.id,
        display_name="  Renamed   Person ",
        email="",
    )

    assert (target.display_name, target.email) == ("Renamed Person", None)
    assert (last_event(db)["action"], last_event(db)["object_id"]) == (
        "user.update",
        str(target.id),
    )


def test_removing_a_role_also_needs_the_actor_to_hold_it(db, world):
    admin = actor_for(world["county_admin"])  # agency_admin + analyst
    target = make_user(db, agency=world["county"], roles={Role.SUPERVISOR})

    with pytest.raises(PermissionDenied):
        accounts.set_roles(db, actor=admin, user_id=target.id, roles=set())
    assert target.roles == {Role.SUPERVISOR}

    # Leaving the supervisor role alone and adding one the admin holds is fine.
    accounts.set_roles(db, actor=admin, user_id=target.id, roles={Role.SUPERVISOR, Role.ANALYST})
    assert target.roles == {Role.SUPERVISOR, Role.ANALYST}
    assert last_event(db)["details"] == {"roles": ["analyst", "supervisor"]}


def test_disable_and_enable(db, world):
    admin = actor_for(world["county_admin"])
    target = world["county_user"]

    accounts.disable_user(db, actor=admin, user_id=target.id)
    assert not target.is_active
    accounts.enable_user(db, actor=admin, user_id=target.id)
    assert target.is_active
    assert [row["action"] for row in audit_rows(db)][-2:] == ["user.disable", "user.enable"]


@pytest.mark.usefixtures("fast_argon2")
def test_an_admin_sets_a_password_ending_the_users_sessions(db, settings, world):
    target = world["county_user"]
    raw, _ = sessions.start_session(db, user=target, mfa_verified=True)

    accounts.set_password_by_admin(
        db,
        actor=actor_for(world["county_admin"]),
        settings=settings,
        user_id=target.id,
        password="a brand new passphrase",
    )

    assert passwords.verify_password(target.password_hash, "a brand new passphrase")
    limits = sessions.SessionLimits(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
    assert sessions.resolve_session(db, raw, limits=limits) is None
    assert_audit_free_of(db, "a brand new passphrase")


@pytest.mark.usefixtures("fast_argon2")
def test_credentials_of_a_user_with_roles_the_admin_lacks_cannot_be_reset(db, settings, world):
    """Setting a password or resetting MFA lets the admin sign in as the target, so it
    needs every role the target holds, like granting those roles would."""
    admin = actor_for(world["county_admin"])  # agency admin + analyst
    auditor = make_user(
        db, agency=world["county"], roles={Role.AUDITOR, Role.ANALYST}, username="county.aud"
    )
    auditor.mfa_enabled = True
    before = (auditor.password_hash, auditor.mfa_enabled)
    with pytest.raises(PermissionDenied):
        accounts.set_password_by_admin(
            db,
            actor=admin,
            settings=settings,
            user_id=auditor.id,
            password="a takeover passphrase",
        )
    with pytest.raises(PermissionDenied):
        accounts.reset_mfa(db, actor=admin, user_id=auditor.id)
    assert (auditor.password_hash, auditor.mfa_enabled) == before
    # Still allowed: what does not escalate.
    accounts.unlock_user(db, actor=admin, user_id=auditor.id)
    accounts.reset_mfa(db, actor=admin, user_id=world["county_user"].id)
    # And the command line (the server's operator) can always recover an account.
    accounts.reset_mfa(db, actor=command_line("root"), user_id=auditor.id)
    assert auditor.mfa_enabled is False


@pytest.mark.usefixtures("fast_argon2")
def test_changing_ones_own_password_needs_the_current_one(db, settings, world):
    me = make_user(db, agency=world["county"], password="my current passphrase")
    actor = actor_for(me)

    with pytest.raises(InvalidInput) as error:
        accounts.change_own_password(
            db,
            actor=actor,
            settings=settings,
            current="not my passphrase",
            new="my next passphrase",
        )
    assert "current_password" in error.value.errors
    assert (last_event(db)["action"], last_event(db)["outcome"]) == ("account.password", "failure")

    accounts.change_own_password(
        db,
        actor=actor,
        settings=settings,
        current="my current passphrase",
        new="my next passphrase",
    )
    assert passwords.verify_password(me.password_hash, "my next passphrase")
    assert_audit_free_of(db, "my current passphrase", "not my passphrase", "my next passphrase")


# --- agencies -----------------------------------------------------------------------


def test_only_the_operators_system_admin_or_the_command_line_create_agencies(db, world):
    made = accounts.create_agency(
        db,
        actor=actor_for(world["sysadmin"]),
        name="  Regional   Fusion Center ",
        kind=AgencyKind.FUSION_CENTER,
    )
    assert made.name == "Regional Fusion Center"
    assert last_event(db)["action"] == "agency.create"
    assert accounts.create_agency(
        db, actor=command_line("root"), name="Another", kind=AgencyKind.OTHER
    ).id

    for actor in (actor_for(world["county_admin"]), actor_for(world["county_user"]), anonymous()):
        with pytest.raises(PermissionDenied):
            accounts.create_agency(db, actor=actor, name="Not Allowed", kind=AgencyKind.OTHER)


def test_agency_names_are_unique_and_there_is_one_operator(db, world):
    sysadmin = actor_for(world["sysadmin"])

    with pytest.raises(Conflict):
        accounts.create_agency(db, actor=sysadmin, name="county   SHERIFF", kind=AgencyKind.OTHER)
    with pytest.raises(Conflict):
        accounts.create_agency(
            db, actor=sysadmin, name="Second Operator", kind=AgencyKind.OTHER, is_operator=True
        )
    with pytest.raises(InvalidInput):
        accounts.update_agency(
            db,
            actor=sysadmin,
            agency_id=world["operator"].id,
            name="State Operator",
            kind=AgencyKind.OTHER,
            active=False,
        )
    with pytest.raises(Conflict):
        accounts.update_agency(
            db,
            actor=sysadmin,
            agency_id=world["city"].id,
            name="County Sheriff",
            kind=AgencyKind.OTHER,
            active=True,
        )


def test_every_user_may_see_the_agencies_but_only_the_operator_changes_them(db, world):
    analyst = actor_for(world["city_user"])

    names = [agency.name for agency in accounts.list_agencies(db, actor=analyst)]
    assert names == sorted(names)
    assert {"State Operator", "County Sheriff", "City Schools"} <= set(names)
    assert accounts.get_agency(db, actor=analyst, agency_id=world["county"].id).id
    with pytest.raises(PermissionDenied):
        accounts.update_agency(
            db,
            actor=analyst,
            agency_id=world["city"].id,
            name="Renamed",
            kind=AgencyKind.OTHER,
            active=True,
        )
    with pytest.raises(PermissionDenied):
        accounts.list_agencies(db, actor=anonymous())
    with pytest.raises(NotFound):
        accounts.get_agency(db, actor=anonymous(), agency_id=world["county"].id)

    accounts.update_agency(
        db,
        actor=actor_for(world["sysadmin"]),
        agency_id=world["city"].id,
        name="City Schools District",
        kind=AgencyKind.SCHOOL_OR_CAMPUS,
        active=False,
    )
    assert db.get(Agency, world["city"].id).active is False


# --- the role lattice, for arbitrary actors and requests ----------------------------

role_sets = st.frozensets(st.sampled_from(ALL_ROLES))
lattice_settings = hypothesis_settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _administers(actor_roles, actor_agency, target_agency) -> bool:
    if Role.SYSTEM_ADMIN in actor_roles and actor_agency.is_operator:
        return True
    return Role.AGENCY_ADMIN in actor_roles and actor_agency.id == target_agency.id


@lattice_settings
@example(
    actor_roles=frozenset({Role.AGENCY_ADMIN, Role.ANALYST}),
    requested=frozenset({Role.ANALYST}),
    actor_home="county",
    target_home="county",
)
@example(
    actor_roles=frozenset({Role.AGENCY_ADMIN, Role.ANALYST}),
    requested=frozenset({Role.ANALYST}),
    actor_home="county",
    target_home="city",
)
@example(
    actor_roles=frozenset({Role.SYSTEM_ADMIN}),
    requested=frozenset({Role.SYSTEM_ADMIN}),
    actor_home="operator",
    target_home="city",
)
@example(
    actor_roles=frozenset({Role.SYSTEM_ADMIN}),
    requested=frozenset(),
    actor_home="county",
    target_home="county",
)
@given(
    actor_roles=role_sets,
    requested=role_sets,
    actor_home=st.sampled_from(["operator", "county"]),
    target_home=st.sampled_from(["operator", "county", "city"]),
)
def test_a_user_is_created_iff_the_actor_holds_every_role_and_administers_the_agency(
    db, settings, world, actor_roles, requested, actor_home, target_home
):
    actor_agency, target_agency = world[actor_home], world[target_home]
    expected = (
        _administers(actor_roles, actor_agency, target_agency)
        and requested <= actor_roles
        and (Role.SYSTEM_ADMIN not in requested or target_agency.is_operator)
    )
    savepoint = db.begin_nested()
    try:
        actor = actor_for(make_user(db, agency=actor_agency, roles=actor_roles))
        try:
            user = new_user(db, settings, actor, target_agency, requested, username="lattice.user")
        except PermissionDenied:
            created = False
            assert (
                db.execute(select(User.id).where(User.username == "lattice.user")).first() is None
            )
        else:
            created = True
            assert (user.roles, user.agency_id) == (requested, target_agency.id)
        assert created is expected
        event(f"created={created}")
    finally:
        savepoint.rollback()


@lattice_settings
@given(
    actor_roles=role_sets,
    current=role_sets,
    wanted=role_sets,
    actor_home=st.sampled_from(["operator", "county"]),
    target_home=st.sampled_from(["operator", "county", "city"]),
)
def test_roles_change_iff_the_actor_holds_every_changed_role_and_administers_the_user(
    db, world, actor_roles, current, wanted, actor_home, target_home
):
    actor_agency, target_agency = world[actor_home], world[target_home]
    if not target_agency.is_operator:
        current = current - {Role.SYSTEM_ADMIN}
    changed = wanted ^ current
    if not _administers(actor_roles, actor_agency, target_agency):
        expected = NotFound  # another agency's user: not even its existence is told
    elif changed <= actor_roles and (Role.SYSTEM_ADMIN not in changed or target_agency.is_operator):
        expected = None
    else:
        expected = PermissionDenied
    savepoint = db.begin_nested()
    try:
        actor = actor_for(make_user(db, agency=actor_agency, roles=actor_roles))
        target = make_user(db, agency=target_agency, roles=current)
        outcome = None
        try:
            accounts.set_roles(db, actor=actor, user_id=target.id, roles=wanted)
        except (NotFound, PermissionDenied) as error:
            outcome = type(error)
        assert outcome is expected
        event(f"outcome={getattr(outcome, '__name__', 'changed')}")
        db.flush()
        db.expire(target)
        assert target.roles == (wanted if expected is None else current)
    finally:
        savepoint.rollback()
