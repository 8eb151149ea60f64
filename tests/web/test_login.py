"""Signing in through HTTP with the real argon2: answers that never tell who has an
account, lockout after repeated failures, the second factor (no code twice), MFA
enrolment, and no open redirect through ``next``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

import httpx
import pyotp
import pytest
from sqlalchemy import update

from tests.factories import DEFAULT_PASSWORD, make_user
from tests.web.conftest import NONCE_IN_CSP, Browser, Site, bearer
from vigil.platform import authentication, mfa, sessions
from vigil.platform.models import Agency, User
from vigil.platform.roles import Role
from vigil.platform.types import utcnow

SETUP_KEY = re.compile(r'id="setup-key">([A-Z2-7]+)<')
NEXT_INPUT = re.compile(r'name="next" value="([^"]*)"')
EVIL_NEXT = [
    "//evil.example",
    "https://evil.example",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "/%2F%2Fevil.example",
    "/\r\nSet-Cookie: vigil_session=planted",
]


@pytest.fixture()
def hashing() -> Iterator[None]:
    """The real argon2 here: these tests are about signing in."""
    yield


def add_person(site: Site, *, with_mfa: bool = True) -> tuple[str, str | None, int]:
    """A user of the home agency: (username, TOTP secret or None, id)."""
    with site.db() as db:
        agency = db.get(Agency, site.world.home)
        assert agency is not None
        user = make_user(db, agency=agency, roles={Role.ANALYST}, mfa_enabled=with_mfa)
        secret = None
        if with_mfa:
            secret = mfa.new_secret()
            user.totp_secret_encrypted = mfa.encrypt_secret(
                secret, secret_key=site.settings.secret_key.get_secret_value()
            )
        db.commit()
        return user.username, secret, user.id


def log_in(browser: Browser, username: str, password: str, next_url: str = "/") -> httpx.Response:
    return browser.post("/login", {"username": username, "password": password, "next": next_url})


def normalized(response: httpx.Response, browser: Browser, username: str) -> str:
    """The page with what may differ between two requests blanked out."""
    nonce = NONCE_IN_CSP.search(response.headers["content-security-policy"])
    assert nonce
    text = response.text.replace(browser.csrf, "CSRF").replace(nonce.group(1), "NONCE")
    return text.replace(username, "USERNAME")


Answer = tuple[httpx.Response, Browser, str]  # the response, who asked, the name typed


def answers_alike(first: Answer, second: Answer) -> None:
    (one, one_browser, one_name), (two, two_browser, two_name) = first, second
    assert one.status_code == two.status_code
    assert normalized(one, one_browser, one_name) == normalized(two, two_browser, two_name)
    assert set(one.headers) == set(two.headers)


def test_wrong_password_and_unknown_user_answer_alike(site: Site) -> None:
    username, _, _ = add_person(site)
    known, unknown = site.browser(), site.browser()
    wrong = log_in(known, username, "not the password at all")
    nobody = log_in(unknown, "nobody.here", "not the password at all")
    assert wrong.status_code == 401
    assert authentication.FAILED_MESSAGE in wrong.text
    answers_alike((wrong, known, username), (nobody, unknown, "nobody.here"))
    assert "vigil_session" not in known.client.cookies


def test_a_disabled_account_answers_like_a_wrong_password(site: Site) -> None:
    username, _, user_id = add_person(site)
    with site.db() as db:
        db.execute(update(User).where(User.id == user_id).values(disabled_at=utcnow()))
        db.commit()
    disabled, unknown = site.browser(), site.browser()
    right_password = log_in(disabled, username, DEFAULT_PASSWORD)
    nobody = log_in(unknown, "nobody.here", DEFAULT_PASSWORD)
    answers_alike((right_password, disabled, username), (nobody, unknown, "nobody.here"))


def test_five_failures_lock_known_and_unknown_usernames_alike(site: Site) -> None:
    assert site.settings.login_max_failures == 5
    username, _, user_id = add_person(site)
    known, unknown = site.browser(), site.browser()
    for attempt in range(1, 6):
        wrong = log_in(known, username, f"wrong password {attempt}")
        nobody = log_in(unknown, "nobody.here", f"wrong password {attempt}")
        answers_alike((wrong, known, username), (nobody, unknown, "nobody.here"))
        message = authentication.LOCKED_MESSAGE if attempt == 5 else authentication.FAILED_MESSAGE
        assert message in wrong.text, attempt
    # Locked: even the right password is refused, with the same answer as for nobody.
    right = log_in(known, username, DEFAULT_PASSWORD)
    nobody = log_in(unknown, "nobody.here", DEFAULT_PASSWORD)
    assert right.status_code == 401 and authentication.LOCKED_MESSAGE in right.text
    answers_alike((right, known, username), (nobody, unknown, "nobody.here"))
    assert "vigil_session" not in known.client.cookies

    # An administrator unlocks; then the right password works again.
    admin = site.world.member(Role.AGENCY_ADMIN)
    unlocked = site.api.post(f"/api/v1/users/{user_id}/unlock", headers=bearer(admin.token))
    assert unlocked.status_code == 200 and unlocked.json()["locked"] is False
    again = log_in(known, username, DEFAULT_PASSWORD)
    assert again.status_code == 303 and again.headers["location"].startswith("/login/mfa")


def test_second_factor_signs_in_and_refuses_a_code_twice(site: Site) -> None:
    username, secret, _ = add_person(site)
    assert secret is not None
    browser = site.browser()
    first = log_in(browser, username, DEFAULT_PASSWORD, "/account")
    assert first.status_code == 303
    assert first.headers["location"] == "/login/mfa?next=%2Faccount"
    pending = browser.client.cookies["vigil_session"]
    # Past the password only: nothing opens yet.
    assert browser.get("/").headers["location"].startswith("/login?next=")
    assert browser.get(first.headers["location"]).status_code == 200

    code = pyotp.TOTP(secret).now()
    signed_in = browser.post("/login/mfa", {"code": code, "next": "/account"})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/account"
    assert browser.client.cookies["vigil_session"] != pending  # a new session id after MFA
    assert browser.get("/account").status_code == 200
    # The pre-MFA cookie is worth nothing now.
    stale = site.browser(pending)
    assert stale.get("/").status_code == 303
    assert stale.get("/login/mfa").headers["location"] == "/login"

    # Somebody who saw the code (and knows the password) cannot use it again.
    thief = site.browser()
    assert log_in(thief, username, DEFAULT_PASSWORD).status_code == 303
    replay = thief.post("/login/mfa", {"code": code, "next": "/"})
    assert replay.status_code == 401
    assert authentication.BAD_CODE_MESSAGE in replay.text
    assert thief.get("/").status_code == 303


def test_wrong_codes_count_towards_the_lockout(site: Site) -> None:
    username, secret, _ = add_person(site)
    assert secret is not None
    browser = site.browser()
    assert log_in(browser, username, DEFAULT_PASSWORD).status_code == 303
    answers = [browser.post("/login/mfa", {"code": "000000"}) for _ in range(5)]
    assert [a.status_code for a in answers] == [401] * 5
    assert authentication.LOCKED_MESSAGE in answers[-1].text
    # The pending session ended with the lock: even a right code gets nowhere.
    late = browser.post("/login/mfa", {"code": pyotp.TOTP(secret).now()})
    assert late.status_code == 303 and late.headers["location"] == "/login"
    assert browser.get("/").status_code == 303


def test_enrolment_then_no_code_twice(site: Site) -> None:
    username, _, _ = add_person(site, with_mfa=False)
    browser = site.browser()
    first = log_in(browser, username, DEFAULT_PASSWORD, "/account")
    assert first.headers["location"] == "/login/enrol?next=%2Faccount"
    page = browser.get(first.headers["location"])
    found = SETUP_KEY.search(page.text)
    assert page.status_code == 200 and found
    secret = found.group(1)
    assert browser.get("/").status_code == 303  # not signed in until the code is confirmed

    wrong = browser.post("/login/enrol", {"code": "123456", "next": "/account"})
    assert wrong.status_code == 422
    code = pyotp.TOTP(secret).now()
    enrolled = browser.post("/login/enrol", {"code": code, "next": "/account"})
    assert enrolled.status_code == 303 and enrolled.headers["location"] == "/account"
    assert browser.get("/account").status_code == 200

    again = site.browser()
    assert log_in(again, username, DEFAULT_PASSWORD).headers["location"].startswith("/login/mfa")
    assert again.post("/login/mfa", {"code": code}).status_code == 401


def same_site(location: str) -> bool:
    """Whether a browser would stay on this site following ``location``: browsers drop
    tabs and line breaks, read a backslash as a slash, and do not decode %2F."""
    browser_view = re.sub(r"[\t\r\n]", "", location).replace("\\", "/").lstrip()
    return browser_view.startswith("/") and not browser_view.startswith("//")


@pytest.mark.parametrize("evil", EVIL_NEXT)
def test_next_never_leaves_the_site(site: Site, evil: str) -> None:
    username, secret, _ = add_person(site)
    assert secret is not None
    browser = site.browser()
    # The sign-in form carries only a same-site target.
    form = browser.get("/login", params={"next": evil})
    assert all(same_site(found) for found in NEXT_INPUT.findall(form.text))
    # The password step passes on only a same-site target.
    first = log_in(browser, username, DEFAULT_PASSWORD, evil)
    assert first.status_code == 303
    location = first.headers["location"]
    assert location.startswith("/login/mfa?next=")
    assert same_site(unquote(location.split("next=", 1)[1]))
    mfa_form = browser.get("/login/mfa", params={"next": evil})
    assert all(same_site(found) for found in NEXT_INPUT.findall(mfa_form.text))
    # Even when the attacker posts the code form with their own target.
    last = browser.post("/login/mfa", {"code": pyotp.TOTP(secret).now(), "next": evil})
    assert last.status_code == 303
    assert same_site(last.headers["location"]), last.headers["location"]
    assert not re.search(r"[\x00-\x20]", last.headers["location"])
    assert "vigil_session=planted" not in last.headers.get("set-cookie", "")
    if "evil.example" in evil and "%2F" not in evil:
        assert last.headers["location"] == "/"


def test_next_keeps_a_local_target(site: Site) -> None:
    username, secret, _ = add_person(site)
    assert secret is not None
    browser = site.browser()
    target = "/admin/users?agency_id=3"
    first = log_in(browser, username, DEFAULT_PASSWORD, target)
    assert first.headers["location"] == "/login/mfa?next=%2Fadmin%2Fusers%3Fagency_id%3D3"
    last = browser.post("/login/mfa", {"code": pyotp.TOTP(secret).now(), "next": target})
    assert last.headers["location"] == target
    assert same_site(last.headers["location"])


def test_sign_in_redirect_keeps_where_the_user_was_going(site: Site) -> None:
    response = site.browser().get("/admin/users?agency_id=3")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Fusers%3Fagency_id%3D3"


def test_same_site_helper_recognises_escapes() -> None:
    assert same_site("/account")
    assert not same_site("//evil.example")
    assert not same_site("/\\evil.example")
    assert not same_site("/\t/evil.example")
    assert same_site("/%2F%2Fevil.example")  # a path on this site
    assert not same_site("https://evil.example")


def test_a_pending_session_cannot_be_created_by_a_forged_cookie(site: Site) -> None:
    """A made-up session cookie neither signs in nor reaches the MFA form."""
    browser = site.browser(sessions.digest("made-up"))
    assert browser.get("/login/mfa").headers["location"] == "/login"
    assert browser.post("/login/mfa", {"code": "000000"}).headers["location"] == "/login"
