"""Constraints and indexes for offices, consent, anonymization and the audit log."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from events_app.db.engine import DB

ID = "2026-11-22T04:58:42:000000"
VERSION = "1.38.0"
DESCRIPTION = "security and privacy constraints"

STATEMENTS = [
    "CREATE UNIQUE INDEX office_staff_unique ON office_staff (office, account)",
    "CREATE INDEX office_staff_by_account ON office_staff (account)",
    "CREATE INDEX event_by_office ON event (office) WHERE office IS NOT NULL",
    # Consent is recorded as a pair: a version without a time (or the reverse) is a bug.
    "ALTER TABLE registration ADD CONSTRAINT registration_consent"
    " CHECK ((consent_version IS NULL) = (consent_at IS NULL))",
    "CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC)",
    "CREATE INDEX audit_log_event ON audit_log (event, at) WHERE event IS NOT NULL",
    "CREATE INDEX audit_log_project ON audit_log (project, at) WHERE project IS NOT NULL",
    "CREATE INDEX event_retention ON event (ends_at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await DB.run_ddl(statement)

    manager.add_raw(run)
    return manager
