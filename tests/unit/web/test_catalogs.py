"""Every text the pages show has a translation in each non-English gettext catalogue, with the same placeholders.

The texts are found the ecosystem's way: Babel's extractors (Jinja2's `babel_extract` for templates, Babel's python
extractor for page modules) collect every `_("...")` literal; page texts kept in Python dictionaries (notices,
error answers, vocabularies) are checked by value.
"""

from __future__ import annotations

import string
from datetime import date, datetime, timezone
from pathlib import Path

from babel.messages.extract import extract

from events_app.domain.questions import QUESTION_KINDS
from events_app.domain.vocab import (
    ELIGIBILITIES,
    EVENT_KINDS,
    REGISTRATION_STATUSES,
    MeetingMode,
    PartStat,
    QuestionKind,
    SessionKind,
    SessionRole,
)
from events_app.web.pages import common, labels
from events_app.web.pages.i18n import (
    DEFAULT_LANGUAGE,
    UI_LANGUAGES,
    catalog,
    catalogue_path,
    choose_language,
    format_date,
    format_datetime,
    format_number,
    translate,
)

WEB = Path(__file__).resolve().parents[3] / "events_app" / "web"
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
TRANSLATED = [code for code in UI_LANGUAGES if code != DEFAULT_LANGUAGE]


def extracted(method: str, pattern: str, root: Path) -> set[str]:
    found: set[str] = set()
    for path in root.rglob(pattern):
        with path.open("rb") as source:
            for _lineno, message, _comments, _context in extract(method, source, keywords=KEYWORDS):
                found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def page_strings() -> set[str]:
    return extracted("jinja2.ext:babel_extract", "*.html", WEB / "templates") | extracted(
        "python", "*.py", WEB / "pages"
    )


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_extraction_finds_the_template_texts():
    texts = page_strings()
    assert len(texts) > 300
    assert "{count} seats left" in texts
    assert set(common.NOTICES.values()) <= texts  # marked with N_ in the page modules


def test_every_language_has_a_catalogue():
    assert TRANSLATED
    assert all(catalogue_path(code).is_file() for code in TRANSLATED)


def test_every_page_text_has_a_translation_in_every_catalogue():
    texts = page_strings()
    missing = {code: sorted(texts - catalog(code).keys()) for code in TRANSLATED}
    assert missing == {code: [] for code in TRANSLATED}


def test_notices_and_vocabularies_are_translated():
    words = (
        set(common.NOTICES.values())
        | set(EVENT_KINDS)
        | set(REGISTRATION_STATUSES)
        | set(ELIGIBILITIES)
        | set(QUESTION_KINDS)
    )
    for code in TRANSLATED:
        assert sorted(words - catalog(code).keys()) == []


def test_translations_keep_their_placeholders():
    for code in TRANSLATED:
        wrong = [k for k, v in catalog(code).items() if placeholders(k) != placeholders(v)]
        assert wrong == []


def test_translate_fills_placeholders_and_falls_back_to_english():
    assert translate("es", "{count} seats left", count=3) == "quedan 3 plazas"
    assert translate("es", "A sentence nobody translated") == "A sentence nobody translated"
    assert translate("en", "{count} seats left", count=3) == "3 seats left"


def test_language_comes_from_cookie_then_browser_then_english():
    assert choose_language("es", "en-GB,en") == "es"
    assert choose_language(None, "es-CO,es;q=0.9,en;q=0.8") == "es"
    assert choose_language("fr", "de-DE,fr") == "en"


def test_dates_are_written_in_the_chosen_language():
    assert format_date("es", date(2026, 10, 6)) == "martes, 6 de octubre de 2026"
    assert format_date("en", date(2026, 10, 6)) == "Tuesday, 6 October 2026"


def test_datetimes_are_shown_in_the_events_zone():
    noon_utc = datetime(2026, 10, 6, 22, 30, tzinfo=timezone.utc)
    assert format_datetime("en", noon_utc, "Europe/Berlin") == "Wednesday, 7 October 2026, 00:30"
    assert format_datetime("es", noon_utc, "America/Bogota") == "martes, 6 de octubre de 2026, 17:30"


def test_numbers_follow_the_language():
    assert format_number("en", 12345.5) == "12,345.5"
    assert format_number("es", 12345.5) == "12.345,5"


def test_page_environment_translates_through_jinjas_i18n_extension():
    from events_app.web.pages import _environment

    template = _environment().from_string(
        '{{ _("{count} seats left", count=3) }} | {% trans %}Saved.{% endtrans %} | {{ day|date }} | {{ at|time("UTC") }}'
    )
    day, at = date(2026, 10, 6), datetime(2026, 10, 6, 14, 5, tzinfo=timezone.utc)
    assert (
        template.render(lang="es", day=day, at=at)
        == "quedan 3 plazas | Guardado. | martes, 6 de octubre de 2026 | 14:05"
    )
    assert template.render(lang="en", day=day, at=at) == "3 seats left | Saved. | Tuesday, 6 October 2026 | 14:05"


def test_vocabulary_values_are_shown_as_translated_words():
    values = [*SessionKind, *SessionRole, *QuestionKind, *MeetingMode, *PartStat, "NEEDS-ACTION"]
    missing_words = [v for v in values if labels.word(v) == str(v)]
    assert missing_words == []
    for code in TRANSLATED:
        assert sorted(set(labels.WORDS.values()) - catalog(code).keys()) == []
    assert translate("es", labels.word("side_event")) == "Evento paralelo"
    assert labels.word("something-else") == "something-else"
