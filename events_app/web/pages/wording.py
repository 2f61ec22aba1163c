"""What pages say instead of the API's wording.

Services explain problems for API clients: they name fields, routes and codes ("no organization has this id: see
GET /api/organizations", "must be one of plenary, panel, …"). A page shows the same problem in words for people,
in the reader's language: `human(message)` finds the rule for a message and gives a `PageText`, an English str
that also carries its catalogue text and values, so the pages' `_()` translates it with the values put back
(`_()` of a plain str looks it up as it is). A detail that names fields ("ends_at: ...; capacity: ...") shows each
problem in words, after the field's label. Messages no rule knows stay as they are; the catalogue test checks that
every rule's text is translated.
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
    # ---- Organizers' and coordinators' pages: events and categories
    (
        re.compile(
            r"(?P<count>\d+) people are already confirmed; cancel registrations first or choose a capacity at least "
            r"that high"
        ),
        N_(
            "{count} people are already confirmed: choose a capacity of at least {count}, or cancel registrations "
            "first."
        ),
    ),
    (
        re.compile(r"a cancelled event cannot be published again"),
        N_("This event is cancelled and cannot be published again."),
    ),
    (
        re.compile(r"you are not staff of this office; ask an administrator"),
        N_("You are not on the staff of this office: choose one of your offices, or ask an administrator."),
    ),
    (
        re.compile(r"your account does not organize this event"),
        N_("Your account is not one of the organizers of this event."),
    ),
    (re.compile(r"only administrators may do this"), N_("Only administrators can do this.")),
    (
        re.compile(r"only administrators and office staff may do this"),
        N_("Only administrators and the staff of an office can do this."),
    ),
    (re.compile(r"the token is unknown or expired.*"), N_("Your session has ended: log in again.")),
    (re.compile(r"log in first.*"), N_("Log in first.")),
    (re.compile(r"must be after opens_at"), N_("must be after registration opens")),
    (
        re.compile(r"category code .* is already used in this event"),
        N_("This event already has a category with this code: choose another code."),
    ),
    (re.compile(r"category not found"), N_("This category no longer exists: reload the page.")),
    (
        re.compile(r"a choice question needs at least two different options"),
        N_("A question with choices needs at least two different options, one per line."),
    ),
    # ---- agenda: sessions, rooms, tracks, speakers
    (
        re.compile(r"a session lasts at most 24 hours; split longer ones"),
        N_("A session lasts at most 24 hours: split a longer one into several sessions."),
    ),
    (
        re.compile(
            r"(?P<booked>\d+) people have booked this session; the room or capacity chosen holds (?P<limit>\d+): drop "
            r"bookings first or choose a larger one"
        ),
        N_(
            "{booked} people have booked this session, but the room or number of places chosen holds only {limit}: "
            "choose a larger room or more places."
        ),
    ),
    (
        re.compile(r"sessions in this room hold more people: '(?P<title>.+?)' \(id \d+\)(?:; '.+?' \(id \d+\))+"),
        N_(
            "“{title}” and other sessions in this room have more places than that: lower their places first, or "
            "move them to another room."
        ),
    ),
    (
        re.compile(r"sessions in this room hold more people: '(?P<title>.+)' \(id \d+\)"),
        N_("“{title}” in this room has more places than that: lower its places first, or move it to another room."),
    ),
    (
        re.compile(r"this session is cancelled; set status to 'published' or 'draft' to change it"),
        N_("This session is cancelled: publish it again, or make it a draft, before changing it."),
    ),
    (
        re.compile(r"a person appears twice: give each person one role"),
        N_("The same person is named twice: give each person only one role."),
    ),
    (
        re.compile(r"the session conflicts with the agenda: .*", re.S),
        N_("This session would clash with others in the agenda: change its time, its room or its people."),
    ),
    (
        re.compile(r"is too long: keep it under (?P<count>\d+) characters"),
        N_("is too long: keep it under {count} characters"),
    ),
    (
        re.compile(r"person not found"),
        N_("We could not find this person: reload the page and try again."),
    ),
    # ---- registrations, invitations, access codes and delegations
    (re.compile(r"registration not found"), N_("This registration is no longer in this event: reload the list.")),
    (
        re.compile(r"only pending or waitlisted registrations can be rejected.*"),
        N_("Only registrations waiting for approval or on the waiting list can be rejected: cancel this one instead."),
    ),
    (re.compile(r"must be in the future"), N_("must be in the future")),
    (
        re.compile(r"code '(?P<code>[^']+)' already exists for this event"),
        N_("This event already has the access code {code}: choose another one."),
    ),
    (
        re.compile(r"0 members are registered; choose at least 1"),
        N_("A delegation has at least one seat, for its head."),
    ),
    (
        re.compile(r"(?P<used>\d+) members are registered; choose at least (?P<least>\d+)"),
        N_("{used} members are registered; choose at least {least}"),
    ),
    (
        re.compile(r"this person is already registered for this event"),
        N_("This person is already registered for this event."),
    ),
    (
        re.compile(
            r"all (?P<quota>\d+) seats of this delegation are used: substitute a member instead, or ask the organizers "
            r"for more seats"
        ),
        N_("All {quota} seats of your delegation are taken: replace a member instead, or ask the organizers for more."),
    ),
    (
        re.compile(r"the head of delegation cannot be substituted here; ask the organizers"),
        N_("The head of the delegation cannot be replaced here: ask the organizers."),
    ),
    (
        re.compile(r"this manage link does not belong to a head of delegation"),
        N_("This link does not belong to the head of a delegation."),
    ),
    (
        re.compile(r"the head of delegation's own registration is no longer active"),
        N_("Your own registration as head of the delegation is no longer active, so you cannot manage the delegation."),
    ),
    (
        re.compile(r"delegation member not found"),
        N_("This person is no longer a member of your delegation: reload the page."),
    ),
    (
        re.compile(r"this category is for member governments; your organization is a partner.*"),
        N_(
            "This category is only for member governments, and this organization is a partner: choose a partner "
            "category."
        ),
    ),
    (
        re.compile(r"your organization's membership is \S+: only active members may use this category"),
        N_("This category is only for active members, and the membership of this organization is not active."),
    ),
    (
        re.compile(r"this category is for partner organizations; member governments register as delegates"),
        N_("This category is only for partner organizations: a member government registers in a delegate category."),
    ),
    (
        re.compile(r"this category is by invitation only.*"),
        N_(
            "This category is by invitation only: register with the invitation link you received, or give an access "
            "code."
        ),
    ),
    (
        re.compile(r"your invitation or code is for another category.*"),
        N_("Your invitation or access code is for another category: choose that category."),
    ),
    (
        re.compile(r"this event is not open for registration \(it is not published\)"),
        N_("This event is not open for registration: it is not published."),
    ),
    (
        re.compile(
            r"registration opens at (?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)T(?P<time>\d\d:\d\d)"
            r"(?::\d\d(?:\.\d+)?)?(?:Z|\+00:00|(?P<offset>[+-]\d\d:\d\d))?"
        ),
        N_("Registration opens on {year}-{month}-{day} at {time} (UTC{offset})."),
    ),
    (
        re.compile(
            r"registration closed at (?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)T(?P<time>\d\d:\d\d)"
            r"(?::\d\d(?:\.\d+)?)?(?:Z|\+00:00|(?P<offset>[+-]\d\d:\d\d))?"
        ),
        N_("Registration closed on {year}-{month}-{day} at {time} (UTC{offset})."),
    ),
    (
        re.compile(r"this event is cancelled: its registrations can no longer take seats or places"),
        N_("This event is cancelled: its registrations can no longer take seats or places."),
    ),
    (
        re.compile(r"this event is \S+: its registrations can no longer take seats or places"),
        N_("This event is not published: its registrations cannot take seats or places."),
    ),
    # ---- check-in, announcements
    (
        re.compile(r"your account is not check-in staff of this event"),
        N_("Your account is not on the check-in staff of this event: ask its organizers to add you."),
    ),
    (
        re.compile(r"type at least (?P<count>\d+) characters of the name or the organization"),
        N_("Type at least {count} characters of the name or the organization."),
    ),
    (
        re.compile(r"no active account has this (?:address|email)[:;] create the account first"),
        N_("No account uses this email address: create the account first."),
    ),
    (re.compile(r"this announcement has already been sent"), N_("This announcement has already been sent.")),
    (
        re.compile(r"name the category \(its code or id\)"),
        N_("Choose the category that receives the announcement."),
    ),
    (
        re.compile(r"name the delegation \(its code or id\)|give the delegation's numeric id"),
        N_("Choose the delegation that receives the announcement."),
    ),
    (
        re.compile(r"name the session \(its code or id\)|give the session's numeric id"),
        N_("Choose the session that receives the announcement."),
    ),
    (re.compile(r"no session with this id in this event"), N_("Choose a session of this event from the list.")),
    # ---- meetings of pilot projects: series, occurrences, records, cohort
    (
        re.compile(r"this project is cancelled: no new meetings can start in it"),
        N_("This pilot project is cancelled: no new meetings can be created in it."),
    ),
    (re.compile(r"this project is cancelled already"), N_("This pilot project is already cancelled.")),
    (re.compile(r"this meeting series is cancelled"), N_("This series of meetings is cancelled.")),
    (
        re.compile(r"occurrence \S+ is cancelled"),
        N_("This meeting is cancelled, so it can no longer be changed."),
    ),
    (re.compile(r"the meeting \S+ is cancelled"), N_("This meeting is cancelled.")),
    (
        re.compile(r"say what changes: starts_at \(and ends_at\), location or online_url"),
        N_("Nothing changed: change the time or the place first."),
    ),
    (
        re.compile(
            r"overlaps occurrence (?P<year>\d{4})(?P<month>\d\d)(?P<day>\d\d)T(?P<hour>\d\d)(?P<minute>\d\d)\d\dZ of "
            r"the same series; move or cancel that one first"
        ),
        N_(
            "overlaps occurrence {year}-{month}-{day} at {hour}:{minute} UTC of this series: move or cancel that "
            "meeting first"
        ),
    ),
    (
        re.compile(r"overlaps occurrence \S+ of the same series; move or cancel that one first"),
        N_("overlaps another occurrence of this series: move or cancel that meeting first"),
    ),
    (
        re.compile(r"the rule yields no occurrence after the start.*"),
        N_(
            "With these repeat settings no meeting falls on or after the first one: check the date of the last meeting."
        ),
    ),
    (
        re.compile(r"the rule yields more than (?P<count>\d+) occurrences.*"),
        N_(
            "These repeat settings give more than {count} meetings: choose fewer meetings or an earlier date for the "
            "last one."
        ),
    ),
    (
        re.compile(r"a series may span at most five years.*"),
        N_("A series may last at most five years: choose an earlier date for the last meeting."),
    ),
    (
        re.compile(r"this meeting is cancelled: nobody can be recorded as present"),
        N_("This meeting is cancelled: nobody can be recorded as present."),
    ),
    (
        re.compile(r"people \[[\d, ]*\] were never invited to this series"),
        N_("Only people invited to this series can be recorded as present."),
    ),
    (re.compile(r"must be accepted, declined or tentative"), N_("Choose one of the options.")),
    (
        re.compile(r"line (?P<number>\d+): the minutes must be a whole number"),
        N_("line {number}: the minutes must be a whole number"),
    ),
    (
        re.compile(r"the part before the @ is too long for calendar replies.* at most (?P<count>\d+) characters"),
        N_(
            "The part before the @ is too long: calendar replies come back to an address built on it, so it may "
            "have at most {count} characters."
        ),
    ),
    (
        re.compile(r"this organization is not in the cohort.*"),
        N_("This organization is not in the cohort yet: add it to the cohort first."),
    ),
    (
        re.compile(r"your account does not coordinate this pilot project"),
        N_("Your account is not one of the coordinators of this pilot project."),
    ),
    (
        re.compile(r"this invitation was withdrawn \(you are no longer a contact of the project\).*"),
        N_(
            "This invitation was withdrawn: you are no longer a contact of the project, so the link no longer records "
            "answers."
        ),
    ),
    # ---- passwords, logins and limits
    (
        re.compile(r"must be at least (?P<count>\d+) characters long; a few unrelated words make a good password"),
        N_("must be at least {count} characters long; a few unrelated words make a good password"),
    ),
    (
        re.compile(r"is too easy to guess: it repeats the same characters"),
        N_("is too easy to guess: it repeats the same characters"),
    ),
    (
        re.compile(r"is one of the most common passwords and would be guessed quickly; choose another"),
        N_("is one of the most common passwords and would be guessed quickly; choose another one"),
    ),
    (re.compile(r"must not be your email address"), N_("must not be your email address")),
    (
        re.compile(r"this password reset link has expired or was already used.*"),
        N_("This link to choose a new password has expired or was already used: ask for a new one."),
    ),
    (re.compile(r"has expired or was already used"), N_("has expired or was already used")),
    (
        re.compile(r"too many failed logins for this account; try again in (?P<seconds>\d+) s"),
        N_("Too many failed logins for this account: try again in {seconds} seconds."),
    ),
    (
        re.compile(r"too many .+; try again in (?P<seconds>\d+) s"),
        N_("Too many attempts: try again in {seconds} seconds."),
    ),
]
# A route named in a message the rules do not know: the part that names it is left out.
ROUTE_HINT = re.compile(
    r"\s*(?:\((?:[^()]*?)/api/[^()]*\)|[:;,]?\s*(?:see|with|at|from)?\s*(?:GET|POST|PATCH|PUT|DELETE) /api/\S*)"
)

# The detail of a refused input names each field before its problem ("ends_at: must be after starts_at; capacity:
# ..."); a page that shows the detail (an action that failed, a session moved on the grid) shows each problem in
# words, after the field's label when the words need one ("must be after the start").
FIELD = r"[a-z][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z0-9_]+(?:\[\d+\])?)*"
FIELD_PROBLEM = re.compile(rf"(?P<field>{FIELD}): (?P<problem>.+)", re.S)
NEXT_FIELD = re.compile(rf"; (?={FIELD}: )")
FIELD_LABELS = {
    "starts_at": N_("Starts"),
    "ends_at": N_("Ends"),
    "room_id": N_("Room"),
    "track_id": N_("Track"),
    "capacity": N_("Places"),
    "title": N_("Title"),
    "kind": N_("Kind"),
    "language": N_("Language"),
    "status": N_("Status"),
    "online_url": N_("Online link"),
    "category": N_("Category"),
    "seats": N_("Seats"),
    "name": N_("Name"),
    "email": N_("Email"),
    "timezone": N_("Time zone"),
    "location": N_("Location"),
    "subject": N_("Subject"),
    "body": N_("Message"),
    "minutes": N_("Minutes"),
}


def human(message: str) -> str:
    """The page's words for a service message (a PageText when a rule knows it), never naming a route."""
    if isinstance(message, PageText) or not message:
        return message
    for pattern, text in RULES:
        found = pattern.fullmatch(message)
        if found:
            return PageText(text, **found.groupdict(""))
    by_field = _field_problems(message)
    if by_field is not None:
        return by_field
    if "/api/" in message:
        return ROUTE_HINT.sub("", message).rstrip(" :;,")
    return message


def _field_problems(message: str) -> PageText | None:
    """The problems of a detail that names fields, each in words (None when the message names no field first)."""
    shown: list[PageText] = []
    for part in NEXT_FIELD.split(message):
        found = FIELD_PROBLEM.fullmatch(part)
        if found is None:
            return None
        problem = human(found["problem"])
        known = isinstance(problem, PageText)  # a rule's words: a whole sentence unless they begin in lower case
        problem = problem if isinstance(problem, PageText) else PageText(problem)
        label = FIELD_LABELS.get(found["field"].rsplit(".", 1)[-1])
        if not known or problem.template[:1].islower():  # a problem that needs its field's name
            # A field without a label keeps the name the request gave it (the desk's "scans", a form's own field).
            field = PageText(label) if label else found["field"]
            problem = PageText(N_("{field}: {problem}"), field=field, problem=problem)
        shown.append(problem)
    words = shown[-1]
    for earlier in reversed(shown[:-1]):
        words = PageText(N_("{first}; {then}"), first=earlier, then=words)
    return words
