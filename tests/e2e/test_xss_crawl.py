"""XSS crawl: the demo world with script polyglots in every user-controlled text and
file-name column (tests/e2e/xss_seed.py), crawled in Chromium by users of every kind of
agency and by the public. No injected markup may become an element, no script may run
(dialogs hooked, CSP violations recorded), no javascript: URL may be rendered, and every
HTML response must carry the strict CSP. GET forms are submitted with polyglots too, so
reflected input is crawled as well as stored input."""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, Dialog, Page

from tests.conftest import make_settings
from tests.e2e.live_server import serving
from tests.e2e.xss_seed import MARKER, POLYGLOTS, poison
from vigil import demo as demo_world
from vigil.platform import audit
from vigil.platform.actor import command_line
from vigil.platform.database import make_engine, make_sessionmaker
from vigil.platform.migrate import upgrade

pytestmark = pytest.mark.e2e

# One user per kind of agency and role family; each crawls what it can reach.
CRAWLERS = (
    "sysadmin",
    "fc.supervisor",
    "fc.tipline",
    "fc.auditor",
    "rusd.admin",
    "hcem.analyst",
    "hcvs.advocate",
)
PUBLIC_START = ["/tip", "/tip?lang=es", "/tip/follow-up", "/login"]
PAGES_PER_USER = 90
PER_SHAPE = 2  # /reports/12 and /reports/13 are one shape: two of each are enough
SKIPPED = re.compile(r"^/(logout|static/|api/)|/(download|export|pdf)\b|\.(pdf|csv|ics|json)$")
INSPECT = """() => ({
    injected: [...document.querySelectorAll('[id^="MARKER"]')].map(e => e.outerHTML.slice(0, 120)),
    jsUrls: [...document.querySelectorAll(
        'a[href^="javascript:" i], [src^="javascript:" i], form[action^="javascript:" i]'
    )].map(e => e.outerHTML.slice(0, 120)),
    violations: window.__violations || [],
    shown: document.body.innerText.includes('MARKER'),
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
    forms: [...document.querySelectorAll('form')]
        .filter(f => (f.getAttribute('method') || 'get').toLowerCase() === 'get')
        .map(f => ({
            action: f.getAttribute('action') || location.pathname,
            fields: [...f.querySelectorAll('input[name], select[name], textarea[name]')]
                .filter(i => !['hidden', 'submit', 'checkbox', 'radio'].includes(i.type))
                .map(i => i.name),
        })),
})""".replace("MARKER", MARKER)
WATCH_VIOLATIONS = """document.addEventListener('securitypolicyviolation', e => {
    (window.__violations = window.__violations || [])
        .push(e.violatedDirective + ' ' + e.blockedURI);
});"""


@dataclass
class Crawl:
    pages: int = 0
    forms: int = 0
    pages_showing_payloads: int = 0
    problems: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def poisoned_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, dict[str, str]]]:
    settings = make_settings(tmp_path_factory.mktemp("xss"), None, demo_mode=True)
    audit.create_checkpoint_key(settings.resolved_checkpoint_key_file)
    engine = make_engine(settings)
    try:
        upgrade(engine)
        logins = demo_world.build(
            make_sessionmaker(engine), settings=settings, actor=command_line("test")
        )
        written = poison(engine)
    finally:
        engine.dispose()
    assert {"reports", "mentions", "users", "agencies"} <= set(written), written
    with serving(settings) as url:
        yield url, {login.username: login.password for login in logins}


def visit(page: Page, base: str, path: str, crawl: Crawl, who: str) -> dict[str, object] | None:
    try:
        response = page.goto(urljoin(base, path))
    except Exception as error:  # a download, or a page that never loads
        if "Download is starting" in str(error):
            return None
        crawl.problems.append(f"{who} {path}: {error}")
        return None
    if response is None or "text/html" not in response.headers.get("content-type", ""):
        return None
    crawl.pages += 1
    policy = response.headers.get("content-security-policy", "")
    if not re.search(r"script-src 'self' 'nonce-[\w-]+'", policy) or "unsafe-" in policy:
        crawl.problems.append(f"{who} {path}: weak or missing CSP {policy!r}")
    if response.status >= 500:
        crawl.problems.append(f"{who} {path}: answered {response.status}")
    found: dict[str, object] = page.evaluate(INSPECT)
    crawl.pages_showing_payloads += bool(found["shown"])
    for key in ("injected", "jsUrls", "violations"):
        if found[key]:
            crawl.problems.append(f"{who} {path}: {key} {found[key]}")
    return found


def crawl_as(page: Page, base: str, who: str, crawl: Crawl, start: list[str]) -> None:
    queue = deque(start)
    shapes: Counter[str] = Counter()
    seen: set[str] = set()
    polyglots = iter(range(10_000))
    while queue and len(seen) < PAGES_PER_USER:
        path = queue.popleft()
        parts = urlsplit(urljoin(base, path))
        if parts.netloc != urlsplit(base).netloc or SKIPPED.search(parts.path):
            continue
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        shape = re.sub(r"\d+", "N", parts.path) + ("?" if parts.query else "")
        if local in seen or shapes[shape] >= PER_SHAPE:
            continue
        seen.add(local)
        shapes[shape] += 1
        found = visit(page, base, local, crawl, who)
        if found is None:
            continue
        links = found["links"]
        assert isinstance(links, list)
        queue.extend(link for link in links if isinstance(link, str) and not link.startswith("#"))
        forms = found["forms"]
        assert isinstance(forms, list)
        for form in forms:
            if not form["fields"]:
                continue
            n = 90_000 + next(polyglots)
            payload = POLYGLOTS[n % len(POLYGLOTS)].format(n=n)
            query = urlencode({name: payload for name in form["fields"]})
            crawl.forms += 1
            visit(page, base, f"{form['action']}?{query}", crawl, who)


def record_dialog(dialog: Dialog, dialogs: list[str]) -> None:
    dialogs.append(dialog.message)
    dialog.dismiss()


def test_no_injected_script_anywhere(
    chromium: Browser,
    poisoned_server: tuple[str, dict[str, str]],
    proof_figure: Callable[[str], None],
) -> None:
    base, passwords = poisoned_server
    crawl = Crawl()
    dialogs: list[str] = []
    for who in (None, *CRAWLERS):
        context = chromium.new_context(base_url=base)
        context.add_init_script(WATCH_VIOLATIONS)
        page = context.new_page()
        page.on("dialog", lambda dialog: record_dialog(dialog, dialogs))
        if who is None:
            crawl_as(
                page, base, "public", crawl, ["/tip", "/tip?lang=es", "/tip/follow-up", "/login"]
            )
        else:
            page.goto("/login")
            page.locator("#username").fill(who)
            page.locator("#password").fill(passwords[who])
            with page.expect_navigation():
                page.get_by_role("button", name="Sign in", exact=True).click()
            assert urlsplit(page.url).path == "/", f"{who} did not sign in: {page.url}"
            crawl_as(page, base, who, crawl, ["/"])
        context.close()
    proof_figure(
        f"XSS crawl: {crawl.pages} pages ({crawl.pages_showing_payloads} showing polyglots "
        f"as text), {crawl.forms} forms submitted with polyglots, {len(dialogs)} dialogs, "
        f"{len(crawl.problems)} problems"
    )
    assert crawl.pages >= 100, crawl.pages
    # The payloads really reach the pages (as inert text), so the checks have a target.
    assert crawl.pages_showing_payloads >= 40, crawl.pages_showing_payloads
    assert not dialogs, dialogs
    assert not crawl.problems, "\n".join(crawl.problems[:50])
