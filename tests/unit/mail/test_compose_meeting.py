"""Meeting emails composed from hand-made data in English and Spanish: the series' REQUEST or CANCEL, From equal
to the recipient's own ORGANIZER reply address, RSVP links per occurrence."""

from datetime import datetime, timedelta, timezone

import pytest

from events_app.domain.ical import CalendarItem
from events_app.domain.meetings import Occurrence
from events_app.mail.compose import MeetingMail, compose_meeting_mail
from tests.unit.mail.compose_data import NOW, calendar_of, parse

START = datetime(2027, 5, 3, 14, 0, tzinfo=timezone.utc)
OCCURRENCES = tuple(
    Occurrence(
        key=f"202705{3 + 7 * i:02d}T140000Z",
        index=i,
        recurrence_id=START + timedelta(days=7 * i),
        starts_at=START + timedelta(days=7 * i),
        ends_at=START + timedelta(days=7 * i, hours=1),
    )
    for i in range(3)
)
REPLY = "meetings+tok@example.org"
ITEM = CalendarItem(
    uid="series-4@example.org",
    sequence=6,
    summary="Water board",
    starts_at=START,
    ends_at=START + timedelta(hours=1),
    tzid="Europe/Madrid",
    organizer_email=REPLY,
    organizer_name="Board office",
    rrule="FREQ=WEEKLY;COUNT=3",
)
SERIES = {
    "title": "Water board",
    "mode": "online",
    "timezone": "Europe/Madrid",
    "location": "",
    "online_url": "https://meet.example.org/wb",
    "description": "Weekly.",
    "rrule": "FREQ=WEEKLY;COUNT=3",
}
SUBJECTS = {
    ("meeting_invitation", "en"): "Invitation: Water board",
    ("meeting_invitation", "es"): "Invitación: Water board",
    ("meeting_series_cancelled", "en"): "Cancelled: Water board",
    ("meeting_series_cancelled", "es"): "Cancelada: Water board",
}


def _mail(kind, language, method, occurrence=None) -> MeetingMail:
    return MeetingMail(
        outbox_id=90,
        kind=kind,
        language=language,
        recipient="ines@example.org",
        calendar_method=method,
        person_name="Inés",
        person_email="ines@example.org",
        person_timezone="America/Bogota",
        project_title="Rivers",
        series=SERIES,
        agenda=[{"title": "Budget", "presenter": "Ana", "duration_minutes": 20}],
        occurrences=OCCURRENCES,
        occurrence=occurrence,
        items=(ITEM,),
        reason="",
        rsvp_base="https://events.example.org/rsvp/r",
        feed_url="",
        reply_to=REPLY,
        organizer_email="board@example.org",
        organizer_name="Board office",
    )


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind, method", [("meeting_invitation", "REQUEST"), ("meeting_series_cancelled", "CANCEL")])
def test_meeting_mail_carries_the_series_calendar(kind, method, language):
    outgoing = compose_meeting_mail(_mail(kind, language, method), NOW)
    message = parse(outgoing.data)
    assert message["Subject"] == SUBJECTS[kind, language]
    assert str(message["From"]) == f"Board office <{REPLY}>"  # From equals ORGANIZER
    assert (outgoing.sender, outgoing.message_id) == ("board@example.org", "<outbox-90@example.org>")
    calendar = calendar_of(message)
    (vevent,) = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert str(calendar["METHOD"]) == method
    assert (str(vevent["UID"]), int(vevent["SEQUENCE"])) == ("series-4@example.org", 6)
    assert str(vevent["ORGANIZER"]).lower() == f"mailto:{REPLY}"


@pytest.mark.parametrize("language", ["en", "es"])
def test_meeting_mail_lists_upcoming_occurrences_with_rsvp_links(language):
    message = parse(compose_meeting_mail(_mail("meeting_invitation", language, "REQUEST"), NOW).data)
    text = message.get_body(("plain",)).get_content()
    assert "rsvp/r?answer=accepted&occurrence=20270503T140000Z" in text
    assert "America/Bogota" in text  # the recipient's own time beside the series' zone


@pytest.mark.parametrize("language", ["en", "es"])
def test_meeting_mail_occurrence_change_names_the_occurrence(language):
    mail = _mail("meeting_occurrence_changed", language, "REQUEST", occurrence=OCCURRENCES[1])
    message = parse(compose_meeting_mail(mail, NOW).data)
    when = {"en": "Monday, 10 May 2027", "es": "lunes, 10 de mayo de 2027"}[language]
    assert message["Subject"].endswith(f"Water board, {when}, 16:00–17:00 (Europe/Madrid)")


@pytest.mark.parametrize("language", ["en", "es"])
def test_meeting_mail_occurrence_change_says_when_it_was(language):
    from dataclasses import replace

    was = {"starts_at": START.isoformat(), "ends_at": (START + timedelta(hours=1)).isoformat()}
    mail = replace(_mail("meeting_occurrence_changed", language, "REQUEST", occurrence=OCCURRENCES[1]), was=was)
    message = parse(compose_meeting_mail(mail, NOW).data)
    text, html = message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()
    label = {"en": "It was:", "es": "Antes era:"}[language]
    day = {"en": "Monday, 3 May 2027", "es": "lunes, 3 de mayo de 2027"}[language]
    assert f"{label}\n  {day}, 16:00–17:00 (Europe/Madrid)" in text
    assert "9:00–10:00 (America/Bogota)" in text and label in html


def test_declinecounter_echoes_uid_and_occurrence_and_names_the_proposer():
    """RFC 5546 3.2.8: UID, SEQUENCE (when above 0), ORGANIZER, the ATTENDEE who proposed, RECURRENCE-ID for one
    meeting; no times, summary or status."""
    from dataclasses import replace

    rid = datetime(2027, 3, 2, 13, tzinfo=timezone.utc)
    mail = replace(
        _mail("meeting_counter_declined", "es", "DECLINECOUNTER"),
        items=(replace(ITEM, organizer_email=REPLY, recurrence_id=rid, sequence=4),),
    )
    message = parse(compose_meeting_mail(mail, NOW).data)
    cal = calendar_of(message)
    [vevent] = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "DECLINECOUNTER"
    assert (str(vevent["UID"]), int(vevent["SEQUENCE"]), vevent["RECURRENCE-ID"].dt) == (ITEM.uid, 4, rid)
    assert (str(vevent["ORGANIZER"]), str(vevent["ATTENDEE"])) == (f"mailto:{REPLY}", "mailto:ines@example.org")
    assert [k for k in ("DTSTART", "DTEND", "SUMMARY", "STATUS") if k in vevent] == []
    assert message["Subject"].startswith("Nueva hora no aceptada")
