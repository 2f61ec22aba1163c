"""Speaker biographies: what an organizer writes about a person named in the event's sessions, per event. Shown
on the public session pages and carried by the schedule exports (services.agenda.agenda_publish folds them over
the biographies schedule files gave). A change takes the agenda lock like every agenda change, so cached views
and their ETags move on."""

from __future__ import annotations

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.errors import FieldError, NotFound, require
from events_app.domain.text import clean_fields
from events_app.services.agenda import agenda_cache
from events_app.services.agenda.agenda import lock_agenda
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_organizer

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
