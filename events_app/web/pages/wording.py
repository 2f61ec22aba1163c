"""What pages say instead of the API's wording.

Services explain problems for API clients: they name fields, routes and codes ("no organization has this id: see
GET /api/organizations", "must be one of plenary, panel, …"). A page shows the same problem in words for people,
in the reader's language: `human(message)` finds the rule for a message and gives a `PageText`, an English str
that also carries its catalogue text and values, so the pages' `_()` translates it with the values put back
(`_()` of a plain str looks it up as it is). Messages no rule knows stay as they are; the catalogue test checks
that every rule's text is translated.
"""

from __future__ import annotations

import re
from typing import Any

from events_app.web.pages.i18n import N_


class PageText(str):
    """An English message made from a catalogue text and values; `_()` translates the text, then fills the values."""

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> PageText:
        made = super().__new__(cls, template.format(**values) if values else template)
        made.template = template
        made.values = values
        return made


# (pattern, text for people): the first pattern that matches the whole message wins; named groups become values.
RULES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r'accept the privacy policy.*"consent": true.*', re.S),
        N_("Tick the box to accept the privacy policy."),
    ),
    (
        re.compile(r"this category is for members of the network: give the id of your organization"),
        N_("This category is only for members of the network: choose your organization (a city or region)."),
    ),
    (
        re.compile(r"this category is for partners of the network: give the id of your organization"),
        N_("This category is only for partners of the network: choose your organization."),
    ),
    (re.compile(r"no organization has this id.*"), N_("Choose an organization from the list.")),
    (re.compile(r"no room of this event has this id.*"), N_("Choose a room from the list.")),
    (re.compile(r"no track of this event has this id.*"), N_("Choose a track from the list.")),
    (
        re.compile(r"add at least one registration category before publishing.*"),
        N_("Add at least one registration category before publishing."),
    ),
    (re.compile(r"must be one of .*"), N_("Choose one of the options.")),
    (re.compile(r"use a language code such as .*"), N_("Choose a language.")),
    (re.compile(r"must be after starts_at"), N_("must be after the start")),
    (re.compile(r"must be an http\(s\) URL"), N_("must be a web address starting with https://")),
    (
        re.compile(r"must be 0 or more, or null to use the room's capacity"),
        N_("must be 0 or more; leave it empty to use the room's capacity"),
    ),
    (re.compile(r"must be 0 or more, or null when unknown"), N_("must be 0 or more; leave it empty when unknown")),
    (
        re.compile(r"must not be above the room's capacity \((?P<capacity>\d+)\)"),
        N_("must not be above the room's capacity ({capacity})"),
    ),
    (re.compile(r"use a colou?r like .*"), N_("Choose a colour.")),
    (
        re.compile(r"use lower-case letters, digits and '-', starting with a letter.*"),
        N_("Start the name with a letter."),
    ),
    (
        re.compile(r"this event already has a room named .*"),
        N_("This event already has a room with this name."),
    ),
    (
        re.compile(r"this event already has a track .*"),
        N_("This event already has a track with this name."),
    ),
    (re.compile(r"give either person_id, or email and name"), N_("Give the person's name and email address.")),
    (
        re.compile(r"not a valid email address: .*"),
        N_("This is not a valid email address: check it for typing errors."),
    ),
    (
        re.compile(r"the room is taken by '(?P<title>.+)' at that time"),
        N_("The room is taken by “{title}” at that time."),
    ),
    (
        re.compile(r"a person is also in '(?P<title>.+)' at that time"),
        N_("A speaker or moderator is also in “{title}” at that time."),
    ),
    (
        re.compile(r"'(?P<first>.+)' and '(?P<second>.+)' share the room at the same time"),
        N_("“{first}” and “{second}” are in the same room at the same time."),
    ),
    (
        re.compile(r"a person is in '(?P<first>.+)' and '(?P<second>.+)' at the same time"),
        N_("A speaker or moderator is in “{first}” and “{second}” at the same time."),
    ),
    (
        re.compile(r"'(?P<title>.+)' is outside the event's dates.*"),
        N_("“{title}” is outside the event's dates."),
    ),
    (
        re.compile(r".* does not exist in (?P<zone>\S+) \(the clocks skip it\); choose another time"),
        N_("This time does not exist in {zone} (the clocks skip it); choose another time."),
    ),
    (
        re.compile(r".* happens twice in (?P<zone>\S+) \(the clocks go back\).*"),
        N_("This time happens twice in {zone} (the clocks go back); choose another time."),
    ),
    (
        re.compile(r"a certificate of attendance is only for confirmed registrations.*"),
        N_("A certificate of attendance is only for confirmed registrations."),
    ),
    (
        re.compile(r"you have not been checked in at this event.*"),
        N_(
            "You have not been checked in at this event: a certificate of attendance is issued once you were "
            "checked in at the entrance or in a session room."
        ),
    ),
    (re.compile(r"there is nothing to certify.*"), N_("There is nothing to certify for this registration.")),
    (
        re.compile(r"too many certificate emails for this registration; try again in (?P<seconds>\d+) s"),
        N_("Your certificate was already sent several times; try again in {seconds} seconds."),
    ),
    (
        re.compile(r"certificates of attendance are sent after the event.*"),
        N_("Certificates of attendance can be sent once the event has ended."),
    ),
]
# A route named in a message the rules do not know: the part that names it is left out.
ROUTE_HINT = re.compile(
    r"\s*(?:\((?:[^()]*?)/api/[^()]*\)|[:;,]?\s*(?:see|with|at|from)?\s*(?:GET|POST|PATCH|PUT|DELETE) /api/\S*)"
)


def human(message: str) -> str:
    """The page's words for a service message (a PageText when a rule knows it), never naming a route."""
    if isinstance(message, PageText) or not message:
        return message
    for pattern, text in RULES:
        found = pattern.fullmatch(message)
        if found:
            return PageText(text, **found.groupdict())
    if "/api/" in message:
        return ROUTE_HINT.sub("", message).rstrip(" :;,")
    return message
