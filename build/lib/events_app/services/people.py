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
