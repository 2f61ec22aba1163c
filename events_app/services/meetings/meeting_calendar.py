"""The calendar objects of a meeting series, as every invite, update, cancellation and feed shows them.

One UID per series; the master VEVENT carries the RRULE and an EXDATE per cancelled occurrence, and each moved
(or relocated) occurrence is an override VEVENT with RECURRENCE-ID = its original start. Invites and feeds are
built from the same functions so their UIDs, SEQUENCEs and times cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import msgspec

from events_app.db import queries
from events_app.domain.ical import CalendarItem, feed
from events_app.domain.meetings import Occurrence, SeriesTiming, location_text, occurrences, wall_to_utc
from events_app.mail.render import translate
from events_app.services.meetings.meetings import _agenda, _host_rotation, load_overrides, timing_of
from events_app.services.meetings.rows import ROWS, ProjectRow, SeriesRow
from events_app.settings import Settings

Q = queries.load(__file__, rows=ROWS)


def _description(series: SeriesRow, agenda: list[dict], host: str = "", language: str = "en") -> str:
    """The description's labels in `language` (the invitee's in mail, English in feeds), through the mail catalogue."""
    parts = [series.description] if series.description else []
    if series.online_url and series.mode != "in_person":
        parts.append(translate(language, "Join online: {url}", url=series.online_url))
    if host:
        parts.append(translate(language, "Host: {host}", host=host))
    if agenda:
        minutes = {
            a["duration_minutes"]: translate(language, "{minutes} min", minutes=a["duration_minutes"]) for a in agenda
        }
        lines = [
            f"{i}. {a['title']}"
            + (f" ({minutes[a['duration_minutes']]})" if a.get("duration_minutes") else "")
            + (f" - {a['presenter']}" if a.get("presenter") else "")
            for i, a in enumerate(agenda, start=1)
        ]
        parts.append(translate(language, "Agenda:") + "\n" + "\n".join(lines))
    return "\n\n".join(parts)


def _organizer(project: ProjectRow, settings: Settings) -> tuple[str, str]:
    return (project.organizer_email or settings.mail_from, project.organizer_name or settings.mail_from_name)


def reply_mailbox(project: ProjectRow, settings: Settings) -> str:
    """The mailbox whose plus-addresses receive this project's REPLYs: REPLY_MAILBOX when the deployment routes one
    mailbox to the inbound endpoint, else the project's organizer address, else MAIL_FROM."""
    return settings.reply_mailbox or _organizer(project, settings)[0]


def master_item(
    series: SeriesRow,
    project: ProjectRow,
    agenda: list[dict],
    timing: SeriesTiming,
    occs: list[Occurrence],
    sequence: int,
    settings: Settings,
    language: str = "en",
) -> CalendarItem:
    start = wall_to_utc(timing.start_local, timing.tzid)
    exdates = tuple(o.recurrence_id for o in occs if o.cancelled and o.recurrence_id >= start) if timing.rrule else ()
    email, name = _organizer(project, settings)
    return CalendarItem(
        uid=str(series.calendar_uid),
        sequence=sequence,
        summary=series.title,
        # a rule repeats the wall-clock start: one in a DST gap (02:30 on the spring-forward day) is written as such,
        # so the later meetings stay at 02:30 (as the instant, 03:30, every one would move)
        starts_at=timing.start_local.replace(tzinfo=ZoneInfo(timing.tzid)) if timing.rrule else start,
        ends_at=start + timing.duration,
        tzid=timing.tzid,
        organizer_email=email,
        organizer_name=name,
        description=_description(series, agenda, language=language),
        location=location_text(series.mode, series.location, series.online_url),
        url=series.online_url if series.mode != "in_person" else "",
        status="CANCELLED" if series.status == "cancelled" else "CONFIRMED",
        rrule=timing.rrule or "",
        exdates=exdates,
    )


def override_item(
    series: SeriesRow,
    project: ProjectRow,
    agenda: list[dict],
    occ: Occurrence,
    sequence: int,
    settings: Settings,
    host_names: dict[int, str],
    language: str = "en",
) -> CalendarItem:
    email, name = _organizer(project, settings)
    online = occ.online_url if occ.online_url is not None else series.online_url
    place = occ.location if occ.location is not None else series.location
    view = msgspec.structs.replace(series, online_url=online)
    return CalendarItem(
        uid=str(series.calendar_uid),
        sequence=sequence,
        summary=series.title,
        starts_at=occ.starts_at,
        ends_at=occ.ends_at,
        tzid=series.timezone,
        organizer_email=email,
        organizer_name=name,
        description=_description(view, agenda, host_names.get(occ.host_organization_id or 0, ""), language),
        location=location_text(series.mode, place, online),
        url=online if series.mode != "in_person" else "",
        recurrence_id=occ.recurrence_id,
    )


def is_override(occ: Occurrence) -> bool:
    return not occ.cancelled and (occ.moved or occ.location is not None or occ.online_url is not None)


async def load(series_id: int) -> tuple[SeriesRow, ProjectRow, list[dict], list[Occurrence], dict[int, str]]:
    """Series row, project row, agenda, occurrences (with overrides) and host organization names."""
    series = await Q.series_by_id(series_id=series_id)
    project = await Q.project_by_id(project_id=series.project)
    agenda = await _agenda(series_id)
    rotation = _host_rotation(series)
    occs = occurrences(timing_of(series), await load_overrides(series_id), rotation)
    names = {r["id"]: r["name"] for r in await Q.organization_names(organization_ids=rotation)} if rotation else {}
    return series, project, agenda, occs, names


def series_items(
    series: SeriesRow,
    project: ProjectRow,
    agenda: list[dict],
    occs: list[Occurrence],
    names: dict[int, str],
    sequence: int,
    settings: Settings,
    timing: SeriesTiming | None = None,
    language: str = "en",
) -> list[CalendarItem]:
    """Master plus overrides; with `timing` (the remaining part for a joiner) only what lies within it."""
    timing = timing or timing_of(series)
    start = wall_to_utc(timing.start_local, timing.tzid)
    items = [master_item(series, project, agenda, timing, occs, sequence, settings, language)]
    if timing.rrule:
        items += [
            override_item(series, project, agenda, o, sequence, settings, names, language)
            for o in occs
            if is_override(o) and o.recurrence_id >= start
        ]
    return items


async def feed_bytes(series_ids: list[int], name: str, settings: Settings) -> bytes:
    """A subscription feed of these series: DTSTAMP is each series' last change, so unchanged feeds stay equal."""
    items: list[CalendarItem] = []
    stamps: dict[str, datetime] = {}
    for series_id in series_ids:
        series, project, agenda, occs, names = await load(series_id)
        items += series_items(series, project, agenda, occs, names, series.calendar_sequence, settings)
        stamps[str(series.calendar_uid)] = series.updated_at.astimezone(timezone.utc)
    return feed(items, name, stamps)
