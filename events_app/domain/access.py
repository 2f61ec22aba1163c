"""Who may see a person: the one rule every organizer-, staff- and coordinator-facing use of a person obeys.

Pure: services.people.people gathers the facts (the person's connections, each marked with whether the viewer
manages the event or coordinates the project it belongs to) and this module decides. A person outside the viewer's
scope is answered exactly like a person that does not exist, so sequential ids and known addresses give nothing away.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Connection(StrEnum):
    """How a person is tied to an event or a pilot project."""

    REGISTRATION = "registration"  # a registration (whatever its status) for the event that created the person
    # ... of an address whose person existed before (anyone may register any address): what was typed stays on the
    # registration, which its event's organizers see; the person's own profile is not opened by it
    REGISTRATION_BY_EMAIL = "registration_by_email"
    SESSION_ROLE = "session_role"  # speaker, moderator or panelist in one of the event's sessions
    # ... put there by an organizer who gave only an address or a schedule file (and the name to show): knowing an
    # address or a schedule guid must not open a profile, so this one grants nothing (the organizer sees what they
    # gave, kept on the role row)
    SESSION_ROLE_BY_EMAIL = "session_role_by_email"
    # named by an organizer's typed address (like SESSION_ROLE_BY_EMAIL): grant nothing by themselves
    DELEGATION_HEAD = "delegation_head"  # head of one of the event's delegations
    INVITATION = "invitation"  # invited by email to the event
    PROJECT_CONTACT = "project_contact"  # contact person of the project's cohort (current or former) it created
    MEETING_INVITEE = "meeting_invitee"  # invited to one of the project's meeting series, created by that
    # ... of an address whose person existed before (any account may create a project and type any address): the
    # project shows the name typed for it (project_contact.display_name); the person's profile is not opened
    PROJECT_CONTACT_BY_EMAIL = "project_contact_by_email"
    MEETING_INVITEE_BY_EMAIL = "meeting_invitee_by_email"


EVENT_CONNECTIONS = frozenset({Connection.REGISTRATION, Connection.SESSION_ROLE})
PROJECT_CONNECTIONS = frozenset({Connection.PROJECT_CONTACT, Connection.MEETING_INVITEE})


@dataclass(frozen=True)
class Link:
    """One connection of a person, and whether the viewer manages what it connects to: the event (as its
    organizer or as staff of its office) for event connections, the project (as coordinator) for project ones."""

    kind: Connection
    managed: bool


def may_see_person(is_admin: bool, links: Iterable[Link]) -> bool:
    """Administrators see everyone. Event organizers and office staff see the people connected to an event they
    manage; coordinators the contacts and invitees of a project they coordinate. Nobody else sees anyone, and
    being an organizer of one event gives nothing about the people of another."""
    if is_admin:
        return True
    return any(link.managed and link.kind in EVENT_CONNECTIONS | PROJECT_CONNECTIONS for link in links)
