"""The frab schedule formats (schedule.xml and schedule.json, as frab, pretalx and conference apps use them):
building them from an agenda and reading them back. Pure: bytes in, dataclasses out, and the reverse.

Readers accept what real exports contain (extra elements, HTML in abstracts, sessions past midnight, duplicate
numeric ids, schedule.json version 2 with its events beside the days, bare documents, translated texts, UTF-16
files) and key sessions on `guid`; a file that cannot be read raises ScheduleFormatError saying where. A file's day
change is the one that keeps its sessions on the days it lists them under (fit_day_change), in any zone.
"""

from __future__ import annotations

import codecs
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin
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
class ScheduleLink:
    """A link or attachment of a session or person: its URL, title and (JSON) type, as the file gives them."""

    url: str
    title: str = ""
    type: str = ""


@dataclass
class SchedulePerson:
    guid: str  # the identity exported (the file's own guid, else one derived from `key`)
    name: str
    role: str | None = "speaker"  # None: the file does not say (schedule.xml has no roles)
    organization: str = ""
    id: int | None = None  # the source's numeric id
    source_guid: str | None = None  # the file's own person guid, when it gives one
    code: str = ""  # pretalx's speaker code
    biography: str = ""  # sanitised HTML or text as given
    key: str = ""  # the source identity: "guid:...", "id:...", "code:..." or "name:..." (person_key)


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
    abstract: str = ""  # plain text (feeds, pages)
    online_url: str = ""
    url: str = ""
    persons: list[SchedulePerson] = field(default_factory=list)
    type: str = ""  # the producer's own type ("Lecture", "devroom"...), kept beside our kind
    languages: str | None = None  # as the file gives them ("de, en"); None: ours (use `language`)
    subtitle: str = ""
    abstract_source: str = ""  # the abstract as given (HTML sanitised), exported instead of `abstract`
    description: str = ""  # sanitised HTML or text as given
    slug: str = ""  # the source's slug
    links: list[ScheduleLink] = field(default_factory=list)
    attachments: list[ScheduleLink] = field(default_factory=list)
    do_not_record: bool | None = None
    recording_license: str = ""
    logo: str = ""
    code: str = ""
    day: date | None = field(default=None, compare=False)  # the file's day the session is listed under


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
    day_change: time | None = None  # when one conference day turns into the next (None: midnight)
    subtitle: str = ""
    venue: str = ""
    city: str = ""
    base_url: str = ""
    timeslot_duration: str = ""
    tz_given: bool = True  # False: the file names no zone (its times were read in the event's)
    days: list[date] = field(default_factory=list)  # the file's own days (empty: every day from start to end)
    # Instants at which the file says its days turn (an explicit day change first, then its days' starts and ends):
    # what fit_day_change chooses from, in any zone.
    day_marks: list[datetime] = field(default_factory=list, compare=False)
    # What the file says that does not stop it being read but that its organizer should check, as (where, what)
    # pairs like ScheduleFormatError's problems: a session's start that disagrees with its date-time.
    warnings: list[tuple[str, str]] = field(default_factory=list, compare=False)


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


def conference_day(starts_at: datetime, zone: ZoneInfo, day_change: time | None) -> date:
    """The conference day a session belongs to: the day whose window [day at day_change, next day at day_change)
    holds its start, in the conference's zone. A night session (01:00 when the day changes at 06:00) stays on the
    day before; without a day change, days turn at midnight."""
    local = starts_at.astimezone(zone)
    if day_change is None or local.time() >= day_change:
        return local.date()
    return local.date() - timedelta(days=1)


def day_window(day: date, zone: ZoneInfo, day_change: time | None) -> tuple[datetime, datetime]:
    """A conference day's window: from its day change to the next one (midnight without one). Windows of
    consecutive days touch and never overlap."""
    turn = day_change or time(0)
    return datetime.combine(day, turn, zone), datetime.combine(day + timedelta(days=1), turn, zone)


def fit_day_change(schedule: Schedule, tzid: str | None = None) -> time | None:
    """When conference days turn, in zone `tzid` (the schedule's own by default): of the times the file gives
    (its day change, its days' starts and ends, midnight), the one that keeps the most sessions on the day the file
    lists them under; on a tie the one most of its days give, then the first given. A first day that starts late
    (frab and the hub write the first session's time: 10:30) must not move a 10:00 session of the second day onto
    the first; a file in another zone than the event's turns its days at the same instants, whatever the clock
    says there."""
    zone = ZoneInfo(tzid or schedule.tzid)
    given: list[time | None] = []
    for mark in schedule.day_marks:
        local = mark.astimezone(zone).time()
        given.append(local if local != time(0) else None)
    candidates = list(dict.fromkeys([*given, None]))
    listed = [(s.starts_at, s.day) for s in schedule.sessions if s.day is not None]
    if not listed:
        return candidates[0]

    def misplaced(candidate: time | None) -> int:
        return sum(1 for starts_at, day in listed if conference_day(starts_at, zone, candidate) != day)

    # fewest sessions off their day; then the time most of the file's days give; then the first given
    return min(candidates, key=lambda c: (misplaced(c), -given.count(c), candidates.index(c)))


def _marks(values: list[tuple[Any, Any]], zone: ZoneInfo) -> list[datetime]:
    """The instants of (day date, time or date-time) pairs a file gives for its days' starts and ends, readable
    ones only: a bare time ('04:00') is on the day's date; a bare date is no mark."""
    marks: list[datetime] = []
    for day_date, value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        text = value.strip()
        try:
            if re.match(r"^\d{1,2}:\d{2}(:\d{2})?$", text) and day_date:
                day = date.fromisoformat(str(day_date).strip()[:10])
                marks.append(datetime.combine(day, time.fromisoformat(text.zfill(5) if len(text) == 4 else text), zone))
            elif "T" in text or " " in text:
                marks.append(_aware(text, zone))
        except ValueError:
            continue
    return marks


def days_of(schedule: Schedule) -> list[tuple[date, list[ScheduleSession]]]:
    """The file's days, or every day from the conference's first to its last (and any day a session starts outside
    them), each
    with the sessions that belong to it (conference_day). A session past midnight stays on its day."""
    zone = ZoneInfo(schedule.tzid)
    by_day: dict[date, list[ScheduleSession]] = {day: [] for day in schedule.days}
    day = schedule.start
    while day <= schedule.end and not schedule.days:
        by_day[day] = []
        day += timedelta(days=1)
    for session in sorted(schedule.sessions, key=lambda s: (s.starts_at, s.room, s.guid)):
        by_day.setdefault(conference_day(session.starts_at, zone, schedule.day_change), []).append(session)
    return sorted(by_day.items())


def _rooms_in_order(schedule: Schedule, sessions: list[ScheduleSession]) -> list[str]:
    known = [r.name for r in schedule.rooms]
    used = {s.room for s in sessions}
    return [n for n in known if n in used] + sorted(used - set(known))


def _iso(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).isoformat()


# --------------------------------------------------------------------------- export

_JSON_ACRONYM_RE = re.compile(r"^[a-z0-9_-][a-z0-9_]{3,}(-2[0-9]{3}-[a-z]+)?$")
_XML_ACRONYM_RE = re.compile(r"^[a-z0-9_-]{4,}$")
_JSON_SLUG_RE = re.compile(r"^[a-z0-9_-]+[a-z0-9]$")
_TRACK_SLUG_RE = re.compile(r"^[a-z][a-z0-9-]+$")
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
_CODE_RE = re.compile(r"^[A-Z0-9]{6}$")
REFERENCE_TYPES = ("slides", "paper", "web", "blog", "article", "media", "related", "activitypub")


def export_acronym(acronym: str) -> str:
    """The acronym as given when both schemas accept it, else its closest form they do ('Camp2019' -> 'camp2019',
    'rc3-channels-2020' -> 'rc3_channels_2020'). The one given is kept in the JSON's conference meta."""
    if _JSON_ACRONYM_RE.match(acronym) and _XML_ACRONYM_RE.match(acronym):
        return acronym
    candidate = re.sub(r"[^a-z0-9_]+", "_", acronym.lower()).strip("_")
    return candidate if _JSON_ACRONYM_RE.match(candidate) else f"{candidate}_conf".lstrip("_").ljust(4, "0")


@dataclass(frozen=True)
class _Plan:
    """What both exports write the same way: days, the acronym, each session's id and slug (unique)."""

    acronym: str
    days: list[tuple[date, list[ScheduleSession], datetime, datetime]]
    ids: dict[str, int]
    slugs: dict[str, str]


def _plan(schedule: Schedule) -> _Plan:
    zone = ZoneInfo(schedule.tzid)
    acronym = export_acronym(schedule.acronym)
    days = [(d, ss, *day_window(d, zone, schedule.day_change)) for d, ss in days_of(schedule)]
    ids: dict[str, int] = {}
    slugs: dict[str, str] = {}
    used_ids: set[int] = set()
    used_slugs: set[str] = set()
    for s in sorted(schedule.sessions, key=lambda s: (s.starts_at, s.guid)):
        number = s.id if s.id and s.id > 0 and s.id not in used_ids else max(used_ids | {s.id or 0, 0}) + 1
        while number in used_ids:
            number += 1
        used_ids.add(number)
        ids[s.guid] = number
        slug = s.slug if _XML_SLUG_RE.match(s.slug) and _JSON_SLUG_RE.match(s.slug) else ""
        if not slug or slug in used_slugs:
            slug = session_slug(acronym, number, s.title)
        used_slugs.add(slug)
        slugs[s.guid] = slug
    return _Plan(acronym, days, ids, slugs)


def _languages(s: ScheduleSession) -> str:
    return s.language if s.languages is None else s.languages


def _references(links: list[ScheduleLink]) -> list[dict[str, Any]]:
    return [
        {
            "url": x.url,
            **({"title": x.title} if x.title else {}),
            **({"type": x.type} if x.type in REFERENCE_TYPES else {}),
        }
        for x in links
        if x.url
    ]


def build_json(schedule: Schedule) -> bytes:
    """schedule.json as frab and pretalx write it (valid against voc/schedule's schema.json)."""
    zone = ZoneInfo(schedule.tzid)
    plan = _plan(schedule)
    days = []
    for index, (day, sessions, day_start, day_end) in enumerate(plan.days, start=1):
        rooms: dict[str, list[dict[str, Any]]] = {}
        for room in _rooms_in_order(schedule, sessions):
            rooms[room] = [_json_event(s, plan, zone) for s in sessions if s.room == room]
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
        "acronym": plan.acronym,
        "title": schedule.title,
        "start": schedule.start.isoformat(),
        "end": schedule.end.isoformat(),
        "daysCount": len(days),
        "timeslot_duration": schedule.timeslot_duration or "00:05",
    }
    if _JSON_TZ_RE.match(schedule.tzid):
        conference["time_zone_name"] = schedule.tzid
    if schedule.url:
        conference["url"] = schedule.url
    conference["tracks"] = [
        {
            "name": t.name,
            **({"slug": t.slug} if _JSON_SLUG_RE.match(t.slug) else {}),
            **({"color": t.color} if t.color else {}),
        }
        for t in schedule.tracks
    ]
    conference["rooms"] = [
        {
            "name": r.name,
            "guid": r.guid or str(uuid.uuid5(_NAMESPACE, f"room:{r.name}")),
            "capacity": r.capacity,
            "description": r.description or None,
        }
        for r in schedule.rooms
        if r.name
    ]
    meta = {
        "acronym": schedule.acronym,
        "time_zone_name": schedule.tzid,
        "day_change": schedule.day_change.isoformat() if schedule.day_change else None,
        "subtitle": schedule.subtitle,
        "venue": schedule.venue,
        "city": schedule.city,
        "base_url": schedule.base_url,
    }
    conference["meta"] = {k: v for k, v in meta.items() if v}
    conference["days"] = days
    document = {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": {"name": GENERATOR, "version": "1.0"},
        "schedule": {"version": schedule.version, "conference": conference},
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def _json_person(p: SchedulePerson) -> dict[str, Any]:
    out: dict[str, Any] = {"guid": p.guid, "name": p.name, "role": p.role or "speaker"}
    if p.id is not None:
        out["id"] = p.id
    if p.code and re.match(r"^[A-Z0-9]+$", p.code):
        out["code"] = p.code
    if p.organization:
        out["organization"] = p.organization
    if p.biography:
        out["biography"] = p.biography
    return out


def _json_event(s: ScheduleSession, plan: _Plan, zone: ZoneInfo) -> dict[str, Any]:
    links = list(s.links)
    if s.online_url and s.online_url not in {x.url for x in links}:
        links.append(ScheduleLink(s.online_url, "Online", "web"))
    event: dict[str, Any] = {
        "guid": s.guid,
        "id": plan.ids[s.guid],
        **({"code": s.code} if _CODE_RE.match(s.code) else {}),
        "date": _iso(s.starts_at, zone),
        "start": s.starts_at.astimezone(zone).strftime("%H:%M"),
        "end": _iso(s.ends_at, zone),
        "duration": duration_text(s.starts_at, s.ends_at),
        "room": s.room,
        "slug": plan.slugs[s.guid],
        "url": s.url,
        "title": s.title,
        "subtitle": s.subtitle,
        "track": s.track,
        "type": s.type or s.kind,
        "language": _languages(s) or None,
        "abstract": s.abstract_source or s.abstract,
        "description": s.description,
        "persons": [_json_person(p) for p in s.persons],
        "links": _references(links),
        "attachments": _references(s.attachments),
    }
    if s.logo:
        event["logo"] = s.logo
    if s.do_not_record is not None:
        event["do_not_record"] = s.do_not_record
    if s.recording_license:
        event["recording_license"] = s.recording_license
    return event


def build_xml(schedule: Schedule) -> bytes:
    """schedule.xml as frab and pretalx write it (valid against voc/schedule's schedule.xml.xsd)."""
    zone = ZoneInfo(schedule.tzid)
    plan = _plan(schedule)
    E = etree.Element
    root = E("schedule")
    generator = etree.SubElement(root, "generator")
    generator.set("name", GENERATOR)
    generator.set("version", "1.0")
    etree.SubElement(root, "version").text = schedule.version
    conference = etree.SubElement(root, "conference")
    for tag, text in (
        ("title", schedule.title),
        ("acronym", plan.acronym),
        ("start", schedule.start.isoformat()),
        ("end", schedule.end.isoformat()),
        ("days", str(len(plan.days))),
        ("timeslot_duration", schedule.timeslot_duration or "00:05"),
    ):
        etree.SubElement(conference, tag).text = text
    if schedule.base_url.startswith(("https://", "http://")):
        etree.SubElement(conference, "base_url").text = schedule.base_url
    if schedule.url:
        etree.SubElement(conference, "url").text = schedule.url
    etree.SubElement(conference, "time_zone_name").text = schedule.tzid
    for track in schedule.tracks:
        element = etree.SubElement(conference, "track", name=track.name)
        if track.color and _COLOR_RE.match(track.color):
            element.set("color", track.color)
        if _TRACK_SLUG_RE.match(track.slug):
            element.set("slug", track.slug)
    room_guids = {r.name: r.guid for r in schedule.rooms}
    for index, (day, sessions, day_start, day_end) in enumerate(plan.days, start=1):
        day_el = etree.SubElement(
            root, "day", index=str(index), date=day.isoformat(), start=day_start.isoformat(), end=day_end.isoformat()
        )
        for room in _rooms_in_order(schedule, sessions):
            room_el = etree.SubElement(day_el, "room", name=room)
            room_guid = room_guids.get(room)
            if room_guid:
                room_el.set("guid", room_guid)
            for s in (s for s in sessions if s.room == room):
                _xml_event(room_el, s, plan, zone)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _xml_event(parent: etree._Element, s: ScheduleSession, plan: _Plan, zone: ZoneInfo) -> None:
    event = etree.SubElement(parent, "event", guid=s.guid, id=str(plan.ids[s.guid]))
    if _CODE_RE.match(s.code):
        event.set("code", s.code)
    for tag, text in (
        ("room", s.room),
        ("title", s.title),
        ("subtitle", s.subtitle),
        ("type", s.type or s.kind),
        ("date", _iso(s.starts_at, zone)),
        ("start", s.starts_at.astimezone(zone).strftime("%H:%M")),
        ("duration", duration_text(s.starts_at, s.ends_at)),
        ("abstract", s.abstract_source or s.abstract),
        ("slug", plan.slugs[s.guid]),
        ("track", s.track or ""),
        ("language", _languages(s)),
        ("description", s.description),
    ):
        etree.SubElement(event, tag).text = text
    if s.logo.startswith(("https://", "http://")):
        etree.SubElement(event, "logo").text = s.logo
    persons = etree.SubElement(event, "persons")
    for p in s.persons:
        person = etree.SubElement(persons, "person", guid=p.guid)
        if p.id is not None:
            person.set("id", str(p.id))
        person.text = p.name
    if s.do_not_record is not None or s.recording_license:
        recording = etree.SubElement(event, "recording")
        etree.SubElement(recording, "license").text = s.recording_license
        etree.SubElement(recording, "optout").text = "true" if s.do_not_record else "false"
    links = etree.SubElement(event, "links")
    for link in s.links:
        element = etree.SubElement(links, "link", href=link.url)
        if link.type:
            element.set("type", link.type)
        element.text = link.title
    if s.online_url and s.online_url not in {x.url for x in s.links}:
        etree.SubElement(links, "link", href=s.online_url, type="web").text = "Online"
    attachments = etree.SubElement(event, "attachments")
    for link in s.attachments:
        element = etree.SubElement(attachments, "attachment", href=link.url)
        if link.type:
            element.set("type", link.type)
        element.text = link.title
    if s.url.startswith(("https://", "http://")):
        etree.SubElement(event, "url").text = s.url


# --------------------------------------------------------------------------- import


class _TextOnly(HTMLParser):
    _BLOCKS = {"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"}

    _HIDDEN = {"script", "style", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self.hidden += 1
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:  # a script's or style's text is not text anyone reads
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


# Tags and attributes an abstract, description or biography may keep: text structure and links, nothing that runs,
# loads or styles. Everything else is unwrapped (its text kept); script, style and the like go with their content.
SAFE_TAGS = frozenset(
    {
        *("a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "hr", "i", "ins", "kbd"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "li", "ol", "p", "pre", "q", "s", "small", "span", "strong"),
        *("sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"),
    }
)
_DROP_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math", "head", "title"}
)
_SAFE_SCHEMES = ("https://", "http://", "mailto:")


def safe_html(value: str | None) -> str:
    """HTML from another tool made safe to show and to pass on, with lxml's HTML parser (libxml2) and an allow-list:
    SAFE_TAGS keep `href` (http, https, mailto only) and `title`; other tags are unwrapped, scripts and styles
    dropped with their content, comments dropped. Text without markup is returned as it is (Markdown, plain)."""
    if not value or not _HTML_RE.search(value):
        return value or ""
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(value, create_parent="div")
    except (etree.ParserError, ValueError):
        return plain_text(value)
    for element in list(root.iter()):
        if element is root:
            continue
        # comments and processing instructions have no string tag
        if not isinstance(element.tag, str) or element.tag.lower() in _DROP_WITH_CONTENT:
            element.drop_tree()
    for element in list(root.iter()):
        if element is root or not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        if tag not in SAFE_TAGS:
            element.drop_tag()
            continue
        for name in list(element.attrib):
            keep = name == "title" or (
                name == "href" and tag == "a" and element.get(name, "").strip().lower().startswith(_SAFE_SCHEMES)
            )
            if not keep:
                del element.attrib[name]
    body = etree.tostring(root, encoding="unicode", method="html")
    return body[len("<div>") : -len("</div>")] if body.startswith("<div>") else body


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


def start_disagreement(
    date_name: str, date_text: Any, start_name: str, start_text: Any, starts_at: datetime, zone: ZoneInfo
) -> str | None:
    """Why a session's `start` (local HH:MM) disagrees with the full date-time `date` it is read by, or None.

    A session is read by its date-time; its HH:MM start says the same in another way, and a file where they differ
    was edited in one place only (or written by a tool with a bug), so its organizer is warned, naming both times.
    The start agrees when it is the date-time's wall-clock time in the conference's zone (on that local day; either
    pass of a repeated hour, and a time in a skipped hour as the zone reads it), or as the date-time itself writes
    it (its own offset: pretalx names UTC as the zone of files whose times are written, and agree, at +01:00). A
    date only, no start, or a start that is not HH:MM says nothing to compare."""
    if not (isinstance(date_text, str) and isinstance(start_text, str) and start_text.strip()):
        return None
    date_text, start_text = date_text.strip(), start_text.strip()
    if not date_text or _DATE_ONLY_RE.match(date_text):
        return None
    parts = start_text.split(":")
    if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return None
    try:
        given = time(int(parts[0]), int(parts[1]))
        written = datetime.fromisoformat(date_text.replace("Z", "+00:00"))
    except ValueError:
        return None
    instant = starts_at.replace(second=0, microsecond=0)
    local = instant.astimezone(zone)
    # Compared in UTC: Python never finds a time of a repeated or skipped hour equal to one in another zone.
    readings = [
        datetime.combine(local.date(), given.replace(fold=fold), zone).astimezone(timezone.utc) for fold in (0, 1)
    ]
    if instant in readings or (written.hour, written.minute) == (given.hour, given.minute):
        return None
    return (
        f"{start_name} {start_text!r} disagrees with {date_name} {date_text!r}, which is {local:%H:%M} in "
        f"{zone.key}: the session is imported at {local:%H:%M} as {date_name} says; check the file"
    )


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


def _is_datetime(value: Any) -> bool:
    return isinstance(value, str) and re.match(r"^\s*\d{4}-\d{2}-\d{2}[T ]\d", value) is not None


def _source_id(value: Any) -> int | None:
    """A person's numeric id as an identity: a positive one (generators that know none write 0 for everyone)."""
    number = _int(value)
    return number if number is not None and number > 0 else None


def person_key(guid: str | None, numeric_id: Any, code: Any, name: str) -> str:
    """How the source identifies a person: its guid, else its numeric id, else its code, else its name. Only a guid
    means the same person everywhere; the others mean something only within one source (schedule_exchange scopes
    them to the event)."""
    if guid:
        return f"guid:{guid}"
    if _source_id(numeric_id) is not None:
        return f"id:{_source_id(numeric_id)}"
    if code:
        return f"code:{code}"
    return f"name:{name.lower()}"


def _person(
    name: str, role: str | None, guid: Any, numeric_id: Any, code: Any, organization: str, bio: str
) -> SchedulePerson:
    source_guid = _optional_guid(str(guid)) if guid else None
    key = person_key(source_guid, numeric_id, str(code or ""), name)
    return SchedulePerson(
        source_guid or str(uuid.uuid5(_NAMESPACE, f"person|{key}")),
        name,
        role=role,
        organization=organization,
        id=_source_id(numeric_id),
        source_guid=source_guid,
        code=str(code or ""),
        biography=safe_html(bio),
        key=key,
    )


_NUL_MARK = "\ue000"


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _session_label(guid: Any, numeric_id: Any, title: Any) -> str:
    parts = [f"guid={guid}" if guid else (f"id={numeric_id}" if numeric_id else "")]
    if title:
        parts.append(repr(str(title).replace(_NUL_MARK, "")[:60]))
    return " ".join(p for p in parts if p)


def _xml_event_before(data: bytes, line: int) -> str:
    """The session (guid, id, title) whose <event> opens last before `line` of an XML file: where a problem that
    stopped parsing sits."""
    text = data.decode("utf-8", "replace").split("\n")[:line]
    chunk = "\n".join(text)
    start = chunk.rfind("<event")
    if start < 0:
        return ""
    tag = re.match(r"<event\b([^>]*)>", chunk[start:])
    attrs = dict(re.findall(r'(\w+)="([^"]*)"', tag.group(1))) if tag else {}
    title = re.search(r"<title>([^<]*)", chunk[start:])
    label = _session_label(attrs.get("guid"), attrs.get("id"), title.group(1) if title else "")
    return f" in session {label}" if label else " in a session"


def _nul_problems(data: bytes, is_json: bool) -> list[tuple[str, str]]:
    """Where NUL characters sit: each one named by line, JSON path or element, and the session holding it."""
    first = data.index(b"\x00")
    message = "contains a NUL character (U+0000), which no text may hold: remove it from the file"
    marked = data.replace(b"\x00", _NUL_MARK.encode())
    problems: list[tuple[str, str]] = []
    if is_json:
        try:
            document = json.loads(marked)
        except (ValueError, RecursionError):
            return [(f"line {_line_of(data, first)}", message)]

        def walk(node: Any, path: str, session: dict[str, Any] | None) -> None:
            if isinstance(node, dict):
                if "title" in node and ("guid" in node or "date" in node or "start" in node):
                    session = node
                for k, v in node.items():
                    # room names are data, not field names: written as parse_json names them, rooms['Hall A']
                    plain = str(k).isidentifier() and not path.endswith(".rooms")
                    walk(v, f"{path}.{k}" if plain else f"{path}[{k!r}]", session)
                    if _NUL_MARK in str(k):
                        problems.append((path, message))
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, f"{path}[{i}]", session)
            elif isinstance(node, str) and _NUL_MARK in node:
                where = path
                if session is not None:
                    where += (
                        f" (session {_session_label(session.get('guid'), session.get('id'), session.get('title'))})"
                    )
                problems.append((where, message))

        walk(document, "$", None)
    else:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        try:
            root = etree.fromstring(marked, parser)
        except etree.XMLSyntaxError:
            return [(f"line {_line_of(data, first)}{_xml_event_before(data, _line_of(data, first))}", message)]
        for element in root.iter():
            values = [element.text or "", element.tail or "", *element.attrib.values()]
            if not any(_NUL_MARK in v for v in values):
                continue
            event = element if element.tag == "event" else next(element.iterancestors("event"), None)
            where = f"line {element.sourceline} (<{element.tag!s}>)"
            if event is not None:
                label = _session_label(event.get("guid"), event.get("id"), event.findtext("title"))
                where += f" in session {label}"
            problems.append((where, message))
    return problems[:MAX_ERRORS] or [(f"line {_line_of(data, first)}", message)]


def _as_utf8(data: bytes) -> bytes:
    """A file saved as UTF-16 or UTF-32 (with its byte order mark, as Windows tools write them) as UTF-8, its XML
    declaration's encoding dropped; any other file as it is. Its zero bytes are not NUL characters."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                problem = f"not {codec.upper()} text as its byte order mark says"
                raise ScheduleFormatError([("body", problem)]) from None
            text = re.sub(r"""^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*["'][^"']*["']""", r"\1", text)
            return text.encode("utf-8")
    return data


def parse(data: bytes, content_type: str = "", default_tzid: str = "UTC") -> Schedule:
    """Read schedule.xml or schedule.json (chosen by content type, else by the first character), its text repaired
    by the one text rule (repair_text_of). Times of a file that names no zone are read in `default_tzid` (the
    event's). A NUL character is refused, naming where it sits: it is a broken file, not a typo to repair."""
    data = _as_utf8(data)
    head = data.removeprefix(codecs.BOM_UTF8).lstrip()[:1]
    is_json = "json" in content_type or head in (b"{", b"[")
    if not is_json and not ("xml" in content_type or head == b"<"):
        raise ScheduleFormatError([("body", "neither schedule.xml nor schedule.json: send one of them")])
    if b"\x00" in data:
        raise ScheduleFormatError(_nul_problems(data, is_json))
    if is_json:
        return repair_text_of(parse_json(data, default_tzid))
    return repair_text_of(parse_xml(data, default_tzid))


def absolute_url(url: str, base_url: str) -> str:
    """A link as an absolute URI (what both exports promise): a path relative to the conference's base URL is
    joined to it, a second '#' and spaces are percent-encoded; '' when it cannot be made one (a relative path
    without a base URL, another scheme than http(s), mailto or ftp)."""
    url = url.strip()
    if not url:
        return ""
    if "://" not in url and not url.lower().startswith("mailto:"):
        if not base_url.startswith(("https://", "http://")):
            return ""
        url = urljoin(base_url, url)
    scheme = url.split(":", 1)[0].lower()
    if scheme not in ("https", "http", "mailto", "ftp"):
        return ""
    head, hash_, fragment = url.partition("#")
    url = head + (hash_ + fragment.replace("#", "%23") if hash_ else "")
    return url.replace(" ", "%20")


def repair_text_of(schedule: Schedule) -> Schedule:
    """A file someone else produced is repaired, not refused (domain.text): control characters in names and
    titles become spaces, line ends in abstracts become LF. Room and track names are repaired alike in the lists
    and in the sessions, so they still match. Changes the schedule in place and returns it."""
    schedule.title, schedule.acronym, schedule.version = (
        repair_line(schedule.title),
        repair_line(schedule.acronym),
        repair_line(schedule.version),
    )
    schedule.subtitle, schedule.venue, schedule.city = (
        repair_line(schedule.subtitle),
        repair_line(schedule.venue),
        repair_line(schedule.city),
    )
    schedule.url, schedule.base_url = repair_line(schedule.url), repair_line(schedule.base_url)
    schedule.timeslot_duration = repair_line(schedule.timeslot_duration)
    for room in schedule.rooms:
        room.name, room.description = repair_line(room.name), repair_text(room.description)
    for track in schedule.tracks:
        track.name, track.slug = repair_line(track.name), repair_line(track.slug)
        track.color = repair_line(track.color) if track.color is not None else None
    for s in schedule.sessions:
        s.title, s.room, s.language = repair_line(s.title), repair_line(s.room), repair_line(s.language)
        s.track = repair_line(s.track) or None if s.track is not None else None
        s.abstract, s.online_url, s.url = repair_text(s.abstract), repair_line(s.online_url), repair_line(s.url)
        s.subtitle, s.type, s.slug = repair_line(s.subtitle), repair_line(s.type), repair_line(s.slug)
        s.abstract_source, s.description = repair_text(s.abstract_source), repair_text(s.description)
        s.languages = repair_line(s.languages) if s.languages is not None else None
        s.recording_license, s.logo, s.code = repair_line(s.recording_license), repair_line(s.logo), repair_line(s.code)
        for link in (*s.links, *s.attachments):
            link.url, link.title, link.type = repair_line(link.url), repair_line(link.title), repair_line(link.type)
            link.url = absolute_url(link.url, schedule.base_url)
        s.links = [x for x in s.links if x.url]
        s.attachments = [x for x in s.attachments if x.url]
        for p in s.persons:
            p.name, p.organization = repair_line(p.name), repair_line(p.organization)
            p.biography, p.code = repair_text(p.biography), repair_line(p.code)
            p.key = person_key(p.source_guid, p.id, p.code, p.name)  # from the repaired name and code
        s.persons = [p for p in s.persons if p.name]
    schedule.tracks = [t for t in schedule.tracks if t.name]
    return schedule


def _day_change(value: str | None) -> time | None:
    if not value or not value.strip():
        return None
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        return None


def _zone(tzid: str | None, default_tzid: str) -> tuple[ZoneInfo, str, bool]:
    """The file's zone (None when it names none: the event's is used); raises ValueError for an unknown name."""
    if tzid and str(tzid).strip():
        name = str(tzid).strip()
        try:
            return ZoneInfo(name), name, True
        except Exception:
            raise ValueError(f"unknown time zone {name!r}") from None
    return ZoneInfo(default_tzid), default_tzid, False


def parse_xml(data: bytes, default_tzid: str = "UTC") -> Schedule:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True, load_dtd=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (0, 0)
        where = f"line {line}, column {column}"
        raise ScheduleFormatError([(where, f"not well-formed XML{_xml_event_before(data, line)}: {exc.msg}")]) from None
    if root.tag != "schedule":
        raise ScheduleFormatError(
            [
                (
                    f"line {root.sourceline}",
                    f"the root element is <{str(root.tag)}>, expected <schedule>: export the programme as frab's "
                    "schedule.xml or schedule.json",
                )
            ]
        )
    problems: list[tuple[str, str]] = []
    conference = root.find("conference")
    if conference is None:
        raise ScheduleFormatError(
            [
                (
                    f"line {root.sourceline}",
                    "<conference> is missing: this is not a frab schedule.xml; export the programme from your tool "
                    "as frab's schedule.xml or schedule.json (pretalx, frab and the hub write them)",
                )
            ]
        )
    try:
        zone, tzid, tz_given = _zone(conference.findtext("time_zone_name"), default_tzid)
    except ValueError as exc:
        problems.append((_where(conference.find("time_zone_name")), str(exc)))
        zone, tzid, tz_given = ZoneInfo("UTC"), "UTC", True
    tracks: dict[str, ScheduleTrack] = {}
    for t in [*conference.findall("track"), *root.findall("tracks/track")]:
        name = (t.get("name") or t.text or "").strip()
        if name and name not in tracks:
            tracks[name] = ScheduleTrack(name, t.get("slug") or "", t.get("color"))
    sessions: list[ScheduleSession] = []
    rooms: dict[str, ScheduleRoom] = {}
    for room in [*root.iterfind("day/room"), *root.iterfind("rooms/room"), *conference.iterfind("rooms/room")]:
        room_name = (room.get("name") or room.text or "").strip()
        if room_name and room_name not in rooms:
            rooms[room_name] = ScheduleRoom(room_name, _optional_guid(room.get("guid")))
    explicit = _day_change(conference.findtext("day_change"))
    day_change = explicit or _day_change_from_starts([d.get("start") for d in root.iter("day")], zone)
    night_marks: list[datetime] = []
    warnings: list[tuple[str, str]] = []
    for day in root.iter("day"):
        day_start = None
        if day_change is not None and day.get("date"):  # a start before the day change is that night's
            try:
                day_start = datetime.combine(date.fromisoformat(day.get("date", "")[:10]), day_change, zone)
            except ValueError:
                day_start = None
        start = day.get("start")
        if start:
            try:
                day_start = _aware(start, zone)
            except ValueError:
                problems.append((_where(day), f"day start {start!r} is not a date-time"))
        if day_start is None and day.get("date"):
            day_start = _night_aware_start(day, zone)
            if day_start is not None:  # its night ends by 05:00: the day changes then
                night_marks.append(datetime.combine(day_start.date(), NIGHT_ENDS, zone))
        for room in day.findall("room"):
            room_name = (room.get("name") or "").strip()
            if room_name and room.get("guid") and not rooms[room_name].guid:
                rooms[room_name].guid = _optional_guid(room.get("guid"))
            for event in room.findall("event"):
                try:
                    session = _xml_session(event, day, day_start, room_name, zone)
                    session.day = _day_of(day.get("date"))
                    if session.room not in rooms:
                        raise ValueError(
                            f"<room> {session.room!r} is not one of the file's rooms: use the name of a <room> of a day"
                        )
                    sessions.append(session)
                    date_text, start_text = event.findtext("date"), event.findtext("start")
                    note = start_disagreement("<date>", date_text, "<start>", start_text, session.starts_at, zone)
                    if note:
                        warnings.append((_where(event), note))
                except (ValueError, TypeError) as exc:
                    problems.append((_where(event), str(exc)))
                if len(problems) >= MAX_ERRORS:
                    break
    if problems:
        raise ScheduleFormatError(problems)
    _unique_derived_guids(sessions)
    parsed = Schedule(
        title=(conference.findtext("title") or "").strip(),
        acronym=(conference.findtext("acronym") or "").strip(),
        tzid=tzid,
        start=_date_of(conference.findtext("start"), sessions, zone, first=True),
        end=_date_of(conference.findtext("end"), sessions, zone, first=False),
        version=(root.findtext("version") or "").strip(),
        sessions=sessions,
        rooms=list(rooms.values()),
        tracks=list(tracks.values()),
        url=(conference.findtext("url") or "").strip(),
        day_change=day_change,
        subtitle=(conference.findtext("subtitle") or "").strip(),
        venue=(conference.findtext("venue") or "").strip(),
        city=(conference.findtext("city") or "").strip(),
        base_url=(conference.findtext("base_url") or "").strip(),
        timeslot_duration=(conference.findtext("timeslot_duration") or "").strip(),
        tz_given=tz_given,
        days=_day_dates([d.get("date") for d in root.iter("day")]),
        warnings=warnings,
    )
    days = list(root.iter("day"))
    return _with_day_change(
        parsed,
        explicit,
        _marks([(d.get("date"), d.get("start")) for d in days] + [(d.get("date"), d.get("end")) for d in days], zone)
        + night_marks,
    )


NIGHT_ENDS = time(5)  # sessions of a day before this, hours after its others, are that night's


def _night_aware_start(day: etree._Element, zone: ZoneInfo) -> datetime | None:
    """When a day of a file that says neither its start nor its day change begins (old exports give sessions only
    HH:MM on their day): at its first start from 05:00, when it also has sessions before 05:00 that end at least
    three hours before it (10:00 to 23:30 with 00:45 and 01:30 that night: it begins at 10:00, 00:45 is the next
    date). None: at the first start, as given."""
    minutes = set()
    for text in day.xpath("room/event/start/text()"):
        match = re.match(r"^\s*(\d{1,2}):(\d{2})", str(text))
        if match and int(match.group(1)) < 24 and int(match.group(2)) < 60:
            minutes.add(int(match.group(1)) * 60 + int(match.group(2)))
    turn = NIGHT_ENDS.hour * 60
    night = [m for m in minutes if m < turn]
    daytime = [m for m in minutes if m >= turn]
    if not night or not daytime or min(daytime) - max(night) < 3 * 60:
        return None
    try:
        day_date = date.fromisoformat(str(day.get("date")).strip()[:10])
    except ValueError:
        return None
    begin = min(daytime)
    return datetime.combine(day_date, time(begin // 60, begin % 60), zone)


def _day_of(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value).strip()[:10]) if value else None
    except ValueError:
        return None


def _with_day_change(schedule: Schedule, explicit: time | None, marks: list[datetime]) -> Schedule:
    """The file's day change: the one it names (our own exports), else the one of its days' starts and ends that
    fits its days best (fit_day_change). The marks are kept to fit the day change to another zone."""
    zone = ZoneInfo(schedule.tzid)
    first = schedule.days[0] if schedule.days else schedule.start
    schedule.day_marks = ([datetime.combine(first, explicit, zone)] if explicit else []) + marks
    schedule.day_change = explicit or fit_day_change(schedule)
    return schedule


def _day_dates(values: list[Any]) -> list[date]:
    """The dates of a file's days, in order, once each (unreadable ones left out)."""
    out: list[date] = []
    for value in values:
        try:
            day = date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            continue
        if day not in out:
            out.append(day)
    return out


def _unique_derived_guids(sessions: list[ScheduleSession]) -> None:
    """Sessions without a guid are keyed on their numeric id (so a moved session stays the same session); where
    an id repeats in a file, the first session with it keeps that key (a later version of the file that adds a
    second one does not turn the first into another session) and the others take the fuller derivation (id,
    start, room, title)."""
    seen: dict[str, int] = {}
    for s in sessions:
        seen[s.guid] = seen.get(s.guid, 0) + 1
    kept: set[str] = set()
    for s in sessions:
        if seen[s.guid] > 1 and s.guid not in kept and s.guid == _derived_session_guid(s.id):
            kept.add(s.guid)
            continue
        if seen[s.guid] > 1 and s.guid == _derived_session_guid(s.id):
            s.guid = str(
                uuid.uuid5(_NAMESPACE, "|".join(map(str, ("session", s.id, s.starts_at.isoformat(), s.room, s.title))))
            )


def _derived_session_guid(numeric_id: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"session:{numeric_id}"))


def _session_guid(value: Any, numeric_id: int, *fallback: Any) -> str:
    if value:
        return _guid(str(value), *fallback)
    if numeric_id:
        return _derived_session_guid(numeric_id)
    return _guid(None, *fallback)


def _where(element: etree._Element | None) -> str:
    if element is None:
        return "schedule.xml"
    label = str(element.tag)
    guid = element.get("guid")
    if guid:
        label += f" guid={guid}"
    elif element.get("id"):
        label += f" id={element.get('id')}"
    where = f"line {element.sourceline} (<{label}>"
    title = element.findtext("title") if element.tag == "event" else None
    return where + (f" {title.strip()[:60]!r})" if title and title.strip() else ")")


def _optional_guid(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(value)) if value else None
    except ValueError:
        return None


def _date_of(value: Any, sessions: list[ScheduleSession], zone: ZoneInfo, first: bool) -> date:
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    if sessions:
        pick = min if first else max
        return pick(s.starts_at for s in sessions).astimezone(zone).date()
    return date.today()


def _languages_given(value: Any) -> tuple[str, str]:
    """(as given, our language): 'de, en' -> ('de, en', 'de'); none -> ('', '')."""
    given = str(value).strip() if value else ""
    for part in re.split(r"[,;/\s]+", given):
        code = part.strip()
        if LANGUAGE_RE_LOOSE.match(code):
            # BCP 47's usual case: the language in lower case, a two-letter region in upper case (EN-GB -> en-GB)
            language, _, rest = code.partition("-")
            region = rest.upper() if len(rest) == 2 else rest
            return given, language.lower() + (f"-{region}" if rest else "")
    return given, ""


LANGUAGE_RE_LOOSE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def _xml_links(event: etree._Element, path: str) -> list[ScheduleLink]:
    """Links as <link href type>title</link>, with <title> and <type> inside (as the hub writes them), or as a
    bare URL for text (<link>https://...</link>, as some wikis write them)."""
    links = []
    for a in event.iterfind(path):
        text = (a.text or "").strip()
        href = (a.get("href") or "").strip() or (text if text.startswith(("https://", "http://")) else "")
        if href:
            title = text or (a.findtext("title") or "").strip()
            links.append(ScheduleLink(href, title, (a.get("type") or "").strip() or (a.findtext("type") or "").strip()))
    return links


def _online(links: list[ScheduleLink]) -> str:
    return next((x.url for x in links if x.url.startswith(("https://", "http://")) and "online" in x.title.lower()), "")


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
    for p in (*event.iterfind("persons/person"), *event.iterfind("person")):  # some generators leave out <persons>
        name = (p.text or "").strip()
        if name:
            persons.append(_person(name, None, p.get("guid"), p.get("id"), p.get("code"), "", ""))
    links = _xml_links(event, "links/link")
    numeric_id = _int(event.get("id")) or 0
    languages, language = _languages_given(event.findtext("language"))
    abstract = event.findtext("abstract") or ""
    description = event.findtext("description") or ""
    recording = event.find("recording")
    optout = (recording.findtext("optout") or "").strip().lower() if recording is not None else ""
    return ScheduleSession(
        guid=_session_guid(
            event.get("guid"), numeric_id, "session", numeric_id, starts_at.isoformat(), room_name, title
        ),
        id=numeric_id,
        title=title[:300],
        kind=kind_of(event.findtext("type")),
        starts_at=starts_at,
        ends_at=starts_at + duration,
        room=(event.findtext("room") or room_name).strip() or room_name,
        track=(event.findtext("track") or "").strip() or None,
        language=language,
        abstract=plain_text(abstract or description),
        online_url=_online(links),
        url=(event.findtext("url") or "").strip(),
        persons=persons,
        type=(event.findtext("type") or "").strip(),
        languages=languages,
        subtitle=(event.findtext("subtitle") or "").strip(),
        abstract_source=safe_html(abstract),
        description=safe_html(description),
        slug=(event.findtext("slug") or "").strip(),
        links=links,
        attachments=_xml_links(event, "attachments/attachment"),
        do_not_record=None if not optout else optout == "true",
        recording_license=(recording.findtext("license") or "").strip() if recording is not None else "",
        logo=(event.findtext("logo") or "").strip(),
        code=(event.get("code") or event.findtext("code") or "").strip(),
    )


def parse_json(data: bytes, default_tzid: str = "UTC") -> Schedule:
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
        # some generators write the schedule's content bare: {"version": ..., "conference": {...}}
        schedule = document if isinstance(document, dict) and isinstance(document.get("conference"), dict) else {}
    conference = schedule.get("conference")
    if not isinstance(conference, dict):
        raise ScheduleFormatError(
            [
                (
                    "schedule.conference",
                    'missing: expected {"schedule": {"conference": {...}}}; this is not a frab schedule.json (a '
                    "pretalx widget or API file, say): export the programme as schedule.json or schedule.xml",
                )
            ]
        )
    try:
        zone, tzid, tz_given = _zone(
            conference.get("time_zone_name")
            or (conference["meta"].get("time_zone_name") if isinstance(conference.get("meta"), dict) else None),
            default_tzid,
        )
    except ValueError as exc:
        raise ScheduleFormatError([("schedule.conference.time_zone_name", str(exc))]) from None
    days = conference.get("days")
    if not isinstance(days, list):
        raise ScheduleFormatError([("schedule.conference.days", "missing or not a list")])
    rooms: dict[str, ScheduleRoom] = {}
    given_rooms: list[Any] = conference["rooms"] if isinstance(conference.get("rooms"), list) else []
    for r in given_rooms:
        if isinstance(r, dict) and _text(r.get("name")).strip():
            rooms.setdefault(
                _text(r.get("name")).strip(),
                ScheduleRoom(
                    _text(r.get("name")).strip(),
                    _optional_guid(_text(r.get("guid"))),
                    _int(r.get("capacity")),
                    _text(r.get("description")),
                ),
            )
    for day in days:
        if isinstance(day, dict) and isinstance(day.get("rooms"), dict):
            for room_name in day["rooms"]:
                rooms.setdefault(room_name, ScheduleRoom(room_name))
    given_tracks: list[Any] = conference["tracks"] if isinstance(conference.get("tracks"), list) else []
    tracks = [
        ScheduleTrack(_text(t.get("name")).strip(), _text(t.get("slug")).strip(), _track_color(t))
        for t in given_tracks
        if isinstance(t, dict) and _text(t.get("name")).strip()
    ]
    meta: dict[str, Any] = conference["meta"] if isinstance(conference.get("meta"), dict) else {}
    sessions: list[ScheduleSession] = []
    warnings: list[tuple[str, str]] = []
    flat = schedule.get("events")  # schedule.json version 2 (the hub's): events beside the days, not in them
    if isinstance(flat, list):
        sessions += _json_v2_sessions(
            flat, schedule.get("persons"), conference, days, rooms, tracks, zone, problems, warnings
        )
    for i, day in enumerate(days):
        where_day = f"schedule.conference.days[{i}]"
        if isinstance(flat, list) and isinstance(day, dict) and day.get("rooms") is None:
            continue
        if not isinstance(day, dict) or not isinstance(day.get("rooms"), dict):
            problems.append((where_day, "expected an object with 'rooms'"))
            continue
        for room_name, events in day["rooms"].items():
            if not isinstance(events, list):
                problems.append((f"{where_day}.rooms[{room_name!r}]", "expected a list of events"))
                continue
            for j, event in enumerate(events):
                where = f"{where_day}.rooms[{room_name!r}][{j}]"
                try:
                    session = _json_session(event, day, room_name, zone)
                    session.day = _day_of(day.get("date"))
                    if session.room not in rooms:
                        raise ValueError(f"'room' {session.room!r} is not one of the file's rooms")
                    sessions.append(session)
                    _note_start(event, session, where, zone, warnings)
                except (ValueError, TypeError, AttributeError, KeyError) as exc:
                    problems.append(_session_problem(where, event, exc))
                if len(problems) >= MAX_ERRORS:
                    raise ScheduleFormatError(problems)
    if problems:
        raise ScheduleFormatError(problems)
    _unique_derived_guids(sessions)
    parsed = Schedule(
        title=str(conference.get("title") or ""),
        acronym=str(meta.get("acronym") or conference.get("acronym") or ""),
        tzid=tzid,
        start=_date_of(conference.get("start"), sessions, zone, first=True),
        end=_date_of(conference.get("end"), sessions, zone, first=False),
        version=str(schedule.get("version") or ""),
        sessions=sessions,
        rooms=list(rooms.values()),
        tracks=tracks,
        url=str(conference.get("url") or ""),
        subtitle=str(meta.get("subtitle") or ""),
        venue=str(meta.get("venue") or ""),
        city=str(meta.get("city") or ""),
        base_url=str(schedule.get("base_url") or meta.get("base_url") or ""),
        timeslot_duration=str(conference.get("timeslot_duration") or ""),
        tz_given=tz_given,
        days=_day_dates([d.get("date") for d in days if isinstance(d, dict)]),
        warnings=warnings,
    )
    given = [d for d in days if isinstance(d, dict)]
    return _with_day_change(
        parsed,
        _day_change(meta.get("day_change")),
        _marks(
            [(d.get("date"), d.get("day_start") or d.get("start")) for d in given]
            + [(d.get("date"), d.get("day_end") or d.get("end")) for d in given],
            zone,
        ),
    )


def _json_where(where: str, event: Any) -> str:
    """Where a JSON event sits, with its guid, id or title when it has them."""
    if isinstance(event, dict):
        where += f" (session {_session_label(event.get('guid'), event.get('id'), event.get('title'))})"
    return where


def _session_problem(where: str, event: Any, exc: Exception) -> tuple[str, str]:
    """Where a JSON event that cannot be read sits, and why."""
    return _json_where(where, event), str(exc)


def _note_start(
    event: dict[str, Any], session: ScheduleSession, where: str, zone: ZoneInfo, warnings: list[tuple[str, str]]
) -> None:
    """A JSON event read by its 'date' whose 'start' says another time: a warning (start_disagreement)."""
    note = start_disagreement("'date'", event.get("date"), "'start'", event.get("start"), session.starts_at, zone)
    if note:
        warnings.append((_json_where(where, event), note))


def _track_color(track: dict[str, Any]) -> str | None:
    """A track's colour: "color", or the light one of version 2's "colors" ({"light": ..., "dark": ...})."""
    colors = track.get("colors")
    color = track.get("color") or (colors.get("light") if isinstance(colors, dict) else None)
    return _text(color).strip() or None


def _text(value: Any) -> str:
    """A file's text where another tool may write a number, null or a translated text ({"en": ..., "de": ...}):
    the text, the English (else first) translation, or ''."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        texts = [v for v in (value.get("en"), *value.values()) if isinstance(v, str) and v.strip()]
        return texts[0] if texts else ""
    return ""


def _json_v2_sessions(
    events: list[Any],
    people: Any,
    conference: dict[str, Any],
    days: list[Any],
    rooms: dict[str, ScheduleRoom],
    tracks: list[ScheduleTrack],
    zone: ZoneInfo,
    problems: list[tuple[str, str]],
    warnings: list[tuple[str, str]],
) -> list[ScheduleSession]:
    """schedule.json version 2 (the hub's schema2: events in one list beside the days, room and track as objects,
    `participants`, people's biographies in schedule.persons): each event read as a version-1 one, on the file's
    day whose window holds its start."""
    biographies = (
        {str(p["guid"]): p for p in people if isinstance(p, dict) and p.get("guid")} if isinstance(people, list) else {}
    )
    room_names = {r.guid: r.name for r in rooms.values() if r.guid}
    track_names = {t.slug: t.name for t in tracks if t.slug}
    windows = []
    for day in days:
        if isinstance(day, dict):
            try:
                begin, end = (
                    _aware(str(day.get("start") or day.get("day_start")), zone),
                    _aware(str(day.get("end") or day.get("day_end")), zone),
                )
            except ValueError:
                continue
            windows.append((begin, end, day))
    sessions = []
    for j, event in enumerate(events):
        where = f"schedule.events[{j}]"
        try:
            if not isinstance(event, dict):
                raise TypeError("expected an event object")
            room = event.get("room")
            if isinstance(room, dict):
                name = _text(room.get("name")).strip() or room_names.get(_optional_guid(_text(room.get("guid"))) or "")
                room = name or ""
            room = _text(room).strip()
            if not room:
                raise ValueError("'room' is missing")
            rooms.setdefault(room, ScheduleRoom(room))
            track = event.get("track")
            if isinstance(track, dict):
                track = _text(track.get("name")).strip() or track_names.get(_text(track.get("slug")).strip(), "")
            persons = []
            for p in event.get("participants") or event.get("persons") or []:
                if isinstance(p, dict):
                    known = biographies.get(str(p.get("guid")), {})
                    persons.append({**known, **{k: v for k, v in p.items() if v not in (None, "")}})
            start = event.get("start") if "T" in str(event.get("start") or "") else event.get("date")
            v1 = {**event, "date": start, "room": room, "track": track or None, "persons": persons}
            if not isinstance(v1.get("start"), str) or "T" in v1["start"]:
                v1.pop("start", None)
            starts_at = _aware(str(start), zone) if isinstance(start, str) and start.strip() else None
            day = next((d for b, e, d in windows if starts_at is not None and b <= starts_at < e), {})
            session = _json_session(v1, day, room, zone)
            session.day = _day_of(day.get("date"))
            sessions.append(session)
            _note_start(v1, session, where, zone, warnings)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            problems.append(_session_problem(where, event, exc))
        if len(problems) >= MAX_ERRORS:
            raise ScheduleFormatError(problems)
    return sessions


def _day_change_from_starts(starts: list[Any], zone: ZoneInfo) -> time | None:
    """A file that does not name its day change shows it by its days' starts (frab: 09:00 with the night on the
    same day; pretalx: 04:00; our own exports: the day change): the wall-clock time of the first day's start, when
    it is not midnight."""
    for value in starts:
        if isinstance(value, str) and value.strip():
            try:
                parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                return None
            local = (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).astimezone(zone).time()
            return local if local != time(0) else None
    return None


def _json_links(value: Any) -> list[ScheduleLink]:
    return [
        ScheduleLink(
            str(a.get("url") or "").strip(), str(a.get("title") or "").strip(), str(a.get("type") or "").strip()
        )
        for a in value or []
        if isinstance(a, dict) and str(a.get("url") or "").strip()
    ]


def _json_session(event: Any, day: dict[str, Any], room_name: str, zone: ZoneInfo) -> ScheduleSession:
    if not isinstance(event, dict):
        raise TypeError("expected an event object")
    title = _text(event.get("title")).strip()
    if not title:
        raise ValueError("'title' is missing or empty")
    date_text = event.get("date")
    if not (isinstance(date_text, str) and date_text.strip()) and _is_datetime(event.get("start")):
        date_text = event["start"]  # 'start' as a full date-time, without 'date'
    if isinstance(date_text, str) and date_text.strip() and not _DATE_ONLY_RE.match(date_text.strip()):
        try:
            starts_at = _aware(date_text, zone)
        except ValueError:
            raise ValueError(f"'date' {date_text!r} is not a date-time like 2027-05-18T09:00:00+02:00") from None
    elif isinstance(event.get("start"), str) and day.get("date"):
        try:
            day_start = _aware(str(day["day_start"]), zone) if day.get("day_start") else None
        except ValueError:
            day_start = None  # the session's own start still says when it is
        try:
            starts_at = _start_from_day(str(day["date"]), event["start"], day_start, zone)
        except ValueError:
            raise ValueError(f"'start' {event['start']!r} is not HH:MM on the day's date {day['date']!r}") from None
    else:
        raise ValueError("'date' (a date-time) is missing")
    if isinstance(event.get("end"), str) and event["end"].strip() and not _DATE_ONLY_RE.match(event["end"].strip()):
        try:
            ends_at = _aware(event["end"], zone)
        except ValueError:
            raise ValueError(f"'end' {event['end']!r} is not a date-time like 2027-05-18T10:00:00+02:00") from None
    elif isinstance(event.get("duration"), str):
        ends_at = starts_at + _duration(event["duration"])
    elif isinstance(event.get("duration"), int) and not isinstance(event.get("duration"), bool):
        ends_at = starts_at + timedelta(minutes=event["duration"])  # minutes, as some tools write it
    else:
        raise ValueError("neither 'duration' (HH:MM) nor 'end'")
    if ends_at <= starts_at:
        raise ValueError("the session must end after it starts")
    persons = []
    given = event.get("persons") or event.get("participants") or []
    for p in given if isinstance(given, list) else []:
        if not isinstance(p, dict):
            continue
        name = _text(p.get("name") or p.get("public_name") or p.get("full_public_name")).strip()
        if name:
            persons.append(
                _person(
                    name,
                    p.get("role") if p.get("role") in ("speaker", "moderator", "panelist") else None,
                    p.get("guid"),
                    p.get("id"),
                    p.get("code"),
                    _text(p.get("organization")),
                    _text(p.get("biography")),
                )
            )
    links = _json_links(event.get("links"))
    numeric_id = _int(event.get("id")) or 0
    track = event.get("track")
    if isinstance(track, dict):  # {"name": ..., "slug": ...} as some tools write it
        track = track.get("name") or track.get("slug")
    track = _text(track).strip()
    language = event.get("language")
    if isinstance(language, list):  # ["de", "en"]
        language = ", ".join(x for x in language if isinstance(x, str))
    languages, language = _languages_given(_text(language))
    abstract = _text(event.get("abstract"))
    description = _text(event.get("description"))
    room = event.get("room")
    room = _text(room.get("name") if isinstance(room, dict) else room).strip() or room_name
    logo = event.get("logo")
    logo = _text(logo.get("url") if isinstance(logo, dict) else logo).strip()
    do_not_record = event.get("do_not_record")
    return ScheduleSession(
        guid=_session_guid(
            event.get("guid"), numeric_id, "session", numeric_id, starts_at.isoformat(), room_name, title
        ),
        id=numeric_id,
        title=title[:300],
        kind=kind_of(_text(event.get("type"))),
        starts_at=starts_at,
        ends_at=ends_at,
        room=room,
        track=track or None,
        language=language,
        abstract=plain_text(abstract or description),
        online_url=_online(links),
        url=_text(event.get("url")).strip(),
        persons=persons,
        type=_text(event.get("type")).strip(),
        languages=languages,
        subtitle=_text(event.get("subtitle")),
        abstract_source=safe_html(abstract),
        description=safe_html(description),
        slug=_text(event.get("slug")).strip(),
        links=links,
        attachments=_json_links(event.get("attachments")),
        do_not_record=do_not_record if isinstance(do_not_record, bool) else None,
        recording_license=_text(event.get("recording_license")),
        logo=logo,
        code=_text(event.get("code")).strip(),
    )
