"""Browser-test fixtures: one live server per database backend (seeded once), one
Chromium per test session, and fresh browser contexts for each test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from tests.conftest import ON_CI, create_postgres_database, drop_postgres_database, make_settings
from tests.e2e.live_server import LiveServer, seed, serving
from tests.e2e.sign_in import sign_in

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Generous: waits end as soon as the page is ready; this only bounds a failing one.
TIMEOUT_MS = 10_000

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def live_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A running Vigil on a fresh database of ``backend``, with MFA enforced."""
    data_dir = tmp_path_factory.mktemp(f"e2e-{backend}")
    database_url = create_postgres_database() if backend == "postgresql" else None
    try:
        # The tip-line tests send more tips from 127.0.0.1 than a tipster may in an hour.
        settings = make_settings(
            data_dir, database_url, demo_mode=False, tipline_submissions_per_hour=1000
        )
        server = seed(settings)
        with serving(settings) as url:
            server.url = url
            yield server
    finally:
        if database_url is not None:
            drop_postgres_database(database_url)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if ON_CI:
            pytest.fail(message)
        pytest.skip(message)
    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def chromium(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def signed_in_states(live_server: LiveServer) -> dict[str, Any]:
    """Cookies of each seeded user signed in once, shared by the tests of one server.

    Tests that use these must not sign out: that would end the shared session.
    """
    return {}


@dataclass
class ConsoleLog:
    """What the pages of one context said on the console, and their uncaught errors."""

    messages: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def record_message(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.messages.append(f"{message.type}: {message.text}")

    def record_error(self, error: Any) -> None:
        self.page_errors.append(str(getattr(error, "error", error)))

    def csp_reports(self) -> list[str]:
        return [m for m in self.messages if "content security policy" in m.lower()]


class Browsing:
    """Opens browser contexts for one test (anonymous or signed in) and closes them."""

    def __init__(self, browser: Browser, server: LiveServer, states: dict[str, Any]) -> None:
        self.browser = browser
        self.server = server
        self.states = states
        self.opened: list[tuple[BrowserContext, ConsoleLog, bool]] = []

    def context(
        self, username: str | None = None, *, bypass_csp: bool = False, check_console: bool = True
    ) -> tuple[BrowserContext, ConsoleLog]:
        state = self._signed_in_state(username) if username else None
        context = self.browser.new_context(
            base_url=self.server.url, bypass_csp=bypass_csp, storage_state=state
        )
        context.set_default_timeout(TIMEOUT_MS)
        log = ConsoleLog()
        context.on("console", log.record_message)
        context.on("weberror", log.record_error)
        self.opened.append((context, log, check_console))
        return context, log

    def page(
        self, username: str | None = None, *, bypass_csp: bool = False, check_console: bool = True
    ) -> Page:
        """A page in a new context; signed in as ``username`` (a seeded user) if given."""
        context, _ = self.context(username, bypass_csp=bypass_csp, check_console=check_console)
        return context.new_page()

    def _signed_in_state(self, username: str) -> Any:
        if username not in self.states:
            user = self.server.user(username)
            assert user.authenticator is not None, f"{username} has no authenticator"
            context = self.browser.new_context(base_url=self.server.url)
            try:
                sign_in(context.new_page(), user.username, user.password, user.authenticator)
                self.states[username] = context.storage_state()
            finally:
                context.close()
        return self.states[username]

    def close(self) -> list[str]:
        """Close every context; return the CSP reports and script errors they logged."""
        problems = []
        for context, log, check_console in self.opened:
            context.close()
            if check_console:
                problems.extend(log.csp_reports())
                problems.extend(f"uncaught: {error}" for error in log.page_errors)
        return problems


@pytest.fixture()
def browse(
    chromium: Browser, live_server: LiveServer, signed_in_states: dict[str, Any]
) -> Iterator[Browsing]:
    """Open pages with ``browse.page(username)``; console problems fail the test."""
    browsing = Browsing(chromium, live_server, signed_in_states)
    yield browsing
    problems = browsing.close()
    assert not problems, "the browser reported:\n" + "\n".join(problems)
