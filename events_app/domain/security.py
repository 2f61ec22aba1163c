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


# --------------------------------------------------------------------------- link tokens (one scheme)
# Every secret link is HMAC-SHA256(server secret, "<purpose>:<nonce>") of a stored random nonce: the database keeps
# only the nonce and digest(token), so a leaked database reveals no working link, while workers can still put the
# link into every email. The purpose separates the links: a token made for one purpose never works for another.
# These strings are part of every link already sent: changing one breaks those links.
MANAGE_PURPOSE = "manage"  # a registration's manage link (email bodies only)
INVITATION_NONCE_PREFIX = "invitation:"  # invitation links: the manage purpose over "invitation:<nonce>"
ACCESS_PURPOSE = "person-access"  # a person's emailed one-time access link
PASSWORD_RESET_PURPOSE = "password-reset"  # noqa: S105 (a purpose label, not a password): reset links
RSVP_PURPOSE = "rsvp"  # a meeting invitee's RSVP link
PERSON_FEED_PURPOSE = "person-feed"  # a person's meetings calendar feed
PROJECT_FEED_PURPOSE = "project-feed"  # a pilot project's calendar feed
REPLY_PURPOSE = "imip-reply"  # the per-invitee reply address of iMIP invites (base32, see domain.replies)
UNSUBSCRIBE_PURPOSE = "unsubscribe"  # announcement unsubscribe links (hex, over the person id)
CHECKIN_PURPOSE = "checkin"  # a registration's check-in code (the QR code on the ticket and the badge)


def purpose_mac(secret_key: str, purpose: str, nonce: str) -> bytes:
    """The one HMAC behind every link token: HMAC-SHA256 of "<purpose>:<nonce>" under the server secret."""
    return hmac.new(secret_key.encode(), f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()


def purpose_token(secret_key: str, purpose: str, nonce: str) -> str:
    """A link token for one purpose: purpose_mac, URL-safe base64 without padding (43 characters)."""
    return base64.urlsafe_b64encode(purpose_mac(secret_key, purpose, nonce)).rstrip(b"=").decode()


def manage_token(secret_key: str, nonce: str) -> str:
    """The manage-link token of a registration, from its stored 128-bit nonce."""
    return purpose_token(secret_key, MANAGE_PURPOSE, nonce)


def programme_token(secret_key: str, nonce: str) -> str:
    """The programme pass of a registration (the cookie that lets a browser which opened the manage link book from
    the public programme), from the same nonce as the manage token: a new nonce (erasure) ends both. It opens
    booking and dropping sessions only; the manage token never leaves the manage link."""
    return purpose_token(secret_key, "programme", nonce)


def invitation_token(secret_key: str, nonce: str) -> str:
    """The token of an invitation link (invitation-only events), from the invitation's stored nonce."""
    return purpose_token(secret_key, MANAGE_PURPOSE, INVITATION_NONCE_PREFIX + nonce)


def checkin_token(secret_key: str, nonce: str) -> str:
    """A registration's check-in code, from its stored nonce (128 random bits): what the QR code holds. The
    database keeps the nonce and digest(code) only; the door finds the registration by the digest."""
    return purpose_token(secret_key, CHECKIN_PURPOSE, nonce)


def rsvp_token(secret_key: str, nonce: str) -> str:
    """A meeting invitee's RSVP link."""
    return purpose_token(secret_key, RSVP_PURPOSE, nonce)


def person_feed_token(secret_key: str, nonce: str) -> str:
    """A person's meetings calendar feed: reads, never changes."""
    return purpose_token(secret_key, PERSON_FEED_PURPOSE, nonce)


def project_feed_token(secret_key: str, nonce: str) -> str:
    """A pilot project's calendar feed: reads, never changes."""
    return purpose_token(secret_key, PROJECT_FEED_PURPOSE, nonce)


# --------------------------------------------------------------------------- person-wide access (emailed link)

ACCESS_LINK_MINUTES = 30  # how long an emailed access link can be used (once)
PERSON_SESSION_MINUTES = 30  # how long the session it is exchanged for lasts


def access_link_token(secret_key: str, nonce: str) -> str:
    """The token of a person's emailed access link: HMAC of its stored nonce (the database keeps the nonce and
    digest(token) only, like the manage link), under its own purpose so it never equals any other link's token."""
    return purpose_token(secret_key, ACCESS_PURPOSE, nonce)


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
    return purpose_token(secret_key, PASSWORD_RESET_PURPOSE, nonce)


# Purposes of the least-power registration links: they travel in calendar invites and calendar apps' subscriptions
# (forwarded, synced, shared), so they can read and never change anything. The manage token stays in email bodies.
VIEW_PURPOSE = "registration-view"
FEED_PURPOSE = "registration-feed"


def view_token(secret_key: str, nonce: str) -> str:
    """The read-only link of a registration (status and event), the one calendar invites carry."""
    return purpose_token(secret_key, VIEW_PURPOSE, nonce)


def feed_token(secret_key: str, nonce: str) -> str:
    """The delegate's personal calendar feed (event and booked sessions): reads, never changes."""
    return purpose_token(secret_key, FEED_PURPOSE, nonce)
