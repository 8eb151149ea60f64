"""Single sign-on against a small but real OpenID Connect provider running in process.

The provider below serves discovery, JWKS, an authorization endpoint and a token
endpoint that checks the PKCE verifier and issues RS256-signed ID tokens. Vigil
reaches it through the injectable httpx transport; the test plays the browser,
carrying cookies and following redirects between the two.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pyotp
import pytest
from fastapi import FastAPI, Form, Header, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from markupsafe import escape
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import TEST_SECRET
from tests.factories import make_agency, make_user
from vigil.platform import mfa, oidc
from vigil.platform.models import AuditEvent, User, WebSession
from vigil.platform.roles import Role
from vigil.platform.settings import ConfigurationError, Settings
from vigil.platform.types import utcnow
from vigil.web import csrf
from vigil.web.app import create_app

ISSUER = "https://idp.test/realms/vigil"
CLIENT_ID = "vigil-web"
CLIENT_SECRET = "client-secret-known-only-to-vigil-and-the-idp"
PUBLIC_URL = "https://vigil.test"
REDIRECT_URI = PUBLIC_URL + "/login/sso/callback"
KID = "idp-key-1"


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class FakeIdp:
    """An OpenID Connect provider with knobs a test can turn to misbehave."""

    key: RSAKey
    username: str = "alice"
    # Misbehaviour, one knob per test:
    audience: str = CLIENT_ID
    issuer: str = ISSUER
    nonce: str | None = None  # None: echo the nonce Vigil sent
    lifetime_seconds: int = 300
    signing_key: RSAKey | None = None  # None: sign with the published key
    token_status: int = 200
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)  # every code and token it handed out

    def app(self) -> FastAPI:
        app = FastAPI()
        base = "/realms/vigil"

        @app.get(base + "/.well-known/openid-configuration")
        def discovery() -> dict[str, Any]:
            return {
                "issuer": ISSUER,
                "authorization_endpoint": ISSUER + "/protocol/openid-connect/auth",
                "token_endpoint": ISSUER + "/protocol/openid-connect/token",
                "jwks_uri": ISSUER + "/protocol/openid-connect/certs",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            }

        @app.get(base + "/protocol/openid-connect/certs")
        def certs() -> dict[str, Any]:
            public = self.key.as_dict(private=False)
            return {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}

        @app.get(base + "/protocol/openid-connect/auth")
        def authorize(request: Request) -> Any:
            query = request.query_params
            if (
                query.get("client_id") != CLIENT_ID
                or query.get("redirect_uri") != REDIRECT_URI
                or query.get("response_type") != "code"
                or "openid" not in (query.get("scope") or "").split()
                or query.get("code_challenge_method") != "S256"
                or not query.get("code_challenge")
            ):
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            # The user "signs in" here; the provider remembers what the code stands for.
            code = secrets.token_urlsafe(24)
            self.issued.append(code)
            self.codes[code] = {
                "challenge": query["code_challenge"],
                "nonce": query.get("nonce", ""),
                "redirect_uri": query["redirect_uri"],
            }
            target = REDIRECT_URI + "?" + urlencode({"code": code, "state": query["state"]})
            return RedirectResponse(target, status_code=302)

        @app.post(base + "/protocol/openid-connect/token")
        def token(
            grant_type: Annotated[str, Form()],
            code: Annotated[str, Form()],
            redirect_uri: Annotated[str, Form()],
            code_verifier: Annotated[str, Form()],
            authorization: Annotated[str, Header()] = "",
        ) -> JSONResponse:
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if authorization != f"Basic {expected}":
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            if self.token_status != 200:
                return JSONResponse({"error": "server_error"}, status_code=self.token_status)
            grant = self.codes.pop(code, None)  # single use
            if (
                grant_type != "authorization_code"
                or grant is None
                or grant["redirect_uri"] != redirect_uri
                or _s256(code_verifier) != grant["challenge"]
            ):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            now = int(time.time())
            claims = {
                "iss": self.issuer,
                "sub": "idp-subject-42",
                "aud": self.audience,
                "iat": now,
                "exp": now + self.lifetime_seconds,
                "nonce": self.nonce if self.nonce is not None else grant["nonce"],
                "preferred_username": self.username,
            }
            header = {"alg": "RS256", "kid": KID}
            id_token = jwt.encode(header, claims, self.signing_key or self.key)
            access_token = secrets.token_urlsafe(24)
            self.issued += [id_token, access_token]
            return JSONResponse(
                {
                    "access_token": access_token,
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": id_token,
                }
            )

        return app


def forwarding_transport(idp_client: TestClient) -> httpx.MockTransport:
    """An httpx transport that hands Vigil's requests to the in-process provider."""

    def forward(request: httpx.Request) -> httpx.Response:
        reply = idp_client.request(
            request.method,
            str(request.url),
            headers=dict(request.headers),
            content=request.content,
        )
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)

    return httpx.MockTransport(forward)


@pytest.fixture()
def idp() -> FakeIdp:
    return FakeIdp(key=RSAKey.generate_key(2048, private=True))


@pytest.fixture()
def idp_client(idp: FakeIdp) -> Iterator[TestClient]:
    with TestClient(idp.app(), base_url="https://idp.test") as client:
        yield client


def sso_settings(settings: Settings, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "oidc_issuer": ISSUER,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": SecretStr(CLIENT_SECRET),
        "public_url": PUBLIC_URL,
        **overrides,
    }
    return settings.model_copy(update=values)


def vigil_client(
    settings: Settings,
    session_factory: sessionmaker[Session],
    transport: httpx.BaseTransport,
) -> TestClient:
    app = create_app(settings, session_factory=session_factory)
    app.state.oidc = oidc.make_provider(settings, transport=transport)
    return TestClient(app, base_url=PUBLIC_URL, follow_redirects=False)


@pytest.fixture()
def client(
    settings: Settings, session_factory: sessionmaker[Session], idp_client: TestClient
) -> Iterator[TestClient]:
    with vigil_client(
        sso_settings(settings), session_factory, forwarding_transport(idp_client)
    ) as client:
        yield client


@pytest.fixture()
def alice(db: Session) -> User:
    agency = make_agency(db)
    user = make_user(db, agency=agency, username="alice", roles={Role.ANALYST}, mfa_enabled=True)
    db.commit()
    return user


def start(client: TestClient, next_url: str = "/") -> httpx.Response:
    """The browser's first step: Vigil's sign-on link, answered with a redirect."""
    response: httpx.Response = client.get("/login/sso", params={"next": next_url})
    assert response.status_code == 303, response.text
    return response


def at_provider(idp_client: TestClient, authorize_url: str) -> str:
    """The user signs in at the provider; returns the callback path and query."""
    response = idp_client.get(authorize_url, follow_redirects=False)
    assert response.status_code == 302, response.text
    callback = urlsplit(response.headers["location"])
    assert f"{callback.scheme}://{callback.netloc}" == PUBLIC_URL
    return f"{callback.path}?{callback.query}"


def sign_on(client: TestClient, idp_client: TestClient, next_url: str = "/") -> httpx.Response:
    authorize_url = start(client, next_url).headers["location"]
    response: httpx.Response = client.get(at_provider(idp_client, authorize_url))
    return response


def sso_events(db: Session) -> list[AuditEvent]:
    db.expire_all()
    statement = (
        select(AuditEvent).where(AuditEvent.action.startswith("auth.")).order_by(AuditEvent.seq)
    )
    return list(db.execute(statement).scalars())


def assert_refused(response: httpx.Response, db: Session, reason: str) -> AuditEvent:
    assert response.status_code == 401
    assert escape(oidc.REFUSED_MESSAGE) in response.text
    assert "vigil_session" not in response.cookies
    events = sso_events(db)
    assert [(e.action, e.outcome) for e in events] == [("auth.sso", "failure")]
    assert events[0].details["reason"] == reason
    assert db.execute(select(WebSession)).scalars().all() == []
    return events[0]


# -- the happy paths ----------------------------------------------------------------------


def test_start_redirects_to_provider_with_pkce_state_and_nonce(client: TestClient) -> None:
    response = start(client, "/reports?page=2")

    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        ISSUER + "/protocol/openid-connect/auth"
    )
    query = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == REDIRECT_URI
    assert "openid" in query["scope"].split()
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{oidc.STATE_COOKIE}=")
    for attribute in ("HttpOnly", "SameSite=lax", "Secure", "Path=/login/sso", "Max-Age=600"):
        assert attribute.lower() in cookie.lower()
    pending = oidc.unseal(client.cookies[oidc.STATE_COOKIE], secret_key=TEST_SECRET)
    assert pending is not None
    assert pending.state == query["state"] and pending.nonce == query["nonce"]
    assert _s256(pending.code_verifier) == query["code_challenge"]
    assert pending.next_url == "/reports?page=2"


def test_sign_on_leads_to_vigil_mfa_step_not_a_full_session(
    client: TestClient, idp_client: TestClient, idp: FakeIdp, db: Session, alice: User
) -> None:
    response = sign_on(client, idp_client, "/reports")

    assert response.status_code == 303
    assert response.headers["location"] == "/login/mfa?next=%2Freports"
    assert client.cookies.get("vigil_session")
    assert oidc.STATE_COOKIE not in client.cookies  # one use only
    session = db.execute(select(WebSession)).scalar_one()
    assert (session.user_id, session.auth_method, session.mfa_verified) == (alice.id, "oidc", False)
    # The identity provider alone does not open Vigil.
    assert client.get("/").headers["location"].startswith("/login")
    events = sso_events(db)
    assert [(e.action, e.outcome, e.actor_name) for e in events] == [
        ("auth.sso", "success", "alice")
    ]
    trail = json.dumps([e.details for e in events])
    assert not any(secret in trail for secret in idp.issued)


def test_sign_on_then_totp_signs_in(
    client: TestClient, idp_client: TestClient, db: Session, alice: User
) -> None:
    secret = mfa.new_secret()
    alice.totp_secret_encrypted = mfa.encrypt_secret(secret, secret_key=TEST_SECRET)
    db.commit()

    assert sign_on(client, idp_client).headers["location"] == "/login/mfa?next=%2F"
    token = csrf.token_for(TEST_SECRET, client.cookies["vigil_csrf"])
    response = client.post(
        "/login/mfa",
        data={"code": pyotp.TOTP(secret).now(), "next": "/", "csrf_token": token},
    )

    assert response.status_code == 303 and response.headers["location"] == "/"
    assert client.get("/").status_code == 200
    session = db.execute(select(WebSession)).scalar_one()
    assert (session.auth_method, session.mfa_verified) == ("oidc", True)


def test_user_without_mfa_is_sent_to_enrol(
    client: TestClient, idp_client: TestClient, db: Session, alice: User
) -> None:
    alice.mfa_enabled = False
    db.commit()

    response = sign_on(client, idp_client)

    assert response.headers["location"] == "/login/enrol?next=%2F"


def test_demo_mode_signs_in_fully(
    settings: Settings,
    session_factory: sessionmaker[Session],
    idp_client: TestClient,
    db: Session,
    alice: User,
) -> None:
    demo = sso_settings(settings, demo_mode=True)
    with vigil_client(demo, session_factory, forwarding_transport(idp_client)) as client:
        response = sign_on(client, idp_client, "/account")

        assert response.status_code == 303 and response.headers["location"] == "/account"
        assert client.get("/").status_code == 200
    session = db.execute(select(WebSession)).scalar_one()
    assert (session.auth_method, session.mfa_verified) == ("oidc", True)
    assert [(e.action, e.outcome) for e in sso_events(db)] == [("auth.login", "success")]


# -- refusals: one generic answer, each audited with its reason ---------------------------


def test_wrong_state_is_refused(
    client: TestClient, idp_client: TestClient, db: Session, alice: User
) -> None:
    callback = at_provider(idp_client, start(client).headers["location"])
    path, _, query = callback.partition("?")
    params = parse_qs(query)

    response = client.get(path, params={"code": params["code"][0], "state": "forged"})

    assert_refused(response, db, "state_mismatch")


def test_tampered_state_cookie_is_refused(
    client: TestClient, idp_client: TestClient, db: Session, alice: User
) -> None:
    callback = at_provider(idp_client, start(client).headers["location"])
    sealed = client.cookies[oidc.STATE_COOKIE]
    payload, _, signature = sealed.rpartition(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["next_url"] = "/admin"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    client.cookies.set(oidc.STATE_COOKIE, f"{forged}.{signature}", domain="vigil.test")

    response = client.get(callback)

    assert_refused(response, db, "bad_state_cookie")


def test_callback_without_state_cookie_is_refused(
    client: TestClient, idp_client: TestClient, db: Session, alice: User
) -> None:
    callback = at_provider(idp_client, start(client).headers["location"])
    client.cookies.clear()

    assert_refused(client.get(callback), db, "bad_state_cookie")


def test_expired_state_cookie_is_not_accepted() -> None:
    pending = oidc.PendingSignIn("s", "n", "v", "/", expires_at=int(time.time()) - 1)
    sealed = oidc.seal(pending, secret_key=TEST_SECRET)

    assert oidc.unseal(sealed, secret_key=TEST_SECRET) is None
    assert oidc.unseal(sealed, secret_key=TEST_SECRET, now=time.time() - 60) == pending
    assert oidc.unseal(sealed, secret_key="another-secret-key", now=time.time() - 60) is None


@pytest.mark.parametrize(
    ("knob", "value", "claim"),
    [
        ("nonce", "not-the-nonce-vigil-sent", "nonce"),
        ("audience", "some-other-client", "aud"),
        ("issuer", "https://evil.test/realms/vigil", "iss"),
        ("lifetime_seconds", -600, "exp"),
    ],
)
def test_id_token_with_bad_claims_is_refused(
    client: TestClient,
    idp_client: TestClient,
    idp: FakeIdp,
    db: Session,
    alice: User,
    knob: str,
    value: object,
    claim: str,
) -> None:
    setattr(idp, knob, value)

    event = assert_refused(sign_on(client, idp_client), db, "invalid_id_token")

    assert event.details["claim"] == claim


def test_id_token_with_bad_signature_is_refused(
    client: TestClient, idp_client: TestClient, idp: FakeIdp, db: Session, alice: User
) -> None:
    idp.signing_key = RSAKey.generate_key(2048, private=True)  # same kid, wrong key

    assert_refused(sign_on(client, idp_client), db, "bad_signature")


def test_replayed_code_is_refused(
    client: TestClient, idp_client: TestClient, db: Session, alice: User
) -> None:
    authorize_url = start(client).headers["location"]
    callback = at_provider(idp_client, authorize_url)
    sealed = client.cookies[oidc.STATE_COOKIE]
    assert client.get(callback).status_code == 303
    client.cookies.clear()
    client.cookies.set(oidc.STATE_COOKIE, sealed, domain="vigil.test", path="/login/sso")

    response = client.get(callback)

    assert response.status_code == 401
    assert sso_events(db)[-1].details == {
        "method": "oidc",
        "known_user": False,
        "reason": "token_refused",
        "error": "invalid_grant",
    }


def test_unknown_user_is_refused_without_naming_them(
    client: TestClient, idp_client: TestClient, idp: FakeIdp, db: Session, alice: User
) -> None:
    idp.username = "mallory"

    event = assert_refused(sign_on(client, idp_client), db, "unknown_user")

    assert event.actor_type == "anonymous"
    assert "mallory" not in json.dumps(event.details)


@pytest.mark.parametrize("how", ["user disabled", "agency inactive"])
def test_disabled_user_is_refused(
    client: TestClient, idp_client: TestClient, db: Session, alice: User, how: str
) -> None:
    if how == "user disabled":
        alice.disabled_at = utcnow()
    else:
        alice.agency.active = False
    db.commit()

    event = assert_refused(sign_on(client, idp_client), db, "disabled_user")

    assert (event.actor_name, event.details["known_user"]) == ("alice", True)


def test_locked_user_is_refused(
    client: TestClient, idp_client: TestClient, db: Session, alice: User
) -> None:
    alice.locked_at = utcnow()
    db.commit()

    assert_refused(sign_on(client, idp_client), db, "locked_user")


# -- the provider's own errors -------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "recorded", "message"),
    [
        ("access_denied", "access_denied", oidc.CANCELLED_MESSAGE),
        ("temporarily_unavailable", "temporarily_unavailable", oidc.UNAVAILABLE_MESSAGE),
        (
            "server_error",
            "server_error",
            oidc.PROVIDER_ERROR_MESSAGE.format(error="server_error"),
        ),
        (
            "<b>Call 555-0100</b>",
            "unrecognized",
            oidc.PROVIDER_ERROR_MESSAGE.format(error="unrecognized"),
        ),
    ],
)
def test_provider_error_parameter_gives_a_clear_page(
    client: TestClient, db: Session, alice: User, error: str, recorded: str, message: str
) -> None:
    start(client)

    response = client.get(
        "/login/sso/callback",
        params={"error": error, "error_description": "Call 555-0100 to unlock"},
    )

    assert response.status_code == 401
    assert escape(message) in response.text
    assert "555-0100" not in response.text
    assert "vigil_session" not in response.cookies
    events = sso_events(db)
    assert [(e.action, e.outcome) for e in events] == [("auth.sso", "failure")]
    assert events[0].details["reason"] == "provider_error"
    assert events[0].details["error"] == recorded


def test_unreachable_provider_gives_a_clear_page(
    settings: Settings, session_factory: sessionmaker[Session], db: Session
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with vigil_client(
        sso_settings(settings), session_factory, httpx.MockTransport(refuse)
    ) as client:
        response = client.get("/login/sso")

    assert response.status_code == 502
    assert escape(oidc.UNAVAILABLE_MESSAGE) in response.text
    assert [(e.action, e.outcome) for e in sso_events(db)] == [("auth.sso", "error")]


def test_failing_token_endpoint_gives_a_clear_page(
    client: TestClient, idp_client: TestClient, idp: FakeIdp, db: Session, alice: User
) -> None:
    idp.token_status = 503

    response = sign_on(client, idp_client)

    assert response.status_code == 502
    assert escape(oidc.UNAVAILABLE_MESSAGE) in response.text
    assert sso_events(db)[-1].details["reason"] == "provider_unavailable"


# -- configuration -------------------------------------------------------------------------


def test_sign_on_link_shows_only_when_configured(
    client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    assert 'href="/login/sso"' in client.get("/login").text
    with TestClient(
        create_app(settings, session_factory=session_factory), base_url=PUBLIC_URL
    ) as plain:
        assert 'href="/login/sso"' not in plain.get("/login").text
        assert plain.get("/login/sso", follow_redirects=False).status_code == 404


def test_app_factory_builds_the_provider_from_settings(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    app = create_app(sso_settings(settings), session_factory=session_factory)

    provider = app.state.oidc
    assert (provider.issuer, provider.client_id) == (ISSUER, CLIENT_ID)
    assert provider.redirect_uri == REDIRECT_URI
    assert CLIENT_SECRET not in repr(provider)


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"public_url": None}, "VIGIL_PUBLIC_URL"),
        ({"oidc_issuer": "http://idp.test/realms/vigil"}, "https://"),
    ],
)
def test_unsafe_sso_settings_are_refused_at_start(
    settings: Settings, overrides: dict[str, Any], words: str
) -> None:
    with pytest.raises(ConfigurationError, match=words):
        oidc.make_provider(sso_settings(settings, **overrides))
