"""Calendar subscriptions of meetings: a project's feed and each person's feed, reached by secret tokens.

No ATTENDEE or ORGANIZER (no personal data); the same UIDs and SEQUENCEs as the invites, overrides included, and
cancelled occurrences as EXDATE, so the feed's expansion equals the occurrences the API lists.
"""

from __future__ import annotations

from events_app.db import queries
from events_app.domain.errors import NotFound
from events_app.domain.security import digest
from events_app.services.meetings import meeting_calendar
from events_app.services.meetings.rows import ROWS
from events_app.settings import get_settings

Q = queries.load(__file__, rows=ROWS)


async def project_feed(token: str) -> bytes:
    project = await Q.project_by_feed_hash(feed_hash=digest(token))
    if project is None:
        raise NotFound("calendar feed")
    ids = [r["id"] for r in await Q.series_ids_of_project(project_id=project["id"])]
    return await meeting_calendar.feed_bytes(ids, project["title"], get_settings())


async def person_feed(token: str) -> bytes:
    """Every series the person is invited to now (a withdrawn invitation leaves the feed)."""
    person = await Q.person_of_calendar_token(token_hash=digest(token))
    if person is None:
        raise NotFound("calendar feed")
    ids = [r["series"] for r in await Q.series_ids_of_person(person_id=person)]
    return await meeting_calendar.feed_bytes(ids, "My pilot-project meetings", get_settings())
