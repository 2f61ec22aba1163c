"""What a registrant typed is kept on the registration; person-wide access by emailed link and short session.

(identity) Written in the shape `piccolo migrations new --auto` produces, so later automatic migrations see these
columns and tables as already there.
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-04T10:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "registration snapshot of the registrant, person access links and sessions"


class Organization(Table, tablename="organization", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


class Person(Table, tablename="person", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


def _params(**overrides) -> dict:
    params = {"null": False, "primary_key": False, "unique": False, "index": False,
              "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False}
    params.update(overrides)
    return params


def _fk(references, on_delete, null: bool) -> dict:
    return _params(references=references, on_delete=on_delete, on_update=OnUpdate.cascade, target_column=None,
                   null=null)


COLUMNS = [
    ("Registration", "registration", "registered_name", Varchar, _params(length=200, default="")),
    ("Registration", "registration", "registered_organization", ForeignKey,
     _fk(Organization, OnDelete.set_null, True)),
    ("Registration", "registration", "registered_language", Varchar, _params(length=10, default="en")),
    ("Registration", "registration", "registered_timezone", Varchar, _params(length=64, default=None, null=True)),
    ("PersonAccessLink", "person_access_link", "person", ForeignKey, _fk(Person, OnDelete.cascade, False)),
    ("PersonAccessLink", "person_access_link", "token_nonce", Varchar, _params(length=32, default="")),
    ("PersonAccessLink", "person_access_link", "token_hash", Varchar, _params(length=64, default="", unique=True)),
    ("PersonAccessLink", "person_access_link", "expires_at", Timestamptz, _params(default=TimestamptzNow())),
    ("PersonAccessLink", "person_access_link", "used_at", Timestamptz, _params(default=None, null=True)),
    ("PersonAccessLink", "person_access_link", "created_at", Timestamptz, _params(default=TimestamptzNow())),
    ("PersonSession", "person_session", "person", ForeignKey, _fk(Person, OnDelete.cascade, False)),
    ("PersonSession", "person_session", "token_hash", Varchar, _params(length=64, default="", unique=True)),
    ("PersonSession", "person_session", "created_at", Timestamptz, _params(default=TimestamptzNow())),
    ("PersonSession", "person_session", "expires_at", Timestamptz, _params(default=TimestamptzNow())),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)
    manager.add_table(class_name="PersonAccessLink", tablename="person_access_link", schema=None, columns=None)
    manager.add_table(class_name="PersonSession", tablename="person_session", schema=None, columns=None)
    for class_name, tablename, column, column_class, params in COLUMNS:
        manager.add_column(table_class_name=class_name, tablename=tablename, column_name=column,
                           db_column_name=column, column_class_name=column_class.__name__,
                           column_class=column_class, params=params, schema=None)
    return manager
