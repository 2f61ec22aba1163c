"""The hours rule of certificates of attendance (events_app.domain.certificates)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from events_app.domain.certificates import (
    Attended,
    attended_minutes,
    certificate_code,
    hours,
    merged,
    scheduled_days,
    scheduled_minutes,
)
from events_app.domain.security import checkin_token, manage_token

MADRID = ZoneInfo("Europe/Madrid")
TZ = "Europe/Madrid"


def at(day: int, hour: int, minute: int = 0, month: int = 6) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=MADRID)


# A congress from Monday 7 June 09:00 to Wednesday 9 June 18:00: 9 hours on each of three days.
START, END = at(7, 9), at(9, 18)


def test_scheduled_days_of_a_congress_are_its_daily_hours():
    days = scheduled_days(START, END, TZ)
    assert days == {
        date(2027, 6, 7): (at(7, 9), at(7, 18)),
        date(2027, 6, 8): (at(8, 9), at(8, 18)),
        date(2027, 6, 9): (at(9, 9), at(9, 18)),
    }
    assert scheduled_minutes(START, END, TZ) == 27 * 60


def test_scheduled_days_of_a_one_day_event_are_its_span():
    assert scheduled_days(at(7, 10), at(7, 13, 30), TZ) == {date(2027, 6, 7): (at(7, 10), at(7, 13, 30))}


def test_scheduled_days_of_an_overnight_event_run_without_break():
    days = scheduled_days(at(7, 20), at(8, 2), TZ)
    assert days == {date(2027, 6, 7): (at(7, 20), at(8, 0)), date(2027, 6, 8): (at(8, 0), at(8, 2))}


def test_door_check_in_counts_the_day_hours():
    assert attended_minutes(START, END, TZ, Attended(frozenset({date(2027, 6, 8)}))) == 9 * 60


def test_door_check_in_every_day_counts_the_whole_event():
    days = frozenset({date(2027, 6, 7), date(2027, 6, 8), date(2027, 6, 9)})
    assert attended_minutes(START, END, TZ, Attended(days)) == 27 * 60


def test_a_session_inside_a_door_day_adds_nothing():
    attended = Attended(frozenset({date(2027, 6, 7)}), ((at(7, 10), at(7, 11, 30)),))
    assert attended_minutes(START, END, TZ, attended) == 9 * 60


def test_a_session_on_another_day_adds_its_duration():
    attended = Attended(frozenset({date(2027, 6, 7)}), ((at(8, 10), at(8, 11, 30)),))
    assert attended_minutes(START, END, TZ, attended) == 9 * 60 + 90


def test_overlapping_sessions_count_their_union_once():
    sessions = ((at(8, 10), at(8, 12)), (at(8, 11), at(8, 13)), (at(8, 13), at(8, 14)))
    assert attended_minutes(START, END, TZ, Attended(frozenset(), sessions)) == 4 * 60


def test_a_session_outside_the_event_is_clipped_to_it():
    # an evening reception on the last day, running past the event's end: only up to 18:00 counts
    attended = Attended(frozenset(), ((at(9, 17), at(9, 21)),))
    assert attended_minutes(START, END, TZ, attended) == 60


def test_total_is_capped_at_the_scheduled_hours():
    # sessions in the evenings (outside the daily hours, inside the event's span) on top of every door day
    days = frozenset({date(2027, 6, 7), date(2027, 6, 8), date(2027, 6, 9)})
    sessions = ((at(7, 19), at(7, 23)), (at(8, 19), at(8, 23)))
    assert attended_minutes(START, END, TZ, Attended(days, sessions)) == 27 * 60


def test_a_door_scan_on_a_day_without_hours_counts_nothing():
    assert attended_minutes(START, END, TZ, Attended(frozenset({date(2027, 6, 10)}))) == 0
    assert not Attended(frozenset()).checked_in
    assert Attended(frozenset(), ((at(8, 10), at(8, 11)),)).checked_in


def test_merged_joins_touching_and_overlapping_spans():
    assert merged([(at(7, 12), at(7, 13)), (at(7, 9), at(7, 10)), (at(7, 10), at(7, 11))]) == [
        (at(7, 9), at(7, 11)),
        (at(7, 12), at(7, 13)),
    ]


def test_hours_are_shown_to_two_decimals():
    assert (hours(450), hours(735), hours(20)) == (7.5, 12.25, 0.33)


def test_certificate_code_is_long_and_purpose_bound():
    code = certificate_code("k" * 40, "0" * 32)
    assert len(code) == 43
    assert code != certificate_code("k" * 40, "1" * 32)
    assert code not in (checkin_token("k" * 40, "0" * 32), manage_token("k" * 40, "0" * 32))
