"""Pilot projects: creation, coordinators (the role check) and the cohort of organizations and contact people.

A contact who joins receives every active series of the project (the part still ahead); one who leaves receives a
CANCEL for each, in the same transaction as the change (see services.meetings.meetings for the calendar side).
"""

from __future__ import annotations

from typing import Any

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, FieldError, NotFound, require
from events_app.domain.person import person_field_errors
from events_app.domain.replies import max_mailbox_local_length
from events_app.domain.security import digest, new_nonce, project_feed_token
from events_app.domain.text import text_errors
from events_app.domain.vocab import ProjectStatus
from events_app.jobs import kick_outbox
from events_app.services.meetings import meetings
from events_app.services.meetings.rows import ROWS
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_coordinator
from events_app.services.people.people import link_or_create_person
from events_app.services.registration.registrations import normalize_email
from events_app.settings import get_settings

Q = queries.load(__file__, rows=ROWS)

REPLY_MAILBOX_TOO_LONG = (
    "the part before the @ is too long for calendar replies: they come back to a personal "
    "address built on it (name+r<code>@domain), so it may have at most "
    f"{max_mailbox_local_length()} characters"
)


def reply_mailbox_errors(organizer_email: str) -> list[FieldError]:
    """The organizer address is the mailbox of the project's reply addresses (unless REPLY_MAILBOX is set): its
    local part must leave room for `+r<token>` within RFC 5321's 64 characters."""
    if get_settings().reply_mailbox or len(organizer_email.rpartition("@")[0]) <= max_mailbox_local_length():
        return []
    return [FieldError("organizer_email", REPLY_MAILBOX_TOO_LONG)]


def feed_url(nonce: str) -> str:
    settings = get_settings()
    return f"{settings.public_url}/api/projects/feeds/{project_feed_token(settings.secret_key, nonce)}/calendar.ics"


async def _organization_exists(organization_id: int | None, field: str) -> list[FieldError]:
    if organization_id is None:
        return []
    if await Q.organization_exists(organization_id=organization_id):
        return []
    return [FieldError(field, "no organization has this id: see GET /api/organizations")]


# Text fields under the one text rule (domain.text).
PROJECT_LINES, PROJECT_TEXTS = ("title", "theme", "organizer_email", "organizer_name"), ("description",)


async def create_project(account: CurrentAccount, fields: dict[str, Any]) -> dict:
    fields, errors = text_errors(fields, PROJECT_LINES, PROJECT_TEXTS)
    title = str(fields.get("title") or "").strip()
    if not title:
        errors.append(FieldError("title", "must not be empty"))
    org_id = fields.get("coordinating_organization_id")
    errors += await _organization_exists(org_id, "coordinating_organization_id")
    organizer_email = fields.get("organizer_email") or ""
    if organizer_email:
        try:
            organizer_email = normalize_email(organizer_email, "organizer_email")
            errors += reply_mailbox_errors(organizer_email)
        except Exception as exc:  # InvalidInput: reported with the rest
            errors.extend(getattr(exc, "errors", []))
    require(errors)
    nonce = new_nonce()
    token = project_feed_token(get_settings().secret_key, nonce)
    async with DB.transaction():
        project_id = await Q.insert_project(
            title=title,
            theme=fields.get("theme") or "",
            description=fields.get("description") or "",
            coordinating_organization=org_id,
            organizer_email=organizer_email,
            organizer_name=fields.get("organizer_name") or "",
            feed_nonce=nonce,
            feed_hash=digest(token),
        )
        await Q.add_project_owner(project_id=project_id, account_id=account.id)
        if org_id is not None:
            await Q.add_project_member(project_id=project_id, organization_id=org_id)
        await audit.record(
            account,
            "project.create",
            "project",
            project_id,
            None,
            {"title": title, "coordinating_organization_id": org_id, "organizer_email": organizer_email},
        )
    return await get_project(account, project_id)


async def update_project(account: CurrentAccount, project_id: int, changes: dict[str, Any]) -> dict:
    await require_coordinator(account, project_id)
    changes, errors = text_errors(changes, PROJECT_LINES, PROJECT_TEXTS)
    if "title" in changes and not str(changes["title"] or "").strip():
        errors.append(FieldError("title", "must not be empty"))
    if changes.get("organizer_email"):
        try:
            changes["organizer_email"] = normalize_email(changes["organizer_email"], "organizer_email")
            errors += reply_mailbox_errors(changes["organizer_email"])
        except Exception as exc:
            errors.extend(getattr(exc, "errors", []))
    require(errors)
    allowed = ("title", "theme", "description", "organizer_email", "organizer_name")
    sets = {k: v for k, v in changes.items() if k in allowed}
    if sets:
        async with DB.transaction():
            before = (await Q.project_for_update(project_id=project_id)).as_dict()
            # Fields not changed are written back as they are (the row is locked).
            await Q.write_project_fields(project_id=project_id, **{k: sets.get(k, before[k]) for k in allowed})
            await audit.record(account, "project.update", "project", project_id, *audit.changed(before, sets))
    return await get_project(account, project_id)


async def cancel_project(account: CurrentAccount, project_id: int) -> dict:
    """Cancel a project: every series not cancelled yet is cancelled, each of its invitees gets that series'
    METHOD:CANCEL (one message per series), and the project is marked cancelled (no new series start in it); the
    project's and people's feeds keep showing the series STATUS:CANCELLED. 409 when it is cancelled already."""
    await require_coordinator(account, project_id)
    async with DB.transaction():
        project = await Q.project_for_update(project_id=project_id)
        if project.status == ProjectStatus.CANCELLED:
            raise Conflict("this project is cancelled already", "project")
        cancelled = await meetings.cancel_series_of_project(account, project_id)
        await Q.mark_project_cancelled(project_id=project_id)
        await audit.record(account, "project.cancel", "project", project_id, None, {"series_cancelled": cancelled})
    await kick_outbox()
    return await get_project(account, project_id)


async def get_project(account: CurrentAccount, project_id: int) -> dict:
    await require_coordinator(account, project_id)
    row = await Q.project_by_id(project_id=project_id)
    coordinators = await Q.project_coordinators(project_id=project_id)
    members = await Q.project_active_members(project_id=project_id)
    contacts = await Q.project_active_contacts(project_id=project_id)
    by_org: dict[int, list[dict]] = {}
    for c in contacts:
        by_org.setdefault(c["organization"], []).append(
            {
                "person_id": c["id"],
                "email": c["email"],
                "name": c["name"],
                "language": c["language"],
                "timezone": c["timezone"],
                "joined_at": c["joined_at"],
            }
        )
    return {
        "id": row.id,
        "title": row.title,
        "theme": row.theme,
        "description": row.description,
        "coordinating_organization_id": row.coordinating_organization,
        "organizer_email": row.organizer_email,
        "organizer_name": row.organizer_name,
        "feed_url": feed_url(row.feed_nonce),
        "coordinators": [dict(c) for c in coordinators],
        "members": [
            {
                "organization_id": m["id"],
                "name": m["name"],
                "kind": m["kind"],
                "country": m["country"],
                "joined_at": m["joined_at"],
                "contacts": by_org.get(m["id"], []),
            }
            for m in members
        ],
        "created_at": row.created_at,
        "status": row.status,
        "cancelled_at": row.cancelled_at,
    }


async def list_projects(account: CurrentAccount) -> list[dict]:
    rows = await Q.projects_visible_to(account_id=account.id, is_admin=account.is_admin)
    return [await get_project(account, r["id"]) for r in rows]


async def add_coordinator(account: CurrentAccount, project_id: int, email: str) -> dict:
    await require_coordinator(account, project_id)
    other = await Q.active_account_by_email(email=email.strip().lower())
    if other is None:
        require([FieldError("email", "no active account has this email; create the account first")])
    async with DB.transaction():
        added = await Q.add_project_coordinator(project_id=project_id, account_id=other)
        if added != "INSERT 0 0":
            await audit.record(
                account, "project.add_coordinator", "project", project_id, None, {"coordinator": email.strip().lower()}
            )
    return await get_project(account, project_id)


def _person_fields(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    data, errors = text_errors(data, ("email",), prefix=prefix)
    person: dict[str, Any] = {}
    try:
        person["email"] = normalize_email(data.get("email") or "", f"{prefix}email")
    except Exception as exc:
        errors.extend(getattr(exc, "errors", []))
    fields, problems = person_field_errors({**data, "language": data.get("language") or "en"}, prefix=prefix)
    person.update(fields)
    require(errors + problems)
    return person


async def add_member(
    account: CurrentAccount, project_id: int, organization_id: int, contacts: list[dict[str, Any]]
) -> dict:
    """Add an organization to the cohort, with its contact people (each receives the project's series)."""
    await require_coordinator(account, project_id)
    require(await _organization_exists(organization_id, "organization_id"))
    people = [_person_fields(c, f"contacts[{i}].") for i, c in enumerate(contacts)]
    async with DB.transaction():
        await Q.lock_project(project_id=project_id)
        if await Q.is_active_member(project_id=project_id, organization_id=organization_id):
            raise Conflict(
                "this organization is already in the cohort; add contacts with POST /api/projects/{id}/contacts",
                "organization_id",
            )
        await Q.add_project_member(project_id=project_id, organization_id=organization_id)
        for person in people:
            await _add_contact(project_id, organization_id, person)
        await audit.record(
            account,
            "project.add_member",
            "project",
            project_id,
            None,
            {"organization_id": organization_id, "contacts": [p["email"] for p in people]},
        )
    await kick_outbox()
    return await get_project(account, project_id)


async def _add_contact(project_id: int, organization_id: int, person: dict[str, Any]) -> int:
    """Call with the project row locked (so the duplicate check below cannot race)."""
    # Linked or created, never changed: the organization and the typed name are kept on the contact row (the project
    # shows that name, so an address never reveals the name its person stored), the rest is the person's own.
    person_id = await link_or_create_person(
        person["email"],
        name=person["name"],
        organization_id=organization_id,
        language=person["language"],
        timezone=person["timezone"],
    )
    if await Q.is_active_contact(project_id=project_id, person_id=person_id):
        raise Conflict(f"{person['email']} is already a contact of this project", "email")
    await Q.add_project_contact(
        project_id=project_id, person_id=person_id, organization_id=organization_id, display_name=person["name"]
    )
    await meetings.invite_to_project_series(project_id, person_id, organization_id)
    return person_id


async def add_contact(account: CurrentAccount, project_id: int, data: dict[str, Any]) -> dict:
    """A contact joins mid-way: invited to every active series, receiving the part still ahead."""
    await require_coordinator(account, project_id)
    person = _person_fields(data)
    organization_id = data.get("organization_id")
    async with DB.transaction():
        await Q.lock_project(project_id=project_id)
        if not await Q.is_active_member(project_id=project_id, organization_id=organization_id):
            require(
                [
                    FieldError(
                        "organization_id",
                        "this organization is not in the cohort: add it first with POST /api/projects/{id}/members",
                    )
                ]
            )
        await _add_contact(project_id, organization_id, person)
        await audit.record(
            account,
            "project.add_contact",
            "project",
            project_id,
            None,
            {"organization_id": organization_id, "email": person["email"]},
        )
    await kick_outbox()
    return await get_project(account, project_id)


async def remove_contact(account: CurrentAccount, project_id: int, person_id: int) -> dict:
    """A contact leaves: withdrawn from every series of the project, each sending them a CANCEL."""
    await require_coordinator(account, project_id)
    async with DB.transaction():
        await Q.lock_project(project_id=project_id)
        updated = await Q.contact_leaves(project_id=project_id, person_id=person_id)
        if updated == "UPDATE 0":
            raise NotFound("contact of this project")
        await meetings.withdraw_from_project_series(project_id, person_id)
        await audit.record(account, "project.remove_contact", "project", project_id, {"person_id": person_id}, None)
    await kick_outbox()
    return await get_project(account, project_id)


async def remove_member(account: CurrentAccount, project_id: int, organization_id: int) -> dict:
    """An organization leaves the cohort with all its contacts (each receives CANCELs)."""
    await require_coordinator(account, project_id)
    async with DB.transaction():
        await Q.lock_project(project_id=project_id)
        updated = await Q.member_leaves(project_id=project_id, organization_id=organization_id)
        if updated == "UPDATE 0":
            raise NotFound("organization in this cohort")
        people = await Q.member_contacts_leave(project_id=project_id, organization_id=organization_id)
        for p in people:
            await meetings.withdraw_from_project_series(project_id, p["person"])
        await audit.record(
            account,
            "project.remove_member",
            "project",
            project_id,
            {"organization_id": organization_id, "contacts": [p["person"] for p in people]},
            None,
        )
    await kick_outbox()
    return await get_project(account, project_id)
