"""Words people read for the network's fixed vocabularies (session kinds, roles, question kinds, meeting modes,
answers to invitations...): pages never show a stored code such as `side_event`, `short_text` or `NEEDS-ACTION`.

Templates write `{{ value|word }}`: the English word below, translated through the page's catalogue; a value the
table does not know shows as it is (so a missing entry is visible, and tests/unit/web/test_catalogs.py checks that
every vocabulary value has one).
"""

from __future__ import annotations

from events_app.domain.vocab import (
    MeetingMode,
    PartStat,
    QuestionKind,
    SessionKind,
    SessionRole,
)
from events_app.web.pages.i18n import N_

SESSION_KIND_WORDS = {
    SessionKind.PLENARY: N_("Plenary"),
    SessionKind.PANEL: N_("Panel"),
    SessionKind.WORKSHOP: N_("Workshop"),
    SessionKind.TALK: N_("Talk"),
    SessionKind.SIDE_EVENT: N_("Side event"),
    SessionKind.SITE_VISIT: N_("Site visit"),
    SessionKind.NETWORKING: N_("Networking"),
    SessionKind.BREAK: N_("Break"),
}
SESSION_ROLE_WORDS = {
    SessionRole.SPEAKER: N_("Speaker"),
    SessionRole.MODERATOR: N_("Moderator"),
    SessionRole.PANELIST: N_("Panelist"),
}
QUESTION_KIND_WORDS = {
    QuestionKind.SHORT_TEXT: N_("Short text"),
    QuestionKind.LONG_TEXT: N_("Long text"),
    QuestionKind.SINGLE_CHOICE: N_("One choice"),
    QuestionKind.MULTIPLE_CHOICE: N_("Several choices"),
    QuestionKind.YES_NO: N_("Yes or no"),
    QuestionKind.COUNTRY: N_("Country"),
    QuestionKind.DATE: N_("Date"),
}
MEETING_MODE_WORDS = {
    MeetingMode.IN_PERSON: N_("In person"),
    MeetingMode.ONLINE: N_("Online"),
    MeetingMode.HYBRID: N_("In person and online"),
}
PARTSTAT_WORDS: dict[str, str] = {
    "NEEDS-ACTION": N_("No answer yet"),
    PartStat.ACCEPTED: N_("Accepted"),
    PartStat.DECLINED: N_("Declined"),
    PartStat.TENTATIVE: N_("Maybe"),
}

# The kinds of message in the delivery log (one mail template each).
MESSAGE_KIND_WORDS: dict[str, str] = {
    "announcement": N_("Announcement"),
    "event_cancelled": N_("Event cancelled"),
    "event_reminder": N_("Event reminder"),
    "event_updated": N_("Event changed"),
    "invitation": N_("Invitation"),
    "manage_link": N_("Manage link"),
    "meeting_invitation": N_("Meeting invitation"),
    "meeting_occurrence_cancelled": N_("Meeting cancelled"),
    "meeting_occurrence_changed": N_("Meeting changed"),
    "meeting_series_cancelled": N_("Meeting series cancelled"),
    "password_reset": N_("Password reset"),
    "person_access_link": N_("Link to personal data"),
    "registration_approved": N_("Registration approved"),
    "registration_cancelled": N_("Registration cancelled"),
    "registration_confirmed": N_("Registration confirmed"),
    "registration_offer": N_("Seat offered"),
    "registration_offer_expired": N_("Seat offer expired"),
    "registration_promoted": N_("Moved up from the waiting list"),
    "registration_received": N_("Registration received"),
    "registration_rejected": N_("Registration rejected"),
    "registration_substituted": N_("Seat passed on"),
    "registration_waitlisted": N_("On the waiting list"),
    "session_booked": N_("Session booked"),
    "session_cancelled": N_("Session cancelled"),
    "session_dropped": N_("Session dropped"),
    "session_promoted": N_("Session place from the waiting list"),
    "session_reminder": N_("Session reminder"),
    "session_role_added": N_("Named for a session"),
    "session_role_removed": N_("No longer in a session"),
    "session_updated": N_("Session changed"),
    "session_waitlisted": N_("Session waiting list"),
    "certificate": N_("Certificate of attendance"),
}

WORDS: dict[str, str] = {
    str(k): v
    for table in (
        SESSION_KIND_WORDS,
        SESSION_ROLE_WORDS,
        QUESTION_KIND_WORDS,
        MEETING_MODE_WORDS,
        PARTSTAT_WORDS,
        MESSAGE_KIND_WORDS,
    )
    for k, v in table.items()
}


def word(value: object) -> str:
    """The English word for a vocabulary value (translate it with `_`), or the value itself when it has none."""
    text = str(value if value is not None else "")
    return WORDS.get(text, text)
