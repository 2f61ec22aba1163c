"""People and organizations: who an account may see, linking people by email, organizations' email domains.

Who may see a person is decided by domain.access.may_see_person; the facts it needs (the person's connections to
events and projects, each marked with whether the account manages it) are gathered here, in one query, so every
service that lets an organizer, office staff or coordinator name a person asks the same question the same way.

Merge policy of the person upsert (the only one; every way a person is named by email goes through it):
- A person is found by email address (lower-cased; unique). When there is none, one is inserted with the name,
  organization, language and time zone given by whoever named them.
- An existing person is never changed by someone else's entry: not by a registration, a delegation or project
  contact, a session role, a schedule import. Anyone may type any address, so what they typed about that person is
  kept where it was typed (a registration keeps registered_name/organization/language/time zone; a session role its
  display_name) and never overwrites what the person themselves gave. Insert if missing, never update.
- A concurrent insert of the same address makes one statement see neither row; callers ask again.
The SQL is link_or_create_person (one person) and link_or_create_people (a batch) in people/queries.sql; the
registration statement embeds the CTEs of link_or_create_person so that registering stays
one statement, and tests/unit/db/test_shared_sql_rules.py keeps every copy identical. Changing a person's own data
is a different use case (person_access: with a fresh emailed link), and so are the anonymous copies
erasure/retention insert (privacy).
"""

from __future__ import annotations

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.access import Connection, Link, may_see_person
from events_app.domain.errors import FieldError, NotFound, require
from events_app.domain.registration import normalize_domains
from events_app.domain.text import fold
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_staff

Q = queries.load(__file__)


async def list_organizations(country: str | None = None, q: str | None = None, limit: int = 500) -> list[dict]:
    """Organizations by name; `q` matches anywhere in the name with accents and case ignored ('malmo' finds
    'Malmö'), names starting with it first."""
    folded = fold(q.strip()) if q and q.strip() else None
    if folded is not None:
        folded = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = await Q.organizations(country=country, q=folded, row_limit=max(0, limit))
    return [dict(r) for r in rows]


async def organizations_by_ids(organization_ids: list[int]) -> list[dict]:
    """The organizations with these ids (unknown ids left out), by name."""
    return [dict(r) for r in await Q.organizations_by_ids(organization_ids=organization_ids)]


# --------------------------------------------------------------------------- who may see a person


async def visible_people(account: CurrentAccount, person_ids: list[int]) -> set[int]:
    """The ids among `person_ids` of existing people the account may see (may_see_person)."""
    wanted = sorted(set(person_ids))
    if not wanted:
        return set()
    links: dict[int, list[Link]] = {}
    if account.is_admin:  # connections do not matter: only whether the person exists
        for r in await Q.existing_people(person_ids=wanted):
            links[r["id"]] = []
    else:  # a person with no connection at all is left out, as one that does not exist
        for r in await Q.connections_of(person_ids=wanted, account_id=account.id):
            links.setdefault(r["person"], []).append(Link(Connection(r["kind"]), r["managed"]))
    return {pid for pid, found in links.items() if may_see_person(account.is_admin, found)}


async def search_people(account: CurrentAccount, q: str, limit: int = 20) -> list[dict]:
    """People the account may see (may_see_person: those connected to what it manages) whose name or address
    contains `q`, accents and case ignored: for naming speakers and moderators. Nobody outside the scope is shown."""
    folded = fold((q or "").strip())
    if len(folded) < 2:
        return []
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    found = [dict(r) for r in await Q.people_matching(q=escaped, row_limit=500)]
    visible = await visible_people(account, [p["id"] for p in found])
    return [p for p in found if p["id"] in visible][:limit]


async def require_visible_person(account: CurrentAccount, person_id: int) -> None:
    """NotFound unless the person exists and the account may see them: a person outside one's scope is answered
    exactly like one that does not exist (404, never 403), so an id reveals nothing."""
    if person_id not in await visible_people(account, [person_id]):
        raise NotFound("person")


# --------------------------------------------------------------------------- linking people by email


# The person upsert (link_or_create_person in queries.sql): the person with this address, inserted when there is
# none; an existing person is never changed (their name, organization, language and time zone are theirs). In one
# statement the inserted row and the existing one cannot both be returned; a concurrent insert of the same address
# (committed after this statement's snapshot) returns nothing, and the caller asks again. The registration
# statement embeds the same CTEs; tests/unit/db/test_shared_sql_rules.py keeps the copies one text.
async def link_or_create_person(
    email: str,
    *,
    name: str | None = None,
    organization_id: int | None = None,
    language: str = "en",
    timezone: str | None = None,
) -> int:
    """The id of the person with this (already validated) address; a new person gets the given name,
    organization, language and time zone, an existing one keeps theirs."""
    email = email.strip().lower()
    name = (name or "").strip()[:200] or email.split("@", 1)[0][:200]
    for _ in range(3):
        person_id = await Q.link_or_create_person(
            email=email, name=name, organization_id=organization_id, language=language, timezone=timezone
        )
        if person_id is not None:
            return person_id
    raise RuntimeError(f"could not link or create the person with address {email!r}")  # pragma: no cover


async def link_or_create_people(
    emails: list[str], names: list[str], organization_ids: list[int | None]
) -> dict[str, int]:
    """{email: person id} for a batch of (already lower-cased) addresses, under the same policy."""
    found: dict[str, int] = {}
    for _ in range(3):
        todo = [i for i, e in enumerate(emails) if e not in found]
        if not todo:
            return found
        rows = await Q.link_or_create_people(
            emails=[emails[i] for i in todo],
            names=[names[i] for i in todo],
            organization_ids=[organization_ids[i] for i in todo],
        )
        found |= {r["email"]: r["id"] for r in rows}
    if any(e not in found for e in emails):  # pragma: no cover
        raise RuntimeError("could not link or create every person of the batch")
    return found


async def link_or_create(email: str, name: str | None = None, organization_id: int | None = None) -> int:
    """Find or create a person by email without changing them: insert if missing, never update; the person's id."""
    return await link_or_create_person(email, name=name, organization_id=organization_id)


# --------------------------------------------------------------------------- organizations' email domains


async def organization_domains(account: CurrentAccount, organization_id: int) -> dict:
    """The email domains registered for an organization (administrators and office staff)."""
    await require_staff(account)
    return await _domains_out(organization_id)


async def _domains_out(organization_id: int) -> dict:
    row = await Q.organization_domains(organization_id=organization_id)
    if row is None:
        raise NotFound("organization")
    return {"organization_id": row["id"], "name": row["name"], "domains": list(row["domains"])}


async def set_organization_domains(account: CurrentAccount, organization_id: int, domains: list[str]) -> dict:
    """Replace an organization's registered email domains (administrators and office staff). A registrant whose
    address is at one of them (or a subdomain) is admitted to the organization's members- or partners-only
    categories at once; anyone else naming the organization waits for approval."""
    await require_staff(account)
    clean, errors = normalize_domains(domains)
    require(errors)
    async with DB.transaction():
        if not await Q.lock_organization(organization_id=organization_id):
            raise NotFound("organization")
        before = await _domains_out(organization_id)
        taken = await Q.domains_taken_elsewhere(domains=clean, organization_id=organization_id)
        require(
            [
                FieldError(
                    "domains",
                    f"{r['domain']} is already registered for {r['name']}: an address belongs to one organization",
                )
                for r in taken
            ]
        )
        await Q.delete_organization_domains(organization_id=organization_id)
        await Q.insert_organization_domains(organization_id=organization_id, domains=clean)
        await audit.record(
            account,
            "organization.set_domains",
            "organization",
            organization_id,
            {"domains": before["domains"]},
            {"domains": clean},
        )
    return await _domains_out(organization_id)
