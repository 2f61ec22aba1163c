"""What an event's invites show, before and after a change: the one path by which every change of an event, a
session, a room or the people in a session reaches the people holding those calendar objects.

A change takes a snapshot (watch) inside its transaction before it writes, and settles after: every calendar object
of the event (the event itself and each session) is built by the same builders invites and feeds use, and compared
through domain.invite_shows. An object whose shown fields differ gets a higher SEQUENCE (unless the change's own
statement grew it, as a cancellation does), the version it showed before and shows now is remembered
(calendar_version), and a pending update is opened for it, so its holders get one message when the event's update
window passes (services.agenda.calendar_updates). Nobody holds a draft, so changes of drafts open no update; a
session taken back to draft leaves its holders' calendars (a CANCEL) and one published from draft opens an update
(its speakers get the invite; bookers of an earlier publication get it back, SEQUENCE grown).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from events_app.db import queries
from events_app.domain.invite_shows import remembered, shown, shown_changes
from events_app.services.agenda import agenda_publish, calendar_updates
from events_app.services.agenda.rows import ROWS
from events_app.services.messaging.notifications import event_item
from events_app.services.platform import calendar_sequence
from events_app.services.registration.session_mail import NOTIFY_CHANNEL
from events_app.settings import get_settings

Q = queries.load(__file__, rows=ROWS)


@dataclass(frozen=True)
class Shown:
    """One calendar object of an event as its invites show it."""

    subject: str  # 'event' or 'session'
    subject_id: int
    uid: str
    sequence: int
    shown: dict[str, Any]
    held: bool  # whether anyone can hold it (a published or cancelled object of a published or cancelled event)


# What a draft session shows: nothing (compared with a published version, every shown field differs).
DRAFT: dict[str, Any] = {"status": "DRAFT"}


@dataclass(frozen=True)
class Snapshot:
    event_id: int
    objects: dict[tuple[str, int], Shown]


async def _current(event_id: int) -> dict[tuple[str, int], Shown]:
    data = await agenda_publish.load_agenda(event_id)
    event = data.event
    item = event_item(event, get_settings(), event["calendar_sequence"])
    if event["status"] == "cancelled":
        item = replace(item, status="CANCELLED")
    published = event["status"] == "published"
    objects = {
        ("event", event["id"]): Shown(
            "event", event["id"], item.uid, item.sequence, shown(item), published or event["status"] == "cancelled"
        )
    }
    for session, session_item in zip(data.sessions, agenda_publish.session_items(data, data.sessions), strict=True):
        objects[("session", session["id"])] = Shown(
            "session",
            session["id"],
            session_item.uid,
            session_item.sequence,
            shown(session_item),
            # a cancelled one too: its holders got its CANCEL, and get it back when it is published again
            event["status"] != "draft",
        )
    # Drafts are off the programme and in no calendar: what matters is only that they are drafts, so that a session
    # taken back to draft leaves its holders' calendars (CANCEL) and one published from draft reaches its speakers.
    for row in await Q.draft_sessions(event_id=event_id):
        objects[("session", row["id"])] = Shown(
            "session", row["id"], str(row["calendar_uid"]), row["calendar_sequence"], DRAFT, False
        )
    return objects


async def watch(event_id: int, lock: bool = True) -> Snapshot:
    """Inside a change's transaction, before it writes: take the event's agenda lock unless the caller holds it
    (edits of one event's calendar objects run one after the other) and note what every object shows now."""
    if lock:
        await Q.lock_agenda(event_id=event_id, channel=NOTIFY_CHANNEL)
    return Snapshot(event_id, await _current(event_id))


async def settle(snapshot: Snapshot, by: str, delay: timedelta) -> dict[tuple[str, int], int]:
    """After the change wrote (same transaction): grow the SEQUENCE of every object whose invite now shows
    something else, remember both versions, and open an update for those people can hold. Returns the new
    SEQUENCE of each changed object. A few statements however many objects changed (a venue change touches every
    session of a congress): the change holds its event's row meanwhile, and registrations wait for it."""
    after = await _current(snapshot.event_id)
    changed = []
    for key, now in after.items():
        was = snapshot.objects.get(key)
        if was is None:  # created by this change: nobody holds it yet
            continue
        changes = shown_changes(was.shown, now.shown)
        if changes:
            changed.append((key, was, now, changes))
    # The change's own statement may have grown a SEQUENCE already (a cancellation does); the others grow here.
    bumped = await calendar_sequence.bump_sessions(
        [now.subject_id for _, was, now, _ in changed if now.sequence == was.sequence and now.subject == "session"]
    )
    grown: dict[tuple[str, int], int] = {}
    versions: list[tuple[str, int, str]] = []
    updates: list[tuple[str, int, dict]] = []
    for key, was, now, changes in changed:
        sequence = now.sequence
        if sequence == was.sequence:
            if now.subject == "event":
                sequence = await calendar_sequence.bump_event(now.subject_id)
            else:
                sequence = bumped[now.subject_id]
        # A draft's version is not remembered: a copy cancelled when the session became a draft shows what it
        # showed before (the newest remembered version at or below its SEQUENCE).
        if was.shown is not DRAFT:
            versions.append((was.uid, was.sequence, json.dumps(remembered(was.shown))))
        if now.shown is not DRAFT:
            versions.append((now.uid, sequence, json.dumps(remembered(now.shown))))
        grown[key] = sequence
        # Held before (its holders see the change, or lose it when it became a draft) or published from draft (its
        # speakers, and bookers of an earlier publication, get it).
        if was.held or (now.held and was.shown is DRAFT):
            updates.append((now.subject, now.subject_id, {"by": by, "fields": changes}))
    if versions:
        await Q.remember_calendar_versions(
            uids=[v[0] for v in versions], sequences=[v[1] for v in versions], shown=[v[2] for v in versions]
        )
    await calendar_updates.record(snapshot.event_id, updates, delay)
    return grown
