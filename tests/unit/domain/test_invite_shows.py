"""What an invite shows: the one rule deciding whether people's copies are outdated."""

from dataclasses import fields, replace
from datetime import datetime, timedelta, timezone

import pytest

from events_app.domain import invite_shows
from events_app.domain.agenda import PersonInRole, session_calendar_item
from events_app.domain.ical import CalendarItem
from events_app.domain.invite_shows import (
    NOT_SHOWN_FIELDS,
    SHOWN_FIELDS,
    copy_is_stale,
    shown,
    shown_changes,
    update_due,
    was_and_now,
)

START = datetime(2027, 3, 10, 13, 0, tzinfo=timezone.utc)
ITEM = CalendarItem(
    uid="u-1",
    sequence=2,
    summary="Water resilience",
    starts_at=START,
    ends_at=START + timedelta(hours=1),
    tzid="Europe/Madrid",
    organizer_email="o@example.org",
    organizer_name="Secretariat",
    description="Parks",
    location="Room A, CTICC",
)
SESSION = {
    "calendar_uid": "7d0c5a8e-1111-4a4a-8888-000000000001",
    "calendar_sequence": 0,
    "title": "Panel",
    "kind": "panel",
    "starts_at": START,
    "ends_at": START + timedelta(hours=1),
    "abstract": "",
    "online_url": "",
    "status": "published",
}
EVENT = {
    "timezone": "Europe/Berlin",
    "venue_name": "World Conference Center",
    "venue_address": "Platz der Vereinten Nationen 2",
    "city": "Bonn",
    "country": "DE",
    "online_url": "",
    "status": "published",
    "organizer_email": "x@example.org",
    "organizer_name": "Secretariat",
}


def test_every_calendar_item_field_is_named_shown_or_not_shown():
    invite_shows.check_complete()
    assert set(SHOWN_FIELDS) | set(NOT_SHOWN_FIELDS) == {f.name for f in fields(CalendarItem)}
    assert not set(SHOWN_FIELDS) & set(NOT_SHOWN_FIELDS)


@pytest.mark.parametrize("name", SHOWN_FIELDS)
def test_a_change_of_each_shown_field_makes_an_update_due(name):
    value = getattr(ITEM, name)
    other = {
        datetime: lambda v: v + timedelta(minutes=30),
        str: lambda v: v + " (changed)",
        tuple: lambda v: (*v, "X") if name != "exdates" else (START,),
        type(None): lambda v: START,
    }[type(value)](value)
    changed = replace(ITEM, **{name: other})
    assert list(shown_changes(shown(ITEM), shown(changed))) == [name]
    assert update_due(shown(ITEM), shown(changed))


@pytest.mark.parametrize("name", NOT_SHOWN_FIELDS)
def test_a_change_of_a_field_not_shown_sends_nothing(name):
    value = getattr(ITEM, name)
    changed = replace(ITEM, **{name: value + 1 if isinstance(value, int) else value + "x"})
    assert shown_changes(shown(ITEM), shown(changed)) == {}


def test_shown_fields_are_json_values_with_utc_times():
    assert shown(replace(ITEM, starts_at=START.astimezone(timezone(timedelta(hours=2)))))["starts_at"] == (
        "2027-03-10T13:00:00+00:00"
    )


def test_a_copy_is_stale_below_the_current_sequence_or_when_unknown():
    assert [copy_is_stale(None, 3), copy_is_stale(2, 3), copy_is_stale(3, 3)] == [True, True, False]


def test_was_and_now_names_time_and_place():
    moved = replace(ITEM, starts_at=START + timedelta(days=1), location="Room B, CTICC")
    assert was_and_now(shown(ITEM), shown(moved)) == {"time": True, "place": True}
    assert was_and_now(shown(ITEM), shown(replace(ITEM, summary="New"))) == {"time": False, "place": False}


def _session_shown(session=SESSION, event=EVENT, people=(), room="Hall A") -> dict:
    return shown(session_calendar_item(session, event, list(people), room, ""))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"venue_name": "Bundeshaus"}, "location"),
        ({"venue_address": "Görresstraße 15"}, "location"),
        ({"city": "Köln"}, "location"),
        ({"timezone": "Europe/Madrid"}, "tzid"),
        ({"online_url": "https://stream.example.org/x"}, "description"),
        ({"status": "cancelled"}, "status"),
    ],
)
def test_a_session_invite_shows_what_its_event_changes(change, field):
    """The event's venue, address, link, zone and cancellation are in every session's invite."""
    assert field in shown_changes(_session_shown(), _session_shown(event={**EVENT, **change}))


def test_a_session_invite_shows_its_room_name_title_and_people():
    base = _session_shown()
    assert list(shown_changes(base, _session_shown(room="Hall B"))) == ["location"]
    assert list(shown_changes(base, _session_shown(session={**SESSION, "title": "New"}))) == ["summary"]
    assert list(shown_changes(base, _session_shown(people=[PersonInRole("Ana Lima", "speaker")]))) == ["description"]
    assert shown_changes(base, _session_shown(session={**SESSION, "capacity": 3})) == {}


def test_a_session_of_a_cancelled_event_is_cancelled():
    item = session_calendar_item(SESSION, {**EVENT, "status": "cancelled"})
    assert item.status == "CANCELLED"
    assert item.location == "World Conference Center, Platz der Vereinten Nationen 2, Bonn, Germany"


def test_remembered_versions_keep_time_place_and_title_but_no_description():
    from events_app.domain.invite_shows import remembered

    kept = remembered(shown(replace(ITEM, description="Speakers: Zofia Wisniewska")))
    assert "Zofia" not in repr(kept)
    assert {k: kept[k] for k in ("summary", "location", "tzid")} == {
        "summary": "Water resilience",
        "location": "Room A, CTICC",
        "tzid": "Europe/Madrid",
    }
    assert kept["digest"] != remembered(shown(ITEM))["digest"]
    assert was_and_now(kept, shown(replace(ITEM, location="Room B"))) == {"time": False, "place": True}
