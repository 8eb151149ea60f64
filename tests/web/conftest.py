"""Web fixtures: an app with a policy-decision recorder, a seeded world of agencies and
users of every role, clients signed in as each of them, and database checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import DEFAULT_PASSWORD, make_agency, make_user
from tests.reports.factories import make_report
from vigil.linkage import membership
from vigil.linkage.models import AccessRequest, MatchCandidate
from vigil.platform import passwords, sessions
from vigil.platform.database import Base, make_sessionmaker
from vigil.platform.models import Agency, AuditEvent, Notification, User
from vigil.platform.policy import Decision
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import numbers, ratelimit, tipline
from vigil.reports.models import Mention, Report, ReportAttachment, RoutingRule
from vigil.sharing import deconfliction
from vigil.web.app import create_app
from vigil.web.csrf import CSRF_COOKIE
from vigil.web.deps import SESSION_COOKIE

# The roles of the authorization matrix, in the order of its columns.
ROLES = (
    Role.ANALYST,
    Role.SUPERVISOR,
    Role.TIPLINE_OPERATOR,
    Role.THREAT_ASSESSMENT,
    Role.AGENCY_ADMIN,
    Role.SYSTEM_ADMIN,
    Role.AUDITOR,
)
# The response and recovery roles, walked on their own matrix
# (tests/web/matrix_response_roles.py) by tests/web/test_route_walk_response_roles.py.
RESPONSE_ROLES = (Role.INCIDENT_COMMAND, Role.REUNIFICATION, Role.VICTIM_ADVOCATE)
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
NONCE_IN_CSP = re.compile(r"script-src 'self' 'nonce-([^']+)'")
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)

# What changes as a side effect of being signed in, or what a denial adds on purpose.
UNCOMPARED_TABLES = frozenset({"audit_events", "audit_chain_head"})
UNCOMPARED_COLUMNS = frozenset({("web_sessions", "last_seen_at"), ("api_tokens", "last_used_at")})


# --- security headers, checked on every response of every client --------------------


def check_security_headers(response: httpx.Response, *, tls: bool) -> None:
    """Fail unless the response carries Vigil's security headers (HSTS only over TLS),
    and every script tag of an HTML page carries this response's nonce."""
    where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, where
    assert "frame-ancestors 'none'" in csp, f"{where}: may be framed: {csp!r}"
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") == "no-referrer", where
    assert headers.get("x-request-id"), where
    if tls:
        assert headers.get("strict-transport-security", "").startswith("max-age="), where
    else:
        assert "strict-transport-security" not in headers, where
    html = headers.get("content-type", "").startswith("text/html")
    if "default-src 'none'" in csp and "script-src" not in csp and not html:
        return  # a download under a policy that runs nothing at all needs no nonce
    nonce = NONCE_IN_CSP.search(csp)
    assert nonce, f"{where}: no CSP with a script nonce: {csp!r}"
    assert f"style-src 'self' 'nonce-{nonce.group(1)}'" in csp, where
    if html:
        response.read()
        for tag in SCRIPT_TAG.findall(response.text):
            assert f'nonce="{nonce.group(1)}"' in tag, f"{where}: script without nonce: {tag}"


def make_client(app: FastAPI, settings: Settings) -> TestClient:
    """A client that checks the security headers of every response it receives."""
    tls = settings.served_over_tls
    client = TestClient(
        app,
        base_url="https://testserver" if tls else "http://testserver",
        raise_server_exceptions=False,
        follow_redirects=False,
    )

    def hook(response: httpx.Response) -> None:
        check_security_headers(response, tls=tls)

    client.event_hooks["response"] = [hook]
    return client


# --- the application -----------------------------------------------------------------


@dataclass
class DecisionLog:
    """Policy decisions made while answering each request, by request id."""

    by_request: dict[str, list[Decision]] = field(default_factory=dict)

    def observe(self, request: Any, _response: Any, decisions: list[Decision]) -> None:
        self.by_request[request.state.request_id] = decisions

    def of(self, response: httpx.Response) -> list[Decision]:
        return self.by_request.get(response.headers["x-request-id"], [])


def build_app(settings: Settings, session_factory: Any) -> FastAPI:
    app = create_app(settings, session_factory=session_factory)
    log = DecisionLog()
    app.state.policy_observer = log.observe
    app.state.decision_log = log
    return app


# --- signed-in clients ---------------------------------------------------------------


def csrf_token(client: TestClient) -> str:
    """The form token for this client's CSRF cookie, read from a page like a browser."""
    page = client.get("/login")
    found = CSRF_INPUT.search(page.text)
    assert found and client.cookies.get(CSRF_COOKIE), "the sign-in page sets no CSRF token"
    return found.group(1)


@dataclass
class Browser:
    """A client with its own cookie jar and CSRF token, usually signed in as one user."""

    client: TestClient
    csrf: str
    cookies: dict[str, str] = field(default_factory=dict)

    def restore(self) -> None:
        """Put back the cookies it started with (a request may replace or drop them)."""
        self.client.cookies.clear()
        for name, value in self.cookies.items():
            self.client.cookies.set(name, value)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """A form post carrying the CSRF token, as our pages send it."""
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Any request, with the token in the header htmx sends it in."""
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)


def bearer(raw_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw_token}"}


# --- argon2 at test speed -------------------------------------------------------------


@contextmanager
def fast_password_hashing() -> Iterator[None]:
    """Cheap argon2 parameters, for tests about the web layer rather than about hashing
    (the sign-in tests keep the real ones)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
        )
        yield


@pytest.fixture()
def hashing() -> Iterator[None]:
    """Fast argon2 for the site; the sign-in tests override this with the real one."""
    with fast_password_hashing():
        yield


# --- the seeded world ----------------------------------------------------------------


@dataclass
class Member:
    """A user with a web session, an API token and a spare token (to revoke)."""

    role: Role | None
    user_id: int
    agency_id: int
    username: str
    session: str
    token: str
    token_id: int
    spare_token_id: int


@dataclass
class World:
    operator: int  # agency ids
    home: int
    other: int
    members: dict[Role, Member]  # one user per role: system_admin in the operator agency,
    plain: dict[int, Member]  # the others in home; and a role-less user in each agency
    reports: dict[int, int] = field(default_factory=dict)  # a report of each agency
    attachments: dict[int, int] = field(default_factory=dict)  # each report's attachment
    notifications: dict[int, int] = field(default_factory=dict)  # one for each user
    rules: dict[int, int] = field(default_factory=dict)  # a routing rule of each agency
    # Linkage, for each agency: a person mentioned in its report (and in a second report,
    # whose mention a split may move), another person with a possible match to the
    # first, and an access request addressed to it by another agency's user.
    persons: dict[int, int] = field(default_factory=dict)
    second_persons: dict[int, int] = field(default_factory=dict)
    split_mentions: dict[int, int] = field(default_factory=dict)
    candidates: dict[int, int] = field(default_factory=dict)
    access_requests: dict[int, int] = field(default_factory=dict)
    # Threat assessment, for each agency: a case opened from its report (home's is led by
    # the threat-assessment member with the analyst on the team and is shared with the
    # other agency; the others are led by a user of their own), a removable team
    # membership, a draft assessment, an intervention and a share; one instrument.
    cases: dict[int, int] = field(default_factory=dict)
    case_members: dict[int, int] = field(default_factory=dict)
    assessments: dict[int, int] = field(default_factory=dict)
    interventions: dict[int, int] = field(default_factory=dict)
    case_shares: dict[int, int] = field(default_factory=dict)
    # Preparedness: each agency's protected site ("site:<agency id>").
    preparedness: dict[str, int] = field(default_factory=dict)
    instrument: int = 0
    # Victim services: for each agency, a case held by a provider with a consent naming it.
    recovery: dict[str, dict[int, int]] = field(default_factory=dict)
    # Sharing: each agency's sharing group, its collection, a member and a shared object.
    sharing: dict[str, Any] = field(default_factory=dict)
    # Reunification: the incident each agency commands ("incident:<agency id>").
    response: dict[str, int] = field(default_factory=dict)
    # Bulletins and public alerts: each agency's draft bulletin ("bulletin:<agency id>").
    alerts: dict[str, Any] = field(default_factory=dict)
    # The public catalogue: a pair of source rows in the review queue ("link").
    analytics: dict[str, int] = field(default_factory=dict)

    def member(self, role: Role) -> Member:
        return self.members[role]


def add_member(db: Session, agency: Agency, roles: set[Role], **user: Any) -> Member:
    made = make_user(db, agency=agency, roles=roles, **user)
    if "password" not in user and passwords.needs_rehash(made.password_hash or ""):
        made.password_hash = passwords.hash_password(DEFAULT_PASSWORD)  # fast hashing is on
    session_raw, _ = sessions.start_session(db, user=made, mfa_verified=True)
    token_raw, token = sessions.create_api_token(db, user=made, name="main", days=30)
    _, spare = sessions.create_api_token(db, user=made, name="spare", days=30)
    role = next(iter(roles)) if len(roles) == 1 else None
    return Member(
        role, made.id, agency.id, made.username, session_raw, token_raw, token.id, spare.id
    )


def seed_world(db: Session, settings: Settings, roles: tuple[Role, ...] = ROLES) -> World:
    # The catalog imports its domain parts in order; a part imported first (for its
    # seeding function below) would import the catalog half-made.
    import tests.web.catalog  # noqa: F401

    operator = make_agency(db, kind=AgencyKind.FUSION_CENTER, is_operator=True)
    home = make_agency(db, kind=AgencyKind.LAW_ENFORCEMENT)
    other = make_agency(db, kind=AgencyKind.SCHOOL_OR_CAMPUS)
    members = {
        role: add_member(db, operator if role is Role.SYSTEM_ADMIN else home, {role})
        for role in dict.fromkeys((*ROLES, *roles))
    }
    plain = {agency.id: add_member(db, agency, set()) for agency in (operator, home, other)}
    world = World(operator.id, home.id, other.id, members, plain)
    seed_intake(db, settings, world, (operator, home, other))
    seed_linkage(db, world, (operator, home, other))
    seed_assessment(db, world, (operator, home, other))
    from tests.recovery.web_world import seed_recovery

    seed_recovery(db, world, (operator, home, other))
    from tests.web.catalog_preparedness import seed_preparedness

    seed_preparedness(db, world, (operator, home, other))
    from tests.web.catalog_improvement import seed_improvement

    seed_improvement(db, world, (operator, home, other))
    from tests.web.catalog_site_assessments import seed_site_assessments

    seed_site_assessments(db, settings, world, (operator, home, other))
    from tests.web.catalog_sharing import seed_sharing

    seed_sharing(db, world, (operator, home, other))
    from tests.web.catalog_response import seed_response

    seed_response(db, world, (operator, home, other))
    from tests.web.catalog_ics import seed_ics_walk

    seed_ics_walk(db, world, (operator, home, other))
    from tests.web.catalog_alerts import seed_alerts

    seed_alerts(db, world, (operator, home, other))
    from tests.web.catalog_analytics import seed_analytics

    seed_analytics(db, world, (operator, home, other))
    db.commit()
    return world


def seed_intake(
    db: Session, settings: Settings, world: World, agencies: tuple[Agency, ...]
) -> None:
    """For each agency a tip-line report (TLP:AMBER, unshared, due for its retention
    review, with an attachment) and a routing rule; a notification for every user."""
    now = utcnow()
    stored = tipline.store_for(settings).save([b"The car was blue, with two doors.\n"])
    for agency in agencies:
        report = make_report(db, agency=agency, kind="tip")
        report.followup_code_hash = numbers.hash_code(
            numbers.new_followup_code(), secret_key=settings.secret_key.get_secret_value()
        )
        report.review_due_at = now - timedelta(days=1)
        attachment = ReportAttachment(
            report_id=report.id,
            sha256=stored.sha256,
            filename="note.txt",
            media_type=stored.media_type,
            size_bytes=stored.size_bytes,
            created_at=now,
        )
        rule = RoutingRule(
            agency_id=agency.id, match_kind="school", value=f"school {agency.id}", created_at=now
        )
        db.add_all([attachment, rule])
        db.flush()
        world.reports[agency.id] = report.id
        world.attachments[report.id] = attachment.id
        world.rules[agency.id] = rule.id
    for member in [*world.members.values(), *world.plain.values()]:
        notification = Notification(
            user_id=member.user_id, kind="deadline", subject="A report waits", created_at=now
        )
        db.add(notification)
        db.flush()
        world.notifications[member.user_id] = notification.id


def seed_linkage(db: Session, world: World, agencies: tuple[Agency, ...]) -> None:
    for index, agency in enumerate(agencies):
        report = db.get_one(Report, world.reports[agency.id])
        first = Mention(role="subject", given_name="Dana", family_name="Reyes")
        report.mentions.append(first)
        again = make_report(
            db, agency=agency, mentions=[{"given_name": "Dana", "family_name": "Reyes"}]
        )
        other = make_report(
            db, agency=agency, mentions=[{"given_name": "Dan", "family_name": "Reyes"}]
        )
        db.flush()
        person = membership.place(db, first.id, None, linked_by="run")
        membership.place(db, again.mentions[0].id, person, linked_by="run")
        second = membership.place(db, other.mentions[0].id, None, linked_by="run")
        a, b = membership.ordered(first.id, other.mentions[0].id)
        candidate = MatchCandidate(
            mention_a_id=a,
            mention_b_id=b,
            match_weight=3.0,
            match_probability=0.89,
            explanation=[{"comparison": "surname", "level": "exact", "weight": 5.0}],
            found_by="run",
        )
        requester = world.plain[agencies[(index + 1) % len(agencies)].id]
        request = AccessRequest(
            report_id=report.id,
            requester_user_id=requester.user_id,
            requester_agency_id=requester.agency_id,
            holding_agency_id=agency.id,
            reason="The same person appears in our case.",
        )
        db.add_all([candidate, request])
        db.flush()
        world.persons[agency.id] = person
        world.second_persons[agency.id] = second
        world.split_mentions[agency.id] = again.mentions[0].id
        world.candidates[agency.id] = candidate.id
        world.access_requests[agency.id] = request.id


def seed_assessment(db: Session, world: World, agencies: tuple[Agency, ...]) -> None:
    from tests.factories import actor_for
    from vigil.assessment import assessments, cases, plan, shares
    from vigil.assessment.models import Instrument

    world.instrument = db.execute(
        select(Instrument.id).where(Instrument.key == "trap18")
    ).scalar_one()
    for agency in agencies:
        if agency.id == world.home:
            lead = db.get_one(User, world.member(Role.THREAT_ASSESSMENT).user_id)
            teammate = db.get_one(User, world.member(Role.ANALYST).user_id)
            partner = world.other
        else:
            lead = make_user(db, agency=agency, roles={Role.THREAT_ASSESSMENT})
            teammate = make_user(db, agency=agency, roles={Role.ANALYST})
            partner = world.home
        actor = actor_for(lead)
        case = cases.open_case(
            db, actor=actor, title="Drawings of the school", report_id=world.reports[agency.id]
        )
        member = cases.add_member(db, actor=actor, case_id=case.id, username=teammate.username)
        draft = assessments.start_assessment(
            db, actor=actor, case_id=case.id, instrument_id=world.instrument, subject_id=None
        )
        item = plan.add_intervention(
            db,
            actor=actor,
            case_id=case.id,
            kind="mental_health_referral",
            description="Referral to the county crisis team",
            owner_user_id=lead.id,
            due_on=utcnow().date() + timedelta(days=7),
        )
        share = shares.share_case(
            db,
            actor=actor,
            case_id=case.id,
            agency_id=partner,
            reason="Partner team needs to know.",
        )
        world.cases[agency.id] = case.id
        world.case_members[agency.id] = member.id
        world.assessments[agency.id] = draft.id
        world.interventions[agency.id] = item.id
        world.case_shares[agency.id] = share.id


# --- a running site: app, world, clients ---------------------------------------------


@dataclass
class Site:
    app: FastAPI
    settings: Settings
    session_factory: sessionmaker[Session]
    connection: Any
    world: World
    browsers: dict[Role, Browser]
    api: TestClient  # no cookies: for bearer-token and anonymous calls
    decisions: DecisionLog
    stack: ExitStack

    def client(self) -> TestClient:
        """A fresh client (its own cookie jar), closed with the site."""
        return self.stack.enter_context(make_client(self.app, self.settings))

    def browser(self, session_raw: str | None = None) -> Browser:
        """A browser with a CSRF token, signed in with ``session_raw`` if given."""
        client = self.client()
        if session_raw is not None:
            client.cookies.set(SESSION_COOKIE, session_raw)
        token = csrf_token(client)
        return Browser(client, token, dict(client.cookies.items()))

    def sign_in(self, user_id: int) -> Browser:
        """A browser past the password and MFA steps, without paying for argon2."""
        with self.session_factory() as db:
            user = db.get(User, user_id)
            assert user is not None
            raw, _ = sessions.start_session(db, user=user, mfa_verified=True)
            db.commit()
        return self.browser(raw)

    def db(self) -> Session:
        return self.session_factory()


class SignedInBrowsers(dict[Role, Browser]):
    """One browser per role, each signed in as that role's member, made on first use."""

    def __init__(self, site: Site) -> None:
        super().__init__()
        self.site = site

    def __missing__(self, role: Role) -> Browser:
        browser = self[role] = self.site.browser(self.site.world.member(role).session)
        return browser


@contextmanager
def open_site(
    settings: Settings,
    session_factory: sessionmaker[Session],
    connection: Any,
    roles: tuple[Role, ...] = ROLES,
) -> Iterator[Site]:
    """The site, with a member of each of ``roles`` besides those of ROLES."""
    # Partners share a deconfliction key, so the walk reaches those routes' answers.
    settings = settings.model_copy(update={"deconfliction_key": SecretStr("w" * 40)})
    with session_factory() as db:
        world = seed_world(db, settings, roles)
    app = build_app(settings, session_factory)
    # The tip line's per-client limit is not under test here; the walk posts many tips.
    app.state.tipline_rate_limit = ratelimit.ClientRateLimit(1_000_000)
    app.state.deconfliction_rate_limit = deconfliction.QueryRateLimit(1_000_000)
    with ExitStack() as stack:
        site = Site(
            app,
            settings,
            session_factory,
            connection,
            world,
            {},
            stack.enter_context(make_client(app, settings)),
            app.state.decision_log,
            stack,
        )
        site.browsers = SignedInBrowsers(site)
        yield site


@pytest.fixture()
def site(
    settings: Settings, session_factory: sessionmaker[Session], connection: Any, hashing: None
) -> Iterator[Site]:
    with open_site(settings, session_factory, connection) as found:
        yield found


# --- looking at the database ---------------------------------------------------------


def snapshot(
    session_factory: sessionmaker[Session], *, with_audit: bool = False
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but the audit trail, unless asked), to prove nothing
    changed."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with session_factory() as db:
        for table in Base.metadata.sorted_tables:
            if table.name in UNCOMPARED_TABLES and not with_audit:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in UNCOMPARED_COLUMNS]
            rows = db.execute(select(*columns).order_by(*table.primary_key.columns)).all()
            found[table.name] = [tuple(row) for row in rows]
    return found


def audit_events(
    session_factory: sessionmaker[Session], response: httpx.Response
) -> list[AuditEvent]:
    """The audit events written while answering ``response``."""
    with session_factory() as db:
        statement = select(AuditEvent).where(
            AuditEvent.request_id == response.headers["x-request-id"]
        )
        return list(db.execute(statement.order_by(AuditEvent.seq)).scalars())


WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
# Writes a refusal may make: its audit record, and the touch of the session or token.
EXPECTED_WRITE = re.compile(
    r"^\s*(INSERT INTO audit_events|UPDATE audit_chain_head"
    r"|UPDATE (web_sessions|api_tokens) SET (last_seen_at|last_used_at)=[^,]* WHERE)"
)


class WriteLog:
    """The data-changing statements sent on a connection: when a request sent none, the
    database is unchanged without comparing every table."""

    def __init__(self, connection: Any, *, with_audit: bool = False) -> None:
        self.statements: list[str] = []
        self.with_audit = with_audit
        event.listen(connection, "before_cursor_execute", self._seen)
        self.connection = connection

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if WRITE.match(statement) and (self.with_audit or not EXPECTED_WRITE.search(statement)):
            self.statements.append(statement)

    def unchanged_since(
        self, seed: dict[str, list[tuple[Any, ...]]], session_factory: sessionmaker[Session]
    ) -> bool:
        """Whether the database still equals ``seed``; the log restarts."""
        tried = bool(self.statements)
        self.statements.clear()
        return not tried or snapshot(session_factory, with_audit=self.with_audit) == seed

    def close(self) -> None:
        event.remove(self.connection, "before_cursor_execute", self._seen)


@contextmanager
def rolled_back(connection: Any) -> Iterator[None]:
    """Run requests inside a SAVEPOINT that is rolled back, so each starts from the seed."""
    savepoint = connection.begin_nested()
    try:
        yield
    finally:
        savepoint.rollback()


# --- every route as every role, once per backend --------------------------------------


@dataclass(frozen=True)
class Cell:
    """One request of the walk: a route, as a role, at a target, and what came back."""

    label: str
    role: Role
    target: str
    public: bool
    api: bool
    status: int
    content_type: str
    location: str
    text: str
    decisions: tuple[Decision, ...]
    audit_outcomes: tuple[str, ...]
    changed: bool | None  # whether the database changed; compared only for refusals
    # Whether it wrote to users, roles, agencies or credentials, and any escalation that
    # made (tests/web/grants.py).
    grant_write: bool = False
    escalations: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.label} [{self.target}] as {self.role.value} -> {self.status}"


def walk_every_cell(site: Site, roles: tuple[Role, ...] = ROLES) -> list[Cell]:
    from tests.web.catalog import ROUTES, Target, call
    from tests.web.grants import GrantWrites, escalations, grants

    seed = snapshot(site.session_factory)
    seed_grants = grants(site)
    writes = WriteLog(site.connection)
    grant_writes = GrantWrites(site.connection)
    cells = []
    for role in roles:
        for case in ROUTES:
            for kind in case.targets:
                target = Target(site.world, site.world.member(role), kind)
                with rolled_back(site.connection):
                    writes.statements.clear()
                    grant_writes.seen = False
                    response = call(case, target, browsers=site.browsers, api=site.api)
                    refused = response.status_code >= 400
                    escalated = (
                        escalations(
                            seed_grants, grants(site), target.actor, frozenset({role.value})
                        )
                        if grant_writes.seen
                        else []
                    )
                    cells.append(
                        Cell(
                            label=case.label,
                            role=role,
                            target=kind,
                            public=case.public,
                            api=case.api,
                            status=response.status_code,
                            content_type=response.headers.get("content-type", ""),
                            location=response.headers.get("location", ""),
                            text=response.text if refused else "",
                            decisions=tuple(site.decisions.of(response)),
                            audit_outcomes=tuple(
                                event.outcome
                                for event in audit_events(site.session_factory, response)
                            ),
                            changed=(
                                not writes.unchanged_since(seed, site.session_factory)
                                if refused
                                else None
                            ),
                            grant_write=grant_writes.seen,
                            escalations=tuple(escalated),
                        )
                    )
    writes.close()
    grant_writes.close()
    return cells


def walk_as(engine: Any, settings: Settings, roles: tuple[Role, ...]) -> list[Cell]:
    """Every route as each of ``roles``, on a connection of its own that is rolled back
    and released before any test looks at the results."""
    with engine.connect() as connection:
        outer = connection.begin()
        try:
            factory = make_sessionmaker(connection, join_transaction_mode="create_savepoint")
            with fast_password_hashing(), open_site(settings, factory, connection, roles) as site:
                return walk_every_cell(site, roles)
        finally:
            outer.rollback()


@pytest.fixture(scope="session")
def walk(engine: Any, database_settings: Settings) -> list[Cell]:
    """The walk's results for the roles of the matrix, computed once per backend."""
    return walk_as(engine, database_settings, ROLES)
