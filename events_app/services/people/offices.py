"""Regional offices: their staff manage every event of the office (see accounts.require_organizer).

Administrators create offices and name their staff; an event belongs to at most one office, chosen by an
administrator or by staff of that office.
"""

from __future__ import annotations

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, FieldError, NotFound, require
from events_app.domain.text import clean_fields
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_admin

Q = queries.load(__file__)


async def check_assignable(account: CurrentAccount, office_id: int | None) -> None:
    """An event may be put in an office by administrators and by that office's staff (422 otherwise)."""
    if office_id is None:
        return
    row = await Q.office_assignability(office_id=office_id, account_id=account.id)
    if row is None:
        require([FieldError("office_id", "no office has this id: see GET /api/admin/offices")])
    if not (row["staff"] or account.is_admin):
        require([FieldError("office_id", "you are not staff of this office; ask an administrator")])


async def office_out(office_id: int) -> dict:
    row = await Q.office_by_id(office_id=office_id)
    if row is None:
        raise NotFound("office")
    staff = await Q.office_staff(office_id=office_id)
    events = await Q.office_event_ids(office_id=office_id)
    return {**dict(row), "staff": [dict(s) for s in staff], "event_ids": [e["id"] for e in events]}


async def list_offices(account: CurrentAccount) -> list[dict]:
    """Administrators see every office; staff see their own."""
    rows = await Q.offices_visible_to(account_id=account.id, is_admin=account.is_admin)
    return [await office_out(r["id"]) for r in rows]


async def create_office(account: CurrentAccount, name: str, region: str) -> dict:
    require_admin(account)
    cleaned = clean_fields({"name": name, "region": region}, ("name", "region"))
    name, region = cleaned["name"], cleaned["region"]
    require([FieldError("name", "must not be empty")] if not name else [])
    async with DB.transaction():
        if await Q.office_name_taken(name=name):
            raise Conflict(f"an office named {name!r} exists already", "name")
        office_id = await Q.create_office(name=name, region=region.strip())
        await audit.record(account, "office.create", "office", office_id, None, {"name": name, "region": region})
    return await office_out(office_id)


async def add_staff(account: CurrentAccount, office_id: int, email: str) -> dict:
    require_admin(account)
    await office_out(office_id)
    other = await Q.active_account_id_by_email(email=email.strip().lower())
    if other is None:
        require([FieldError("email", "no active account has this email; create the account first")])
    async with DB.transaction():
        added = await Q.add_office_staff(office_id=office_id, account_id=other)
        if added != "INSERT 0 0":
            await audit.record(account, "office.add_staff", "office", office_id, None, {"account": email.lower()})
    return await office_out(office_id)


async def remove_staff(account: CurrentAccount, office_id: int, account_id: int) -> dict:
    require_admin(account)
    async with DB.transaction():
        removed = await Q.remove_office_staff(office_id=office_id, account_id=account_id)
        if removed == "DELETE 0":
            raise NotFound("staff member of this office")
        await audit.record(account, "office.remove_staff", "office", office_id, {"account_id": account_id}, None)
    return await office_out(office_id)
