"""Importing a frab schedule (schedule.xml or schedule.json from pretalx, frab or our own export).

Sessions are keyed on their guid within the event: re-importing updates them in place (a moved session keeps its
identity and calendar UID, and its SEQUENCE grows), new guids are created, sessions missing from the file are left
as they are. Rooms and tracks are matched by name, people by their guid. One transaction: a file is imported whole
or not at all. The file may bring conflicts; they are imported and listed by GET /api/events/{id}/conflicts.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.agenda import (
    LANGUAGE_RE,
    all_conflicts,
    calendar_changed,
    change_action,
    changes_between,
    slugify,
    validate_session,
)
from events_app.domain.errors import FieldError, InvalidInput
from events_app.domain.schedule import Schedule, ScheduleFormatError, ScheduleSession, parse
from events_app.domain.sequence import next_sequence
from events_app.services.agenda import agenda, agenda_cache, agenda_publish, invite_state
from events_app.services.agenda.agenda import event_row, lock_agenda
from events_app.services.agenda.rows import EventRow
from events_app.services.exchange.rows import ROWS, SessionRow
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.people.people import link_or_create_people

IMPORTED_FIELDS = (
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
)
ACTOR = "schedule import"
TRACK_COLORS = ("#2e7d32", "#1565c0", "#c62828", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037", "#ad1457")
Q = queries.load(__file__, rows=ROWS)


def _language(value: str) -> str:
    value = (value or "").strip()
    if LANGUAGE_RE.match(value):
        return value
    head = value.lower()[:2]
    return head if len(head) == 2 and head.isalpha() else "en"


def _read(data: bytes, content_type: str) -> Schedule:
    try:
        schedule = parse(data, content_type)
    except ScheduleFormatError as exc:
        raise InvalidInput(
            [FieldError(where, what) for where, what in exc.problems], detail="the schedule cannot be read: " + str(exc)
        ) from None
    errors = []
    for s in schedule.sessions:
        s.room = s.room.strip()[:200] or "Unassigned"
        fields = {
            "title": s.title,
            "kind": s.kind,
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "language": _language(s.language),
            "online_url": s.online_url,
            "status": "published",
        }
        errors += [
            FieldError(f"session guid={s.guid} ({s.title[:60]!r}).{e.field}", e.message)
            for e in validate_session(fields)
        ]
    if errors:
        raise InvalidInput(
            errors[:20],
            detail="the schedule has sessions that cannot be imported: "
            + "; ".join(f"{e.field}: {e.message}" for e in errors[:5]),
        )
    return schedule


async def import_schedule(account: CurrentAccount, event_id: int, data: bytes, content_type: str = "") -> dict:
    """Import or re-import a schedule into the event. Answers what was created, updated and left unchanged."""
    await require_organizer(account, event_id)
    schedule = _read(data, content_type)
    counts = {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "not_in_file": 0,
        "duplicates_skipped": 0,
        "rooms_created": 0,
        "tracks_created": 0,
        "people_created": 0,
    }
    async with DB.transaction():
        await lock_agenda(event_id)
        event = await event_row(event_id)
        calendar_before = await invite_state.watch(event_id, lock=False)
        rooms = await _rooms(event_id, schedule, counts)
        tracks = await _tracks(event_id, schedule, counts)
        people = await _people(schedule, counts)
        shown = await _shown_as(schedule, people)
        sessions: dict[str, ScheduleSession] = {}
        for s in schedule.sessions:
            if s.guid in sessions:
                counts["duplicates_skipped"] += 1
            else:
                sessions[s.guid] = s
        existing: dict[str, SessionRow] = {
            str(r.guid): r for r in await Q.sessions_of_event_for_update(event_id=event_id)
        }
        links = await _links(event_id)
        counts["not_in_file"] = len(set(existing) - set(sessions))
        new, changed, logs = [], [], []
        for guid, s in sessions.items():
            after = {
                "title": s.title,
                "kind": s.kind,
                "abstract": s.abstract,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "room_id": rooms[s.room],
                "track_id": tracks.get(s.track),
                "language": _language(s.language),
                "online_url": s.online_url,
                "status": "published",
            }
            row = existing.get(guid)
            if row is None:
                new.append((s, after))
                continue
            before = row.fields()
            after["status"] = before["status"]  # a file does not revive a cancelled session nor publish a draft
            old_people = links.get(before["id"], [])
            roles = {pid: role for pid, role in old_people}
            new_people = _one_role_each(
                [(people[p.guid], p.role or roles.get(people[p.guid], "speaker")) for p in s.persons]
            )
            diff = changes_between(before, after, IMPORTED_FIELDS)
            if old_people != new_people:
                diff["people"] = {"from": [list(x) for x in old_people], "to": [list(x) for x in new_people]}
            if not diff:
                counts["unchanged"] += 1
                continue
            sequence = next_sequence(before["calendar_sequence"], calendar_changed(before, after))
            changed.append((before["id"], after, sequence, new_people if "people" in diff else None))
            logs.append((before["id"], change_action(before, after), diff, sequence))
        counts["created"], counts["updated"] = len(new), len(changed)
        if changed:
            await Q.update_imported_session.many(
                [
                    {
                        "session_id": sid,
                        "title": a["title"],
                        "kind": a["kind"],
                        "abstract": a["abstract"],
                        "starts_at": a["starts_at"],
                        "ends_at": a["ends_at"],
                        "room_id": a["room_id"],
                        "track_id": a["track_id"],
                        "language": a["language"],
                        "online_url": a["online_url"],
                        "status": a["status"],
                        "calendar_sequence": seq,
                    }
                    for sid, a, seq, _ in changed
                ]
            )
            relinked = [sid for sid, _, _, p in changed if p is not None]
            await Q.remove_people_of_sessions(session_ids=relinked)
            await _insert_links([(sid, p) for sid, _, _, p in changed if p is not None], shown)
        if new:
            rows = await Q.insert_imported_sessions(
                event_id=event_id,
                guids=[uuid.UUID(s.guid) for s, _ in new],
                kinds=[a["kind"] for _, a in new],
                titles=[a["title"] for _, a in new],
                abstracts=[a["abstract"] for _, a in new],
                starts_ats=[a["starts_at"] for _, a in new],
                ends_ats=[a["ends_at"] for _, a in new],
                room_ids=[a["room_id"] for _, a in new],
                track_ids=[a["track_id"] for _, a in new],
                languages=[a["language"] for _, a in new],
                online_urls=[a["online_url"] for _, a in new],
            )
            ids = {str(r["guid"]): r["id"] for r in rows}
            await _insert_links(
                [
                    (ids[s.guid], _one_role_each([(people[p.guid], p.role or "speaker") for p in s.persons]))
                    for s, _ in new
                ],
                shown,
            )
            logs += [(ids[s.guid], "created", changes_between({}, a, IMPORTED_FIELDS), 0) for s, a in new]
        if logs:
            await agenda.log_changes(
                [
                    {
                        "event_id": event_id,
                        "session_id": sid,
                        "action": action,
                        "changes": diff,
                        "calendar_sequence": seq,
                        "account_id": account.id,
                        "actor": f"{ACTOR} by {account.email}",
                    }
                    for sid, action, diff, seq in logs
                ]
            )
        counts["conflicts"] = await _count_conflicts(event_id, event)
        # Whatever the file changed in what invites show (titles, abstracts, people, times, rooms) reaches the
        # sessions' holders as for an edit by hand.
        await invite_state.settle(
            calendar_before, f"{ACTOR} by {account.email}", timedelta(minutes=event.update_delay_minutes)
        )
        if new or changed:  # an import touches many sessions: write their feed pieces now, not on the next read
            await agenda_publish.store_feed_pieces(event_id)
    agenda_cache.forget(event_id)
    return counts


def _one_role_each(people: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """A person listed twice in a session keeps the first role given."""
    seen: dict[int, str] = {}
    for person_id, role in people:
        seen.setdefault(person_id, role)
    return list(seen.items())


async def _rooms(event_id: int, schedule: Schedule, counts: dict) -> dict[str, int]:
    rooms = {r["name"]: r["id"] for r in await Q.room_ids_by_name(event_id=event_id)}
    described = {r.name: r for r in schedule.rooms}
    for name in dict.fromkeys([r.name for r in schedule.rooms] + [s.room for s in schedule.sessions]):
        if name in rooms or not name:
            continue
        info = described.get(name)
        guid = uuid.UUID(info.guid) if info and info.guid else uuid.uuid4()
        if await Q.room_guid_taken(guid=guid):
            guid = uuid.uuid4()  # the same file imported into another event: rooms are that event's own
        rooms[name] = await agenda.insert_room(
            event_id, name[:200], info.capacity if info else None, (info.description if info else "") or "", guid
        )
        counts["rooms_created"] += 1
    return rooms


async def _tracks(event_id: int, schedule: Schedule, counts: dict) -> dict[str | None, int]:
    rows = await Q.track_ids_by_name(event_id=event_id)
    tracks: dict[str | None, int] = {r["name"]: r["id"] for r in rows}
    slugs = {r["slug"] for r in rows}
    described = {t.name: t for t in schedule.tracks}
    for name in dict.fromkeys([t.name for t in schedule.tracks] + [s.track for s in schedule.sessions if s.track]):
        if name in tracks:
            continue
        info = described.get(name)
        slug = slugify(info.slug if info and info.slug else name)[:60] or "track"
        if not slug[0].isalpha():
            slug = f"t-{slug}"
        base, n = slug, 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        slugs.add(slug)
        color = (info.color or "").lower() if info else ""
        if len(color) != 7 or not color.startswith("#"):
            color = TRACK_COLORS[len(tracks) % len(TRACK_COLORS)]
        tracks[name] = await agenda.insert_track(event_id, name[:200], slug, color)
        counts["tracks_created"] += 1
    return tracks


async def _people(schedule: Schedule, counts: dict) -> dict[str, int]:
    """Person ids by guid: people known by that guid, else new people (with an address that cannot receive
    mail until an organizer gives the real one) linked to an organization of the same name if there is one."""
    wanted: dict[str, Any] = {}
    for s in schedule.sessions:
        for p in s.persons:
            wanted.setdefault(p.guid, p)
    if not wanted:
        return {}
    known = {str(r["guid"]): r["person"] for r in await Q.agenda_people_by_guid(guids=[uuid.UUID(g) for g in wanted])}
    missing = [p for g, p in wanted.items() if g not in known]
    if missing:
        organizations = {
            r["name"].lower(): r["id"]
            for r in await Q.organizations_by_name(
                lower_names=[p.organization.lower() for p in missing if p.organization]
            )
        }
        # Linked or created, never changed (services.people.people's merge policy): an existing person keeps their name.
        by_email = await link_or_create_people(
            [f"{p.guid}@speakers.invalid" for p in missing],
            [p.name[:200] for p in missing],
            [organizations.get(p.organization.lower()) for p in missing],
        )
        await agenda.ensure_agenda_people(
            [by_email[f"{p.guid}@speakers.invalid"] for p in missing], [uuid.UUID(p.guid) for p in missing]
        )
        for p in missing:
            known[p.guid] = by_email[f"{p.guid}@speakers.invalid"]
        counts["people_created"] = len(missing)
    return known


async def _links(event_id: int) -> dict[int, list[tuple[int, str]]]:
    rows = await Q.session_links_of_event(event_id=event_id)
    links: dict[int, list[tuple[int, str]]] = {}
    for r in rows:
        links.setdefault(r["session"], []).append((r["person"], r["role"]))
    return links


async def _shown_as(schedule: Schedule, people: dict[str, int]) -> dict[int, tuple[str, int | None]]:
    """Per person, the name and organization (matched by name) the file gives them. They are kept on the role
    rows the import writes, as an organizer adding a speaker by email does: a file names people, it does not
    change them, and linking someone through a file shows the organizer nothing stored about them."""
    first: dict[str, Any] = {}
    for s in schedule.sessions:
        for p in s.persons:
            first.setdefault(p.guid, p)
    names = sorted({p.organization.lower() for p in first.values() if p.organization})
    organizations = (
        {r["name"].lower(): r["id"] for r in await Q.organizations_by_name(lower_names=names)} if names else {}
    )
    return {
        people[g]: (p.name[:200], organizations.get((p.organization or "").lower()))
        for g, p in first.items()
        if g in people
    }


async def _insert_links(
    entries: list[tuple[int, list[tuple[int, str]]]], shown: dict[int, tuple[str, int | None]]
) -> None:
    sessions, persons, roles, positions = [], [], [], []
    for session_id, people in entries:
        seen = set()
        for position, (person_id, role) in enumerate(people):
            if person_id in seen:
                continue
            seen.add(person_id)
            sessions.append(session_id)
            persons.append(person_id)
            roles.append(role)
            positions.append(position)
    if sessions:
        await Q.add_session_people(
            session_ids=sessions,
            person_ids=persons,
            roles=roles,
            positions=positions,
            display_names=[shown.get(p, (None, None))[0] for p in persons],
            organization_ids=[shown.get(p, (None, None))[1] for p in persons],
        )


async def _count_conflicts(event_id: int, event: EventRow) -> int:
    slots = await agenda.event_slots(event_id)
    return len(all_conflicts(slots, event.starts_at, event.ends_at))
