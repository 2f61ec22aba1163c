"""Rules of pilot-project meeting series: recurrence rules, occurrences, overrides, RSVPs and carried-over actions.

Pure functions, no I/O. A series is a wall-clock start in an IANA zone, a duration and an optional RRULE; its
occurrences are expanded in that zone, so 14:00 stays 14:00 local across DST changes while the UTC instant moves.
An occurrence is identified for life by its *original* start in UTC (its RECURRENCE-ID), written as an occurrence
key like ``20261006T120000Z``; moving it changes its start, never its key.

Only recurrence rules Outlook can represent are accepted (checklist E7): DAILY/WEEKLY/MONTHLY/YEARLY with an
interval, one end (COUNT or UNTIL), weekly weekday lists, monthly/yearly "day N" or "Nth weekday" patterns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from events_app.domain.errors import FieldError, InvalidInput
from events_app.domain.timespan import ranges_overlap
from events_app.domain.vocab import is_time_zone

MODES = ("in_person", "online", "hybrid")
PARTSTATS = ("ACCEPTED", "DECLINED", "TENTATIVE")
ANSWERS = {"accepted": "ACCEPTED", "declined": "DECLINED", "tentative": "TENTATIVE"}
MAX_OCCURRENCES = 200
MAX_SPAN = timedelta(days=5 * 366)
MAX_DURATION_MINUTES = 24 * 60

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_ALLOWED_PARTS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYSETPOS", "WKST")
_ORDINALS = (1, 2, 3, 4, -1)  # what Outlook offers: first..fourth, last
_KEY_RE = re.compile(r"^(\d{8})T(\d{6})Z$")
_DAY_RE = re.compile(r"^([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)$")


# --------------------------------------------------------------------------- occurrence keys


def occurrence_key(start_utc: datetime) -> str:
    """The stable identifier of an occurrence: its original start in UTC, iCalendar basic format."""
    return start_utc.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def parse_occurrence_key(key: str, field_name: str = "occurrence") -> datetime:
    m = _KEY_RE.match(key or "")
    if m is None:
        raise InvalidInput(
            [
                FieldError(
                    field_name,
                    f"{key!r} is not an occurrence id: use the 'id' of an entry of "
                    "GET /api/meeting-series/{id}/occurrences, e.g. 20261006T120000Z",
                )
            ]
        )
    try:
        return datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        raise InvalidInput([FieldError(field_name, f"{key!r} is not a valid date and time")]) from None


def to_local(value: datetime, tzid: str) -> datetime:
    """Wall-clock time in the zone; a naive value is taken as wall-clock time already."""
    zone = ZoneInfo(tzid)
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value.astimezone(zone)


def wall_to_utc(local_naive: datetime, tzid: str) -> datetime:
    """RFC 5545 3.3.5: a wall time in a DST gap uses the offset before the gap; a repeated one, its first instance."""
    return local_naive.replace(tzinfo=ZoneInfo(tzid), fold=0).astimezone(timezone.utc)


# --------------------------------------------------------------------------- recurrence rules


@dataclass(frozen=True)
class Recurrence:
    """A parsed, Outlook-compatible RRULE (without DTSTART)."""

    freq: str
    interval: int = 1
    count: int | None = None
    until: datetime | None = None  # UTC
    bymonth: int | None = None
    bymonthday: int | None = None
    byday: tuple[str, ...] = ()
    bysetpos: int | None = None
    wkst: str | None = None

    def text(self) -> str:
        """The canonical RRULE value, with UNTIL in UTC as RFC 5545 requires when DTSTART has a TZID."""
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            parts.append(f"UNTIL={self.until.strftime('%Y%m%dT%H%M%SZ')}")
        if self.bymonth is not None:
            parts.append(f"BYMONTH={self.bymonth}")
        if self.bymonthday is not None:
            parts.append(f"BYMONTHDAY={self.bymonthday}")
        if self.byday:
            parts.append(f"BYDAY={','.join(self.byday)}")
        if self.bysetpos is not None:
            parts.append(f"BYSETPOS={self.bysetpos}")
        if self.wkst:
            parts.append(f"WKST={self.wkst}")
        return ";".join(parts)


def _int(value: str, name: str, low: int, high: int, errors: list[str]) -> int | None:
    try:
        number = int(value)
    except ValueError:
        errors.append(f"{name}={value} is not a whole number")
        return None
    if not low <= number <= high:
        errors.append(f"{name}={value} must be between {low} and {high}")
        return None
    return number


def _until(value: str, tzid: str, errors: list[str]) -> datetime | None:
    """UNTIL as given (a date: the whole day in the series' zone; a local or UTC date-time), in UTC."""
    try:
        if re.fullmatch(r"\d{8}", value):
            day = datetime.strptime(value, "%Y%m%d")
            return wall_to_utc(datetime.combine(day.date(), time(23, 59, 59)), tzid)
        if re.fullmatch(r"\d{8}T\d{6}Z", value):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        if re.fullmatch(r"\d{8}T\d{6}", value):
            return wall_to_utc(datetime.strptime(value, "%Y%m%dT%H%M%S"), tzid)
    except ValueError:
        pass
    errors.append(f"UNTIL={value} is not a date (20261231) or UTC date-time (20261231T230000Z)")
    return None


def parse_rrule(text: str, tzid: str) -> Recurrence:
    """Parse and check an RRULE; InvalidInput on field 'rrule' naming every problem and what to write instead."""
    errors: list[str] = []
    value = (text or "").strip()
    if value.upper().startswith("RRULE:"):
        value = value[6:]
    parts: dict[str, str] = {}
    for chunk in filter(None, value.upper().split(";")):
        name, sep, val = chunk.partition("=")
        if not sep or not val:
            errors.append(f"{chunk!r} is not NAME=VALUE")
        elif name in parts:
            errors.append(f"{name} appears twice")
        elif name not in _ALLOWED_PARTS:
            errors.append(f"{name} is not supported (Outlook cannot show it); use only {', '.join(_ALLOWED_PARTS)}")
        else:
            parts[name] = val
    freq = parts.get("FREQ", "")
    if freq not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
        errors.append("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    interval = _int(parts["INTERVAL"], "INTERVAL", 1, 99, errors) if "INTERVAL" in parts else 1
    count = _int(parts["COUNT"], "COUNT", 1, MAX_OCCURRENCES, errors) if "COUNT" in parts else None
    until = _until(parts["UNTIL"], tzid, errors) if "UNTIL" in parts else None
    if "COUNT" in parts and "UNTIL" in parts:
        errors.append("give COUNT or UNTIL, not both (RFC 5545 3.3.10)")
    elif "COUNT" not in parts and "UNTIL" not in parts:
        errors.append("the series needs an end: add COUNT=n or UNTIL=yyyymmdd")
    bymonth = _int(parts["BYMONTH"], "BYMONTH", 1, 12, errors) if "BYMONTH" in parts else None
    bymonthday = _int(parts["BYMONTHDAY"], "BYMONTHDAY", 1, 31, errors) if "BYMONTHDAY" in parts else None
    bysetpos = None
    if "BYSETPOS" in parts:
        bysetpos = _int(parts["BYSETPOS"], "BYSETPOS", -1, 4, errors)
        if bysetpos == 0:
            errors.append("BYSETPOS must be 1, 2, 3, 4 or -1")
    byday: list[tuple[int | None, str]] = []
    for spec in filter(None, parts.get("BYDAY", "").split(",")):
        m = _DAY_RE.match(spec)
        if m is None:
            errors.append(f"BYDAY value {spec!r} is not a weekday such as TU or 1TU")
            continue
        byday.append((int(m.group(1)) if m.group(1) else None, m.group(2)))
    wkst = parts.get("WKST")
    if wkst is not None and wkst not in ("MO", "SU"):
        errors.append("WKST must be MO or SU")
    ordinals = [n for n, _ in byday if n is not None]
    if freq in ("DAILY",) and (byday or bymonthday or bymonth or bysetpos):
        errors.append("FREQ=DAILY takes no BY... parts; for working days use FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")
    if freq == "WEEKLY":
        if ordinals:
            errors.append("FREQ=WEEKLY takes plain weekdays (BYDAY=TU,TH), not numbered ones")
        if bymonthday or bymonth or bysetpos:
            errors.append("FREQ=WEEKLY takes only BYDAY")
    if freq in ("MONTHLY", "YEARLY"):
        if freq == "MONTHLY" and bymonth:
            errors.append("FREQ=MONTHLY takes no BYMONTH")
        if freq == "YEARLY" and (byday or bymonthday) and bymonth is None:
            errors.append("FREQ=YEARLY with a day needs one BYMONTH")
        if bymonthday and byday:
            errors.append("give BYMONTHDAY or BYDAY, not both")
        if byday and bysetpos is None and (len(byday) != 1 or ordinals == [] or ordinals[0] not in _ORDINALS):
            errors.append(
                "monthly and yearly rules take one numbered weekday: 1TU (first Tuesday) ... 4TU or -1TU (last)"
            )
        if bysetpos is not None and (not byday or ordinals):
            errors.append("BYSETPOS needs a list of plain weekdays, e.g. BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1")
    if errors:
        raise InvalidInput([FieldError("rrule", "; ".join(errors))])
    day_specs = tuple(f"{n}{d}" if n is not None else d for n, d in byday)
    if freq == "WEEKLY" and day_specs:  # RFC order of weekdays, whatever order was written
        day_specs = tuple(d for d in _WEEKDAYS if d in day_specs)
    return Recurrence(freq, interval or 1, count, until, bymonth, bymonthday, day_specs, bysetpos, wkst)


# --------------------------------------------------------------------------- series and occurrences


@dataclass(frozen=True)
class SeriesTiming:
    start_local: datetime  # naive wall-clock time of the first occurrence
    tzid: str
    duration: timedelta
    rrule: str | None = None  # canonical RRULE value, or None for a one-off meeting


@dataclass(frozen=True)
class Override:
    """What is stored for one occurrence that differs from the series."""

    recurrence_id: datetime  # original start, UTC
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: str | None = None
    online_url: str | None = None
    cancelled: bool = False
    sequence: int = 0


@dataclass(frozen=True)
class Occurrence:
    key: str
    index: int  # position in the expansion (cancelled ones included), used for the rotating host
    recurrence_id: datetime
    starts_at: datetime
    ends_at: datetime
    cancelled: bool = False
    moved: bool = False
    location: str | None = None
    online_url: str | None = None
    host_organization_id: int | None = None


def expand(timing: SeriesTiming) -> list[datetime]:
    """Original starts (UTC) of every occurrence, in order; wall-clock time is kept in the series' zone.

    A day a zone skipped (Samoa went from 29 to 31 December 2011) puts its wall time, read with the offset before
    the gap, on the same instant as the next day's: RFC 5545 3.8.5.2 counts such a duplicate instance once, and
    so do we (it would otherwise be two occurrences with one id)."""
    first = wall_to_utc(timing.start_local, timing.tzid)
    if not timing.rrule:
        return [first]
    zone = ZoneInfo(timing.tzid)
    rule = rrulestr(timing.rrule, dtstart=timing.start_local.replace(tzinfo=zone))
    starts: list[datetime] = []
    seen: set[datetime] = set()
    for local in rule:
        start = wall_to_utc(local.replace(tzinfo=None), timing.tzid)
        if start in seen:
            continue
        seen.add(start)
        starts.append(start)
        if len(starts) > MAX_OCCURRENCES:
            break
    return starts


def validate_timing(timing: SeriesTiming, field_prefix: str = "") -> list[FieldError]:
    """Problems with a series' time: unknown zone, bad duration, a rule that yields nothing or too much, or a
    start that is not itself an occurrence of the rule (clients then disagree on the first meeting)."""
    errors: list[FieldError] = []
    if not is_time_zone(timing.tzid):
        hint = " (Bonn uses Europe/Berlin)" if timing.tzid.lower().endswith("bonn") else ""
        errors.append(
            FieldError(
                "timezone",
                f"unknown time zone {timing.tzid!r}{hint}: use an IANA name such as "
                "'Europe/Berlin', 'America/Sao_Paulo' or 'Asia/Seoul'",
            )
        )
        return errors
    minutes = timing.duration.total_seconds() / 60
    if not 0 < minutes <= MAX_DURATION_MINUTES:
        errors.append(FieldError("duration_minutes", f"must be between 1 and {MAX_DURATION_MINUTES}"))
    if timing.rrule:
        starts = expand(timing)
        first = wall_to_utc(timing.start_local, timing.tzid)
        if not starts:
            errors.append(FieldError("rrule", "the rule yields no occurrence after the start: check UNTIL"))
        elif starts[0] != first:
            shown = starts[0].astimezone(ZoneInfo(timing.tzid)).strftime("%Y-%m-%d %H:%M")
            errors.append(
                FieldError(
                    "start",
                    f"the start is not an occurrence of the rule; the rule's first "
                    f"occurrence is {shown}: start the series there",
                )
            )
        elif len(starts) > MAX_OCCURRENCES:
            errors.append(
                FieldError(
                    "rrule", f"the rule yields more than {MAX_OCCURRENCES} occurrences: lower COUNT or an earlier UNTIL"
                )
            )
        elif starts[-1] - first > MAX_SPAN:
            errors.append(FieldError("rrule", "a series may span at most five years: use an earlier UNTIL"))
    return errors


def occurrences(
    timing: SeriesTiming, overrides: Iterable[Override] = (), host_rotation: Sequence[int] = ()
) -> list[Occurrence]:
    """Every occurrence with its override applied, in original order. Overrides for keys the series does not
    produce are ignored here (services refuse to create them)."""
    by_key = {occurrence_key(o.recurrence_id): o for o in overrides}
    result = []
    for index, start in enumerate(expand(timing)):
        key = occurrence_key(start)
        o = by_key.get(key)
        occ = Occurrence(
            key,
            index,
            start,
            start,
            start + timing.duration,
            host_organization_id=host_rotation[index % len(host_rotation)] if host_rotation else None,
        )
        if o is not None:
            occ = replace(
                occ,
                cancelled=o.cancelled,
                location=o.location,
                online_url=o.online_url,
                starts_at=o.starts_at or occ.starts_at,
                ends_at=o.ends_at or occ.ends_at,
                moved=o.starts_at is not None and (o.starts_at, o.ends_at) != (occ.starts_at, occ.ends_at),
            )
        result.append(occ)
    return result


def find_occurrence(timing: SeriesTiming, key: str) -> datetime:
    """The original start of the occurrence `key`; InvalidInput (404-like wording) when the series has none."""
    start = parse_occurrence_key(key)
    if start not in expand(timing):
        raise LookupError(key)
    return start


def check_move(starts_at: datetime, ends_at: datetime, others: Sequence[Occurrence], key: str) -> list[FieldError]:
    """A moved occurrence must end after it starts and must not overlap another occurrence of the series."""
    errors = []
    if ends_at <= starts_at:
        errors.append(FieldError("ends_at", "must be after starts_at"))
    for o in others:
        if o.key != key and not o.cancelled and ranges_overlap(o.starts_at, o.ends_at, starts_at, ends_at):
            errors.append(
                FieldError(
                    "starts_at", f"overlaps occurrence {o.key} of the same series; move or cancel that one first"
                )
            )
            break
    return errors


def orphaned_keys(old: SeriesTiming, new: SeriesTiming, keys: Iterable[str]) -> list[str]:
    """Keys (with overrides, answers or minutes) that a change of timing would make disappear."""
    remaining = {occurrence_key(s) for s in expand(new)}
    return sorted(k for k in keys if k not in remaining)


def remaining_timing(timing: SeriesTiming, after: datetime) -> SeriesTiming | None:
    """The part of a series still ahead (occurrences ending after `after`), for someone who joins mid-way.

    DTSTART moves to the first remaining occurrence, which keeps the rule's phase (INTERVAL counts from an actual
    occurrence) and every later RECURRENCE-ID; COUNT becomes the equivalent UNTIL. None if nothing remains.
    """
    starts = expand(timing)
    ahead = [s for s in starts if s + timing.duration > after]
    if not ahead:
        return None
    if ahead[0] == starts[0] or not timing.rrule:
        return timing
    rule = parse_rrule(timing.rrule, timing.tzid)
    if rule.count is not None:
        rule = replace(rule, count=None, until=starts[-1])
    start_local = ahead[0].astimezone(ZoneInfo(timing.tzid)).replace(tzinfo=None)
    return replace(timing, start_local=start_local, rrule=rule.text())


# --------------------------------------------------------------------------- RSVPs


@dataclass(frozen=True)
class Answer:
    partstat: str
    answered_at: datetime
    recurrence_id: datetime | None  # None: for the whole series


def effective_partstat(answers: Iterable[Answer], recurrence_id: datetime) -> str:
    """The latest answer that covers this occurrence (its own or one for the whole series) wins."""
    covering = [a for a in answers if a.recurrence_id is None or a.recurrence_id == recurrence_id]
    if not covering:
        return "NEEDS-ACTION"
    return max(covering, key=lambda a: (a.answered_at, a.recurrence_id is not None)).partstat


def answer_partstat(answer: str) -> str:
    try:
        return ANSWERS[answer.lower()]
    except (KeyError, AttributeError):
        raise InvalidInput([FieldError("answer", "must be accepted, declined or tentative")]) from None


# --------------------------------------------------------------------------- action items


@dataclass(frozen=True)
class ActionItem:
    id: int
    title: str
    raised_at: datetime  # original start of the occurrence that raised it
    done_at: datetime | None = None
    owner_person_id: int | None = None
    due_date: date | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def actions_for(
    actions: Iterable[ActionItem], occurrence: datetime, held_at: Mapping[datetime, datetime] | None = None
) -> list[tuple[ActionItem, bool]]:
    """The actions on an occurrence's list (`occurrence`: its original start), each with `carried_over`: those it
    raised, plus every one raised at a meeting held before it and still open when it starts (an action carries
    over from meeting to meeting until it is done). `held_at` maps original starts to the times meetings were
    moved to: what counts is when each meeting was held."""
    held = held_at or {}
    starts = held.get(occurrence, occurrence)
    listed = []
    for a in actions:
        if a.raised_at == occurrence:
            listed.append((a, False))
        elif held.get(a.raised_at, a.raised_at) < starts and (a.done_at is None or a.done_at > starts):
            listed.append((a, True))
    return sorted(listed, key=lambda pair: (held.get(pair[0].raised_at, pair[0].raised_at), pair[0].id))


# --------------------------------------------------------------------------- series fields


def validate_series(fields: dict[str, Any]) -> list[FieldError]:
    """Every problem with a complete set of series fields (after a change is merged), timing last."""
    errors: list[FieldError] = []
    if not str(fields.get("title") or "").strip():
        errors.append(FieldError("title", "must not be empty"))
    mode = fields.get("mode")
    if mode not in MODES:
        errors.append(FieldError("mode", f"must be one of {', '.join(MODES)}"))
    location, online = fields.get("location") or "", fields.get("online_url") or ""
    if mode in ("in_person", "hybrid") and not location.strip():
        errors.append(FieldError("location", f"a {mode.replace('_', ' ')} meeting needs a location"))
    if mode in ("online", "hybrid") and not online:
        errors.append(
            FieldError(
                "online_url",
                f"an {mode} meeting needs a join link" if mode == "online" else "a hybrid meeting needs a join link",
            )
        )
    if online and not online.startswith(("https://", "http://")):
        errors.append(FieldError("online_url", "must be an http(s) URL"))
    for i, item in enumerate(fields.get("agenda") or []):
        if not str(item.get("title") or "").strip():
            errors.append(FieldError(f"agenda[{i}].title", "must not be empty"))
        if item.get("duration_minutes") is not None and not 0 < item["duration_minutes"] <= MAX_DURATION_MINUTES:
            errors.append(FieldError(f"agenda[{i}].duration_minutes", "must be between 1 and 1440"))
    return errors


def location_text(mode: str, location: str, online_url: str) -> str:
    """LOCATION as calendars show it: the room for in-person and hybrid meetings, otherwise the join link."""
    if mode == "online" or not location:
        return online_url
    return location
