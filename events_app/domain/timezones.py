"""VTIMEZONE components that calendar clients read correctly.

icalendar can derive a VTIMEZONE from zoneinfo, but it writes each change as an RDATE list and a COMMENT directly in
VTIMEZONE: libical rejects the COMMENT and Outlook mis-maps RDATE-style zones. Here each observance is written as
one yearly RRULE (e.g. BYMONTH=3;BYDAY=-1SU), checked against the real transitions; a zone whose rule cannot be
written that way falls back to one sub-component per transition.
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Transition:
    at_utc: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    is_dst: bool

    @property
    def local_onset(self) -> datetime:
        """Wall-clock time of the change, read on the clock before it (how VTIMEZONE DTSTART is written)."""
        return (self.at_utc + self.offset_from).replace(tzinfo=None)


def _offset(tz: ZoneInfo, at: datetime) -> timedelta:
    return at.astimezone(tz).utcoffset() or timedelta(0)


def transitions(tzid: str, first_year: int, last_year: int) -> list[Transition]:
    """Every UTC-offset change of the zone from 1 January of first_year to 31 December of last_year."""
    tz = ZoneInfo(tzid)
    start = datetime(first_year, 1, 1, tzinfo=timezone.utc)
    end = datetime(last_year + 1, 1, 1, tzinfo=timezone.utc)
    found: list[Transition] = []
    step = timedelta(hours=6)
    t = start
    before = _offset(tz, t)
    while t < end:
        nxt = t + step
        after = _offset(tz, nxt)
        if after != before:
            lo, hi = int(t.timestamp()), int(nxt.timestamp())  # bisect to the exact second
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset(tz, datetime.fromtimestamp(mid, timezone.utc)) == before:
                    lo = mid
                else:
                    hi = mid
            onset = datetime.fromtimestamp(hi, timezone.utc)
            local = onset.astimezone(tz)
            found.append(Transition(onset, before, after, local.tzname() or "", after > before))
        t, before = nxt, after
    return found


def _yearly_rule(onset: datetime) -> dict[str, Any]:
    """The RRULE parts that name this onset's day: nth (or last) weekday of its month."""
    weekday = _DAYS[onset.weekday()]
    last_day = calendar.monthrange(onset.year, onset.month)[1]
    nth = -1 if onset.day + 7 > last_day else (onset.day - 1) // 7 + 1
    return {"FREQ": "YEARLY", "BYMONTH": [onset.month], "BYDAY": [f"{nth}{weekday}"]}


def _rule_day(year: int, rule: dict[str, Any]) -> int:
    month = rule["BYMONTH"][0]
    spec = rule["BYDAY"][0]
    nth, weekday = int(spec[:-2]), _DAYS.index(spec[-2:])
    days = [d for d in range(1, calendar.monthrange(year, month)[1] + 1) if calendar.weekday(year, month, d) == weekday]
    return days[nth - 1] if nth > 0 else days[nth]


def _component(t: Transition) -> TimezoneDaylight | TimezoneStandard:
    component = TimezoneDaylight() if t.is_dst else TimezoneStandard()
    component.add("dtstart", t.local_onset)
    component.add("tzoffsetfrom", t.offset_from)
    component.add("tzoffsetto", t.offset_to)
    if t.name:
        component.add("tzname", t.name)
    return component


@functools.cache
def vtimezone(tzid: str, year: int, last_year: int | None = None) -> Timezone:
    """A VTIMEZONE valid for events from year-1 to last_year+1 (last_year defaults to year), built once per zone and
    years in each process. Times before the first change it lists read with the offset then in force; a yearly
    rule the zone stops following within the years carries an UNTIL, so later times read with the offset after."""
    last_year = year if last_year is None else last_year
    first, last = year - 2, last_year + 2
    found = transitions(tzid, first, last)
    tz = Timezone()
    tz.add("tzid", tzid)
    if not found:
        probe = datetime(year, 1, 1, tzinfo=timezone.utc).astimezone(ZoneInfo(tzid))
        component = TimezoneStandard()
        component.add("dtstart", datetime(1970, 1, 1))
        offset = probe.utcoffset() or timedelta(0)
        component.add("tzoffsetfrom", offset)
        component.add("tzoffsetto", offset)
        component.add("tzname", probe.tzname() or tzid)
        tz.add_component(component)
        return tz
    groups: dict[tuple[bool, timedelta, timedelta, int], list[Transition]] = {}
    for t in found:
        groups.setdefault((t.is_dst, t.offset_from, t.offset_to, t.local_onset.month), []).append(t)
    regular = all(len(g) >= 3 for g in groups.values()) and len(groups) <= 2
    if regular:
        for group in groups.values():
            rule = _yearly_rule(group[-1].local_onset)
            years = [t.local_onset.year for t in group]
            fits = (
                years == list(range(first, first + len(group)))  # every year from the first, none skipped
                and all(
                    t.local_onset.day == _rule_day(t.local_onset.year, rule)
                    and t.local_onset.time() == group[0].local_onset.time()
                    for t in group
                )
            )
            if not fits:
                regular = False
                break
    if not regular:
        tz.add_component(_initial(tzid, found[0], first))
        for t in found:
            tz.add_component(_component(t))
        return tz
    for group in sorted(groups.values(), key=lambda g: g[0].at_utc):
        observance = _component(group[0])
        rule = _yearly_rule(group[-1].local_onset)
        if group[-1].local_onset.year < last:  # the zone stops following the rule (e.g. DST abolished)
            # a day after the last change: clients that read UTC UNTIL as wall-clock time keep that change too
            rule["UNTIL"] = group[-1].at_utc + timedelta(days=1)
        observance.add("rrule", vRecur(rule))
        tz.add_component(observance)
    return tz


def _initial(tzid: str, first_change: Transition, first_year: int) -> TimezoneStandard | TimezoneDaylight:
    """The offset in force before the first listed change, from the start of first_year (clients read a time
    before a VTIMEZONE's first observance with some observance's offset, often the wrong one)."""
    start = datetime(first_year, 1, 1, tzinfo=timezone.utc)
    local = start.astimezone(ZoneInfo(tzid))
    offset = first_change.offset_from
    component = TimezoneDaylight() if local.dst() else TimezoneStandard()
    component.add("dtstart", (start + offset).replace(tzinfo=None))
    component.add("tzoffsetfrom", offset)
    component.add("tzoffsetto", offset)
    component.add("tzname", local.tzname() or tzid)
    return component
