"""Service messages written for API clients reach people in words, in their language, never naming a route."""

from __future__ import annotations

import pytest

from events_app.web.pages import wording
from events_app.web.pages.i18n import UI_LANGUAGES, catalog, translate


def shown(language: str, message: str) -> str:
    text = wording.human(message)
    if isinstance(text, wording.PageText):
        return translate(language, text.template, **text.values)
    return translate(language, text)


@pytest.mark.parametrize(
    ("message", "english", "spanish"),
    [
        (
            'accept the privacy policy (version 3) by sending "consent": true; we keep your data for the event',
            "Tick the box to accept the privacy policy.",
            "Marque la casilla para aceptar la política de privacidad.",
        ),
        (
            "this category is for members of the network: give the id of your organization",
            "This category is only for members of the network: choose your organization (a city or region).",
            "Esta categoría es solo para miembros de la red: elija su organización (una ciudad o región).",
        ),
        ("must be one of plenary, panel, workshop", "Choose one of the options.", "Elija una de las opciones."),
        (
            "the room is taken by 'Housing workshop' at that time",
            "The room is taken by “Housing workshop” at that time.",
            "La sala está ocupada por «Housing workshop» a esa hora.",
        ),
        (
            "must not be above the room's capacity (40)",
            "must not be above the room's capacity (40)",
            "no debe superar la capacidad de la sala (40)",
        ),
    ],
)
def test_service_messages_are_shown_in_words_in_each_language(message, english, spanish):
    assert (shown("en", message), shown("es", message)) == (english, spanish)


def test_an_unknown_message_loses_the_route_it_names():
    message = "add at least one registration category before publishing (POST /api/events/{id}/categories)"
    assert "/api/" not in shown("en", message)
    other = "this organization is not in the cohort: add it first with POST /api/projects/{id}/members"
    assert wording.human(other) == "this organization is not in the cohort: add it first"


def test_every_wording_rule_is_translated():
    texts = {text for _, text in wording.RULES}
    for code in UI_LANGUAGES:
        if code != "en":
            assert sorted(texts - catalog(code).keys()) == []
