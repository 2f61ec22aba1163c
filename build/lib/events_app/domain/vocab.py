"""The fixed vocabularies of the network: organization kinds, event kinds, statuses, languages."""
from __future__ import annotations

import functools
import zoneinfo

import pycountry

MEMBER_KINDS = ("city", "town", "metropolis", "region", "county", "prefecture", "municipality")
PARTNER_KINDS = ("national_government", "international_agency", "academic", "company", "foundation", "ngo",
                 "association")
ORGANIZATION_KINDS = MEMBER_KINDS + PARTNER_KINDS
MEMBERSHIP_STATUSES = ("active", "lapsed", "none")

EVENT_KINDS = ("congress", "forum", "meeting", "webinar")
EVENT_STATUSES = ("draft", "published", "cancelled")

REGISTRATION_STATUSES = ("pending", "confirmed", "waitlisted", "cancelled", "rejected")
ACTIVE_REGISTRATION_STATUSES = ("pending", "confirmed", "waitlisted")

ELIGIBILITIES = ("anyone", "members", "partners", "invitation")

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
