from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from events_app.domain.errors import FieldError
from events_app.domain.events import localize, location_text, validate_event

BASE = {
    "title": "World Congress",
    "kind": "congress",
    "timezone": "Europe/Stockholm",
    "starts_at": datetime(2027, 5, 18, 7, tzinfo=timezone.utc),
    "ends_at": datetime(2027, 5, 20, 15, tzinfo=timezone.utc),
}


def test_validate_event_valid_has_no_errors():
    assert validate_event(BASE) == []


def test_validate_event_end_before_start_names_ends_at():
    errors = validate_event({**BASE, "ends_at": BASE["starts_at"]})
    assert errors == [FieldError("ends_at", "must be after starts_at")]


def test_validate_event_unknown_zone_and_kind_reports_both():
    errors = validate_event({**BASE, "timezone": "Europe/Atlantis", "kind": "party"})
    assert [e.field for e in errors] == ["kind", "timezone"]


def test_validate_event_registration_closing_after_end_is_refused():
    errors = validate_event({**BASE, "registration_closes_at": datetime(2027, 6, 1, tzinfo=timezone.utc)})
    assert [e.field for e in errors] == ["registration_closes_at"]


def test_validate_event_bad_country_and_url():
    errors = validate_event({**BASE, "country": "XX", "online_url": "ftp://x"})
    assert [e.field for e in errors] == ["country", "online_url"]


def test_localize_naive_time_is_wall_clock_in_event_zone():
    value = localize(datetime(2027, 3, 28, 9, 0), "Europe/Stockholm")
    assert value.utcoffset().total_seconds() == 7200  # CEST: the day after the spring change


def test_localize_keeps_explicit_offset():
    aware = datetime(2027, 1, 1, 9, tzinfo=ZoneInfo("Asia/Seoul"))
    assert localize(aware, "Europe/Stockholm") is aware


def test_location_text_prefers_venue_over_online_link():
    assert location_text("Hall A", "", "Malmö", "Sweden", "https://x") == "Hall A, Malmö, Sweden"
    assert location_text("", "", "", "", "https://x") == "https://x"
