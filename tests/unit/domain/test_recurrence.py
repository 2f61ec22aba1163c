"""The recurrence builder: choices to RRULE and back, with the problems on the builder's fields."""

from __future__ import annotations

from datetime import date

from events_app.domain.meetings import parse_rrule
from events_app.domain.recurrence import RepeatChoice, build_rrule, choice_of


def test_monthly_on_the_nth_weekday_n_times():
    rule, errors = build_rrule(RepeatChoice("monthly", nth=2, weekday="TU", count=6))
    assert (rule, errors) == ("FREQ=MONTHLY;BYDAY=2TU;COUNT=6", [])
    parse_rrule(rule, "Europe/Berlin")  # the service's own check accepts it


def test_weekly_defaults_to_the_first_meetings_weekday_and_sorts_days():
    assert build_rrule(RepeatChoice("weekly", interval=2, until=date(2027, 6, 30)), date(2027, 3, 4))[0] == (
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;UNTIL=20270630"
    )
    assert build_rrule(RepeatChoice("weekly", weekdays=("TH", "MO"), count=4))[0] == "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4"


def test_problems_name_the_builders_fields():
    _, errors = build_rrule(RepeatChoice("monthly", interval=0, nth=5, weekday="XX"))
    assert sorted(e.field for e in errors) == ["repeat_end", "repeat_interval", "repeat_nth", "repeat_weekday"]
    _, late = build_rrule(RepeatChoice("weekly", until=date(2027, 1, 1)), date(2027, 3, 1))
    assert [e.field for e in late] == ["repeat_until"]


def test_no_repeat_and_hand_written_rules():
    assert build_rrule(RepeatChoice()) == (None, [])
    assert build_rrule(RepeatChoice("custom", rule=" FREQ=DAILY;COUNT=3 ")) == ("FREQ=DAILY;COUNT=3", [])


def test_stored_rules_come_back_as_choices():
    monthly = choice_of("FREQ=MONTHLY;UNTIL=20271231T225959Z;BYDAY=1TU", "Europe/Berlin")
    assert (monthly.repeat, monthly.nth, monthly.weekday, monthly.until) == ("monthly", 1, "TU", date(2027, 12, 31))
    west = choice_of("FREQ=WEEKLY;UNTIL=20280101T075959Z;BYDAY=MO", "America/Los_Angeles")
    assert (west.repeat, west.weekdays, west.until) == ("weekly", ("MO",), date(2027, 12, 31))
    assert choice_of("FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3").repeat == "custom"
    assert choice_of(None).repeat == "none"
