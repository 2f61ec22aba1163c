"""What the public and delegates read: the agenda JSON, calendar feeds, schedule.xml/json and CSV.

Public views are built once per change of the agenda and served as cached bytes with a strong ETag (see
agenda_cache). Feed pieces (one VEVENT per session) are stored in agenda_feed_piece under a digest of what they were
written from; a build serialises only the sessions whose digest changed (and stores those), so neither a change
nor a restart makes it serialise a whole programme again. Feeds carry each session's last change time as DTSTAMP,
so unchanged data gives byte-identical feeds. The public views hold no personal data beyond the names and
organizations of people in roles.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, time
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from events_app.db import queries
from events_app.domain.agenda import PersonInRole, effective_capacity, session_calendar_item
from events_app.domain.errors import Forbidden, NotFound
from events_app.domain.ical import CalendarItem, feed_from_parts, feed_piece_key, feed_vevent
from events_app.domain.schedule import (
    Schedule,
    ScheduleLink,
    SchedulePerson,
    ScheduleRoom,
    ScheduleSession,
    ScheduleTrack,
    acronym_for,
    build_json,
    build_xml,
    conference_day,
)
from events_app.domain.security import digest
from events_app.domain.spreadsheet import csv_bytes
from events_app.services.agenda import agenda_cache
from events_app.services.agenda.agenda_cache import Rendered
from events_app.services.agenda.rows import ROWS, EventRow
from events_app.services.messaging.notifications import event_item
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.settings import get_settings

ICS = "text/calendar"  # Litestar adds "; charset=utf-8" to text types
JSON = "application/json"
XML = "application/xml; charset=utf-8"
CSV = "text/csv"

log = logging.getLogger(__name__)
Q = queries.load(__file__, rows=ROWS)


@dataclass(frozen=True)
class PublicAgenda:
    """An event's public agenda as loaded at one tag: the source of every public view."""

    event: dict
    version: int
    rooms: list[dict]
    tracks: list[dict]
    sessions: list[dict]  # published and cancelled, by start time
    day_change: time | None = None  # when the conference's days turn (schedule exchange); None: midnight
    source: dict = field(default_factory=dict)  # what its schedule files said about the conference
    session_sources: dict[int, dict] = field(default_factory=dict)  # ... about each session
    person_sources: dict[int, dict] = field(default_factory=dict)  # ... about each person
    room_guids: dict[int, str] = field(default_factory=dict)  # the guids they gave the rooms
    # Parts of pages rendered from this version of the agenda (web.pages: the programme's day for anonymous
    # visitors), kept as long as it is: a change loads a new PublicAgenda, and they go with the old one.
    fragments: dict = field(default_factory=dict, compare=False, repr=False)


# A cancelled event's feeds keep answering, every object in them STATUS:CANCELLED, so subscribed calendars learn
# that its sessions are gone; its other public views (agenda, schedule exports) are gone with it.
FEED_STATUSES = ("published", "cancelled")


async def _load(event_id: int, published_only: bool = True, statuses: tuple[str, ...] = ("published",)) -> PublicAgenda:
    event = await Q.event_by_id(event_id=event_id)
    if event is None or (published_only and event.status not in statuses):
        raise NotFound("event")
    version = await Q.agenda_version(event_id=event_id) or 0
    rooms = [dict(r) for r in await Q.public_rooms(event_id=event_id)]
    tracks = [dict(r) for r in await Q.public_tracks(event_id=event_id)]
    people: dict[int, list[dict]] = {}
    for row in await Q.public_people(event_id=event_id):
        people.setdefault(row["session"], []).append(
            {
                "person_id": row["person_id"],
                "name": row["name"],
                "role": row["role"],
                "organization": row["organization"],
                "guid": row["guid"],
            }
        )
    sessions = [
        {**dict(row), "people": people.get(row["id"], [])} for row in await Q.public_sessions(event_id=event_id)
    ]
    source = await Q.schedule_source(event_id=event_id)
    person_sources: dict[int, dict] = {}
    for row in await Q.schedule_person_sources(event_id=event_id):
        person_sources.setdefault(row["person"], row["data"])
    # what the organizers wrote about a speaker takes the place of what a schedule file said
    for row in await Q.speaker_biographies(event_id=event_id):
        person_sources[row["person"]] = {**person_sources.get(row["person"], {}), "biography": row["biography"]}
    return PublicAgenda(
        event.as_dict(),
        version,
        rooms,
        tracks,
        sessions,
        source["day_change"] if source else None,
        source["data"] if source else {},
        {r["session"]: r["data"] for r in await Q.schedule_session_sources(event_id=event_id)},
        person_sources,
        {r["room"]: str(r["source_guid"]) for r in await Q.schedule_room_guids(event_id=event_id)},
    )


async def day_change_of(event_id: int) -> time | None:
    """When the event's conference days turn (its schedule source's day change); None: at midnight."""
    row = await Q.schedule_source(event_id=event_id)
    return row["day_change"] if row else None


async def public_agenda_data(event_id: int) -> PublicAgenda:
    return await agenda_cache.get(event_id, "data", lambda: _load(event_id))


async def _view(
    event_id: int,
    key: Hashable,
    build: Callable[[PublicAgenda], Awaitable[Rendered]],
    account: CurrentAccount | None,
    statuses: tuple[str, ...] = ("published",),
) -> Rendered:
    """A public view: cached for an event in one of `statuses` (published; feeds also cancelled); for a draft, built
    fresh for its organizers only (preview before publishing), and 404 for anyone else, as if it did not exist."""
    if account is not None:
        event = await Q.event_by_id(event_id=event_id)
        if event is not None and event.status not in statuses:
            try:
                await require_organizer(account, event_id)
            except Forbidden:
                raise NotFound("event") from None
            return await build(await _load(event_id, published_only=False))

    async def cached() -> Rendered:
        if statuses == FEED_STATUSES:
            data = await agenda_cache.get(event_id, "feed-data", lambda: _load(event_id, statuses=FEED_STATUSES))
        else:
            data = await public_agenda_data(event_id)
        return await build(data)

    return await agenda_cache.get(event_id, key, cached)


# --------------------------------------------------------------------------- agenda JSON


@dataclass(frozen=True)
class AgendaFilter:
    day: date | None = None
    track: str | None = None  # slug
    room: int | None = None
    kind: str | None = None
    person: int | None = None


def _session_json(
    s: dict, event: dict, rooms: dict, tracks: dict, base_url: str, day_change: time | None = None
) -> dict:
    zone = ZoneInfo(event["timezone"])
    start, end = s["starts_at"].astimezone(zone), s["ends_at"].astimezone(zone)
    room, track = rooms.get(s["room"]), tracks.get(s["track"])
    return {
        "id": s["id"],
        "guid": str(s["guid"]),
        "calendar_uid": str(s["calendar_uid"]),
        "calendar_sequence": s["calendar_sequence"],
        "title": s["title"],
        "kind": s["kind"],
        "status": s["status"],
        "day": conference_day(s["starts_at"], zone, day_change).isoformat(),
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
        "room": {"id": room["id"], "name": room["name"]} if room else None,
        "track": {"slug": track["slug"], "name": track["name"], "color": track["color"]} if track else None,
        "language": s["language"],
        "online_url": s["online_url"],
        "abstract": s["abstract"],
        "people": [
            {
                "person_id": p["person_id"],
                "name": p["name"],
                "organization": p["organization"] or None,
                "role": p["role"],
            }
            for p in s["people"]
        ],
        "requires_booking": s["requires_booking"],
        "capacity": effective_capacity(s["capacity"], s["room_capacity"]),
        "url": f"{base_url}/api/events/{event['id']}/sessions/{s['id']}",
    }


def _matches(
    s: dict, f: AgendaFilter, zone: ZoneInfo, track_ids: dict[str, int], day_change: time | None = None
) -> bool:
    if f.day is not None and conference_day(s["starts_at"], zone, day_change) != f.day:
        return False
    if f.track is not None and s["track"] != track_ids.get(f.track, -1):
        return False
    if f.room is not None and s["room"] != f.room:
        return False
    if f.kind is not None and s["kind"] != f.kind:
        return False
    if f.person is not None and all(p["person_id"] != f.person for p in s["people"]):
        return False
    return True


async def agenda_json(event_id: int, f: AgendaFilter, account: CurrentAccount | None = None) -> Rendered:
    """The public agenda (published and cancelled sessions; times with their UTC offset), filtered. Sessions are
    on the conference day their start belongs to (the day change of its schedule source)."""

    async def build(data: PublicAgenda) -> Rendered:
        event = data.event
        zone = ZoneInfo(event["timezone"])
        rooms = {r["id"]: r for r in data.rooms}
        tracks = {t["id"]: t for t in data.tracks}
        track_ids = {t["slug"]: t["id"] for t in data.tracks}
        base_url = get_settings().public_url
        body = {
            "event": {
                "id": event["id"],
                "title": event["title"],
                "timezone": event["timezone"],
                "starts_at": event["starts_at"].astimezone(zone).isoformat(),
                "ends_at": event["ends_at"].astimezone(zone).isoformat(),
            },
            "version": data.version,
            "rooms": [
                {"id": r["id"], "name": r["name"], "capacity": r["capacity"], "accessibility": r["accessibility"]}
                for r in data.rooms
            ],
            "tracks": [{"slug": t["slug"], "name": t["name"], "color": t["color"]} for t in data.tracks],
            "sessions": [
                _session_json(s, event, rooms, tracks, base_url, data.day_change)
                for s in data.sessions
                if _matches(s, f, zone, track_ids, data.day_change)
            ],
        }
        return Rendered.of(msgspec.json.encode(body), JSON)

    return await _view(event_id, ("json", f), build, account)


# --------------------------------------------------------------------------- calendar feeds


@dataclass(frozen=True)
class _Pieces:
    entries: list[tuple[CalendarItem, bytes]]  # in the order of the sessions asked for
    fresh: list[tuple[int, bytes, bytes]]  # (session, key, piece) serialised now: not stored, or stored stale


def session_items(data: PublicAgenda, sessions: list[dict]) -> list[CalendarItem]:
    """The sessions' calendar items as feeds show them (English labels, no per-recipient text)."""
    rooms = {r["id"]: r["name"] for r in data.rooms}
    tracks = {t["id"]: t["name"] for t in data.tracks}
    return [
        session_calendar_item(
            s,
            data.event,
            [PersonInRole(p["name"], p["role"], p["organization"]) for p in s["people"]],
            rooms.get(s["room"], ""),
            tracks.get(s["track"], ""),
        )
        for s in sessions
    ]


async def load_agenda(event_id: int) -> PublicAgenda:
    """The event's agenda whatever its status, read now (not from the cache): for changes deciding what calendars
    show before and after them."""
    return await _load(event_id, published_only=False)


PIECES_BETWEEN_YIELDS = 8  # about 5 ms of serialising


async def _session_pieces(data: PublicAgenda, sessions: list[dict]) -> _Pieces:
    """Each session's calendar item and VEVENT bytes. The item is built from current data and its key
    (feed_piece_key: every field, wall-clock times, DTSTAMP, serialiser) decides whether the stored piece is still
    the one feed_vevent() would write; only sessions without such a piece are serialised."""
    items = session_items(data, sessions)
    keys = [feed_piece_key(item, s["updated_at"]) for s, item in zip(sessions, items, strict=True)]
    ids = [s["id"] for s in sessions]
    stored = {r["session"]: r["piece"] for r in await Q.current_feed_pieces(session_ids=ids, keys=keys)} if ids else {}
    entries, fresh = [], []
    for s, item, key in zip(sessions, items, keys, strict=True):
        piece = stored.get(s["id"])
        if piece is None:
            piece = feed_vevent(item, s["updated_at"])
            fresh.append((s["id"], key, piece))
            if len(fresh) % PIECES_BETWEEN_YIELDS == 0:
                # A congress's 200 sessions serialise in 0.1-0.3 s: other requests are served in between.
                await asyncio.sleep(0)
        entries.append((item, piece))
    return _Pieces(entries, fresh)


async def _store_pieces(fresh: list[tuple[int, bytes, bytes]]) -> None:
    if fresh:
        await Q.store_feed_pieces(
            session_ids=[f[0] for f in fresh], keys=[f[1] for f in fresh], pieces=[f[2] for f in fresh]
        )


async def _session_items(data: PublicAgenda, sessions: list[dict]) -> list[tuple[CalendarItem, bytes]]:
    """The sessions' items and pieces for a feed being served; pieces serialised now are stored for the next
    build. Storing is only a saving: if it fails (the session was deleted meanwhile, a lock timeout), the feed is
    served all the same and the next build serialises those sessions again."""
    pieces = await _session_pieces(data, sessions)
    try:
        await _store_pieces(pieces.fresh)
    except (asyncpg.PostgresError, OSError) as exc:
        log.warning("could not store %d feed pieces: %s", len(pieces.fresh), exc)
    return pieces.entries


async def store_feed_pieces(event_id: int) -> int:
    """Write the pieces of every published or cancelled session of the event whose stored piece is missing or
    stale; the number written. Called after a change that touches many sessions at once (the event's zone or
    venue, a room or track renamed, a speaker's name; an import, in its transaction), so the first feed after it
    is assembled from stored pieces. Called after the change's commit, not in its transaction: serialising a
    congress's sessions takes a few hundred milliseconds, which the change's row locks (the event, every session
    whose SEQUENCE grew) would hold every registration and booking of the event back. Needs no caller to be
    exact: a piece it misses, or one a concurrent build writes first, is written or kept by the next build."""
    data = await _load(event_id, published_only=False)
    pieces = await _session_pieces(data, data.sessions)
    await _store_pieces(pieces.fresh)
    return len(pieces.fresh)


def assemble_feed(name: str, entries: list[tuple[CalendarItem, bytes]]) -> bytes:
    # the calendar's header depends only on the items' zones and years: one item of each is enough
    zones = {(i.tzid, i.starts_at.year, i.ends_at.year): i for i, _ in entries}
    return feed_from_parts(list(zones.values()), name, [piece for _, piece in entries])


async def public_feed(event_id: int, account: CurrentAccount | None = None) -> Rendered:
    """Every published session (cancelled ones as STATUS:CANCELLED, so subscribers drop them); for a cancelled
    event every session, STATUS:CANCELLED."""

    async def build(data: PublicAgenda) -> Rendered:
        return Rendered.of(assemble_feed(data.event["title"], await _session_items(data, data.sessions)), ICS)

    return await _view(event_id, "ics", build, account, FEED_STATUSES)


async def delegate_feed(token: str) -> Rendered:
    """The delegate's personal feed, reached with the registration's feed token (not the manage token). The
    delegate's event (same UID and SEQUENCE as the invites) and the sessions they booked. Per request: a handful of
    items, their pieces shared with the public feed."""
    found = await Q.personal_feed_of(feed_hash=digest(token))  # the feed token: reads, never changes
    if found is None:
        raise NotFound("calendar feed")
    status = found["registration_status"]
    confirmed = status == "confirmed"
    event = msgspec.convert(dict(found), EventRow, strict=False).as_dict()
    data = (
        await agenda_cache.get(event["id"], "feed-data", lambda: _load(event["id"], statuses=FEED_STATUSES))
        if event["status"] in FEED_STATUSES
        else None
    )
    item = event_item(event, get_settings(), event["calendar_sequence"])
    if status == "cancelled" or event["status"] == "cancelled":
        item = dataclasses.replace(item, status="CANCELLED")
    elif not confirmed:
        item = dataclasses.replace(item, status="TENTATIVE")
    entries = [(item, feed_vevent(item, event["updated_at"]))]
    if data is not None and confirmed:
        booked = set(found["booked"])
        entries += await _session_items(data, [s for s in data.sessions if s["id"] in booked])
    return Rendered.of(assemble_feed(event["title"], entries), ICS)


# --------------------------------------------------------------------------- schedule exchange and CSV


def schedule_of(data: PublicAgenda) -> Schedule:
    """The published sessions as a frab schedule, with what the event's schedule files said beyond the agenda's
    columns (source ids, slugs, types, languages, texts, links, biographies, room guids, acronym, day change)."""
    event = data.event
    zone = ZoneInfo(event["timezone"])
    rooms = {r["id"]: r for r in data.rooms}
    tracks = {t["id"]: t for t in data.tracks}
    base_url = get_settings().public_url
    source = data.source
    sessions = []
    for s in data.sessions:
        if s["status"] != "published":
            continue
        room = rooms.get(s["room"])
        track = tracks.get(s["track"])
        x = data.session_sources.get(s["id"], {})
        sessions.append(
            ScheduleSession(
                guid=str(s["guid"]),
                id=x.get("id") or s["id"],
                title=s["title"],
                kind=s["kind"],
                starts_at=s["starts_at"],
                ends_at=s["ends_at"],
                room=room["name"] if room else "Unassigned",
                track=track["name"] if track else None,
                language=s["language"],
                abstract=s["abstract"],
                online_url=s["online_url"],
                url=x.get("url") or f"{base_url}/api/events/{event['id']}/sessions/{s['id']}",
                persons=[_schedule_person(p, data.person_sources.get(p["person_id"], {})) for p in s["people"]],
                type=x.get("type") or "",
                languages=x.get("languages"),
                subtitle=x.get("subtitle") or "",
                abstract_source=x.get("abstract") or "",
                description=x.get("description") or "",
                slug=x.get("slug") or "",
                links=[ScheduleLink(**link) for link in x.get("links") or []],
                attachments=[ScheduleLink(**link) for link in x.get("attachments") or []],
                do_not_record=x.get("do_not_record"),
                recording_license=x.get("recording_license") or "",
                logo=x.get("logo") or "",
                code=x.get("code") or "",
            )
        )
    schedule_rooms = [
        ScheduleRoom(r["name"], data.room_guids.get(r["id"], str(r["guid"])), r["capacity"], r["accessibility"])
        for r in data.rooms
    ]
    if any(s.room == "Unassigned" for s in sessions) and "Unassigned" not in {r.name for r in schedule_rooms}:
        schedule_rooms.append(ScheduleRoom("Unassigned"))
    start, end = event["starts_at"].astimezone(zone).date(), event["ends_at"].astimezone(zone).date()
    if source.get("start") and source.get("end"):
        start, end = date.fromisoformat(source["start"]), date.fromisoformat(source["end"])
    return Schedule(
        title=event["title"],
        acronym=source.get("acronym") or acronym_for(event["title"], event["id"]),
        tzid=event["timezone"],
        start=start,
        end=end,
        version=f"v{data.version}",
        sessions=sessions,
        rooms=schedule_rooms,
        tracks=[ScheduleTrack(t["name"], t["slug"], t["color"]) for t in data.tracks],
        url=source.get("url") or f"{base_url}/api/events/{event['id']}/agenda",
        day_change=data.day_change,
        subtitle=source.get("subtitle") or "",
        venue=source.get("venue") or "",
        city=source.get("city") or "",
        base_url=source.get("base_url") or "",
        timeslot_duration=source.get("timeslot_duration") or "",
        days=[date.fromisoformat(d) for d in source.get("days") or []],
    )


def _schedule_person(p: dict, source: dict) -> SchedulePerson:
    return SchedulePerson(
        source.get("guid") or str(p["guid"]),
        p["name"],
        p["role"],
        p["organization"],
        source["id"] if source.get("id") is not None else p["person_id"],
        code=source.get("code") or "",
        biography=source.get("biography") or "",
    )


async def schedule_xml(event_id: int, account: CurrentAccount | None = None) -> Rendered:
    async def build(data: PublicAgenda) -> Rendered:
        return Rendered.of(build_xml(schedule_of(data)), XML)

    return await _view(event_id, "schedule.xml", build, account)


async def schedule_json(event_id: int, account: CurrentAccount | None = None) -> Rendered:
    async def build(data: PublicAgenda) -> Rendered:
        return Rendered.of(build_json(schedule_of(data)), JSON)

    return await _view(event_id, "schedule.json", build, account)


CSV_COLUMNS = (
    "id",
    "guid",
    "status",
    "day",
    "starts_at",
    "ends_at",
    "duration_minutes",
    "title",
    "kind",
    "room",
    "track",
    "language",
    "speakers",
    "moderators",
    "panelists",
    "requires_booking",
    "capacity",
    "online_url",
)


async def agenda_csv(event_id: int, account: CurrentAccount | None = None) -> Rendered:
    async def build(data: PublicAgenda) -> Rendered:
        zone = ZoneInfo(data.event["timezone"])
        rooms = {r["id"]: r["name"] for r in data.rooms}
        tracks = {t["id"]: t["name"] for t in data.tracks}
        rows = []
        for s in data.sessions:
            start, end = s["starts_at"].astimezone(zone), s["ends_at"].astimezone(zone)
            names = {
                role: "; ".join(
                    f"{p['name']} ({p['organization']})" if p["organization"] else p["name"]
                    for p in s["people"]
                    if p["role"] == role
                )
                for role in ("speaker", "moderator", "panelist")
            }
            rows.append(
                (
                    s["id"],
                    str(s["guid"]),
                    s["status"],
                    conference_day(s["starts_at"], zone, data.day_change).isoformat(),
                    start.isoformat(),
                    end.isoformat(),
                    int((s["ends_at"] - s["starts_at"]).total_seconds() // 60),
                    s["title"],
                    s["kind"],
                    rooms.get(s["room"], ""),
                    tracks.get(s["track"], ""),
                    s["language"],
                    names["speaker"],
                    names["moderator"],
                    names["panelist"],
                    s["requires_booking"],
                    effective_capacity(s["capacity"], s["room_capacity"]),
                    s["online_url"],
                )
            )
        return Rendered.of(csv_bytes(CSV_COLUMNS, rows), CSV)

    return await _view(event_id, "csv", build, account)


async def warm(limit: int = 50) -> int:
    """Build the public agenda and feed of the next published events, so that the first requests after a restart
    are served from this process's cache (a feed build from stored pieces takes tens of milliseconds for 1,000
    sessions; this spares even that)."""
    rows = await Q.events_to_warm(limit=limit)
    for row in rows:
        await public_feed(row["id"])
        await agenda_json(row["id"], AgendaFilter())
    return len(rows)
