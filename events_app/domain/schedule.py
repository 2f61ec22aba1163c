"""The frab schedule formats (schedule.xml and schedule.json, as frab, pretalx and conference apps use them):
building them from an agenda and reading them back. Pure: bytes in, dataclasses out, and the reverse.

Readers accept what real exports contain (extra elements, HTML in abstracts, sessions past midnight, duplicate
numeric ids) and key sessions on `guid`; a file that cannot be read raises ScheduleFormatError saying where.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from events_app.domain.agenda import SESSION_KINDS, slugify
from events_app.domain.text import repair_line, repair_text

SCHEDULE_VERSION_PREFIX = "v"
GENERATOR = "congress-manager"
_NAMESPACE = uuid.UUID("0b9c6a56-8c3d-4c6f-9d2a-3f1a1c5e7d10")  # for guids derived from files that lack them
_JSON_TZ_RE = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")
_ACRONYM_RE = re.compile(r"^[a-z0-9_][a-z0-9_]{3,}$")
_XML_SLUG_RE = re.compile(r"^[a-z0-9_]{4,}-[a-z0-9\-_]{4,}$")
_HTML_RE = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>|&[a-zA-Z]+;|&#[0-9]+;")
MAX_ERRORS = 20
_DATE_ONLY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class SchedulePerson:
    guid: str
    name: str
    role: str | None = "speaker"  # None: the file does not say (schedule.xml has no roles)
    organization: str = ""
    id: int | None = None


@dataclass
class ScheduleSession:
    guid: str
    id: int
    title: str
    kind: str
    starts_at: datetime  # aware
    ends_at: datetime  # aware
    room: str
    track: str | None = None
    language: str = "en"
    abstract: str = ""
    online_url: str = ""
    url: str = ""
    persons: list[SchedulePerson] = field(default_factory=list)


@dataclass
class ScheduleRoom:
    name: str
    guid: str | None = None
    capacity: int | None = None
    description: str = ""


@dataclass
class ScheduleTrack:
    name: str
    slug: str = ""
    color: str | None = None


@dataclass
class Schedule:
    title: str
    acronym: str
    tzid: str
    start: date
    end: date
    version: str
    sessions: list[ScheduleSession]
    rooms: list[ScheduleRoom] = field(default_factory=list)
    tracks: list[ScheduleTrack] = field(default_factory=list)
    url: str = ""


class ScheduleFormatError(Exception):
    """A file that cannot be read: `problems` lists (where, what) pairs, e.g. ("line 12", "...")."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{w}: {m}" for w, m in problems))


# --------------------------------------------------------------------------- shared helpers


def acronym_for(title: str, event_id: int) -> str:
    """An acronym both schemas accept (lower-case letters, digits, '_', at least four)."""
    base = slugify(title, "_")[:40].strip("_")
    candidate = f"{base}_{event_id}" if base else f"event_{event_id}"
    return candidate if _ACRONYM_RE.match(candidate) else f"event_{event_id:04d}"


def session_slug(acronym: str, session_id: int, title: str) -> str:
    rest = f"{session_id}-{slugify(title)[:60].strip('-')}".strip("-")
    if len(rest) < 4 or not _XML_SLUG_RE.match(f"{acronym}-{rest}"):
        rest = f"session-{session_id}"
    return f"{acronym}-{rest}"


def duration_text(starts_at: datetime, ends_at: datetime) -> str:
    """Elapsed time as HH:MM (real time: across a DST change a 09:00-10:00 wall-clock slot may be 2 h)."""
    elapsed = ends_at.astimezone(timezone.utc) - starts_at.astimezone(timezone.utc)  # not wall-clock arithmetic
    minutes = int(elapsed.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def days_of(schedule: Schedule) -> list[tuple[date, list[ScheduleSession]]]:
    """Every day from the conference's first to its last (and any day a session starts outside them), each
    with the sessions that start on it in the conference's zone. A session past midnight stays on its day."""
    zone = ZoneInfo(schedule.tzid)
    by_day: dict[date, list[ScheduleSession]] = {}
    day = schedule.start
    while day <= schedule.end:
        by_day[day] = []
        day += timedelta(days=1)
    for session in sorted(schedule.sessions, key=lambda s: (s.starts_at, s.room, s.guid)):
        by_day.setdefault(session.starts_at.astimezone(zone).date(), []).append(session)
    return sorted(by_day.items())


def _day_bounds(day: date, sessions: list[ScheduleSession], zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    if sessions:
        start = min(start, min(s.starts_at for s in sessions).astimezone(zone))
        end = max(end, max(s.ends_at for s in sessions).astimezone(zone))
    return start, end


def _rooms_in_order(schedule: Schedule, sessions: list[ScheduleSession]) -> list[str]:
    known = [r.name for r in schedule.rooms]
    used = {s.room for s in sessions}
    return [n for n in known if n in used] + sorted(used - set(known))


def _iso(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).isoformat()


# --------------------------------------------------------------------------- export


def build_json(schedule: Schedule) -> bytes:
    """schedule.json as frab and pretalx write it (valid against voc/schedule's schema.json)."""
    zone = ZoneInfo(schedule.tzid)
    room_guids = {r.name: r.guid for r in schedule.rooms}
    days = []
    for index, (day, sessions) in enumerate(days_of(schedule), start=1):
        day_start, day_end = _day_bounds(day, sessions, zone)
        rooms: dict[str, list[dict[str, Any]]] = {}
        for room in _rooms_in_order(schedule, sessions):
            rooms[room] = [_json_event(s, schedule, zone) for s in sessions if s.room == room]
        days.append(
            {
                "index": index,
                "date": day.isoformat(),
                "day_start": day_start.isoformat(),
                "day_end": day_end.isoformat(),
                "rooms": rooms,
            }
        )
    conference: dict[str, Any] = {
        "acronym": schedule.acronym,
        "title": schedule.title,
        "start": schedule.start.isoformat(),
        "end": schedule.end.isoformat(),
        "daysCount": len(days),
        "timeslot_duration": "00:05",
    }
    if _JSON_TZ_RE.match(schedule.tzid):
        conference["time_zone_name"] = schedule.tzid
    if schedule.url:
        conference["url"] = schedule.url
    conference["tracks"] = [
        {"name": t.name, "slug": t.slug, **({"color": t.color} if t.color else {})} for t in schedule.tracks
    ]
    conference["rooms"] = [
        {
            "name": r.name,
            "guid": r.guid or str(uuid.uuid5(_NAMESPACE, f"room:{r.name}")),
            "capacity": r.capacity,
            "description": r.description or None,
        }
        for r in schedule.rooms
        if room_guids.get(r.name) or r.name
    ]
    conference["days"] = days
    document = {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": {"name": GENERATOR, "version": "1.0"},
        "schedule": {"version": schedule.version, "conference": conference},
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def _json_event(s: ScheduleSession, schedule: Schedule, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "guid": s.guid,
        "id": s.id,
        "date": _iso(s.starts_at, zone),
        "start": s.starts_at.astimezone(zone).strftime("%H:%M"),
        "end": _iso(s.ends_at, zone),
        "duration": duration_text(s.starts_at, s.ends_at),
        "room": s.room,
        "slug": session_slug(schedule.acronym, s.id, s.title),
        "url": s.url,
        "title": s.title,
        "subtitle": "",
        "track": s.track,
        "type": s.kind,
        "language": s.language,
        "abstract": s.abstract,
        "description": "",
        "persons": [
            {
                "guid": p.guid,
                "name": p.name,
                "role": p.role or "speaker",
                **({"organization": p.organization} if p.organization else {}),
            }
            for p in s.persons
        ],
        "links": [{"url": s.online_url, "title": "Online", "type": "web"}] if s.online_url else [],
        "attachments": [],
    }


def build_xml(schedule: Schedule) -> bytes:
    """schedule.xml as frab and pretalx write it (valid against voc/schedule's schedule.xml.xsd)."""
    zone = ZoneInfo(schedule.tzid)
    E = etree.Element
    root = E("schedule")
    generator = etree.SubElement(root, "generator")
    generator.set("name", GENERATOR)
    generator.set("version", "1.0")
    etree.SubElement(root, "version").text = schedule.version
    conference = etree.SubElement(root, "conference")
    days = days_of(schedule)
    for tag, text in (
        ("title", schedule.title),
        ("acronym", schedule.acronym),
        ("start", schedule.start.isoformat()),
        ("end", schedule.end.isoformat()),
        ("days", str(len(days))),
        ("timeslot_duration", "00:05"),
    ):
        etree.SubElement(conference, tag).text = text
    if schedule.url:
        etree.SubElement(conference, "url").text = schedule.url
    etree.SubElement(conference, "time_zone_name").text = schedule.tzid
    for track in schedule.tracks:
        element = etree.SubElement(conference, "track", name=track.name)
        if track.color:
            element.set("color", track.color)
        if track.slug:
            element.set("slug", track.slug)
    room_guids = {r.name: r.guid for r in schedule.rooms}
    for index, (day, sessions) in enumerate(days, start=1):
        day_start, day_end = _day_bounds(day, sessions, zone)
        day_el = etree.SubElement(
            root, "day", index=str(index), date=day.isoformat(), start=day_start.isoformat(), end=day_end.isoformat()
        )
        for room in _rooms_in_order(schedule, sessions):
            room_el = etree.SubElement(day_el, "room", name=room)
            room_guid = room_guids.get(room)
            if room_guid:
                room_el.set("guid", room_guid)
            for s in (s for s in sessions if s.room == room):
                _xml_event(room_el, s, schedule, zone)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _xml_event(parent: etree._Element, s: ScheduleSession, schedule: Schedule, zone: ZoneInfo) -> None:
    event = etree.SubElement(parent, "event", guid=s.guid, id=str(s.id))
    for tag, text in (
        ("room", s.room),
        ("title", s.title),
        ("subtitle", ""),
        ("type", s.kind),
        ("date", _iso(s.starts_at, zone)),
        ("start", s.starts_at.astimezone(zone).strftime("%H:%M")),
        ("duration", duration_text(s.starts_at, s.ends_at)),
        ("abstract", s.abstract),
        ("slug", session_slug(schedule.acronym, s.id, s.title)),
        ("track", s.track or ""),
        ("language", s.language),
        ("description", ""),
    ):
        etree.SubElement(event, tag).text = text
    persons = etree.SubElement(event, "persons")
    for p in s.persons:
        person = etree.SubElement(persons, "person", guid=p.guid)
        if p.id is not None:
            person.set("id", str(p.id))
        person.text = p.name
    links = etree.SubElement(event, "links")
    if s.online_url:
        etree.SubElement(links, "link", href=s.online_url).text = "Online"
    if s.url:
        etree.SubElement(event, "url").text = s.url


# --------------------------------------------------------------------------- import


class _TextOnly(HTMLParser):
    _BLOCKS = {"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(value: str | None) -> str:
    """Abstracts arrive as plain text, Markdown or HTML: HTML becomes text (tags dropped, entities decoded)."""
    if not value:
        return ""
    text = value
    if _HTML_RE.search(value):
        parser = _TextOnly()
        parser.feed(value)
        parser.close()
        text = "".join(parser.parts)
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_KIND_SYNONYMS = {
    "lecture": "talk",
    "talk": "talk",
    "lightning talk": "talk",
    "lightning": "talk",
    "presentation": "talk",
    "keynote": "plenary",
    "plenary": "plenary",
    "opening": "plenary",
    "closing": "plenary",
    "panel": "panel",
    "podium": "panel",
    "discussion": "panel",
    "panel discussion": "panel",
    "workshop": "workshop",
    "hands-on": "workshop",
    "tutorial": "workshop",
    "training": "workshop",
    "side event": "side_event",
    "side_event": "side_event",
    "meeting": "side_event",
    "bof": "side_event",
    "site visit": "site_visit",
    "site_visit": "site_visit",
    "excursion": "site_visit",
    "tour": "site_visit",
    "networking": "networking",
    "social": "networking",
    "reception": "networking",
    "break": "break",
    "pause": "break",
    "lunch": "break",
    "coffee break": "break",
}


def kind_of(value: str | None) -> str:
    """Our session kind for a producer's type ('Lecture', 'lightning talk', 'Keynote'...); 'talk' otherwise."""
    key = (value or "").strip().lower().replace("-", " ") if value else ""
    if key in SESSION_KINDS:
        return key
    return _KIND_SYNONYMS.get(key, _KIND_SYNONYMS.get(key.replace(" ", "-"), "talk"))


def _duration(value: str) -> timedelta:
    parts = value.strip().split(":")
    if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"duration {value!r} is not HH:MM or HH:MM:SS")
    hours, minutes = int(parts[0]), int(parts[1])
    seconds = int(parts[2]) if len(parts) == 3 else 0
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def _aware(value: str, zone: ZoneInfo) -> datetime:
    """An instant in UTC (so that adding a duration adds real time, also across a DST change)."""
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).astimezone(timezone.utc)


def _start_from_day(day_date: str, start: str, day_start: datetime | None, zone: ZoneInfo) -> datetime:
    """Old exports give only the day and HH:MM: a start before the day's own start is past midnight."""
    hour, minute = (int(x) for x in start.strip().split(":")[:2])
    value = datetime.combine(date.fromisoformat(day_date), time(hour, minute), zone)
    if day_start is not None and value < day_start:
        value = datetime.combine(value.date() + timedelta(days=1), value.time(), zone)
    return value.astimezone(timezone.utc)


def _guid(value: str | None, *fallback: Any) -> str:
    """The file's guid; a stable one derived from the session's own data when the file has none (or a
    non-UUID one), so re-importing the same file finds the same sessions."""
    if value:
        try:
            return str(uuid.UUID(str(value).strip()))
        except ValueError:
            return str(uuid.uuid5(_NAMESPACE, f"guid:{value}"))
    return str(uuid.uuid5(_NAMESPACE, "|".join(str(f) for f in fallback)))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse(data: bytes, content_type: str = "") -> Schedule:
    """Read schedule.xml or schedule.json (chosen by content type, else by the first character), its text repaired
    by the one text rule (repair_text_of)."""
    head = data.lstrip()[:1]
    if "json" in content_type or head in (b"{", b"["):
        return repair_text_of(parse_json(data))
    if "xml" in content_type or head == b"<":
        return repair_text_of(parse_xml(data))
    raise ScheduleFormatError([("body", "neither schedule.xml nor schedule.json: send one of them")])


def repair_text_of(schedule: Schedule) -> Schedule:
    """A file someone else produced is repaired, not refused (domain.text): control characters in names and
    titles become spaces, line ends in abstracts become LF. Room and track names are repaired alike in the lists
    and in the sessions, so they still match. Changes the schedule in place and returns it."""
    schedule.title, schedule.acronym, schedule.version = (
        repair_line(schedule.title),
        repair_line(schedule.acronym),
        repair_line(schedule.version),
    )
    for room in schedule.rooms:
        room.name, room.description = repair_line(room.name), repair_text(room.description)
    for track in schedule.tracks:
        track.name, track.slug = repair_line(track.name), repair_line(track.slug)
    for s in schedule.sessions:
        s.title, s.room, s.language = repair_line(s.title), repair_line(s.room), repair_line(s.language)
        s.track = repair_line(s.track) or None if s.track is not None else None
        s.abstract, s.online_url, s.url = repair_text(s.abstract), repair_line(s.online_url), repair_line(s.url)
        for p in s.persons:
            p.name, p.organization = repair_line(p.name), repair_line(p.organization)
        s.persons = [p for p in s.persons if p.name]
    schedule.tracks = [t for t in schedule.tracks if t.name]
    return schedule


def parse_xml(data: bytes) -> Schedule:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True, load_dtd=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (0, 0)
        raise ScheduleFormatError([(f"line {line}, column {column}", f"not well-formed XML: {exc.msg}")]) from None
    if root.tag != "schedule":
        raise ScheduleFormatError(
            [(f"line {root.sourceline}", f"the root element is <{str(root.tag)}>, expected <schedule>")]
        )
    problems: list[tuple[str, str]] = []
    conference = root.find("conference")
    if conference is None:
        raise ScheduleFormatError([(f"line {root.sourceline}", "<conference> is missing")])
    tzid = (conference.findtext("time_zone_name") or "UTC").strip()
    try:
        zone = ZoneInfo(tzid)
    except Exception:
        problems.append((_where(conference.find("time_zone_name")), f"unknown time zone {tzid!r}"))
        zone, tzid = ZoneInfo("UTC"), "UTC"
    tracks = [
        ScheduleTrack(t.get("name") or (t.text or "").strip(), t.get("slug") or "", t.get("color"))
        for t in conference.findall("track")
    ]
    sessions: list[ScheduleSession] = []
    rooms: dict[str, ScheduleRoom] = {}
    for day in root.iter("day"):
        day_start = None
        start = day.get("start")
        if start:
            try:
                day_start = _aware(start, zone)
            except ValueError:
                problems.append((_where(day), f"day start {start!r} is not a date-time"))
        for room in day.findall("room"):
            room_name = (room.get("name") or "").strip()
            if room_name and room_name not in rooms:
                rooms[room_name] = ScheduleRoom(room_name, _optional_guid(room.get("guid")))
            for event in room.findall("event"):
                try:
                    sessions.append(_xml_session(event, day, day_start, room_name, zone))
                except (ValueError, TypeError) as exc:
                    problems.append((_where(event), str(exc)))
                if len(problems) >= MAX_ERRORS:
                    break
    if problems:
        raise ScheduleFormatError(problems)
    return Schedule(
        title=(conference.findtext("title") or "").strip(),
        acronym=(conference.findtext("acronym") or "").strip(),
        tzid=tzid,
        start=_date_of(conference.findtext("start"), sessions, zone, first=True),
        end=_date_of(conference.findtext("end"), sessions, zone, first=False),
        version=(root.findtext("version") or "").strip(),
        sessions=sessions,
        rooms=list(rooms.values()),
        tracks=tracks,
    )


def _where(element: etree._Element | None) -> str:
    if element is None:
        return "schedule.xml"
    label = str(element.tag)
    guid = element.get("guid")
    if guid:
        label += f" guid={guid}"
    return f"line {element.sourceline} (<{label}>)"


def _optional_guid(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(value)) if value else None
    except ValueError:
        return None


def _date_of(value: str | None, sessions: list[ScheduleSession], zone: ZoneInfo, first: bool) -> date:
    if value:
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    if sessions:
        pick = min if first else max
        return pick(s.starts_at for s in sessions).astimezone(zone).date()
    return date.today()


def _xml_session(
    event: etree._Element, day: etree._Element, day_start: datetime | None, room_name: str, zone: ZoneInfo
) -> ScheduleSession:
    title = (event.findtext("title") or "").strip()
    if not title:
        raise ValueError("<title> is missing or empty")
    date_text = (event.findtext("date") or "").strip()
    start_text = (event.findtext("start") or "").strip()
    if date_text and not _DATE_ONLY_RE.match(date_text):
        try:
            starts_at = _aware(date_text, zone)
        except ValueError:
            raise ValueError(f"<date> {date_text!r} is not a date-time like 2027-05-18T09:00:00+02:00") from None
    elif start_text and (day_date := day.get("date")):
        try:
            starts_at = _start_from_day(day_date, start_text, day_start, zone)
        except ValueError:
            raise ValueError(f"<start> {start_text!r} is not HH:MM") from None
    else:
        raise ValueError("neither <date> (a date-time) nor <start> with the day's date")
    duration = _duration(event.findtext("duration") or "")
    if duration <= timedelta(0):
        raise ValueError("<duration> must be longer than 00:00")
    persons = []
    for p in event.iterfind("persons/person"):
        name = (p.text or "").strip()
        if name:
            persons.append(
                SchedulePerson(
                    _guid(p.get("guid"), "person", p.get("id") or name.lower()), name, role=None, id=_int(p.get("id"))
                )
            )
    link = next(
        (
            a.get("href")
            for a in event.iterfind("links/link")
            if (a.get("href") or "").startswith(("https://", "http://")) and "online" in (a.text or "").lower()
        ),
        "",
    )
    numeric_id = _int(event.get("id")) or 0
    return ScheduleSession(
        guid=_guid(event.get("guid"), "session", numeric_id, starts_at.isoformat(), room_name, title),
        id=numeric_id,
        title=title[:300],
        kind=kind_of(event.findtext("type")),
        starts_at=starts_at,
        ends_at=starts_at + duration,
        room=(event.findtext("room") or room_name).strip() or room_name,
        track=(event.findtext("track") or "").strip() or None,
        language=((event.findtext("language") or "").strip() or "en")[:10],
        abstract=plain_text(event.findtext("abstract") or event.findtext("description")),
        online_url=link or "",
        persons=persons,
    )


def parse_json(data: bytes) -> Schedule:
    try:
        document = json.loads(data)
    except UnicodeDecodeError:
        raise ScheduleFormatError([("body", "not UTF-8 text")]) from None
    except RecursionError:
        raise ScheduleFormatError([("body", "nested too deeply to be a schedule")]) from None
    except json.JSONDecodeError as exc:
        raise ScheduleFormatError([(f"line {exc.lineno}, column {exc.colno}", f"not valid JSON: {exc.msg}")]) from None
    problems: list[tuple[str, str]] = []
    schedule = document.get("schedule") if isinstance(document, dict) else None
    if not isinstance(schedule, dict):
        schedule = {}
    conference = schedule.get("conference")
    if not isinstance(conference, dict):
        raise ScheduleFormatError([("schedule.conference", 'missing: expected {"schedule": {"conference": {...}}}')])
    tzid = conference.get("time_zone_name") or "UTC"
    try:
        zone = ZoneInfo(tzid)
    except Exception:
        raise ScheduleFormatError([("schedule.conference.time_zone_name", f"unknown time zone {tzid!r}")]) from None
    days = conference.get("days")
    if not isinstance(days, list):
        raise ScheduleFormatError([("schedule.conference.days", "missing or not a list")])
    rooms: dict[str, ScheduleRoom] = {}
    for r in conference.get("rooms") or []:
        if isinstance(r, dict) and r.get("name"):
            rooms[r["name"]] = ScheduleRoom(
                r["name"],
                _optional_guid(r.get("guid")),
                _int(r.get("capacity")),
                r["description"] if isinstance(r.get("description"), str) else "",
            )
    tracks = [
        ScheduleTrack(t.get("name") or "", t.get("slug") or "", t.get("color"))
        for t in conference.get("tracks") or []
        if isinstance(t, dict) and t.get("name")
    ]
    sessions: list[ScheduleSession] = []
    for i, day in enumerate(days):
        where_day = f"schedule.conference.days[{i}]"
        if not isinstance(day, dict) or not isinstance(day.get("rooms"), dict):
            problems.append((where_day, "expected an object with 'rooms'"))
            continue
        for room_name, events in day["rooms"].items():
            if room_name not in rooms:
                rooms[room_name] = ScheduleRoom(room_name)
            if not isinstance(events, list):
                problems.append((f"{where_day}.rooms[{room_name!r}]", "expected a list of events"))
                continue
            for j, event in enumerate(events):
                where = f"{where_day}.rooms[{room_name!r}][{j}]"
                try:
                    sessions.append(_json_session(event, day, room_name, zone))
                except (ValueError, TypeError, AttributeError, KeyError) as exc:
                    problems.append((where, str(exc)))
                if len(problems) >= MAX_ERRORS:
                    raise ScheduleFormatError(problems)
    if problems:
        raise ScheduleFormatError(problems)
    return Schedule(
        title=str(conference.get("title") or ""),
        acronym=str(conference.get("acronym") or ""),
        tzid=tzid,
        start=_date_of(conference.get("start"), sessions, zone, first=True),
        end=_date_of(conference.get("end"), sessions, zone, first=False),
        version=str(schedule.get("version") or ""),
        sessions=sessions,
        rooms=list(rooms.values()),
        tracks=tracks,
    )


def _json_session(event: Any, day: dict[str, Any], room_name: str, zone: ZoneInfo) -> ScheduleSession:
    if not isinstance(event, dict):
        raise TypeError("expected an event object")
    title = str(event.get("title") or "").strip()
    if not title:
        raise ValueError("'title' is missing or empty")
    date_text = event.get("date")
    if isinstance(date_text, str) and date_text.strip() and not _DATE_ONLY_RE.match(date_text.strip()):
        try:
            starts_at = _aware(date_text, zone)
        except ValueError:
            raise ValueError(f"'date' {date_text!r} is not a date-time like 2027-05-18T09:00:00+02:00") from None
    elif isinstance(event.get("start"), str) and day.get("date"):
        day_start = _aware(day["day_start"], zone) if day.get("day_start") else None
        starts_at = _start_from_day(day["date"], event["start"], day_start, zone)
    else:
        raise ValueError("'date' (a date-time) is missing")
    if isinstance(event.get("end"), str) and event["end"]:
        ends_at = _aware(event["end"], zone)
    elif isinstance(event.get("duration"), str):
        ends_at = starts_at + _duration(event["duration"])
    else:
        raise ValueError("neither 'duration' (HH:MM) nor 'end'")
    if ends_at <= starts_at:
        raise ValueError("the session must end after it starts")
    persons = []
    for p in event.get("persons") or []:
        if not isinstance(p, dict):
            continue
        name = str(p.get("name") or p.get("public_name") or "").strip()
        if name:
            persons.append(
                SchedulePerson(
                    _guid(p.get("guid"), "person", p.get("id") or p.get("code") or name.lower()),
                    name,
                    role=p.get("role") if p.get("role") in ("speaker", "moderator", "panelist") else None,
                    organization=str(p.get("organization") or ""),
                    id=_int(p.get("id")),
                )
            )
    link = next(
        (
            a.get("url")
            for a in event.get("links") or []
            if isinstance(a, dict)
            and str(a.get("url") or "").startswith(("https://", "http://"))
            and "online" in str(a.get("title") or "").lower()
        ),
        "",
    )
    numeric_id = _int(event.get("id")) or 0
    track = event.get("track")
    language = event.get("language")
    return ScheduleSession(
        guid=_guid(event.get("guid"), "session", numeric_id, starts_at.isoformat(), room_name, title),
        id=numeric_id,
        title=title[:300],
        kind=kind_of(event.get("type")),
        starts_at=starts_at,
        ends_at=ends_at,
        room=str(event.get("room") or room_name),
        track=str(track).strip() if track else None,
        language=(str(language).strip() if language else "en")[:10],
        abstract=plain_text(event.get("abstract") or event.get("description")),
        online_url=link or "",
        persons=persons,
    )
