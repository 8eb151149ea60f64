"""Sign-in: lockout, answers that do not reveal who has an account, disabled accounts,
the second factor, and an audit trail of every attempt that never holds a secret."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from tests.factories import actor_for, make_agency, make_user
from tests.platform.audit_checks import assert_audit_free_of, audit_rows
from vigil.platform import accounts, audit, authentication, mfa, passwords
from vigil.platform.actor import anonymous
from vigil.platform.authentication import (
    FAILED_MESSAGE,
    LOCKED_MESSAGE,
    Outcome,
    PasswordResult,
)
from vigil.platform.models import AuditChainHead, LoginFailure, LoginLock, User
from vigil.platform.roles import Role
from vigil.platform.types import utcnow

PASSWORD = "a sign-in test passphrase"
WRONG = "not the sign-in passphrase"

pytestmark = pytest.mark.usefixtures("fast_argon2")


@pytest.fixture()
def agency(db):
    return make_agency(db)


@pytest.fixture()
def user(db, agency):
    return make_user(db, agency=agency, username="dana.reyes", password=PASSWORD)


@pytest.fixture()
def admin(db, agency):
    return actor_for(make_user(db, agency=agency, roles={Role.AGENCY_ADMIN}))


@pytest.fixture()
def demo(settings):
    """Settings where a right password completes sign-in (no second factor)."""
    return settings.model_copy(update={"demo_mode": True})


def sign_in(db, settings, username: str, password: str) -> PasswordResult:
    return authentication.check_password(
        db,
        settings=settings,
        actor=anonymous("req-1", "198.51.100.7"),
        username=username,
        password=password,
    )


def second_factor(db, settings, user: User, code: str) -> PasswordResult:
    return authentication.check_second_factor(
        db, settings=settings, actor=anonymous("req-2", "198.51.100.7"), user=user, code=code
    )


def answers(results: list[PasswordResult]) -> list[tuple[Outcome, bytes | None, object]]:
    return [(r.outcome, r.message.encode() if r.message else None, r.user) for r in results]


def head_seq(db) -> int:
    return db.get(AuditChainHead, audit.HEAD_ROW_ID).seq


def enrol(db, settings, user: User) -> pyotp.TOTP:
    secret = mfa.new_secret()
    user.totp_secret_encrypted = mfa.encrypt_secret(
        secret, secret_key=settings.secret_key.get_secret_value()
    )
    user.mfa_enabled = True
    db.flush()
    return pyotp.TOTP(secret)


def wrong_code(totp: pyotp.TOTP) -> str:
    accepted = {totp.at(time.time() + 30 * offset) for offset in (-1, 0, 1, 2)}
    return next(code for code in ("111111", "222222", "333333") if code not in accepted)


# --- the first factor ---------------------------------------------------------------


def test_a_right_password_leads_to_the_next_step(db, settings, demo, user):
    assert settings.mfa_required

    not_enrolled = sign_in(db, settings, "dana.reyes", PASSWORD)
    assert (not_enrolled.outcome, not_enrolled.user) == (Outcome.NEEDS_ENROLMENT, user)
    assert not_enrolled.message is None

    assert sign_in(db, demo, "dana.reyes", PASSWORD).outcome is Outcome.SIGNED_IN

    enrol(db, settings, user)
    assert sign_in(db, settings, "dana.reyes", PASSWORD).outcome is Outcome.NEEDS_MFA


def test_usernames_match_whatever_the_case_and_surrounding_spaces(db, demo, user):
    result = sign_in(db, demo, "  DANA.Reyes ", PASSWORD)

    assert (result.outcome, result.user) == (Outcome.SIGNED_IN, user)


def test_a_wrong_password_fails_with_the_generic_message(db, settings, user):
    result = sign_in(db, settings, "dana.reyes", WRONG)

    assert result == PasswordResult(Outcome.FAILED)
    assert result.message == FAILED_MESSAGE


def test_five_failures_lock_the_account_until_an_admin_unlocks_it(db, settings, user, admin):
    results = [sign_in(db, settings, "dana.reyes", WRONG) for _ in range(5)]
    assert [r.outcome for r in results] == [Outcome.FAILED] * 4 + [Outcome.LOCKED]

    sixth = sign_in(db, settings, "dana.reyes", PASSWORD)
    assert sixth == PasswordResult(Outcome.LOCKED)
    assert sixth.message == LOCKED_MESSAGE
    assert user.is_locked
    assert db.get(LoginLock, "dana.reyes") is not None
    # Time alone does not unlock it.
    db.get(LoginLock, "dana.reyes").locked_at = utcnow() - timedelta(days=30)
    db.execute(LoginFailure.__table__.delete())
    assert sign_in(db, settings, "dana.reyes", PASSWORD).outcome is Outcome.LOCKED

    accounts.unlock_user(db, actor=admin, user_id=user.id)

    assert not user.is_locked
    assert db.get(LoginLock, "dana.reyes") is None
    assert sign_in(db, settings, "dana.reyes", PASSWORD).outcome is Outcome.NEEDS_ENROLMENT
    # The count starts again from zero.
    assert sign_in(db, settings, "dana.reyes", WRONG).outcome is Outcome.FAILED


def test_only_failures_within_the_window_count(db, settings, user):
    window = timedelta(minutes=settings.login_failure_window_minutes)
    assert (settings.login_max_failures, window) == (5, timedelta(minutes=15))
    now = utcnow()
    db.add_all(
        LoginFailure(username_key="dana.reyes", occurred_at=now - window - timedelta(minutes=1))
        for _ in range(4)
    )
    db.flush()

    assert sign_in(db, settings, "dana.reyes", WRONG).outcome is Outcome.FAILED

    db.add_all(
        LoginFailure(username_key="dana.reyes", occurred_at=now - window + timedelta(minutes=1))
        for _ in range(3)
    )
    db.flush()

    # 3 recent + the one above + this one = 5 within the window.
    assert sign_in(db, settings, "dana.reyes", WRONG).outcome is Outcome.LOCKED


def test_unknown_usernames_get_the_same_answers_and_lock_the_same_way(db, settings, user):
    known = [sign_in(db, settings, "dana.reyes", WRONG) for _ in range(5)]
    known.append(sign_in(db, settings, "dana.reyes", PASSWORD))
    unknown = [sign_in(db, settings, "nobody.here", WRONG) for _ in range(5)]
    unknown.append(sign_in(db, settings, "nobody.here", PASSWORD))

    assert answers(known) == answers(unknown)
    assert answers(unknown) == (
        [(Outcome.FAILED, FAILED_MESSAGE.encode(), None)] * 4
        + [(Outcome.LOCKED, LOCKED_MESSAGE.encode(), None)] * 2
    )
    assert db.get(LoginLock, "nobody.here") is not None
    assert (
        db.execute(
            select(func.count()).select_from(User).where(User.username == "nobody.here")
        ).scalar()
        == 0
    )


def test_a_disabled_user_cannot_sign_in(db, settings, demo, user, admin):
    accounts.disable_user(db, actor=admin, user_id=user.id)

    right = sign_in(db, demo, "dana.reyes", PASSWORD)

    assert right == sign_in(db, demo, "dana.reyes", WRONG) == PasswordResult(Outcome.FAILED)
    assert right.message == FAILED_MESSAGE


def test_a_user_of_a_deactivated_agency_cannot_sign_in(db, demo, user, agency):
    agency.active = False
    db.flush()

    assert sign_in(db, demo, "dana.reyes", PASSWORD) == PasswordResult(Outcome.FAILED)


def test_a_user_without_a_password_cannot_sign_in_with_one(db, demo, agency):
    make_user(db, agency=agency, username="sso.only", password=None)

    assert sign_in(db, demo, "sso.only", "") == PasswordResult(Outcome.FAILED)
    assert sign_in(db, demo, "sso.only", PASSWORD) == PasswordResult(Outcome.FAILED)


def test_a_completed_sign_in_clears_the_failures(db, demo, user):
    for _ in range(4):
        assert sign_in(db, demo, "dana.reyes", WRONG).outcome is Outcome.FAILED
    assert sign_in(db, demo, "dana.reyes", PASSWORD).outcome is Outcome.SIGNED_IN

    later = [sign_in(db, demo, "dana.reyes", WRONG).outcome for _ in range(4)]

    assert later == [Outcome.FAILED] * 4
    assert not user.is_locked


def test_an_outdated_hash_is_upgraded_at_sign_in(db, demo, agency, fast_argon2):
    older = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    user = make_user(db, agency=agency, password=None)
    user.password_hash = older

    assert sign_in(db, demo, user.username, PASSWORD).outcome is Outcome.SIGNED_IN

    assert user.password_hash != older
    assert not passwords.needs_rehash(user.password_hash)
    assert passwords.verify_password(user.password_hash, PASSWORD)


# --- the second factor --------------------------------------------------------------


def test_completing_the_second_factor_clears_the_failures(db, settings, user):
    totp = enrol(db, settings, user)
    for _ in range(4):
        sign_in(db, settings, "dana.reyes", WRONG)

    assert sign_in(db, settings, "dana.reyes", PASSWORD).outcome is Outcome.NEEDS_MFA
    assert second_factor(db, settings, user, totp.now()).outcome is Outcome.SIGNED_IN

    later = [sign_in(db, settings, "dana.reyes", WRONG).outcome for _ in range(4)]
    assert later == [Outcome.FAILED] * 4


def test_wrong_codes_count_towards_the_lockout(db, settings, user):
    totp = enrol(db, settings, user)
    bad = wrong_code(totp)

    outcomes = [second_factor(db, settings, user, bad).outcome for _ in range(5)]

    assert outcomes == [Outcome.FAILED] * 4 + [Outcome.LOCKED]
    assert second_factor(db, settings, user, totp.now()).outcome is Outcome.LOCKED
    assert sign_in(db, settings, "dana.reyes", PASSWORD).outcome is Outcome.LOCKED


def test_a_user_disabled_between_the_factors_is_refused(db, settings, user, admin):
    totp = enrol(db, settings, user)
    assert sign_in(db, settings, "dana.reyes", PASSWORD).outcome is Outcome.NEEDS_MFA

    accounts.disable_user(db, actor=admin, user_id=user.id)

    assert second_factor(db, settings, user, totp.now()).outcome is Outcome.LOCKED


# --- the audit trail of sign-in -----------------------------------------------------


def test_every_attempt_is_audited_and_no_event_holds_a_secret(db, settings, user):
    totp = enrol(db, settings, user)
    bad = wrong_code(totp)
    good = totp.now()
    unknown_name = "ghost.account"
    attempts = [
        (lambda: sign_in(db, settings, "dana.reyes", PASSWORD), "auth.password", "success"),
        (lambda: second_factor(db, settings, user, bad), "auth.mfa", "failure"),
        (lambda: second_factor(db, settings, user, good), "auth.login", "success"),
        (lambda: sign_in(db, settings, unknown_name, PASSWORD), "auth.login", "failure"),
        (lambda: sign_in(db, settings, "dana.reyes", WRONG), "auth.login", "failure"),
    ]
    attempts += [(lambda: sign_in(db, settings, unknown_name, WRONG), "auth.login", "failure")] * 4
    attempts.append((lambda: sign_in(db, settings, unknown_name, WRONG), "auth.login", "locked"))

    for attempt, action, outcome in attempts:
        before = head_seq(db)
        attempt()
        new = [row for row in audit_rows(db) if row["seq"] > before]
        assert new, f"{action} wrote no audit event"
        assert (new[0]["action"], new[0]["outcome"]) == (action, outcome)
        assert new[0]["source_address"] == "198.51.100.7"

    rows = audit_rows(db)
    lockouts = [row for row in rows if row["action"] == "auth.lockout"]
    assert len(lockouts) == 1 and lockouts[0]["actor_type"] == "anonymous"
    unknown = [row for row in rows if row["actor_type"] == "anonymous"]
    assert all(row["actor_name"] is None and row["object_id"] is None for row in unknown)
    assert all(row["details"] == {"known_user": False} for row in unknown)
    assert any(row["actor_id"] == user.id for row in rows)
    secret = authentication.pending_secret(user, settings)
    scanned = assert_audit_free_of(db, PASSWORD, WRONG, good, bad, secret, unknown_name)
    assert scanned >= len(attempts)
    assert audit.verify(db, checkpoint_key=None).ok
