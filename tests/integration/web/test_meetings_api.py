"""Pilot projects and meeting series through the API against PostgreSQL: roles, series and occurrences, the
outbox messages each change writes, RSVPs, records, feeds, and bad input that must change nothing."""

import csv
import email
import email.policy
import io
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from events_app.db import sql
from events_app.domain import security
from events_app.domain.security import digest
from events_app.services.messaging.notifications import compose
from events_app.settings import get_settings
from tests.fixtures import calendar_part, login

SERIES = {
    "title": "Clean Air Pilot: monthly call",
    "mode": "hybrid",
    "timezone": "Europe/Berlin",
    "start": "2027-02-02T14:00:00",
    "duration_minutes": 90,
    "rrule": "FREQ=MONTHLY;BYDAY=1TU;UNTIL=20271231",
    "location": "UN Campus, Platz der Vereinten Nationen 1, Bonn",
    "online_url": "https://meet.example.org/clean-air",
    "agenda": [{"title": "Round of cities", "duration_minutes": 30}, {"title": "Sensor data", "presenter": "Lund"}],
}
CONTACTS = {
    "Municipality of Curitiba": ("BR", [("ana.souza@curitiba.example", "Ana Souza", "America/Sao_Paulo", "es")]),
    "City of Cape Town": ("ZA", [("thabo.nkosi@capetown.example", "Thabo Nkosi", "Africa/Johannesburg", "en")]),
    "Seoul Metropolitan Government": ("KR", [("jiwon.park@seoul.example", "Park, Ji-won", "Asia/Seoul", "en")]),
}


async def organization(name: str, country: str, kind: str = "city") -> int:
    return await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ($1, $2, $3, 'active', now()) RETURNING id",
        name,
        kind,
        country,
    )


async def project_with_cohort(client, headers) -> dict:
    bonn = await organization("City of Bonn", "DE")
    r = await client.post(
        "/api/projects",
        headers=headers,
        json={
            "title": "Clean Air Pilot",
            "theme": "air quality",
            "coordinating_organization_id": bonn,
            "organizer_email": "cleanair@example.org",
            "organizer_name": "Clean Air Pilot Team",
        },
    )
    assert r.status_code == 201, r.text
    project = r.json()
    for name, (country, people) in CONTACTS.items():
        org = await organization(name, country)
        r = await client.post(
            f"/api/projects/{project['id']}/members",
            headers=headers,
            json={
                "organization_id": org,
                "contacts": [{"email": e, "name": n, "timezone": tz, "language": lang} for e, n, tz, lang in people],
            },
        )
        assert r.status_code == 200, r.text
        project = r.json()
    return project


async def create_series(client, headers, project_id, **overrides) -> dict:
    r = await client.post(f"/api/projects/{project_id}/series", headers=headers, json={**SERIES, **overrides})
    assert r.status_code == 201, r.text
    return r.json()


async def outbox_rows() -> list[tuple]:
    rows = await sql.fetch("SELECT kind, recipient, calendar_method, calendar_sequence FROM outbox_message ORDER BY id")
    return [tuple(r) for r in rows]


async def rsvp_token(series_id: int, email: str) -> str:
    from events_app.settings import get_settings

    nonce = await sql.fetchval(
        "SELECT i.token_nonce FROM meeting_invitee i JOIN person p ON p.id = i.person"
        " WHERE i.series = $1 AND p.email = $2",
        series_id,
        email,
    )
    return security.rsvp_token(get_settings().secret_key, nonce)


async def snapshot() -> dict:
    tables = [
        "meeting_series",
        "meeting_occurrence",
        "meeting_rsvp",
        "outbox_message",
        "meeting_invitee",
        "meeting_action",
        "meeting_attendance",
    ]
    return {t: [dict(r) for r in await sql.fetch(f"SELECT * FROM {t} ORDER BY id")] for t in tables}


# --------------------------------------------------------------------------- roles


async def test_project_routes_need_a_coordinator(client, organizer):
    project = await project_with_cohort(client, organizer)
    other = await login(client, "someone.else@example.org")
    assert (await client.get(f"/api/projects/{project['id']}")).status_code == 401
    assert (await client.get(f"/api/projects/{project['id']}", headers=other)).status_code == 403
    assert (await client.get("/api/projects/999999", headers=other)).status_code == 404
    r = await client.post(f"/api/projects/{project['id']}/series", headers=other, json=SERIES)
    assert r.status_code == 403
    added = await client.post(
        f"/api/projects/{project['id']}/coordinators", headers=organizer, json={"email": "someone.else@example.org"}
    )
    assert added.status_code == 200
    assert (await client.get(f"/api/projects/{project['id']}", headers=other)).status_code == 200


# --------------------------------------------------------------------------- series, occurrences, outbox


async def test_create_series_sends_one_request_per_contact_with_dst_correct_occurrences(client, organizer):
    project = await project_with_cohort(client, organizer)
    series = await create_series(client, organizer, project["id"])
    assert (series["calendar_sequence"], series["occurrence_count"], series["invitee_count"]) == (0, 11, 3)
    assert sorted(await outbox_rows()) == sorted(
        ("meeting_invitation", email, "REQUEST", 0) for _, (_, people) in CONTACTS.items() for email, *_ in people
    )
    occs = (await client.get(f"/api/meeting-series/{series['id']}/occurrences", headers=organizer)).json()
    assert [o["starts_at"] for o in occs[1:3]] == ["2027-03-02T14:00:00+01:00", "2027-04-06T14:00:00+02:00"]
    seoul = (
        await client.get(f"/api/meeting-series/{series['id']}/occurrences?timezone=Asia/Seoul", headers=organizer)
    ).json()
    assert [o["starts_at"] for o in seoul[1:3]] == ["2027-03-02T22:00:00+09:00", "2027-04-06T21:00:00+09:00"]


async def test_move_and_cancel_occurrence_grow_sequence_and_tell_every_invitee(client, organizer):
    project = await project_with_cohort(client, organizer)
    series = await create_series(client, organizer, project["id"])
    base = f"/api/meeting-series/{series['id']}/occurrences"
    moved = await client.patch(f"{base}/20270302T130000Z", headers=organizer, json={"starts_at": "2027-03-03T10:00:00"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["status"], moved.json()["starts_at"], moved.json()["ends_at"]) == (
        "moved",
        "2027-03-03T10:00:00+01:00",
        "2027-03-03T11:30:00+01:00",
    )
    cancelled = await client.delete(f"{base}/20270406T120000Z", headers=organizer)
    assert cancelled.json()["status"] == "cancelled"
    rows = await outbox_rows()
    assert sorted(r[0:1] + r[2:] for r in rows[3:]) == sorted(
        [("meeting_occurrence_changed", "REQUEST", 1)] * 3 + [("meeting_occurrence_cancelled", "CANCEL", 2)] * 3
    )
    again = await client.delete(f"{base}/20270406T120000Z", headers=organizer)
    assert again.status_code == 409


async def test_bad_input_is_refused_and_changes_nothing(client, organizer):
    project = await project_with_cohort(client, organizer)
    bad_rule = await client.post(
        f"/api/projects/{project['id']}/series",
        headers=organizer,
        json={**SERIES, "rrule": "FREQ=MONTHLY;BYDAY=1TU;BYHOUR=9"},
    )
    assert bad_rule.status_code == 422
    assert [e["field"] for e in bad_rule.json()["errors"]] == ["rrule"]
    bonn = await client.post(
        f"/api/projects/{project['id']}/series", headers=organizer, json={**SERIES, "timezone": "Europe/Bonn"}
    )
    assert (bonn.status_code, bonn.json()["errors"][0]["field"]) == (422, "timezone")
    assert await sql.fetchval("SELECT count(*) FROM meeting_series") == 0
    series = await create_series(client, organizer, project["id"])
    before = await snapshot()
    base = f"/api/meeting-series/{series['id']}"
    assert (
        await client.patch(
            f"{base}/occurrences/20270303T130000Z", headers=organizer, json={"starts_at": "2027-03-04T10:00:00"}
        )
    ).status_code == 404
    assert (await client.delete(f"{base}/occurrences/2027-03-02", headers=organizer)).status_code == 422
    assert (await client.patch(base, headers=organizer, json={"rrule": "FREQ=YEARLY;BYDAY=1TU"})).status_code == 422
    overlap = await client.patch(
        f"{base}/occurrences/20270302T130000Z", headers=organizer, json={"starts_at": "2027-04-06T14:30:00"}
    )
    assert overlap.status_code == 422
    forged = await client.post("/api/rsvp/forged-token-value", json={"answer": "accepted"})
    assert forged.status_code == 404
    token = await rsvp_token(series["id"], "ana.souza@curitiba.example")
    assert (await client.post(f"/api/rsvp/{token}", json={"answer": "maybe"})).status_code == 422
    assert (
        await client.post(f"/api/rsvp/{token}", json={"answer": "accepted", "occurrence": "20270303T130000Z"})
    ).status_code == 404
    assert await snapshot() == before


# --------------------------------------------------------------------------- whole-series change, joiners, leavers


async def series_copies(series_id: int) -> dict[str, tuple]:
    rows = await sql.fetch(
        "SELECT p.email, c.sequence, c.method FROM calendar_copy c JOIN person p ON p.id = c.person"
        " JOIN meeting_series s ON s.calendar_uid = c.uid WHERE s.id = $1",
        series_id,
    )
    return {r["email"]: (r["sequence"], r["method"]) for r in rows}


async def test_series_copies_are_remembered_per_person_and_updates_reach_only_stale_copies(client, organizer):
    project = await project_with_cohort(client, organizer)
    series = await create_series(client, organizer, project["id"])
    contacts = sorted(email for _, people in CONTACTS.values() for email, *_ in people)
    assert await series_copies(series["id"]) == {e: (0, "REQUEST") for e in contacts}
    base = f"/api/meeting-series/{series['id']}"
    await client.delete(f"{base}/occurrences/20270406T120000Z", headers=organizer)
    # one meeting cancelled: the series itself stays in each calendar, at the new SEQUENCE
    assert await series_copies(series["id"]) == {e: (1, "REQUEST") for e in contacts}
    # Ana already holds the next version (written by a concurrent change): the update skips her copy, not the others
    await sql.execute(
        "UPDATE calendar_copy SET sequence = 2 WHERE person = (SELECT id FROM person WHERE email = $1)"
        " AND uid = (SELECT calendar_uid FROM meeting_series WHERE id = $2)",
        contacts[0],
        series["id"],
    )
    before = len(await outbox_rows())
    changed = await client.patch(base, headers=organizer, json={"title": "Clean Air Pilot: monthly check-in"})
    assert changed.json()["calendar_sequence"] == 2
    sent = (await outbox_rows())[before:]
    assert sorted(r[1] for r in sent) == contacts[1:]
    cancelled = await client.post(f"{base}/cancel", headers=organizer, json={})
    assert cancelled.status_code == 200, cancelled.text
    assert await series_copies(series["id"]) == {e: (3, "CANCEL") for e in contacts}


async def test_series_change_updates_everyone_and_keeps_records_safe(client, organizer):
    project = await project_with_cohort(client, organizer)
    series = await create_series(client, organizer, project["id"])
    base = f"/api/meeting-series/{series['id']}"
    await client.patch(f"{base}/occurrences/20270302T130000Z", headers=organizer, json={"location": "Bonn City Hall"})
    changed = await client.patch(base, headers=organizer, json={"start": "2027-02-02T15:00:00"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["calendar_sequence"] == 2
    assert await sql.fetchval("SELECT count(*) FROM meeting_occurrence") == 0  # re-keyed: overrides dropped
    rows = await outbox_rows()
    assert [r[2:] for r in rows[-3:]] == [("REQUEST", 2)] * 3
    await client.put(f"{base}/occurrences/20270202T140000Z/minutes", headers=organizer, json={"minutes": "Kick-off"})
    refused = await client.patch(base, headers=organizer, json={"start": "2027-02-02T16:00:00"})
    assert refused.status_code == 409
    extended = await client.patch(base, headers=organizer, json={"rrule": "FREQ=MONTHLY;BYDAY=1TU;COUNT=15"})
    assert (extended.status_code, extended.json()["occurrence_count"]) == (200, 15)


async def test_a_cancelled_meeting_stays_cancelled_when_the_series_moves_to_another_time(client, organizer):
    project = await project_with_cohort(client, organizer)
    series = await create_series(client, organizer, project["id"])  # first Tuesdays 14:00 Berlin from 2 February
    base = f"/api/meeting-series/{series['id']}"
    await client.delete(f"{base}/occurrences/20270406T120000Z", headers=organizer)  # 6 April 14:00 CEST
    await client.patch(f"{base}/occurrences/20270302T130000Z", headers=organizer, json={"location": "Bonn City Hall"})
    changed = await client.patch(base, headers=organizer, json={"start": "2027-02-02T15:30:00"})
    assert changed.status_code == 200, changed.text
    occurrences = (await client.get(f"{base}/occurrences", headers=organizer)).json()
    cancelled = [(o["id"], o["starts_at"][:16]) for o in occurrences if o["status"] == "cancelled"]
    assert cancelled == [("20270406T133000Z", "2027-04-06T15:30")]
    rows = await sql.fetch("SELECT recurrence_id, cancelled, location FROM meeting_occurrence")
    assert [(r["cancelled"], r["location"]) for r in rows] == [(True, None)]  # the new place went with its time
    row = dict(
        await sql.fetchrow("SELECT * FROM outbox_message WHERE kind = 'meeting_invitation' ORDER BY id DESC LIMIT 1")
    )
    sent = email.message_from_bytes((await compose(row, get_settings())).data, policy=email.policy.default)
    master = icalendar.Calendar.from_ical(calendar_part(sent)).walk("VEVENT")[0]
    found = master.get("EXDATE")
    exdates = [d.dt for e in (found if isinstance(found, list) else [found]) for d in e.dts]
    assert [d.strftime("%Y-%m-%d %H:%M") for d in exdates] == ["2027-04-06 15:30"]


async def test_joiner_gets_the_series_and_leaver_gets_a_cancel(client, organizer):
    project = await project_with_cohort(client, organizer)
    series = await create_series(client, organizer, project["id"])
    kyoto = await organization("Kyoto City", "JP")
    await client.post(f"/api/projects/{project['id']}/members", headers=organizer, json={"organization_id": kyoto})
    joined = await client.post(
        f"/api/projects/{project['id']}/contacts",
        headers=organizer,
        json={
            "organization_id": kyoto,
            "email": "Haruto.Sato@kyoto.example",
            "name": "Sato Haruto",
            "timezone": "Asia/Tokyo",
        },
    )
    assert joined.status_code == 200, joined.text
    assert (await outbox_rows())[-1] == ("meeting_invitation", "haruto.sato@kyoto.example", "REQUEST", 0)
    duplicate = await client.post(
        f"/api/projects/{project['id']}/contacts",
        headers=organizer,
        json={"organization_id": kyoto, "email": "haruto.sato@kyoto.example", "name": "Sato Haruto"},
    )
    assert duplicate.status_code == 409
    token = await rsvp_token(series["id"], "thabo.nkosi@capetown.example")
    person_id = await sql.fetchval("SELECT id FROM person WHERE email = 'thabo.nkosi@capetown.example'")
    left = await client.delete(f"/api/projects/{project['id']}/contacts/{person_id}", headers=organizer)
    assert left.status_code == 200
    assert (await outbox_rows())[-1] == ("meeting_series_cancelled", "thabo.nkosi@capetown.example", "CANCEL", 1)
    used = await client.post(f"/api/rsvp/{token}", json={"answer": "accepted"})
    assert used.status_code == 410
    assert await sql.fetchval("SELECT count(*) FROM meeting_rsvp") == 0


# --------------------------------------------------------------------------- RSVP and the coordinator's view


async def test_rsvp_links_record_partstat_per_occurrence_and_series(client, organizer):
    project = await project_with_cohort(client, organizer)
    series = await create_series(client, organizer, project["id"])
    ana = await rsvp_token(series["id"], "ana.souza@curitiba.example")
    thabo = await rsvp_token(series["id"], "thabo.nkosi@capetown.example")
    r = await client.post(f"/api/rsvp/{ana}", json={"answer": "accepted"})
    assert r.status_code == 200, r.text
    await client.post(f"/api/rsvp/{ana}", json={"answer": "declined", "occurrence": "20270302T130000Z"})
    await client.post(f"/api/rsvp/{thabo}", json={"answer": "tentative", "occurrence": "20270302T130000Z"})
    view = (await client.get(f"/api/rsvp/{ana}")).json()
    assert [o["partstat"] for o in view["occurrences"][:3]] == ["ACCEPTED", "DECLINED", "ACCEPTED"]
    assert view["occurrences"][1]["starts_at"] == "2027-03-02T10:00:00-03:00"  # in Ana's zone
    base = f"/api/meeting-series/{series['id']}/occurrences"
    march = (await client.get(f"{base}/20270302T130000Z/responses", headers=organizer)).json()
    assert march["counts"] == {"ACCEPTED": 0, "DECLINED": 1, "TENTATIVE": 1, "NEEDS-ACTION": 1}
    feb = (await client.get(f"{base}/20270202T130000Z/responses", headers=organizer)).json()
    assert {p["email"]: p["partstat"] for p in feb["people"]} == {
        "ana.souza@curitiba.example": "ACCEPTED",
        "thabo.nkosi@capetown.example": "NEEDS-ACTION",
        "jiwon.park@seoul.example": "NEEDS-ACTION",
    }
    page = await client.get(f"/rsvp/{ana}?answer=declined&occurrence=20270406T120000Z")
    assert page.status_code == 200 and "<form" in page.text
    assert (await client.get(f"/api/rsvp/{ana}")).json()["occurrences"][2]["partstat"] == "ACCEPTED"
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)  # the page's CSRF token
    posted = await client.post(
        f"/rsvp/{ana}", data={"answer": "declined", "occurrence": "20270406T120000Z", "_csrf_token": token}
    )
    assert posted.status_code == 200
    assert (await client.get(f"/api/rsvp/{ana}")).json()["occurrences"][2]["partstat"] == "DECLINED"


# --------------------------------------------------------------------------- minutes, attendance, actions


async def test_actions_carry_over_and_attendance_report_per_organization(client, organizer):
    project = await project_with_cohort(client, organizer)
    series = await create_series(client, organizer, project["id"])
    base = f"/api/meeting-series/{series['id']}/occurrences"
    people = {r["email"]: r["id"] for r in await sql.fetch("SELECT id, email FROM person")}
    feb, mar, apr = "20270202T130000Z", "20270302T130000Z", "20270406T120000Z"
    await client.put(
        f"{base}/{feb}/attendance",
        headers=organizer,
        json={"person_ids": [people["ana.souza@curitiba.example"], people["jiwon.park@seoul.example"]]},
    )
    await client.put(
        f"{base}/{mar}/attendance", headers=organizer, json={"person_ids": [people["ana.souza@curitiba.example"]]}
    )
    stranger = await client.put(f"{base}/{mar}/attendance", headers=organizer, json={"person_ids": [999999]})
    assert stranger.status_code == 422
    await client.put(f"{base}/{feb}/minutes", headers=organizer, json={"minutes": "Agreed on sensor locations."})
    a1 = (
        await client.post(
            f"{base}/{feb}/actions",
            headers=organizer,
            json={
                "title": "Share sensor data",
                "owner_person_id": people["jiwon.park@seoul.example"],
                "due_date": "2027-02-28",
            },
        )
    ).json()
    a2 = (await client.post(f"{base}/{feb}/actions", headers=organizer, json={"title": "Draft the report"})).json()
    done = await client.patch(f"/api/meeting-actions/{a2['id']}", headers=organizer, json={"done": True})
    assert done.json()["done"] is True
    march = (await client.get(f"{base}/{mar}/record", headers=organizer)).json()
    assert [(a["title"], a["carried_over"]) for a in march["actions"]] == [("Share sensor data", True)]
    feb_record = (await client.get(f"{base}/{feb}/record", headers=organizer)).json()
    assert feb_record["minutes"] == "Agreed on sensor locations."
    assert [a["id"] for a in feb_record["actions"]] == [a1["id"], a2["id"]]
    assert [a["organization_name"] for a in feb_record["attendance"]] == [
        "Municipality of Curitiba",
        "Seoul Metropolitan Government",
    ]
    audited = [
        r["action"]
        for r in await sql.fetch(
            "SELECT action FROM audit_log WHERE subject_type IN ('occurrence', 'meeting_action') ORDER BY id"
        )
    ]
    assert audited == [
        "occurrence.attendance",
        "occurrence.attendance",
        "occurrence.minutes",
        "action.create",
        "action.create",
        "action.update",
    ]
    report = await client.get(f"/api/meeting-series/{series['id']}/attendance.csv", headers=organizer)
    assert report.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(report.text)))
    assert table[0] == [
        "organization_id",
        "organization",
        "country",
        "2027-02-02",
        "2027-03-02",
        "meetings_attended",
        "meetings_held",
        "attendance_rate",
    ]
    assert [row[1:] for row in table[1:]] == [
        ["City of Cape Town", "ZA", "0", "0", "0", "2", "0.00"],
        ["Municipality of Curitiba", "BR", "1", "1", "2", "2", "1.00"],
        ["Seoul Metropolitan Government", "KR", "1", "0", "1", "2", "0.50"],
    ]
    del apr


# --------------------------------------------------------------------------- feeds


def expanded(ics: bytes) -> list[datetime]:
    cal = icalendar.Calendar.from_ical(ics)
    events = recurring_ical_events.of(cal).between(datetime(2027, 1, 1), datetime(2028, 1, 1))
    return sorted(e["DTSTART"].dt for e in events)


async def test_feeds_expand_to_the_occurrences_the_api_lists(client, organizer):
    project = await project_with_cohort(client, organizer)
    series = await create_series(client, organizer, project["id"])
    base = f"/api/meeting-series/{series['id']}/occurrences"
    await client.patch(f"{base}/20270302T130000Z", headers=organizer, json={"starts_at": "2027-03-03T09:30:00"})
    await client.delete(f"{base}/20270406T120000Z", headers=organizer)
    listed = [
        datetime.fromisoformat(o["starts_at"])
        for o in (await client.get(base, headers=organizer)).json()
        if o["status"] != "cancelled"
    ]
    feed = await client.get(project["feed_url"].split("testserver")[-1].replace("http://127.0.0.1:8000", ""))
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert expanded(feed.content) == listed
    assert b"ATTENDEE" not in feed.content and b"ORGANIZER" not in feed.content
    from events_app.settings import get_settings

    person = await sql.fetchrow(
        "SELECT c.token_nonce FROM person_calendar c JOIN person p ON p.id = c.person"
        " WHERE p.email = 'jiwon.park@seoul.example'"
    )
    token = security.person_feed_token(get_settings().secret_key, person["token_nonce"])
    mine = await client.get(f"/api/people/{token}/calendar.ics")
    assert expanded(mine.content) == listed
    assert [d.astimezone(ZoneInfo("Asia/Seoul")).strftime("%m-%d %H:%M") for d in expanded(mine.content)[:3]] == [
        "02-02 22:00",
        "03-03 17:30",
        "05-04 21:00",
    ]
    assert (await client.get("/api/people/not-a-token/calendar.ics")).status_code == 404
    assert await sql.fetchval("SELECT count(*) FROM person_calendar WHERE token_hash = $1", digest(token)) == 1


async def test_a_weekly_series_starting_in_a_dst_gap_keeps_its_wall_clock_time(client, organizer):
    # 2027-03-14 02:30 does not exist in New York (clocks jump 02:00 -> 03:00): that first meeting is at 03:30,
    # every later one at 02:30 as the coordinator chose, in the feed as in the API
    project = await project_with_cohort(client, organizer)
    series = await create_series(
        client,
        organizer,
        project["id"],
        timezone="America/New_York",
        start="2027-03-14T02:30:00",
        rrule="FREQ=WEEKLY;COUNT=3",
    )
    listed = [
        datetime.fromisoformat(o["starts_at"])
        for o in (await client.get(f"/api/meeting-series/{series['id']}/occurrences", headers=organizer)).json()
    ]
    feed = await client.get(project["feed_url"].split("testserver")[-1].replace("http://127.0.0.1:8000", ""))
    assert b"DTSTART;TZID=America/New_York:20270314T023000" in feed.content
    # a time in a gap compares unequal across zones (PEP 495): compare instants
    assert [d.astimezone(timezone.utc) for d in expanded(feed.content)] == [d.astimezone(timezone.utc) for d in listed]
    new_york = ZoneInfo("America/New_York")
    assert [d.astimezone(new_york).strftime("%m-%d %H:%M") for d in listed] == [
        "03-14 03:30",
        "03-21 02:30",
        "03-28 02:30",
    ]
