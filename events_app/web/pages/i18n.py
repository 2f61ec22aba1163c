"""The pages' languages: English source strings, translated through one JSON catalog per language.

A catalog maps the English text to its translation; a string missing from it shows in English. Placeholders use
str.format names (`{count} seats left`). The chosen language lives in the `lang` cookie; without it the browser's
Accept-Language decides.
"""

from __future__ import annotations

import functools
import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

LOCALES = Path(__file__).resolve().parent.parent / "locales"
UI_LANGUAGES = {"en": "English", "es": "Español"}
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "lang"


@functools.cache
def catalog(language: str) -> dict[str, str]:
    path = LOCALES / f"{language}.json"
    if language == DEFAULT_LANGUAGE or not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def translate(language: str, text: str, **values) -> str:
    translated = catalog(language).get(text) or text
    return translated.format(**values) if values else translated


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's language if it is one we have, else the first of the browser's that we have, else English."""
    if cookie in UI_LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in UI_LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def format_date(language: str, value: date | datetime | None, tzid: str | None = None) -> str:
    """'Tuesday 6 October 2026' / 'martes 6 de octubre de 2026', in the given zone for datetimes."""
    if value is None:
        return ""
    if isinstance(value, datetime) and tzid:
        value = value.astimezone(ZoneInfo(tzid))
    weekday = translate(language, WEEKDAYS[value.weekday()])
    month = translate(language, MONTHS[value.month - 1])
    if language == "es":
        return f"{weekday} {value.day} de {month} de {value.year}"
    return f"{weekday} {value.day} {month} {value.year}"


def format_time(value: datetime | None, tzid: str | None = None) -> str:
    if value is None:
        return ""
    if tzid:
        value = value.astimezone(ZoneInfo(tzid))
    return value.strftime("%H:%M")


def format_datetime(language: str, value: datetime | None, tzid: str | None = None) -> str:
    if value is None:
        return ""
    return f"{format_date(language, value, tzid)}, {format_time(value, tzid)}"
