"""A project shows the name its coordinator typed for a contact, never the name the person stored: adding a contact
by address must not reveal who the address belongs to. Every statement of services/meetings that reads a person's
stored name (`p.name`) reads it only as the fallback of the typed one on the contact row itself (`c`; rows from
before names were kept), or through project_person_name. The statements that show people their own name are
listed, with why."""

from __future__ import annotations

import re

from tests.unit.db.test_shared_sql_rules import ALL, normalized

# The project's name for the person: the contact row's typed one, else (an older row) their own; or, through any
# other row, project_person_name (the migration that defines it says what it reads).
TYPED_OR_OWN = "coalesce(c.display_name, p.name)"
OWN_NAME = {
    ("meetings", "invitation_by_token_hash"),  # the invitee's own RSVP page, opened with their token
}


def stored_name_problems(key: tuple[str, str], sql: str) -> list[str]:
    problems = []
    if re.search(r"\bp\.name\b", sql.replace(TYPED_OR_OWN, "")) and key not in OWN_NAME:
        problems.append("reads p.name other than as the fallback of the name typed for the project")
    if TYPED_OR_OWN in sql and "JOIN project_contact c" not in sql and "FROM project_contact c" not in sql:
        problems.append("c is not the project's contact row")
    return problems


def test_meeting_statements_show_the_typed_name():
    meetings = {key: sql for key, sql in ALL.items() if key[0] == "meetings"}
    assert {k: p for k, sql in meetings.items() if (p := stored_name_problems(k, sql))} == {}
    assert set(meetings) >= OWN_NAME


def test_a_stored_name_is_caught():
    sql = normalized("SELECT p.id, p.name FROM meeting_attendance a JOIN person p ON p.id = a.person")

    assert stored_name_problems(("meetings", "attendance_of_occurrence"), sql)
