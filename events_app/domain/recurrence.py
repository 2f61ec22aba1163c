"""The recurrence builder: the few choices a person makes (weekly on some weekdays, or monthly on the nth weekday;
every n weeks or months; n times or until a date) turned into an RRULE, and a rule read back into those choices.
Pure: no I/O. domain.meetings.parse_rrule still checks every rule, built or typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from events_app.domain.errors import FieldError

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ORDINALS = (1, 2, 3, 4, -1)  # the first ... fourth, and the last weekday of the month
REPEATS = ("none", "weekly", "monthly", "custom")
_NTH_DAY = re.compile(r"^(-1|[1-4])(MO|TU|WE|TH|FR|SA|SU)$")


@dataclass(frozen=True)
class RepeatChoice:
    """What the builder's form asks. `rule` is the text of a rule written by hand (repeat == 'custom')."""

    repeat: str = "none"
    interval: int = 1
    weekdays: tuple[str, ...] = ()
    nth: int = 1
    weekday: str = "MO"
    count: int | None = None
    until: date | None = None
    rule: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def build_rrule(choice: RepeatChoice, start: date | None = None) -> tuple[str | None, list[FieldError]]:
    """The RRULE for the choices (None for a single meeting), or the problems, each on the builder's field.
    A weekly rule without weekdays repeats on the first meeting's weekday."""
    if choice.repeat == "none":
        return None, []
    if choice.repeat == "custom":
        return (choice.rule.strip() or None), []
    errors: list[FieldError] = []
    if choice.repeat not in REPEATS:
        errors.append(FieldError("repeat", "choose how the meetings repeat"))
    if not 1 <= choice.interval <= 12:
        errors.append(FieldError("repeat_interval", "must be between 1 and 12"))
    if choice.count is None and choice.until is None:
        errors.append(FieldError("repeat_end", "give the number of meetings or the date of the last one"))
    elif choice.count is not None and not 1 <= choice.count <= 200:
        errors.append(FieldError("repeat_count", "must be between 1 and 200"))
    elif choice.until is not None and start is not None and choice.until < start:
        errors.append(FieldError("repeat_until", "must not be before the first meeting"))
    parts: list[str] = []
    if choice.repeat == "weekly":
        days = [d for d in WEEKDAYS if d in choice.weekdays]
        if len(days) != len(set(choice.weekdays)):
            errors.append(FieldError("repeat_days", "choose weekdays from the list"))
        if not days and start is not None:
            days = [WEEKDAYS[start.weekday()]]
        parts = ["FREQ=WEEKLY"] + ([f"INTERVAL={choice.interval}"] if choice.interval > 1 else [])
        parts += [f"BYDAY={','.join(days)}"] if days else []
    elif choice.repeat == "monthly":
        if choice.nth not in ORDINALS:
            errors.append(FieldError("repeat_nth", "choose first, second, third, fourth or last"))
        if choice.weekday not in WEEKDAYS:
            errors.append(FieldError("repeat_weekday", "choose a weekday"))
        parts = ["FREQ=MONTHLY"] + ([f"INTERVAL={choice.interval}"] if choice.interval > 1 else [])
        parts += [f"BYDAY={choice.nth}{choice.weekday}"]
    if errors:
        return None, errors
    if choice.count is not None:
        parts.append(f"COUNT={choice.count}")
    elif choice.until is not None:
        parts.append(f"UNTIL={choice.until.strftime('%Y%m%d')}")
    return ";".join(parts), []


def choice_of(rule: str | None, tzid: str | None = None) -> RepeatChoice:
    """The builder's choices for a stored rule; a rule the builder cannot express comes back as 'custom'. A UTC
    UNTIL is read as its date in the series' zone `tzid`."""
    if not rule:
        return RepeatChoice()
    text = rule.strip().upper().removeprefix("RRULE:")
    parts = dict(chunk.partition("=")[::2] for chunk in text.split(";") if chunk)
    custom = RepeatChoice(repeat="custom", rule=rule)
    if set(parts) - {"FREQ", "INTERVAL", "BYDAY", "COUNT", "UNTIL"}:
        return custom
    try:
        interval = int(parts.get("INTERVAL", "1"))
        count = int(parts["COUNT"]) if "COUNT" in parts else None
        until = _until_date(parts["UNTIL"], tzid) if "UNTIL" in parts else None
    except ValueError:
        return custom
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    if parts.get("FREQ") == "WEEKLY" and all(d in WEEKDAYS for d in days):
        return RepeatChoice("weekly", interval, tuple(days), count=count, until=until)
    if parts.get("FREQ") == "MONTHLY" and len(days) == 1:
        m = _NTH_DAY.match(days[0])
        if m:
            return RepeatChoice("monthly", interval, nth=int(m.group(1)), weekday=m.group(2), count=count, until=until)
    return custom


def _until_date(value: str, tzid: str | None) -> date:
    if len(value) == 16 and value.endswith("Z"):  # 20271231T225959Z: the last instant, in UTC
        instant = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        return instant.astimezone(ZoneInfo(tzid)).date() if tzid else instant.date()
    digits = value[:8]
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
