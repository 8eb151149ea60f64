"""The policy decision point: decide, authorize and scope for every registered object
type, and the same answer from ``decide`` (one object) and ``scope`` (SQL)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from tests.factories import actor_for, make_agency, make_user
from vigil.platform import audit, policy, sessions
from vigil.platform.accounts import UserDraft
from vigil.platform.actor import Actor, anonymous, command_line
from vigil.platform.models import Agency, ApiToken, AuditEvent, User
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import Role

RULE_TYPES = {"agency", "user", "role_grant", "account", "api_token", "audit_event", "dashboard"}
SCOPE_TYPES = {"agency", "user", "api_token", "audit_event"}
# Object types of the intake domain, with their own case tables: tests/reports/
# (test_report_policy.py, test_escalation.py, test_routing_admin.py).
DOMAIN_RULE_TYPES = {
    "report",
    "notification",
    "routing_rule",
    # linkage (tests/linkage)
    "person",
    "match_candidate",
    "report_pointer",
    "access_request",
    "link_run",
    # threat assessment (tests/assessment)
    "case",
    "instrument",
    "assessment_dashboard",
    "assessment_reminder",
    # information sharing (tests/sharing)
    "sharing_group",
    "dissemination",
    "report_export",
    "stix_import",
    "subscription",
    "deconfliction",
    "record_change",
    "withdrawn_copy",
    "bulletin",
    "public_alert",
    # preparedness (tests/preparedness)
    "protected_site",
    "site_assessment",
    "corrective_action",
    "training",
    "exercise",
    "capability_target",
    "preparedness_reminder",
    # response: reunification (tests/response)
    "reunification",
    # response: ICS records and resource requests (tests/response/test_ics_records.py,
    # test_resource_requests.py)
    "incident_record",
    "ics_form",
    "resource_request",
    "resource_catalogue",
    "operating_picture",
    # recovery: victim services (tests/recovery)
    "survivor_case",
    "survivor_operations",
    "survivor_statistics",
    "assistance_center",
    "fund",
    "fund_publication",
    "community_record",
    # understanding: the public incident catalogue (tests/analytics)
    "analytics_catalog",
    "analytics_link_decision",
    "analytics_outcomes",
    "analytics_outcome_sharing",
}
OPERATOR_ID, COUNTY_ID, CITY_ID = 1, 2, 3


def user_actor(roles=(), agency_id=COUNTY_ID, user_id=100) -> Actor:
    return Actor(
        kind="user",
        user_id=user_id,
        username=f"u{user_id}",
        agency_id=agency_id,
        agency_is_operator=agency_id == OPERATOR_ID,
        roles=frozenset(roles),
    )


def a_user(user_id: int, agency_id: int) -> User:
    """A User as the rules see it (not stored: decide needs no database)."""
    agency = Agency(
        id=agency_id, name=f"A{agency_id}", kind="other", is_operator=agency_id == OPERATOR_ID
    )
    return User(id=user_id, agency_id=agency_id, agency=agency, username=f"u{user_id}")


ANALYST = user_actor({Role.ANALYST})
COUNTY_ADMIN = user_actor({Role.AGENCY_ADMIN})
SYSADMIN = user_actor({Role.SYSTEM_ADMIN}, agency_id=OPERATOR_ID, user_id=1)
STRAY_SYSADMIN = user_actor({Role.SYSTEM_ADMIN})  # the role, outside the operator agency
COUNTY_AUDITOR = user_actor({Role.AUDITOR})
OPERATOR_AUDITOR = user_actor({Role.AUDITOR}, agency_id=OPERATOR_ID, user_id=2)
CLI = command_line("root")
ANONYMOUS = anonymous()
# A user actor without a user id (never built by for_user) is not a user.
HALF_USER = Actor(kind="user", agency_id=COUNTY_ID, roles=frozenset(Role))

COLLEAGUE = a_user(101, COUNTY_ID)
STRANGER = a_user(300, CITY_ID)
OPERATOR_STAFF = a_user(5, OPERATOR_ID)
SELF = a_user(100, COUNTY_ID)


def test_every_object_type_is_registered_and_no_other():
    # A new type needs its cases added here or in its domain's tests.
    assert set(policy._RULES) == RULE_TYPES | DOMAIN_RULE_TYPES
    assert set(policy._SCOPES) - DOMAIN_RULE_TYPES == SCOPE_TYPES


@pytest.mark.parametrize(
    "call",
    [
        lambda: policy.decide(ANALYST, "read", "no_such_type"),
        lambda: policy.authorize(SYSADMIN, "read", "no_such_type"),
        lambda: policy.scope(SYSADMIN, "list", "no_such_type"),
        lambda: policy.decide(CLI, "read", ""),
    ],
    ids=["decide", "authorize", "scope", "empty"],
)
def test_an_unknown_object_type_is_a_lookup_error(call):
    with pytest.raises(LookupError):
        call()


@pytest.mark.parametrize("object_type", sorted(RULE_TYPES - SCOPE_TYPES))
def test_types_without_a_list_have_no_scope(object_type):
    with pytest.raises(LookupError):
        policy.scope(SYSADMIN, "list", object_type)


@pytest.mark.parametrize("actor", [ANONYMOUS, HALF_USER], ids=["anonymous", "no-user-id"])
@pytest.mark.parametrize(
    "object_type,obj",
    [
        ("agency", None),
        ("user", COLLEAGUE),
        ("role_grant", (COLLEAGUE, Role.ANALYST)),
        ("account", SELF),
        ("api_token", ApiToken(user_id=100)),
        ("audit_event", None),
        ("dashboard", None),
    ],
)
@pytest.mark.parametrize(
    "action",
    ["read", "list", "create", "update", "grant", "view", "export", "grant_roles", "disable"],
)
def test_the_public_may_do_nothing(actor, object_type, obj, action):
    assert policy.decide(actor, action, object_type, obj) is False
    with pytest.raises(PermissionDenied):
        policy.authorize(actor, action, object_type, obj)


# Each case: actor, action, object type, object, expected answer.
CASES = [
    # agencies: every user reads them, the operator's system admin changes them
    (ANALYST, "read", "agency", None, True),
    (ANALYST, "list", "agency", None, True),
    (ANALYST, "create", "agency", None, False),
    (COUNTY_ADMIN, "update", "agency", None, False),
    (STRAY_SYSADMIN, "create", "agency", None, False),
    (SYSADMIN, "create", "agency", None, True),
    (SYSADMIN, "update", "agency", None, True),
    (SYSADMIN, "delete", "agency", None, False),
    (CLI, "create", "agency", None, True),
    (CLI, "delete", "agency", None, False),
    # users
    (ANALYST, "read", "user", SELF, True),
    (ANALYST, "read", "user", COLLEAGUE, False),
    (ANALYST, "list", "user", None, False),
    (ANALYST, "update", "user", SELF, False),
    (COUNTY_ADMIN, "read", "user", COLLEAGUE, True),
    (COUNTY_ADMIN, "read", "user", STRANGER, False),
    (COUNTY_ADMIN, "list", "user", None, True),
    (COUNTY_ADMIN, "create", "user", UserDraft(COUNTY_ID, False), True),
    (COUNTY_ADMIN, "create", "user", UserDraft(CITY_ID, False), False),
    (COUNTY_ADMIN, "disable", "user", COLLEAGUE, True),
    (COUNTY_ADMIN, "disable", "user", STRANGER, False),
    (COUNTY_ADMIN, "disable", "user", SELF, False),
    (COUNTY_ADMIN, "unlock", "user", SELF, False),
    (COUNTY_ADMIN, "grant_roles", "user", SELF, False),
    (COUNTY_ADMIN, "delete", "user", COLLEAGUE, False),
    (SYSADMIN, "read", "user", STRANGER, True),
    (SYSADMIN, "update", "user", STRANGER, True),
    (SYSADMIN, "create", "user", UserDraft(CITY_ID, False), True),
    (STRAY_SYSADMIN, "read", "user", COLLEAGUE, False),
    (STRAY_SYSADMIN, "create", "user", UserDraft(COUNTY_ID, False), False),
    (CLI, "update", "user", STRANGER, True),
    (CLI, "delete", "user", STRANGER, False),
    # role grants: only a role one holds, only where one administers
    (COUNTY_ADMIN, "grant", "role_grant", (COLLEAGUE, Role.AGENCY_ADMIN), True),
    (COUNTY_ADMIN, "grant", "role_grant", (COLLEAGUE, Role.ANALYST), False),
    (COUNTY_ADMIN, "grant", "role_grant", (STRANGER, Role.AGENCY_ADMIN), False),
    (COUNTY_ADMIN, "grant", "role_grant", (SELF, Role.AGENCY_ADMIN), False),
    (SYSADMIN, "grant", "role_grant", (OPERATOR_STAFF, Role.SYSTEM_ADMIN), True),
    (SYSADMIN, "grant", "role_grant", (STRANGER, Role.SYSTEM_ADMIN), False),
    (SYSADMIN, "grant", "role_grant", (UserDraft(OPERATOR_ID, True), Role.SYSTEM_ADMIN), True),
    (SYSADMIN, "grant", "role_grant", (UserDraft(CITY_ID, False), Role.SYSTEM_ADMIN), False),
    (SYSADMIN, "grant", "role_grant", (STRANGER, Role.ANALYST), False),
    (CLI, "grant", "role_grant", (STRANGER, Role.SYSTEM_ADMIN), True),
    # one's own account
    (ANALYST, "update", "account", SELF, True),
    (ANALYST, "update", "account", COLLEAGUE, False),
    (SYSADMIN, "update", "account", COLLEAGUE, False),
    (ANALYST, "update", "account", None, False),
    # API tokens: one's own only
    (ANALYST, "create", "api_token", None, True),
    (ANALYST, "list", "api_token", None, True),
    (ANALYST, "revoke", "api_token", ApiToken(user_id=100), True),
    (ANALYST, "revoke", "api_token", ApiToken(user_id=101), False),
    (SYSADMIN, "revoke", "api_token", ApiToken(user_id=101), False),
    (CLI, "create", "api_token", None, False),
    # the audit trail: auditors, and in their agency unless in the operator's
    (ANALYST, "list", "audit_event", None, False),
    (SYSADMIN, "list", "audit_event", None, False),
    (COUNTY_AUDITOR, "list", "audit_event", None, True),
    (COUNTY_AUDITOR, "export", "audit_event", None, True),
    (COUNTY_AUDITOR, "read", "audit_event", AuditEvent(agency_id=COUNTY_ID), True),
    (COUNTY_AUDITOR, "read", "audit_event", AuditEvent(agency_id=CITY_ID), False),
    (COUNTY_AUDITOR, "read", "audit_event", AuditEvent(agency_id=None), False),
    (COUNTY_AUDITOR, "verify", "audit_event", None, False),
    (OPERATOR_AUDITOR, "read", "audit_event", AuditEvent(agency_id=CITY_ID), True),
    (OPERATOR_AUDITOR, "read", "audit_event", AuditEvent(agency_id=None), True),
    (CLI, "verify", "audit_event", None, True),
    (CLI, "checkpoint", "audit_event", None, True),
    (CLI, "export", "audit_event", None, True),
    (CLI, "list", "audit_event", None, False),
    # the dashboard
    (ANALYST, "view", "dashboard", None, True),
    (ANALYST, "update", "dashboard", None, False),
    (CLI, "view", "dashboard", None, False),
]


@pytest.mark.parametrize("actor,action,object_type,obj,expected", CASES)
def test_decide_and_authorize_agree(actor, action, object_type, obj, expected):
    assert policy.decide(actor, action, object_type, obj) is expected
    if expected:
        policy.authorize(actor, action, object_type, obj)
    else:
        with pytest.raises(PermissionDenied) as denied:
            policy.authorize(actor, action, object_type, obj)
        assert (denied.value.action, denied.value.object_type) == (action, object_type)
        assert denied.value.object_id == getattr(obj, "id", None)


def test_every_registered_type_has_cases():
    assert {case[2] for case in CASES} == RULE_TYPES


def test_decisions_are_recorded_for_the_request():
    decisions = policy.start_recording()

    policy.decide(ANALYST, "view", "dashboard")
    policy.decide(ANALYST, "list", "user")
    policy.scope(COUNTY_ADMIN, "list", "user")

    assert [(d.action, d.object_type, d.allowed) for d in decisions] == [
        ("view", "dashboard", True),
        ("list", "user", False),
        ("list", "user", True),
    ]


# --- the role-grant lattice ---------------------------------------------------------

TARGETS = {
    "colleague": COLLEAGUE,
    "stranger": STRANGER,
    "operator staff": OPERATOR_STAFF,
    "self": SELF,
    "draft here": UserDraft(COUNTY_ID, False),
    "draft elsewhere": UserDraft(CITY_ID, False),
    "draft in operator": UserDraft(OPERATOR_ID, True),
}


@given(
    roles=st.frozensets(st.sampled_from(list(Role))),
    role=st.sampled_from(list(Role)),
    home=st.sampled_from([OPERATOR_ID, COUNTY_ID]),
    target_name=st.sampled_from(sorted(TARGETS)),
)
def test_a_role_is_grantable_iff_held_and_the_target_is_administered(
    roles, role, home, target_name
):
    actor = user_actor(roles, agency_id=home, user_id=100)
    target = TARGETS[target_name]
    target_agency = target.agency_id
    target_in_operator = target_agency == OPERATOR_ID
    is_self = getattr(target, "id", None) == actor.user_id
    administers = (Role.SYSTEM_ADMIN in roles and home == OPERATOR_ID) or (
        Role.AGENCY_ADMIN in roles and target_agency == home
    )
    expected = (
        role in roles
        and administers
        and not is_self
        and (role is not Role.SYSTEM_ADMIN or target_in_operator)
    )

    assert policy.decide(actor, "grant", "role_grant", (target, role)) is expected


# --- scope: the SQL answer equals the one-object answer -----------------------------


@pytest.fixture()
def population(db):
    operator = make_agency(db, is_operator=True)
    county, city = make_agency(db), make_agency(db)
    people = {
        "sysadmin": make_user(db, agency=operator, roles={Role.SYSTEM_ADMIN}),
        "operator_auditor": make_user(db, agency=operator, roles={Role.AUDITOR}),
        "county_admin": make_user(db, agency=county, roles={Role.AGENCY_ADMIN}),
        "county_auditor": make_user(db, agency=county, roles={Role.AUDITOR}),
        "county_analyst": make_user(db, agency=county, roles={Role.ANALYST}),
        "stray_sysadmin": make_user(db, agency=county, roles={Role.SYSTEM_ADMIN}),
        "city_analyst": make_user(db, agency=city, roles={Role.ANALYST}),
    }
    for person in people.values():
        sessions.create_api_token(db, user=person, name="t", days=1)
        audit.record(db, actor=actor_for(person), action="user.read")
    audit.record(db, actor=anonymous(), action="auth.login", outcome="failure")
    db.flush()
    actors = {name: actor_for(person) for name, person in people.items()}
    actors["cli"], actors["anonymous"] = CLI, ANONYMOUS
    return actors


def scoped_ids(db, actor, model, object_type, key):
    return set(db.execute(select(key).where(policy.scope(actor, "list", object_type))).scalars())


@pytest.mark.parametrize(
    "object_type,model,key",
    [
        ("user", User, User.id),
        ("api_token", ApiToken, ApiToken.id),
        ("agency", Agency, Agency.id),
        ("audit_event", AuditEvent, AuditEvent.seq),
    ],
)
def test_scope_selects_exactly_what_decide_allows(db, population, object_type, model, key):
    everything = list(db.execute(select(model)).scalars())
    for name, actor in population.items():
        if object_type == "audit_event" and actor.kind == "cli":
            continue  # the command line exports the whole trail; it does not "read" events
        allowed = {
            row_key(row) for row in everything if policy.decide(actor, "read", object_type, row)
        }
        assert scoped_ids(db, actor, model, object_type, key) == allowed, name


def row_key(row):
    return row.seq if isinstance(row, AuditEvent) else row.id


def test_the_scopes_see_what_each_actor_should(db, population):
    county_admin, county_auditor = population["county_admin"], population["county_auditor"]
    county_users = set(
        db.execute(select(User.id).where(User.agency_id == county_admin.agency_id)).scalars()
    )
    all_users = set(db.execute(select(User.id)).scalars())
    all_events = set(db.execute(select(AuditEvent.seq)).scalars())

    assert scoped_ids(db, county_admin, User, "user", User.id) == county_users
    assert scoped_ids(db, population["sysadmin"], User, "user", User.id) == all_users
    assert scoped_ids(db, population["cli"], User, "user", User.id) == all_users
    assert scoped_ids(db, population["stray_sysadmin"], User, "user", User.id) == {
        population["stray_sysadmin"].user_id
    }
    assert scoped_ids(db, population["anonymous"], User, "user", User.id) == set()
    county_events = scoped_ids(db, county_auditor, AuditEvent, "audit_event", AuditEvent.seq)
    assert county_events and county_events < all_events
    assert (
        scoped_ids(db, population["operator_auditor"], AuditEvent, "audit_event", AuditEvent.seq)
        == all_events
    )
    assert (
        scoped_ids(db, population["cli"], AuditEvent, "audit_event", AuditEvent.seq) == all_events
    )
    assert (
        scoped_ids(db, population["county_analyst"], AuditEvent, "audit_event", AuditEvent.seq)
        == set()
    )
    tokens = scoped_ids(db, population["county_analyst"], ApiToken, "api_token", ApiToken.id)
    assert len(tokens) == 1
