from datetime import date, datetime, timezone

from events_app.domain.timespan import days_overlap, ranges_overlap


def at(hour: int) -> datetime:
    return datetime(2026, 6, 1, hour, tzinfo=timezone.utc)


def test_ranges_overlap_is_half_open():
    assert ranges_overlap(at(9), at(11), at(10), at(12)) and ranges_overlap(at(10), at(12), at(9), at(11))
    assert ranges_overlap(at(9), at(12), at(10), at(11))  # one inside the other
    assert not ranges_overlap(at(9), at(10), at(10), at(11))  # back to back
    assert not ranges_overlap(at(9), at(10), at(11), at(12))


def test_days_overlap_counts_whole_days_inclusive_and_open_sides():
    june = date(2026, 6, 1), date(2026, 6, 3)
    assert days_overlap(*june, date(2026, 6, 3), date(2026, 6, 9))  # the last day counts
    assert days_overlap(*june, None, date(2026, 6, 1))  # the first day counts
    assert not days_overlap(*june, date(2026, 6, 4), None)
    assert not days_overlap(*june, None, date(2026, 5, 31))
    assert days_overlap(*june, None, None) and days_overlap(date.max, date.max, date.max, None)
