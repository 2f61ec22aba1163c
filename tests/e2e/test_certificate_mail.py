"""End to end with real processes: the API in uvicorn, a Celery worker, Redis, PostgreSQL and the SMTP sink.

Delegates are checked in at a congress over HTTP; after it, the organizer sends the certificates in bulk; the worker
renders each PDF and mails it. The mails are read back from the SMTP server's Maildir: one per checked-in delegate,
the PDF attached, its text and QR code read back; pressing the button again sends nothing more.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from events_app.db import sql
from tests.fixtures import login, read_mail, wait_for_mail
from tests.integration.web.test_certificates import (
    delegate_at_congress,
    move_to_the_past,
    past_congress,
    read_pdf,
)
from tests.integration.web.test_checkin_api import register

pytestmark = pytest.mark.worker


def certificate_of(messages: list) -> tuple[object, bytes] | None:
    for message in messages:
        for part in message.iter_attachments():
            if part.get_content_type() == "application/pdf":
                return message, part.get_content()
    return None


async def test_bulk_send_delivers_one_certificate_pdf_per_checked_in_delegate(db, api_server, celery_worker, maildir):
    run = uuid.uuid4().hex[:8]
    present = [(f"Zoë Ñúñez {run}", f"zoe-{run}@example.org"), (f"Олег Петров {run}", f"oleg-{run}@example.org")]
    absent = f"absent-{run}@example.org"
    async with httpx.AsyncClient(base_url=api_server, timeout=20) as http:
        organizer = await login(http, f"organizer-{run}@example.org")
        c = await past_congress(http, organizer)
        for name, address in present:
            await delegate_at_congress(http, c, name, address)
        await register(http, c["id"], "Away", absent)
        await move_to_the_past(c["id"])

        sent = await http.post(f"/api/events/{c['id']}/certificates/send", headers=organizer)
        assert sent.json() == {"certificates": 2, "queued": 2}

        for name, address in present:
            messages = wait_for_mail(maildir, address, 2)  # the confirmation, then the certificate
            found = certificate_of(messages)
            assert found is not None, [str(m["Subject"]) for m in messages]
            message, data = found
            text, codes = read_pdf(data)
            assert str(message["Subject"]) == "Your certificate of attendance: Congreso Mundial de Ciudades"
            assert name in text and "Hours attended: 19.5" in text
            [url] = codes
            assert url in text
            verified = await http.get("/api/certificates/" + url.rsplit("/", 1)[-1])
            assert (verified.status_code, verified.json()["name"]) == (200, name)

        again = await http.post(f"/api/events/{c['id']}/certificates/send", headers=organizer)
        assert again.json() == {"certificates": 2, "queued": 0}
    # Every certificate mail is sent and none is pending: nothing more can arrive
    for _ in range(150):  # up to 30 s for the worker to mark them sent
        unsent = "SELECT count(*) FROM outbox_message WHERE kind = 'certificate' AND status <> 'sent'"
        if not await sql.fetchval(unsent):
            break
        await asyncio.sleep(0.2)
    statuses = await sql.fetch("SELECT recipient, status FROM outbox_message WHERE kind = 'certificate'")
    assert sorted((r["recipient"], r["status"]) for r in statuses) == sorted((a, "sent") for _, a in present)
    assert [certificate_of(read_mail(maildir, a)) is not None for _, a in present] == [True, True]
    assert all(certificate_of([m]) is None for m in read_mail(maildir, absent))
    assert sum(certificate_of([m]) is not None for _, a in present for m in read_mail(maildir, a)) == 2
