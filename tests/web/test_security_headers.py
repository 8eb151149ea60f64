"""Security headers on every response (the clients check each one as it arrives; these
tests reach the corners: errors, redirects, static files, oversized bodies, crashes),
and templates that need no inline script or style."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.web.conftest import NONCE_IN_CSP, Site, bearer, open_site
from vigil.platform.roles import Role
from vigil.platform.settings import Settings

SOURCE = Path(__file__).resolve().parents[2] / "src" / "vigil"
TEMPLATES = sorted(SOURCE.glob("**/templates/*.html"))


def nonce(response: object) -> str:
    found = NONCE_IN_CSP.search(response.headers["content-security-policy"])  # type: ignore[attr-defined]
    assert found
    return found.group(1)


def corner_responses(site: Site) -> Iterator[object]:
    """Responses of every kind: the clients' hook checks the headers of each."""
    admin = site.browsers[Role.SYSTEM_ADMIN]
    token = bearer(site.world.member(Role.SYSTEM_ADMIN).token)
    yield site.api.get("/health")
    yield site.api.get("/static/vigil.css")
    yield site.api.get("/static/no-such-file.css")
    yield site.api.get("/no-such-page")
    yield site.api.get("/api/v1/no-such-route", headers=token)
    yield site.api.delete("/api/v1/me", headers=token)  # 405
    yield site.api.get("/api/v1/me")  # 401
    yield site.api.head("/api/v1/openapi.json")
    yield site.api.get("/admin/users")  # 303 to sign-in
    yield site.api.post("/logout")  # 403: no CSRF token
    yield admin.get("/")
    yield admin.get("/admin/users/999999")  # 404 page
    yield admin.post("/admin/users", {"agency_id": "x"})  # 422 page
    yield admin.post("/logout")  # 303
    too_big = b"x" * (site.settings.max_request_bytes + 1)
    yield site.api.post("/api/v1/tokens", content=too_big, headers=token)  # 413, declared
    yield site.api.post(
        "/api/v1/tokens", content=iter([too_big[:1000], too_big[1000:]]), headers=token
    )  # 413, streamed


def test_every_kind_of_response_has_the_headers(site: Site) -> None:
    statuses = {response.status_code for response in corner_responses(site)}  # type: ignore[attr-defined]
    assert {200, 303, 401, 403, 404, 405, 413, 422} <= statuses


def test_a_crash_answers_with_the_headers_and_no_details(site: Site) -> None:
    def explode() -> None:
        raise RuntimeError("secret detail about a person")

    site.app.add_api_route("/api/v1/explode", explode)
    site.app.add_api_route("/explode", explode)
    for path in ("/api/v1/explode", "/explode"):
        response = site.api.get(path)
        assert response.status_code == 500
        assert "secret detail" not in response.text
        assert response.headers["x-request-id"] in response.text
    assert site.api.get("/api/v1/explode").headers["content-type"] == "application/problem+json"


def test_each_response_has_its_own_nonce(site: Site) -> None:
    browser = site.browsers[Role.ANALYST]
    first, second = browser.get("/"), browser.get("/")
    assert nonce(first) != nonce(second)
    assert len(nonce(first)) >= 16
    assert f'nonce="{nonce(first)}"' in first.text
    assert nonce(first) not in second.text


@pytest.mark.parametrize("public_url", ["https://vigil.example.gov", "http://vigil.internal"])
def test_hsts_only_when_served_over_tls(
    settings: Settings,
    session_factory: sessionmaker[Session],
    connection: object,
    public_url: str,
) -> None:
    served = settings.model_copy(update={"public_url": public_url})
    with open_site(served, session_factory, connection) as site:
        # The clients' hook requires HSTS exactly when public_url is https://.
        for _ in corner_responses(site):
            pass
        page = site.browsers[Role.ANALYST].get("/")
        hsts = page.headers.get("strict-transport-security")
        assert (hsts is not None) == public_url.startswith("https://")
        cookie_header = site.client().get("/login").headers["set-cookie"]
        assert ("Secure" in cookie_header) == public_url.startswith("https://")


# --- templates -----------------------------------------------------------------------

JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
TAG = re.compile(r"<[a-zA-Z][^<>]*>")
EVENT_HANDLER = re.compile(r"\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
NONCE_ATTRIBUTE = 'nonce="{{ csp_nonce }}"'


def test_there_are_templates_to_scan() -> None:
    assert len(TEMPLATES) >= 10
    assert any(path.name == "base.html" for path in TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_template_has_no_inline_code_or_style(template: Path) -> None:
    source = JINJA_COMMENT.sub("", template.read_text(encoding="utf-8"))
    for tag in TAG.findall(source):
        name = tag[1:].split(None, 1)[0].rstrip(">").lower()
        assert not EVENT_HANDLER.search(tag), f"inline event handler: {tag}"
        assert not STYLE_ATTRIBUTE.search(tag), f"style attribute: {tag}"
        assert "javascript:" not in tag.lower(), f"javascript: URL: {tag}"
        if name in ("script", "style"):
            assert NONCE_ATTRIBUTE in tag, f"<{name}> without the CSP nonce: {tag}"
    for match in re.finditer(r"<script\b[^>]*>(.*?)</script>", source, re.DOTALL):
        assert "src=" in match.group(0).split(">")[0], f"inline script body: {match.group(0)}"
