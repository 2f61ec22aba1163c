"""Recurrence rules, DST-correct expansion, joiners' remaining series, RSVP precedence and action carry-over."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from events_app.domain.errors import InvalidInput
from events_app.domain.meetings import (
    ActionItem,
    Answer,
    Override,
    SeriesTiming,
    actions_for,
    effective_partstat,
    expand,
    find_occurrence,
    occurrence_key,
    occurrences,
    parse_occurrence_key,
    parse_rrule,
    remaining_timing,
    validate_timing,
)

BERLIN = "Europe/Berlin"
UTC = timezone.utc


def berlin_monthly(rule="FREQ=MONTHLY;BYDAY=1TU;UNTIL=20271231") -> SeriesTiming:
    return SeriesTiming(datetime(2027, 2, 2, 14, 0), BERLIN, timedelta(minutes=90), parse_rrule(rule, BERLIN).text())


def test_parse_rrule_until_date_becomes_end_of_day_utc():
    assert (
        parse_rrule("RRULE:freq=monthly;byday=1tu;until=20271231", BERLIN).text()
        == "FREQ=MONTHLY;UNTIL=20271231T225959Z;BYDAY=1TU"
    )


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=HOURLY;COUNT=3",  # Outlook has no hourly series
        "FREQ=WEEKLY;BYDAY=TU",  # no end
        "FREQ=WEEKLY;BYDAY=TU;COUNT=3;UNTIL=20271231",  # both ends
        "FREQ=MONTHLY;BYDAY=TU;COUNT=3",  # every Tuesday of the month: not an Outlook pattern
        "FREQ=MONTHLY;BYDAY=5TU;COUNT=3",  # fifth: Outlook offers first..fourth and last
        "FREQ=MONTHLY;BYDAY=1TU;BYHOUR=9;COUNT=3",
        "FREQ=WEEKLY;BYDAY=1TU;COUNT=3",
        "FREQ=DAILY;COUNT=500",
        "FREQ=MONTHLY;COUNT=x",
        "not a rule",
    ],
)
def test_parse_rrule_refuses_rules_outlook_cannot_show(rule):
    with pytest.raises(InvalidInput) as info:
        parse_rrule(rule, BERLIN)
    assert [e.field for e in info.value.errors] == ["rrule"]


def test_expand_keeps_wall_clock_time_across_dst_changes():
    starts = expand(berlin_monthly())
    local = [s.astimezone(ZoneInfo(BERLIN)).strftime("%Y-%m-%d %H:%M") for s in starts]
    utc = [s.strftime("%m-%d %H:%M") for s in starts]
    assert local[:3] == ["2027-02-02 14:00", "2027-03-02 14:00", "2027-04-06 14:00"]
    assert utc[:3] == ["02-02 13:00", "03-02 13:00", "04-06 12:00"]  # CET, CET, then CEST after 28 March
    assert utc[-2:] == ["11-02 13:00", "12-07 13:00"]  # back to CET after 31 October
    assert len(starts) == 11


def test_a_day_the_zone_skipped_is_one_occurrence_not_two_with_one_id():
    # Samoa moved across the date line: 30 December 2011 never happened in Pacific/Apia. Read with the offset
    # before the gap (RFC 5545 3.3.5), its 10:00 is the same instant as 31 December 10:00, counted once.
    timing = SeriesTiming(datetime(2011, 12, 28, 10, 0), "Pacific/Apia", timedelta(hours=1), "FREQ=DAILY;COUNT=5")
    starts = expand(timing)
    keys = [o.key for o in occurrences(timing)]
    assert len(keys) == len(set(keys)) == len(starts) == 4
    local = [s.astimezone(ZoneInfo("Pacific/Apia")).strftime("%Y-%m-%d %H:%M") for s in starts]
    assert local == ["2011-12-28 10:00", "2011-12-29 10:00", "2011-12-31 10:00", "2012-01-01 10:00"]
    assert find_occurrence(timing, keys[2]) == starts[2]


@pytest.mark.parametrize(
    "tzid, expected",
    [
        ("America/Sao_Paulo", ["10:00", "09:00", "10:00"]),  # no DST in Brazil since 2019
        ("Africa/Johannesburg", ["15:00", "14:00", "15:00"]),  # Cape Town: UTC+2 all year
        ("Asia/Seoul", ["22:00", "21:00", "22:00"]),
    ],
)
def test_expand_gives_participants_in_other_zones_the_right_local_times(tzid, expected):
    starts = expand(berlin_monthly())
    picked = [starts[1], starts[2], starts[9]]  # March (CET), April (CEST), November (CET)
    assert [s.astimezone(ZoneInfo(tzid)).strftime("%H:%M") for s in picked] == expected


def test_validate_timing_refuses_a_start_that_is_not_an_occurrence():
    timing = SeriesTiming(datetime(2027, 2, 3, 14, 0), BERLIN, timedelta(hours=1), "FREQ=MONTHLY;COUNT=3;BYDAY=1TU")
    assert [e.field for e in validate_timing(timing)] == ["start"]


def test_validate_timing_suggests_berlin_for_bonn():
    errors = validate_timing(SeriesTiming(datetime(2027, 2, 2, 14), "Europe/Bonn", timedelta(hours=1)))
    assert [e.field for e in errors] == ["timezone"]
    assert "Europe/Berlin" in errors[0].message


def test_occurrences_apply_overrides_and_rotate_hosts():
    timing = berlin_monthly()
    starts = expand(timing)
    moved = Override(starts[1], starts[1] + timedelta(days=1), starts[1] + timedelta(days=1, minutes=90))
    cancelled = Override(starts[2], cancelled=True)
    occs = occurrences(timing, [moved, cancelled], host_rotation=[7, 8, 9])
    assert [(o.moved, o.cancelled, o.host_organization_id) for o in occs[:4]] == [
        (False, False, 7),
        (True, False, 8),
        (False, True, 9),
        (False, False, 7),
    ]
    assert occs[1].key == occurrence_key(starts[1]) == "20270302T130000Z"
    assert parse_occurrence_key(occs[1].key) == starts[1]


def test_remaining_timing_starts_at_the_next_occurrence_and_replaces_count_by_until():
    timing = SeriesTiming(
        datetime(2027, 2, 2, 14, 0),
        BERLIN,
        timedelta(hours=1),
        parse_rrule("FREQ=MONTHLY;INTERVAL=2;BYDAY=1TU;COUNT=5", BERLIN).text(),
    )
    rest = remaining_timing(timing, datetime(2027, 5, 1, tzinfo=UTC))
    assert rest.start_local == datetime(2027, 6, 1, 14, 0)
    assert rest.rrule == "FREQ=MONTHLY;INTERVAL=2;UNTIL=20271005T120000Z;BYDAY=1TU"
    assert expand(rest) == expand(timing)[2:]


def test_remaining_timing_is_none_after_the_last_occurrence():
    assert remaining_timing(berlin_monthly(), datetime(2028, 1, 1, tzinfo=UTC)) is None


def test_effective_partstat_latest_answer_wins():
    first = datetime(2027, 3, 2, 13, 0, tzinfo=UTC)
    answers = [
        Answer("ACCEPTED", datetime(2027, 1, 1, tzinfo=UTC), None),
        Answer("DECLINED", datetime(2027, 1, 2, tzinfo=UTC), first),
    ]
    assert effective_partstat(answers, first) == "DECLINED"
    assert effective_partstat(answers, first + timedelta(days=35)) == "ACCEPTED"
    later_series = answers + [Answer("TENTATIVE", datetime(2027, 1, 3, tzinfo=UTC), None)]
    assert effective_partstat(later_series, first) == "TENTATIVE"
    assert effective_partstat([], first) == "NEEDS-ACTION"


def test_actions_carry_over_until_done():
    starts = expand(berlin_monthly())
    open_action = ActionItem(1, "Share the mobility data", starts[0], owner_person_id=3, due_date=date(2027, 3, 1))
    done_action = ActionItem(2, "Circulate minutes", starts[0], done_at=starts[1] + timedelta(days=3))
    listed = {
        i: [(a.id, carried) for a, carried in actions_for([open_action, done_action], s)]
        for i, s in enumerate(starts[:3])
    }
    assert listed == {0: [(1, False), (2, False)], 1: [(1, True), (2, True)], 2: [(1, True)]}


def test_actions_carry_over_by_when_meetings_were_held():
    starts = expand(berlin_monthly())
    first, second, third = starts[:3]
    # the second meeting was moved to before the first's action was done; the third was moved before the second
    held = {second: first + timedelta(days=2), third: first + timedelta(days=1)}
    action = ActionItem(1, "Share the mobility data", first, done_at=first + timedelta(days=10))
    raised_at_second = ActionItem(2, "Draft the joint letter", second)
    assert [(a.id, c) for a, c in actions_for([action], second, held)] == [(1, True)]
    # raised at the second meeting, held after the third: not on the third meeting's list
    assert [(a.id, c) for a, c in actions_for([action, raised_at_second], third, held)] == [(1, True)]
    assert [(a.id, c) for a, c in actions_for([action, raised_at_second], second, held)] == [(1, True), (2, False)]
