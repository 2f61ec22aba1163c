"""Who may register, what status a registration takes, and who moves up the waiting list.

Pure: callers read counters under the event row's lock and pass them in; these functions decide. A seat is held by
a registration that is confirmed or holds an open waiting-list offer (SEAT_HOLDING); `taken` counts those.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from events_app.domain.errors import Conflict, FieldError, InvalidInput
from events_app.domain.vocab import MEMBER_KINDS, PARTNER_KINDS, RegistrationStatus

SEAT_HOLDING = (RegistrationStatus.CONFIRMED.value, RegistrationStatus.OFFERED.value)
# Statuses that keep a person in an event (one active registration per person and event); the rest are final.
ACTIVE = (RegistrationStatus.PENDING.value, *SEAT_HOLDING, RegistrationStatus.WAITLISTED.value)


def seat_free(limit: int | None, taken: int) -> bool:
    """The capacity check, for every limit (event capacity, category quota, session capacity, delegation seats):
    a seat is free while fewer than `limit` are taken; no limit (None) means always."""
    return limit is None or taken < limit


def seats_left(limit: int | None, taken: int) -> int | None:
    """Seats still free under a limit (never negative); None when there is no limit."""
    return None if limit is None else max(limit - taken, 0)


def event_full(event_left: int | None, category_left: Iterable[int | None]) -> bool:
    """No seat is free: the event's capacity is reached, or every category's quota is (new registrations then go to
    the waiting list). An event without categories is full only by its capacity."""
    lefts = list(category_left)
    return event_left == 0 or (bool(lefts) and all(left == 0 for left in lefts))


def limit_below_taken(limit: int | None, taken: int) -> bool:
    """A new limit lower than the seats already taken (refused: nobody loses a confirmed seat to a smaller limit)."""
    return limit is not None and limit < taken


@dataclass(frozen=True)
class Seats:
    """Counters read under the event row's lock."""

    event_capacity: int | None
    event_taken: int
    category_quota: int | None
    category_taken: int

    @property
    def available(self) -> bool:
        return seat_free(self.event_capacity, self.event_taken) and seat_free(self.category_quota, self.category_taken)


def check_registration_open(
    status: str, opens_at: datetime | None, closes_at: datetime | None, now: datetime, field: str = "event"
) -> None:
    """Raise Conflict unless registrations are accepted at `now` (used for the event and for a category)."""
    if status != "published":
        raise Conflict("this event is not open for registration (it is not published)", field)
    if opens_at is not None and now < opens_at:
        raise Conflict(f"registration opens at {opens_at.isoformat()}", field)
    if closes_at is not None and now >= closes_at:
        raise Conflict(f"registration closed at {closes_at.isoformat()}", field)


def check_event_live(status: str, field: str = "event") -> None:
    """Raise Conflict unless the event is published: in a cancelled (or unpublished) event no seat, offer, member
    or session place is taken any more, whatever the link (the public form checks the same with its windows)."""
    if status != "published":
        raise Conflict(f"this event is {status}: its registrations can no longer take seats or places", field)


def check_eligibility(eligibility: str, org_kind: str | None, membership_status: str | None, unlocked: bool) -> None:
    """Raise InvalidInput naming organization_id (or invitation) unless the registrant may use the category.

    An invitation or access code for the category (`unlocked`) admits anyone: the organizer chose them.
    """
    if unlocked or eligibility == "anyone":
        return
    if eligibility == "invitation":
        raise InvalidInput(
            [
                FieldError(
                    "invitation",
                    "this category is by invitation only: register with the "
                    "invitation link you received, or give an access code",
                )
            ]
        )
    if org_kind is None:
        raise InvalidInput(
            [
                FieldError(
                    "organization_id",
                    f"this category is for {eligibility} of the network: give the id of your organization",
                )
            ]
        )
    if eligibility == "members":
        if org_kind not in MEMBER_KINDS:
            raise InvalidInput(
                [
                    FieldError(
                        "organization_id",
                        "this category is for member governments; your "
                        "organization is a partner: choose a partner category",
                    )
                ]
            )
        if membership_status != "active":
            raise InvalidInput(
                [
                    FieldError(
                        "organization_id",
                        f"your organization's membership is "
                        f"{membership_status}: only active members may use "
                        "this category",
                    )
                ]
            )
    elif eligibility == "partners" and org_kind not in PARTNER_KINDS:
        raise InvalidInput(
            [
                FieldError(
                    "organization_id",
                    "this category is for partner organizations; member governments register as delegates",
                )
            ]
        )


# Categories whose eligibility rests on belonging to the organization a registrant names.
MEMBERSHIP_ELIGIBILITIES = ("members", "partners")
# Addresses anyone can get: registering one of these for an organization would prove nothing.
OPEN_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.net",
        "gmx.de",
        "mail.com",
        "yandex.ru",
        "yandex.com",
        "mail.ru",
        "qq.com",
        "163.com",
        "126.com",
        "zoho.com",
        "web.de",
    }
)
_DOMAIN = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])$")


def normalize_domains(values: Iterable[str], field: str = "domains") -> tuple[list[str], list[FieldError]]:
    """An organization's email domains, cleaned (lower case, no '@', unique, sorted), and what is wrong with them.
    A domain anyone can get an address at (a public mail service) is refused: it would prove no membership."""
    clean: set[str] = set()
    errors: list[FieldError] = []
    for i, value in enumerate(values):
        domain = str(value).strip().lower().lstrip("@").rstrip(".")
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            pass  # refused below
        if not _DOMAIN.match(domain):
            errors.append(
                FieldError(
                    f"{field}[{i}]", f"{value!r} is not an email domain: give the part after '@', e.g. 'kisumu.go.ke'"
                )
            )
        elif domain in OPEN_MAIL_DOMAINS:
            errors.append(
                FieldError(
                    f"{field}[{i}]",
                    f"{domain} is a public mail service: anyone can have an "
                    "address there, so it cannot show membership",
                )
            )
        else:
            clean.add(domain)
    return sorted(clean), errors


def email_domain(email: str) -> str:
    """The address's domain as organizations' domains are kept (normalize_domains): lower case, in its ASCII
    (IDNA) form, so münchen.de in an address matches xn--mnchen-3ya.de on file."""
    domain = email.rsplit("@", 1)[-1].strip().lower().rstrip(".")
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def email_at_domains(email: str, domains: Sequence[str]) -> bool:
    """Whether the address is at one of the domains or at a subdomain of one (x@dept.kisumu.go.ke is at
    kisumu.go.ke)."""
    domain = email_domain(email)
    return any(domain == d or domain.endswith("." + d) for d in domains)


def membership_unproven(eligibility: str, unlocked: bool, email: str, organization_domains: Sequence[str]) -> bool:
    """Whether a registration that passed check_eligibility still needs an organizer to confirm that the
    registrant belongs to the organization they named: true in a members- or partners-only category unless the
    address is at one of that organization's registered email domains, or an invitation or access code (chosen by
    the organizers) was used. Such a registration is taken as pending, never confirmed automatically."""
    if unlocked or eligibility not in MEMBERSHIP_ELIGIBILITIES:
        return False
    return not email_at_domains(email, organization_domains)


def link_only_by_mail(eligibility: str, unlocked: bool) -> bool:
    """Whether a new registration's manage link goes only to the address, never back to whoever sent the form: in a
    members- or partners-only category entered without an invitation or access code, the address is what admits
    (its domain) or what the organizers will check, and anyone may type any address; opening the link mailed to it
    is the proof that the registrant holds it. Elsewhere the registration's link controls that registration only."""
    return eligibility in MEMBERSHIP_ELIGIBILITIES and not unlocked


def initial_status(seats: Seats, requires_approval: bool) -> str:
    """pending when an organizer must approve first; confirmed when a seat is free; otherwise waitlisted."""
    if requires_approval:
        return "pending"
    return "confirmed" if seats.available else "waitlisted"


def status_after_approval(seats: Seats) -> str:
    """Approval never exceeds a quota: past it, the approved registration joins the waiting list."""
    return "confirmed" if seats.available else "waitlisted"


@dataclass(frozen=True)
class Waiting:
    registration_id: int
    category_id: int


def plan_promotions(
    event_capacity: int | None, event_taken: int, categories: dict[int, tuple[int | None, int]], waitlist: list[Waiting]
) -> list[int]:
    """Registrations to move up, in waiting-list order, so that no seat stays free while someone could take it.

    `categories` maps category id to (quota, taken). Someone whose category is full does not block a person behind
    them in another category with free seats.
    """
    taken = {cid: t for cid, (_, t) in categories.items()}
    promoted: list[int] = []
    for waiting in waitlist:
        if not seat_free(event_capacity, event_taken):
            break
        if not seat_free(categories[waiting.category_id][0], taken[waiting.category_id]):
            continue
        promoted.append(waiting.registration_id)
        taken[waiting.category_id] += 1
        event_taken += 1
    return promoted


def check_quota(quota: int | None, taken: int, field: str = "quota") -> None:
    if limit_below_taken(quota, taken):
        raise InvalidInput(
            [
                FieldError(
                    field, f"{taken} seats are already taken; choose at least {taken}, or cancel registrations first"
                )
            ]
        )


def check_delegation_seat(seat_quota: int, active_members: int) -> None:
    if not seat_free(seat_quota, active_members):
        raise Conflict(
            f"all {seat_quota} seats of this delegation are used: substitute a member instead, or ask "
            "the organizers for more seats",
            "delegation",
        )
