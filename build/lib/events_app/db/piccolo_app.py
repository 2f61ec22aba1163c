from piccolo.conf.apps import AppConfig

from events_app.db import tables
from events_app.db.migrations_path import migrations_folder

APP_CONFIG = AppConfig(
    app_name="events",
    migrations_folder_path=migrations_folder("events"),
    table_classes=[
        tables.Organization,
        tables.Person,
        tables.Account,
        tables.AuthSession,
        tables.Office,
        tables.OfficeStaff,
        tables.Event,
        tables.EventOrganizer,
        tables.RegistrationCategory,
        tables.Question,
        tables.Delegation,
        tables.Invitation,
        tables.AccessCode,
        tables.Registration,
        tables.IdempotencyKey,
        tables.CalendarUpdate,
        tables.Announcement,
        tables.OutboxMessage,
        tables.AuditLog,
    ],
    migration_dependencies=[],
    commands=[],
)
