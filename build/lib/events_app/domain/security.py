"""Secrets: password hashing, bearer tokens and manage-link tokens. Pure computation, no storage."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

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
