"""The least-power links of a registration: a read-only page (status and event) and the delegate's personal
calendar feed. These are the links that travel in calendar invites and calendar apps' subscriptions, where they
are forwarded, synced and shared, so they can only read: cancelling, answers, bookings and personal data stay
behind the manage link, which only email bodies carry.

Each token is HMAC(server secret, purpose:nonce) (domain.security.view_token / feed_token). The database draws
the nonces for every new registration (column default) and stores the token's digest when the link is first
built here, the only place the secret is known; a lookup is by digest. Erasure draws new nonces and clears the
digests, so every link handed out before is dead.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from events_app.db import queries
from events_app.domain.errors import NotFound
from events_app.domain.security import digest, feed_token, manage_token, new_nonce, programme_token, view_token
from events_app.services.registration.rows import ALL_ROWS
from events_app.settings import get_settings

Q = queries.load(__file__, rows=ALL_ROWS)


@dataclass(frozen=True)
class Links:
    view_url: str
    feed_url: str


def view_path(token: str) -> str:
    return f"/view/{token}"


def feed_path(token: str) -> str:
    return f"/api/my-agenda/{token}/calendar.ics"


async def ensure(registration_id: int, row: dict | None = None) -> Links:
    """The registration's view and feed links, storing their digests the first time (or after the secret key
    changed). Writes only when a digest is missing or stale: one UPDATE per registration in its lifetime.
    Callers that already loaded view_nonce, view_hash, feed_nonce and feed_hash (the outbox batch) pass the row in."""
    settings = get_settings()
    for _ in range(3):  # a concurrent first build wins; the next round reads what it wrote
        if row is None:
            row = await Q.registration_link_digests(registration_id=registration_id)
            if row is None:
                raise NotFound("registration")
        view_nonce, feed_nonce = row["view_nonce"] or new_nonce(), row["feed_nonce"] or new_nonce()
        view, feed = view_token(settings.secret_key, view_nonce), feed_token(settings.secret_key, feed_nonce)
        if (view_nonce, digest(view), feed_nonce, digest(feed)) == (
            row["view_nonce"],
            row["view_hash"],
            row["feed_nonce"],
            row["feed_hash"],
        ):
            break
        written = await Q.store_link_digests(
            registration_id=registration_id,
            view_nonce=view_nonce,
            view_hash=digest(view),
            feed_nonce=feed_nonce,
            feed_hash=digest(feed),
            old_view_nonce=row["view_nonce"],
            old_feed_nonce=row["feed_nonce"],
        )
        if written is not None:
            break
        row = None
    else:
        raise RuntimeError(f"registration {registration_id}: could not store its link digests")
    base = settings.public_url
    return Links(view_url=base + view_path(view), feed_url=base + feed_path(feed))


async def by_view_token(token: str) -> dict:
    """What the read-only page shows: the registration's status and category, the name it is for, the event.
    Nothing that is not already in the invite (no email address, no answers, no bookings)."""
    row = await Q.registration_by_view_hash(view_hash=digest(token))
    if row is None:
        raise NotFound("registration", "registration (the link is incomplete or no longer valid) not found")
    return dict(row)


async def programme_pass(registration_id: int) -> str:
    """The value of the programme cookie for a registration: its id and its programme token."""
    nonce = await Q.registration_token_nonce(registration_id=registration_id)
    return f"{registration_id}.{programme_token(get_settings().secret_key, nonce)}"


async def manage_token_of_pass(value: str | None) -> str | None:
    """The manage token a programme pass stands for (the server derives it; the browser never holds it), or None
    when the pass is malformed, forged, or its registration's nonce changed since (erased)."""
    registration_id, _, mac = (value or "").partition(".")
    if not registration_id.isdigit() or len(registration_id) > 9 or not 1 <= len(mac) <= 64:
        return None
    nonce = await Q.registration_token_nonce(registration_id=int(registration_id))
    secret = get_settings().secret_key
    if nonce is None or not hmac.compare_digest(programme_token(secret, nonce), mac):
        return None
    return manage_token(secret, nonce)
