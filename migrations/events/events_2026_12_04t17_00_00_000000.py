"""Organizations' registered email domains (migration of the organizer-scope and membership work, "scope").

A registrant in a members- or partners-only category whose address is at one of the named organization's domains
is admitted at once; anyone else naming the organization waits for an organizer's approval. A domain belongs to
one organization (an address cannot prove membership of two)."""

from events_app.db.raw_migration import statements_migration

ID = "2026-12-04T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "organization email domains"

STATEMENTS = [
    """CREATE TABLE organization_domain (
           id serial PRIMARY KEY,
           organization integer NOT NULL REFERENCES organization (id) ON DELETE CASCADE,
           domain varchar(253) NOT NULL UNIQUE CHECK (domain = lower(domain) AND domain NOT LIKE '%@%'),
           created_at timestamptz NOT NULL DEFAULT now())""",
    "CREATE INDEX organization_domain_by_organization ON organization_domain (organization)",
]


async def forwards():
    return statements_migration(ID, "events", DESCRIPTION, STATEMENTS)
