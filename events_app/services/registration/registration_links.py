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

from dataclasses import dataclass

from events_app.db import sql
from events_app.domain.errors import NotFound
from events_app.domain.security import digest, feed_token, new_nonce, view_token
from events_app.services.registration import waitlist
from events_app.settings import get_settings

# The columns ensure() reads; callers that already loaded them (the outbox batch) pass the row in.
COLUMNS = "view_nonce, view_hash, feed_nonce, feed_hash"


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
    changed). Writes only when a digest is missing or stale: one UPDATE per registration in its lifetime."""
    settings = get_settings()
    for _ in range(3):  # a concurrent first build wins; the next round reads what it wrote
        if row is None:
            row = await sql.fetchrow(f"SELECT {COLUMNS} FROM registration WHERE id = $1", registration_id)
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
        written = await sql.fetchval(
            "UPDATE registration SET view_nonce = $2, view_hash = $3, feed_nonce = $4, feed_hash = $5"
            " WHERE id = $1 AND view_nonce IS NOT DISTINCT FROM $6 AND feed_nonce IS NOT DISTINCT FROM $7"
            " RETURNING id",
            registration_id,
            view_nonce,
            digest(view),
            feed_nonce,
            digest(feed),
            row["view_nonce"],
            row["feed_nonce"],
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
    row = await sql.fetchrow(
        f"""SELECT r.id, r.event AS event_id, r.status, c.name AS category_name, p.name,
                  {waitlist.REGISTRATION_POSITION} AS waitlist_position
           FROM registration r JOIN person p ON p.id = r.person
           JOIN registration_category c ON c.id = r.category
           WHERE r.view_hash = $1""",
        digest(token),
    )
    if row is None:
        raise NotFound("registration", "registration (the link is incomplete or no longer valid) not found")
    return dict(row)


async def by_feed_token(token: str) -> dict:
    """The registration a personal feed is for (id, event, status)."""
    row = await sql.fetchrow("SELECT id, event, status FROM registration WHERE feed_hash = $1", digest(token))
    if row is None:
        raise NotFound("calendar feed")
    return dict(row)
