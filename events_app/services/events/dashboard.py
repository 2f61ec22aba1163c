"""The organizer's dashboard: the events an account organizes, with registration and mail counts."""

from __future__ import annotations

from events_app.db import queries
from events_app.services.events.rows import ROWS, OrganizedEventRow
from events_app.services.people.accounts import CurrentAccount

Q = queries.load(__file__, rows=ROWS)


async def organized_events(account: CurrentAccount) -> list[OrganizedEventRow]:
    """Every event the account organizes (all of them for administrators), soonest first, with counts."""
    return await Q.organized_events(account_id=account.id, is_admin=account.is_admin)
