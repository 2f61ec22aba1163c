"""A project shows the name its coordinator typed for a contact, never the name the person stored: adding a contact
by address must not reveal who the address belongs to. Every statement of services/meetings that reads a person's
stored name (`p.name`) reads it only as the fallback of the typed one (rows from before names were kept), through
the contact row of the statement's project: the latest one of that person, `pc`, or the contact row itself, `c`.
The statements that show people their own name are listed, with why."""

from __future__ import annotations

import re

from tests.unit.db.test_shared_sql_rules import ALL, normalized

# The project's name for the person: the typed one, else (an older row) their own.
TYPED_OR_OWN = ("coalesce(pc.display_name, p.name)", "coalesce(c.display_name, p.name)")
_LATEST_CONTACT = re.compile(
    re.escape(
        normalized(
            "LEFT JOIN LATERAL (SELECT c.display_name FROM project_contact c WHERE c.project = s.project"
            " AND c.person = p.id ORDER BY c.joined_at DESC, c.id DESC LIMIT 1) pc ON true"
        )
    )
)
OWN_NAME = {
    ("meetings", "invitation_by_token_hash"),  # the invitee's own RSVP page, opened with their token
}


def stored_name_problems(key: tuple[str, str], sql: str) -> list[str]:
    problems = []
    bare = sql
    for form in TYPED_OR_OWN:
        bare = bare.replace(form, "")
    if re.search(r"\bp\.name\b", bare) and key not in OWN_NAME:
        problems.append("reads p.name other than as the fallback of the name typed for the project")
    if "pc.display_name" in sql and len(_LATEST_CONTACT.findall(sql)) != 1:
        problems.append("pc is not the latest contact row of the series' project and the person")
    return problems


def test_meeting_statements_show_the_typed_name():
    meetings = {key: sql for key, sql in ALL.items() if key[0] == "meetings"}
    assert {k: p for k, sql in meetings.items() if (p := stored_name_problems(k, sql))} == {}
    assert set(meetings) >= OWN_NAME


def test_a_stored_name_is_caught():
    sql = normalized("SELECT p.id, p.name FROM meeting_attendance a JOIN person p ON p.id = a.person")

    assert stored_name_problems(("meetings", "attendance_of_occurrence"), sql)
