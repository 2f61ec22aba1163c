"""Meeting series and their occurrences: create, change, move, cancel, and who is told what.

Every change takes the series row's lock, grows calendar_sequence in the same transaction when invitees' copies
become outdated, and writes one outbox message per invitee (one ATTENDEE each). The worker renders them later with
the SEQUENCE fixed here (services.meetings.meeting_mail).

Mail kinds: meeting_invitation (REQUEST, whole series: new, updated, or the remaining part for a joiner),
meeting_occurrence_changed (REQUEST, one override with RECURRENCE-ID), meeting_occurrence_cancelled (CANCEL for one
occurrence), meeting_series_cancelled (CANCEL for the whole series: cancelled, or the person left the cohort).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, FieldError, NotFound, require
from events_app.domain.ical import METHOD_CANCEL, METHOD_REQUEST
from events_app.domain.meetings import (
    Answer,
    Override,
    SeriesTiming,
    check_move,
    effective_partstat,
    expand,
    find_occurrence,
    occurrence_key,
    occurrences,
    orphaned_keys,
    parse_rrule,
    to_local,
    validate_series,
    validate_timing,
    wall_to_utc,
)
from events_app.domain.replies import reply_token
from events_app.domain.security import digest, new_nonce, person_feed_token, rsvp_token
from events_app.domain.text import clean_fields, text_errors
from events_app.domain.vocab import ProjectStatus, is_time_zone
from events_app.jobs import kick_outbox
from events_app.services.meetings.rows import ROWS, SeriesRow
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_coordinator
from events_app.services.platform import calendar_sequence, outbox
from events_app.settings import get_settings

Q = queries.load(__file__, rows=ROWS)

SERIES_FIELDS = (
    "title",
    "description",
    "mode",
    "location",
    "online_url",
    "timezone",
    "start",
    "duration_minutes",
    "rrule",
    "agenda",
    "host_rotation",
)
TIMING_FIELDS = ("timezone", "start_local", "duration_minutes", "rrule")


# --------------------------------------------------------------------------- loading


def timing_of(series: SeriesRow) -> SeriesTiming:
    return SeriesTiming(series.start_local, series.timezone, timedelta(minutes=series.duration_minutes), series.rrule)


async def load_overrides(series_id: int) -> list[Override]:
    return await Q.overrides_of_series(series_id=series_id)


async def series_row(series_id: int, lock: bool = False) -> SeriesRow:
    query = Q.series_for_update if lock else Q.series_by_id
    row = await query(series_id=series_id)
    if row is None:
        raise NotFound("meeting series")
    return row


async def require_series_coordinator(account: CurrentAccount, series_id: int) -> SeriesRow:
    project_id = await Q.project_of_series(series_id=series_id)
    if project_id is None:
        raise NotFound("meeting series")
    await require_coordinator(account, project_id)
    return await series_row(series_id)


# --------------------------------------------------------------------------- invitations


async def _ensure_person_calendar(person_id: int) -> None:
    nonce = new_nonce()
    token = person_feed_token(get_settings().secret_key, nonce)
    await Q.ensure_person_calendar(person_id=person_id, token_nonce=nonce, token_hash=digest(token))


async def _invite(series: SeriesRow, person_id: int, organization_id: int | None, reason: str) -> None:
    """Make the person an invitee (with an RSVP token) and queue the whole-series REQUEST."""
    nonce = new_nonce()
    secret = get_settings().secret_key
    token = rsvp_token(secret, nonce)
    # A person invited again (left the cohort and came back) keeps their reply address: ORGANIZER stays the same.
    reply_nonce = await Q.kept_reply_nonce(series_id=series.id, person_id=person_id) or new_nonce()
    await Q.add_invitee(
        series_id=series.id,
        person_id=person_id,
        organization_id=organization_id,
        token_nonce=nonce,
        token_hash=digest(token),
        reply_nonce=reply_nonce,
        reply_hash=digest(reply_token(secret, reply_nonce)),
    )
    await _ensure_person_calendar(person_id)
    await queue_invitation(series, person_id, reason)


async def queue_invitation(series: SeriesRow, person_id: int, reason: str, **payload: Any) -> None:
    """The whole-series REQUEST to one invitee, in their language (`payload`: what else its row notes)."""
    person = await Q.person_address(person_id=person_id)
    await outbox.enqueue(
        "meeting_invitation",
        person["email"],
        language=person["language"],
        payload={
            "series_id": series.id,
            "person_id": person_id,
            "reason": reason,
            "remaining": reason == "joined",
            **payload,
        },
        calendar_method=METHOD_REQUEST,
        calendar_sequence=series.calendar_sequence,
    )


async def invite_delegate(series_id: int, person_id: int, organization_id: int | None) -> bool:
    """A delegate named in a reply joins the series like a joiner (the part still ahead); call inside a transaction.
    False when they were invited already."""
    series = await series_row(series_id, lock=True)
    if await Q.is_active_invitee(series_id=series_id, person_id=person_id):
        return False
    await _invite(series, person_id, organization_id, "joined")
    return True


async def _tell_invitees(series: SeriesRow, kind: str, method: str, sequence: int, **payload: Any) -> int:
    """Send this SEQUENCE to every invitee whose copy is older (calendar_copy): nobody gets an update twice. Returns
    the number of messages written (an erased invitee's placeholder address gets none)."""
    people = await Q.stale_invitee_addresses(series_id=series.id, sequence=sequence)
    return await outbox.enqueue_many(
        [
            {
                "kind": kind,
                "recipient": p["email"],
                "language": p["language"],
                "payload": {"series_id": series.id, "person_id": p["id"], **payload},
                "calendar_method": method,
                "calendar_sequence": sequence,
            }
            for p in people
        ]
    )


async def _bump(series_id: int) -> int:
    """Grow SEQUENCE (and the feed's DTSTAMP) with a change every invitee must hear about."""
    return await calendar_sequence.bump_series(series_id)


async def invite_to_project_series(
    project_id: int, person_id: int, organization_id: int, now: datetime | None = None
) -> None:
    """A contact joined: invite them to every active series that still has an occurrence ahead."""
    now = now or datetime.now(timezone.utc)
    ids = await Q.active_series_ahead(project_id=project_id, now=now)
    for r in ids:
        series = await series_row(r["id"], lock=True)
        if await Q.is_active_invitee(series_id=series.id, person_id=person_id):
            continue
        await _invite(series, person_id, organization_id, "joined")


async def withdraw_from_project_series(project_id: int, person_id: int, now: datetime | None = None) -> None:
    """A contact left: withdraw them from every series; those still ahead send them a CANCEL."""
    now = now or datetime.now(timezone.utc)
    rows = await Q.series_with_active_invitee(project_id=project_id, person_id=person_id)
    for r in rows:
        series = await series_row(r["id"], lock=True)
        await Q.withdraw_invitee(series_id=series.id, person_id=person_id)
        if series.status != "active" or series.last_end <= now:
            continue
        sequence = await _bump(series.id)  # the CANCEL outranks every REQUEST sent before (RFC 5546 2.1.4)
        person = await Q.person_address(person_id=person_id)
        await outbox.enqueue(
            "meeting_series_cancelled",
            person["email"],
            language=person["language"],
            payload={"series_id": series.id, "person_id": person_id, "reason": "removed"},
            calendar_method=METHOD_CANCEL,
            calendar_sequence=sequence,
        )


# --------------------------------------------------------------------------- series


SERIES_LINES, SERIES_TEXTS = ("title", "location", "online_url", "timezone", "rrule"), ("description",)


def clean_series_text(fields: dict[str, Any]) -> dict[str, Any]:
    """The text of a series (and of its agenda items) under the one text rule; every problem at once."""
    fields, errors = text_errors(fields, SERIES_LINES, SERIES_TEXTS)
    if isinstance(fields.get("agenda"), list):
        items = []
        for i, item in enumerate(fields["agenda"]):
            cleaned, problems = text_errors(item, ("title", "presenter"), prefix=f"agenda[{i}].")
            items.append(cleaned)
            errors += problems
        fields["agenda"] = items
    require(errors)
    return fields


def _spec(fields: dict[str, Any]) -> dict[str, Any]:
    """Validated, stored form of a series: wall-clock start in its zone, canonical RRULE, first/last instants."""
    errors = validate_series(fields)
    tzid = fields.get("timezone") or ""
    spec = {
        k: fields.get(k)
        for k in ("title", "description", "mode", "location", "online_url", "timezone", "duration_minutes")
    }
    spec["title"] = str(spec["title"] or "").strip()
    spec["description"] = spec["description"] or ""
    spec["location"] = (spec["location"] or "").strip()
    spec["online_url"] = spec["online_url"] or ""
    spec["agenda"] = [
        {
            "title": str(a.get("title") or "").strip(),
            "duration_minutes": a.get("duration_minutes"),
            "presenter": a.get("presenter") or "",
        }
        for a in fields.get("agenda") or []
    ]
    spec["host_rotation"] = list(fields.get("host_rotation") or [])
    if not is_time_zone(tzid):
        errors += validate_timing(SeriesTiming(datetime(2000, 1, 1), tzid, timedelta(minutes=1)))
        require(errors)
    start = fields.get("start")
    if start is None:
        errors.append(FieldError("start", "is required"))
        require(errors)
    spec["start_local"] = to_local(start, tzid).replace(tzinfo=None, microsecond=0)
    rrule = fields.get("rrule")
    spec["rrule"] = None
    if rrule:
        try:
            spec["rrule"] = parse_rrule(rrule, tzid).text()
        except Exception as exc:  # InvalidInput: reported with the other problems
            errors.extend(getattr(exc, "errors", [FieldError("rrule", str(exc))]))
    duration = spec["duration_minutes"] or 0
    if not errors:
        timing = SeriesTiming(spec["start_local"], tzid, timedelta(minutes=duration), spec["rrule"])
        errors += validate_timing(timing)
        if not errors:
            starts = expand(timing)
            spec["first_start"] = starts[0]
            spec["last_end"] = starts[-1] + timing.duration
    require(errors)
    return spec


async def _check_hosts(project_id: int, host_rotation: list[int]) -> None:
    if not host_rotation:
        return
    members = {r["organization"] for r in await Q.active_member_organizations(project_id=project_id)}
    strangers = [h for h in host_rotation if h not in members]
    if strangers:
        require(
            [
                FieldError(
                    "host_rotation",
                    f"organizations {strangers} are not in the cohort: hosts rotate among cohort organizations",
                )
            ]
        )


async def _write_agenda(series_id: int, agenda: list[dict]) -> None:
    await Q.delete_agenda(series_id=series_id)
    if agenda:
        await Q.add_agenda_item.many(
            {
                "series_id": series_id,
                "position": position,
                "title": item["title"].strip(),
                "duration_minutes": item.get("duration_minutes"),
                "presenter": item.get("presenter") or "",
            }
            for position, item in enumerate(agenda, start=1)
        )


async def create_series(account: CurrentAccount, project_id: int, fields: dict[str, Any]) -> dict:
    """A new series: stored with a fresh UID at SEQUENCE 0 and sent as REQUEST to every active cohort contact."""
    await require_coordinator(account, project_id)
    spec = _spec(clean_series_text(fields))
    async with DB.transaction():
        if await Q.lock_project(project_id=project_id) == ProjectStatus.CANCELLED:
            raise Conflict("this project is cancelled: no new meetings can start in it", "project")
        await _check_hosts(project_id, spec["host_rotation"])
        series_id = await Q.insert_series(project_id=project_id, **_series_columns(spec))
        await _write_agenda(series_id, spec["agenda"])
        await audit.record(account, "series.create", "meeting_series", series_id, None, spec, project_id=project_id)
        series = await series_row(series_id)
        contacts = await Q.active_contacts(project_id=project_id)
        for c in contacts:
            await _invite(series, c["person"], c["organization"], "new")
    await kick_outbox()
    return await get_series(account, series_id)


def _series_columns(spec: dict[str, Any]) -> dict[str, Any]:
    """The stored columns of a validated series spec (_spec), as the insert and update queries take them."""
    return {
        k: spec[k]
        for k in (
            "title",
            "description",
            "mode",
            "location",
            "online_url",
            "timezone",
            "start_local",
            "duration_minutes",
            "rrule",
            "first_start",
            "last_end",
            "host_rotation",
        )
    }


async def _agenda(series_id: int) -> list[dict]:
    return [dict(r) for r in await Q.agenda_of_series(series_id=series_id)]


def _stored_as_fields(series: SeriesRow, agenda: list[dict]) -> dict[str, Any]:
    fields = {
        k: getattr(series, k)
        for k in ("title", "description", "mode", "location", "online_url", "timezone", "duration_minutes", "rrule")
    }
    fields["start"] = series.start_local
    fields["agenda"] = agenda
    fields["host_rotation"] = _host_rotation(series)
    return fields


def _host_rotation(series: SeriesRow) -> list[int]:
    return list(series.host_rotation or [])


async def update_series(account: CurrentAccount, series_id: int, changes: dict[str, Any]) -> dict:
    """Change the whole series: one REQUEST with a higher SEQUENCE to every invitee.

    A new time or rule re-keys occurrences: overrides and per-occurrence answers of occurrences that no longer
    exist are dropped (as calendar clients drop them), except that a cancelled meeting stays cancelled on its day;
    an occurrence with minutes, attendance or actions must not vanish, so such a change is refused (409): end this
    series with UNTIL and start a new one instead.
    """
    await require_series_coordinator(account, series_id)
    changes = clean_series_text(changes)
    async with DB.transaction():
        series = await series_row(series_id, lock=True)
        if series.status == "cancelled":
            raise Conflict("this series is cancelled; create a new one", "status")
        agenda = await _agenda(series_id)
        before = _stored_as_fields(series, agenda)
        if "timezone" in changes and "start" not in changes:
            changes = {**changes, "start": series.start_local}  # same wall-clock time in the new zone
        merged = {**before, **{k: v for k, v in changes.items() if k in SERIES_FIELDS}}
        spec = _spec(merged)
        await _check_hosts(series.project, spec["host_rotation"])
        after = {**spec, "start": spec["start_local"]}
        after_fields = {k: after[k] for k in before}
        if after_fields == before:
            return await get_series(account, series_id)
        old_timing, new_timing = (
            timing_of(series),
            SeriesTiming(
                spec["start_local"], spec["timezone"], timedelta(minutes=spec["duration_minutes"]), spec["rrule"]
            ),
        )
        if old_timing != new_timing:
            await _drop_orphans(series_id, old_timing, new_timing)
        await Q.write_series(series_id=series_id, **_series_columns(spec))
        if spec["agenda"] != agenda:
            await _write_agenda(series_id, spec["agenda"])
        await audit.record(
            account,
            "series.update",
            "meeting_series",
            series_id,
            *audit.changed(before, after_fields),
            project_id=series.project,
        )
        sequence = await _bump(series_id)
        series = await series_row(series_id)
        await _tell_invitees(series, "meeting_invitation", METHOD_REQUEST, sequence, reason="updated", remaining=False)
    await kick_outbox()
    return await get_series(account, series_id)


async def _drop_orphans(series_id: int, old: SeriesTiming, new: SeriesTiming) -> None:
    recorded = await Q.recorded_occurrence_starts(series_id=series_id)
    lost = orphaned_keys(old, new, [occurrence_key(r[0]) for r in recorded])
    if lost:
        raise Conflict(
            f"occurrences {', '.join(lost)} have minutes, attendance or actions and would disappear "
            "with this change of time or rule; end this series with UNTIL and create a new one",
            "rrule",
            occurrences=lost,
        )
    keep = expand(new)
    # A meeting that was called off stays called off when the series moves to another time of day: its
    # cancellation goes to the series' one meeting on the same day, if there is exactly one and it has nothing of
    # its own. (Answers and moves of vanished occurrences are dropped, as calendar clients drop them.)
    overrides = await load_overrides(series_id)
    taken = {o.recurrence_id for o in overrides}
    by_day: dict[Any, list[datetime]] = {}
    for start in keep:
        by_day.setdefault(start.astimezone(ZoneInfo(new.tzid)).date(), []).append(start)
    for o in overrides:
        if not o.cancelled or o.recurrence_id in keep:
            continue
        same_day = by_day.get(o.recurrence_id.astimezone(ZoneInfo(old.tzid)).date(), [])
        if len(same_day) == 1 and same_day[0] not in taken:
            await Q.move_cancellation(series_id=series_id, recurrence_id=o.recurrence_id, to_recurrence_id=same_day[0])
            taken.add(same_day[0])
    await Q.delete_orphan_occurrences(series_id=series_id, keep=keep)
    await Q.delete_orphan_answers(series_id=series_id, keep=keep)


async def cancel_series(account: CurrentAccount, series_id: int) -> dict:
    await require_series_coordinator(account, series_id)
    async with DB.transaction():
        series = await series_row(series_id, lock=True)
        if series.status == "cancelled":
            raise Conflict("this series is already cancelled", "status")
        await _cancel_locked(account, series)
    await kick_outbox()
    return await get_series(account, series_id)


async def cancel_series_of_project(account: CurrentAccount, project_id: int) -> int:
    """In the caller's transaction: cancel every series of the project not cancelled yet, each invitee getting one
    CANCEL per series (the master: it removes every occurrence). Returns how many series were cancelled."""
    cancelled = 0
    for row in await Q.series_ids_of_project(project_id=project_id):
        series = await series_row(row["id"], lock=True)
        if series.status != "cancelled":
            await _cancel_locked(account, series)
            cancelled += 1
    return cancelled


async def _cancel_locked(account: CurrentAccount, series: SeriesRow) -> None:
    """Cancel a locked series: its SEQUENCE grows and every active invitee gets its METHOD:CANCEL."""
    series_id = series.id
    await Q.mark_series_cancelled(series_id=series_id)
    await audit.record(
        account,
        "series.cancel",
        "meeting_series",
        series_id,
        {"status": series.status},
        {"status": "cancelled"},
        project_id=series.project,
    )
    sequence = await _bump(series_id)
    await _tell_invitees(series, "meeting_series_cancelled", METHOD_CANCEL, sequence, reason="cancelled")


async def series_out(series: SeriesRow) -> dict:
    agenda = await _agenda(series.id)
    timing = timing_of(series)
    return {
        "id": series.id,
        "project_id": series.project,
        "title": series.title,
        "description": series.description,
        "mode": series.mode,
        "location": series.location,
        "online_url": series.online_url,
        "timezone": series.timezone,
        "start": to_local(wall_to_utc(series.start_local, series.timezone), series.timezone),
        "duration_minutes": series.duration_minutes,
        "rrule": series.rrule,
        "status": series.status,
        "calendar_uid": str(series.calendar_uid),
        "calendar_sequence": series.calendar_sequence,
        "agenda": agenda,
        "host_rotation": _host_rotation(series),
        "occurrence_count": len(expand(timing)),
        "invitee_count": await Q.active_invitee_count(series_id=series.id),
    }


async def get_series(account: CurrentAccount, series_id: int) -> dict:
    return await series_out(await require_series_coordinator(account, series_id))


async def list_series(account: CurrentAccount, project_id: int) -> list[dict]:
    await require_coordinator(account, project_id)
    rows = await Q.series_of_project(project_id=project_id)
    return [await series_out(r) for r in rows]


# --------------------------------------------------------------------------- occurrences


async def occurrence_list(series: SeriesRow) -> list:
    return occurrences(timing_of(series), await load_overrides(series.id), _host_rotation(series))


def occurrence_out(series: SeriesRow, occ, tzid: str | None = None) -> dict:
    zone = tzid or series.timezone
    return {
        "id": occ.key,
        "index": occ.index,
        "original_start": to_local(occ.recurrence_id, zone),
        "starts_at": to_local(occ.starts_at, zone),
        "ends_at": to_local(occ.ends_at, zone),
        "status": "cancelled" if occ.cancelled else ("moved" if occ.moved else "scheduled"),
        "location": occ.location if occ.location is not None else series.location,
        "online_url": occ.online_url if occ.online_url is not None else series.online_url,
        "host_organization_id": occ.host_organization_id,
    }


async def list_occurrences(account: CurrentAccount, series_id: int, tzid: str | None = None) -> list[dict]:
    """Every occurrence in order (cancelled ones included, marked), times shown in `tzid` or the series' zone."""
    series = await require_series_coordinator(account, series_id)
    if tzid and not is_time_zone(tzid):
        require([FieldError("timezone", f"unknown time zone {tzid!r}: use an IANA name such as 'Asia/Seoul'")])
    return [occurrence_out(series, o, tzid) for o in await occurrence_list(series)]


def _occurrence(series: SeriesRow, key: str) -> datetime:
    try:
        return find_occurrence(timing_of(series), key)
    except LookupError:
        raise NotFound(
            "occurrence",
            f"occurrence {key} of this series (list them with GET /api/meeting-series/"
            f"{series.id}/occurrences) not found",
        ) from None


async def _recurring(series: SeriesRow) -> None:
    if series.status == "cancelled":
        raise Conflict("this series is cancelled", "status")
    if not series.rrule:
        raise Conflict(
            "this is a one-off meeting: change it with PATCH /api/meeting-series/{id} or cancel it "
            "with POST /api/meeting-series/{id}/cancel",
            "occurrence",
        )


async def move_occurrence(account: CurrentAccount, series_id: int, key: str, changes: dict[str, Any]) -> dict:
    """Move one occurrence (or change its place): an override with RECURRENCE-ID, sent as REQUEST to every
    invitee with a higher SEQUENCE. Times without offset are wall-clock times in the series' zone."""
    await require_series_coordinator(account, series_id)
    changes = clean_fields(changes, ("location", "online_url"))
    if not any(changes.get(k) for k in ("starts_at", "ends_at", "location", "online_url")):
        require([FieldError("starts_at", "say what changes: starts_at (and ends_at), location or online_url")])
    async with DB.transaction():
        series = await series_row(series_id, lock=True)
        await _recurring(series)
        rid = _occurrence(series, key)
        current = next(o for o in await occurrence_list(series) if o.key == key)
        if current.cancelled:
            raise Conflict(f"occurrence {key} is cancelled", "occurrence")
        tzid = series.timezone
        starts = to_local(changes["starts_at"], tzid) if changes.get("starts_at") else current.starts_at
        if changes.get("ends_at"):
            ends = to_local(changes["ends_at"], tzid)
        elif changes.get("starts_at"):
            ends = starts + (current.ends_at - current.starts_at)
        else:
            ends = current.ends_at
        errors = check_move(starts, ends, await occurrence_list(series), key)
        url = changes.get("online_url")
        if url and not url.startswith(("https://", "http://")):
            errors.append(FieldError("online_url", "must be an http(s) URL"))
        require(errors)
        sequence = await _bump(series_id)
        moved = (starts, ends) != (rid, rid + timedelta(minutes=series.duration_minutes))
        await Q.save_occurrence_move(
            series_id=series_id,
            recurrence_id=rid,
            starts_at=starts if moved else None,
            ends_at=ends if moved else None,
            location=changes.get("location"),
            online_url=url,
            sequence=sequence,
        )
        await _tell_invitees(
            series,
            "meeting_occurrence_changed",
            METHOD_REQUEST,
            sequence,
            occurrence=key,
            was={"starts_at": current.starts_at.isoformat(), "ends_at": current.ends_at.isoformat()},
        )
        await audit.record(
            account,
            "occurrence.move",
            "meeting_occurrence",
            f"{series_id}/{key}",
            {"starts_at": current.starts_at, "ends_at": current.ends_at},
            {"starts_at": starts, "ends_at": ends, "location": changes.get("location"), "online_url": url},
            project_id=series.project,
        )
    await kick_outbox()
    return await get_occurrence(account, series_id, key)


async def cancel_occurrence(account: CurrentAccount, series_id: int, key: str) -> dict:
    """Cancel one occurrence: METHOD:CANCEL with its RECURRENCE-ID (the rest of the series stays)."""
    await require_series_coordinator(account, series_id)
    async with DB.transaction():
        series = await series_row(series_id, lock=True)
        await _recurring(series)
        rid = _occurrence(series, key)
        if await Q.occurrence_cancelled(series_id=series_id, recurrence_id=rid):
            raise Conflict(f"occurrence {key} is already cancelled", "occurrence")
        sequence = await _bump(series_id)
        await Q.save_occurrence_cancel(series_id=series_id, recurrence_id=rid, sequence=sequence)
        await _tell_invitees(series, "meeting_occurrence_cancelled", METHOD_CANCEL, sequence, occurrence=key)
        await audit.record(
            account,
            "occurrence.cancel",
            "meeting_occurrence",
            f"{series_id}/{key}",
            {"cancelled": False},
            {"cancelled": True},
            project_id=series.project,
        )
    await kick_outbox()
    return await get_occurrence(account, series_id, key)


async def get_occurrence(account: CurrentAccount, series_id: int, key: str) -> dict:
    series = await require_series_coordinator(account, series_id)
    _occurrence(series, key)
    occ = next(o for o in await occurrence_list(series) if o.key == key)
    return occurrence_out(series, occ)


async def answers_of(series_id: int) -> dict[int, list[Answer]]:
    rows = await Q.answers_of_series(series_id=series_id)
    answers: dict[int, list[Answer]] = {}
    for r in rows:
        answers.setdefault(r["person"], []).append(Answer(r["partstat"], r["answered_at"], r["recurrence_id"]))
    return answers


async def responses(account: CurrentAccount, series_id: int, key: str) -> dict:
    """The coordinator's view of one occurrence: every invitee, their organization and their answer."""
    series = await require_series_coordinator(account, series_id)
    rid = _occurrence(series, key)
    answers = await answers_of(series_id)
    people = await Q.active_invitees_by_organization(series_id=series_id)
    listed = [
        {
            "person_id": p["id"],
            "name": p["name"],
            "email": p["email"],
            "organization_id": p["organization_id"],
            "organization_name": p["organization_name"],
            "partstat": effective_partstat(answers.get(p["id"], []), rid),
        }
        for p in people
    ]
    counts = {
        s: sum(1 for p in listed if p["partstat"] == s) for s in ("ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION")
    }
    occ = next(o for o in await occurrence_list(series) if o.key == key)
    return {"occurrence": occurrence_out(series, occ), "counts": counts, "people": listed}


def zone_or_utc(tzid: str | None) -> ZoneInfo:
    return ZoneInfo(tzid) if tzid and is_time_zone(tzid) else ZoneInfo("UTC")
