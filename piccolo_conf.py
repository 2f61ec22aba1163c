"""Piccolo CLI configuration: the engine comes from DATABASE_URL like everywhere else."""

from piccolo.conf.apps import AppRegistry

from events_app.db.engine import DB  # noqa: F401 - the piccolo CLI reads DB from this module

APP_REGISTRY = AppRegistry(apps=["events_app.db.piccolo_app", "events_app.db.agenda_app", "events_app.db.meetings_app"])
