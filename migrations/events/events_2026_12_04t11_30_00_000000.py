"""Least-power registration links (tokens-privacy): a read-only view token and a personal-feed token per
registration, each stored as nonce + digest like the manage token."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-04T11:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "registration view and feed tokens"


def _params(length: int, unique: bool) -> dict:
    return {"length": length, "default": None, "null": True, "primary_key": False, "unique": unique,
            "index": False, "index_method": IndexMethod.btree, "choices": None, "db_column_name": None,
            "secret": False}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)
    for name, length, unique in (("view_nonce", 32, False), ("view_hash", 64, True),
                                 ("feed_nonce", 32, False), ("feed_hash", 64, True)):
        manager.add_column(table_class_name="Registration", tablename="registration", column_name=name,
                           db_column_name=name, column_class_name="Varchar", column_class=Varchar,
                           params=_params(length, unique), schema=None)
    return manager
