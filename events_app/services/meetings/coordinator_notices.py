"""Notices to a project's coordinators about calendar replies that need their eyes (outbox kind
coordinator_reply_unplaced: a reply about one meeting whose meeting could not be told; nothing was recorded).

Queued by services.meetings.meeting_rsvp in the transaction that logs the rejected reply, one row per coordinator
account; loaded here by services.messaging.notifications.compose() in the worker, and written by
events_app.mail.compose.compose_coordinator_notice. Accounts carry no language, so these go in the default one.
"""

from __future__ import annotations

from events_app.db import queries
from events_app.mail.compose import CoordinatorNotice
from events_app.settings import Settings

Q = queries.load(__file__)
REPLY_UNPLACED = "coordinator_reply_unplaced"
NOTICE_KINDS = frozenset({REPLY_UNPLACED})


async def load(row: dict, settings: Settings) -> CoordinatorNotice:
    """What one notice shows: the series, who replied and the link to the project's list of replies."""
    payload = queries.json_value(row.get("payload")) or {}
    found = await Q.coordinator_notice(
        series_id=payload["series_id"], person_id=payload["person_id"], account_id=payload["account_id"]
    )
    return CoordinatorNotice(
        outbox_id=row["id"],
        kind=row["kind"],
        language=row["language"] or "en",
        recipient=row["recipient"],
        name=found["account_name"] if found else "",
        series_title=found["series_title"] if found else "",
        person_name=found["person_name"] if found else "",
        person_email=found["person_email"] if found else "",
        replies_url=f"{settings.public_url}/coordinator/projects/{found['project_id']}#replies" if found else "",
    )
