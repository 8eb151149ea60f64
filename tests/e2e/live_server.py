"""A real Vigil server for the browser tests: a fresh, migrated database with seeded
agencies and accounts, served by uvicorn on a free local port in a background thread."""

from __future__ import annotations

import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn

from tests.e2e.sign_in import Authenticator
from vigil.platform import accounts, authentication, migrate
from vigil.platform.actor import command_line
from vigil.platform.database import make_engine, make_sessionmaker, transaction
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.settings import Settings
from vigil.web.app import create_app

PASSWORD = "a quiet river under the old stone bridge"
STARTUP_SECONDS = 15

OPERATOR = "State Fusion Center"
METRO = "Metro Police Department"
AGENCIES = {
    OPERATOR: (AgencyKind.FUSION_CENTER, True),
    METRO: (AgencyKind.LAW_ENFORCEMENT, False),
}


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    agency: str
    roles: frozenset[Role]
    enrolled: bool = True  # two-step verification already set up


# Each flow that completes a sign-in has its own account: a TOTP code is good once,
# so two sign-ins of one account inside one 30-second step would have to wait.
ACCOUNTS = (
    Account("sysadmin", "Sam Sysadmin", OPERATOR, frozenset({Role.SYSTEM_ADMIN})),
    Account("auditor", "Ada Auditor", OPERATOR, frozenset({Role.AUDITOR})),
    Account("metro-admin", "Morgan Admin", METRO, frozenset({Role.AGENCY_ADMIN, Role.ANALYST})),
    Account("metro-analyst", "Alex Analyst", METRO, frozenset({Role.ANALYST})),
    Account("keyboard-user", "Kim Keyboard", METRO, frozenset({Role.ANALYST})),
    Account("lockout-user", "Lee Lockout", METRO, frozenset({Role.ANALYST})),
    Account("mfa-page-user", "Max Mfa", METRO, frozenset({Role.ANALYST})),
    Account("new-officer", "Nia Newcomer", METRO, frozenset({Role.ANALYST}), enrolled=False),
    Account("pending-enrol", "Pat Pending", METRO, frozenset({Role.ANALYST}), enrolled=False),
    # Report intake: tips without a routing rule go to the operator agency.
    Account("fusion-analyst", "Frankie Fusion", OPERATOR, frozenset({Role.ANALYST})),
    Account("metro-supervisor", "Sasha Supervisor", METRO, frozenset({Role.SUPERVISOR})),
    # Threat assessment: opens and leads cases (the supervisor above is of the same agency).
    Account("metro-assessor", "Toni Assessor", METRO, frozenset({Role.THREAT_ASSESSMENT})),
)


@dataclass
class SeededUser:
    id: int
    username: str
    display_name: str
    password: str
    authenticator: Authenticator | None


@dataclass
class LiveServer:
    url: str
    settings: Settings
    agency_ids: dict[str, int]
    users: dict[str, SeededUser] = field(default_factory=dict)

    def user(self, username: str) -> SeededUser:
        return self.users[username]

    def path(self, template: str) -> str:
        """Fill ``{user:NAME}`` and ``{agency:NAME}`` placeholders with seeded ids."""

        def seeded_id(match: re.Match[str]) -> str:
            kind, name = match.groups()
            return str(self.users[name].id if kind == "user" else self.agency_ids[name])

        return re.sub(r"\{(user|agency):([^}]+)\}", seeded_id, template)


def seed(settings: Settings) -> LiveServer:
    """Migrate a fresh database and create the agencies and accounts of ``ACCOUNTS``."""
    engine = make_engine(settings)
    operator = command_line("test")
    try:
        migrate.upgrade(engine)
        with transaction(make_sessionmaker(engine)) as db:
            agency_ids = {
                name: accounts.create_agency(
                    db, actor=operator, name=name, kind=kind, is_operator=is_operator
                ).id
                for name, (kind, is_operator) in AGENCIES.items()
            }
            server = LiveServer(url="", settings=settings, agency_ids=agency_ids)
            for account in ACCOUNTS:
                user = accounts.create_user(
                    db,
                    actor=operator,
                    settings=settings,
                    agency_id=agency_ids[account.agency],
                    username=account.username,
                    display_name=account.display_name,
                    email=None,
                    roles=account.roles,
                    password=PASSWORD,
                )
                authenticator = None
                if account.enrolled:
                    secret = authentication.begin_enrolment(db, settings=settings, user=user)
                    authenticator = Authenticator(secret)
                    assert authentication.confirm_enrolment(
                        db,
                        settings=settings,
                        actor=operator,
                        user=user,
                        code=authenticator.code(),
                    )
                server.users[account.username] = SeededUser(
                    user.id, account.username, account.display_name, PASSWORD, authenticator
                )
        return server
    finally:
        engine.dispose()


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """Run the app with uvicorn in a thread until the block ends; yields its base URL."""
    app = create_app(settings)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="vigil-e2e", daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, thread)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
        app.state.session_factory.kw["bind"].dispose()


def _wait_until_healthy(url: str, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the Vigil test server stopped during start-up")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the Vigil test server did not answer {url}/health in time")
