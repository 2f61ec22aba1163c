"""Through a real worker and SMTP sink: a session taken back to draft is cancelled in its holders' calendars and
comes back when published again; every message passes the shared validator in strict mode and as a successor of
the holder's previous one (same UID and ORGANIZER, SEQUENCE grown)."""

from __future__ import annotations

import icalendar
import pytest

from tests.agenda_fixtures import add_session, congress, delegate
from tests.e2e.test_calendar_cascades import check_chain, vevent
from tests.fixtures import calendar_part, wait_for_mail

pytestmark = pytest.mark.worker

D1, SP = "delegate1@city1.example.org", "sp.draft@x.org"


async def test_session_back_to_draft_and_published_again_through_the_worker(
    client, organizer, celery_worker, maildir, tmp_path
):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c, people=[{"email": SP, "name": "Sp", "role": "speaker"}])
    await client.put(f"/api/registrations/{await delegate(client, c, 1)}/agenda/{session['id']}")
    url, release = f"{c['base']}/sessions/{session['id']}", f"{c['base']}/calendar-updates/release"
    for status in ("draft", "published"):
        assert (await client.patch(url, json={"status": status}, headers=organizer)).status_code == 200
        assert (await client.post(release, headers=organizer)).json()["messages"] == 2

    delegate_mail = wait_for_mail(maildir, D1, 4)
    speaker_mail = wait_for_mail(maildir, SP, 3)

    def methods(messages):
        return [
            (str(icalendar.Calendar.from_ical(calendar_part(m))["METHOD"]), int(vevent(m)["SEQUENCE"]))
            for m in messages
            if str(vevent(m)["UID"]) == session["calendar_uid"]
        ]

    assert methods(delegate_mail) == [("REQUEST", 0), ("CANCEL", 1), ("REQUEST", 2)]
    assert methods(speaker_mail) == [("REQUEST", 0), ("CANCEL", 1), ("REQUEST", 2)]
    check_chain(delegate_mail, tmp_path, "delegate")
    check_chain(speaker_mail, tmp_path, "speaker")
