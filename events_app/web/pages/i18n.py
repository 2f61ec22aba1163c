"""The pages' languages: English source strings, translated through one gettext catalogue per language.

Each language other than English has `events_app/web/locales/<code>/LC_MESSAGES/messages.po`; it is read once at
start-up with Babel (no compile step, so the wheel carries only the .po) and installed into Jinja through its i18n
extension. A string missing from a catalogue shows in English. Placeholders use str.format names
(`{count} seats left`). Dates and times are written by Babel in the reader's language. The chosen language lives in
the `lang` cookie; without it the browser's Accept-Language decides.

Adding a language: add its catalogue and its code to UI_LANGUAGES (and to LOCALE_OF when Babel's locale differs).
"""

from __future__ import annotations

import functools
import io
from datetime import date, datetime
from gettext import NullTranslations
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LOCALES = Path(__file__).resolve().parent.parent / "locales"
UI_LANGUAGES = {"en": "English", "es": "Español"}
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "lang"
# Babel's locale for a page language: English pages write dates the European way ("Tuesday 6 October 2026", 14:00).
LOCALE_OF = {"en": "en_GB"}


def N_(text: str) -> str:
    """Marks a page text kept in Python for extraction; it is translated where the page shows it (`_(text)`)."""
    return text


def catalogue_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / "messages.po"


@functools.cache
def translations(language: str) -> NullTranslations:
    """The language's gettext translations, built in memory from its .po catalogue (English: none needed)."""
    path = catalogue_path(language)
    if language == DEFAULT_LANGUAGE or not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        parsed = read_po(po, locale=LOCALE_OF.get(language, language))
    mo = io.BytesIO()
    write_mo(mo, parsed)
    mo.seek(0)
    return Translations(fp=mo)


@functools.cache
def catalog(language: str) -> dict[str, str]:
    """The catalogue's translated entries as English text -> translation (for checks and tests)."""
    path = catalogue_path(language)
    if language == DEFAULT_LANGUAGE or not path.exists():
        return {}
    with path.open("rb") as po:
        parsed = read_po(po)
    return {m.id: m.string for m in parsed if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string}


def translate(language: str, text: str, **values) -> str:
    translated = translations(language).gettext(text) if text else text
    return translated.format(**values) if values else translated


def ntranslate(language: str, singular: str, plural: str, n: int, **values) -> str:
    translated = translations(language).ngettext(singular, plural, n)
    return translated.format(n=n, **values)


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's language if it is one we have, else the first of the browser's that we have, else English."""
    if cookie in UI_LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in UI_LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def locale(language: str) -> Locale:
    return Locale.parse(LOCALE_OF.get(language, language))


def _in_zone(value: date | datetime, tzid: str | None) -> date | datetime:
    if isinstance(value, datetime) and tzid:
        return value.astimezone(ZoneInfo(tzid))
    return value


def format_date(language: str, value: date | datetime | None, tzid: str | None = None) -> str:
    """'Tuesday 6 October 2026' / 'martes, 6 de octubre de 2026': Babel's full date, in the given zone."""
    if value is None:
        return ""
    shown = _in_zone(value, tzid)
    day = shown.date() if isinstance(shown, datetime) else shown
    return babel_dates.format_date(day, format="full", locale=locale(language))


def format_time(value: datetime | None, tzid: str | None = None, language: str = DEFAULT_LANGUAGE) -> str:
    """The wall-clock time in the given zone, as the language writes it (24-hour for English and Spanish pages)."""
    if value is None:
        return ""
    shown = value.astimezone(ZoneInfo(tzid)) if tzid else value
    return babel_dates.format_time(shown, format="short", locale=locale(language))


def format_datetime(language: str, value: datetime | None, tzid: str | None = None) -> str:
    if value is None:
        return ""
    return f"{format_date(language, value, tzid)}, {format_time(value, tzid, language)}"


def format_number(language: str, value: float | int | None) -> str:
    return "" if value is None else format_decimal(value, locale=locale(language))
