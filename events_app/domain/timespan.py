"""Time ranges: the one overlap rule. Ranges are half-open, [starts, ends): back-to-back ranges (one ends when the
next starts) do not overlap. services.platform.time_overlap writes the same rule as an SQL predicate."""

from __future__ import annotations

from datetime import date
from typing import Any


def ranges_overlap(a_starts: Any, a_ends: Any, b_starts: Any, b_ends: Any) -> bool:
    """Whether [a_starts, a_ends) and [b_starts, b_ends) share a moment (datetimes, or any ordered values)."""
    return bool(a_starts < b_ends and b_starts < a_ends)


def days_overlap(first: date, last: date, from_day: date | None, until_day: date | None) -> bool:
    """Whether the whole days first..last meet the days from_day..until_day (both inclusive; None leaves that
    side open): the same rule over half-open ranges of day numbers."""
    lo = (from_day or date.min).toordinal()
    hi = (until_day or date.max).toordinal()
    return ranges_overlap(first.toordinal(), last.toordinal() + 1, lo, hi + 1)
