"""Certificates of attendance (issue 17): one live certificate per registration, with its verification code.

The code is domain.certificates.certificate_code of a stored 128-bit nonce: only the nonce and the SHA-256 of the
code are kept, like every other link token. `minutes` is the attended time the certificate states, fixed when it
is issued; a certificate issued again with other figures (a late-synced scan) revokes the old one, which the
verification page then calls replaced. The person's name is read from the registration, so erasing the
registration ends the certificate too.
"""
from events_app.db.raw_migration import statements_migration

ID = "2026-12-06T01:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "certificates of attendance"

STATEMENTS = [
    """CREATE TABLE certificate (
           id serial PRIMARY KEY,
           registration integer NOT NULL REFERENCES registration (id) ON DELETE CASCADE,
           event integer NOT NULL REFERENCES event (id) ON DELETE CASCADE,
           nonce varchar(32) NOT NULL,
           code_hash varchar(64) NOT NULL UNIQUE,
           minutes integer NOT NULL,
           issued_at timestamptz NOT NULL DEFAULT now(),
           revoked_at timestamptz NULL)""",
    "CREATE UNIQUE INDEX certificate_live ON certificate (registration) WHERE revoked_at IS NULL",
    "CREATE INDEX certificate_by_event ON certificate (event)",
]


async def forwards():
    return statements_migration(ID, "events", DESCRIPTION, STATEMENTS)
