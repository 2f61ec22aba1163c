"""Who may see a person: one pure rule for organizers, office staff, coordinators and administrators."""

import pytest

from events_app.domain.access import Connection, Link, may_see_person


def test_may_see_person_admin_sees_everyone():
    assert may_see_person(True, []) is True


def test_may_see_person_without_connections_is_false():
    assert may_see_person(False, []) is False


@pytest.mark.parametrize(
    "kind",
    [
        Connection.REGISTRATION,
        Connection.SESSION_ROLE,
        Connection.PROJECT_CONTACT,
        Connection.MEETING_INVITEE,
    ],
)
def test_may_see_person_through_what_one_manages(kind):
    assert (may_see_person(False, [Link(kind, True)]), may_see_person(False, [Link(kind, False)])) == (True, False)


def test_may_see_person_other_events_connections_give_nothing():
    links = [
        Link(Connection.REGISTRATION, False),
        Link(Connection.SESSION_ROLE, False),
        Link(Connection.PROJECT_CONTACT, False),
    ]
    assert may_see_person(False, links) is False


@pytest.mark.parametrize(
    "kind",
    [
        Connection.SESSION_ROLE_BY_EMAIL,
        Connection.REGISTRATION_BY_EMAIL,
        Connection.INVITATION,
        Connection.DELEGATION_HEAD,
    ],
)
def test_may_see_person_linking_by_email_gives_nothing(kind):
    """An address anyone can type (an invitation, a delegation's head, a registration of a known address, a
    session role by email) opens no profile, even at one's own event."""
    assert may_see_person(False, [Link(kind, True)]) is False
