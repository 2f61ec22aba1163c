"""The access-log redaction: every token in a request target is replaced, nothing else changes."""

from __future__ import annotations

import logging

import pytest

from events_app.web.access_log import REDACTED, RedactTokens, redact_path

TOKEN = "Wuqi-SiIK-h2DUT9GVsXcrXcYlOykHQh7TkTi3TVhCQ"  # fixed: parametrized ids must match across workers


@pytest.mark.parametrize(
    "target, expected",
    [
        (f"/manage/{TOKEN}", f"/manage/{REDACTED}"),
        (f"/manage/{TOKEN}/cancel", f"/manage/{REDACTED}/cancel"),
        ("/manage/short", f"/manage/{REDACTED}"),
        (f"/view/{TOKEN}", f"/view/{REDACTED}"),
        (
            f"/rsvp/{TOKEN}?answer=accepted&occurrence=20270504T080000Z",
            f"/rsvp/{REDACTED}?answer=accepted&occurrence=20270504T080000Z",
        ),
        (f"/api/registrations/{TOKEN}/agenda/12", f"/api/registrations/{REDACTED}/agenda/12"),
        (f"/api/my-agenda/{TOKEN}/calendar.ics", f"/api/my-agenda/{REDACTED}/calendar.ics"),
        (f"/api/people/{TOKEN}/calendar.ics", f"/api/people/{REDACTED}/calendar.ics"),
        (f"/api/projects/feeds/{TOKEN}/calendar.ics", f"/api/projects/feeds/{REDACTED}/calendar.ics"),
        (f"/api/unsubscribe/{TOKEN}", f"/api/unsubscribe/{REDACTED}"),
        (f"/events/4/register?invitation={TOKEN}&lang=es", f"/events/4/register?invitation={REDACTED}&lang=es"),
        ("/me/data?token=abc", f"/me/{REDACTED}?token={REDACTED}"),
        (f"/some/new/route/{TOKEN}", f"/some/new/route/{REDACTED}"),  # a route added later, by the token's look
        (f"/x?{TOKEN}", f"/x?{REDACTED}"),
    ],
)
def test_redact_path_replaces_tokens(target, expected):
    assert redact_path(target) == expected


@pytest.mark.parametrize(
    "target",
    [
        "/api/events/12/calendar.ics",
        "/api/projects/3/series",
        "/organizer/events/3/registrations-export",
        "/static/app.css",
        "/events/4/register?lang=es",
        "/api/events/4/agenda?day=2027-10-29&track=2",
        "/api/meeting-series/1/occurrences/20270504T080000Z/minutes",
    ],
)
def test_redact_path_keeps_paths_without_secrets(target):
    assert redact_path(target) == target


def test_redact_filter_rewrites_uvicorn_access_records():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/manage/{TOKEN}", "1.1", 200),
        None,
    )
    assert RedactTokens().filter(record) is True
    assert record.getMessage() == f'127.0.0.1:5000 - "GET /manage/{REDACTED} HTTP/1.1" 200'
