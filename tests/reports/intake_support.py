"""Shared set-up for the retention, escalation and routing-administration tests: a
small world of agencies and users, reports filed through the service, and signed-in
HTTP clients for the real app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import actor_for, make_agency, make_user
from vigil.platform import sessions
from vigil.platform.actor import Actor
from vigil.platform.models import Agency, User
from vigil.platform.policy.markings import Tlp
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import file_classes, service
from vigil.reports.models import Report
from vigil.reports.schemas import MentionIn, ReportCreate
from vigil.reports.vocabulary import Behavior
from vigil.web.app import create_app
from vigil.web.csrf import CSRF_COOKIE, token_for
from vigil.web.deps import SESSION_COOKIE

NEXUS = "Photographed the rail yard fences and asked guards about shift changes."
PREDICATE = "Reasonable suspicion of planning an attack on the rail yard, per two witnesses."
JUSTIFICATION = "Needed to coordinate protective measures with the transit police."


@dataclass
class World:
    operator: Agency
    home: Agency
    other: Agency
    supervisor: User
    second_supervisor: User
    disabled_supervisor: User
    analyst: User
    agency_admin: User
    system_admin: User
    other_supervisor: User
    other_admin: User

    def actor(self, user: User) -> Actor:
        return actor_for(user)


def build_world(db: Session) -> World:
    operator = make_agency(db, kind=AgencyKind.FUSION_CENTER, is_operator=True)
    home = make_agency(db, kind=AgencyKind.LAW_ENFORCEMENT)
    other = make_agency(db, kind=AgencyKind.SCHOOL_OR_CAMPUS)
    disabled = make_user(db, agency=home, roles={Role.SUPERVISOR})
    disabled.disabled_at = utcnow()
    world = World(
        operator=operator,
        home=home,
        other=other,
        supervisor=make_user(db, agency=home, roles={Role.SUPERVISOR}),
        second_supervisor=make_user(db, agency=home, roles={Role.SUPERVISOR, Role.ANALYST}),
        disabled_supervisor=disabled,
        analyst=make_user(db, agency=home, roles={Role.ANALYST}),
        agency_admin=make_user(db, agency=home, roles={Role.AGENCY_ADMIN}),
        system_admin=make_user(db, agency=operator, roles={Role.SYSTEM_ADMIN}),
        other_supervisor=make_user(db, agency=other, roles={Role.SUPERVISOR}),
        other_admin=make_user(db, agency=other, roles={Role.AGENCY_ADMIN}),
    )
    db.flush()
    return world


def file(
    db: Session,
    settings: Settings,
    filer: User,
    *,
    narrative: str = "A student said he would bring a rifle to the rail yard on Friday.",
    mentions: list[MentionIn] | None = None,
    marking: Tlp = Tlp.AMBER,
    protected_activity_only: bool = False,
) -> Report:
    data = ReportCreate(
        narrative=narrative,
        mentions=mentions
        if mentions is not None
        else [MentionIn(given_name="Jordan", family_name="Quill")],
        marking=marking,
        protected_activity_only=protected_activity_only,
    )
    report, _ = service.create_report(db, actor=actor_for(filer), settings=settings, data=data)
    db.flush()
    return report


def as_sar(db: Session, settings: Settings, supervisor: User, report: Report) -> Report:
    return file_classes.promote_to_sar(
        db,
        actor=actor_for(supervisor),
        settings=settings,
        report_id=report.id,
        behavior=Behavior.PHOTOGRAPHY,
        nexus=NEXUS,
    )


def as_intelligence(db: Session, settings: Settings, supervisor: User, report: Report) -> Report:
    return file_classes.promote_to_intelligence(
        db,
        actor=actor_for(supervisor),
        settings=settings,
        report_id=report.id,
        predicate=PREDICATE,
        justification=JUSTIFICATION,
    )


def make_due_for_review(report: Report) -> None:
    """Put an intelligence report in the review window as of now (dates moved back)."""
    report.review_due_at = utcnow() - timedelta(days=1)
    report.purge_due_at = utcnow() + timedelta(days=59)


def days_after(moment: datetime, days: float) -> datetime:
    return moment + timedelta(days=days)


# --- HTTP ---------------------------------------------------------------------------


def make_app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    return create_app(settings, session_factory=session_factory)


@dataclass
class Client:
    """A signed-in browser: session cookie, CSRF cookie and the matching form token."""

    http: TestClient
    csrf: str

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.http.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None) -> Any:
        return self.http.post(url, data={"csrf_token": self.csrf, **(data or {})})


def sign_in(
    app: FastAPI, settings: Settings, session_factory: sessionmaker[Session], user_id: int
) -> Client:
    with session_factory() as db:
        user = db.get(User, user_id)
        assert user is not None
        raw, _ = sessions.start_session(db, user=user, mfa_verified=True)
        db.commit()
    http = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    http.cookies.set(SESSION_COOKIE, raw)
    cookie = "csrf-cookie-for-tests-0123456789abcdef"
    http.cookies.set(CSRF_COOKIE, cookie)
    return Client(http, token_for(settings.secret_key.get_secret_value(), cookie))


def api_token(session_factory: sessionmaker[Session], user_id: int) -> dict[str, str]:
    with session_factory() as db:
        user = db.get(User, user_id)
        assert user is not None
        raw, _ = sessions.create_api_token(db, user=user, name="tests", days=30)
        db.commit()
    return {"Authorization": f"Bearer {raw}"}
