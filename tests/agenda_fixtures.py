"""Helpers for the agenda tests: an event with rooms and tracks, sessions, delegates, and schema validators."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import published_event

ROOT = Path(__file__).resolve().parent.parent


SCHEMAS = ROOT.parent / "shared" / "schemas"


def validate_schedule_xml(data: bytes) -> None:
    """Validate against voc/schedule's schedule.xml.xsd with libxml2 (what `xmllint --schema` runs)."""
    from lxml import etree

    path = SCHEMAS / "schedule.xml.xsd"
    if not path.exists():
        pytest.skip(f"{path} not available")
    schema = etree.XMLSchema(etree.parse(str(path)))
    document = etree.fromstring(data)
    assert schema.validate(document), "\n".join(str(e) for e in schema.error_log)


def validate_schedule_json(data: bytes) -> None:
    """Validate against voc/schedule's schema.json (draft-06), formats checked where a checker exists."""
    import json

    import jsonschema

    path = SCHEMAS / "schedule.schema.json"
    if not path.exists():
        pytest.skip(f"{path} not available")
    validator = jsonschema.Draft6Validator(
        json.loads(path.read_text()), format_checker=jsonschema.Draft6Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(json.loads(data)), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:20])


# A congress in Bonn over the end of summer time (clocks go back at 03:00 on Sunday 31 October 2027).
CONGRESS = {
    "title": "World Congress on Local Climate Action",
    "kind": "congress",
    "timezone": "Europe/Berlin",
    "starts_at": "2027-10-29T08:00:00",
    "ends_at": "2027-11-01T18:00:00",
    "venue_name": "World Conference Center",
    "city": "Bonn",
    "country": "DE",
}


async def congress(client, headers, **overrides) -> dict:
    """A published congress with two rooms (Plenary Hall 500, Room 2 with 3 seats) and two tracks."""
    event = await published_event(client, headers, **{**CONGRESS, **overrides})
    base = f"/api/events/{event['id']}"
    rooms = [
        (await client.post(f"{base}/rooms", json=body, headers=headers)).json()
        for body in (
            {"name": "Plenary Hall", "capacity": 500, "accessibility": "step-free; hearing loop"},
            {"name": "Room 2", "capacity": 3},
        )
    ]
    tracks = [
        (await client.post(f"{base}/tracks", json=body, headers=headers)).json()
        for body in (
            {"name": "Nature-based development", "color": "#2e7d32"},
            {"name": "Circular development", "color": "#ef6c00"},
        )
    ]
    return {"event": event, "id": event["id"], "base": base, "rooms": rooms, "tracks": tracks}


def session_body(c: dict, start: str = "2027-10-29T10:00:00", end: str = "2027-10-29T11:00:00", **overrides) -> dict:
    body = {
        "title": "Nature-based solutions for flood-prone cities",
        "kind": "panel",
        "starts_at": start,
        "ends_at": end,
        "room_id": c["rooms"][0]["id"],
        "track_id": c["tracks"][0]["id"],
        "abstract": "Parks, wetlands, and permeable streets; lessons from Recife and Rotterdam.",
    }
    body.update(overrides)
    return body


async def add_session(client, headers, c: dict, **overrides) -> dict:
    response = await client.post(f"{c['base']}/sessions", json=session_body(c, **overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def delegate(client, c: dict, n: int = 0) -> str:
    """A confirmed delegate's manage token."""
    response = await client.post(
        f"{c['base']}/registrations",
        json={
            "email": f"delegate{n}@city{n}.example.org",
            "name": f"Delegate {n}",
            "category": "delegate",
            "consent": True,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["manage_token"]


async def feed_path(manage_token: str) -> str:
    """The path of the delegate's personal feed (its own feed token, not the manage token)."""
    from urllib.parse import urlsplit

    from events_app.services.registration import registration_links, registrations

    registration = await registrations.registration_by_token(manage_token)
    return urlsplit((await registration_links.ensure(registration["id"])).feed_url).path


async def booked_workshop_and_plenary(client, headers, c: dict, tokens: list[str], **workshop) -> tuple[dict, dict]:
    """A workshop at 10:00 in Room 2 and a plenary at 12:00, each booked by every delegate given (beyond the
    workshop's places, on its waiting list): what a move of either can put in two places at once."""
    lab = await add_session(
        client,
        headers,
        c,
        title="Circular procurement lab",
        kind="workshop",
        room_id=c["rooms"][1]["id"],
        **workshop,
    )
    plenary = await add_session(
        client,
        headers,
        c,
        title="Opening plenary",
        kind="plenary",
        start="2027-10-29T12:00:00",
        end="2027-10-29T13:00:00",
    )
    for token in tokens:
        for session in (lab, plenary):
            assert (await client.put(f"/api/registrations/{token}/agenda/{session['id']}")).status_code == 200
    return lab, plenary
