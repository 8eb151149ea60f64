"""Receipt numbers and anonymous follow-up codes (shown once; only a keyed hash kept)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Crockford's base32 without I, L, O, U: nothing to misread over the phone.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _random_groups(groups: int, size: int) -> str:
    # One read of the system's random source, not one per character (each a system call
    # that gives up the interpreter lock, so a busy server's filing waited to get it back).
    count = groups * size
    bits = secrets.randbits(5 * count)
    chars = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(count))
    return "-".join(chars[i : i + size] for i in range(0, count, size))


def new_receipt_number() -> str:
    """A public reference like VIG-7K3M-9QXD-2PHA (60 random bits)."""
    return "VIG-" + _random_groups(3, 4)


def new_followup_code() -> str:
    """The tipster's secret for coming back anonymously (100 random bits)."""
    return _random_groups(4, 5)


def normalize_code(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    return "-".join(cleaned[i : i + 5] for i in range(0, len(cleaned), 5))


def hash_code(code: str, *, secret_key: str) -> str:
    """Keyed, so a stolen database alone cannot test guesses of follow-up codes."""
    return hmac.new(
        secret_key.encode("utf-8"), f"followup|{normalize_code(code)}".encode(), hashlib.sha256
    ).hexdigest()
