"""On site: check-in codes, check-in staff, scans, attendance, badge styles and printed badges (issue 17).

A confirmed registration's check-in code is an HMAC of a stored random nonce (events_app.domain.security): only the
nonce and the SHA-256 of the code are kept, like every other link token. One live code per registration (a partial
unique index); a moved or erased registration's code is revoked (kept for the reason shown at the door) and a new
one is issued when needed.

Every scan is kept (checkin_scan), the refused and the duplicate ones too, so nothing a desk saw is lost; a device's
scan id makes a replayed offline batch change nothing twice. `attendance` holds one row per registration and place
(the door: session 0; a session room: its id), the earliest admitted scan winning.
"""
from events_app.db.raw_migration import statements_migration

ID = "2026-12-05T13:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "on site: check-in codes, staff, scans, attendance, badges"

STATEMENTS = [
    """CREATE TABLE checkin_code (
           id serial PRIMARY KEY,
           registration integer NOT NULL REFERENCES registration (id) ON DELETE CASCADE,
           event integer NOT NULL REFERENCES event (id) ON DELETE CASCADE,
           category integer NOT NULL REFERENCES registration_category (id) ON DELETE CASCADE,
           nonce varchar(32) NOT NULL,
           code_hash varchar(64) NOT NULL UNIQUE,
           issued_at timestamptz NOT NULL DEFAULT now(),
           revoked_at timestamptz NULL,
           revoked_reason varchar(20) NOT NULL DEFAULT ''
               CHECK (revoked_reason IN ('', 'moved', 'erased', 'cancelled', 'reissued')))""",
    "CREATE UNIQUE INDEX checkin_code_live ON checkin_code (registration) WHERE revoked_at IS NULL",
    "CREATE INDEX checkin_code_by_event ON checkin_code (event) WHERE revoked_at IS NULL",
    """CREATE TABLE checkin_staff (
           id serial PRIMARY KEY,
           event integer NOT NULL REFERENCES event (id) ON DELETE CASCADE,
           account integer NOT NULL REFERENCES account (id) ON DELETE CASCADE,
           desk varchar(60) NOT NULL DEFAULT '',
           created_at timestamptz NOT NULL DEFAULT now(),
           UNIQUE (event, account))""",
    "CREATE INDEX checkin_staff_by_account ON checkin_staff (account)",
    """CREATE TABLE checkin_scan (
           id bigserial PRIMARY KEY,
           event integer NOT NULL REFERENCES event (id) ON DELETE CASCADE,
           session integer NOT NULL DEFAULT 0,
           registration integer NULL REFERENCES registration (id) ON DELETE SET NULL,
           account integer NULL REFERENCES account (id) ON DELETE SET NULL,
           device varchar(60) NOT NULL,
           scan_id varchar(64) NOT NULL,
           method varchar(10) NOT NULL CHECK (method IN ('code', 'name')),
           scanned_at timestamptz NOT NULL,
           received_at timestamptz NOT NULL DEFAULT now(),
           outcome varchar(10) NOT NULL CHECK (outcome IN ('admitted', 'duplicate', 'refused')),
           reason varchar(20) NOT NULL DEFAULT '',
           UNIQUE (event, device, scan_id))""",
    "CREATE INDEX checkin_scan_by_registration ON checkin_scan (registration, session)",
    """CREATE TABLE attendance (
           id bigserial PRIMARY KEY,
           event integer NOT NULL REFERENCES event (id) ON DELETE CASCADE,
           session integer NOT NULL DEFAULT 0,
           registration integer NOT NULL REFERENCES registration (id) ON DELETE CASCADE,
           scan bigint NOT NULL REFERENCES checkin_scan (id) ON DELETE CASCADE,
           checked_in_at timestamptz NOT NULL,
           device varchar(60) NOT NULL,
           UNIQUE (registration, session))""",
    "CREATE INDEX attendance_by_event ON attendance (event, session)",
    """CREATE TABLE badge_style (
           id serial PRIMARY KEY,
           category integer NOT NULL UNIQUE REFERENCES registration_category (id) ON DELETE CASCADE,
           colour varchar(7) NOT NULL DEFAULT '#1f4e79' CHECK (colour ~ '^#[0-9a-f]{6}$'),
           fields jsonb NOT NULL DEFAULT '["name", "organization", "country", "category", "delegation", "qr"]')""",
    """CREATE TABLE badge_print (
           registration integer PRIMARY KEY REFERENCES registration (id) ON DELETE CASCADE,
           printed_at timestamptz NOT NULL DEFAULT now(),
           times integer NOT NULL DEFAULT 1)""",
]


async def forwards():
    return statements_migration(ID, "events", DESCRIPTION, STATEMENTS)
