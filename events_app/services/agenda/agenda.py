"""Organizers build the agenda: rooms, tracks, sessions and the people in them. One transaction per change.

Every change of an event's agenda first takes the event's agenda_state row (bumping its version), so edits of one
event are serialized: a conflict check always sees the sessions written before it, and two organizers cannot put
two sessions into one room at once. The same transaction grows the session's calendar SEQUENCE when its time,
room or status changes, writes the change log, and notifies other processes that cached agenda views are stale.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from events_app.db import sql
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
from events_app.domain.sequence import next_sequence
from events_app.domain.text import clean_fields, text_errors
from events_app.jobs import kick_outbox
from events_app.services.agenda import agenda_cache, agenda_publish, calendar_updates
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.people.people import link_or_create, require_visible_person, visible_people
from events_app.services.platform import time_overlap
from events_app.services.registration import session_mail
from events_app.services.registration.agenda_bookings import promote_waiting
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
    version = await sql.fetchval(
        """INSERT INTO agenda_state (event, version, updated_at) VALUES ($1, 1, clock_timestamp())
           ON CONFLICT (event) DO UPDATE SET version = agenda_state.version + 1, updated_at = clock_timestamp()
           RETURNING version""",
        event_id,
    )
    await sql.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, str(event_id))
    return version


async def event_row(event_id: int) -> dict:
    row = await sql.fetchrow("SELECT * FROM event WHERE id = $1", event_id)
    if row is None:
        raise NotFound("event")
    return dict(row)


async def log_change(
    event_id: int,
    session_id: int | None,
    action: str,
    changes: dict,
    sequence: int | None,
    account: CurrentAccount | None,
    actor: str = "",
) -> None:
    await sql.execute(
        """INSERT INTO agenda_change (event, session, action, changes, calendar_sequence, account, actor,
                                      created_at)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, clock_timestamp())""",
        event_id,
        session_id,
        action,
        changes,
        sequence,
        account.id if account else None,
        actor or (account.email if account else ""),
    )


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


_OVERLAPS_2_3 = time_overlap.overlaps("s.starts_at", "s.ends_at", "$2", "$3")


async def _nearby_slots(
    event_id: int, starts: datetime, ends: datetime, room_id: int | None, person_ids: list[int], exclude: int | None
) -> list[Slot]:
    """Sessions of the event that overlap [starts, ends) in the same room or with one of the people."""
    rows = await sql.fetch(
        f"""SELECT s.id, s.title, s.starts_at, s.ends_at, s.room, s.status,
                  coalesce(array_agg(sp.person) FILTER (WHERE sp.person IS NOT NULL), '{{}}') AS persons
           FROM agenda_session s LEFT JOIN agenda_session_person sp ON sp.session = s.id
           WHERE s.event = $1 AND s.status <> 'cancelled' AND {_OVERLAPS_2_3}
             AND s.id <> coalesce($6::int, -1)
             AND (s.room = $4 OR EXISTS (SELECT 1 FROM agenda_session_person x
                                         WHERE x.session = s.id AND x.person = ANY($5::int[])))
           GROUP BY s.id""",
        event_id,
        starts,
        ends,
        room_id,
        person_ids,
        exclude,
    )
    return [
        Slot(r["id"], r["title"], r["starts_at"], r["ends_at"], r["room"], frozenset(r["persons"]), r["status"])
        for r in rows
    ]


async def _room(event_id: int, room_id: int | None) -> dict | None:
    if room_id is None:
        return None
    row = await sql.fetchrow("SELECT * FROM agenda_room WHERE id = $1 AND event = $2", room_id, event_id)
    if row is None:
        require([FieldError("room_id", "no room of this event has this id: see GET /api/events/{id}/rooms")])
    return dict(row)


async def _check_track(event_id: int, track_id: int | None) -> None:
    if track_id is not None and not await sql.fetchval(
        "SELECT 1 FROM agenda_track WHERE id = $1 AND event = $2", track_id, event_id
    ):
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
    await sql.execute(
        "INSERT INTO agenda_person (person, guid) VALUES ($1, $2) ON CONFLICT (person) DO NOTHING",
        person_id,
        uuid.UUID(guid) if guid else uuid.uuid4(),
    )


async def _resolve_person(
    account: CurrentAccount, data: dict[str, Any], index: int
) -> tuple[int, int | None, str | None]:
    """(person id, organization and name shown for this role): an existing person by id, when the account may see
    them (a person outside its scope is 404, exactly like an unknown id), or one linked or created by email without
    changing them. What the organizer gave (name, organization) is kept on the role row: the person's own profile
    stays theirs, and linking by email shows the organizer nothing stored about them."""
    where = f"people[{index}]"
    organization_id = data.get("organization_id")
    if organization_id is not None and not await sql.fetchval(
        "SELECT 1 FROM organization WHERE id = $1", organization_id
    ):
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
        if await sql.fetchval("SELECT 1 FROM agenda_room WHERE event = $1 AND name = $2", event_id, fields["name"]):
            raise Conflict(f"this event already has a room named {fields['name']!r}", "name")
        room_id = await sql.fetchval(
            """INSERT INTO agenda_room (event, name, capacity, accessibility, guid, position)
               VALUES ($1, $2, $3, $4, $5, (SELECT coalesce(max(position), 0) + 1 FROM agenda_room WHERE event = $1))
               RETURNING id""",
            event_id,
            fields["name"],
            fields.get("capacity"),
            fields.get("accessibility") or "",
            uuid.uuid4(),
        )
    agenda_cache.forget(event_id)
    return await get_room(event_id, room_id)


async def update_room(account: CurrentAccount, event_id: int, room_id: int, changes: dict[str, Any]) -> dict:
    await require_organizer(account, event_id)
    changes = clean_fields(changes, ROOM_LINES, ROOM_TEXTS)
    async with DB.transaction():
        await lock_agenda(event_id)
        before = await _room(event_id, room_id)
        merged = {**before, **changes}
        merged["name"] = str(merged.get("name") or "").strip()
        require(validate_room(merged))
        if merged["capacity"] is not None:
            too_full = await sql.fetch(
                "SELECT id, title, booked_count FROM agenda_session WHERE room = $1 AND requires_booking"
                " AND status <> 'cancelled' AND (booked_count > $2 OR capacity > $2) ORDER BY starts_at",
                room_id,
                merged["capacity"],
            )
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
        if merged["name"] != before["name"] and await sql.fetchval(
            "SELECT 1 FROM agenda_room WHERE event = $1 AND name = $2", event_id, merged["name"]
        ):
            raise Conflict(f"this event already has a room named {merged['name']!r}", "name")
        await sql.execute(
            "UPDATE agenda_room SET name = $2, capacity = $3, accessibility = $4 WHERE id = $1",
            room_id,
            merged["name"],
            merged["capacity"],
            merged.get("accessibility") or "",
        )
        if merged["name"] != before["name"]:  # in the LOCATION of every session in the room
            await agenda_publish.store_feed_pieces(event_id)
    agenda_cache.forget(event_id)
    return await get_room(event_id, room_id)


async def get_room(event_id: int, room_id: int) -> dict:
    row = await sql.fetchrow("SELECT * FROM agenda_room WHERE id = $1 AND event = $2", room_id, event_id)
    if row is None:
        raise NotFound("room")
    return _room_out(dict(row))


def _room_out(row: dict) -> dict:
    return {
        "id": row["id"],
        "name": row["name"],
        "capacity": row["capacity"],
        "accessibility": row["accessibility"],
        "guid": str(row["guid"]),
    }


async def list_rooms(event_id: int, account: CurrentAccount | None = None) -> list[dict]:
    await _visible(event_id, account)
    rows = await sql.fetch("SELECT * FROM agenda_room WHERE event = $1 ORDER BY position, id", event_id)
    return [_room_out(dict(r)) for r in rows]


async def create_track(account: CurrentAccount, event_id: int, fields: dict[str, Any]) -> dict:
    await require_organizer(account, event_id)
    fields = clean_fields(fields, TRACK_LINES)
    fields = {**fields, "name": str(fields.get("name") or "").strip()}
    fields["slug"] = fields.get("slug") or slugify(fields["name"])
    require(validate_track(fields))
    async with DB.transaction():
        await lock_agenda(event_id)
        if await sql.fetchval("SELECT 1 FROM agenda_track WHERE event = $1 AND slug = $2", event_id, fields["slug"]):
            raise Conflict(f"this event already has a track {fields['slug']!r}", "slug")
        track_id = await sql.fetchval(
            """INSERT INTO agenda_track (event, name, slug, color, position)
               VALUES ($1, $2, $3, $4, (SELECT coalesce(max(position), 0) + 1 FROM agenda_track WHERE event = $1))
               RETURNING id""",
            event_id,
            fields["name"],
            fields["slug"],
            fields["color"],
        )
    agenda_cache.forget(event_id)
    return await get_track(event_id, track_id)


async def update_track(account: CurrentAccount, event_id: int, track_id: int, changes: dict[str, Any]) -> dict:
    await require_organizer(account, event_id)
    changes = clean_fields(changes, TRACK_LINES)
    async with DB.transaction():
        await lock_agenda(event_id)
        before = await sql.fetchrow("SELECT * FROM agenda_track WHERE id = $1 AND event = $2", track_id, event_id)
        if before is None:
            raise NotFound("track")
        merged = {**dict(before), **changes}
        require(validate_track(merged))
        if merged["slug"] != before["slug"] and await sql.fetchval(
            "SELECT 1 FROM agenda_track WHERE event = $1 AND slug = $2", event_id, merged["slug"]
        ):
            raise Conflict(f"this event already has a track {merged['slug']!r}", "slug")
        await sql.execute(
            "UPDATE agenda_track SET name = $2, slug = $3, color = $4 WHERE id = $1",
            track_id,
            merged["name"].strip(),
            merged["slug"],
            merged["color"],
        )
        if merged["name"].strip() != before["name"]:  # in the CATEGORIES of every session of the track
            await agenda_publish.store_feed_pieces(event_id)
    agenda_cache.forget(event_id)
    return await get_track(event_id, track_id)


async def get_track(event_id: int, track_id: int) -> dict:
    row = await sql.fetchrow("SELECT * FROM agenda_track WHERE id = $1 AND event = $2", track_id, event_id)
    if row is None:
        raise NotFound("track")
    return _track_out(dict(row))


def _track_out(row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "slug": row["slug"], "color": row["color"]}


async def list_tracks(event_id: int, account: CurrentAccount | None = None) -> list[dict]:
    await _visible(event_id, account)
    rows = await sql.fetch("SELECT * FROM agenda_track WHERE event = $1 ORDER BY position, id", event_id)
    return [_track_out(dict(r)) for r in rows]


async def _visible(event_id: int, account: CurrentAccount | None) -> dict:
    """A published event's agenda is public; a draft's only for its organizers (404 for others)."""
    event = await event_row(event_id)
    if event["status"] != "published":
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
        tzid = event["timezone"]
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
        require(validate_session(session, room["capacity"] if room else None))
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
        _raise_conflicts(
            find_conflicts(candidate, others, event["starts_at"], event["ends_at"]), candidate, others, tzid
        )
        session_id = await sql.fetchval(
            """INSERT INTO agenda_session (event, guid, calendar_uid, calendar_sequence, kind, title, abstract,
                                           starts_at, ends_at, room, track, language, online_url, status,
                                           requires_booking, capacity, booked_count, created_at, updated_at)
               VALUES ($1, $2, $3, 0, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 0, now(), now())
               RETURNING id""",
            event_id,
            uuid.uuid4(),
            uuid.uuid4(),
            session["kind"],
            session["title"],
            session["abstract"],
            session["starts_at"],
            session["ends_at"],
            session["room_id"],
            session["track_id"],
            session["language"],
            session["online_url"],
            session["status"],
            session["requires_booking"],
            session["capacity"],
        )
        for position, (person_id, organization_id, display_name, role) in enumerate(people_ids):
            await _add_person_row(session_id, person_id, role, position, organization_id, display_name)
            if session["status"] == "published" and event["status"] == "published":
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
    await sql.execute(
        "INSERT INTO agenda_session_person (session, person, role, position, organization,"
        " display_name) VALUES ($1, $2, $3, $4, $5, $6)",
        session_id,
        person_id,
        role,
        position,
        organization_id,
        display_name,
    )


async def _locked_session(event_id: int, session_id: int) -> dict:
    row = await sql.fetchrow(
        "SELECT * FROM agenda_session WHERE id = $1 AND event = $2 FOR UPDATE", session_id, event_id
    )
    if row is None:
        raise NotFound("session")
    out = dict(row)
    out["room_id"], out["track_id"] = out.pop("room"), out.pop("track")
    return out


async def update_session(account: CurrentAccount, event_id: int, session_id: int, changes: dict[str, Any]) -> dict:
    """Change, move (time or room) or cancel a session. A change of time, room or status grows its SEQUENCE;
    every change is logged with what it was and what it became."""
    await require_organizer(account, event_id)
    changes = clean_fields(changes, SESSION_LINES, SESSION_TEXTS)
    async with DB.transaction():
        await lock_agenda(event_id)
        event = await event_row(event_id)
        before = await _locked_session(event_id, session_id)
        if before["status"] == "cancelled" and changes.get("status", "cancelled") == "cancelled" and changes:
            raise Conflict("this session is cancelled; set status to 'published' or 'draft' to change it", "status")
        after = {
            **before,
            **_localize_times({k: v for k, v in changes.items() if k in SESSION_FIELDS}, event["timezone"]),
        }
        if isinstance(after.get("title"), str):
            after["title"] = after["title"].strip()
        room = await _room(event_id, after["room_id"])
        await _check_track(event_id, after["track_id"])
        require(validate_session(after, room["capacity"] if room else None))
        changed = changes_between(before, after)
        if not changed:
            return await get_session(event_id, session_id, account)
        persons = [
            r["person"]
            for r in await sql.fetch("SELECT person FROM agenda_session_person WHERE session = $1", session_id)
        ]
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
                find_conflicts(candidate, others, event["starts_at"], event["ends_at"]),
                candidate,
                others,
                event["timezone"],
            )
        sequence = next_sequence(before["calendar_sequence"], calendar_changed(before, after))
        await sql.execute(
            """UPDATE agenda_session SET kind = $2, title = $3, abstract = $4, starts_at = $5, ends_at = $6,
                   room = $7, track = $8, language = $9, online_url = $10, status = $11, requires_booking = $12,
                   capacity = $13, calendar_sequence = $14, updated_at = clock_timestamp()
               WHERE id = $1""",
            session_id,
            after["kind"],
            after["title"],
            after["abstract"],
            after["starts_at"],
            after["ends_at"],
            after["room_id"],
            after["track_id"],
            after["language"],
            after["online_url"],
            after["status"],
            after["requires_booking"],
            after["capacity"],
            sequence,
        )
        if after["status"] == "published":  # more room, a larger capacity or a return from draft: fill places
            await promote_waiting(session_id)
        await log_change(event_id, session_id, change_action(before, after), changed, sequence, account)
        if calendar_changed(before, after) and before["status"] == "published" and event["status"] == "published":
            # Bookers and speakers hold the session's invite: they get one update when the event's window passes.
            await calendar_updates.record(
                event_id,
                "session",
                session_id,
                {"by": account.email, "fields": changed},
                timedelta(minutes=event["update_delay_minutes"]),
            )
    agenda_cache.forget(event_id)
    await kick_outbox()
    return await get_session(event_id, session_id, account)


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
        if await sql.fetchval(
            "SELECT 1 FROM agenda_session_person WHERE session = $1 AND person = $2", session_id, person_id
        ):
            raise Conflict("this person is already in the session", "person_id")
        candidate = Slot(
            session_id,
            session["title"],
            session["starts_at"],
            session["ends_at"],
            None,
            frozenset([person_id]),
            session["status"],
        )
        others = await _nearby_slots(event_id, candidate.starts_at, candidate.ends_at, None, [person_id], session_id)
        found = [
            c for c in find_conflicts(candidate, others, event["starts_at"], event["ends_at"]) if c.rule == "person"
        ]
        _raise_conflicts(found, candidate, others, event["timezone"])
        position = await sql.fetchval(
            "SELECT coalesce(max(position), -1) + 1 FROM agenda_session_person WHERE session = $1", session_id
        )
        await _add_person_row(session_id, person_id, role, position, organization_id, display_name)
        await sql.execute("UPDATE agenda_session SET updated_at = clock_timestamp() WHERE id = $1", session_id)
        name = display_name or await sql.fetchval("SELECT name FROM person WHERE id = $1", person_id)
        await log_change(
            event_id,
            session_id,
            "person_added",
            {"people": {"from": None, "to": {"person_id": person_id, "name": name, "role": role}}},
            session["calendar_sequence"],
            account,
        )
        if session["status"] == "published" and event["status"] == "published":
            await session_mail.tell_person("session_role_added", person_id, session_id, METHOD_REQUEST)
    agenda_cache.forget(event_id)
    await kick_outbox()
    return await get_session(event_id, session_id, account)


async def remove_person(account: CurrentAccount, event_id: int, session_id: int, person_id: int) -> dict:
    await require_organizer(account, event_id)
    async with DB.transaction():
        await lock_agenda(event_id)
        session = await _locked_session(event_id, session_id)
        row = await sql.fetchrow(
            "DELETE FROM agenda_session_person sp USING person p WHERE sp.session = $1 AND sp.person = $2"
            " AND p.id = sp.person RETURNING sp.role, coalesce(sp.display_name, p.name) AS name",
            session_id,
            person_id,
        )
        if row is None:
            raise NotFound("person in this session")
        await sql.execute("UPDATE agenda_session SET updated_at = clock_timestamp() WHERE id = $1", session_id)
        await log_change(
            event_id,
            session_id,
            "person_removed",
            {"people": {"from": {"person_id": person_id, "name": row["name"], "role": row["role"]}, "to": None}},
            session["calendar_sequence"],
            account,
        )
        if session["status"] == "published":
            await session_mail.tell_person("session_role_removed", person_id, session_id, METHOD_CANCEL)
    agenda_cache.forget(event_id)
    await kick_outbox()
    return await get_session(event_id, session_id, account)


_SESSION_SELECT = """
    SELECT s.*, r.name AS room_name, r.capacity AS room_capacity, t.name AS track_name, t.slug AS track_slug,
           t.color AS track_color, e.timezone,
           (SELECT count(*) FROM agenda_booking b WHERE b.session = s.id AND b.status = 'waitlisted') AS waiting,
           coalesce((SELECT json_agg(json_build_object('person_id', p.id, 'name', coalesce(sp.display_name, p.name),
                                                       'role', sp.role,
                                                       'organization', o.name) ORDER BY sp.position, sp.id)
                     FROM agenda_session_person sp JOIN person p ON p.id = sp.person
                     LEFT JOIN organization o ON o.id = coalesce(sp.organization, p.organization)
                     WHERE sp.session = s.id), '[]') AS people
    FROM agenda_session s JOIN event e ON e.id = s.event
    LEFT JOIN agenda_room r ON r.id = s.room LEFT JOIN agenda_track t ON t.id = s.track
"""


def _session_out(row: dict) -> dict:
    tzid = row["timezone"]
    capacity = effective_capacity(row["capacity"], row["room_capacity"])
    left = seats_left(capacity, row["booked_count"]) if row["requires_booking"] else None
    people = row["people"] if isinstance(row["people"], list) else json.loads(row["people"])
    return {
        "id": row["id"],
        "event_id": row["event"],
        "guid": str(row["guid"]),
        "calendar_uid": str(row["calendar_uid"]),
        "calendar_sequence": row["calendar_sequence"],
        "title": row["title"],
        "kind": row["kind"],
        "abstract": row["abstract"],
        "starts_at": in_zone(row["starts_at"], tzid),
        "ends_at": in_zone(row["ends_at"], tzid),
        "room": {"id": row["room"], "name": row["room_name"]} if row["room"] else None,
        "track": (
            {"id": row["track"], "name": row["track_name"], "slug": row["track_slug"], "color": row["track_color"]}
            if row["track"]
            else None
        ),
        "language": row["language"],
        "online_url": row["online_url"],
        "status": row["status"],
        "requires_booking": row["requires_booking"],
        "capacity": capacity,
        "booked_count": row["booked_count"],
        "seats_left": left,
        "waitlisted_count": row["waiting"],
        "people": [
            {"person_id": p["person_id"], "name": p["name"], "role": p["role"], "organization": p["organization"]}
            for p in people
        ],
        "updated_at": row["updated_at"],
    }


async def get_session(event_id: int, session_id: int, account: CurrentAccount | None = None) -> dict:
    """One session with its live seats; drafts only for organizers."""
    row = await sql.fetchrow(_SESSION_SELECT + " WHERE s.id = $1 AND s.event = $2", session_id, event_id)
    if row is None:
        raise NotFound("session")
    event = await event_row(event_id)
    if row["status"] == "draft" or event["status"] != "published":
        if account is None:
            raise NotFound("session")
        await require_organizer(account, event_id)
    return _session_out(dict(row))


async def list_sessions(account: CurrentAccount, event_id: int, status: str | None = None) -> list[dict]:
    """Every session of the event for its organizers, drafts and cancelled ones included."""
    await require_organizer(account, event_id)
    rows = await sql.fetch(
        _SESSION_SELECT + " WHERE s.event = $1 AND ($2::text IS NULL OR s.status = $2) ORDER BY s.starts_at, s.id",
        event_id,
        status,
    )
    return [_session_out(dict(r)) for r in rows]


async def availability(event_id: int) -> list[dict]:
    """Live seats of the sessions that need booking (the cached public agenda leaves them out)."""
    await _visible(event_id, None)
    rows = await sql.fetch(
        """SELECT s.id, s.capacity, r.capacity AS room_capacity, s.booked_count,
                  (SELECT count(*) FROM agenda_booking b WHERE b.session = s.id AND b.status = 'waitlisted')
                      AS waiting
           FROM agenda_session s LEFT JOIN agenda_room r ON r.id = s.room
           WHERE s.event = $1 AND s.status = 'published' AND s.requires_booking ORDER BY s.starts_at, s.id""",
        event_id,
    )
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
    rows = await sql.fetch(
        """SELECT s.id, s.title, s.starts_at, s.ends_at, s.room, s.status,
                  coalesce(array_agg(sp.person) FILTER (WHERE sp.person IS NOT NULL), '{}') AS persons
           FROM agenda_session s LEFT JOIN agenda_session_person sp ON sp.session = s.id
           WHERE s.event = $1 AND s.status <> 'cancelled' GROUP BY s.id""",
        event_id,
    )
    slots = {
        r["id"]: Slot(
            r["id"], r["title"], r["starts_at"], r["ends_at"], r["room"], frozenset(r["persons"]), r["status"]
        )
        for r in rows
    }
    found = all_conflicts(slots.values(), event["starts_at"], event["ends_at"])
    return _conflict_out(found, slots, event["timezone"])


_CHANGE_SELECT = """SELECT c.id, c.session AS session_id, s.title AS session_title, c.action, c.changes,
                         c.calendar_sequence, c.account AS account_id, c.actor, c.created_at
                  FROM agenda_change c LEFT JOIN agenda_session s ON s.id = c.session"""


def _change_out(row) -> dict:
    return {**dict(row), "changes": json.loads(row["changes"]) if isinstance(row["changes"], str) else row["changes"]}


async def list_changes(account: CurrentAccount, event_id: int, after_id: int = 0, limit: int = 500) -> list[dict]:
    """The change log, oldest first; `after_id` pages through it (and lets a reader resume)."""
    await require_organizer(account, event_id)
    rows = await sql.fetch(
        _CHANGE_SELECT + " WHERE c.event = $1 AND c.id > $2 ORDER BY c.id LIMIT $3",
        event_id,
        after_id,
        max(0, min(limit, 5000)),
    )
    return [_change_out(r) for r in rows]


async def recent_changes(
    account: CurrentAccount, event_id: int, before_id: int | None = None, limit: int = 100
) -> list[dict]:
    """The change log newest first, for people reading it; `before_id` (the smallest id shown) pages back."""
    await require_organizer(account, event_id)
    if before_id is not None:
        before_id = max(0, min(before_id, 2**63 - 1))
    rows = await sql.fetch(
        _CHANGE_SELECT + " WHERE c.event = $1 AND ($2::bigint IS NULL OR c.id < $2) ORDER BY c.id DESC LIMIT $3",
        event_id,
        before_id,
        max(1, min(limit, 500)),
    )
    return [_change_out(r) for r in rows]


async def affected_people(session_id: int) -> list[dict]:
    """Who must hear about a change of this session: its bookers (booked or waiting, confirmed registrations)
    and the people in roles. One entry per person, with every reason; for the notifications service."""
    rows = await sql.fetch(
        """SELECT p.id AS person_id, p.email, p.name, p.language, b.registration AS registration_id,
                  b.status AS reason
           FROM agenda_booking b JOIN registration r ON r.id = b.registration JOIN person p ON p.id = r.person
           WHERE b.session = $1 AND b.status IN ('booked', 'waitlisted') AND r.status = 'confirmed'
           UNION ALL
           SELECT p.id, p.email, coalesce(sp.display_name, p.name), p.language, NULL, sp.role
           FROM agenda_session_person sp JOIN person p ON p.id = sp.person WHERE sp.session = $1
           ORDER BY 1""",
        session_id,
    )
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
    if not await sql.fetchval("SELECT 1 FROM agenda_session WHERE id = $1 AND event = $2", session_id, event_id):
        raise NotFound("session")
    affected = await affected_people(session_id)
    visible = await visible_people(account, [p["person_id"] for p in affected])
    out = [p for p in affected if p["person_id"] in visible]
    # People linked by email or by a schedule file are told too: shown with the name given for the role and
    # nothing stored about them (not even the address, which a schedule file does not carry).
    named = await sql.fetch(
        "SELECT person, display_name, role FROM agenda_session_person WHERE session = $1"
        " AND display_name IS NOT NULL ORDER BY person",
        session_id,
    )
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
