"""Secrets: password hashing, bearer tokens and manage-link tokens. Pure computation, no storage."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def digest(token: str) -> str:
    """What the database stores instead of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_bearer_token() -> str:
    return secrets.token_urlsafe(32)


def new_nonce() -> str:
    return secrets.token_hex(16)


def manage_token(secret_key: str, nonce: str) -> str:
    """The manage-link token of a registration: HMAC of its stored 128-bit nonce under the server secret.

    The database keeps only the nonce and digest(token), so a leaked database reveals no working link, while the
    worker can still put the link into every email without the token being stored anywhere.
    """
    mac = hmac.new(secret_key.encode(), b"manage:" + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


# --------------------------------------------------------------------------- person-wide access (emailed link)

ACCESS_LINK_MINUTES = 30  # how long an emailed access link can be used (once)
PERSON_SESSION_MINUTES = 30  # how long the session it is exchanged for lasts


def access_link_token(secret_key: str, nonce: str) -> str:
    """The token of a person's emailed access link: HMAC of its stored nonce (the database keeps the nonce and
    digest(token) only, like the manage link), under its own purpose so it never equals any other link's token."""
    mac = hmac.new(secret_key.encode(), b"person-access:" + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def access_link_state(found: bool, expires_at: datetime | None, used_at: datetime | None, now: datetime) -> str:
    """'valid', 'used', 'expired' or 'unknown': what a person's access link can still do at `now`."""
    if not found:
        return "unknown"
    if used_at is not None:
        return "used"
    if expires_at is None or expires_at <= now:
        return "expired"
    return "valid"
def password_reset_token(secret_key: str, nonce: str) -> str:
    """The token of an emailed password reset link: HMAC of its stored nonce under the server secret, for this
    purpose only (a manage token with the same nonce would be a different string)."""
    mac = hmac.new(secret_key.encode(), b"password-reset:" + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
# Purposes of the least-power registration links: they travel in calendar invites and calendar apps' subscriptions
# (forwarded, synced, shared), so they can read and never change anything. The manage token stays in email bodies.
VIEW_PURPOSE = "registration-view"
FEED_PURPOSE = "registration-feed"


def purpose_token(secret_key: str, purpose: str, nonce: str) -> str:
    """A link token for one purpose: HMAC of a stored nonce under the server secret, separated by purpose, so a
    token made for one purpose is never valid for another and the database keeps only nonce and digest."""
    mac = hmac.new(secret_key.encode(), f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def view_token(secret_key: str, nonce: str) -> str:
    """The read-only link of a registration (status and event), the one calendar invites carry."""
    return purpose_token(secret_key, VIEW_PURPOSE, nonce)


def feed_token(secret_key: str, nonce: str) -> str:
    """The delegate's personal calendar feed (event and booked sessions): reads, never changes."""
    return purpose_token(secret_key, FEED_PURPOSE, nonce)
