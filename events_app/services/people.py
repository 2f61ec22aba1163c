"""People and organizations."""
from __future__ import annotations

from events_app.db import sql


async def list_organizations(country: str | None = None, q: str | None = None, limit: int = 500) -> list[dict]:
    rows = await sql.fetch(
        """SELECT id, name, kind, country, membership_status FROM organization
           WHERE ($1::text IS NULL OR country = upper($1)) AND ($2::text IS NULL OR name ILIKE '%' || $2 || '%')
           ORDER BY name LIMIT $3""",
        country, q, max(0, limit))
    return [dict(r) for r in rows]


# Insert if missing, never update. When the address is known the INSERT returns nothing and the stored row is read.
LINK_OR_CREATE = """
    WITH created AS (
        INSERT INTO person (email, name, organization, language, created_at)
        VALUES ($1, coalesce($2, ''), $3, 'en', now())
        ON CONFLICT (email) DO NOTHING RETURNING id)
    SELECT id FROM created UNION ALL SELECT id FROM person WHERE email = $1 AND NOT EXISTS (SELECT 1 FROM created)"""


async def link_or_create(email: str, name: str | None = None, organization_id: int | None = None) -> int:
    """The id of the person with this (normalized) address, created with `name` and `organization_id` when there is
    none yet. An existing person is never changed: their profile is theirs (see person_access) or an
    administrator's to change. Returns the person's id."""
    address = email.strip().lower()
    person_id = await sql.fetchval(LINK_OR_CREATE, address, name, organization_id)
    if person_id is None:  # created by a concurrent transaction after this statement's snapshot: now visible
        person_id = await sql.fetchval(LINK_OR_CREATE, address, name, organization_id)
    return person_id
