from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar

from events_app.domain.agenda import (
    PersonInRole,
    Slot,
    all_conflicts,
    bookable,
    booking_status,
    calendar_changed,
    change_action,
    changes_between,
    effective_capacity,
    find_conflicts,
    localize_strict,
    places_to_promote,
    session_calendar_item,
    validate_session,
)
from events_app.domain.ical import feed, feed_from_parts, feed_vevent

BERLIN = ZoneInfo("Europe/Berlin")
DAY = datetime(2027, 6, 1, tzinfo=BERLIN)
EVENT = (DAY, DAY + timedelta(days=3))


def slot(id, hour, hours=1, room=1, persons=(), status="published", title=None):
    start = DAY + timedelta(hours=hour)
    return Slot(id, title or f"S{id}", start, start + timedelta(hours=hours), room, frozenset(persons), status)


def test_find_conflicts_same_room_overlap_is_room_conflict():
    found = find_conflicts(slot(None, 10), [slot(1, 10.5)], *EVENT)
    assert [(c.rule, c.session_ids, c.room_id) for c in found] == [("room", (None, 1), 1)]


def test_find_conflicts_back_to_back_in_one_room_is_fine():
    assert find_conflicts(slot(None, 10), [slot(1, 11), slot(2, 9)], *EVENT) == []


def test_find_conflicts_person_in_two_rooms_at_once_is_person_conflict():
    found = find_conflicts(slot(None, 10, room=1, persons=[7]), [slot(1, 10, room=2, persons=[7, 8])], *EVENT)
    assert [(c.rule, c.person_id) for c in found] == [("person", 7)]


def test_find_conflicts_outside_event_dates_is_reported():
    found = find_conflicts(slot(None, 24 * 3 + 1), [], *EVENT)
    assert [c.rule for c in found] == ["outside_event"]


def test_find_conflicts_ignores_cancelled_sessions_and_itself():
    found = find_conflicts(slot(1, 10), [slot(1, 10), slot(2, 10, status="cancelled")], *EVENT)
    assert found == []


def test_find_conflicts_cancelled_candidate_has_none():
    assert find_conflicts(slot(1, 10, status="cancelled"), [slot(2, 10)], *EVENT) == []


def test_all_conflicts_lists_every_pair_once():
    slots = [
        slot(1, 10, hours=3),
        slot(2, 10.5),
        slot(3, 12),
        slot(4, 13),
        slot(5, 10, room=2, persons=[9]),
        slot(6, 10.5, room=3, persons=[9]),
    ]
    found = all_conflicts(slots, *EVENT)
    assert [(c.rule, c.session_ids) for c in found] == [("room", (1, 2)), ("room", (1, 3)), ("person", (5, 6))]


def test_all_conflicts_session_past_midnight_conflicts_with_next_day_morning_session():
    late = slot(1, 23, hours=3)  # 23:00 to 02:00 next day
    early = slot(2, 25)  # 01:00 next day
    assert [c.session_ids for c in all_conflicts([late, early], *EVENT)] == [(1, 2)]


def test_localize_strict_naive_time_is_wall_clock_in_event_zone():
    value, error = localize_strict(datetime(2027, 6, 1, 9, 0), "Europe/Berlin", "starts_at")
    assert (value, error) == (datetime(2027, 6, 1, 7, 0, tzinfo=timezone.utc), None)


def test_localize_strict_refuses_time_skipped_by_dst():
    _, error = localize_strict(datetime(2027, 3, 28, 2, 30), "Europe/Berlin", "starts_at")
    assert (error.field, "does not exist" in error.message) == ("starts_at", True)


def test_localize_strict_refuses_ambiguous_time_without_offset():
    _, error = localize_strict(datetime(2027, 10, 31, 2, 30), "Europe/Berlin", "starts_at")
    assert ("twice" in error.message, "+01:00" in error.message, "+02:00" in error.message) == (True, True, True)


def test_localize_strict_keeps_given_offset():
    given = datetime(2027, 10, 31, 2, 30, tzinfo=timezone(timedelta(hours=1)))
    assert localize_strict(given, "Europe/Berlin", "starts_at") == (given, None)


def test_validate_session_reports_each_problem():
    errors = validate_session(
        {
            "title": " ",
            "kind": "party",
            "starts_at": DAY,
            "ends_at": DAY,
            "language": "english",
            "online_url": "ftp://x",
            "capacity": 50,
        },
        room_capacity=40,
    )
    assert [e.field for e in errors] == ["title", "kind", "ends_at", "language", "online_url", "capacity"]


def test_validate_session_capacity_below_bookings_is_refused():
    errors = validate_session(
        {
            "title": "T",
            "kind": "talk",
            "starts_at": DAY,
            "ends_at": DAY + timedelta(hours=1),
            "language": "en",
            "requires_booking": True,
            "capacity": 2,
            "booked_count": 3,
        }
    )
    assert [e.field for e in errors] == ["capacity"]


def test_effective_capacity_is_never_above_room():
    assert (
        effective_capacity(None, 30),
        effective_capacity(50, 30),
        effective_capacity(20, 30),
        effective_capacity(None, None),
    ) == (30, 30, 20, None)


def test_booking_status_waitlists_when_full():
    assert (
        booking_status(True, 2, 1),
        booking_status(True, 2, 2),
        booking_status(False, 2, 5),
        booking_status(True, None, 100),
    ) == ("booked", "waitlisted", "booked", "booked")


def test_places_to_promote_fills_free_places_only():
    assert (
        places_to_promote(True, 3, 1, 5),
        places_to_promote(True, 3, 3, 5),
        places_to_promote(True, 3, 1, 1),
        places_to_promote(False, 3, 3, 2),
    ) == (2, 0, 1, 2)


def test_bookable_needs_confirmed_registration_and_published_session():
    assert [
        bookable("published", "confirmed"),
        bookable("published", "pending").field,
        bookable("cancelled", "confirmed").field,
        bookable("draft", "confirmed").field,
    ] == [None, "registration", "session", "session"]


def test_calendar_changed_on_time_room_or_status_only():
    before = {"starts_at": DAY, "ends_at": DAY, "room_id": 1, "status": "published", "title": "A"}
    assert [
        calendar_changed(before, {**before, "title": "B"}),
        calendar_changed(before, {**before, "room_id": 2}),
        calendar_changed(before, {**before, "status": "cancelled"}),
    ] == [False, True, True]


def test_change_action_names_moves_and_cancellations():
    before = {"starts_at": DAY, "room_id": 1, "status": "published"}
    assert [
        change_action(None, before),
        change_action(before, {**before, "room_id": 2}),
        change_action(before, {**before, "status": "cancelled"}),
        change_action(before, {**before, "title": "x"}),
    ] == ["created", "moved", "cancelled", "updated"]


def test_changes_between_records_from_and_to_in_utc():
    later = DAY + timedelta(hours=1)
    assert changes_between({"starts_at": DAY, "title": "A"}, {"starts_at": later, "title": "A"}) == {
        "starts_at": {"from": "2027-05-31T22:00:00+00:00", "to": "2027-05-31T23:00:00+00:00"}
    }


def _session(**overrides):
    row = {
        "calendar_uid": "7d0c5a8e-1111-4a4a-8888-000000000001",
        "calendar_sequence": 2,
        "title": "Nature-based",
        "starts_at": DAY + timedelta(hours=9),
        "ends_at": DAY + timedelta(hours=10),
        "status": "published",
        "abstract": "Parks, wetlands",
        "online_url": "https://stream.example.org/1",
        "kind": "panel",
    }
    row.update(overrides)
    return row


EVENT_ROW = {
    "timezone": "Europe/Berlin",
    "venue_name": "World Conference Center",
    "organizer_email": "x@example.org",
    "organizer_name": "Secretariat",
}


def test_session_calendar_item_carries_uid_sequence_location_and_people():
    item = session_calendar_item(
        _session(),
        EVENT_ROW,
        [PersonInRole("Ana Lima", "moderator", "City of Recife")],
        "Hall A",
        "Nature-based development",
    )
    assert (item.uid, item.sequence, item.location, item.categories, item.status) == (
        "7d0c5a8e-1111-4a4a-8888-000000000001",
        2,
        "Hall A, World Conference Center",
        ("Panel", "Nature-based development"),
        "CONFIRMED",
    )
    assert (
        item.description == "Parks, wetlands\n\nModerators: Ana Lima (City of Recife)\n\n"
        "Online: https://stream.example.org/1"
    )


def test_cancelled_session_is_cancelled_in_feed():
    item = session_calendar_item(_session(status="cancelled"), EVENT_ROW)
    stamp = datetime(2027, 1, 1, tzinfo=timezone.utc)
    event = icalendar.Calendar.from_ical(feed([item], "X", {item.uid: stamp})).walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED"


def test_feed_from_parts_equals_feed():
    items = [
        session_calendar_item(
            _session(
                calendar_uid=f"7d0c5a8e-1111-4a4a-8888-00000000000{i}",
                starts_at=DAY + timedelta(hours=i),
                ends_at=DAY + timedelta(hours=i + 1),
            ),
            EVENT_ROW,
            [],
            "Hall A",
        )
        for i in range(5)
    ]
    stamp = datetime(2027, 1, 1, tzinfo=timezone.utc)
    stamps = {i.uid: stamp for i in items}
    assert feed_from_parts(items, "Agenda", [feed_vevent(i, stamp) for i in items]) == feed(items, "Agenda", stamps)
