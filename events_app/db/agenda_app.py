from piccolo.conf.apps import AppConfig

from events_app.db import agenda_tables as t
from events_app.db.migrations_path import migrations_folder

APP_CONFIG = AppConfig(
    app_name="agenda",
    migrations_folder_path=migrations_folder("agenda"),
    table_classes=[
        t.AgendaState,
        t.Room,
        t.Track,
        t.Session,
        t.AgendaPerson,
        t.SessionPerson,
        t.SessionBooking,
        t.AgendaChange,
        t.FeedPiece,
    ],
    migration_dependencies=["events_app.db.piccolo_app"],
    commands=[],
)
