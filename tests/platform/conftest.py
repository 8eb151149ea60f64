"""Fixtures for the platform tests."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from vigil.platform import passwords


@pytest.fixture()
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> PasswordHasher:
    """argon2id at its lowest cost, for tests that make many sign-in attempts.

    Every attempt costs one argon2 run by design (~0.4 s here); the lockout and
    enumeration rules under test do not depend on the cost, only on the answers.
    Users must then be made with a password other than DEFAULT_PASSWORD, whose
    cached hash carries the full cost.
    """
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", hasher.hash("vigil-dummy-password-for-timing"))
    return hasher
