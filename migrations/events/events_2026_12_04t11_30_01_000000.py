"""Every registration gets its own view and feed nonces (tokens-privacy).

The nonce is drawn by the database (gen_random_uuid: a strong random source), for existing rows now and for every
row inserted later, whatever statement inserts it. The digest is written by the code that first builds the link
(events_app.services.registration.registration_links), the only place the server secret is known, so a link works from the
moment it exists. Feed subscriptions made with the manage token stop working: that route is gone, and the manage
page shows the new feed address.
"""
from events_app.db.raw_migration import statements_migration

ID = "2026-12-04T11:30:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "registration view and feed nonces"
NONCE = "replace(gen_random_uuid()::text, '-', '')"

STATEMENTS = [
    f"ALTER TABLE registration ALTER COLUMN view_nonce SET DEFAULT {NONCE}",
    f"ALTER TABLE registration ALTER COLUMN feed_nonce SET DEFAULT {NONCE}",
    f"UPDATE registration SET view_nonce = {NONCE}, feed_nonce = {NONCE}"
    " WHERE view_nonce IS NULL OR feed_nonce IS NULL",
    "ALTER TABLE registration ALTER COLUMN view_nonce SET NOT NULL",
    "ALTER TABLE registration ALTER COLUMN feed_nonce SET NOT NULL",
]


async def forwards():
    return statements_migration(ID, "events", DESCRIPTION, STATEMENTS)
