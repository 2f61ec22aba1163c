"""End to end with real processes: the API in uvicorn, a Celery worker, Redis, PostgreSQL and the SMTP sink.

An organizer publishes an event over HTTP, a delegate registers, the worker emails the confirmation; the invite is
read back from the SMTP server's Maildir and parsed by icalendar and vobject, then checked by the shared validator.
Cancelling sends METHOD:CANCEL with the same UID and a higher SEQUENCE.
"""

import re
import uuid

import httpx
import icalendar
import pytest
import vobject

from events_app.db import sql
from tests.fixtures import PASSWORD, calendar_part, event_body, validate_ics, wait_for_mail

pytestmark = pytest.mark.worker


async def test_registration_confirmation_and_cancellation_reach_the_calendar(
    db, api_server, celery_worker, maildir, tmp_path
):
    from events_app.services.people import accounts

    await accounts.create_account("organizer@example.org", "Secretariat", PASSWORD)
    recipient = f"delegate-{uuid.uuid4().hex[:8]}@example.org"
    async with httpx.AsyncClient(base_url=api_server, timeout=10) as http:
        token = (
            await http.post("/api/auth/login", json={"email": "organizer@example.org", "password": PASSWORD})
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        event = (
            await http.post("/api/events", json=event_body(title="Seoul Forum, Resilient Coasts"), headers=auth)
        ).json()
        await http.post(
            f"/api/events/{event['id']}/categories", json={"code": "delegate", "name": "Delegate"}, headers=auth
        )
        await http.post(f"/api/events/{event['id']}/publish", headers=auth)
        registered = await http.post(
            f"/api/events/{event['id']}/registrations",
            json={"email": recipient, "name": "Kim, Min-jun", "category": "delegate", "consent": True},
        )
        assert registered.status_code == 201, registered.text

        [confirmation] = wait_for_mail(maildir, recipient, 1)
        request_ics = calendar_part(confirmation)
        cal = icalendar.Calendar.from_ical(request_ics)
        vevent = cal.walk("VEVENT")[0]
        second_opinion = vobject.readOne(request_ics.decode())
        uid = str(vevent["UID"])
        expected_uid = str(await sql.fetchval("SELECT calendar_uid FROM event WHERE id = $1", event["id"]))
        assert (str(cal["METHOD"]), uid, int(vevent["SEQUENCE"])) == ("REQUEST", expected_uid, 0)
        assert second_opinion.vevent.uid.value == uid
        assert second_opinion.vevent.attendee.value == f"mailto:{recipient}"
        # From and ORGANIZER: the organizer's mailbox plus this delegate's reply token (a calendar's Decline proves
        # where it comes from); the same in the cancellation (the ORGANIZER of an object never changes)
        assert re.fullmatch(r"Forum Secretariat <forum\+r[a-z2-7]{26}@example\.org>", str(confirmation["From"]))
        assert str(vevent["ORGANIZER"]) == f"mailto:{confirmation['From'].addresses[0].addr_spec}"
        assert f"/manage/{registered.json()['manage_token']}" in confirmation.get_body(("plain",)).get_content()

        cancelled = await http.delete(f"/api/registrations/{registered.json()['manage_token']}")
        assert cancelled.json()["status"] == "cancelled"
        messages = wait_for_mail(maildir, recipient, 2)
        cancel_cal = icalendar.Calendar.from_ical(calendar_part(messages[1]))
        cancel_event = cancel_cal.walk("VEVENT")[0]
        assert (str(cancel_cal["METHOD"]), str(cancel_event["UID"]), int(cancel_event["SEQUENCE"])) == (
            "CANCEL",
            uid,
            1,
        )
        assert vobject.readOne(calendar_part(messages[1]).decode()).vevent.status.value == "CANCELLED"
        assert str(cancel_event["ORGANIZER"]) == str(vevent["ORGANIZER"])

    sent = await sql.fetch("SELECT status, message_id FROM outbox_message ORDER BY id")
    assert [r["status"] for r in sent] == ["sent", "sent"]
    request_eml, cancel_eml = tmp_path / "request.eml", tmp_path / "cancel.eml"
    request_eml.write_bytes(confirmation.path.read_bytes())
    cancel_eml.write_bytes(messages[1].path.read_bytes())
    validate_ics(request_eml)
    validate_ics(cancel_eml, previous=request_eml)


async def test_mail_written_while_no_worker_runs_is_sent_by_the_next_one(db, maildir, tmp_path):
    """The outbox row outlives the kick: a worker started later drains it (beat's sweep does the same)."""
    from events_app.services.platform import outbox
    from tests.fixtures import start_worker, stop

    recipient = f"late-{uuid.uuid4().hex[:8]}@example.org"
    event_id = await sql.fetchval(
        "INSERT INTO event (title, kind, description, timezone, starts_at, ends_at, venue_name, venue_address, city,"
        " online_url, status, confirmed_count, organizer_email, organizer_name, calendar_uid, calendar_sequence,"
        " created_at, updated_at) VALUES ('Webinar', 'webinar', '', 'UTC', now() + interval '1 day',"
        " now() + interval '25 hours', '', '', '', 'https://meet.example.org/x', 'published', 0, '', '',"
        " gen_random_uuid(), 0, now(), now()) RETURNING id"
    )
    await outbox.enqueue("registration_cancelled", recipient, event_id=event_id)
    worker = start_worker(tmp_path / "late-worker.log")
    try:
        from events_app.jobs import DISPATCH_OUTBOX, send_now

        send_now(DISPATCH_OUTBOX)
        [message] = wait_for_mail(maildir, recipient, 1)
    finally:
        stop(worker)
    assert message["Subject"] == "Registration cancelled: Webinar"


def test_a_worker_runs_below_the_api_cpu_priority(celery_worker):
    """Celery workers lower their own CPU priority (WORKER_NICE, 5 by default): on cores shared with the API,
    requests go first and mail delivery takes what is left."""
    import os
    import time

    deadline = time.monotonic() + 30
    while os.getpriority(os.PRIO_PROCESS, celery_worker.pid) == os.getpriority(os.PRIO_PROCESS, 0):
        assert celery_worker.poll() is None, "the worker exited"
        assert time.monotonic() < deadline, "the worker kept the API's CPU priority"
        time.sleep(0.2)
    assert os.getpriority(os.PRIO_PROCESS, celery_worker.pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 5)
