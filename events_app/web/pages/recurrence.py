"""The meeting series forms' recurrence builder (domain.recurrence) on the page: reading its fields, filling them
from a stored rule, and reading a rule back in words in the reader's language (weekday names by Babel)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.lists import format_list

from events_app.domain.errors import FieldError
from events_app.domain.recurrence import WEEKDAYS, RepeatChoice, build_rrule, choice_of
from events_app.web.pages.i18n import N_, locale, translate

ORDINAL_WORDS = {1: N_("first"), 2: N_("second"), 3: N_("third"), 4: N_("fourth"), -1: N_("last")}


def _int(value: Any, default: int | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def repeat_choice(data: dict[str, Any]) -> tuple[RepeatChoice, list[FieldError]]:
    """The builder's fields of a submitted form; what cannot be read goes to the errors."""
    errors: list[FieldError] = []
    end = data.get("repeat_end") or "count"
    count = until = None
    if end == "count":
        count = _int(data.get("repeat_count"), None)
        if count is None and data.get("repeat", "none") not in ("none", "custom"):
            errors.append(FieldError("repeat_count", "must be a whole number"))
    else:
        try:
            until = date.fromisoformat(str(data.get("repeat_until") or ""))
        except ValueError:
            if data.get("repeat", "none") not in ("none", "custom"):
                errors.append(FieldError("repeat_until", "must be a date"))
    days = data.get("repeat_days") or []
    choice = RepeatChoice(
        repeat=str(data.get("repeat") or ("custom" if data.get("rrule") else "none")),
        interval=_int(data.get("repeat_interval"), 1) or 1,
        weekdays=tuple(days if isinstance(days, list) else [days]),
        nth=_int(data.get("repeat_nth"), 1) or 1,
        weekday=str(data.get("repeat_weekday") or "MO"),
        count=count,
        until=until,
        rule=str(data.get("rrule") or ""),
    )
    return choice, errors


def rrule_from_form(data: dict[str, Any], start: datetime | None, errors: list[FieldError]) -> str | None:
    """The RRULE the builder's fields describe (None: a single meeting); problems are added to `errors`."""
    choice, problems = repeat_choice(data)
    rule, invalid = build_rrule(choice, start.date() if start else None)
    errors += problems or invalid
    return rule


def repeat_values(rule: str | None, tzid: str | None = None) -> dict[str, Any]:
    """The builder's fields filled from a stored rule (its UNTIL read in the series' zone), for the edit form."""
    choice = choice_of(rule, tzid)
    return {
        "repeat": choice.repeat,
        "repeat_interval": str(choice.interval),
        "repeat_days": list(choice.weekdays),
        "repeat_nth": str(choice.nth),
        "repeat_weekday": choice.weekday,
        "repeat_end": "until" if choice.until else "count",
        "repeat_count": "" if choice.count is None else str(choice.count),
        "repeat_until": choice.until.isoformat() if choice.until else "",
        "rrule": choice.rule,
    }


def weekday_name(language: str, code: str) -> str:
    return locale(language).days["format"]["wide"][WEEKDAYS.index(code)]


def rule_in_words(language: str, rule: str | None, start: datetime | None = None, tzid: str | None = None) -> str:
    """'Every month on the second Tuesday, 6 times' / 'Cada mes, el segundo martes, 6 veces'; '' for a rule the
    builder cannot express (the page then shows the rule itself)."""
    choice = choice_of(rule, tzid)
    if choice.repeat not in ("weekly", "monthly"):
        return ""
    if choice.repeat == "weekly":
        days = list(choice.weekdays)
        if not days and start is not None:
            local = start.astimezone(ZoneInfo(tzid)) if tzid else start
            days = [WEEKDAYS[local.weekday()]]
        names = format_list([weekday_name(language, d) for d in days], locale=locale(language))
        if choice.interval == 1:
            text = translate(language, "Every week on {days}", days=names)
        else:
            text = translate(language, "Every {n} weeks on {days}", n=choice.interval, days=names)
    else:
        nth = translate(language, ORDINAL_WORDS[choice.nth])
        day = weekday_name(language, choice.weekday)
        if choice.interval == 1:
            text = translate(language, "Every month on the {nth} {weekday}", nth=nth, weekday=day)
        else:
            text = translate(
                language, "Every {n} months on the {nth} {weekday}", n=choice.interval, nth=nth, weekday=day
            )
    if choice.count is not None:
        return text + translate(language, ", {count} times", count=choice.count)
    if choice.until is not None:
        return text + translate(
            language, ", until {date}", date=babel_format_date(choice.until, "long", locale=locale(language))
        )
    return text


WORDS = (
    N_("Every week on {days}"),
    N_("Every {n} weeks on {days}"),
    N_("Every month on the {nth} {weekday}"),
    N_("Every {n} months on the {nth} {weekday}"),
    N_(", {count} times"),
    N_(", until {date}"),
)
