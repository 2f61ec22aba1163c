"""What happened at each occurrence: attendance, minutes and action items, and the attendance report."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, FieldError, NotFound, require
from events_app.domain.meetings import ActionItem, actions_for, occurrence_key
from events_app.domain.spreadsheet import csv_bytes
from events_app.domain.text import clean_fields, text_errors
from events_app.services.meetings.meetings import (
    _occurrence,
    occurrence_list,
    occurrence_out,
    require_series_coordinator,
    series_row,
)
from events_app.services.meetings.rows import ROWS
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount

Q = queries.load(__file__, rows=ROWS)


async def _action_items(series_id: int) -> list[ActionItem]:
    rows = await Q.action_items_of_series(series_id=series_id)
    return [
        ActionItem(
            r.id,
            r.title,
            r.raised_at,
            r.done_at,
            r.owner,
            r.due_date,
            {"owner_name": r.owner_name, "owner_organization": r.owner_organization},
        )
        for r in rows
    ]


def _action_out(a: ActionItem, carried_over: bool | None = None) -> dict:
    out = {
        "id": a.id,
        "title": a.title,
        "raised_in": occurrence_key(a.raised_at),
        "owner_person_id": a.owner_person_id,
        "owner_name": a.extra.get("owner_name"),
        "owner_organization": a.extra.get("owner_organization"),
        "due_date": a.due_date,
        "done": a.done_at is not None,
        "done_at": a.done_at,
    }
    if carried_over is not None:
        out["carried_over"] = carried_over
    return out


async def record(account: CurrentAccount, series_id: int, key: str) -> dict:
    """Minutes, attendance (grouped by organization) and the action list of one occurrence."""
    series = await require_series_coordinator(account, series_id)
    rid = _occurrence(series, key)
    occs = await occurrence_list(series)
    occ = next(o for o in occs if o.key == key)
    minutes = await Q.occurrence_minutes(series_id=series_id, recurrence_id=rid) or ""
    present = await Q.attendance_of_occurrence(series_id=series_id, recurrence_id=rid)
    actions = actions_for(await _action_items(series_id), rid, {o.recurrence_id: o.starts_at for o in occs})
    return {
        "occurrence": occurrence_out(series, occ),
        "minutes": minutes,
        "attendance": [
            {
                "person_id": p["id"],
                "name": p["name"],
                "organization_id": p["organization_id"],
                "organization_name": p["organization_name"],
            }
            for p in present
        ],
        "actions": [_action_out(a, carried) for a, carried in actions],
    }


async def set_minutes(account: CurrentAccount, series_id: int, key: str, minutes: str) -> dict:
    series = await require_series_coordinator(account, series_id)
    minutes = clean_fields({"minutes": minutes}, texts=("minutes",))["minutes"]
    rid = _occurrence(series, key)
    async with DB.transaction():
        before = await Q.occurrence_minutes(series_id=series_id, recurrence_id=rid)
        await Q.save_occurrence_minutes(series_id=series_id, recurrence_id=rid, minutes=minutes)
        await audit.record(
            account,
            "occurrence.minutes",
            "occurrence",
            f"{series_id}/{key}",
            {"minutes": before},
            {"minutes": minutes},
            project_id=series.project,
        )
    return await record(account, series_id, key)


async def set_attendance(account: CurrentAccount, series_id: int, key: str, person_ids: list[int]) -> dict:
    """Replace who was present. Only people invited to the series can be recorded; each counts for the
    organization they were invited for."""
    series = await require_series_coordinator(account, series_id)
    rid = _occurrence(series, key)
    invited = {r["person"]: r["organization"] for r in await Q.invited_organizations(series_id=series_id)}
    strangers = sorted(set(person_ids) - set(invited))
    if strangers:
        require([FieldError("person_ids", f"people {strangers} were never invited to this series")])
    async with DB.transaction():
        await series_row(series_id, lock=True)
        if person_ids and await Q.occurrence_cancelled(series_id=series_id, recurrence_id=rid):
            # a meeting called off was not held: nobody was present (clearing what was recorded before stays open)
            raise Conflict("this meeting is cancelled: nobody can be recorded as present", "person_ids")
        before = [r["person"] for r in await Q.clear_attendance(series_id=series_id, recurrence_id=rid)]
        await audit.record(
            account,
            "occurrence.attendance",
            "occurrence",
            f"{series_id}/{key}",
            {"person_ids": sorted(before)},
            {"person_ids": sorted(set(person_ids))},
            project_id=series.project,
        )
        if person_ids:
            await Q.add_attendance.many(
                {"series_id": series_id, "recurrence_id": rid, "person_id": p, "organization_id": invited[p]}
                for p in sorted(set(person_ids))
            )
    return await record(account, series_id, key)


async def add_action(account: CurrentAccount, series_id: int, key: str, fields: dict[str, Any]) -> dict:
    series = await require_series_coordinator(account, series_id)
    rid = _occurrence(series, key)
    fields, errors = text_errors(fields, ("title",))
    title = str(fields.get("title") or "").strip()
    if not title:
        errors.append(FieldError("title", "must not be empty"))
    owner = fields.get("owner_person_id")
    if owner is not None and not await Q.was_ever_invited(series_id=series_id, person_id=owner):
        errors.append(FieldError("owner_person_id", "the owner must be someone invited to this series"))
    require(errors)
    async with DB.transaction():
        action_id = await Q.insert_action(
            series_id=series_id, raised_at=rid, title=title, owner=owner, due_date=fields.get("due_date")
        )
        await audit.record(
            account,
            "action.create",
            "meeting_action",
            action_id,
            None,
            {"title": title, "owner": owner, "due_date": fields.get("due_date")},
            project_id=series.project,
        )
    return await get_action(account, action_id)


async def get_action(account: CurrentAccount, action_id: int) -> dict:
    series_id = await Q.series_of_action(action_id=action_id)
    if series_id is None:
        raise NotFound("action item")
    await require_series_coordinator(account, series_id)
    return _action_out(next(a for a in await _action_items(series_id) if a.id == action_id))


async def update_action(
    account: CurrentAccount, action_id: int, changes: dict[str, Any], now: datetime | None = None
) -> dict:
    """Mark done (it stops carrying over from the next occurrence on) or reopen; change title, owner, due date."""
    await get_action(account, action_id)
    changes = clean_fields(changes, ("title",))
    now = now or datetime.now(timezone.utc)
    if "title" in changes and not str(changes["title"] or "").strip():
        require([FieldError("title", "must not be empty")])
    async with DB.transaction():
        row = await Q.action_for_update(action_id=action_id)
        done_at = row.done_at
        if "done" in changes:
            done_at = (done_at or now) if changes["done"] else None
        after = {
            "title": str(changes.get("title", row.title)).strip(),
            "due_date": changes.get("due_date", row.due_date),
            "done_at": done_at,
        }
        await Q.write_action(action_id=action_id, title=after["title"], due_date=after["due_date"], done_at=done_at)
        project_id = await Q.project_of_series(series_id=row.series)
        await audit.record(
            account,
            "action.update",
            "meeting_action",
            action_id,
            {"title": row.title, "due_date": row.due_date, "done_at": row.done_at},
            after,
            project_id=project_id,
        )
    return await get_action(account, action_id)


async def attendance_csv(account: CurrentAccount, series_id: int) -> bytes:
    """Per organization of the series: people present at each occurrence held (one column per occurrence with
    attendance recorded), the number of occurrences attended and the share of them."""
    series = await require_series_coordinator(account, series_id)
    occs = [o for o in await occurrence_list(series) if not o.cancelled]
    rows = await Q.attendance_counts(series_id=series_id)
    held = [o for o in occs if any(r["recurrence_id"] == o.recurrence_id for r in rows)]
    orgs = await Q.series_organizations(series_id=series_id)
    counts = {(r["recurrence_id"], r["organization"]): r["n"] for r in rows}
    zone_day = [o.starts_at.astimezone(_zone(series.timezone)).strftime("%Y-%m-%d") for o in held]
    table = []
    for org in orgs:
        per = [counts.get((o.recurrence_id, org["id"]), 0) for o in held]
        attended = sum(1 for n in per if n)
        rate = f"{attended / len(held):.2f}" if held else ""
        table.append([org["id"], org["name"], org["country"], *per, attended, len(held), rate])
    return csv_bytes(
        [
            "organization_id",
            "organization",
            "country",
            *zone_day,
            "meetings_attended",
            "meetings_held",
            "attendance_rate",
        ],
        table,
    )


def _zone(tzid: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tzid)
