"""Web sessions and API tokens: stored hashed, idle and absolute limits, expiry,
and everything ended at once when an account is disabled."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import actor_for, make_agency, make_user
from vigil.platform import accounts, sessions
from vigil.platform.models import ApiToken, WebSession
from vigil.platform.roles import Role


@pytest.fixture()
def limits(settings):
    return sessions.SessionLimits(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )


@pytest.fixture()
def agency(db):
    return make_agency(db)


@pytest.fixture()
def user(db, agency):
    return make_user(db, agency=agency, roles={Role.ANALYST})


def stored_values(db, table) -> list[str]:
    return [str(value) for row in db.execute(select(table)).all() for value in row]


def session_exists(db, web_session_id: int) -> bool:
    return (
        db.execute(select(WebSession.id).where(WebSession.id == web_session_id)).first() is not None
    )


def test_the_default_limits_are_30_minutes_idle_and_12_hours_absolute(settings):
    assert settings.session_idle_minutes == 30
    assert settings.session_absolute_hours == 12


# --- web sessions -------------------------------------------------------------------


def test_only_the_hash_of_a_session_cookie_is_stored(db, user):
    raw, web_session = sessions.start_session(db, user=user, mfa_verified=False)

    assert web_session.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert len(raw) >= 40
    assert not any(raw in value for value in stored_values(db, WebSession.__table__))


def test_a_live_session_resolves(db, user, limits):
    raw, web_session = sessions.start_session(db, user=user, mfa_verified=True)

    assert sessions.resolve_session(db, raw, limits=limits) is web_session
    for bad in ("", "x" * 201, raw + "x", raw[:-1]):
        assert sessions.resolve_session(db, bad, limits=limits) is None


def test_a_session_ends_after_30_idle_minutes(db, user, limits):
    raw, web_session = sessions.start_session(db, user=user, mfa_verified=True)
    start = web_session.created_at

    assert sessions.resolve_session(
        db, raw, limits=limits, now=start + timedelta(minutes=29, seconds=59)
    )
    # That request counted as activity: the idle clock starts again from it.
    assert sessions.resolve_session(db, raw, limits=limits, now=start + timedelta(minutes=59))
    assert (
        sessions.resolve_session(
            db, raw, limits=limits, now=start + timedelta(minutes=89, seconds=1)
        )
        is None
    )
    assert not session_exists(db, web_session.id)
    assert sessions.resolve_session(db, raw, limits=limits, now=start) is None


def test_a_session_ends_after_12_hours_however_active(db, user, limits):
    raw, web_session = sessions.start_session(db, user=user, mfa_verified=True)
    start = web_session.created_at

    for minutes in range(20, 12 * 60 + 1, 20):
        assert sessions.resolve_session(
            db, raw, limits=limits, now=start + timedelta(minutes=minutes)
        ), minutes

    assert (
        sessions.resolve_session(db, raw, limits=limits, now=start + timedelta(hours=12, minutes=1))
        is None
    )
    assert not session_exists(db, web_session.id)


def test_ending_a_session_ends_only_that_one(db, user, limits):
    raw, _ = sessions.start_session(db, user=user, mfa_verified=True)
    other_raw, _ = sessions.start_session(db, user=user, mfa_verified=True)

    sessions.end_session(db, raw)

    assert sessions.resolve_session(db, raw, limits=limits) is None
    assert sessions.resolve_session(db, other_raw, limits=limits) is not None


def test_passing_the_second_factor_replaces_the_session(db, user, limits):
    raw, web_session = sessions.start_session(db, user=user, mfa_verified=False, auth_method="oidc")

    new_raw, verified = sessions.mark_mfa_verified(db, web_session)

    assert new_raw != raw
    assert sessions.resolve_session(db, raw, limits=limits) is None
    resolved = sessions.resolve_session(db, new_raw, limits=limits)
    assert resolved is verified
    assert (resolved.mfa_verified, resolved.auth_method, resolved.user_id) == (
        True,
        "oidc",
        user.id,
    )


# --- API tokens ---------------------------------------------------------------------


def test_only_the_hash_of_an_api_token_is_stored(db, user):
    raw, token = sessions.create_api_token(db, user=user, name="nightly export", days=30)

    assert raw.startswith(sessions.API_TOKEN_PREFIX)
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:10]
    assert not any(raw in value for value in stored_values(db, ApiToken.__table__))


def test_an_api_token_expires_after_its_days(db, user):
    raw, token = sessions.create_api_token(db, user=user, name="t", days=30)
    db.commit()
    db.expire_all()
    token = db.get(ApiToken, token.id)

    assert token.expires_at - token.created_at == timedelta(days=30)
    assert sessions.resolve_api_token(db, raw) is token
    assert sessions.resolve_api_token(db, raw, now=token.expires_at - timedelta(seconds=1)) is token
    assert sessions.resolve_api_token(db, raw, now=token.expires_at) is None
    assert sessions.resolve_api_token(db, raw, now=token.expires_at + timedelta(days=1)) is None


def test_an_api_token_records_when_it_was_last_used(db, user):
    raw, token = sessions.create_api_token(db, user=user, name="t", days=1)
    assert token.last_used_at is None
    moment = token.created_at + timedelta(hours=1)

    sessions.resolve_api_token(db, raw, now=moment)

    assert token.last_used_at == moment


def test_unknown_malformed_and_revoked_tokens_are_refused(db, user):
    raw, _ = sessions.create_api_token(db, user=user, name="t", days=1)

    for bad in ("", raw[len(sessions.API_TOKEN_PREFIX) :], raw + "x", "vgl_" + "x" * 300):
        assert sessions.resolve_api_token(db, bad) is None

    sessions.revoke_all_api_tokens(db, user.id)
    assert sessions.resolve_api_token(db, raw) is None


# --- disabling an account -----------------------------------------------------------


def test_disabling_a_user_ends_every_session_and_token_at_once(db, agency, user, limits):
    admin = actor_for(make_user(db, agency=agency, roles={Role.AGENCY_ADMIN}))
    bystander = make_user(db, agency=agency)
    mine = [sessions.start_session(db, user=user, mfa_verified=True)[0] for _ in range(2)]
    my_tokens = [
        sessions.create_api_token(db, user=user, name=f"t{i}", days=9)[0] for i in range(2)
    ]
    their_session, _ = sessions.start_session(db, user=bystander, mfa_verified=True)
    their_token, _ = sessions.create_api_token(db, user=bystander, name="t", days=9)

    accounts.disable_user(db, actor=admin, user_id=user.id)
    db.commit()
    db.expire_all()

    assert all(sessions.resolve_session(db, raw, limits=limits) is None for raw in mine)
    assert all(sessions.resolve_api_token(db, raw) is None for raw in my_tokens)
    assert db.execute(select(WebSession).where(WebSession.user_id == user.id)).first() is None
    revoked = db.execute(select(ApiToken.revoked_at).where(ApiToken.user_id == user.id))
    assert all(when is not None for (when,) in revoked)
    assert sessions.resolve_session(db, their_session, limits=limits) is not None
    assert sessions.resolve_api_token(db, their_token) is not None


def test_resetting_mfa_ends_the_users_sessions(db, agency, user, limits):
    admin = actor_for(make_user(db, agency=agency, roles={Role.AGENCY_ADMIN, Role.ANALYST}))
    raw, _ = sessions.start_session(db, user=user, mfa_verified=True)

    accounts.reset_mfa(db, actor=admin, user_id=user.id)

    assert sessions.resolve_session(db, raw, limits=limits) is None
    assert not user.mfa_enabled and user.totp_secret_encrypted is None
