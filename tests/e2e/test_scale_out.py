"""Two API processes and two Celery workers on one PostgreSQL and one Redis: every delegate gets exactly one
confirmation and, after the event moves, exactly one update; nothing depends on which process served whom."""

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import icalendar
import pytest

from events_app.db import sql
from tests.fixtures import PASSWORD, calendar_part, event_body, read_mail, start_api, start_worker, stop, wait_for_mail

pytestmark = pytest.mark.worker


async def test_two_apis_and_two_workers_deliver_each_message_once(db, maildir, tmp_path):
    from events_app.services.people import accounts

    await accounts.create_account("organizer@example.org", "Secretariat", PASSWORD)
    apis = [start_api(tmp_path / f"api{i}.log") for i in (1, 2)]
    workers = [start_worker(tmp_path / f"worker{i}.log", name=f"w{i}") for i in (1, 2)]
    run = uuid.uuid4().hex[:6]
    recipients = [f"scale-{run}-{i}@example.org" for i in range(24)]
    try:
        first, second = (httpx.AsyncClient(base_url=url, timeout=20) for _, url in apis)
        async with first, second:
            token = (
                await first.post("/api/auth/login", json={"email": "organizer@example.org", "password": PASSWORD})
            ).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            start = (datetime.now(timezone.utc) + timedelta(days=40)).replace(minute=0, second=0, microsecond=0)
            event = (
                await first.post(
                    "/api/events",
                    json=event_body(
                        starts_at=start.isoformat(),
                        ends_at=(start + timedelta(hours=6)).isoformat(),
                        update_delay_minutes=0,
                    ),
                    headers=auth,
                )
            ).json()
            await first.post(
                f"/api/events/{event['id']}/categories", json={"code": "delegate", "name": "Delegate"}, headers=auth
            )
            await first.post(f"/api/events/{event['id']}/publish", headers=auth)
            answers = await asyncio.gather(
                *(
                    (first if i % 2 else second).post(
                        f"/api/events/{event['id']}/registrations",
                        json={"email": email, "name": f"Delegate {i}", "category": "delegate", "consent": True},
                    )
                    for i, email in enumerate(recipients)
                )
            )
            assert [a.status_code for a in answers] == [201] * len(recipients)
            for email in recipients:
                wait_for_mail(maildir, email, 1, timeout=60)

            moved = start + timedelta(hours=2)
            changed = await second.patch(
                f"/api/events/{event['id']}",
                json={"starts_at": moved.isoformat(), "ends_at": (moved + timedelta(hours=6)).isoformat()},
                headers=auth,
            )
            assert changed.status_code == 200
            await first.post(f"/api/events/{event['id']}/calendar-updates/release", headers=auth)
            for email in recipients:
                wait_for_mail(maildir, email, 2, timeout=60)
    finally:
        for proc in workers:
            stop(proc)
        for proc, _ in apis:
            stop(proc)

    sequences = []
    for email in recipients:
        messages = read_mail(maildir, email)
        assert len(messages) == 2, email  # one confirmation, one update: nothing twice
        sequences.append(
            [int(icalendar.Calendar.from_ical(calendar_part(m)).walk("VEVENT")[0]["SEQUENCE"]) for m in messages]
        )
    assert sequences == [[0, 1]] * len(recipients)
    assert await sql.fetchval("SELECT count(*) FROM outbox_message WHERE status <> 'sent'") == 0
