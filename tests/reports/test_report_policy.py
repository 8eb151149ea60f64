"""Who may read and work a report: every TLP marking × file class × relation to the
report gives the answer written down here by hand (from TLP 2.0 and 28 CFR Part 23,
not from the code), and ``scope`` (SQL) selects exactly the reports ``decide`` allows,
on both databases, for generated reports and actors. The queue and its count use it."""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import make_agency, make_user
from tests.reports.factories import make_report
from vigil.platform import policy
from vigil.platform.actor import Actor, anonymous, command_line
from vigil.platform.models import Agency, User
from vigil.platform.roles import Role
from vigil.reports import service
from vigil.reports.models import Report, ReportRecipient, ReportShare

OWNER, ROUTED, SHARED, UNRELATED, OPERATOR = 1, 2, 3, 4, 5
NAMED_USER = 50  # a named recipient (TLP:RED), in the unrelated agency
MARKINGS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
CLASSES = ("tip_lead", "sar", "intelligence")
READER_ROLES = (Role.ANALYST, Role.SUPERVISOR, Role.TIPLINE_OPERATOR, Role.THREAT_ASSESSMENT)
NON_READER_ROLES = (Role.AGENCY_ADMIN, Role.AUDITOR, Role.SYSTEM_ADMIN)

# Who reads a report, by its marking and file class. Columns: a user of the owning
# agency, of the agency it is routed to, of an agency it is shared with, of an
# unrelated agency; a named recipient in an unrelated agency; a named recipient in the
# owning agency. Community markings reach everyone, except criminal intelligence, which
# is need-to-know whatever its marking says. RED reaches named recipients only.
#                                    own  rout shar unrl named own+named
READS: dict[tuple[str, str], str] = {
    ("CLEAR", "tip_lead"):              "Y    Y    Y    Y    Y    Y",
    ("CLEAR", "sar"):                   "Y    Y    Y    Y    Y    Y",
    ("CLEAR", "intelligence"):          "Y    Y    Y    N    N    Y",
    ("GREEN", "tip_lead"):              "Y    Y    Y    Y    Y    Y",
    ("GREEN", "sar"):                   "Y    Y    Y    Y    Y    Y",
    ("GREEN", "intelligence"):          "Y    Y    Y    N    N    Y",
    ("AMBER", "tip_lead"):              "Y    Y    Y    N    N    Y",
    ("AMBER", "sar"):                   "Y    Y    Y    N    N    Y",
    ("AMBER", "intelligence"):          "Y    Y    Y    N    N    Y",
    ("AMBER+STRICT", "tip_lead"):       "Y    Y    N    N    N    Y",
    ("AMBER+STRICT", "sar"):            "Y    Y    N    N    N    Y",
    ("AMBER+STRICT", "intelligence"):   "Y    Y    N    N    N    Y",
    ("RED", "tip_lead"):                "N    N    N    N    Y    Y",
    ("RED", "sar"):                     "N    N    N    N    Y    Y",
    ("RED", "intelligence"):            "N    N    N    N    Y    Y",
}  # fmt: skip
RELATIONS = ("owner", "routed", "shared", "unrelated", "named", "owner_named")
RELATION_ACTOR = {  # (agency, user id) of each column
    "owner": (OWNER, 10),
    "routed": (ROUTED, 20),
    "shared": (SHARED, 30),
    "unrelated": (UNRELATED, 40),
    "named": (UNRELATED, NAMED_USER),
    "owner_named": (OWNER, 11),
}

# What a reader may do with an AMBER tip/lead it can see, by its relation to the report
# and its role. Owners decide dissemination and vetting (supervisors vet); the routed
# agency works the report; a shared agency only reads.
ACTIONS = (
    "acknowledge",
    "dispose",
    "route",
    "override_level",
    "message_tipster",
    "share",
    "promote_sar",
    "promote_intelligence",
    "retention_review",
)
#                                    ack  disp rout lvl  msg  shar sar  intl rvw
WORKS: dict[tuple[str, Role], str] = {
    ("owner", Role.ANALYST):            "Y    Y    Y    Y    Y    Y    N    N    N",
    ("owner", Role.SUPERVISOR):         "Y    Y    Y    Y    Y    Y    Y    Y    Y",
    ("owner", Role.TIPLINE_OPERATOR):   "Y    Y    Y    N    Y    N    N    N    N",
    ("owner", Role.THREAT_ASSESSMENT):  "Y    Y    N    N    N    N    N    N    N",
    ("routed", Role.ANALYST):           "Y    Y    Y    Y    Y    N    N    N    N",
    ("routed", Role.SUPERVISOR):        "Y    Y    Y    Y    Y    N    N    N    N",
    ("routed", Role.TIPLINE_OPERATOR):  "Y    Y    Y    N    Y    N    N    N    N",
    ("routed", Role.THREAT_ASSESSMENT): "Y    Y    N    N    N    N    N    N    N",
    ("shared", Role.ANALYST):           "N    N    N    N    N    N    N    N    N",
    ("shared", Role.SUPERVISOR):        "N    N    N    N    N    N    N    N    N",
    ("shared", Role.TIPLINE_OPERATOR):  "N    N    N    N    N    N    N    N    N",
    ("shared", Role.THREAT_ASSESSMENT): "N    N    N    N    N    N    N    N    N",
}  # fmt: skip


def yes(row: str) -> list[bool]:
    cells = row.split()
    assert set(cells) <= {"Y", "N"}
    return [cell == "Y" for cell in cells]


def actor(agency_id: int, user_id: int, roles: frozenset[Role] | set[Role]) -> Actor:
    return Actor(
        kind="user",
        user_id=user_id,
        username=f"u{user_id}",
        agency_id=agency_id,
        agency_is_operator=agency_id == OPERATOR,
        roles=frozenset(roles),
    )


def unsaved_report(marking: str, file_class: str) -> Report:
    """A report as the rules see it (decide needs no database)."""
    report = Report(
        id=1,
        marking=marking,
        file_class=file_class,
        owner_agency_id=OWNER,
        routed_agency_id=ROUTED,
    )
    report.shares = [ReportShare(agency_id=SHARED)]
    report.recipients = [ReportRecipient(user_id=NAMED_USER), ReportRecipient(user_id=11)]
    return report


def test_the_tables_cover_every_case():
    assert set(READS) == set(product(MARKINGS, CLASSES))
    assert all(len(yes(row)) == len(RELATIONS) for row in READS.values())
    assert set(WORKS) == set(product(("owner", "routed", "shared"), READER_ROLES))
    assert all(len(yes(row)) == len(ACTIONS) for row in WORKS.values())


@pytest.mark.parametrize("role", READER_ROLES)
@pytest.mark.parametrize("marking, file_class", list(READS))
def test_who_reads_a_report(marking, file_class, role):
    report = unsaved_report(marking, file_class)
    for relation, expected in zip(RELATIONS, yes(READS[marking, file_class]), strict=True):
        agency_id, user_id = RELATION_ACTOR[relation]
        answer = policy.decide(actor(agency_id, user_id, {role}), "read", "report", report)
        assert answer is expected, (relation, role.value)


@pytest.mark.parametrize("role", NON_READER_ROLES)
@pytest.mark.parametrize("marking, file_class", list(READS))
def test_administrators_and_auditors_never_read_reports(marking, file_class, role):
    report = unsaved_report(marking, file_class)
    for relation in RELATIONS:
        agency_id, user_id = RELATION_ACTOR[relation]
        for agency in (agency_id, OPERATOR):
            who = actor(agency, user_id, {role})
            assert not policy.decide(who, "read", "report", report), (relation, agency)
            assert not policy.decide(who, "list", "report")


def test_the_public_and_the_command_line_read_no_report():
    report = unsaved_report("CLEAR", "tip_lead")
    for who in (anonymous(), command_line("root")):
        assert not policy.decide(who, "read", "report", report)
        assert not policy.decide(who, "list", "report")


@pytest.mark.parametrize("relation, role", list(WORKS))
def test_who_works_a_report(relation, role):
    report = unsaved_report("AMBER", "tip_lead")
    agency_id, user_id = RELATION_ACTOR[relation]
    who = actor(agency_id, user_id, {role})
    assert policy.decide(who, "read", "report", report)
    for action, expected in zip(ACTIONS, yes(WORKS[relation, role]), strict=True):
        assert policy.decide(who, action, "report", report) is expected, action


@pytest.mark.parametrize("role", NON_READER_ROLES)
def test_administrators_and_auditors_work_no_report(role):
    report = unsaved_report("AMBER", "tip_lead")
    who = actor(OWNER, 10, {role, Role.AGENCY_ADMIN})
    for action in (*ACTIONS, "create"):
        assert not policy.decide(who, action, "report", report)


def test_a_report_one_cannot_see_cannot_be_worked():
    report = unsaved_report("AMBER", "tip_lead")
    stranger = actor(UNRELATED, 40, set(Role))
    for action in ACTIONS:
        assert not policy.decide(stranger, action, "report", report)


# --- scope (SQL) selects exactly what decide allows ---------------------------------


class Population:
    """Agencies and users stored once per test; reports come from Hypothesis."""

    def __init__(self, db: Session) -> None:
        self.agencies: list[Agency] = [make_agency(db) for _ in range(4)]
        self.users: list[User] = [
            make_user(db, agency=agency, roles={Role.ANALYST})
            for agency in self.agencies
            for _ in range(2)
        ]


@pytest.fixture()
def population(db: Session) -> Population:
    return Population(db)


report_specs = st.lists(
    st.fixed_dictionaries(
        {
            "marking": st.sampled_from(MARKINGS),
            "file_class": st.sampled_from(CLASSES),
            "owner": st.integers(0, 3),
            "routed": st.integers(0, 3),
            "shared": st.sets(st.integers(0, 3), max_size=3),
            "named": st.sets(st.integers(0, 7), max_size=3),
            "disposed": st.booleans(),
        }
    ),
    min_size=1,
    max_size=8,
)
actor_specs = st.lists(
    st.tuples(
        st.integers(0, 7),  # which user (for named recipients)
        st.integers(0, 3),  # which agency they act for
        st.sets(st.sampled_from(list(Role)), max_size=3),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=report_specs, actors=actor_specs)
def test_scope_selects_exactly_what_decide_allows(db, population, specs, actors):
    savepoint = db.begin_nested()
    try:
        agencies, users = population.agencies, population.users
        for spec in specs:
            make_report(
                db,
                agency=agencies[spec["owner"]],
                routed_to=agencies[spec["routed"]],
                marking=spec["marking"],
                file_class=spec["file_class"],
                shared_with=[agencies[i] for i in sorted(spec["shared"] - {spec["owner"]})],
                recipients=[users[i] for i in sorted(spec["named"])],
                disposed=spec["disposed"],
            )
        db.expire_all()
        everything = list(db.execute(select(Report)).scalars())
        for user_index, agency_index, roles in actors:
            who = actor(agencies[agency_index].id, users[user_index].id, roles)
            allowed = {r.id for r in everything if policy.decide(who, "read", "report", r)}
            scoped = set(
                db.execute(select(Report.id).where(policy.scope(who, "list", "report"))).scalars()
            )
            assert scoped == allowed
            if not policy.decide(who, "list", "report"):
                assert not allowed
                continue
            listed, total = service.list_reports(
                db,
                actor=who,
                filters=service.QueueFilter(unassessed_only=False),
                limit=500,
            )
            assert {r.id for r in listed} == allowed and total == len(allowed)
            queued, count = service.list_reports(
                db, actor=who, filters=service.QueueFilter(), limit=500
            )
            open_ones = {r.id for r in everything if r.id in allowed and r.disposed_at is None}
            assert {r.id for r in queued} == open_ones and count == len(open_ones)
    finally:
        savepoint.rollback()
