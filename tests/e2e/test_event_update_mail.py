"""A moved, then cancelled event reaches the delegate's calendar as REQUEST, updated REQUEST, CANCEL.

Real processes: the API in uvicorn, a Celery worker, Redis, PostgreSQL, the SMTP sink. Each later message is checked
against the earlier one with the shared validator's --previous rules (same UID and ORGANIZER, SEQUENCE grown).
"""

import uuid
from datetime import datetime, timedelta, timezone

import httpx
import icalendar
import pytest
import vobject

from tests.fixtures import PASSWORD, calendar_part, event_body, validate_ics, wait_for_mail

pytestmark = pytest.mark.worker


async def test_request_update_cancel_sequence(db, api_server, celery_worker, maildir, tmp_path):
    from events_app.services.people import accounts

    await accounts.create_account("organizer@example.org", "Secretariat", PASSWORD)
    recipient = f"moved-{uuid.uuid4().hex[:8]}@example.org"
    start = (datetime.now(timezone.utc) + timedelta(days=90)).replace(hour=6, minute=0, second=0, microsecond=0)
    async with httpx.AsyncClient(base_url=api_server, timeout=10) as http:
        token = (
            await http.post("/api/auth/login", json={"email": "organizer@example.org", "password": PASSWORD})
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        event = (
            await http.post(
                "/api/events",
                json=event_body(
                    title="Cape Town Water Resilience Forum",
                    timezone="Africa/Johannesburg",
                    country="ZA",
                    city="Cape Town",
                    venue_name="CTICC",
                    starts_at=start.isoformat(),
                    ends_at=(start + timedelta(hours=8)).isoformat(),
                ),
                headers=auth,
            )
        ).json()
        await http.post(
            f"/api/events/{event['id']}/categories", json={"code": "delegate", "name": "Delegate"}, headers=auth
        )
        await http.post(f"/api/events/{event['id']}/publish", headers=auth)
        await http.post(
            f"/api/events/{event['id']}/registrations",
            json={"email": recipient, "name": "Thandiwe Nkosi", "category": "delegate", "consent": True},
        )
        wait_for_mail(maildir, recipient, 1)

        moved = start + timedelta(days=1, hours=2)
        await http.patch(
            f"/api/events/{event['id']}",
            json={
                "starts_at": moved.isoformat(),
                "ends_at": (moved + timedelta(hours=8)).isoformat(),
                "venue_name": "Cape Town City Hall",
            },
            headers=auth,
        )
        released = await http.post(f"/api/events/{event['id']}/calendar-updates/release", headers=auth)
        assert released.json() == {"messages": 1}
        wait_for_mail(maildir, recipient, 2)

        await http.post(f"/api/events/{event['id']}/cancel", headers=auth)
        request, update, cancel = wait_for_mail(maildir, recipient, 3)

    calendars = [icalendar.Calendar.from_ical(calendar_part(m)) for m in (request, update, cancel)]
    events = [c.walk("VEVENT")[0] for c in calendars]
    assert [str(c["METHOD"]) for c in calendars] == ["REQUEST", "REQUEST", "CANCEL"]
    assert len({str(e["UID"]) for e in events}) == 1
    assert [int(e["SEQUENCE"]) for e in events] == [0, 1, 2]
    assert events[1]["DTSTART"].dt.astimezone(timezone.utc) == moved
    assert vobject.readOne(calendar_part(update).decode()).vevent.location.value.startswith("Cape Town City Hall")
    assert update["Subject"] == "Updated: Cape Town Water Resilience Forum"
    paths = []
    for name, message in zip(("request", "update", "cancel"), (request, update, cancel), strict=True):
        path = tmp_path / f"{name}.eml"
        path.write_bytes(message.path.read_bytes())
        paths.append(path)
    validate_ics(*paths)
    validate_ics(paths[1], previous=paths[0])
    validate_ics(paths[2], previous=paths[1])
