"""End to end with a real Celery worker and SMTP sink: the coordinator's pages (not the API) change a series, move
one meeting, cancel another and cancel the series. Every message that reaches the invitee is a valid iMIP update
of the first invite (the shared validator, strict, with --previous) carrying the expected METHOD and SEQUENCE."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest

from tests.e2e.test_meeting_invites import new_mail, save
from tests.fixtures import calendar_part, read_mail, validate_ics
from tests.integration.web.test_meetings_api import create_series, organization
from tests.integration.web.test_pages import csrf, page_login
from tests.integration.web.test_series_editing_pages import shown_form

BERLIN = ZoneInfo("Europe/Berlin")
INVITEE = "seoyeon.lee@seoul.example"  # nobody else's: the SMTP sink is shared with tests running in parallel


async def own_project(client, organizer) -> dict:
    """A project whose only contact is INVITEE (the shared cohort's people get mail from other tests)."""
    r = await client.post(
        "/api/projects",
        headers=organizer,
        json={
            "title": "Coastal Resilience Pilot",
            "organizer_email": "coastal@example.org",
            "organizer_name": "Coastal Pilot Team",
        },
    )
    assert r.status_code == 201, r.text
    seoul = await organization("Seoul Metropolitan Government", "KR")
    r = await client.post(
        f"/api/projects/{r.json()['id']}/members",
        headers=organizer,
        json={"organization_id": seoul, "contacts": [{"email": INVITEE, "name": "Lee Seo-yeon", "language": "en"}]},
    )
    assert r.status_code == 200, r.text
    return r.json()


def calendar(message) -> tuple[str, list]:
    cal = icalendar.Calendar.from_ical(calendar_part(message))
    return str(cal["METHOD"]), cal.walk("VEVENT")


@pytest.mark.worker
async def test_series_changed_on_the_pages_reaches_calendars_as_valid_updates(
    client, organizer, celery_worker, maildir, tmp_path
):
    seen = len(read_mail(maildir, INVITEE))
    project = await own_project(client, organizer)
    series = await create_series(client, organizer, project["id"])
    [invite] = new_mail(maildir, INVITEE, seen, 1)
    await page_login(client)
    base = f"/coordinator/series/{series['id']}"
    token = await csrf(client, f"{base}/edit")

    changed = await client.post(
        f"{base}/edit", data={"_csrf_token": token, **shown_form(series), "start": "2027-02-02T15:00"}
    )
    assert changed.headers["location"].endswith("done=series-updated")
    [update] = new_mail(maildir, INVITEE, seen + 1, 1)  # each message is read before the next change
    method, [master] = calendar(update)
    assert (method, str(master["UID"]), int(master["SEQUENCE"]), master["DTSTART"].dt) == (
        "REQUEST",
        series["calendar_uid"],
        1,
        datetime(2027, 2, 2, 15, tzinfo=BERLIN),
    )

    moved = await client.post(
        f"{base}/occurrences/20270302T140000Z/move",
        data={"_csrf_token": token, "move.starts_at": "2027-03-03T10:00", "move.ends_at": "2027-03-02T16:30"},
    )
    assert moved.headers["location"].endswith("done=occurrence-moved#change")
    [override] = new_mail(maildir, INVITEE, seen + 2, 1)
    method, events = calendar(override)
    [moved_one] = [e for e in events if "RECURRENCE-ID" in e]
    assert (
        method,
        moved_one["RECURRENCE-ID"].dt,
        moved_one["DTSTART"].dt,
        moved_one["DTEND"].dt,
        int(moved_one["SEQUENCE"]),
    ) == (
        "REQUEST",
        datetime(2027, 3, 2, 15, tzinfo=BERLIN),
        datetime(2027, 3, 3, 10, tzinfo=BERLIN),
        datetime(2027, 3, 3, 11, 30, tzinfo=BERLIN),
        2,
    )

    cancelled = await client.post(f"{base}/occurrences/20270406T130000Z/cancel", data={"_csrf_token": token})
    assert cancelled.headers["location"].endswith("done=occurrence-cancelled")
    [one_cancelled] = new_mail(maildir, INVITEE, seen + 3, 1)
    method, [gone] = calendar(one_cancelled)
    assert (method, gone["RECURRENCE-ID"].dt, int(gone["SEQUENCE"]), str(gone["STATUS"])) == (
        "CANCEL",
        datetime(2027, 4, 6, 15, tzinfo=BERLIN),
        3,
        "CANCELLED",
    )

    ended = await client.post(f"{base}/cancel", data={"_csrf_token": token})
    assert ended.headers["location"].endswith("done=series-cancelled")
    [series_cancelled] = new_mail(maildir, INVITEE, seen + 4, 1)
    method, events = calendar(series_cancelled)
    assert (method, [int(e["SEQUENCE"]) for e in events if "RECURRENCE-ID" not in e]) == ("CANCEL", [4])

    first = save(invite, tmp_path / "invite.eml")
    validate_ics(first)
    for name, message in (
        ("update", update),
        ("override", override),
        ("one-cancelled", one_cancelled),
        ("series-cancelled", series_cancelled),
    ):
        validate_ics(save(message, tmp_path / f"{name}.eml"), previous=first)
