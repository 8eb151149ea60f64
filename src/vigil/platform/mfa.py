"""TOTP multi-factor authentication: secrets (encrypted at rest), codes, QR enrolment."""

from __future__ import annotations

import base64
import hmac
from datetime import UTC, datetime

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

TOTP_INTERVAL_SECONDS = 30
# Accept the previous and next 30-second step too: phone clocks drift.
ACCEPTED_STEPS = (-1, 0, 1)


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"vigil totp secrets"
    ).derive(secret_key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


def new_secret() -> str:
    return pyotp.random_base32()


def encrypt_secret(secret: str, *, secret_key: str) -> str:
    return _fernet(secret_key).encrypt(secret.encode("ascii")).decode("ascii")


def decrypt_secret(token: str, *, secret_key: str) -> str | None:
    try:
        return _fernet(secret_key).decrypt(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        return None


def provisioning_uri(secret: str, *, username: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """The enrolment QR code as an SVG data URI (no script, allowed by the CSP)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def matching_timestep(
    secret: str, code: str, *, last_used_step: int | None, now: datetime | None = None
) -> int | None:
    """The time step whose code equals ``code``, if it is newer than the last one used.

    Returning the step (not just True) lets the caller store it, so a code, once
    accepted, is never accepted again, even within its own 30 seconds.
    """
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    moment = now or datetime.now(UTC)
    totp = pyotp.TOTP(secret, interval=TOTP_INTERVAL_SECONDS)
    current_step = int(moment.timestamp()) // TOTP_INTERVAL_SECONDS
    for offset in ACCEPTED_STEPS:
        step = current_step + offset
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(totp.at(step * TOTP_INTERVAL_SECONDS), code):
            return step
    return None
