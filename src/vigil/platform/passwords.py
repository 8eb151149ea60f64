"""Password rules (NIST SP 800-63B) and argon2id hashing."""

from __future__ import annotations

import gzip
import unicodedata
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
# Verified against when the username is unknown, so both paths cost one argon2 run.
_DUMMY_HASH = _hasher.hash("vigil-dummy-password-for-timing")


@cache
def common_passwords() -> frozenset[str]:
    data = resources.files("vigil.platform").joinpath("data/common-passwords.txt.gz")
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip())


def normalize(password: str) -> str:
    # NFKC so that the same password typed on different keyboards hashes the same.
    return unicodedata.normalize("NFKC", password)


def password_problems(
    password: str, *, min_length: int, max_length: int, username: str | None = None
) -> list[str]:
    """What is wrong with a proposed password; an empty list means it is acceptable."""
    problems = []
    length = len(normalize(password))
    if length < min_length:
        problems.append(f"Use at least {min_length} characters (spaces are fine).")
    if length > max_length:
        problems.append(f"Use at most {max_length} characters.")
    lowered = normalize(password).lower()
    if lowered in common_passwords():
        problems.append("This password is on a list of commonly used passwords.")
    if username and lowered == username.lower():
        problems.append("The password must not be the username.")
    return problems


def hash_password(password: str) -> str:
    return _hasher.hash(normalize(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, normalize(password)) and (
            password_hash is not None
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
