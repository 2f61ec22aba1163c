"""The waiting-list position of a registration: one SQL expression, used wherever a position is shown or sent
(registration answers, the manage and view pages, notifications, organizer lists and exports).

This is the rule's home. Named queries (the queries.sql files) write the expression out as `position(alias)` gives
it, byte for byte; tests/unit/db/test_shared_sql_rules.py finds every statement that applies it and fails on a copy
that differs or on a query that joins or leaves the list unannounced.

A waitlisted registration's place in line is 1 + the waitlisted registrations of the same category drawn earlier
(waitlist_seq comes from one sequence, so places follow the order in which registrations took the event lock).
Counting only the earlier ones keeps the expression right inside the registration statement too, where the row
being inserted is not yet visible to the statement itself.
"""

from __future__ import annotations


def position(alias: str) -> str:
    """SQL: the waiting-list position of registration `alias` (a row with status, category and waitlist_seq),
    NULL unless it is waitlisted. `alias` is a table alias written in code, never input."""
    return (
        f"CASE WHEN {alias}.status = 'waitlisted' THEN 1 + ("  # noqa: S608 (aliases written in code, never input)
        f"SELECT count(*) FROM registration w WHERE w.category = {alias}.category AND w.status = 'waitlisted'"
        f" AND w.waitlist_seq < {alias}.waitlist_seq) END"
    )


REGISTRATION_POSITION = position("r")  # for queries over `registration r`
