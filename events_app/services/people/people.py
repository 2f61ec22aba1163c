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
The SQL is person_ctes (one person) and LINK_OR_CREATE_MANY (a batch); the registration statement embeds
person_ctes so that registering stays one statement. Changing a person's own data is a different use case
(person_access: with a fresh emailed link), and so are the anonymous copies erasure/retention insert (privacy).
"""

from __future__ import annotations

from events_app.db import sql
from events_app.db.engine import DB
from events_app.domain.access import Connection, Link, may_see_person
from events_app.domain.errors import FieldError, NotFound, require
from events_app.domain.registration import normalize_domains
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_staff


async def list_organizations(country: str | None = None, q: str | None = None, limit: int = 500) -> list[dict]:
    rows = await sql.fetch(
        """SELECT id, name, kind, country, membership_status FROM organization
           WHERE ($1::text IS NULL OR country = upper($1)) AND ($2::text IS NULL OR name ILIKE '%' || $2 || '%')
           ORDER BY name LIMIT $3""",
        country,
        q,
        max(0, limit),
    )
    return [dict(r) for r in rows]


# --------------------------------------------------------------------------- who may see a person

# connections_of: every connection of the given people to events and projects, each with whether the account
# manages it (organizer of the event or staff of its office; coordinator of the project). $1 people, $2 account.
CONNECTIONS_OF = """
    WITH link (person, kind, event, project) AS (
        SELECT r.person, 'registration', r.event, NULL::int FROM registration r WHERE r.person = ANY($1::int[])
        UNION ALL
        SELECT sp.person, CASE WHEN sp.display_name IS NULL THEN 'session_role' ELSE 'session_role_by_email' END,
               s.event, NULL FROM agenda_session_person sp
        JOIN agenda_session s ON s.id = sp.session WHERE sp.person = ANY($1::int[])
        UNION ALL
        SELECT d.head_person, 'delegation_head', d.event, NULL FROM delegation d WHERE d.head_person = ANY($1::int[])
        UNION ALL
        SELECT p.id, 'invitation', i.event, NULL FROM person p JOIN invitation i ON i.email = p.email
        WHERE p.id = ANY($1::int[])
        UNION ALL
        SELECT c.person, 'project_contact', NULL, c.project FROM project_contact c WHERE c.person = ANY($1::int[])
        UNION ALL
        SELECT mi.person, 'meeting_invitee', NULL, ms.project FROM meeting_invitee mi
        JOIN meeting_series ms ON ms.id = mi.series WHERE mi.person = ANY($1::int[]))
    SELECT DISTINCT l.person, l.kind,
           CASE WHEN l.event IS NOT NULL THEN
                    EXISTS (SELECT 1 FROM event_organizer o WHERE o.event = l.event AND o.account = $2)
                    OR EXISTS (SELECT 1 FROM event e JOIN office_staff s ON s.office = e.office
                               WHERE e.id = l.event AND s.account = $2)
                ELSE EXISTS (SELECT 1 FROM project_coordinator c WHERE c.project = l.project AND c.account = $2)
           END AS managed
    FROM link l"""


async def visible_people(account: CurrentAccount, person_ids: list[int]) -> set[int]:
    """The ids among `person_ids` of existing people the account may see (may_see_person)."""
    wanted = sorted(set(person_ids))
    if not wanted:
        return set()
    links: dict[int, list[Link]] = {}
    if account.is_admin:  # connections do not matter: only whether the person exists
        for r in await sql.fetch("SELECT id FROM person WHERE id = ANY($1::int[])", wanted):
            links[r["id"]] = []
    else:  # a person with no connection at all is left out, as one that does not exist
        for r in await sql.fetch(CONNECTIONS_OF, wanted, account.id):
            links.setdefault(r["person"], []).append(Link(Connection(r["kind"]), r["managed"]))
    return {pid for pid, found in links.items() if may_see_person(account.is_admin, found)}


async def require_visible_person(account: CurrentAccount, person_id: int) -> None:
    """NotFound unless the person exists and the account may see them: a person outside one's scope is answered
    exactly like one that does not exist (404, never 403), so an id reveals nothing."""
    if person_id not in await visible_people(account, [person_id]):
        raise NotFound("person")


# --------------------------------------------------------------------------- linking people by email


# link_or_create_person: the person with this address, inserted when there is none; an existing person is never
# changed (their name, organization, language and time zone are theirs). In one statement the inserted row and the
# existing one cannot both be returned; a concurrent insert of the same address (committed after this statement's
# snapshot) returns nothing, and the caller asks again.
def person_ctes(email: str, name: str, organization: str, language: str, timezone: str) -> str:
    """CTEs `created` (the inserted person, if the address was new) and `who` (id, email: the person with this
    address, inserted or existing), for WITH. Arguments are SQL parameters ($n) written in code, never input."""
    return f"""created AS (
        INSERT INTO person (email, name, organization, language, timezone, created_at)
        VALUES ({email}, {name}, {organization}, {language}, {timezone}, now())
        ON CONFLICT (email) DO NOTHING RETURNING id, email),
    who AS (SELECT id, email FROM created
            UNION ALL SELECT id, email FROM person WHERE email = {email} AND NOT EXISTS (SELECT 1 FROM created))"""


LINK_OR_CREATE = f"WITH {person_ctes('$1', '$2', '$3', '$4', '$5')}\n    SELECT id FROM who"

# The same policy for a batch ($1 emails, $2 names, $3 organizations; language en, no time zone): every address's
# person id, inserted when missing, existing people unchanged.
LINK_OR_CREATE_MANY = """
    WITH created AS (
        INSERT INTO person (email, name, organization, language, timezone, created_at)
        SELECT e, n, o, 'en', NULL, now() FROM unnest($1::text[], $2::text[], $3::int[]) AS x(e, n, o)
        ON CONFLICT (email) DO NOTHING RETURNING id, email)
    SELECT id, email FROM created
    UNION ALL SELECT id, email FROM person WHERE email = ANY($1::text[])
                                           AND email NOT IN (SELECT email FROM created)"""


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
        person_id = await sql.fetchval(LINK_OR_CREATE, email, name, organization_id, language, timezone)
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
        rows = await sql.fetch(
            LINK_OR_CREATE_MANY,
            [emails[i] for i in todo],
            [names[i] for i in todo],
            [organization_ids[i] for i in todo],
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
    row = await sql.fetchrow(
        """SELECT o.id, o.name, coalesce(array_agg(d.domain ORDER BY d.domain) FILTER (WHERE d.domain IS NOT NULL),
                                         '{}') AS domains
           FROM organization o LEFT JOIN organization_domain d ON d.organization = o.id WHERE o.id = $1
           GROUP BY o.id""",
        organization_id,
    )
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
        if not await sql.fetchval("SELECT 1 FROM organization WHERE id = $1 FOR UPDATE", organization_id):
            raise NotFound("organization")
        before = await _domains_out(organization_id)
        taken = await sql.fetch(
            "SELECT d.domain, o.name FROM organization_domain d JOIN organization o ON o.id = d.organization"
            " WHERE d.domain = ANY($1::text[]) AND d.organization <> $2 ORDER BY d.domain",
            clean,
            organization_id,
        )
        require(
            [
                FieldError(
                    "domains",
                    f"{r['domain']} is already registered for {r['name']}: an address belongs to one organization",
                )
                for r in taken
            ]
        )
        await sql.execute("DELETE FROM organization_domain WHERE organization = $1", organization_id)
        await sql.execute(
            "INSERT INTO organization_domain (organization, domain, created_at)"
            " SELECT $1, d, now() FROM unnest($2::text[]) AS x(d)",
            organization_id,
            clean,
        )
        await audit.record(
            account,
            "organization.set_domains",
            "organization",
            organization_id,
            {"domains": before["domains"]},
            {"domains": clean},
        )
    return await _domains_out(organization_id)
