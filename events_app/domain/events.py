"""Rules for an event's own fields: what a valid event is and where it is. Which changes its attendees must hear
about is domain.invite_shows: whatever its invite (built from these fields) shows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from events_app.domain.errors import FieldError
from events_app.domain.vocab import EVENT_KINDS, is_country, is_time_zone

DATETIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")


def localize(value: datetime | None, tzid: str) -> datetime | None:
    """A time without offset is wall-clock time in the event's zone; one with an offset is kept as that instant."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo(tzid))


def validate_event(fields: Mapping[str, Any]) -> list[FieldError]:
    """Every problem with a complete set of event fields (after a PATCH is merged), in field order."""
    errors: list[FieldError] = []
    if not str(fields.get("title") or "").strip():
        errors.append(FieldError("title", "must not be empty"))
    if fields.get("kind") not in EVENT_KINDS:
        errors.append(FieldError("kind", f"must be one of {', '.join(EVENT_KINDS)}"))
    tzid = fields.get("timezone") or ""
    if not is_time_zone(tzid):
        errors.append(
            FieldError(
                "timezone",
                f"unknown time zone {tzid!r}: use an IANA name such as 'Europe/Berlin' or 'America/Sao_Paulo'",
            )
        )
    starts, ends = fields.get("starts_at"), fields.get("ends_at")
    if starts and ends and ends <= starts:
        errors.append(FieldError("ends_at", "must be after starts_at"))
    opens, closes = fields.get("registration_opens_at"), fields.get("registration_closes_at")
    if opens and closes and closes <= opens:
        errors.append(FieldError("registration_closes_at", "must be after registration_opens_at"))
    if closes and ends and closes > ends:
        errors.append(FieldError("registration_closes_at", "must not be after the event ends (ends_at)"))
    country = fields.get("country")
    if country and not is_country(country):
        errors.append(FieldError("country", f"unknown country code {country!r}: use ISO 3166 alpha-2, e.g. 'KR'"))
    online = fields.get("online_url") or ""
    if online and not online.startswith(("https://", "http://")):
        errors.append(FieldError("online_url", "must be an http(s) URL"))
    if fields.get("waitlist_mode", "auto") not in ("auto", "offer"):
        errors.append(FieldError("waitlist_mode", "must be 'auto' (promote at once) or 'offer' (time-limited offer)"))
    if not 1 <= (fields.get("offer_hours") or 48) <= 720:
        errors.append(FieldError("offer_hours", "must be between 1 and 720 hours"))
    delay = fields.get("update_delay_minutes")
    if delay is not None and not 0 <= delay <= 1440:
        errors.append(FieldError("update_delay_minutes", "must be between 0 and 1440 minutes"))
    hours = fields.get("reminder_hours")
    if isinstance(hours, list) and (len(hours) > 5 or any(not isinstance(h, int) or not 1 <= h <= 720 for h in hours)):
        errors.append(
            FieldError("reminder_hours", "give at most 5 whole numbers of hours between 1 and 720, e.g. [24, 2]")
        )
    reply_to = fields.get("reply_to") or ""
    if reply_to and ("@" not in reply_to or " " in reply_to.strip()):
        errors.append(FieldError("reply_to", "must be an email address"))
    capacity = fields.get("capacity")
    if capacity is not None and capacity < 1:
        errors.append(FieldError("capacity", "must be at least 1, or null for no event-wide limit"))
    return errors


def location_text(venue_name: str, venue_address: str, city: str, country_name: str, online_url: str) -> str:
    """The LOCATION people see: the venue when there is one, otherwise the online link."""
    parts = [p for p in (venue_name, venue_address, city, country_name) if p]
    return ", ".join(parts) if parts else online_url
