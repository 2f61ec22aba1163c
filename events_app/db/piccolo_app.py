import os

from piccolo.conf.apps import AppConfig

from events_app.db import tables

APP_CONFIG = AppConfig(
    app_name="events",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "..", "..", "migrations", "events"),
    table_classes=[
        tables.Organization,
        tables.Person,
        tables.Account,
        tables.AuthSession,
        tables.Event,
        tables.EventOrganizer,
        tables.RegistrationCategory,
        tables.Question,
        tables.Delegation,
        tables.Invitation,
        tables.AccessCode,
        tables.Registration,
        tables.IdempotencyKey,
        tables.OutboxMessage,
    ],
    migration_dependencies=[],
    commands=[],
)
