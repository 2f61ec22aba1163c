"""The name a project shows for a person, in one place: the name its coordinator typed for them as a contact (the
latest contact row), else the name the reply that made them a delegate gave (or its address), else (rows from
before names were kept) the person's own. Every project and meeting list, report and notice reads it, so knowing
an address never shows the name its person stored."""

from events_app.db.raw_migration import statements_migration

ID = "2026-12-07T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "project_person_name"

STATEMENTS = [
    """CREATE FUNCTION project_person_name(project_id integer, person_id integer) RETURNS text
       LANGUAGE sql STABLE AS $$
       SELECT coalesce(
           (SELECT c.display_name FROM project_contact c WHERE c.project = project_id AND c.person = person_id
            ORDER BY c.joined_at DESC, c.id DESC LIMIT 1),
           (SELECT coalesce(nullif(d.delegate_name, ''), d.delegate_email) FROM meeting_delegation d
            JOIN meeting_series s ON s.id = d.series
            WHERE s.project = project_id AND d.delegate = person_id AND d.status = 'accepted'
            ORDER BY d.decided_at DESC NULLS LAST, d.id DESC LIMIT 1),
           (SELECT p.name FROM person p WHERE p.id = person_id))
       $$""",
]


async def forwards():
    return statements_migration(ID, "meetings", DESCRIPTION, STATEMENTS)
