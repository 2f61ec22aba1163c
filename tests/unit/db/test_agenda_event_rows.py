"""The typed rows that stand for whole table rows (`SELECT *`) declare every column of their table, so that code
reading an event or a session as a mapping (rules in domain/, calendar items, templates) misses nothing; and a new
event takes the table's defaults for the fields it is created without."""

from __future__ import annotations

import json

import msgspec
import pytest

from events_app.db.agenda_tables import Room, Session, Track
from events_app.db.tables import Event, RegistrationCategory
from events_app.services.agenda.rows import EventRow, RoomRow, SessionRow, TrackRow
from events_app.services.events.events import EVENT_DEFAULTS, EVENT_FIELDS
from events_app.services.events.rows import CategoryRow


@pytest.mark.parametrize(
    ("row", "table"),
    [(EventRow, Event), (SessionRow, Session), (RoomRow, Room), (TrackRow, Track), (CategoryRow, RegistrationCategory)],
    ids=lambda x: getattr(x, "__name__", ""),
)
def test_whole_row_declares_every_column(row, table):
    columns = {c._meta.db_column_name for c in table._meta.columns}

    assert {f.name for f in msgspec.structs.fields(row)} == columns


def test_a_new_event_takes_the_table_defaults():
    for name, value in EVENT_DEFAULTS.items():
        default = Event._meta.get_column_by_name(name).default
        if isinstance(value, list):
            default = json.loads(default)
        assert value == default, name
    assert set(EVENT_DEFAULTS) < set(EVENT_FIELDS)
    required = {"title", "kind", "timezone", "starts_at", "ends_at"}
    assert set(EVENT_FIELDS) - set(EVENT_DEFAULTS) == required
