"""Rules of the congress agenda: what a valid session is, which sessions conflict, how a booking is decided,
which changes make calendar copies outdated, and how a session becomes a calendar item. Pure: no I/O."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from events_app.domain.errors import FieldError
from events_app.domain.ical import CalendarItem
from events_app.domain.registration import seat_free, seats_left
from events_app.domain.timespan import ranges_overlap
from events_app.domain.vocab import SessionKind, SessionRole, country_name

SESSION_KINDS = tuple(SessionKind)
ROLES = tuple(SessionRole)
SESSION_STATUSES = ("draft", "published", "cancelled")
BOOKING_STATUSES = ("booked", "waitlisted", "cancelled")

# A move in time or room, or a change of status: the conflict rules run again. (Whether people's calendar copies are
# outdated is decided by domain.invite_shows, over everything the session's invite shows.)
CALENDAR_FIELDS = ("starts_at", "ends_at", "room_id", "status")
LOGGED_FIELDS = (
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

MAX_SESSION_LENGTH = timedelta(hours=24)
TRACK_SLUG_RE = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
COLOR_RE = re.compile(r"^#[0-9a-f]{6}$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


# --------------------------------------------------------------------------- times in the event's zone


def localize_strict(value: datetime | None, tzid: str, name: str) -> tuple[datetime | None, FieldError | None]:
    """A time with an offset is that instant; one without is wall-clock time in the event's zone, refused when
    the clock skips it (spring forward) or shows it twice (fall back), since either guess would be wrong.
    Returned in UTC: Python compares and subtracts times of one ZoneInfo as wall-clock times."""
    if value is None:
        return value, None
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc), None
    zone = ZoneInfo(tzid)
    first, second = value.replace(tzinfo=zone, fold=0), value.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        offsets = ", ".join(sorted({_offset_text(first), _offset_text(second)}))
        if first.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != value:
            return value, FieldError(
                name, f"{value.isoformat()} does not exist in {tzid} (the clocks skip it); choose another time"
            )
        return value, FieldError(
            name,
            f"{value.isoformat()} happens twice in {tzid} (the clocks go back); "
            f"send it with its UTC offset ({offsets})",
        )
    return first.astimezone(timezone.utc), None


def _offset_text(value: datetime) -> str:
    offset = value.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def in_zone(value: datetime, tzid: str) -> datetime:
    return value.astimezone(ZoneInfo(tzid))


# --------------------------------------------------------------------------- validation


def validate_session(fields: Mapping[str, Any], room_capacity: int | None = None) -> list[FieldError]:
    """Every problem with a complete set of session fields (after a PATCH is merged), in field order.
    Times outside the event's dates are a conflict (409), not a validation error."""
    errors: list[FieldError] = []
    if not str(fields.get("title") or "").strip():
        errors.append(FieldError("title", "must not be empty"))
    if fields.get("kind") not in SESSION_KINDS:
        errors.append(FieldError("kind", f"must be one of {', '.join(SESSION_KINDS)}"))
    starts, ends = fields.get("starts_at"), fields.get("ends_at")
    if starts and ends:
        if ends <= starts:
            errors.append(FieldError("ends_at", "must be after starts_at"))
        elif ends.astimezone(timezone.utc) - starts.astimezone(timezone.utc) > MAX_SESSION_LENGTH:
            errors.append(FieldError("ends_at", "a session lasts at most 24 hours; split longer ones"))
    if fields.get("status", "published") not in SESSION_STATUSES:
        errors.append(FieldError("status", f"must be one of {', '.join(SESSION_STATUSES)}"))
    language = fields.get("language") or ""
    if not LANGUAGE_RE.match(language):
        errors.append(FieldError("language", "use a language code such as 'en', 'es' or 'pt-BR'"))
    online = fields.get("online_url") or ""
    if online and not online.startswith(("https://", "http://")):
        errors.append(FieldError("online_url", "must be an http(s) URL"))
    capacity = fields.get("capacity")
    if capacity is not None:
        if capacity < 0:
            errors.append(FieldError("capacity", "must be 0 or more, or null to use the room's capacity"))
        elif room_capacity is not None and capacity > room_capacity:
            errors.append(FieldError("capacity", f"must not be above the room's capacity ({room_capacity})"))
    booked = fields.get("booked_count") or 0
    limit = effective_capacity(capacity, room_capacity)
    if fields.get("requires_booking") and limit is not None and booked > limit:
        errors.append(
            FieldError(
                "capacity",
                f"{booked} people have booked this session; the room or capacity "
                f"chosen holds {limit}: drop bookings first or choose a larger one",
            )
        )
    return errors


def validate_room(fields: Mapping[str, Any]) -> list[FieldError]:
    errors = []
    if not str(fields.get("name") or "").strip():
        errors.append(FieldError("name", "must not be empty"))
    if fields.get("capacity") is not None and fields["capacity"] < 0:
        errors.append(FieldError("capacity", "must be 0 or more, or null when unknown"))
    return errors


def validate_track(fields: Mapping[str, Any]) -> list[FieldError]:
    errors = []
    if not str(fields.get("name") or "").strip():
        errors.append(FieldError("name", "must not be empty"))
    if not TRACK_SLUG_RE.match(fields.get("slug") or ""):
        errors.append(
            FieldError("slug", "use lower-case letters, digits and '-', starting with a letter, e.g. 'nature-based'")
        )
    if not COLOR_RE.match(fields.get("color") or ""):
        errors.append(FieldError("color", "use a colour like '#2e7d32' (lower-case hex)"))
    return errors


def slugify(text: str, separator: str = "-") -> str:
    """ASCII lower-case words joined by `separator` ('' when nothing is left)."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return separator.join(words)


# --------------------------------------------------------------------------- conflicts


@dataclass(frozen=True)
class Slot:
    """What the conflict rules need to know about a session."""

    id: int | None
    title: str
    starts_at: datetime
    ends_at: datetime
    room_id: int | None = None
    person_ids: frozenset[int] = field(default_factory=frozenset)
    status: str = "published"


@dataclass(frozen=True)
class AgendaConflict:
    rule: str  # "room" | "person" | "outside_event"
    session_ids: tuple[int | None, ...]
    detail: str
    room_id: int | None = None
    person_id: int | None = None


def overlaps(a: Slot, b: Slot) -> bool:
    """Back-to-back sessions (one ends when the next starts) do not overlap."""
    return ranges_overlap(a.starts_at, a.ends_at, b.starts_at, b.ends_at)


def outside_event(slot: Slot, event_starts: datetime, event_ends: datetime) -> bool:
    return slot.starts_at < event_starts or slot.ends_at > event_ends


def find_conflicts(
    candidate: Slot, others: Iterable[Slot], event_starts: datetime, event_ends: datetime
) -> list[AgendaConflict]:
    """The conflicts `candidate` would bring into the agenda: two sessions in one room at once, a person in two
    sessions at once, a session outside the event's dates. Cancelled sessions conflict with nothing."""
    if candidate.status == "cancelled":
        return []
    found: list[AgendaConflict] = []
    if outside_event(candidate, event_starts, event_ends):
        found.append(
            AgendaConflict(
                "outside_event",
                (candidate.id,),
                f"'{candidate.title}' is outside the event's dates "
                f"({event_starts.isoformat()} to {event_ends.isoformat()})",
            )
        )
    for other in sorted(others, key=lambda s: (s.starts_at, s.id or 0)):
        if other.status == "cancelled" or (candidate.id is not None and other.id == candidate.id):
            continue
        if not overlaps(candidate, other):
            continue
        if candidate.room_id is not None and candidate.room_id == other.room_id:
            found.append(
                AgendaConflict(
                    "room",
                    (candidate.id, other.id),
                    f"the room is taken by '{other.title}' at that time",
                    room_id=candidate.room_id,
                )
            )
        for person_id in sorted(candidate.person_ids & other.person_ids):
            found.append(
                AgendaConflict(
                    "person",
                    (candidate.id, other.id),
                    f"a person is also in '{other.title}' at that time",
                    person_id=person_id,
                )
            )
    return found


def _overlapping_pairs(slots: list[Slot]) -> list[tuple[Slot, Slot]]:
    """Every overlapping pair, by a sweep over start times (n log n plus the pairs found)."""
    pairs: list[tuple[Slot, Slot]] = []
    active: list[Slot] = []
    for slot in sorted(slots, key=lambda s: (s.starts_at, s.id or 0)):
        # Sorted by start, so `a` (started no later) overlaps `slot` exactly when it is still running at its start.
        active = [a for a in active if a.ends_at > slot.starts_at]
        pairs.extend((a, slot) for a in active)
        active.append(slot)
    return pairs


def all_conflicts(slots: Iterable[Slot], event_starts: datetime, event_ends: datetime) -> list[AgendaConflict]:
    """Every conflict in an agenda (imports may bring some), rooms first, then people, then dates."""
    live = [s for s in slots if s.status != "cancelled"]
    found: list[AgendaConflict] = []
    by_room: dict[int, list[Slot]] = defaultdict(list)
    by_person: dict[int, list[Slot]] = defaultdict(list)
    for slot in live:
        if slot.room_id is not None:
            by_room[slot.room_id].append(slot)
        for person_id in slot.person_ids:
            by_person[person_id].append(slot)
    for room_id in sorted(by_room):
        for a, b in _overlapping_pairs(by_room[room_id]):
            found.append(
                AgendaConflict(
                    "room",
                    (a.id, b.id),
                    f"'{a.title}' and '{b.title}' share the room at the same time",
                    room_id=room_id,
                )
            )
    for person_id in sorted(by_person):
        for a, b in _overlapping_pairs(by_person[person_id]):
            found.append(
                AgendaConflict(
                    "person",
                    (a.id, b.id),
                    f"a person is in '{a.title}' and '{b.title}' at the same time",
                    person_id=person_id,
                )
            )
    for slot in sorted(live, key=lambda s: (s.starts_at, s.id or 0)):
        if outside_event(slot, event_starts, event_ends):
            found.append(AgendaConflict("outside_event", (slot.id,), f"'{slot.title}' is outside the event's dates"))
    return found


# --------------------------------------------------------------------------- bookings


def effective_capacity(session_capacity: int | None, room_capacity: int | None) -> int | None:
    """How many people may book: the session's own limit, never above the room's (None: no limit)."""
    limits = [c for c in (session_capacity, room_capacity) if c is not None]
    return min(limits) if limits else None


def booking_status(requires_booking: bool, capacity: int | None, booked_count: int) -> str:
    """'booked' while a place is free (or the session needs no booking), else 'waitlisted'."""
    if not requires_booking or seat_free(capacity, booked_count):
        return "booked"
    return "waitlisted"


def places_to_promote(requires_booking: bool, capacity: int | None, booked_count: int, waiting: int) -> int:
    """How many people at the head of the waiting list get a place now."""
    left = seats_left(capacity, booked_count) if requires_booking else None
    return waiting if left is None else min(waiting, left)


def bookable(session_status: str, registration_status: str) -> FieldError | None:
    if registration_status != "confirmed":
        return FieldError(
            "registration", f"only confirmed registrations may book sessions; this one is {registration_status}"
        )
    if session_status != "published":
        return FieldError(
            "session",
            "this session is cancelled" if session_status == "cancelled" else "this session is not published yet",
        )
    return None


# --------------------------------------------------------------------------- change log


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return value


def changes_between(
    before: Mapping[str, Any], after: Mapping[str, Any], fields: Iterable[str] = LOGGED_FIELDS
) -> dict[str, dict[str, Any]]:
    """{field: {"from": old, "to": new}} for every field that differs (times in UTC ISO 8601)."""
    return {
        name: {"from": _jsonable(before.get(name)), "to": _jsonable(after.get(name))}
        for name in fields
        if before.get(name) != after.get(name)
    }


def calendar_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """True when the session moved in time or room or changed status (its conflicts are checked again; a schedule
    import grows the SEQUENCE in its own statement for these, and domain.invite_shows for anything else shown)."""
    return any(before.get(name) != after.get(name) for name in CALENDAR_FIELDS)


def change_action(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> str:
    """The change log's name for a change: created, cancelled, moved (time or room) or updated."""
    if before is None:
        return "created"
    if after.get("status") == "cancelled" and before.get("status") != "cancelled":
        return "cancelled"
    if any(before.get(n) != after.get(n) for n in ("starts_at", "ends_at", "room_id")):
        return "moved"
    return "updated"


# --------------------------------------------------------------------------- calendar items


@dataclass(frozen=True)
class PersonInRole:
    name: str
    role: str
    organization: str = ""

    @property
    def label(self) -> str:
        return f"{self.name} ({self.organization})" if self.organization else self.name


def _untranslated(text: str, **values: str) -> str:
    return text.format(**values)


# The description's labels, English source texts of the mail catalogue (translated by the `_` a caller passes).
ROLE_LABELS = {
    SessionRole.SPEAKER: "Speakers: {names}",
    SessionRole.MODERATOR: "Moderators: {names}",
    SessionRole.PANELIST: "Panelists: {names}",
}


def session_description(
    abstract: str, people: Iterable[PersonInRole], online_url: str, _: Callable[..., str] = _untranslated
) -> str:
    """The session's calendar description; `_(text, **values)` translates its labels (English by default)."""
    parts = [abstract.strip()] if abstract.strip() else []
    by_role: dict[str, list[str]] = defaultdict(list)
    for person in people:
        by_role[person.role].append(person.label)
    for role in ROLES:
        if by_role.get(role):
            parts.append(_(ROLE_LABELS[role], names="; ".join(by_role[role])))
    if online_url:
        parts.append(_("Online: {url}", url=online_url))
    return "\n\n".join(parts)


def session_calendar_item(
    session: Mapping[str, Any],
    event: Mapping[str, Any],
    people: Iterable[PersonInRole] = (),
    room_name: str = "",
    track_name: str = "",
    _: Callable[..., str] = _untranslated,
) -> CalendarItem:
    """A session as a calendar object: its stored UID and SEQUENCE, times in the event's zone, the room and the
    event's venue and address as LOCATION, the session's online link (or else the event's). Cancelled when the
    session or its event is cancelled. Used by feeds here and by session invites; what it shows is what
    domain.invite_shows compares, so a change of any of these reaches every holder."""
    venue = (
        event.get("venue_name") or "",
        event.get("venue_address") or "",
        event.get("city") or "",
        country_name(event.get("country")) if event.get("country") else "",
    )
    location = ", ".join(p for p in (room_name, *venue) if p)
    online_url = session.get("online_url") or event.get("online_url") or ""
    categories = tuple(c for c in (session["kind"].replace("_", " ").title(), track_name) if c)
    cancelled = session["status"] == "cancelled" or event.get("status") == "cancelled"
    return CalendarItem(
        uid=str(session["calendar_uid"]),
        sequence=session["calendar_sequence"],
        summary=session["title"],
        starts_at=session["starts_at"],
        ends_at=session["ends_at"],
        tzid=event["timezone"],
        organizer_email=event.get("organizer_email") or "",
        organizer_name=event.get("organizer_name") or "",
        description=session_description(session.get("abstract") or "", people, online_url, _),
        location=location or online_url,
        url=online_url,
        status="CANCELLED" if cancelled else "CONFIRMED",
        categories=categories,
    )


def now_and_next(
    sessions: Iterable[Mapping[str, Any]], now: datetime, horizon: timedelta = timedelta(hours=2)
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """During the event: the sessions under way at `now`, and those starting within `horizon` (cancelled ones
    left out of both)."""
    live = [s for s in sessions if s["status"] != "cancelled"]
    current = [s for s in live if s["starts_at"] <= now < s["ends_at"]]
    upcoming = [s for s in live if now < s["starts_at"] <= now + horizon]
    return current, upcoming
