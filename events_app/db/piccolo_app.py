import os

from piccolo.conf.apps import AppConfig

from events_app.db import tables

# A source checkout keeps migrations/ beside the package. An installed package (the Docker image) has none there:
# it runs from the directory that holds piccolo_conf.py and migrations/, so look in the working directory instead.
_CHECKOUT_MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "migrations", "events")
MIGRATIONS_FOLDER = (_CHECKOUT_MIGRATIONS if os.path.isdir(_CHECKOUT_MIGRATIONS)
                     else os.path.join(os.getcwd(), "migrations", "events"))

APP_CONFIG = AppConfig(
    app_name="events",
    migrations_folder_path=MIGRATIONS_FOLDER,
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
        tables.CalendarUpdate,
        tables.Announcement,
        tables.OutboxMessage,
    ],
    migration_dependencies=[],
    commands=[],
)
