"""Importing a frab schedule (schedule.xml or schedule.json from pretalx, frab, FOSDEM's pentabarf or our own export).

Sessions are keyed on their guid within the event (a file without guids: on its numeric ids): re-importing updates
them in place (a moved session keeps its identity and calendar UID, its SEQUENCE grows, and its holders get one
update through the calendar rules), new guids are created. Sessions missing from the file are listed, and kept or
cancelled (holders get a CANCEL) as the organizer asks. Rooms and tracks are matched by name.

People: a person guid in the file means that person everywhere; a numeric id, code or name means something only in
this event's files (scoped by the event's source), so two files never share people through their ids. What a file
says about a person (name, biography, ids) is kept per event and shown on the agenda; a person's own profile is not
changed by a file (DESIGN.md "Trust"), except the name of a placeholder person that only files created.

Everything a file carries beyond the agenda's columns (type as given, languages, texts as given and sanitised,
links, attachments, recording, slugs, source ids, conference acronym and day change, room guids) is kept in the
exchange_* tables, so an export reproduces the original. One transaction: a file is imported whole or not at all;
a dry run answers the same and writes nothing. A file that changes nothing changes nothing: not the agenda version,
not an ETag, not a SEQUENCE.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import time, timedelta
from typing import Any

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.agenda import (
    all_conflicts,
    calendar_changed,
    change_action,
    changes_between,
    slugify,
    validate_session,
)
from events_app.domain.errors import FieldError, InvalidInput
from events_app.domain.schedule import Schedule, ScheduleFormatError, ScheduleSession, fit_day_change, parse
from events_app.domain.sequence import next_sequence
from events_app.domain.vocab import RemovedSessions
from events_app.jobs import kick_outbox
from events_app.services.agenda import agenda, agenda_cache, agenda_publish, invite_state
from events_app.services.agenda.agenda import event_row
from events_app.services.agenda.rows import EventRow
from events_app.services.exchange.rows import ROWS, SessionRow
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.people.people import link_or_create_people
from events_app.services.registration.agenda_bookings import bookers_now_clashing

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
UNDETERMINED_LANGUAGE = "und"  # ISO 639-2 "undetermined": a file that names no language gets none invented
ACTOR = "schedule import"
TRACK_COLORS = ("#2e7d32", "#1565c0", "#c62828", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037", "#ad1457")
Q = queries.load(__file__, rows=ROWS)


class _DryRun(Exception):
    """Raised inside the import's transaction to roll it back and answer what would have happened."""

    def __init__(self, answer: dict):
        super().__init__("dry run")
        self.answer = answer


def _read(data: bytes, content_type: str, default_tzid: str) -> Schedule:
    try:
        schedule = parse(data, content_type, default_tzid)
    except ScheduleFormatError as exc:
        raise InvalidInput(
            [FieldError(where, what) for where, what in exc.problems], detail="the schedule cannot be read: " + str(exc)
        ) from None
    if schedule.tzid != default_tzid:
        # The agenda turns its days in the event's zone: the file's days turn at the same instants, whatever the
        # clock there says (a file in UTC whose days turn at 03:00 turns them at 04:00 in Berlin).
        schedule.day_change = fit_day_change(schedule, default_tzid)
    # Names as the agenda keeps them (at most 200 characters), in the lists and in the sessions alike: a longer
    # room or track name must find its room or track again, not create another (or break on the unique name).
    for room in schedule.rooms:
        room.name = room.name.strip()[:200]
    for track in schedule.tracks:
        track.name = track.name.strip()[:200]
    errors = []
    for s in schedule.sessions:
        s.room = s.room.strip()[:200] or "Unassigned"
        s.track = (s.track or "").strip()[:200] or None
        fields = {
            "title": s.title,
            "kind": s.kind,
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "language": s.language or UNDETERMINED_LANGUAGE,
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


def _extras(s: ScheduleSession) -> dict[str, Any]:
    """What the file says about a session beyond the agenda's columns (exchange_session.data)."""
    return {
        "id": s.id or None,
        "code": s.code,
        "slug": s.slug,
        "url": s.url,
        "type": s.type,
        "languages": s.languages,
        "subtitle": s.subtitle,
        "abstract": s.abstract_source,
        "description": s.description,
        "links": [asdict(x) for x in s.links],
        "attachments": [asdict(x) for x in s.attachments],
        "do_not_record": s.do_not_record,
        "recording_license": s.recording_license,
        "logo": s.logo,
    }


def _source_data(schedule: Schedule) -> dict[str, Any]:
    return {
        "title": schedule.title,
        "acronym": schedule.acronym,
        "url": schedule.url,
        "time_zone_name": schedule.tzid if schedule.tz_given else None,
        "start": schedule.start.isoformat(),
        "end": schedule.end.isoformat(),
        "version": schedule.version,
        "subtitle": schedule.subtitle,
        "venue": schedule.venue,
        "city": schedule.city,
        "base_url": schedule.base_url,
        "timeslot_duration": schedule.timeslot_duration,
        "days": [d.isoformat() for d in schedule.days],
    }


async def import_schedule(
    account: CurrentAccount,
    event_id: int,
    data: bytes,
    content_type: str = "",
    removed: str = "keep",
    dry_run: bool = False,
    day_change: str | None = None,
) -> dict:
    """Import or re-import a schedule into the event. Answers what was (or, in a dry run, would be) created,
    updated, unchanged and removed, session by session, and `warnings`: what the file says that it was read in
    spite of and its organizer should check, where and what, as problems are (a session's start that disagrees
    with the date-time it is imported at), and `bookers_now_clashing`: how many delegates with a place on a
    published session the file moves in time then hold a place on another session at an overlapping time (their
    places stay, as after a move by hand). `removed`: 'keep' leaves sessions missing from the file
    as they are, 'cancel' cancels them (their holders get a CANCEL through the session-cancel path).
    `day_change`: the organizer's own 'HH:MM' at which conference days turn (kept over the files' until changed;
    '' goes back to the file's; None leaves it as it is)."""
    await require_organizer(account, event_id)
    if removed not in tuple(RemovedSessions):
        raise InvalidInput([FieldError("removed", "use 'keep' or 'cancel' for sessions missing from the file")])
    organizer_day_change = _organizer_day_change(day_change)
    event = await event_row(event_id)
    schedule = _read(data, content_type, event.timezone)
    warnings = [{"field": where, "message": what} for where, what in schedule.warnings]
    try:
        async with DB.transaction():
            answer = await _apply(account, event_id, schedule, removed, organizer_day_change)
            if dry_run:
                raise _DryRun(answer)
    except _DryRun as done:
        return {**done.answer, "warnings": warnings, "dry_run": True}
    agenda_cache.forget(event_id)
    if answer["updated"] or answer["removed_cancelled"]:
        await kick_outbox()
    return {**answer, "warnings": warnings, "dry_run": False}


def _organizer_day_change(value: str | None) -> time | None | bool:
    """None: keep the organizer's setting; False: clear it (the file's counts); else the time given."""
    if value is None:
        return None
    if not value.strip():
        return False
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            [FieldError("day_change", "give the time conference days turn as HH:MM, e.g. 06:00, or leave it empty")]
        ) from None


async def _apply(
    account: CurrentAccount, event_id: int, schedule: Schedule, removed: str, organizer_day_change: time | None | bool
) -> dict:
    counts: dict[str, Any] = {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "not_in_file": 0,
        "removed_cancelled": 0,
        "duplicates_skipped": 0,
        "rooms_created": 0,
        "tracks_created": 0,
        "people_created": 0,
        "people_updated": 0,
        "kept_cancelled": 0,
        "bookers_now_clashing": 0,
    }
    await Q.hold_agenda(event_id=event_id)  # the agenda lock, without growing the version
    event = await event_row(event_id)
    calendar_before = await invite_state.watch(event_id, lock=False)  # what every invite shows before the file
    touched = await _save_source(event_id, schedule, organizer_day_change)
    scope = (await Q.source_of_event(event_id=event_id))["scope"]
    rooms, rooms_touched = await _rooms(event_id, schedule, counts)
    tracks = await _tracks(event_id, schedule, counts)
    people, people_touched = await _people(event_id, scope, schedule, counts)
    touched = touched or rooms_touched or people_touched or bool(counts["tracks_created"])
    shown = await _shown_as(schedule, people)
    sessions: dict[str, ScheduleSession] = {}
    for s in schedule.sessions:
        if s.guid in sessions:
            counts["duplicates_skipped"] += 1
        else:
            sessions[s.guid] = s
    existing: dict[str, SessionRow] = {str(r.guid): r for r in await Q.sessions_of_event_for_update(event_id=event_id)}
    stored_extras = {r["session"]: r["data"] for r in await Q.session_sources_of_event(event_id=event_id)}
    links = await _links(event_id)
    outcome: list[dict[str, Any]] = []
    new, changed, logs, extras_changed, moved = [], [], [], [], []
    for guid, s in sessions.items():
        after = {
            "title": s.title,
            "kind": s.kind,
            "abstract": s.abstract,
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "room_id": rooms[s.room],
            "track_id": tracks.get(s.track),
            "language": s.language or UNDETERMINED_LANGUAGE,
            "online_url": s.online_url,
            "status": "published",
        }
        row = existing.get(guid)
        if row is None:
            new.append((s, after))
            outcome.append({"guid": guid, "title": s.title, "result": "created"})
            continue
        before = row.fields()
        after["status"] = before["status"]  # a file does not revive a cancelled session nor publish a draft
        old_people = links.get(before["id"], [])
        roles = {pid: role for pid, role, _ in old_people}
        new_people = _one_role_each(
            [(people[p.key], p.role or roles.get(people[p.key], "speaker"), shown[people[p.key]][0]) for p in s.persons]
        )
        diff: dict[str, Any] = changes_between(before, after, IMPORTED_FIELDS)
        if old_people != new_people:
            diff["people"] = {"from": [list(x) for x in old_people], "to": [list(x) for x in new_people]}
        extras = _extras(s)
        if stored_extras.get(before["id"]) != extras:
            extras_changed.append((before["id"], extras))
            if stored_extras.get(before["id"]) is not None:
                diff["source"] = sorted(k for k in extras if stored_extras[before["id"]].get(k) != extras[k])
        # In the file but cancelled here (by an organizer, or by an earlier file that left it out): it stays
        # cancelled, and the answer says so, since the event's programme then is not the file's.
        stays_cancelled = before["status"] == "cancelled"
        counts["kept_cancelled"] += stays_cancelled
        if not diff:
            counts["unchanged"] += 1
            outcome.append({"guid": guid, "title": s.title, "result": "unchanged", "stays_cancelled": stays_cancelled})
            continue
        sequence = next_sequence(before["calendar_sequence"], calendar_changed(before, after))
        changed.append((before["id"], after, sequence, new_people if "people" in diff else None))
        if after["status"] == "published" and ("starts_at" in diff or "ends_at" in diff):
            moved.append(before["id"])
        logs.append((before["id"], change_action(before, after), diff, sequence))
        outcome.append({"guid": guid, "title": s.title, "result": "updated", "stays_cancelled": stays_cancelled})
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
                (
                    ids[s.guid],
                    _one_role_each([(people[p.key], p.role or "speaker", shown[people[p.key]][0]) for p in s.persons]),
                )
                for s, _ in new
            ],
            shown,
        )
        extras_changed += [(ids[s.guid], _extras(s)) for s, _ in new]
        logs += [(ids[s.guid], "created", changes_between({}, a, IMPORTED_FIELDS), 0) for s, a in new]
    if extras_changed:
        await Q.save_session_sources(
            session_ids=[sid for sid, _ in extras_changed], data=[x for _, x in extras_changed]
        )
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
    # Whatever the file changed in what invites show (times, rooms, titles, abstracts, people) reaches the sessions'
    # holders as for an edit by hand: one update per object after the event's window.
    await invite_state.settle(
        calendar_before, f"{ACTOR} by {account.email}", timedelta(minutes=event.update_delay_minutes)
    )
    counts["removed"] = await _removed(account, event_id, existing, sessions, removed)
    counts["not_in_file"] = len(counts["removed"])
    counts["removed_cancelled"] = sum(1 for r in counts["removed"] if r["action"] == "cancelled")
    counts["bookers_now_clashing"] = await bookers_now_clashing(moved)
    counts["sessions"] = outcome
    counts["conflicts"] = await _count_conflicts(event_id, event)
    if touched or new or changed or extras_changed or counts["removed_cancelled"]:
        await agenda.lock_agenda(event_id)  # grows the version and tells cache holders at commit
        await agenda_publish.store_feed_pieces(event_id)  # an import touches many sessions: write them now
    return counts


async def _removed(
    account: CurrentAccount,
    event_id: int,
    existing: dict[str, SessionRow],
    sessions: dict[str, ScheduleSession],
    removed: str,
) -> list[dict[str, Any]]:
    """Sessions of the event absent from the file, each kept or cancelled (through the agenda's session-cancel
    path: SEQUENCE grown, the change logged, a CANCEL to everyone holding the session's invite)."""
    answer = []
    for guid, row in sorted(existing.items(), key=lambda x: (x[1].starts_at, x[1].id)):
        if guid in sessions:
            continue
        action = "kept"
        if removed == "cancel" and row.status != "cancelled":
            await agenda.cancel_session(account, event_id, row.id)
            action = "cancelled"
        elif row.status == "cancelled":
            action = "already cancelled"
        answer.append({"id": row.id, "guid": guid, "title": row.title, "status": row.status, "action": action})
    return answer


def _one_role_each(people: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """A person listed twice in a session keeps the first role given."""
    seen: dict[int, tuple[int, str, str]] = {}
    for entry in people:
        seen.setdefault(entry[0], entry)
    return list(seen.values())


async def _save_source(event_id: int, schedule: Schedule, organizer_day_change: time | None | bool) -> bool:
    """Record what the file says about the conference (and the organizer's day change); whether that changed
    anything."""
    before = await Q.source_of_event(event_id=event_id)
    data = _source_data(schedule)
    own = before["organizer_day_change"] if before is not None else None
    if organizer_day_change is False:
        own = None
    elif organizer_day_change is not None:
        own = organizer_day_change
    if before is not None and (before["data"], before["day_change"], before["organizer_day_change"]) == (
        data,
        schedule.day_change,
        own,
    ):
        return False
    await Q.save_source(event_id=event_id, day_change=schedule.day_change, organizer_day_change=own, data=data)
    return True


async def _rooms(event_id: int, schedule: Schedule, counts: dict) -> tuple[dict[str, int], bool]:
    rooms = {r["name"]: r["id"] for r in await Q.room_ids_by_name(event_id=event_id)}
    source_guids = {r["room"]: str(r["source_guid"]) for r in await Q.room_source_guids(event_id=event_id)}
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
    given = [(rooms[r.name], r.guid) for r in schedule.rooms if r.guid and r.name in rooms]
    changed = [(room_id, guid) for room_id, guid in given if source_guids.get(room_id) != guid]
    if changed:  # the file's own room guids are exported, whatever guid the room got here
        await Q.save_room_source_guids(room_ids=[r for r, _ in changed], guids=[uuid.UUID(g) for _, g in changed])
    return rooms, bool(changed)


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


def _person_data(p: Any) -> dict[str, Any]:
    return {
        "name": p.name[:200],
        "biography": p.biography,
        "id": p.id,
        "code": p.code,
        "guid": p.source_guid,
        "organization": p.organization,
    }


async def _people(event_id: int, scope: uuid.UUID, schedule: Schedule, counts: dict) -> tuple[dict[str, int], bool]:
    """Person ids by source key. A file's person guid finds that person anywhere; any other key (numeric id, code,
    name) only this event's people from its earlier files. Others are created (an address that cannot receive
    mail until an organizer gives the real one), linked to an organization of the same name if there is one.
    What the file says about each is recorded per event; whether that changed anything."""
    wanted: dict[str, Any] = {}
    for s in schedule.sessions:
        for p in s.persons:
            if p.key not in wanted:
                wanted[p.key] = p
            elif not wanted[p.key].biography and p.biography:
                wanted[p.key].biography = p.biography
    if not wanted:
        return {}, False
    recorded = {r["source_key"]: (r["person"], r["data"]) for r in await Q.source_people_of_event(event_id=event_id)}
    guids = {p.source_guid for p in wanted.values() if p.source_guid}
    by_guid = (
        {str(r["guid"]): r["person"] for r in await Q.agenda_people_by_guid(guids=[uuid.UUID(g) for g in guids])}
        if guids
        else {}
    )
    known: dict[str, int] = {}
    for key, p in wanted.items():
        if p.source_guid and p.source_guid in by_guid:
            known[key] = by_guid[p.source_guid]
        elif key in recorded:
            known[key] = recorded[key][0]
    for p in wanted.values():  # the guid exported for people the file gives none: theirs in this event only
        if not p.source_guid:
            p.guid = str(uuid.uuid5(scope, p.key))
    missing = [p for k, p in wanted.items() if k not in known]
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
            known[p.key] = by_email[f"{p.guid}@speakers.invalid"]
        counts["people_created"] = len(missing)
    updates = [
        (key, known[key], _person_data(p))
        for key, p in wanted.items()
        if recorded.get(key) != (known[key], _person_data(p))
    ]
    if updates:
        await Q.save_source_people(
            event_id=event_id,
            keys=[k for k, _, _ in updates],
            person_ids=[pid for _, pid, _ in updates],
            data=[d for _, _, d in updates],
        )
        renamed = [(pid, d["name"]) for k, pid, d in updates if k in recorded and recorded[k][1]["name"] != d["name"]]
        if renamed:
            await Q.rename_import_placeholders(person_ids=[p for p, _ in renamed], names=[n for _, n in renamed])
        counts["people_updated"] = sum(1 for k, _, _ in updates if k in recorded)
    return known, bool(updates)


async def _links(event_id: int) -> dict[int, list[tuple[int, str, str]]]:
    rows = await Q.session_people_shown(event_id=event_id)
    links: dict[int, list[tuple[int, str, str]]] = {}
    for r in rows:
        links.setdefault(r["session"], []).append((r["person"], r["role"], r["display_name"]))
    return links


async def _shown_as(schedule: Schedule, people: dict[str, int]) -> dict[int, tuple[str, int | None]]:
    """Per person, the name and organization (matched by name) the file gives them. They are kept on the role
    rows the import writes, as an organizer adding a speaker by email does: a file names people, it does not
    change them, and linking someone through a file shows the organizer nothing stored about them."""
    first: dict[str, Any] = {}
    for s in schedule.sessions:
        for p in s.persons:
            first.setdefault(p.key, p)
    names = sorted({p.organization.lower() for p in first.values() if p.organization})
    organizations = (
        {r["name"].lower(): r["id"] for r in await Q.organizations_by_name(lower_names=names)} if names else {}
    )
    return {
        people[k]: (p.name[:200], organizations.get((p.organization or "").lower()))
        for k, p in first.items()
        if k in people
    }


async def _insert_links(
    entries: list[tuple[int, list[tuple[int, str, str]]]], shown: dict[int, tuple[str, int | None]]
) -> None:
    sessions, persons, roles, positions, names = [], [], [], [], []
    for session_id, people in entries:
        seen = set()
        for position, (person_id, role, name) in enumerate(people):
            if person_id in seen:
                continue
            seen.add(person_id)
            sessions.append(session_id)
            persons.append(person_id)
            roles.append(role)
            positions.append(position)
            names.append(name)
    if sessions:
        await Q.add_session_people(
            session_ids=sessions,
            person_ids=persons,
            roles=roles,
            positions=positions,
            display_names=names,
            organization_ids=[shown.get(p, (None, None))[1] for p in persons],
        )


async def _count_conflicts(event_id: int, event: EventRow) -> int:
    slots = await agenda.event_slots(event_id)
    return len(all_conflicts(slots, event.starts_at, event.ends_at))
