import os

from piccolo.conf.apps import AppConfig

from events_app.db import agenda_tables as t

APP_CONFIG = AppConfig(
    app_name="agenda",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "..", "..", "migrations", "agenda"),
    table_classes=[t.AgendaState, t.Room, t.Track, t.Session, t.AgendaPerson, t.SessionPerson, t.SessionBooking,
                   t.AgendaChange],
    migration_dependencies=["events_app.db.piccolo_app"],
    commands=[],
)
