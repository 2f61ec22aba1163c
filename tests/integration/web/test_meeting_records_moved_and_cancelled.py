"""A meeting moved or cancelled in the records: the organization report dates it on the day it was held and
leaves out a meeting that was not held (as the series' own report does), nobody is recorded present at a
cancelled meeting, and an action carries over by when the meetings were held."""

from __future__ import annotations

import csv
import io

from events_app.db import sql
from tests.integration.web.test_meetings_api import create_series, project_with_cohort

ANA = "ana.souza@curitiba.example"


async def _series(client, organizer, **kw) -> tuple[dict, str, list[str]]:
    project = await project_with_cohort(client, organizer)
    series = await create_series(client, organizer, project["id"], **kw)
    occurrences = await client.get(f"/api/meeting-series/{series['id']}/occurrences", headers=organizer)
    return series, f"/api/meeting-series/{series['id']}/occurrences", [o["id"] for o in occurrences.json()]


async def _meeting_rows(client, organizer) -> list[list[str]]:
    report = await client.get("/api/attendance/organizations.csv?separator=comma", headers=organizer)
    assert report.status_code == 200, report.text
    return [r for r in csv.reader(io.StringIO(report.content.decode("utf-8-sig")))][1:]


async def test_the_organization_report_dates_a_moved_meeting_on_the_day_it_was_held(client, organizer):
    series, base, keys = await _series(client, organizer)  # monthly, first Tuesday 14:00 Berlin, from 2027-02-02
    moved = await client.patch(f"{base}/{keys[0]}", headers=organizer, json={"starts_at": "2027-02-11T14:00:00"})
    assert moved.status_code == 200, moved.text
    ana = await sql.fetchval("SELECT id FROM person WHERE email = $1", ANA)
    await client.put(f"{base}/{keys[0]}/attendance", headers=organizer, json={"person_ids": [ana]})
    meetings = [r for r in await _meeting_rows(client, organizer) if r[4] == "meeting"]
    assert [r[6] for r in meetings] == ["2027-02-11"]
    series_report = await client.get(f"/api/meeting-series/{series['id']}/attendance.csv", headers=organizer)
    assert "2027-02-11" in series_report.text.splitlines()[0]


async def test_a_cancelled_meeting_is_not_in_the_reports_and_takes_no_attendance(client, organizer):
    _, base, keys = await _series(client, organizer)
    ana = await sql.fetchval("SELECT id FROM person WHERE email = $1", ANA)
    recorded = await client.put(f"{base}/{keys[0]}/attendance", headers=organizer, json={"person_ids": [ana]})
    assert recorded.status_code == 200
    await client.delete(f"{base}/{keys[0]}", headers=organizer)
    assert [r for r in await _meeting_rows(client, organizer) if r[4] == "meeting"] == []
    refused = await client.put(f"{base}/{keys[0]}/attendance", headers=organizer, json={"person_ids": [ana]})
    assert refused.status_code == 409 and "cancelled" in refused.text
    cleared = await client.put(f"{base}/{keys[0]}/attendance", headers=organizer, json={"person_ids": []})
    assert cleared.status_code == 200
    assert await sql.fetchval("SELECT count(*) FROM meeting_attendance") == 0


async def test_an_action_of_a_meeting_moved_after_the_next_is_not_carried_into_it(client, organizer):
    _, base, keys = await _series(client, organizer, rrule="FREQ=WEEKLY;COUNT=4", start="2027-02-02T14:00:00")
    moved = await client.patch(f"{base}/{keys[1]}", headers=organizer, json={"starts_at": "2027-02-19T14:00:00"})
    assert moved.status_code == 200, moved.text
    await client.post(f"{base}/{keys[1]}/actions", headers=organizer, json={"title": "Raised on the 19th"})
    third = (await client.get(f"{base}/{keys[2]}/record", headers=organizer)).json()  # held on the 16th
    fourth = (await client.get(f"{base}/{keys[3]}/record", headers=organizer)).json()  # held on the 23rd
    assert third["actions"] == []
    assert [(a["title"], a["carried_over"]) for a in fourth["actions"]] == [("Raised on the 19th", True)]
