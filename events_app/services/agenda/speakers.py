"""People named in sessions. Speaker biographies: what an organizer writes about a person named in the event's
sessions, per event, shown on the public session pages and carried by the schedule exports
(services.agenda.agenda_publish folds them over the biographies schedule files gave). A person's own profile
change: their name and organization are what their sessions show. Both take the agenda lock like every agenda
change, so cached views and their ETags move on."""

from __future__ import annotations

from typing import Any

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.errors import FieldError, NotFound, require
from events_app.domain.text import clean_fields
from events_app.jobs import kick_outbox
from events_app.services.agenda import agenda_cache, agenda_publish, invite_state
from events_app.services.agenda.agenda import lock_agenda, update_delay
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.privacy import person_access

Q = queries.load(__file__)
BIOGRAPHY_MAX = 5000


async def set_biography(account: CurrentAccount, event_id: int, person_id: int, biography: str) -> dict:
    """Store (or, when empty, remove) the person's biography for this event; 404 when they are not named in one
    of its sessions, 422 naming `biography` when the text is refused."""
    await require_organizer(account, event_id)
    text = clean_fields({"biography": biography}, (), ("biography",))["biography"].strip()
    if len(text) > BIOGRAPHY_MAX:
        require([FieldError("biography", f"is too long: keep it under {BIOGRAPHY_MAX} characters")])
    async with DB.transaction():
        if not await Q.speaker_in_event(event_id=event_id, person_id=person_id):
            raise NotFound("person")
        await lock_agenda(event_id)
        if text:
            await Q.save_speaker_biography(event_id=event_id, person_id=person_id, biography=text)
        else:
            await Q.remove_speaker_biography(event_id=event_id, person_id=person_id)
        await audit.record(
            account, "speaker.biography", "person", person_id, None, {"length": len(text)}, event_id=event_id
        )
    agenda_cache.forget(event_id)
    return {"person_id": person_id, "biography": text}


async def biographies(event_id: int) -> dict[int, str]:
    """person id -> the biography the organizers wrote for this event."""
    return {r["person"]: r["biography"] for r in await Q.speaker_biographies(event_id=event_id)}


async def change_profile(person_id: int, data: dict[str, Any]) -> dict:
    """A person changes their own profile (services.privacy.person_access.update_profile, same rules and
    errors). Sessions show their name and organization unless the session gives its own, so a change of either
    reaches the session invites like an organizer's edit of the session's people: each event naming them is
    watched under its agenda lock (taken in event id order), and whoever holds a session that now shows something
    else gets one update after the event's update window."""
    if "name" not in data and "organization_id" not in data:
        return await person_access.update_profile(person_id, data)
    async with DB.transaction():
        event_ids = [row["event"] for row in await Q.events_naming_person(person_id=person_id)]
        before = [await invite_state.watch(event_id) for event_id in event_ids]
        profile = await person_access.update_profile(person_id, data)
        settled = [
            snapshot.event_id
            for snapshot in before
            if await invite_state.settle(snapshot, profile["email"], await update_delay(snapshot.event_id))
        ]
    for event_id in settled:
        await agenda_publish.store_feed_pieces(event_id)
    for event_id in event_ids:
        agenda_cache.forget(event_id)
    await kick_outbox()
    return profile
