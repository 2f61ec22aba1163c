"""The fixed vocabularies of the network: organization kinds, event kinds, statuses, languages.

Each vocabulary is one StrEnum. API schemas use the enums as field types, pages and templates iterate them, and the
database's CHECK constraints list the same values (tests/integration/test_vocabulary.py compares them).
"""

from __future__ import annotations

import functools
import zoneinfo
from enum import StrEnum

import pycountry
from babel import Locale
from pycountry_convert import country_alpha2_to_continent_code


class OrganizationKind(StrEnum):
    """Members are local governments; everyone else in the network is a partner."""

    CITY = "city"
    TOWN = "town"
    METROPOLIS = "metropolis"
    REGION = "region"
    COUNTY = "county"
    PREFECTURE = "prefecture"
    MUNICIPALITY = "municipality"
    NATIONAL_GOVERNMENT = "national_government"
    INTERNATIONAL_AGENCY = "international_agency"
    ACADEMIC = "academic"
    COMPANY = "company"
    FOUNDATION = "foundation"
    NGO = "ngo"
    ASSOCIATION = "association"


class MembershipStatus(StrEnum):
    ACTIVE = "active"
    LAPSED = "lapsed"
    NONE = "none"


class EventKind(StrEnum):
    CONGRESS = "congress"
    FORUM = "forum"
    MEETING = "meeting"
    WEBINAR = "webinar"


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class WaitlistMode(StrEnum):
    AUTO = "auto"  # promote the next person at once
    OFFER = "offer"  # send them a time-limited offer


class Eligibility(StrEnum):
    ANYONE = "anyone"
    MEMBERS = "members"
    PARTNERS = "partners"
    INVITATION = "invitation"


class RegistrationStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    OFFERED = "offered"  # holds a seat until the waiting-list offer expires
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class QuestionKind(StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    COUNTRY = "country"
    DATE = "date"


class SessionKind(StrEnum):
    PLENARY = "plenary"
    PANEL = "panel"
    WORKSHOP = "workshop"
    TALK = "talk"
    SIDE_EVENT = "side_event"
    SITE_VISIT = "site_visit"
    NETWORKING = "networking"
    BREAK = "break"


class SessionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class RemovedSessions(StrEnum):
    """What a schedule import does with the event's sessions that the file no longer lists."""

    KEEP = "keep"
    CANCEL = "cancel"


class SessionRole(StrEnum):
    SPEAKER = "speaker"
    MODERATOR = "moderator"
    PANELIST = "panelist"


class BookingStatus(StrEnum):
    BOOKED = "booked"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class MeetingMode(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class SeriesStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class ProjectStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class PartStat(StrEnum):
    """A meeting invitee's answer, as iCalendar writes it (RFC 5545 PARTSTAT)."""

    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    TENTATIVE = "TENTATIVE"


class DecisionStatus(StrEnum):
    """Where an attendee's proposal of another time or a delegation stands: the coordinators decide."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class AnnouncementStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"


MEMBER_KINDS = (
    OrganizationKind.CITY,
    OrganizationKind.TOWN,
    OrganizationKind.METROPOLIS,
    OrganizationKind.REGION,
    OrganizationKind.COUNTY,
    OrganizationKind.PREFECTURE,
    OrganizationKind.MUNICIPALITY,
)
PARTNER_KINDS = tuple(kind for kind in OrganizationKind if kind not in MEMBER_KINDS)
EVENT_KINDS = tuple(EventKind)
REGISTRATION_STATUSES = tuple(RegistrationStatus)
ELIGIBILITIES = tuple(Eligibility)

LANGUAGES = ("en", "es")  # languages whose templates are complete


@functools.cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: str) -> bool:
    return name in time_zones()


def is_country(code: str) -> bool:
    return len(code) == 2 and code.isalpha() and code.isupper() and pycountry.countries.get(alpha_2=code) is not None


@functools.lru_cache(maxsize=512)
def country_name(code: str | None) -> str:
    country = pycountry.countries.get(alpha_2=code) if code else None
    return country.name if country else ""


# The continent a country is in (pycountry-convert's continent codes), as the CLDR region whose name Babel knows in
# every language: the regions the network reports attendance by.
CONTINENT_REGIONS = {"AF": "002", "AS": "142", "EU": "150", "NA": "003", "SA": "005", "OC": "009", "AN": "AQ"}


@functools.lru_cache(maxsize=512)
def region_of(country: str | None) -> str:
    """The CLDR region code of a country's continent ('' when unknown or not a country)."""
    try:
        return CONTINENT_REGIONS[country_alpha2_to_continent_code(country)] if country else ""
    except KeyError:
        return ""


def region_name(code: str, language: str = "en") -> str:
    return Locale.parse(language).territories.get(code, "") if code else ""
