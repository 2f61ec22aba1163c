"""Every text the pages show has its Spanish translation, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

from events_app.domain.questions import QUESTION_KINDS
from events_app.domain.vocab import ELIGIBILITIES, EVENT_KINDS, REGISTRATION_STATUSES
from events_app.web.pages import common
from events_app.web.pages.i18n import MONTHS, WEEKDAYS, catalog, choose_language, format_date, translate

WEB = Path(__file__).resolve().parents[3] / "events_app" / "web"
LITERAL = re.compile(r"""_\(\s*"((?:[^"\\]|\\.)*)"|_\(\s*'((?:[^'\\]|\\.)*)'\s*[,)]""")


def template_strings() -> set[str]:
    found = set()
    for path in (WEB / "templates").rglob("*.html"):
        for m in LITERAL.finditer(path.read_text(encoding="utf-8")):
            found.add(m.group(1) if m.group(1) is not None else m.group(2))
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_template_text_has_a_spanish_translation():
    missing = sorted(template_strings() - catalog("es").keys())
    assert missing == []


def test_notices_vocabularies_and_dates_are_translated():
    words = (
        set(common.NOTICES.values())
        | set(EVENT_KINDS)
        | set(REGISTRATION_STATUSES)
        | set(ELIGIBILITIES)
        | set(QUESTION_KINDS)
        | set(MONTHS)
        | set(WEEKDAYS)
    )
    assert sorted(words - catalog("es").keys()) == []


def test_translations_keep_their_placeholders():
    wrong = [k for k, v in catalog("es").items() if placeholders(k) != placeholders(v)]
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
    from datetime import date

    assert format_date("es", date(2026, 10, 6)) == "martes 6 de octubre de 2026"
    assert format_date("en", date(2026, 10, 6)) == "Tuesday 6 October 2026"
