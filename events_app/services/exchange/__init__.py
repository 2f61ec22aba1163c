"""Schedules in and out of the agenda in other tools' formats: importing frab schedule.xml/json
(schedule_exchange). Exports are built by agenda.agenda_publish with the other public views.

Imports people and agenda.
"""
