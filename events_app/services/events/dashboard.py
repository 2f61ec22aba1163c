"""The organizer's dashboard: the events an account organizes, with registration and mail counts."""

from __future__ import annotations

from events_app.db import sql
from events_app.services.people.accounts import CurrentAccount


async def organized_events(account: CurrentAccount) -> list[dict]:
    """Every event the account organizes (all of them for administrators), soonest first, with counts."""
    rows = await sql.fetch(
        """SELECT e.id, e.title, e.kind, e.status, e.timezone, e.starts_at, e.ends_at, e.city, e.country,
                  e.capacity, e.confirmed_count,
                  count(r.id) FILTER (WHERE r.status = 'confirmed') AS confirmed,
                  count(r.id) FILTER (WHERE r.status = 'pending') AS pending,
                  count(r.id) FILTER (WHERE r.status IN ('waitlisted', 'offered')) AS waiting,
                  count(r.id) FILTER (WHERE r.status = 'cancelled') AS cancelled,
                  (SELECT count(*) FROM calendar_update u WHERE u.event = e.id AND u.done_at IS NULL)
                      AS pending_updates,
                  (SELECT count(*) FROM outbox_message m WHERE m.event = e.id AND m.status = 'failed')
                      AS failed_messages
           FROM event e LEFT JOIN registration r ON r.event = e.id
           WHERE $2 OR EXISTS(SELECT 1 FROM event_organizer o WHERE o.event = e.id AND o.account = $1)
           GROUP BY e.id ORDER BY e.ends_at < now(), e.starts_at, e.id""",
        account.id,
        account.is_admin,
    )
    return [dict(r) for r in rows]
