"""domain.timespan.ranges_overlap as an SQL predicate, for queries that look for overlapping sessions.

Written as two comparisons (not tstzrange &&) so the planner keeps using the plain indexes on starts_at/ends_at.
"""

from __future__ import annotations


def overlaps(a_starts: str, a_ends: str, b_starts: str, b_ends: str) -> str:
    """SQL: [a_starts, a_ends) and [b_starts, b_ends) overlap (half-open). Arguments are column names or
    parameters written in code, never input."""
    return f"({a_starts} < {b_ends} AND {b_starts} < {a_ends})"
