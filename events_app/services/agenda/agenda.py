"""Organizers build the agenda: rooms, tracks, sessions and the people in them. One transaction per change.

Every change of an event's agenda first takes the event's agenda_state row (bumping its version), so edits of one
event are serialized: a conflict check always sees the sessions written before it, and two organizers cannot put
two sessions into one room at once. The same transaction grows the session's calendar SEQUENCE when its time,
room or status changes, writes the change log, and notifies other processes that cached agenda views are stale.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import msgspec

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.agenda import (
    AgendaConflict,
    Slot,
    all_conflicts,
    calendar_changed,
    change_action,
    changes_between,
    effective_capacity,
    find_conflicts,
    in_zone,
    localize_strict,
    slugify,
    validate_room,
    validate_session,
    validate_track,
)
from events_app.domain.errors import Conflict, FieldError, NotFound, require
from events_app.domain.ical import METHOD_CANCEL, METHOD_REQUEST
from events_app.domain.registration import seats_left
from events_app.domain.text import clean_fields, text_errors
from events_app.jobs import kick_outbox
from events_app.services.agenda import agenda_cache, agenda_publish, invite_state
from events_app.services.agenda.rows import ROWS, EventRow, RoomRow, SessionDetailRow, SessionRow, TrackRow
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.people.people import link_or_create, require_visible_person, visible_people
from events_app.services.registration import session_mail
from events_app.services.registration.agenda_bookings import (
    bookers_now_clashing,
    lock_bookers_of_cancelled,
    promote_waiting,
    restore_bookings,
)
from events_app.services.registration.registrations import normalize_email

SESSION_FIELDS = (
    "title",
    "kind",
    "abstract",
    "starts_at",
    "ends_at",
    "room_id",
    "track_id",
    "language",
    "online_url",
    "status",
    "requires_booking",
    "capacity",
)
NOTIFY_CHANNEL = "agenda_changed"
Q = queries.load(__file__, rows=ROWS)


# --------------------------------------------------------------------------- shared pieces


# Text fields under the one text rule (domain.text).
ROOM_LINES, ROOM_TEXTS = ("name",), ("accessibility",)
TRACK_LINES = ("name", "slug")
SESSION_LINES, SESSION_TEXTS = ("title", "language", "online_url"), ("abstract",)
PERSON_LINES = ("name", "email")


def clean_session_text(fields: dict[str, Any], people: list[dict[str, Any]]) -> dict[str, Any]:
    """A new session's text fields and its people's names cleaned (people in place); every problem at once."""
    fields, errors = text_errors(fields, SESSION_LINES, SESSION_TEXTS)
    for i, person in enumerate(people):
        cleaned, problems = text_errors(person, PERSON_LINES, prefix=f"people[{i}].")
        person.update(cleaned)
        errors += problems
    require(errors)
    return fields


async def lock_agenda(event_id: int) -> int:
    """Take the event's agenda lock for the rest of the transaction and bump its version (returned). Other
    processes hear about it when the transaction commits (NOTIFY is transactional)."""
    return await Q.lock_agenda(event_id=event_id, channel=NOTIFY_CHANNEL)


async def event_row(event_id: int) -> EventRow:
    row = await Q.event_by_id(event_id=event_id)
    if row is None:
        raise NotFound("event")
    return row


async def update_delay(event_id: int) -> timedelta:
    """The event's update window: a burst of edits goes out as one message per person."""
    return timedelta(minutes=(await event_row(event_id)).update_delay_minutes)


async def log_change(
    event_id: int,
    session_id: int | None,
    action: str,
    changes: dict,
    sequence: int | None,
    account: CurrentAccount | None,
    actor: str = "",
) -> None:
    await Q.record_agenda_change(
        event_id=event_id,
        session_id=session_id,
        action=action,
        changes=changes,
        calendar_sequence=sequence,
        account_id=account.id if account else None,
        actor=actor or (account.email if account else ""),
    )


async def log_changes(entries: list[dict[str, Any]]) -> None:
    """Many change-log entries at once (record_agenda_change's parameters per entry): one round trip."""
    await Q.record_agenda_change.many(entries)


def _conflict_out(conflicts: list[AgendaConflict], slots: dict[int | None, Slot], tzid: str) -> list[dict]:
    out = []
    for c in conflicts:
        sessions = []
        for sid in c.session_ids:
            slot = slots.get(sid)
            if slot is not None:
                sessions.append(
                    {
                        "id": sid,
                        "title": slot.title,
                        "starts_at": in_zone(slot.starts_at, tzid).isoformat(),
                        "ends_at": in_zone(slot.ends_at, tzid).isoformat(),
                        "room_id": slot.room_id,
                    }
                )
        out.append(
            {"rule": c.rule, "detail": c.detail, "room_id": c.room_id, "person_id": c.person_id, "sessions": sessions}
        )
    return out


def _raise_conflicts(conflicts: list[AgendaConflict], candidate: Slot, others: Iterable[Slot], tzid: str) -> None:
    if not conflicts:
        return
    slots = {s.id: s for s in others}
    slots[candidate.id] = candidate
    listed = _conflict_out(conflicts, slots, tzid)
    names = "; ".join(c.detail for c in conflicts)
    field = {"room": "room_id", "person": "people", "outside_event": "starts_at"}[conflicts[0].rule]
    raise Conflict(f"the session conflicts with the agenda: {names}", field, conflicts=listed)


async def _nearby_slots(
    event_id: int, starts: datetime, ends: datetime, room_id: int | None, person_ids: list[int], exclude: int | None
) -> list[Slot]:
    """Sessions of the event that overlap [starts, ends) in the same room or with one of the people."""
    return await Q.nearby_slots(
        event_id=event_id, starts_at=starts, ends_at=ends, room_id=room_id, person_ids=person_ids, exclude_id=exclude
    )


async def event_slots(event_id: int) -> list[Slot]:
    """Every session of the event that is not cancelled, for the conflict rules."""
    return await Q.event_slots(event_id=event_id)


async def _room(event_id: int, room_id: int | None) -> RoomRow | None:
    if room_id is None:
        return None
    row = await Q.room_of_event(room_id=room_id, event_id=event_id)
    if row is None:
        require([FieldError("room_id", "no room of this event has this id: see GET /api/events/{id}/rooms")])
    return row


async def _check_track(event_id: int, track_id: int | None) -> None:
    if track_id is not None and not await Q.track_exists(track_id=track_id, event_id=event_id):
        require([FieldError("track_id", "no track of this event has this id: see GET /api/events/{id}/tracks")])


def _localize_times(fields: dict[str, Any], tzid: str) -> dict[str, Any]:
    errors = []
    for name in ("starts_at", "ends_at"):
        if name in fields:
            fields[name], error = localize_strict(fields[name], tzid, name)
            if error:
                errors.append(error)
    require(errors)
    return fields


async def ensure_agenda_person(person_id: int, guid: str | None = None) -> None:
    """Give a person the schedule-exchange identity it keeps in every export (a random UUID, nothing about them)."""
    await ensure_agenda_people([person_id], [uuid.UUID(guid) if guid else uuid.uuid4()])


async def ensure_agenda_people(person_ids: list[int], guids: list[uuid.UUID]) -> None:
    """ensure_agenda_person for many people at once, with the guids given (people who have one keep theirs)."""
    await Q.add_agenda_people(person_ids=person_ids, guids=guids)


async def _resolve_person(
    account: CurrentAccount, data: dict[str, Any], index: int
) -> tuple[int, int | None, str | None]:
    """(person id, organization and name shown for this role): an existing person by id, when the account may see
    them (a person outside its scope is 404, exactly like an unknown id), or one linked or created by email without
    changing them. What the organizer gave (name, organization) is kept on the role row: the person's own profile
    stays theirs, and linking by email shows the organizer nothing stored about them."""
    where = f"people[{index}]"
    organization_id = data.get("organization_id")
    if organization_id is not None and not await Q.organization_exists(organization_id=organization_id):
        require([FieldError(f"{where}.organization_id", "no organization has this id: see GET /api/organizations")])
    if data.get("person_id") is not None:
        await require_visible_person(account, data["person_id"])
        return data["person_id"], organization_id, None
    if not data.get("email") or not str(data.get("name") or "").strip():
        require([FieldError(where, "give either person_id, or email and name")])
    email = normalize_email(data["email"], f"{where}.email")
    name = str(data["name"]).strip()[:200]
    return await link_or_create(email, name, organization_id), organization_id, name


# --------------------------------------------------------------------------- rooms and tracks


async def create_room(account: CurrentAccount, event_id: int, fields: dict[str, Any]) -> dict:
    await require_organizer(account, event_id)
    fields = clean_fields(fields, ROOM_LINES, ROOM_TEXTS)
    fields = {**fields, "name": str(fields.get("name") or "").strip()}
    require(validate_room(fields))
    async with DB.transaction():
        await lock_agenda(event_id)
        if await Q.room_named(event_id=event_id, name=fields["name"]):
            raise Conflict(f"this event already has a room named {fields['name']!r}", "name")
        room_id = await insert_room(
            event_id, fields["name"], fields.get("capacity"), fields.get("accessibility") or "", uuid.uuid4()
        )
    agenda_cache.forget(event_id)
    return await get_room(event_id, room_id)


async def insert_room(event_id: int, name: str, capacity: int | None, accessibility: str, guid: uuid.UUID) -> int:
    """A new room, last in the event's order (under the agenda lock); its id."""
    return await Q.insert_room(event_id=event_id, name=name, capacity=capacity, accessibility=accessibility, guid=guid)


async def update_room(account: CurrentAccount, event_id: int, room_id: int, changes: dict[str, Any]) -> dict:
    await require_organizer(account, event_id)
    changes = clean_fields(changes, ROOM_LINES, ROOM_TEXTS)
    async with DB.transaction():
        await lock_agenda(event_id)
        before = await _room(event_id, room_id)
        if before is None:  # not reached: _room refuses an unknown id
            raise NotFound("room")
        merged = {**msgspec.structs.asdict(before), **changes}
        merged["name"] = str(merged.get("name") or "").strip()
        require(validate_room(merged))
        if merged["capacity"] is not None:
            too_full = await Q.sessions_over_room_capacity(room_id=room_id, capacity=merged["capacity"])
            if too_full:
                require(
                    [
                        FieldError(
                            "capacity",
                            "sessions in this room hold more people: "
                            + "; ".join(f"'{r['title']}' (id {r['id']})" for r in too_full),
                        )
                    ]
                )
        if merged["name"] != before.name and await Q.room_named(event_id=event_id, name=merged["name"]):
            raise Conflict(f"this event already has a room named {merged['name']!r}", "name")
        shown_before = await invite_state.watch(event_id, lock=False)
        await Q.update_room(
            room_id=room_id,
            name=merged["name"],
            capacity=merged["capacity"],
            accessibility=merged.get("accessibility") or "",
        )
        renamed = merged["name"] != before.name
        if renamed:  # in the LOCATION of every session in the room: their holders are told
            await invite_state.settle(shown_before, account.email, await update_delay(event_id))
        if merged["capacity"] != before.capacity:  # a larger room serves its sessions' waiting lists
            # Session locks in id order, as release_bookings takes them: no deadlock with a registration ending.
            for session_id in sorted(row["id"] for row in await Q.sessions_in_room(room_id=room_id)):
                await _locked_session(event_id, session_id)
                await promote_waiting(session_id)
    if renamed:
        await agenda_publish.store_feed_pieces(event_id)
    agenda_cache.forget(event_id)
    await kick_outbox()
    return await get_room(event_id, room_id)


async def _delete_unused(
    account: CurrentAccount,
    event_id: int,
    check: Callable[[], Awaitable[Any]],
    find_users: Callable[[], Awaitable[Any]],
    delete: Callable[[], Awaitable[Any]],
    refusal: str,
) -> None:
    """Remove a room or track no session uses (cancelled sessions count: their calendars still name it); 409
    naming the sessions otherwise. One rule for both: `check` raises 404 for another event's id."""
    await require_organizer(account, event_id)
    async with DB.transaction():
        await lock_agenda(event_id)
        await check()
        used = await find_users()
        if used:
            raise Conflict(refusal, sessions=[{"id": r["id"], "title": r["title"]} for r in used])
        await delete()
    agenda_cache.forget(event_id)


async def delete_room(account: CurrentAccount, event_id: int, room_id: int) -> None:
    """Remove a room no session uses; 409 naming the sessions otherwise."""
    await _delete_unused(
        account,
        event_id,
        lambda: get_room(event_id, room_id),
        lambda: Q.sessions_in_room(room_id=room_id),
        lambda: Q.delete_room(room_id=room_id, event_id=event_id),
        "sessions are held in this room: move them to another room first",
    )


async def get_room(event_id: int, room_id: int) -> dict:
    row = await Q.room_of_event(room_id=room_id, event_id=event_id)
    if row is None:
        raise NotFound("room")
    return _room_out(row)


def _room_out(row: RoomRow) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "capacity": row.capacity,
        "accessibility": row.accessibility,
        "guid": str(row.guid),
    }


async def list_rooms(event_id: int, account: CurrentAccount | None = None) -> list[dict]:
    await _visible(event_id, account)
    return [_room_out(r) for r in await Q.rooms_of_event(event_id=event_id)]


async def create_track(account: CurrentAccount, event_id: int, fields: dict[str, Any]) -> dict:
    await require_organizer(account, event_id)
    fields = clean_fields(fields, TRACK_LINES)
    fields = {**fields, "name": str(fields.get("name") or "").strip()}
    fields["slug"] = fields.get("slug") or slugify(fields["name"])
    require(validate_track(fields))
    async with DB.transaction():
        await lock_agenda(event_id)
        if await Q.track_slug_taken(event_id=event_id, slug=fields["slug"]):
            raise Conflict(f"this event already has a track {fields['slug']!r}", "slug")
        track_id = await insert_track(event_id, fields["name"], fields["slug"], fields["color"])
    agenda_cache.forget(event_id)
    return await get_track(event_id, track_id)


async def insert_track(event_id: int, name: str, slug: str, color: str) -> int:
    """A new track, last in the event's order (under the agenda lock); its id."""
    return await Q.insert_track(event_id=event_id, name=name, slug=slug, color=color)


async def update_track(account: CurrentAccount, event_id: int, track_id: int, changes: dict[str, Any]) -> dict:
    await require_organizer(account, event_id)
    changes = clean_fields(changes, TRACK_LINES)
    async with DB.transaction():
        await lock_agenda(event_id)
        before = await Q.track_of_event(track_id=track_id, event_id=event_id)
        if before is None:
            raise NotFound("track")
        merged = {**msgspec.structs.asdict(before), **changes}
        require(validate_track(merged))
        if merged["slug"] != before.slug and await Q.track_slug_taken(event_id=event_id, slug=merged["slug"]):
            raise Conflict(f"this event already has a track {merged['slug']!r}", "slug")
        shown_before = await invite_state.watch(event_id, lock=False)
        await Q.update_track(track_id=track_id, name=merged["name"].strip(), slug=merged["slug"], color=merged["color"])
        if merged["name"].strip() != before.name:  # in the CATEGORIES of every session of the track
            await invite_state.settle(shown_before, account.email, await update_delay(event_id))
    if merged["name"].strip() != before.name:
        await agenda_publish.store_feed_pieces(event_id)
    agenda_cache.forget(event_id)
    return await get_track(event_id, track_id)


async def delete_track(account: CurrentAccount, event_id: int, track_id: int) -> None:
    """Remove a track no session belongs to; 409 naming the sessions otherwise (their calendars carry the track's
    name, so they are moved to another track first, each change logged)."""
    await _delete_unused(
        account,
        event_id,
        lambda: get_track(event_id, track_id),
        lambda: Q.sessions_in_track(track_id=track_id),
        lambda: Q.delete_track(track_id=track_id, event_id=event_id),
        "sessions belong to this track: give them another track first",
    )


async def get_track(event_id: int, track_id: int) -> dict:
    row = await Q.track_of_event(track_id=track_id, event_id=event_id)
    if row is None:
        raise NotFound("track")
    return _track_out(row)


def _track_out(row: TrackRow) -> dict:
    return {"id": row.id, "name": row.name, "slug": row.slug, "color": row.color}


async def list_tracks(event_id: int, account: CurrentAccount | None = None) -> list[dict]:
    await _visible(event_id, account)
    return [_track_out(r) for r in await Q.tracks_of_event(event_id=event_id)]


async def _visible(event_id: int, account: CurrentAccount | None) -> EventRow:
    """A published event's agenda is public; a draft's only for its organizers (404 for others)."""
    event = await event_row(event_id)
    if event.status != "published":
        if account is None:
            raise NotFound("event")
        await require_organizer(account, event_id)
    return event


# --------------------------------------------------------------------------- sessions


async def create_session(account: CurrentAccount, event_id: int, fields: dict[str, Any]) -> dict:
    """Add a session; 409 listing the sessions in conflict (room, person, outside the event's dates)."""
    await require_organizer(account, event_id)
    people = fields.pop("people", None) or []
    fields = clean_session_text(fields, people)
    async with DB.transaction():
        await lock_agenda(event_id)
        event = await event_row(event_id)
        tzid = event.timezone
        session = {
            "abstract": "",
            "language": "en",
            "online_url": "",
            "status": "published",
            "requires_booking": False,
            "capacity": None,
            "room_id": None,
            "track_id": None,
            **_localize_times({k: v for k, v in fields.items() if k in SESSION_FIELDS}, tzid),
        }
        session["title"] = str(session.get("title") or "").strip()
        room = await _room(event_id, session["room_id"])
        await _check_track(event_id, session["track_id"])
        require(validate_session(session, room.capacity if room else None))
        people_ids = [
            (*(await _resolve_person(account, p, i)), p.get("role") or "speaker") for i, p in enumerate(people)
        ]
        if len({pid for pid, *_ in people_ids}) != len(people_ids):
            require([FieldError("people", "a person appears twice: give each person one role")])
        candidate = Slot(
            None,
            session["title"],
            session["starts_at"],
            session["ends_at"],
            session["room_id"],
            frozenset(pid for pid, *_ in people_ids),
            session["status"],
        )
        others = await _nearby_slots(
            event_id, candidate.starts_at, candidate.ends_at, candidate.room_id, list(candidate.person_ids), None
        )
        _raise_conflicts(find_conflicts(candidate, others, event.starts_at, event.ends_at), candidate, others, tzid)
        session_id = await Q.insert_session(
            event_id=event_id,
            guid=uuid.uuid4(),
            calendar_uid=uuid.uuid4(),
            kind=session["kind"],
            title=session["title"],
            abstract=session["abstract"],
            starts_at=session["starts_at"],
            ends_at=session["ends_at"],
            room_id=session["room_id"],
            track_id=session["track_id"],
            language=session["language"],
            online_url=session["online_url"],
            status=session["status"],
            requires_booking=session["requires_booking"],
            capacity=session["capacity"],
        )
        for position, (person_id, organization_id, display_name, role) in enumerate(people_ids):
            await _add_person_row(session_id, person_id, role, position, organization_id, display_name)
            if session["status"] == "published" and event.status == "published":
                await session_mail.tell_person("session_role_added", person_id, session_id, METHOD_REQUEST)
        await log_change(event_id, session_id, "created", changes_between({}, session), 0, account)
    agenda_cache.forget(event_id)
    await kick_outbox()
    return await get_session(event_id, session_id, account)


async def _add_person_row(
    session_id: int,
    person_id: int,
    role: str,
    position: int,
    organization_id: int | None = None,
    display_name: str | None = None,
) -> None:
    await ensure_agenda_person(person_id)
    await Q.add_session_person(
        session_id=session_id,
        person_id=person_id,
        role=role,
        position=position,
        organization_id=organization_id,
        display_name=display_name,
    )


async def _locked_session(event_id: int, session_id: int) -> SessionRow:
    row = await Q.session_for_update(session_id=session_id, event_id=event_id)
    if row is None:
        raise NotFound("session")
    return row


async def update_session(account: CurrentAccount, event_id: int, session_id: int, changes: dict[str, Any]) -> dict:
    """Change, move (time or room) or cancel a session. A change of time, room or status grows its SEQUENCE;
    every change is logged with what it was and what it became. A cancelled session brought back (published or
    draft) gets back its bookings that clash with nothing booked meanwhile (restore_bookings); the answer's
    `bookings_not_restored` says how many delegates did not. A published session moved in time keeps its bookings
    even where they now overlap another session their delegate booked (their agenda shows the clash); the answer's
    `bookers_now_clashing` says how many delegates that is, for the organizer to know."""
    await require_organizer(account, event_id)
    changes = clean_fields(changes, SESSION_LINES, SESSION_TEXTS)
    not_restored = clashing = 0
    async with DB.transaction():
        await lock_agenda(event_id)
        event = await event_row(event_id)
        if changes.get("status", "cancelled") != "cancelled":  # may bring a cancelled session back
            await lock_bookers_of_cancelled(event_id, session_id)
        before = (await _locked_session(event_id, session_id)).fields()
        if before["status"] == "cancelled" and changes.get("status", "cancelled") == "cancelled" and changes:
            raise Conflict("this session is cancelled; set status to 'published' or 'draft' to change it", "status")
        after = {
            **before,
            **_localize_times({k: v for k, v in changes.items() if k in SESSION_FIELDS}, event.timezone),
        }
        if isinstance(after.get("title"), str):
            after["title"] = after["title"].strip()
        room = await _room(event_id, after["room_id"])
        await _check_track(event_id, after["track_id"])
        require(validate_session(after, room.capacity if room else None))
        changed = changes_between(before, after)
        if not changed:
            return {
                **await get_session(event_id, session_id, account),
                "bookings_not_restored": 0,
                "bookers_now_clashing": 0,
            }
        persons = [r["person"] for r in await Q.session_person_ids(session_id=session_id)]
        candidate = Slot(
            session_id,
            after["title"],
            after["starts_at"],
            after["ends_at"],
            after["room_id"],
            frozenset(persons),
            after["status"],
        )
        if calendar_changed(before, after):
            others = await _nearby_slots(
                event_id, candidate.starts_at, candidate.ends_at, candidate.room_id, persons, session_id
            )
            _raise_conflicts(
                find_conflicts(candidate, others, event.starts_at, event.ends_at),
                candidate,
                others,
                event.timezone,
            )
        shown_before = await invite_state.watch(event_id, lock=False)
        await Q.update_session(
            session_id=session_id,
            kind=after["kind"],
            title=after["title"],
            abstract=after["abstract"],
            starts_at=after["starts_at"],
            ends_at=after["ends_at"],
            room_id=after["room_id"],
            track_id=after["track_id"],
            language=after["language"],
            online_url=after["online_url"],
            status=after["status"],
            requires_booking=after["requires_booking"],
            capacity=after["capacity"],
            calendar_sequence=before["calendar_sequence"],
        )
        # Any change of what the session's invite shows (time, room, title, abstract, link, status) grows its
        # SEQUENCE; bookers and speakers get one update when the event's window passes.
        grown = await invite_state.settle(shown_before, account.email, timedelta(minutes=event.update_delay_minutes))
        sequence = grown.get(("session", session_id), before["calendar_sequence"])
        if before["status"] == "cancelled":  # back: its bookings count again, under the rules of a booking
            not_restored = await restore_bookings(session_id)
        if after["status"] == "published":  # more room, a larger capacity or a return from draft: fill places
            await promote_waiting(session_id)
            if "starts_at" in changed or "ends_at" in changed:
                clashing = await bookers_now_clashing([session_id])
        await log_change(event_id, session_id, change_action(before, after), changed, sequence, account)
    agenda_cache.forget(event_id)
    await kick_outbox()
    return {
        **await get_session(event_id, session_id, account),
        "bookings_not_restored": not_restored,
        "bookers_now_clashing": clashing,
    }


async def cancel_session(account: CurrentAccount, event_id: int, session_id: int) -> dict:
    """Cancel: the session stays (status cancelled, SEQUENCE grown) so calendars and bookers learn of it."""
    return await update_session(account, event_id, session_id, {"status": "cancelled"})


async def add_person(account: CurrentAccount, event_id: int, session_id: int, data: dict[str, Any]) -> dict:
    """Put a person into a session in a role; 409 when they are in another session at that time."""
    await require_organizer(account, event_id)
    data = clean_fields(data, PERSON_LINES)
    role = data.get("role") or "speaker"
    async with DB.transaction():
        await lock_agenda(event_id)
        event = await event_row(event_id)
        session = await _locked_session(event_id, session_id)
        person_id, organization_id, display_name = await _resolve_person(account, data, 0)
        if await Q.session_has_person(session_id=session_id, person_id=person_id):
            raise Conflict("this person is already in the session", "person_id")
        candidate = Slot(
            session_id,
            session.title,
            session.starts_at,
            session.ends_at,
            None,
            frozenset([person_id]),
            session.status,
        )
        others = await _nearby_slots(event_id, candidate.starts_at, candidate.ends_at, None, [person_id], session_id)
        found = [c for c in find_conflicts(candidate, others, event.starts_at, event.ends_at) if c.rule == "person"]
        _raise_conflicts(found, candidate, others, event.timezone)
        position = await Q.next_session_person_position(session_id=session_id)
        shown_before = await invite_state.watch(event_id, lock=False)
        await _add_person_row(session_id, person_id, role, position, organization_id, display_name)
        await Q.touch_session(session_id=session_id)
        # The people are in the invite's description: the other holders get an update; the new person gets the
        # invite at the grown SEQUENCE below, so nothing more.
        await invite_state.settle(shown_before, account.email, timedelta(minutes=event.update_delay_minutes))
        session = await _locked_session(event_id, session_id)
        name = display_name or await Q.person_name(person_id=person_id)
        await log_change(
            event_id,
            session_id,
            "person_added",
            {"people": {"from": None, "to": {"person_id": person_id, "name": name, "role": role}}},
            session.calendar_sequence,
            account,
        )
        if session.status == "published" and event.status == "published":
            await session_mail.tell_person("session_role_added", person_id, session_id, METHOD_REQUEST)
    agenda_cache.forget(event_id)
    await kick_outbox()
    return await get_session(event_id, session_id, account)


async def remove_person(account: CurrentAccount, event_id: int, session_id: int, person_id: int) -> dict:
    await require_organizer(account, event_id)
    async with DB.transaction():
        await lock_agenda(event_id)
        session = await _locked_session(event_id, session_id)
        shown_before = await invite_state.watch(event_id, lock=False)
        row = await Q.remove_session_person(session_id=session_id, person_id=person_id)
        if row is None:
            raise NotFound("person in this session")
        await Q.touch_session(session_id=session_id)
        await invite_state.settle(shown_before, account.email, await update_delay(event_id))
        session = await _locked_session(event_id, session_id)
        await log_change(
            event_id,
            session_id,
            "person_removed",
            {"people": {"from": {"person_id": person_id, "name": row["name"], "role": row["role"]}, "to": None}},
            session.calendar_sequence,
            account,
        )
        # A CANCEL only to someone whose calendar holds the session and keeps it by no other right (session_mail)
        await session_mail.tell_person("session_role_removed", person_id, session_id, METHOD_CANCEL)
    agenda_cache.forget(event_id)
    await kick_outbox()
    return await get_session(event_id, session_id, account)


def _session_out(row: SessionDetailRow) -> dict:
    tzid = row.timezone
    capacity = effective_capacity(row.capacity, row.room_capacity)
    left = seats_left(capacity, row.booked_count) if row.requires_booking else None
    return {
        "id": row.id,
        "event_id": row.event,
        "guid": str(row.guid),
        "calendar_uid": str(row.calendar_uid),
        "calendar_sequence": row.calendar_sequence,
        "title": row.title,
        "kind": row.kind,
        "abstract": row.abstract,
        "starts_at": in_zone(row.starts_at, tzid),
        "ends_at": in_zone(row.ends_at, tzid),
        "room": {"id": row.room, "name": row.room_name} if row.room else None,
        "track": (
            {"id": row.track, "name": row.track_name, "slug": row.track_slug, "color": row.track_color}
            if row.track
            else None
        ),
        "language": row.language,
        "online_url": row.online_url,
        "status": row.status,
        "requires_booking": row.requires_booking,
        "capacity": capacity,
        "booked_count": row.booked_count,
        "seats_left": left,
        "waitlisted_count": row.waiting,
        "people": [
            {"person_id": p.person_id, "name": p.name, "role": p.role, "organization": p.organization}
            for p in row.people
        ],
        "updated_at": row.updated_at,
    }


async def get_session(event_id: int, session_id: int, account: CurrentAccount | None = None) -> dict:
    """One session with its live seats; drafts only for organizers."""
    row = await Q.session_detail(session_id=session_id, event_id=event_id)
    if row is None:
        raise NotFound("session")
    event = await event_row(event_id)
    if row.status == "draft" or event.status != "published":
        if account is None:
            raise NotFound("session")
        await require_organizer(account, event_id)
    return _session_out(row)


async def list_sessions(account: CurrentAccount, event_id: int, status: str | None = None) -> list[dict]:
    """Every session of the event for its organizers, drafts and cancelled ones included."""
    await require_organizer(account, event_id)
    return [_session_out(r) for r in await Q.session_details_of_event(event_id=event_id, status=status)]


async def availability(event_id: int) -> list[dict]:
    """Live seats of the sessions that need booking (the cached public agenda leaves them out)."""
    await _visible(event_id, None)
    rows = await Q.booking_availability(event_id=event_id)
    out = []
    for r in rows:
        capacity = effective_capacity(r["capacity"], r["room_capacity"])
        out.append(
            {
                "session_id": r["id"],
                "capacity": capacity,
                "booked_count": r["booked_count"],
                "seats_left": seats_left(capacity, r["booked_count"]),
                "waitlisted_count": r["waiting"],
            }
        )
    return out


# --------------------------------------------------------------------------- conflicts, change log, affected


async def conflicts(account: CurrentAccount, event_id: int) -> list[dict]:
    """Every conflict in the current agenda (imports may bring some)."""
    await require_organizer(account, event_id)
    event = await event_row(event_id)
    slots: dict[int | None, Slot] = {slot.id: slot for slot in await event_slots(event_id)}
    found = all_conflicts(slots.values(), event.starts_at, event.ends_at)
    return _conflict_out(found, slots, event.timezone)


async def list_changes(account: CurrentAccount, event_id: int, after_id: int = 0, limit: int = 500) -> list[dict]:
    """The change log, oldest first; `after_id` pages through it (and lets a reader resume)."""
    await require_organizer(account, event_id)
    rows = await Q.changes_after(event_id=event_id, after_id=after_id, limit=max(0, min(limit, 5000)))
    return [dict(r) for r in rows]


async def recent_changes(
    account: CurrentAccount, event_id: int, before_id: int | None = None, limit: int = 100
) -> list[dict]:
    """The change log newest first, for people reading it; `before_id` (the smallest id shown) pages back."""
    await require_organizer(account, event_id)
    if before_id is not None:
        before_id = max(0, min(before_id, 2**63 - 1))
    rows = await Q.changes_before(event_id=event_id, before_id=before_id, limit=max(1, min(limit, 500)))
    return [dict(r) for r in rows]


async def affected_people(session_id: int) -> list[dict]:
    """Who must hear about a change of this session: its bookers (booked or waiting, confirmed registrations)
    and the people in roles. One entry per person, with every reason; for the notifications service."""
    rows = await Q.affected_by_session(session_id=session_id)
    people: dict[int, dict] = {}
    for r in rows:
        entry = people.setdefault(
            r["person_id"],
            {
                "person_id": r["person_id"],
                "email": r["email"],
                "name": r["name"],
                "language": r["language"],
                "registration_id": None,
                "reasons": [],
            },
        )
        entry["reasons"].append(r["reason"])
        entry["registration_id"] = entry["registration_id"] or r["registration_id"]
    return list(people.values())


async def affected_for(account: CurrentAccount, event_id: int, session_id: int) -> list[dict]:
    """affected_people for an organizer: the people the account may see (people.visible_people); people it named
    by email or through a schedule file but may not see otherwise, only with the name given for the role."""
    await require_organizer(account, event_id)
    if not await Q.session_exists(session_id=session_id, event_id=event_id):
        raise NotFound("session")
    affected = await affected_people(session_id)
    visible = await visible_people(account, [p["person_id"] for p in affected])
    out = [p for p in affected if p["person_id"] in visible]
    # People linked by email or by a schedule file are told too: shown with the name given for the role and
    # nothing stored about them (not even the address, which a schedule file does not carry).
    named = await Q.people_named_for_session(session_id=session_id)
    for r in named:
        if r["person"] not in visible:
            out.append(
                {
                    "person_id": r["person"],
                    "email": "",
                    "name": r["display_name"],
                    "language": "",
                    "registration_id": None,
                    "reasons": [r["role"]],
                }
            )
    return out
