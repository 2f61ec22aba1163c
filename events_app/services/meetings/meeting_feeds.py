"""Calendar subscriptions of meetings: a project's feed and each person's feed, reached by secret tokens.

No ATTENDEE or ORGANIZER (no personal data); the same UIDs and SEQUENCEs as the invites, overrides included, and
cancelled occurrences as EXDATE, so the feed's expansion equals the occurrences the API lists.
"""

from __future__ import annotations

from events_app.db import sql
from events_app.domain.errors import NotFound
from events_app.domain.security import digest
from events_app.services.meetings import meeting_calendar
from events_app.settings import get_settings


async def project_feed(token: str) -> bytes:
    project = await sql.fetchrow("SELECT id, title FROM pilot_project WHERE feed_hash = $1", digest(token))
    if project is None:
        raise NotFound("calendar feed")
    ids = [
        r["id"] for r in await sql.fetch("SELECT id FROM meeting_series WHERE project = $1 ORDER BY id", project["id"])
    ]
    return await meeting_calendar.feed_bytes(ids, project["title"], get_settings())


async def person_feed(token: str) -> bytes:
    """Every series the person is invited to now (a withdrawn invitation leaves the feed)."""
    person = await sql.fetchval("SELECT person FROM person_calendar WHERE token_hash = $1", digest(token))
    if person is None:
        raise NotFound("calendar feed")
    ids = [
        r["series"]
        for r in await sql.fetch(
            "SELECT DISTINCT series FROM meeting_invitee WHERE person = $1 AND withdrawn_at IS NULL ORDER BY series",
            person,
        )
    ]
    return await meeting_calendar.feed_bytes(ids, "My pilot-project meetings", get_settings())
