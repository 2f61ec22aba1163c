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
    """What one notice shows: the series, who replied and the link to the project's list of replies. LookupError
    when the series, the person or the coordinator's account is gone (an empty notice helps nobody): the worker
    gives the row up."""
    payload = queries.json_value(row.get("payload")) or {}
    found = await Q.coordinator_notice(
        series_id=payload.get("series_id") or 0,
        person_id=payload.get("person_id") or 0,
        account_id=payload.get("account_id") or 0,
    )
    if found is None:
        raise LookupError("the series, the person who replied or the coordinator's account is gone")
    return CoordinatorNotice(
        outbox_id=row["id"],
        kind=row["kind"],
        language=row["language"] or "en",
        recipient=row["recipient"],
        name=found["account_name"],
        series_title=found["series_title"],
        person_name=found["person_name"],
        person_email=found["person_email"],
        replies_url=f"{settings.public_url}/coordinator/projects/{found['project_id']}#replies",
    )
