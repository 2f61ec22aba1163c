"""Languages shared by pages and mail: gettext catalogues read with Babel, and dates, times and numbers written by
Babel in the reader's language.

Texts are English in the source and translated through one gettext catalogue per language and domain: pages read
`web/locales/<code>/LC_MESSAGES/messages.po`, mail reads `mail/locales/<code>/LC_MESSAGES/mail.po`. A catalogue is
read once per process with Babel and turned into gettext translations in memory (no compile step, so the wheel
carries only the .po files). A text missing from a catalogue shows in English. Placeholders use str.format names
(`{count} seats left`).

It imports nothing of events_app, so that web/ and mail/ (and the layers below them, through a callable) share it.
"""

from __future__ import annotations

import functools
import io
from datetime import date, datetime, time
from gettext import NullTranslations
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

DEFAULT_LANGUAGE = "en"
# Babel's locale for a language: English writes dates the European way ("Tuesday, 6 October 2026", 14:00).
LOCALE_OF = {"en": "en_GB"}


@functools.cache
def translations(path: Path, language: str) -> NullTranslations:
    """The gettext translations of the catalogue at `path`, built in memory (English, or no catalogue: none)."""
    if language == DEFAULT_LANGUAGE or not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        parsed = read_po(po, locale=LOCALE_OF.get(language, language))
    mo = io.BytesIO()
    write_mo(mo, parsed)
    mo.seek(0)
    return Translations(fp=mo)


@functools.cache
def catalog(path: Path, language: str) -> dict[str, str]:
    """The catalogue's translated entries as English text -> translation (for checks and tests); an entry with a
    context is keyed "context\\x04text", as gettext stores it; a plural entry gives its singular and its plural."""
    if language == DEFAULT_LANGUAGE or not path.exists():
        return {}
    with path.open("rb") as po:
        parsed = read_po(po)
    entries: dict[str, str] = {}
    for m in parsed:
        ids = list(m.id) if isinstance(m.id, tuple | list) else [m.id]
        strings = list(m.string) if isinstance(m.string, tuple | list) else [m.string]
        if not ids[0] or not strings or not all(isinstance(s, str) and s for s in strings):
            continue
        for english, translated in zip(ids, (strings[0], strings[-1]), strict=False):  # singular, plural
            if isinstance(english, str) and isinstance(translated, str):
                entries[f"{m.context}\x04{english}" if m.context else english] = translated
    return entries


@functools.lru_cache(maxsize=64)
def locale(language: str) -> Locale:
    return Locale.parse(LOCALE_OF.get(language, language))


def _in_zone(value: date | datetime, tzid: str | None) -> date | datetime:
    if isinstance(value, datetime) and tzid:
        return value.astimezone(ZoneInfo(tzid))
    return value


def format_date(language: str, value: date | datetime | None, tzid: str | None = None) -> str:
    """'Tuesday, 6 October 2026' / 'martes, 6 de octubre de 2026': Babel's full date, in the given zone."""
    if value is None:
        return ""
    shown = _in_zone(value, tzid)
    return _date_text(language, shown.date() if isinstance(shown, datetime) else shown)


def format_time(value: datetime | None, tzid: str | None = None, language: str = DEFAULT_LANGUAGE) -> str:
    """The wall-clock time in the given zone, as the language writes it (24-hour for English and Spanish)."""
    if value is None:
        return ""
    shown = value.astimezone(ZoneInfo(tzid)) if tzid else value
    return _time_text(language, shown.hour, shown.minute)


# A page or an email shows the same few days and times again and again (a programme of 200 sessions, a batch of
# invites), and Babel formats each from its pattern afresh. The full date shows the day alone and the short time
# the hour and minute alone (no zone, no seconds), so each is formatted once per language and value.
@functools.lru_cache(maxsize=4096)
def _date_text(language: str, day: date) -> str:
    return babel_dates.format_date(day, format="full", locale=locale(language))


@functools.lru_cache(maxsize=4096)
def _time_text(language: str, hour: int, minute: int) -> str:
    return babel_dates.format_time(time(hour, minute), format="short", locale=locale(language))


def format_datetime(language: str, value: datetime | None, tzid: str | None = None) -> str:
    if value is None:
        return ""
    return f"{format_date(language, value, tzid)}, {format_time(value, tzid, language)}"


def format_number(language: str, value: float | int | None) -> str:
    return "" if value is None else format_decimal(value, locale=locale(language))


@functools.lru_cache(maxsize=512)  # the same few events and sessions over and over in a batch of mail
def format_span(language: str, starts: datetime, ends: datetime, tzid: str) -> str:
    """'Monday, 10 May 2027, 16:00–17:00 (Europe/Madrid)'; a span over several days names both days."""
    zone = ZoneInfo(tzid)
    if starts.astimezone(zone).date() == ends.astimezone(zone).date():
        return f"{format_datetime(language, starts, tzid)}–{format_time(ends, tzid, language)} ({tzid})"
    return f"{format_datetime(language, starts, tzid)} – {format_datetime(language, ends, tzid)} ({tzid})"


def format_moment(language: str, value: datetime | str | None, tzid: str) -> str:
    """'Monday, 10 May 2027, 16:00 (Europe/Madrid)': one point in time, in the given zone."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{format_datetime(language, value, tzid)} ({tzid})"
