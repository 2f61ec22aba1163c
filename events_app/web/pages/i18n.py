"""The pages' languages: English source strings, translated through one gettext catalogue per language.

Each language other than English has `events_app/web/locales/<code>/LC_MESSAGES/messages.po`; it is read once at
start-up with Babel (no compile step, so the wheel carries only the .po) and installed into Jinja through its i18n
extension. A string missing from a catalogue shows in English. Placeholders use str.format names
(`{count} seats left`). Dates and times are written by Babel in the reader's language. The chosen language lives in
the `lang` cookie; without it the browser's Accept-Language decides.

Catalogues are read, and dates, times and numbers written, by the helpers pages share with mail (events_app/i18n.py).
Adding a language: add its catalogue and its code to UI_LANGUAGES (and to LOCALE_OF in events_app/i18n.py when
Babel's locale differs).
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from gettext import NullTranslations
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import dates as babel_dates

from events_app import i18n as shared
from events_app.i18n import (
    DEFAULT_LANGUAGE,
    LOCALE_OF,
    format_date,
    format_datetime,
    format_number,
    format_time,
    locale,
)

LOCALES = Path(__file__).resolve().parent.parent / "locales"
UI_LANGUAGES = {"en": "English", "es": "Español"}
LANG_COOKIE = "lang"

__all__ = [
    "DEFAULT_LANGUAGE",
    "LOCALE_OF",
    "format_date",
    "format_datetime",
    "format_number",
    "format_time",
    "locale",
]


def N_(text: str) -> str:
    """Marks a page text kept in Python for extraction; it is translated where the page shows it (`_(text)`)."""
    return text


@functools.lru_cache(maxsize=64)  # looked up for every text a page translates
def catalogue_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / "messages.po"


def translations(language: str) -> NullTranslations:
    """The language's gettext translations, built in memory from its .po catalogue (English: none needed)."""
    return shared.translations(catalogue_path(language), language)


def catalog(language: str) -> dict[str, str]:
    """The catalogue's translated entries as English text -> translation (for checks and tests)."""
    return shared.catalog(catalogue_path(language), language)


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


def format_day(language: str, value: date | datetime | None, tzid: str | None = None) -> str:
    """A short day for tabs and headings: 'Wed, 10 Mar' / 'mié, 10 mar', by Babel in the reader's language."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = (value.astimezone(ZoneInfo(tzid)) if tzid else value).date()
    return babel_dates.format_skeleton("MMMEd", value, locale=locale(language))


def language_name(language: str, code: str | None) -> str:
    """A language code ('es', 'pt-BR') as its name in the reader's language ('español'; 'Spanish'), or the code."""
    if not code:
        return ""
    names = locale(language).languages
    return names.get(code.replace("-", "_")) or names.get(code.split("-")[0]) or code
