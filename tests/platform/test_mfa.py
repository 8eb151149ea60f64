"""TOTP: codes accepted once, one step of clock drift either way, secrets encrypted at rest."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from tests.factories import actor_for, make_agency, make_user
from vigil.platform import authentication, mfa
from vigil.platform.authentication import Outcome
from vigil.platform.models import User

NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
STEP = int(NOW.timestamp()) // mfa.TOTP_INTERVAL_SECONDS
KEY = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture()
def secret() -> str:
    return mfa.new_secret()


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).at(step * mfa.TOTP_INTERVAL_SECONDS)


def match(secret: str, code: str, last: int | None = None, now: datetime = NOW) -> int | None:
    return mfa.matching_timestep(secret, code, last_used_step=last, now=now)


def test_the_current_code_is_accepted_and_names_its_step(secret):
    assert match(secret, code_at(secret, STEP)) == STEP
    assert match(secret, pyotp.TOTP(secret).at(NOW)) == STEP


def test_a_code_is_never_accepted_twice(secret):
    code = code_at(secret, STEP)
    used = match(secret, code)

    assert match(secret, code, last=used) is None
    # Not even later within the same step.
    assert match(secret, code, last=used, now=NOW + timedelta(seconds=10)) is None


def test_one_step_of_drift_either_way_is_tolerated(secret):
    assert match(secret, code_at(secret, STEP - 1)) == STEP - 1
    assert match(secret, code_at(secret, STEP + 1)) == STEP + 1


def test_two_steps_away_is_too_far(secret):
    accepted = {code_at(secret, STEP + offset) for offset in (-1, 0, 1)}
    for offset in (-3, -2, 2, 3):
        code = code_at(secret, STEP + offset)
        if code not in accepted:  # a 1-in-a-million coincidence of codes is not drift
            assert match(secret, code) is None


def test_after_a_newer_code_an_older_one_is_refused(secret):
    newest = match(secret, code_at(secret, STEP + 1))

    assert match(secret, code_at(secret, STEP), last=newest) is None
    assert match(secret, code_at(secret, STEP - 1), last=newest) is None


def test_wrong_codes_are_refused(secret):
    accepted = {code_at(secret, STEP + offset) for offset in (-1, 0, 1)}
    wrong = next(
        candidate
        for candidate in (f"{n:06d}" for n in range(123456, 999999, 7919))
        if candidate not in accepted
    )
    current = code_at(secret, STEP)

    assert match(secret, wrong) is None
    for malformed in ("", "12345", "1234567", "abcdef", current[:5] + "x", f"-{current[:5]}"):
        assert match(secret, malformed) is None


def test_spaces_in_a_typed_code_are_ignored(secret):
    code = code_at(secret, STEP)

    assert match(secret, f" {code[:3]} {code[3:]} ") == STEP


def test_secrets_are_encrypted_and_need_the_key(secret):
    token = mfa.encrypt_secret(secret, secret_key=KEY)

    assert secret not in token
    assert token != mfa.encrypt_secret(secret, secret_key=KEY)  # a fresh nonce each time
    assert mfa.decrypt_secret(token, secret_key=KEY) == secret
    assert mfa.decrypt_secret(token, secret_key=KEY + "x") is None
    assert mfa.decrypt_secret(token[:-4] + "AAAA", secret_key=KEY) is None


def test_enrolment_uri_and_qr_code(secret):
    uri = mfa.provisioning_uri(secret, username="analyst.jones", issuer="Vigil County")

    assert uri.startswith("otpauth://totp/")
    assert f"secret={secret}" in uri
    assert "issuer=Vigil%20County" in uri
    assert "analyst.jones" in uri
    assert mfa.qr_data_uri(uri).startswith("data:image/svg+xml")


# --- through sign-in, on a real database --------------------------------------------


@pytest.fixture()
def enrolling_user(db, settings):
    user = make_user(db, agency=make_agency(db))
    secret = authentication.begin_enrolment(db, settings=settings, user=user)
    return user, secret


def test_the_secret_is_stored_encrypted(db, settings, enrolling_user):
    user, secret = enrolling_user
    db.commit()

    stored = db.execute(
        select(User.__table__.c.totp_secret_encrypted).where(User.__table__.c.id == user.id)
    ).scalar_one()

    assert stored
    assert secret not in stored
    assert secret.lower() not in stored.lower()
    assert mfa.decrypt_secret(stored, secret_key=settings.secret_key.get_secret_value()) == secret
    assert authentication.pending_secret(user, settings) == secret


def test_an_enrolled_users_code_works_once_then_never_again(db, settings, enrolling_user):
    user, secret = enrolling_user
    actor = actor_for(user)
    totp = pyotp.TOTP(secret)
    code = totp.now()

    assert authentication.confirm_enrolment(
        db, settings=settings, actor=actor, user=user, code=code
    )
    assert user.mfa_enabled
    # The code that confirmed enrolment cannot also sign in.
    replay = authentication.check_second_factor(
        db, settings=settings, actor=actor, user=user, code=code
    )
    assert replay.outcome is Outcome.FAILED

    next_code = totp.at(time.time() + mfa.TOTP_INTERVAL_SECONDS)
    first = authentication.check_second_factor(
        db, settings=settings, actor=actor, user=user, code=next_code
    )
    again = authentication.check_second_factor(
        db, settings=settings, actor=actor, user=user, code=next_code
    )

    assert first.outcome is Outcome.SIGNED_IN
    assert first.user is user
    assert again.outcome is Outcome.FAILED
    db.commit()
    db.expire_all()
    assert db.get(User, user.id).totp_last_timestep >= int(time.time()) // 30


def test_enrolment_needs_a_right_code_and_happens_once(db, settings, enrolling_user):
    user, secret = enrolling_user
    actor = actor_for(user)
    accepted = {pyotp.TOTP(secret).at(time.time() + 30 * offset) for offset in (-1, 0, 1)}
    wrong = next(c for c in ("000001", "424242", "987654") if c not in accepted)

    assert not authentication.confirm_enrolment(
        db, settings=settings, actor=actor, user=user, code=wrong
    )
    assert not user.mfa_enabled
    assert authentication.confirm_enrolment(
        db, settings=settings, actor=actor, user=user, code=pyotp.TOTP(secret).now()
    )
    with pytest.raises(ValueError, match="already enrolled"):
        authentication.begin_enrolment(db, settings=settings, user=user)


def test_a_secret_encrypted_under_another_key_cannot_be_used(db, settings, enrolling_user):
    user, secret = enrolling_user
    other = settings.model_copy(update={"secret_key": SecretStr("y" * 48)})

    assert authentication.pending_secret(user, other) is None
    assert not authentication.confirm_enrolment(
        db, settings=other, actor=actor_for(user), user=user, code=pyotp.TOTP(secret).now()
    )
