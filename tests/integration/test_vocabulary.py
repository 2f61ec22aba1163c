"""Each vocabulary has one source, its StrEnum in events_app/domain/vocab.py: the database's CHECK constraint on
every column that stores it lists exactly the enum's values, and the API schema offers exactly them."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest

from events_app.db import sql
from events_app.domain import checkin, vocab

COLUMNS: dict[tuple[str, str], type[StrEnum]] = {
    ("organization", "kind"): vocab.OrganizationKind,
    ("organization", "membership_status"): vocab.MembershipStatus,
    ("event", "kind"): vocab.EventKind,
    ("event", "status"): vocab.EventStatus,
    ("event", "waitlist_mode"): vocab.WaitlistMode,
    ("registration_category", "eligibility"): vocab.Eligibility,
    ("question", "kind"): vocab.QuestionKind,
    ("registration", "status"): vocab.RegistrationStatus,
    ("agenda_session", "kind"): vocab.SessionKind,
    ("agenda_session", "status"): vocab.SessionStatus,
    ("agenda_session_person", "role"): vocab.SessionRole,
    ("agenda_booking", "status"): vocab.BookingStatus,
    ("meeting_series", "mode"): vocab.MeetingMode,
    ("meeting_series", "status"): vocab.SeriesStatus,
    ("pilot_project", "status"): vocab.ProjectStatus,
    ("meeting_rsvp", "partstat"): vocab.PartStat,
    ("calendar_answer", "partstat"): vocab.PartStat,
    ("meeting_proposal", "status"): vocab.DecisionStatus,
    ("meeting_delegation", "status"): vocab.DecisionStatus,
    ("outbox_message", "status"): vocab.OutboxStatus,
    ("announcement", "status"): vocab.AnnouncementStatus,
    ("checkin_scan", "method"): checkin.Method,
    ("checkin_scan", "outcome"): checkin.Outcome,
}

CONSTRAINTS = """SELECT c.conrelid::regclass::text AS table_name, pg_get_constraintdef(c.oid) AS definition
                 FROM pg_constraint c WHERE c.contype = 'c' AND c.connamespace = 'public'::regnamespace"""


async def _allowed_values() -> dict[tuple[str, str], set[str]]:
    """(table, column) -> the values its `column IN (...)` CHECK allows, read back from PostgreSQL."""
    found: dict[tuple[str, str], set[str]] = {}
    for row in await sql.fetch(CONSTRAINTS):
        # PostgreSQL prints `col IN ('a', 'b')` as `((col)::text = ANY ((ARRAY['a'::character varying, ...])::text[]))`
        match = re.fullmatch(
            r"CHECK \(\(\(?(\w+)\)?(?:::text)? = ANY \(\(?ARRAY\[(.*)\]\)?(?:::text\[\])?\)\)\)", row["definition"]
        )
        if match:
            found[(row["table_name"], match.group(1))] = set(re.findall(r"'([^']*)'", match.group(2)))
    return found


async def test_every_vocabulary_column_has_a_check_that_lists_its_enum(db) -> None:
    allowed = await _allowed_values()
    for column, enum in COLUMNS.items():
        assert allowed.get(column) == {member.value for member in enum}, column


async def test_every_enum_check_in_the_database_is_known_here(db) -> None:
    """A new vocabulary column with a CHECK must be added to COLUMNS, so its enum is compared too."""
    allowed = await _allowed_values()
    known = set(COLUMNS) | {
        ("calendar_update", "subject"),
        ("meeting_inbound_reply", "outcome"),
        ("calendar_copy", "method"),  # the iTIP methods a calendar copy records (REQUEST, CANCEL), from domain.ical
        ("content_translation", "subject"),  # what an organizer's translation belongs to (domain.content)
        ("checkin_code", "revoked_reason"),  # why a check-in code stopped admitting (services.onsite.checkin_codes)
    }
    assert set(allowed) - known == set()


@pytest.mark.parametrize("name", ["EventKind", "Eligibility", "WaitlistMode", "QuestionKind", "RegistrationStatus"])
def test_api_schemas_use_the_vocabulary_enums(name: str) -> None:
    from events_app.web import schemas

    assert getattr(schemas, name) is getattr(vocab, name)
