"""The one rule of a person's own fields, as registrations, delegations, project contacts and profiles apply it."""

from __future__ import annotations

import pytest

from events_app.domain.person import NAME_MAX, person_field_errors


def fields_of(errors) -> list[str]:
    return [e.field for e in errors]


def test_a_clean_person_passes_normalised():
    cleaned, errors = person_field_errors(
        {"name": "  Ine\u0301s García ", "language": "es", "timezone": "Europe/Madrid"}
    )
    assert errors == []
    assert cleaned == {"name": "Inés García", "language": "es", "timezone": "Europe/Madrid"}


@pytest.mark.parametrize(
    "name",
    ["Eve\r\nBcc: victim@example.org", "Tab\there", "Bell\x07", "Line\u2028sep", "", "   ", "x" * (NAME_MAX + 1)],
)
def test_a_bad_name_is_refused_naming_the_field(name):
    _, errors = person_field_errors({"name": name, "language": "en"}, prefix="contacts[2].")
    assert fields_of(errors) == ["contacts[2].name"]


def test_only_the_fields_asked_for_are_read():
    cleaned, errors = person_field_errors({"timezone": ""}, ["timezone"])
    assert (cleaned, errors) == ({"timezone": None}, [])


def test_language_and_time_zone_rules():
    _, errors = person_field_errors({"name": "A", "language": "xx", "timezone": "Mars/Olympus"})
    assert fields_of(errors) == ["language", "timezone"]
    assert "leave it empty" in errors[1].message
