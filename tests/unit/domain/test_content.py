"""Organizer content in several languages: what may be translated and what a reader sees."""

from __future__ import annotations

from events_app.domain.content import localize_event, translation_errors


def event() -> dict:
    return {
        "id": 7,
        "title": "World Congress",
        "description": "Three days.",
        "categories": [{"id": 1, "name": "Delegate"}, {"id": 2, "name": "Press"}],
        "questions": [{"id": 3, "label": "Dietary needs", "options": ["None", "Vegan"]}],
    }


def test_a_reader_gets_the_translations_and_the_original_elsewhere():
    shown = localize_event(
        event(),
        {
            ("event", 7, "title"): "Congreso Mundial",
            ("category", 1, "name"): "Delegada o delegado",
            ("question", 3, "options"): "Ninguna\nVegana",
        },
    )
    assert (shown["title"], shown["description"]) == ("Congreso Mundial", "Three days.")
    assert [c["name"] for c in shown["categories"]] == ["Delegada o delegado", "Press"]
    assert (shown["questions"][0]["label"], shown["questions"][0]["options"]) == ("Dietary needs", ["None", "Vegan"])
    assert shown["questions"][0]["option_labels"] == ["Ninguna", "Vegana"]


def test_options_that_do_not_line_up_are_refused_and_never_shown():
    assert translation_errors("question", "options", "Ninguna", ["None", "Vegan"]) != []
    assert translation_errors("question", "options", "Ninguna\nVegana", ["None", "Vegan"]) == []
    assert translation_errors("event", "kind", "congreso") == ["this text cannot be translated"]
    shown = localize_event(event(), {("question", 3, "options"): "Solo una"})
    assert shown["questions"][0]["option_labels"] == ["None", "Vegan"]
