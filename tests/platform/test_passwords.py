"""Password rules (NIST SP 800-63B: length, not composition; no common passwords)
and argon2id hashing that never truncates."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from pydantic import ValidationError

from tests.conftest import make_settings
from tests.factories import DEFAULT_PASSWORD
from vigil.platform import passwords

MIN, MAX = 12, 256


@pytest.fixture(scope="module")
def default_hash() -> str:
    return passwords.hash_password(DEFAULT_PASSWORD)


def problems(password: str, username: str | None = None) -> list[str]:
    return passwords.password_problems(password, min_length=MIN, max_length=MAX, username=username)


def test_the_defaults_are_12_to_256_characters(tmp_path):
    settings = make_settings(tmp_path)

    assert settings.password_min_length == MIN
    assert settings.password_max_length == MAX


def test_the_longest_password_setting_cannot_go_below_128(tmp_path):
    with pytest.raises(ValidationError):
        make_settings(tmp_path, password_max_length=127)
    with pytest.raises(ValidationError):
        make_settings(tmp_path, password_min_length=7)


def test_eleven_characters_are_too_few_and_twelve_are_enough():
    assert problems("vq7 kd8 zw3") == ["Use at least 12 characters (spaces are fine)."]
    assert problems("vq7 kd8 zw3x") == []


@pytest.mark.parametrize("length", [128, 200, MAX])
def test_long_passwords_are_accepted(length):
    assert problems(("vigil long passphrase " * 20)[:length]) == []


def test_a_password_over_the_maximum_is_refused_not_truncated():
    assert problems("x" * (MAX + 1)) == [f"Use at most {MAX} characters."]


def test_a_200_character_password_is_never_truncated():
    password = ("the quick brown fox jumps over the lazy dog " * 5)[:199] + "A"
    assert len(password) == 200
    hashed = passwords.hash_password(password)

    assert passwords.verify_password(hashed, password)
    assert not passwords.verify_password(hashed, password[:-1] + "B")
    assert not passwords.verify_password(hashed, password[:72])


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # spaces
        "            x",  # mostly spaces
        "пароль для входа в систему",  # Cyrillic
        "密码是一个很长的句子吗真的",  # CJK, 13 characters
        "🔥🐉🌊🌵🎻🚲🧭🪁🍄🦉🪐🧊",  # emoji, 12 code points
        "allthelowercaseletters",  # no digits, capitals or symbols required
        "739184562093",  # digits only
    ],
)
def test_any_characters_are_allowed_and_nothing_is_required(password):
    assert problems(password) == []


@pytest.mark.usefixtures("fast_argon2")  # the cost does not change what is hashed
def test_unicode_and_spaces_survive_hashing():
    password = "  ünïcödé 密码 🔥 with spaces  "
    hashed = passwords.hash_password(password)

    assert passwords.verify_password(hashed, password)
    assert not passwords.verify_password(hashed, password.strip())


@pytest.mark.usefixtures("fast_argon2")
def test_equivalent_unicode_spellings_are_the_same_password():
    composed, decomposed = "caf\u00e9 au lait s'il vous plaît", "cafe\u0301 au lait s'il vous plaît"
    assert composed != decomposed
    hashed = passwords.hash_password(composed)

    assert passwords.verify_password(hashed, decomposed)


@pytest.mark.parametrize(
    "password", ["qwerty123456", "1q2w3e4r5t6y", "startfinding", "QWERTY123456", "StartFinding"]
)
def test_common_passwords_from_the_shipped_list_are_refused(password):
    assert problems(password) == ["This password is on a list of commonly used passwords."]


def test_the_shipped_list_is_loaded_in_full():
    common = passwords.common_passwords()

    assert len(common) > 19_000
    assert {"password", "123456", "qwerty123456"} <= common
    assert DEFAULT_PASSWORD not in common


def test_the_username_is_not_a_password():
    assert problems("analyst.jones", username="Analyst.Jones") == [
        "The password must not be the username."
    ]
    assert problems("analyst.jones", username="analyst.smith") == []


def test_hashes_are_argon2id_and_salted(default_hash):
    first = passwords.hash_password(DEFAULT_PASSWORD)

    assert first.startswith("$argon2id$")
    assert default_hash.startswith("$argon2id$")
    assert first != default_hash  # a fresh salt each time
    assert DEFAULT_PASSWORD not in first
    assert not passwords.needs_rehash(first)


def test_verification_fails_closed(default_hash):
    assert passwords.verify_password(default_hash, DEFAULT_PASSWORD)
    assert not passwords.verify_password(default_hash, DEFAULT_PASSWORD.upper())
    assert not passwords.verify_password(None, DEFAULT_PASSWORD)
    assert not passwords.verify_password("not-a-hash", DEFAULT_PASSWORD)
    assert not passwords.verify_password("", "")


def test_a_weaker_hash_needs_rehashing():
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(DEFAULT_PASSWORD)

    assert passwords.verify_password(weak, DEFAULT_PASSWORD)
    assert passwords.needs_rehash(weak)
