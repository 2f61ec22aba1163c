"""Schedules in and out of the agenda in other tools' formats: importing frab schedule.xml/json, pretalx and
FOSDEM's pentabarf exports (schedule_exchange). What a file carries beyond the agenda's columns is kept in the
exchange_* tables; exports are built by agenda.agenda_publish with the other public views and read them.

Imports people and agenda.
"""
