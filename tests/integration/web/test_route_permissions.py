"""Every route of the app, called as each kind of caller: anonymous, a delegate's manage token, someone with the
wrong role, and the right role(s). The table below must name every route: a new route fails
`test_every_route_is_in_the_table` until it is added here with its access rule and a request that succeeds.

Access rules:
  PUBLIC   anyone (anonymous must not get 401/403)
  TOKEN    the secret in the path is the credential (a wrong one is 404, the right one succeeds)
  ACCOUNT  any logged-in account (anonymous 401)
  EVENT    event A's organizers, staff of event A's office, administrators; event B's organizer 403
  PROJECT  project P's coordinators and administrators; project Q's coordinator and event organizers 403
  ADMIN    administrators only; organizers and office staff 403
  PERSON   a person's session from their emailed access link (anonymous, a manage token or an account 401)
  STAFF    administrators and staff of any regional office; organizers and coordinators 403
  CHECKIN  event A's check-in staff, organizers, office staff and administrators; event B's organizer and check-in
           staff 403 (check-in staff are refused every EVENT route too)

Organizer scope (test_organizer_names_a_person_of_another_event): a person connected only to event B is, for event
A's organizers and office staff, exactly like a person that does not exist, whether named by id or by address.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from events_app.db import sql
from events_app.domain.security import digest, manage_token
from events_app.services.events import events
from events_app.services.meetings import meetings, projects
from events_app.services.messaging import announcements
from events_app.services.people.accounts import CurrentAccount
from events_app.services.privacy import person_access
from events_app.services.registration import delegations, registration_links, registrations
from events_app.settings import get_settings
from events_app.web.app import create_app
from events_app.web.pages.common import SESSION_COOKIE

PERSON = "person"
CHECKIN = "checkin"
PUBLIC, TOKEN, ACCOUNT, EVENT, PROJECT, ADMIN, STAFF = (
    "public",
    "token",
    "account",
    "event",
    "project",
    "admin",
    "staff",
)
UNKNOWN_ID = 987654


@dataclass
class Scenario:
    tokens: dict[str, str] = field(default_factory=dict)  # role -> bearer token
    ids: dict[str, Any] = field(default_factory=dict)

    def auth(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}


async def _account(s: Scenario, role: str, *, admin: bool = False) -> CurrentAccount:
    email = f"{role}@example.org"
    account_id = await sql.fetchval(
        "INSERT INTO account (email, name, password_hash, is_admin, is_active, created_at)"
        " VALUES ($1, $2, 'not-a-login', $3, true, now()) RETURNING id",
        email,
        role.title(),
        admin,
    )
    token = secrets.token_urlsafe(16)
    await sql.execute(
        "INSERT INTO auth_session (token_hash, account, created_at, expires_at)"
        " VALUES ($1, $2, now(), now() + interval '1 hour')",
        digest(token),
        account_id,
    )
    s.tokens[role] = token
    return CurrentAccount(account_id, email, role.title(), admin)


def _event(title: str, **extra) -> dict:
    start = datetime.now(timezone.utc) + timedelta(days=40)
    return {
        "title": title,
        "kind": "forum",
        "timezone": "Africa/Nairobi",
        "starts_at": start,
        "ends_at": start + timedelta(days=1),
        "city": "Nairobi",
        "country": "KE",
        **extra,
    }


async def build() -> Scenario:
    """Two events, two projects, one office, one of each role; ids of everything a route may name."""
    s = Scenario()
    await _account(s, "admin", admin=True)
    org_a = await _account(s, "organizer_a")
    org_b = await _account(s, "organizer_b")
    staff = await _account(s, "staff")
    checkin_a = await _account(s, "checkin")
    checkin_b = await _account(s, "checkin_b")
    coord = await _account(s, "coordinator")
    coord_q = await _account(s, "coordinator_q")
    office = await sql.fetchval(
        "INSERT INTO office (name, region, created_at) VALUES ('East Africa', 'Africa', now()) RETURNING id"
    )
    await sql.execute("INSERT INTO office_staff (office, account) VALUES ($1, $2)", office, staff.id)
    org = await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ('City of Kisumu', 'city', 'KE', 'active', now()) RETURNING id"
    )
    org2 = await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ('City of Mombasa', 'city', 'KE', 'active', now()) RETURNING id"
    )

    a = await events.create_event(org_a, _event("Event A"))
    await sql.execute("UPDATE event SET office = $2 WHERE id = $1", a["id"], office)
    await events.add_category(org_a, a["id"], {"code": "delegate", "name": "Delegate"})
    press = await events.add_category(org_a, a["id"], {"code": "press", "name": "Press", "requires_approval": True})
    await events.add_category(org_a, a["id"], {"code": "speaker", "name": "Speaker"})
    await events.publish_event(org_a, a["id"])
    await sql.execute(
        "INSERT INTO checkin_staff (event, account, desk) VALUES ($1, $2, 'North door')", a["id"], checkin_a.id
    )
    b = await events.create_event(org_b, _event("Event B"))
    await sql.execute(
        "INSERT INTO checkin_staff (event, account, desk) VALUES ($1, $2, 'Desk B')", b["id"], checkin_b.id
    )
    await events.add_category(org_b, b["id"], {"code": "delegate", "name": "Delegate"})
    await events.publish_event(org_b, b["id"])
    await registrations.register(
        b["id"],
        {
            "email": "bea@event-b.example",
            "name": "Bea of Event B",
            "language": "es",
            "category": "delegate",
            "consent": True,
        },
    )

    confirmed = await registrations.register(
        a["id"], {"email": "delegate@example.org", "name": "Dee Legate", "category": "delegate", "consent": True}
    )
    pending = await registrations.register(
        a["id"], {"email": "press@example.org", "name": "Pat Press", "category": "press", "consent": True}
    )
    delegation = await delegations.create(
        org_a,
        a["id"],
        {
            "organization_id": org,
            "category": "delegate",
            "seats": 3,
            "head_email": "head@kisumu.example",
            "head_name": "Hadiza Odhiambo",
        },
    )
    head = await sql.fetchrow("SELECT id, token_nonce FROM registration WHERE delegation = $1", delegation["id"])
    member = await delegations.add_member(
        manage_token(get_settings().secret_key, head["token_nonce"]),
        {"email": "member@kisumu.example", "name": "Moses Wekesa"},
    )
    announcement = await announcements.create(
        org_a, a["id"], {"subject": "Welcome", "body": "Hello", "audience": {"kind": "confirmed"}}
    )
    message = await sql.fetchval("SELECT id FROM outbox_message WHERE event = $1 ORDER BY id LIMIT 1", a["id"])

    from events_app.services.agenda import agenda
    from events_app.services.registration import agenda_bookings

    room = await agenda.create_room(org_a, a["id"], {"name": "Plenary hall", "capacity": 300})
    track = await agenda.create_track(org_a, a["id"], {"name": "Climate", "color": "#2e7d32"})
    start = datetime.fromisoformat(a["starts_at"]) if isinstance(a["starts_at"], str) else a["starts_at"]
    session = await agenda.create_session(
        org_a,
        a["id"],
        {
            "title": "Opening plenary",
            "kind": "plenary",
            "starts_at": start + timedelta(hours=1),
            "ends_at": start + timedelta(hours=2),
            "room_id": room["id"],
            "track_id": track["id"],
            "requires_booking": True,
            "people": [{"role": "speaker", "email": "speaker@example.org", "name": "Wanjiru Kamau"}],
        },
    )
    workshop = await agenda.create_session(
        org_a,
        a["id"],
        {
            "title": "Workshop",
            "kind": "workshop",
            "starts_at": start + timedelta(hours=3),
            "ends_at": start + timedelta(hours=4),
            "room_id": room["id"],
            "requires_booking": True,
        },
    )
    await agenda_bookings.book(confirmed["manage_token"], workshop["id"])
    speaker = await sql.fetchval("SELECT id FROM person WHERE email = 'speaker@example.org'")

    p = await projects.create_project(coord, {"title": "Project P"})
    await projects.create_project(coord_q, {"title": "Project Q"})
    await projects.add_member(coord, p["id"], org, [{"email": "contact@kisumu.example", "name": "Achieng Otieno"}])
    await projects.add_member(coord, p["id"], org2, [])
    contact = await sql.fetchval("SELECT person FROM project_contact WHERE project = $1", p["id"])
    series = await meetings.create_series(
        coord,
        p["id"],
        {
            "title": "Monthly call",
            "mode": "online",
            "timezone": "Africa/Nairobi",
            "start": datetime(2027, 3, 2, 14, 0),
            "duration_minutes": 60,
            "rrule": "FREQ=MONTHLY;COUNT=6",
            "online_url": "https://meet.example.org/p",
        },
    )
    occurrences = await meetings.list_occurrences(coord, series["id"])
    from events_app.services.meetings import meeting_records

    action = await meeting_records.add_action(coord, series["id"], occurrences[0]["id"], {"title": "Send data"})
    invitee = await sql.fetchrow("SELECT token_nonce FROM meeting_invitee WHERE series = $1", series["id"])
    # an attendee's proposal of another time and a delegation, as the inbound endpoint stores them
    proposal = await sql.fetchval(
        "INSERT INTO meeting_proposal (series, person, recurrence_id, proposed_start, proposed_end, method)"
        " VALUES ($1, $2, NULL, '2027-03-02T12:00Z', '2027-03-02T13:00Z', 'COUNTER') RETURNING id",
        series["id"],
        contact,
    )
    meeting_delegation = await sql.fetchval(
        "INSERT INTO meeting_delegation (series, delegator, delegate_email) VALUES ($1, $2, 'deputy@kisumu.example')"
        " RETURNING id",
        series["id"],
        contact,
    )
    from events_app.domain.security import person_feed_token, project_feed_token, rsvp_token

    key = get_settings().secret_key
    calendar = await sql.fetchrow("SELECT token_nonce FROM person_calendar LIMIT 1")
    feed_nonce = await sql.fetchval("SELECT feed_nonce FROM pilot_project WHERE id = $1", p["id"])
    from events_app.domain.security import access_link_token

    links = []
    for _ in range(2):
        await person_access.request_link("delegate@example.org")
        links.append(
            access_link_token(
                key, await sql.fetchval("SELECT token_nonce FROM person_access_link ORDER BY id DESC LIMIT 1")
            )
        )
    s.tokens[PERSON] = (await person_access.exchange(links[1]))["session"]

    s.ids.update(
        event_id=a["id"],
        event_b=b["id"],
        person_b=await sql.fetchval("SELECT id FROM person WHERE email = 'bea@event-b.example'"),
        category_id=press["id"],
        registration_id=pending["id"],
        confirmed_id=confirmed["id"],
        delegation_id=delegation["id"],
        member_id=member["id"],
        announcement_id=announcement["id"],
        message_id=message,
        office_id=office,
        staff_account=staff.id,
        checkin_account=checkin_a.id,
        organization_id=org,
        organization2=org2,
        project_id=p["id"],
        person_id=contact,
        series_id=series["id"],
        room_id=room["id"],
        track_id=track["id"],
        session_id=session["id"],
        workshop_id=workshop["id"],
        speaker_id=speaker,
        occurrence=occurrences[1]["id"],
        first_occurrence=occurrences[0]["id"],
        action_id=action["id"],
        proposal_id=proposal,
        meeting_delegation_id=meeting_delegation,
        later=(start + timedelta(hours=5)).isoformat(),
        later_end=(start + timedelta(hours=6)).isoformat(),
        manage_token=confirmed["manage_token"],
        access_link=links[0],
        feed_token=(await registration_links.ensure(confirmed["id"])).feed_url.split("/")[-2],
        head_token=manage_token(key, head["token_nonce"]),
        delegate_person=await sql.fetchval("SELECT person FROM registration WHERE id = $1", confirmed["id"]),
        rsvp_token=rsvp_token(key, invitee["token_nonce"]),
        calendar_token=person_feed_token(key, calendar["token_nonce"]),
        project_feed_token=project_feed_token(key, feed_nonce),
        unsubscribe_token=announcements.unsubscribe_token(
            await sql.fetchval("SELECT person FROM registration WHERE id = $1", confirmed["id"])
        ),
    )
    return s


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    access: str
    body: Callable[[Scenario], Any] | None = None
    params: Callable[[Scenario], dict] = lambda s: {}
    query: dict | None = None
    ok: tuple[int, ...] = (200, 201, 202, 204)


def R(method: str, path: str, access: str, body=None, params=None, query=None, ok=None) -> Route:
    return Route(method, path, access, body, params or (lambda s: {}), query, ok or (200, 201, 202, 204))


E = "/api/events/{event_id:int}"
S = "/api/meeting-series/{series_id:int}"
O = S + "/occurrences/{occurrence:str}"
TOKEN_PATH = "/api/registrations/{token:str}"
HEAD = lambda s: {"token": s.ids["head_token"]}  # noqa: E731
SCHEDULE = "schedule.json"  # the event's own exported schedule, imported again in place

ROUTES = [
    # auth
    R(
        "POST", "/api/auth/login", PUBLIC, lambda s: {"email": "nobody@example.org", "password": "x"}, ok=(401,)
    ),  # wrong password: open to all
    R("POST", "/api/auth/logout", ACCOUNT),
    R(
        "POST",
        "/api/auth/password",
        ACCOUNT,
        lambda s: {"current_password": "not it", "new_password": "x" * 20},
        ok=(422,),
    ),  # the scenario's accounts have no password: a logged-in caller reaches the check
    R("POST", "/api/auth/password-reset", PUBLIC, lambda s: {"email": "nobody@example.org"}),
    R(
        "POST",
        "/api/auth/password-reset/confirm",
        PUBLIC,
        lambda s: {"token": "no-such-link", "password": "a long new passphrase"},
        ok=(410,),
    ),
    # events
    R("GET", "/api/events", PUBLIC),
    R(
        "POST",
        "/api/events",
        ACCOUNT,
        lambda s: {**{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in _event("New").items()}},
    ),
    R("GET", E, PUBLIC),
    R("PATCH", E, EVENT, lambda s: {"title": "Event A, renamed"}),
    R("POST", E + "/publish", EVENT),
    R("POST", E + "/cancel", EVENT),
    R("POST", E + "/categories", EVENT, lambda s: {"code": "observer", "name": "Observer"}),
    R("PATCH", E + "/categories/{category_id:int}", EVENT, lambda s: {"quota": 50}),
    R("GET", E + "/questions", PUBLIC),
    R("POST", E + "/questions", EVENT, lambda s: {"code": "diet", "label": "Diet", "kind": "short_text"}),
    # registrations, organizer side
    R(
        "POST",
        E + "/registrations",
        PUBLIC,
        lambda s: {"email": "new@example.org", "name": "New Person", "category": "delegate", "consent": True},
    ),
    R("POST", E + "/registrations/resend-link", PUBLIC, lambda s: {"email": "delegate@example.org"}),
    R("GET", E + "/registrations", EVENT),
    R("GET", E + "/registrations/counts", EVENT),
    R("GET", E + "/registrations/export.csv", EVENT),
    R("GET", E + "/registrations/export.xlsx", EVENT),
    R("POST", E + "/registrations/{registration_id:int}/approve", EVENT),
    R("POST", E + "/registrations/{registration_id:int}/reject", EVENT, lambda s: {"reason": "no"}),
    R("POST", E + "/registrations/{registration_id:int}/move", EVENT, lambda s: {"category": "speaker"}),
    R("POST", E + "/registrations/{registration_id:int}/cancel", EVENT),
    R("GET", E + "/delegations", EVENT),
    R(
        "POST",
        E + "/delegations",
        EVENT,
        lambda s: {
            "organization_id": s.ids["organization2"],
            "category": "delegate",
            "seats": 2,
            "head_email": "head@mombasa.example",
            "head_name": "Mombasa Head",
        },
    ),
    R("PATCH", E + "/delegations/{delegation_id:int}", EVENT, lambda s: {"seats": 5}),
    R("POST", E + "/invitations", EVENT, lambda s: {"email": "guest@example.org", "category": "speaker"}),
    R("GET", E + "/invitations", EVENT),
    R("POST", E + "/access-codes", EVENT, lambda s: {"category": "speaker", "max_uses": 3}),
    R("GET", E + "/access-codes", EVENT),
    R("GET", E + "/calendar-updates", EVENT),
    R("POST", E + "/calendar-updates/release", EVENT),
    R(
        "POST",
        E + "/announcements",
        EVENT,
        lambda s: {"subject": "Hi", "body": "Hello", "audience": {"kind": "confirmed"}},
    ),
    R("GET", E + "/announcements/{announcement_id:int}/preview", EVENT),
    R("POST", E + "/announcements/{announcement_id:int}/send", EVENT),
    R("GET", E + "/deliveries", EVENT),
    R("POST", E + "/deliveries/{message_id:int}/resend", EVENT),
    # the delegate's own registration, by its manage token
    R("GET", TOKEN_PATH, TOKEN),
    R("DELETE", TOKEN_PATH, TOKEN),
    R("POST", TOKEN_PATH + "/accept-offer", TOKEN, ok=(409,)),  # no offer open: the token was accepted
    R("GET", TOKEN_PATH + "/delegation", TOKEN, params=HEAD),
    R(
        "POST",
        TOKEN_PATH + "/delegation/members",
        TOKEN,
        lambda s: {"email": "two@kisumu.example", "name": "Two"},
        params=HEAD,
    ),
    R(
        "POST",
        TOKEN_PATH + "/delegation/members/{registration_id:int}/substitute",
        TOKEN,
        lambda s: {"email": "sub@kisumu.example", "name": "Substitute"},
        params=lambda s: {"token": s.ids["head_token"], "registration_id": s.ids["member_id"]},
    ),
    R("PUT", TOKEN_PATH + "/answers", TOKEN, lambda s: {"answers": {}}),
    # the person, by a single-use link emailed to the address on file and the short session it opens
    R("POST", "/api/people/access-link", PUBLIC, lambda s: {"email": "delegate@example.org"}),
    R("POST", "/api/people/access", PUBLIC, lambda s: {"token": s.ids["access_link"]}),
    R("GET", "/api/people/me", PERSON),
    R("PATCH", "/api/people/me", PERSON, lambda s: {"name": "Dee Legate-Smith"}),
    R("GET", "/api/people/me/data", PERSON),
    R("POST", "/api/people/me/erase", PERSON),
    R("POST", "/api/people/me/stop-announcements", PERSON),
    R("DELETE", "/api/people/me/session", PERSON),
    # public lists, health, unsubscribe
    R("GET", "/api/organizations", PUBLIC),
    R("GET", "/api/organizations/{organization_id:int}/domains", STAFF),
    R("PUT", "/api/organizations/{organization_id:int}/domains", STAFF, lambda s: {"domains": ["kisumu.example"]}),
    R("GET", "/health", PUBLIC),
    R("GET", "/api/unsubscribe/{token:str}", TOKEN, params=lambda s: {"token": s.ids["unsubscribe_token"]}),
    R("POST", "/api/unsubscribe/{token:str}", TOKEN, params=lambda s: {"token": s.ids["unsubscribe_token"]}),
    # pilot projects and meeting series
    R("GET", "/api/projects", ACCOUNT),
    R("POST", "/api/projects", ACCOUNT, lambda s: {"title": "Another project"}),
    R("GET", "/api/projects/{project_id:int}", PROJECT),
    R("PATCH", "/api/projects/{project_id:int}", PROJECT, lambda s: {"theme": "clean air"}),
    R("POST", "/api/projects/{project_id:int}/cancel", PROJECT),
    R("POST", "/api/projects/{project_id:int}/coordinators", PROJECT, lambda s: {"email": "organizer_a@example.org"}),
    R(
        "POST",
        "/api/projects/{project_id:int}/members",
        PROJECT,
        lambda s: {"organization_id": s.ids["organization2"]},
        ok=(409,),
    ),  # already in the cohort: the role check passed
    R("DELETE", "/api/projects/{project_id:int}/members/{organization_id:int}", PROJECT),
    R(
        "POST",
        "/api/projects/{project_id:int}/contacts",
        PROJECT,
        lambda s: {"email": "second@kisumu.example", "name": "Second", "organization_id": s.ids["organization_id"]},
    ),
    R("DELETE", "/api/projects/{project_id:int}/contacts/{person_id:int}", PROJECT),
    R("GET", "/api/projects/{project_id:int}/inbound-replies", PROJECT),
    R("GET", "/api/projects/{project_id:int}/proposals", PROJECT),
    R("POST", "/api/projects/{project_id:int}/proposals/{proposal_id:int}", PROJECT, lambda s: {"accept": False}),
    R("GET", "/api/projects/{project_id:int}/delegations", PROJECT),
    R(
        "POST",
        "/api/projects/{project_id:int}/delegations/{delegation_id:int}",
        PROJECT,
        lambda s: {"accept": False},
        params=lambda s: {"delegation_id": s.ids["meeting_delegation_id"]},
    ),
    R("PUT", "/api/projects/{project_id:int}/delegation-policy", PROJECT, lambda s: {"allow_delegation": True}),
    R("GET", "/api/projects/{project_id:int}/series", PROJECT),
    R(
        "POST",
        "/api/projects/{project_id:int}/series",
        PROJECT,
        lambda s: {
            "title": "Kick-off",
            "mode": "online",
            "timezone": "UTC",
            "start": "2027-05-01T10:00:00",
            "duration_minutes": 60,
            "online_url": "https://meet.example.org/k",
        },
    ),
    R("GET", S, PROJECT),
    R("PATCH", S, PROJECT, lambda s: {"title": "Monthly call (renamed)"}),
    R("POST", S + "/cancel", PROJECT),
    R("GET", S + "/attendance.csv", PROJECT),
    R("GET", S + "/occurrences", PROJECT),
    R("GET", O, PROJECT),
    R("PATCH", O, PROJECT, lambda s: {"location": "Town hall"}),
    R("DELETE", O, PROJECT),
    R("GET", O + "/responses", PROJECT),
    R("GET", O + "/record", PROJECT),
    R("PUT", O + "/minutes", PROJECT, lambda s: {"minutes": "All present."}),
    R("PUT", O + "/attendance", PROJECT, lambda s: {"person_ids": [s.ids["person_id"]]}),
    R("POST", O + "/actions", PROJECT, lambda s: {"title": "Follow up"}),
    R("GET", "/api/meeting-actions/{action_id:int}", PROJECT),
    R("PATCH", "/api/meeting-actions/{action_id:int}", PROJECT, lambda s: {"done": True}),
    R("GET", "/api/rsvp/{token:str}", TOKEN, params=lambda s: {"token": s.ids["rsvp_token"]}),
    # calendar answers to the event's and its sessions' invites
    R("GET", E + "/calendar-answers", EVENT),
    R("GET", E + "/calendar-replies", EVENT),
    R("PUT", E + "/decline-policy", EVENT, lambda s: {"decline_releases_seat": True}),
    R(
        "POST",
        "/api/rsvp/{token:str}",
        TOKEN,
        lambda s: {"answer": "accepted"},
        params=lambda s: {"token": s.ids["rsvp_token"]},
    ),
    R("GET", "/api/people/{token:str}/calendar.ics", TOKEN, params=lambda s: {"token": s.ids["calendar_token"]}),
    R(
        "GET",
        "/api/projects/feeds/{token:str}/calendar.ics",
        TOKEN,
        params=lambda s: {"token": s.ids["project_feed_token"]},
    ),
    # administration
    R("GET", "/api/admin/offices", ACCOUNT),
    R("POST", "/api/admin/offices", ADMIN, lambda s: {"name": "Latin America", "region": "Americas"}),
    R("POST", "/api/admin/offices/{office_id:int}/staff", ADMIN, lambda s: {"email": "organizer_b@example.org"}),
    R(
        "DELETE",
        "/api/admin/offices/{office_id:int}/staff/{account_id:int}",
        ADMIN,
        params=lambda s: {"account_id": s.ids["staff_account"]},
    ),
    R("GET", "/api/admin/audit-log", ADMIN),
    R("GET", "/api/admin/people", ADMIN, query={"email": "delegate@example.org"}),
    R(
        "GET",
        "/api/admin/people/{person_id:int}/export",
        ADMIN,
        params=lambda s: {"person_id": s.ids["delegate_person"]},
    ),
    R(
        "POST",
        "/api/admin/people/{person_id:int}/erase",
        ADMIN,
        params=lambda s: {"person_id": s.ids["delegate_person"]},
    ),
    # the agenda: organizers edit it, everyone reads it, delegates book sessions with their manage link
    R("GET", E + "/rooms", PUBLIC),  # of a published event; drafts only for its organizers
    R("POST", E + "/rooms", EVENT, lambda s: {"name": "Room B", "capacity": 40}),
    R("PATCH", E + "/rooms/{room_id:int}", EVENT, lambda s: {"capacity": 250}),
    R("GET", E + "/tracks", PUBLIC),
    R("POST", E + "/tracks", EVENT, lambda s: {"name": "Finance", "color": "#1565c0"}),
    R("PATCH", E + "/tracks/{track_id:int}", EVENT, lambda s: {"name": "Climate action"}),
    R("GET", E + "/sessions", EVENT),
    R(
        "POST",
        E + "/sessions",
        EVENT,
        lambda s: {
            "title": "Side event",
            "kind": "side_event",
            "starts_at": s.ids["later"],
            "ends_at": s.ids["later_end"],
        },
    ),
    R("GET", E + "/sessions/{session_id:int}", PUBLIC),
    R("PATCH", E + "/sessions/{session_id:int}", EVENT, lambda s: {"title": "Opening plenary (live)"}),
    R("POST", E + "/sessions/{session_id:int}/cancel", EVENT),
    R(
        "POST",
        E + "/sessions/{session_id:int}/people",
        EVENT,
        lambda s: {"role": "moderator", "email": "mod@example.org", "name": "Amani Njoroge"},
    ),
    R(
        "PUT",
        E + "/speakers/{person_id:int}/biography",
        EVENT,
        lambda s: {"biography": "Mayor's adviser on coastal adaptation."},
        params=lambda s: {"person_id": s.ids["speaker_id"]},
    ),
    R(
        "DELETE",
        E + "/sessions/{session_id:int}/people/{person_id:int}",
        EVENT,
        params=lambda s: {"person_id": s.ids["speaker_id"]},
    ),
    R("GET", E + "/sessions/{session_id:int}/affected", EVENT),
    R("GET", E + "/agenda/changes", EVENT),
    R("GET", E + "/conflicts", EVENT),
    R("POST", E + "/schedule/import", EVENT, SCHEDULE),
    R("GET", E + "/agenda", PUBLIC),
    R("GET", E + "/agenda/availability", PUBLIC),
    R("GET", E + "/agenda.csv", PUBLIC),
    R("GET", E + "/calendar.ics", PUBLIC),
    R("GET", E + "/schedule.json", PUBLIC),
    R("GET", E + "/schedule.xml", PUBLIC),
    R("GET", TOKEN_PATH + "/agenda", TOKEN),
    R("GET", "/api/my-agenda/{token:str}/calendar.ics", TOKEN, params=lambda s: {"token": s.ids["feed_token"]}),
    R("PUT", TOKEN_PATH + "/agenda/{session_id:int}", TOKEN),
    R("DELETE", TOKEN_PATH + "/agenda/{session_id:int}", TOKEN, params=lambda s: {"session_id": s.ids["workshop_id"]}),
    # on site: the delegate's ticket, check-in staff, the check-in desk
    R("GET", TOKEN_PATH + "/ticket.pdf", TOKEN),
    R("GET", E + "/checkin-staff", EVENT),
    R("POST", E + "/checkin-staff", EVENT, lambda s: {"email": "coordinator@example.org", "desk": "South door"}),
    R(
        "DELETE",
        E + "/checkin-staff/{account_id:int}",
        EVENT,
        params=lambda s: {"account_id": s.ids["checkin_account"]},
    ),
    R("POST", E + "/checkin/scan", CHECKIN, lambda s: {"scan_id": "s-1", "code": "x" * 43}),
    R("POST", E + "/checkin/sync", CHECKIN, lambda s: {"scans": [{"scan_id": "s-2", "code": "x" * 43}]}),
    R("GET", E + "/checkin/list", CHECKIN),
    R("GET", E + "/checkin/search", CHECKIN, query={"q": "Dee"}),
    R("GET", E + "/attendance", EVENT),
    R("GET", E + "/badges.pdf", EVENT),
    R(
        "PUT",
        E + "/categories/{category_id:int}/badge",
        EVENT,
        lambda s: {"colour": "#2e7d32", "fields": ["name", "qr"]},
    ),
    R("GET", "/api/attendance/organizations.csv", ACCOUNT),
    R("GET", "/api/attendance/organizations.xlsx", ACCOUNT),
    # certificates of attendance: nobody of the scenario was checked in, and event A has not ended yet (409)
    R("POST", TOKEN_PATH + "/certificate", TOKEN, ok=(409,)),
    R("POST", E + "/certificates/send", EVENT, ok=(409,)),
    R("GET", "/api/certificates/{code:str}", PUBLIC, params=lambda s: {"code": "x" * 43}, ok=(404,)),
    # the API documentation
    R("GET", "/schema", PUBLIC),
    R("GET", "/schema/openapi.json", PUBLIC),
    R("GET", "/schema/swagger", PUBLIC),
    R("GET", "/schema/{path:str}", PUBLIC, params=lambda s: {"path": "redoc"}, ok=(404,)),  # Litestar's not-found page
    # session-room check-in: the rooms a desk can pick
    R("GET", E + "/checkin/places", CHECKIN),
]
ALLOWED = {
    EVENT: ["organizer_a", "staff", "admin"],
    PROJECT: ["coordinator", "admin"],
    ADMIN: ["admin"],
    ACCOUNT: ["organizer_a", "admin"],
    STAFF: ["staff", "admin"],
    CHECKIN: ["checkin", "organizer_a", "staff", "admin"],
}
DENIED = {
    EVENT: ["organizer_b", "coordinator", "checkin"],
    PROJECT: ["coordinator_q", "organizer_a", "staff"],
    ADMIN: ["organizer_a", "staff", "coordinator"],
    ACCOUNT: [],
    STAFF: ["organizer_a", "coordinator"],
    CHECKIN: ["organizer_b", "checkin_b", "coordinator"],
}


API_PREFIXES = ("/api", "/schema", "/health")


def app_routes() -> set[tuple[str, str]]:
    """Every API route (HTML pages use cookie sessions and CSRF: test_back_office_pages_need_a_login covers them)."""
    found = set()
    for route in create_app().routes:
        if not route.path.startswith(API_PREFIXES):
            continue
        for method in getattr(route, "methods", None) or ():
            if method not in ("HEAD", "OPTIONS"):
                found.add((method, route.path))
    return found


def page_routes() -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in create_app().routes
        if route.path.startswith(("/organizer", "/coordinator"))
        for method in getattr(route, "methods", None) or ()
        if method in ("GET", "POST")
    )


def upload_routes() -> set[tuple[str, str]]:
    """The forms that upload a file: they check who may post before reading the body, then the CSRF token."""
    return {
        (method, route.path)
        for route in create_app().routes
        for handler in getattr(route, "route_handlers", ())
        if handler.opt.get("exclude_from_csrf")
        for method in handler.http_methods
    }


async def test_back_office_pages_need_a_login(client):
    """Every organizer and coordinator page sends an anonymous visitor to the login page; every form post without
    the CSRF token is refused before anything else happens (an upload form: sent to the login page before its
    body is read)."""
    routes = page_routes()
    uploads = upload_routes()
    assert uploads == {("POST", "/organizer/events/{event_id:int}/agenda/import")}
    assert len(routes) > 30
    for method, path in routes:
        concrete = path
        while "{" in concrete:
            start, end = concrete.index("{"), concrete.index("}")
            kind = concrete[start:end].split(":")[-1]
            concrete = concrete[:start] + ("1" if kind == "int" else "csv") + concrete[end + 1 :]
        response = await client.request(method, concrete, follow_redirects=False)
        if method == "GET" or (method, path) in uploads:
            assert (response.status_code, response.headers.get("location", "").split("?")[0]) == (303, "/login"), (
                concrete
            )
        else:
            assert response.status_code == 403, concrete


async def test_back_office_pages_refuse_a_logged_in_stranger(client, reset):
    """Every organizer and coordinator page of event A or project P answers 403 or 404 to a logged-in account
    without a role there (event B's organizer; project Q's coordinator), as the API twin of each page does, and
    shows nothing of it."""
    s = await fresh(reset)
    values = {**s.ids, "key": s.ids["occurrence"], "language": "es", "fmt": "csv"}
    checked, opened = 0, []
    for method, path in page_routes():
        if method != "GET" or "{" not in path or path.startswith("/organizer/attendance"):
            continue
        stranger = "coordinator_q" if path.startswith("/coordinator") else "organizer_b"
        concrete = path
        while "{" in concrete:
            start, end = concrete.index("{"), concrete.index("}")
            concrete = concrete[:start] + str(values[concrete[start + 1 : end].partition(":")[0]]) + concrete[end + 1 :]
        client.cookies.set(SESSION_COOKIE, s.tokens[stranger])
        response = await client.get(concrete, follow_redirects=False)
        if response.status_code not in (403, 404) or "Event A" in response.text:
            opened.append((concrete, response.status_code))
        checked += 1
    client.cookies.clear()
    assert opened == []
    assert checked > 20


def url(route: Route, s: Scenario, *, unknown: bool = False) -> str:
    values = {**s.ids, "token": s.ids["manage_token"], **route.params(s)}
    path = route.path
    first = True
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        name, _, kind = path[start + 1 : end].partition(":")
        value = values[name]
        if unknown and first:
            value = "no-such-token-" + "x" * 20 if kind == "str" else UNKNOWN_ID
        first = False
        path = path[:start] + str(value) + path[end + 1 :]
    return path


async def call(
    client, route: Route, s: Scenario, role: str | None = None, *, headers: dict | None = None, unknown: bool = False
):
    kwargs: dict[str, Any] = {"headers": {**s.auth(role), **(headers or {})}}
    body = route.body(s) if callable(route.body) else route.body
    if body == SCHEDULE:
        exported = await client.get(f"/api/events/{s.ids['event_id']}/schedule.json")
        kwargs["content"] = exported.content
        kwargs["headers"]["content-type"] = "application/json"
    elif isinstance(body, str):
        kwargs["content"] = body
        kwargs["headers"]["content-type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        kwargs["json"] = body
    if route.query:
        kwargs["params"] = route.query
    return await client.request(route.method, url(route, s, unknown=unknown), **kwargs)


async def fresh(db_reset) -> Scenario:
    await db_reset()
    return await build()


@pytest.fixture
def reset(db):
    async def truncate() -> None:
        tables = await sql.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migration'"
        )
        await sql.execute(f"TRUNCATE {', '.join(t['tablename'] for t in tables)} RESTART IDENTITY CASCADE")

    return truncate


def test_every_route_is_in_the_table():
    listed = {(r.method, r.path) for r in ROUTES}
    assert sorted(app_routes() - listed) == [], "add these routes to ROUTES with their access rule"
    assert sorted(listed - app_routes()) == [], "these routes no longer exist: remove them from ROUTES"


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.method} {r.path}" for r in ROUTES])
async def test_route_answers_each_caller_by_role(client, reset, route: Route):
    s = await fresh(reset)
    if route.access == PUBLIC:
        response = await call(client, route, s)
        assert response.status_code in route.ok, response.text
        return
    if route.access == TOKEN:
        wrong = await call(client, route, s, unknown=True)
        assert wrong.status_code == 404, wrong.text
        right = await call(client, route, s)
        assert right.status_code in route.ok, right.text
        return
    anonymous = await call(client, route, s)
    assert anonymous.status_code == 401, anonymous.text
    delegate = await call(client, route, s, headers={"Authorization": f"Bearer {s.ids['manage_token']}"})
    assert delegate.status_code == 401, delegate.text
    if route.access == PERSON:
        for role in ("admin", "organizer_a"):
            denied = await call(client, route, s, role)
            assert denied.status_code == 401, (role, denied.text)
        allowed = await call(client, route, s, PERSON)
        assert allowed.status_code in route.ok, allowed.text
        return
    for role in DENIED[route.access]:
        denied = await call(client, route, s, role)
        assert denied.status_code == 403, (role, denied.text)
    for i, role in enumerate(ALLOWED[route.access]):
        s = s if i == 0 else await fresh(reset)
        if "{" in route.path and route.access != ACCOUNT:
            missing = await call(client, route, s, role, unknown=True)
            assert missing.status_code == 404, (role, missing.text)
        allowed = await call(client, route, s, role)
        assert allowed.status_code in route.ok, (role, allowed.text)


@pytest.mark.parametrize("role", ["organizer_a", "staff"])
async def test_organizer_names_a_person_of_another_event(client, reset, role):
    """Event A's organizer (and its office's staff) name a person registered only for event B: by id it is 404
    like an unknown id; by address the person is linked with the name given, and nothing stored about them
    (their name, language) shows in the answer, the affected list or the public session."""
    s = await fresh(reset)
    people = f"/api/events/{s.ids['event_id']}/sessions/{s.ids['session_id']}/people"
    by_id = await client.post(people, json={"person_id": s.ids["person_b"]}, headers=s.auth(role))
    unknown = await client.post(people, json={"person_id": UNKNOWN_ID}, headers=s.auth(role))
    assert (by_id.status_code, by_id.json()) == (404, unknown.json())
    by_email = await client.post(
        people, json={"email": "bea@event-b.example", "name": "As Typed"}, headers=s.auth(role)
    )
    affected = await client.get(
        f"/api/events/{s.ids['event_id']}/sessions/{s.ids['session_id']}/affected", headers=s.auth(role)
    )
    public = await client.get(f"/api/events/{s.ids['event_id']}/sessions/{s.ids['session_id']}")
    assert by_email.status_code == 201, by_email.text
    assert [(p["email"], p["language"]) for p in affected.json() if p["person_id"] == s.ids["person_b"]] == [("", "")]
    assert "As Typed" in affected.text
    assert all("Bea of Event B" not in r.text for r in (by_email, affected, public))
    assert await sql.fetchrow("SELECT name, language FROM person WHERE id = $1", s.ids["person_b"]) == (
        "Bea of Event B",
        "es",
    )


async def test_typing_a_known_address_at_ones_own_event_opens_no_profile(client, reset):
    """Event A's organizer invites the address of a person known only to event B, makes it a delegation's head,
    and registers it publicly at event A: each is something anyone can type, so the person's stored profile
    (name, organization, language) stays closed: by id still 404, nothing of it in any answer. What was typed at
    event A stays visible to its organizers where it was typed (the registration)."""
    s = await fresh(reset)
    role = "organizer_a"
    event = s.ids["event_id"]
    people = f"/api/events/{event}/sessions/{s.ids['session_id']}/people"
    invited = await client.post(
        f"/api/events/{event}/invitations",
        json={"email": "bea@event-b.example", "category": "delegate"},
        headers=s.auth(role),
    )
    after_invitation = await client.post(people, json={"person_id": s.ids["person_b"]}, headers=s.auth(role))
    registered = await client.post(
        f"/api/events/{event}/registrations",
        json={"email": "bea@event-b.example", "name": "Typed At A", "category": "delegate", "consent": True},
    )
    after_registration = await client.post(people, json={"person_id": s.ids["person_b"]}, headers=s.auth(role))
    listed = await client.get(f"/api/events/{event}/registrations", headers=s.auth(role))
    assert invited.status_code == 201 and registered.status_code == 201, (invited.text, registered.text)
    assert after_invitation.status_code == after_registration.status_code == 404
    assert all("Bea of Event B" not in r.text for r in (invited, after_invitation, registered, after_registration))
    assert "Typed At A" in listed.text and "Bea of Event B" not in listed.text
