"""What an invite shows: the one rule deciding when people's calendar copies are outdated. Pure: no I/O.

Every calendar object (an event, an agenda session, a meeting series or occurrence) reaches people as a
CalendarItem built by one builder (mail.compose.event_item, domain.agenda.session_calendar_item,
domain.meetings). What a person sees in their calendar is that item's shown fields; a change of any of them makes
every copy outdated, so the object's SEQUENCE grows (RFC 5546 2.1.4: then the feed and the last invite a holder got
never disagree at one SEQUENCE) and every holder of an older copy gets an update. A change of anything else (a
capacity, a booking rule) changes no copy and sends nothing.

Every field of CalendarItem is named below as shown or not shown (tests/unit/domain/test_invite_shows.py fails on a
field in neither list), so a new field cannot be forgotten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime, timezone
from typing import Any

from events_app.domain.ical import CalendarItem

# The fields of a calendar object people see in their calendars (built with English labels and without any
# per-recipient text, so the comparison is the same for every holder).
SHOWN_FIELDS = (
    "summary",
    "starts_at",
    "ends_at",
    "tzid",
    "description",
    "location",
    "url",
    "status",
    "categories",
    "rrule",
    "exdates",
    "recurrence_id",
)
# Identity and numbering (UID, SEQUENCE) and the ORGANIZER, which must stay the same across updates (RFC 6047
# 2.3; clients ignore updates from another organizer): never a reason for an update.
NOT_SHOWN_FIELDS = ("uid", "sequence", "organizer_email", "organizer_name")

# The shown fields an update email names as "was ... now ...": the time and the place.
TIME_FIELDS = ("starts_at", "ends_at", "tzid")
PLACE_FIELDS = ("location",)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def shown(item: CalendarItem) -> dict[str, Any]:
    """The shown fields of a calendar object as JSON-able values (times as UTC ISO 8601): stored with each
    person's copy and compared to decide whether an update is due."""
    return {name: _plain(getattr(item, name)) for name in SHOWN_FIELDS}


# What is kept of a version for later emails: the time, the place, the title and status, and a digest of all
# shown fields. Descriptions (which name the speakers) are not stored, so erasing a person leaves no copy of
# their name in the calendar memory.
REMEMBERED_FIELDS = (*TIME_FIELDS, *PLACE_FIELDS, "summary", "status")


def remembered(fields_shown: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a version's shown fields stored per SEQUENCE (calendar_version): REMEMBERED_FIELDS and a digest."""
    digest = hashlib.blake2b(json.dumps(fields_shown, sort_keys=True).encode(), digest_size=16).hexdigest()
    return {name: fields_shown.get(name) for name in REMEMBERED_FIELDS} | {"digest": digest}


def shown_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [was, now]} for every shown field that differs ({} when the copy is current). No `before` (nothing
    known about the copy) counts as every field changed."""
    if before is None:
        return {name: [None, after.get(name)] for name in SHOWN_FIELDS}
    return {name: [before.get(name), after.get(name)] for name in SHOWN_FIELDS if before.get(name) != after.get(name)}


def update_due(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> bool:
    """Whether a copy showing `before` is outdated by the object now showing `after`."""
    return bool(shown_changes(before, after))


def copy_is_stale(held_sequence: int | None, current_sequence: int) -> bool:
    """Whether a person holding the object at `held_sequence` (None: nothing remembered) needs the current version.
    SEQUENCE grows on every change of what the invite shows, so an equal SEQUENCE is an equal copy."""
    return held_sequence is None or held_sequence < current_sequence


def was_and_now(was: Mapping[str, Any] | None, now: Mapping[str, Any]) -> dict[str, bool]:
    """Which parts of a change an update email spells out: {'time': ..., 'place': ...}."""
    changed = shown_changes(was, now) if was else {}
    return {
        "time": any(name in changed for name in TIME_FIELDS),
        "place": any(name in changed for name in PLACE_FIELDS),
    }


def check_complete() -> None:
    """Raise when CalendarItem has a field neither shown nor named as not shown (called by the tests)."""
    names = {f.name for f in fields(CalendarItem)}
    missing = names - set(SHOWN_FIELDS) - set(NOT_SHOWN_FIELDS)
    extra = (set(SHOWN_FIELDS) | set(NOT_SHOWN_FIELDS)) - names
    if missing or extra:
        raise AssertionError(f"invite_shows lists are out of date: unlisted {sorted(missing)}, unknown {sorted(extra)}")
