"""OpenID Connect single sign-on: the identity provider edge, the signed sign-in state
cookie, and matching a validated ID token to an existing Vigil user.

SSO is only a first factor: outside demo mode the user still passes Vigil's own TOTP
step. It never creates accounts, and every refusal looks the same to the browser so
the callback cannot be used to find out who has an account.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import quote_plus, urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ClaimError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from sqlalchemy.orm import Session

from vigil.platform import audit, authentication
from vigil.platform.actor import Actor, for_user
from vigil.platform.models import User
from vigil.platform.settings import ConfigurationError, Settings

log = logging.getLogger("vigil.oidc")

STATE_COOKIE = "vigil_sso"
STATE_COOKIE_PATH = "/login/sso"  # sent to the callback, nowhere else
STATE_LIFETIME_SECONDS = 600
CALLBACK_PATH = "/login/sso/callback"
SCOPE = "openid profile email"
METADATA_TTL_SECONDS = 3600
CLOCK_LEEWAY_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 10.0
MAX_STATE_COOKIE = 4096
# Asymmetric algorithms only: "none" is never acceptable, and HMAC-signed ID tokens
# would be keyed with the client secret, which is not a proof from the provider alone.
SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)
# RFC 6749 error codes are short lowercase words; anything else is not shown back.
ERROR_CODE = re.compile(r"[a-z_]{1,64}")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

REFUSED_MESSAGE = (
    "Single sign-on did not sign you in. Try again, or sign in with your username and "
    "password. If this keeps happening, ask your agency administrator."
)
CANCELLED_MESSAGE = (
    "Your organization's sign-in service did not sign you in (you may have cancelled). "
    "You can try again."
)
PROVIDER_ERROR_MESSAGE = (
    "Your organization's sign-in service reported a problem ({error}). Try again, or ask "
    "your agency administrator."
)
UNAVAILABLE_MESSAGE = (
    "Vigil could not reach your organization's sign-in service. Try again later, or "
    "sign in with your username and password."
)


class ProviderUnavailable(Exception):
    """The identity provider could not be reached or gave an answer we cannot use."""


class SignInRejected(Exception):
    """The provider's answer does not prove who the user is."""

    def __init__(self, reason: str, *, claim: str | None = None, provider_error: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.claim = claim
        self.provider_error = provider_error


@dataclass(frozen=True)
class PendingSignIn:
    """What the callback must match: kept in a signed cookie between the two requests."""

    state: str
    nonce: str
    code_verifier: str
    next_url: str
    expires_at: int  # seconds since the epoch


def _is_secure(url: str, *, allow_http: bool) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and (allow_http or parts.hostname in LOOPBACK_HOSTS)


def _provider_error(value: object) -> str:
    return value if isinstance(value, str) and ERROR_CODE.fullmatch(value) else "unrecognized"


@dataclass
class OidcProvider:
    """One OpenID Connect provider: discovery (cached), authorization URL, code exchange
    and ID-token validation. ``transport`` lets tests put a real in-process IdP here."""

    issuer: str
    client_id: str
    redirect_uri: str
    client_secret: str | None = field(default=None, repr=False)
    scope: str = SCOPE
    allow_http: bool = False
    transport: httpx.BaseTransport | None = field(default=None, repr=False)
    _metadata: dict[str, Any] | None = field(default=None, init=False, repr=False)
    _metadata_at: float = field(default=0.0, init=False, repr=False)
    _keys: KeySet | None = field(default=None, init=False, repr=False)
    _keys_at: float = field(default=0.0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    # -- HTTP ---------------------------------------------------------------------------

    def _client(self, auth: httpx.Auth | None = None) -> httpx.Client:
        return httpx.Client(
            transport=self.transport,
            auth=auth,
            timeout=HTTP_TIMEOUT_SECONDS,
            follow_redirects=False,
        )

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            with self._client() as client:
                response = client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as error:
            log.warning("OIDC request to %s failed: %s", url, type(error).__name__)
            raise ProviderUnavailable(url) from error
        if not isinstance(data, dict):
            raise ProviderUnavailable(url)
        return data

    # -- discovery and keys -------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, fetched at most once an hour."""
        with self._lock:
            now = time.monotonic()
            if self._metadata is None or now - self._metadata_at > METADATA_TTL_SECONDS:
                self._metadata = self._discover()
                self._metadata_at = now
                self._keys = None
            return self._metadata

    def _discover(self) -> dict[str, Any]:
        document = self._get_json(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
        issuer = document.get("issuer")
        # OIDC Discovery 4.3: the document must name the issuer we asked (tolerating
        # only a trailing slash), or a compromised host could speak for another issuer.
        if not isinstance(issuer, str) or issuer.rstrip("/") != self.issuer.rstrip("/"):
            log.warning("OIDC discovery names issuer %r, not the configured one", issuer)
            raise ProviderUnavailable("issuer mismatch")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(name)
            if not isinstance(value, str) or not _is_secure(value, allow_http=self.allow_http):
                log.warning("OIDC discovery: %s is missing or not https", name)
                raise ProviderUnavailable(name)
        return document

    def _key_set(self, *, refresh: bool = False) -> KeySet:
        metadata = self.metadata()
        with self._lock:
            now = time.monotonic()
            if refresh or self._keys is None or now - self._keys_at > METADATA_TTL_SECONDS:
                data = self._get_json(metadata["jwks_uri"])
                try:
                    self._keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
                except (JoseError, KeyError, TypeError, ValueError) as error:
                    log.warning("OIDC JWKS could not be read: %s", type(error).__name__)
                    raise ProviderUnavailable("jwks") from error
                self._keys_at = now
            return self._keys

    # -- the flow -----------------------------------------------------------------------

    def begin(self, next_url: str) -> tuple[str, PendingSignIn]:
        """The authorization URL (code flow, PKCE S256, state, nonce) and what to remember."""
        metadata = self.metadata()
        pending = PendingSignIn(
            state=generate_token(32),
            nonce=generate_token(32),
            code_verifier=generate_token(64),
            next_url=next_url,
            expires_at=int(time.time()) + STATE_LIFETIME_SECONDS,
        )
        url = prepare_grant_uri(
            metadata["authorization_endpoint"],
            self.client_id,
            "code",
            redirect_uri=self.redirect_uri,
            scope=self.scope,
            state=pending.state,
            nonce=pending.nonce,
            code_challenge=create_s256_code_challenge(pending.code_verifier),
            code_challenge_method="S256",
        )
        return str(url), pending

    def redeem(self, code: str, pending: PendingSignIn) -> dict[str, Any]:
        """Exchange the code at the token endpoint; return the ID token's checked claims."""
        metadata = self.metadata()
        tokens = self._exchange(metadata, code, pending.code_verifier)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SignInRejected("no_id_token")
        access_token = tokens.get("access_token")
        return self._validate(
            metadata,
            id_token,
            nonce=pending.nonce,
            access_token=access_token if isinstance(access_token, str) else None,
        )

    def _exchange(self, metadata: dict[str, Any], code: str, verifier: str) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": verifier,
        }
        auth: httpx.Auth | None = None
        methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        if self.client_secret is None:
            form["client_id"] = self.client_id
        elif "client_secret_basic" in methods:
            auth = httpx.BasicAuth(*_form_encoded(self.client_id, self.client_secret))
        else:
            form["client_id"] = self.client_id
            form["client_secret"] = self.client_secret
        url = metadata["token_endpoint"]
        try:
            with self._client(auth) as client:
                response = client.post(url, data=form, headers={"Accept": "application/json"})
            data = response.json()
        except (httpx.HTTPError, ValueError) as error:
            log.warning("OIDC token request failed: %s", type(error).__name__)
            raise ProviderUnavailable("token endpoint") from error
        if not isinstance(data, dict):
            raise ProviderUnavailable("token endpoint")
        if response.status_code in (400, 401):
            # invalid_grant (a stale or replayed code) or invalid_client (our configuration).
            raise SignInRejected("token_refused", provider_error=_provider_error(data.get("error")))
        if response.status_code != 200:
            log.warning("OIDC token endpoint answered %s", response.status_code)
            raise ProviderUnavailable("token endpoint")
        return data

    def _validate(
        self, metadata: dict[str, Any], id_token: str, *, nonce: str, access_token: str | None
    ) -> dict[str, Any]:
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [alg for alg in offered if alg in SIGNING_ALGORITHMS]
        if not algorithms:
            log.warning("OIDC provider offers no asymmetric ID-token signing algorithm")
            raise SignInRejected("unsupported_algorithm")
        try:
            try:
                token = self._decode(id_token, algorithms, refresh=False)
            except InvalidKeyIdError:
                # The provider may have rotated its keys since we fetched them.
                token = self._decode(id_token, algorithms, refresh=True)
        except JoseError as error:
            raise SignInRejected("bad_signature") from error
        claims = CodeIDToken(
            token.claims,
            token.header,
            {
                "iss": {"essential": True, "value": metadata["issuer"]},
                "aud": {"essential": True, "value": self.client_id},
                "exp": {"essential": True},
            },
            {"nonce": nonce, "client_id": self.client_id, "access_token": access_token},
        )
        try:
            claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
        except ClaimError as error:
            raise SignInRejected("invalid_id_token", claim=error.claim[:40]) from error
        except (JoseError, TypeError, ValueError) as error:
            raise SignInRejected("invalid_id_token") from error
        return dict(claims)

    def _decode(self, id_token: str, algorithms: list[str], *, refresh: bool) -> jwt.Token:
        registry = JWSRegistry(algorithms=algorithms)
        return jwt.decode(id_token, self._key_set(refresh=refresh), registry=registry)


def _form_encoded(client_id: str, secret: str) -> tuple[str, str]:
    # RFC 6749 2.3.1: the id and secret are form-encoded before HTTP Basic encoding.
    return quote_plus(client_id), quote_plus(secret)


def make_provider(
    settings: Settings, *, transport: httpx.BaseTransport | None = None
) -> OidcProvider:
    """The configured provider. Nothing is fetched until the first sign-in."""
    if not settings.oidc_issuer or not settings.oidc_client_id:
        raise ConfigurationError(
            "Single sign-on needs both VIGIL_OIDC_ISSUER and VIGIL_OIDC_CLIENT_ID."
        )
    if not settings.public_url:
        raise ConfigurationError(
            "Single sign-on needs VIGIL_PUBLIC_URL: the identity provider sends users back "
            f"to <public URL>{CALLBACK_PATH}."
        )
    if not _is_secure(settings.oidc_issuer, allow_http=settings.demo_mode):
        raise ConfigurationError(
            "VIGIL_OIDC_ISSUER must be an https:// URL (http:// only for localhost or in "
            "demo mode): Vigil trusts the keys it fetches from there."
        )
    secret = settings.oidc_client_secret
    return OidcProvider(
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id,
        redirect_uri=settings.public_url.rstrip("/") + CALLBACK_PATH,
        client_secret=secret.get_secret_value() if secret is not None else None,
        allow_http=settings.demo_mode,
        transport=transport,
    )


# -- the signed state cookie ------------------------------------------------------------


def _signature(secret_key: str, payload: str) -> str:
    return hmac.new(
        secret_key.encode("utf-8"), f"oidc-state|{payload}".encode(), hashlib.sha256
    ).hexdigest()


def seal(pending: PendingSignIn, *, secret_key: str) -> str:
    """The cookie value: the pending sign-in, HMAC-signed with the app's secret key."""
    raw = json.dumps(asdict(pending), separators=(",", ":")).encode("utf-8")
    payload = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    return f"{payload}.{_signature(secret_key, payload)}"


def unseal(value: str | None, *, secret_key: str, now: float | None = None) -> PendingSignIn | None:
    """The pending sign-in if the cookie is ours, untouched and not expired; else None."""
    if not value or len(value) > MAX_STATE_COOKIE:
        return None
    payload, _, signature = value.rpartition(".")
    if not payload or not hmac.compare_digest(_signature(secret_key, payload), signature):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        pending = PendingSignIn(
            state=_text(data["state"]),
            nonce=_text(data["nonce"]),
            code_verifier=_text(data["code_verifier"]),
            next_url=_text(data["next_url"]),
            expires_at=int(data["expires_at"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    if pending.expires_at < (time.time() if now is None else now):
        return None
    return pending


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


# -- signing a Vigil user in ------------------------------------------------------------


class SsoOutcome(StrEnum):
    SIGNED_IN = "signed_in"
    NEEDS_MFA = "needs_mfa"
    NEEDS_ENROLMENT = "needs_enrolment"
    REFUSED = "refused"
    PROVIDER_ERROR = "provider_error"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class SsoResult:
    outcome: SsoOutcome
    user: User | None = None
    provider_error: str | None = None  # an RFC 6749 error code, or "unrecognized"

    @property
    def message(self) -> str | None:
        if self.outcome is SsoOutcome.PROVIDER_ERROR:
            if self.provider_error == "access_denied":
                return CANCELLED_MESSAGE
            if self.provider_error == "temporarily_unavailable":
                return UNAVAILABLE_MESSAGE
            return PROVIDER_ERROR_MESSAGE.format(error=self.provider_error)
        return {
            SsoOutcome.REFUSED: REFUSED_MESSAGE,
            SsoOutcome.UNAVAILABLE: UNAVAILABLE_MESSAGE,
        }.get(self.outcome)

    @property
    def user_may_continue(self) -> bool:
        return self.user is not None and self.outcome in (
            SsoOutcome.SIGNED_IN,
            SsoOutcome.NEEDS_MFA,
            SsoOutcome.NEEDS_ENROLMENT,
        )


def complete_sign_in(
    db: Session,
    *,
    provider: OidcProvider,
    settings: Settings,
    actor: Actor,
    pending: PendingSignIn | None,
    code: str | None,
    state: str | None,
    error: str | None,
) -> SsoResult:
    """The callback: check state, redeem the code, find the user. Audits every outcome,
    never a token, code, state or nonce."""
    if error is not None:
        shown = _provider_error(error)
        _audit(db, actor, None, "failure", reason="provider_error", error=shown)
        return SsoResult(SsoOutcome.PROVIDER_ERROR, provider_error=shown)
    if pending is None:
        return _refuse(db, actor, "bad_state_cookie")
    if not state or not hmac.compare_digest(state.encode(), pending.state.encode()):
        return _refuse(db, actor, "state_mismatch")
    if not code:
        return _refuse(db, actor, "missing_authorization")
    try:
        claims = provider.redeem(code, pending)
    except SignInRejected as rejected:
        extra: dict[str, Any] = {}
        if rejected.claim:
            extra["claim"] = rejected.claim
        if rejected.provider_error:
            extra["error"] = rejected.provider_error
        return _refuse(db, actor, rejected.reason, **extra)
    except ProviderUnavailable:
        record_unavailable(db, actor=actor)
        return SsoResult(SsoOutcome.UNAVAILABLE)
    username = claims.get(settings.oidc_username_claim)
    if not isinstance(username, str) or not authentication.username_key(username):
        claim = settings.oidc_username_claim[:40]
        return _refuse(db, actor, "missing_username_claim", claim=claim)
    user = authentication.find_user(db, username)
    if user is None:
        return _refuse(db, actor, "unknown_user")
    if not user.is_active or not user.agency.active:
        return _refuse(db, actor, "disabled_user", user=user)
    if user.is_locked or authentication.is_locked(db, authentication.username_key(user.username)):
        return _refuse(db, actor, "locked_user", user=user)
    if not settings.mfa_required:
        _audit(db, actor, user, "success", action="auth.login")
        return SsoResult(SsoOutcome.SIGNED_IN, user)
    _audit(db, actor, user, "success")
    return SsoResult(SsoOutcome.NEEDS_MFA if user.mfa_enabled else SsoOutcome.NEEDS_ENROLMENT, user)


def record_unavailable(db: Session, *, actor: Actor) -> None:
    """Audit a sign-in that failed because the provider could not be used."""
    _audit(db, actor, None, "error", reason="provider_unavailable")


def _refuse(
    db: Session, actor: Actor, reason: str, *, user: User | None = None, **details: Any
) -> SsoResult:
    _audit(db, actor, user, "failure", reason=reason, **details)
    return SsoResult(SsoOutcome.REFUSED)


def _audit(
    db: Session,
    actor: Actor,
    user: User | None,
    outcome: str,
    *,
    action: str = "auth.sso",
    **details: Any,
) -> None:
    if user is not None:
        actor = for_user(
            user, request_id=actor.request_id, source_address=actor.source_address, via=actor.via
        )
    audit.record(
        db,
        actor=actor,
        action=action,
        object_type="user" if user else None,
        object_id=user.id if user else None,
        outcome=outcome,
        details={"method": "oidc", "known_user": user is not None, **details},
    )
