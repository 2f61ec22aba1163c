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
    (
        re.compile(r"unknown category .*"),
        N_("Choose a category from the list."),
    ),
    (re.compile(r"unknown country code .*"), N_("Choose a country from the list.")),
    (
        re.compile(r"unknown time zone .*, or leave it empty"),
        N_("Choose a time zone from the list (type a city to search), or leave it empty."),
    ),
    (re.compile(r"unknown time zone .*"), N_("Choose a time zone from the list (type a city to search).")),
    (re.compile(r"no office has this id.*"), N_("Choose an office from the list.")),
    (
        re.compile(r"must be 'auto' \(promote at once\) or 'offer' \(time-limited offer\)"),
        N_("Choose one of the options."),
    ),
    (re.compile(r"must be one of .*"), N_("Choose one of the options.")),
    (re.compile(r"choose one of .*"), N_("Choose one of the options.")),
    (re.compile(r"use a language code such as .*"), N_("Choose a language.")),
    (re.compile(r"must be after starts_at"), N_("must be after the start")),
    (re.compile(r"must be after registration_opens_at"), N_("must be after registration opens")),
    (re.compile(r"must not be after the event ends \(ends_at\)"), N_("must not be after the event ends")),
    (re.compile(r"must be a date and time, e\.g\. .*"), N_("must be a date and time, e.g. 2026-10-06 09:30")),
    (re.compile(r"must be a whole number of minutes"), N_("must be a whole number of minutes")),
    (re.compile(r"must be an email address"), N_("must be an email address")),
    (re.compile(r"is required"), N_("must not be empty")),
    (re.compile(r"'.+' is required"), N_("This question needs an answer.")),
    (
        re.compile(r"(?:must be|must be text of) at most (?P<count>\d+) characters(?: long)?"),
        N_("must be at most {count} characters"),
    ),
    (re.compile(r"must be at most (?P<count>\d+)"), N_("must be at most {count}")),
    (re.compile(r"must be at least (?P<count>\d+)"), N_("must be at least {count}")),
    (
        re.compile(r"must be between (?P<low>\d+) and (?P<high>\d+) minutes"),
        N_("must be between {low} and {high} minutes"),
    ),
    (re.compile(r"must be between (?P<low>\d+) and (?P<high>\d+) hours"), N_("must be between {low} and {high} hours")),
    (re.compile(r"must be between (?P<low>\d+) and (?P<high>\d+)"), N_("must be between {low} and {high}")),
    (
        re.compile(r"must be 0 or more, or null for no limit"),
        N_("must be 0 or more; leave it empty for no limit"),
    ),
    (
        re.compile(r"must be at least 1, or null for no event-wide limit"),
        N_("must be at least 1; leave it empty for no limit"),
    ),
    (
        re.compile(
            r"(?P<taken>\d+) seats are already taken; choose at least (?P=taken), or cancel registrations first"
        ),
        N_("Seats already taken: {taken}. Choose at least that many, or cancel registrations first."),
    ),
    (
        re.compile(r"give (?:at most 5 )?whole numbers of hours.*"),
        N_("Give up to 5 whole numbers of hours between 1 and 720, separated by commas, e.g. 24, 2."),
    ),
    (
        re.compile(r"use 1-40 lower-case letters, digits or '_'.*"),
        N_("Use 1 to 40 lower-case letters (a-z), digits or underscores, without spaces."),
    ),
    (
        re.compile(r"use 1-40 lower-case letters, digits, '-' or '_'.*"),
        N_("Use 1 to 40 lower-case letters (a-z), digits, hyphens or underscores, without spaces."),
    ),
    (re.compile(r"use 4-40 letters, digits or '-'"), N_("Use 4 to 40 letters, digits or hyphens, without spaces.")),
    (
        re.compile(r"only single_choice and multiple_choice questions have options"),
        N_(
            "Only questions with choices have options: choose “One choice” or “Several choices”, or leave the options "
            "empty."
        ),
    ),
    (
        re.compile(r"question code .* is already used in this event"),
        N_("This event already has a question with this code."),
    ),
    (re.compile(r"is not your current password"), N_("is not your current password")),
    (
        re.compile(r"a delegation has at least one seat \(its head\)"),
        N_("A delegation has at least one seat, for its head."),
    ),
    (
        re.compile(r"this organization already has a delegation at this event"),
        N_("This organization already has a delegation at this event."),
    ),
    (
        re.compile(r"(?P<email>\S+@\S+) is already registered for this event"),
        N_("{email} is already registered for this event."),
    ),
    (
        re.compile(r"(?P<email>\S+@\S+) is already a contact of this project"),
        N_("{email} is already a contact of this project."),
    ),
    (re.compile(r"category .* is full \((?P<quota>\d+) seats\)"), N_("This category is full ({quota} seats).")),
    (re.compile(r"this registration is already cancelled"), N_("This registration is already cancelled.")),
    (re.compile(r"this registration is already rejected"), N_("This registration was already rejected.")),
    (re.compile(r"this registration is already \S+"), N_("This registration is no longer active.")),
    (
        re.compile(r"this registration is cancelled; its answers can no longer be changed"),
        N_("This registration is cancelled: its answers can no longer be changed."),
    ),
    (
        re.compile(r"this registration is \S+; its answers can no longer be changed"),
        N_("This registration is no longer active: its answers can no longer be changed."),
    ),
    (
        re.compile(r"only pending registrations can be approved.*"),
        N_("Only registrations waiting for approval can be approved."),
    ),
    (
        re.compile(r"an? \S+ registration cannot be moved"),
        N_("This registration is no longer active, so it cannot be moved."),
    ),
    (
        re.compile(r"there is no open offer for this registration.*"),
        N_("There is no open offer for this registration."),
    ),
    (
        re.compile(r"this member's registration is \S+; add a member instead"),
        N_("This member's registration is no longer active: add a new member instead."),
    ),
    (re.compile(r"an? \S+ registration has no ticket"), N_("This registration has no ticket: it is not confirmed.")),
    (
        re.compile(r"send the scanned code, or the registration_id found by name"),
        N_("Scan the ticket's code, or find the person by name."),
    ),
    (re.compile(r"this person is already in the session"), N_("This person is already in the session.")),
    (re.compile(r"this event is already cancelled"), N_("This event is already cancelled.")),
    (re.compile(r"this series is already cancelled"), N_("This series is already cancelled.")),
    (
        re.compile(r"this series is cancelled(?:; create a new one)?"),
        N_("This series is cancelled and can no longer be changed; create a new series instead."),
    ),
    (re.compile(r"occurrence \S+ is already cancelled"), N_("This meeting is already cancelled.")),
    (
        re.compile(r"this is a one-off meeting.*"),
        N_("This is a one-off meeting: change or cancel the whole series instead."),
    ),
    (
        re.compile(r"occurrences .* have minutes, attendance or actions and would disappear.*"),
        N_(
            "Some meetings already have minutes, attendance or tasks and would disappear with this change: end this "
            "series on a date instead and create a new one."
        ),
    ),
    (
        re.compile(
            r"the start is not an occurrence of the rule; the rule's first occurrence is (?P<first>.+): start the "
            r"series there"
        ),
        N_(
            "The first meeting does not follow the repetition: the first date that does is {first}; start the "
            "series then."
        ),
    ),
    (
        re.compile(r"organizations .* are not in the cohort: hosts rotate among cohort organizations"),
        N_("Choose the hosts among the organizations of the cohort."),
    ),
    (
        re.compile(r"this organization is already in the cohort.*"),
        N_("This organization is already in the cohort: add its contacts instead."),
    ),
    (
        re.compile(r"the owner must be someone invited to this series"),
        N_("Choose the person responsible among the people invited to this series."),
    ),
    (
        re.compile(r"an? (?:in.person|hybrid) meeting needs a location"),
        N_("A meeting held in person needs a location."),
    ),
    (re.compile(r"an? (?:online|hybrid) meeting needs a join link"), N_("A meeting held online needs a join link.")),
    (re.compile(r"this proposal was already \S+"), N_("This proposal was already answered.")),
    (re.compile(r"this delegation was already \S+"), N_("This delegation was already answered.")),
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
    (
        re.compile(
            r"this email address is already registered for this event; we have emailed the manage link to it again"
        ),
        N_("This address is already registered for this event; we sent it the link to manage that registration again."),
    ),
    (
        re.compile(r"unknown access code for this event"),
        N_("This access code is not valid for this event: check it and try again."),
    ),
    (re.compile(r"this access code has expired"), N_("This access code has expired.")),
    (
        re.compile(r"this access code has been used up"),
        N_("This access code has been used as many times as it allows."),
    ),
    (
        re.compile(r"this invitation link is not valid for this event"),
        N_("This invitation link is not valid for this event."),
    ),
    (re.compile(r"this invitation has already been used"), N_("This invitation has already been used.")),
    (
        re.compile(r"this invitation expired at .*; ask the organizers for a new one"),
        N_("This invitation has expired: ask the organizers for a new one."),
    ),
    (
        re.compile(r"this offer has expired and passed to the next person"),
        N_("This offer has expired and the place went to the next person on the waiting list."),
    ),
    (
        re.compile(r"this registration is (?P<status>\w+); its answers can no longer be changed"),
        N_("This registration can no longer be changed."),
    ),
    (
        re.compile(r"there is no open offer for this registration.*"),
        N_("There is no open offer of a place for this registration."),
    ),
    (
        re.compile(r"this registration is already (?P<status>\w+)"),
        N_("Nothing to do: this registration is already in that state."),
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
