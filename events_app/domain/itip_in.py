"""Reading what calendar clients send back (iTIP REPLY and COUNTER, RFC 5546), as they really write it.

Pure: bytes in, facts out. What clients do that this tolerates, each seen in the wild:
- the calendar part in another charset than UTF-8 (windows-1252, ISO-8859-1, UTF-16 with a BOM), base64 or
  quoted-printable, or 8bit with lines far over 1,000 octets (Outlook's X-ALT-DESC);
- Outlook and iOS copy the invite's DTSTAMP into their REPLY: DTSTAMP says which invite version was answered, never
  when the person answered (the order the system received answers decides);
- Exchange writes Windows zone names in TZID (icalendar maps them); floating times; RECURRENCE-ID as a DATE;
- a delegation (RFC 5546 4.2.5): the delegator's ATTENDEE with PARTSTAT=DELEGATED and DELEGATED-TO, often with
  the delegate's ATTENDEE (DELEGATED-FROM) in the same REPLY; the delegate's own REPLY names DELEGATED-FROM;
- Google's "propose a new time" is METHOD:COUNTER with the proposed DTSTART/DTEND; Outlook's COUNTER adds
  X-MS-OLK-ORIGINALSTART/END; iOS proposes with a METHOD:REPLY carrying the proposed times in X-properties whose
  name says PROPOSED, or other times than the invite's with a COMMENT;
- content lines the iCalendar grammar refuses, repaired before parsing (repair_lines): a double quote inside a
  quoted CN (`CN="Amara "Ama" Okafor"`, or escaped with a backslash), a TZID holding a URL without quotes
  (Microsoft 365's `TZID=tzone://Microsoft/Utc`); a UTC value (`...Z`) with a TZID is UTC (RFC 5545 3.3.5);
- an unquoted comma in CN (a name like `Okafor, Amara`), a DTSTART or DTSTAMP nobody can read (read as missing);
- RECURRENCE-ID;RANGE=THISANDFUTURE: the answer holds for that occurrence and every later one.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from icalendar.parser import Contentline
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from events_app.domain.vocab import is_time_zone

REPLY_PARTSTATS = ("ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED")
_PROPOSED_START = re.compile(r"^X-.*PROPOSED-?(START|DTSTART)$")
_PROPOSED_END = re.compile(r"^X-.*PROPOSED-?(END|DTEND)$")
_FOLD = re.compile(rb"\r?\n[ \t]")
# A quoted parameter value with double quotes inside: it ends at the quote followed by the next parameter or by the
# property's value (a URI such as mailto:).
_QUOTES_INSIDE = re.compile(r';([A-Za-z-]+)="(.*?)"(?=;[A-Za-z-]+=|:[A-Za-z][A-Za-z0-9+.-]*:)')
_URL_TZID = re.compile(r';TZID=([A-Za-z][A-Za-z0-9+.-]*://[^;:"]*)')
_TZID_PARAM = re.compile(r';TZID=(?:"[^"]*"|[^;:]*)')
# An address parameter written without quotes (its mailto: holds the colon that starts the property's value).
_BARE_ADDRESSES = re.compile(
    r";(DELEGATED-TO|DELEGATED-FROM|SENT-BY|MEMBER)=((?:mailto:[^;:,\"]+)(?:,mailto:[^;:,\"]+)*)(?=[;:])", re.IGNORECASE
)
_UTC_VALUE = re.compile(r"^(?:DTSTART|DTEND|DUE|RECURRENCE-ID)[;:].*:\d{8}T\d{6}Z$", re.IGNORECASE)
_UTC_NAMES = {"utc", "gmt", "z", "etc/utc", "etc/gmt", "coordinated universal time"}


def calendar_text(payload: bytes, charset: str | None) -> bytes:
    """The calendar part as UTF-8 bytes: decoded by its BOM, else its declared charset, else UTF-8, else
    windows-1252 (which decodes any byte); CR/LF line ends kept as they were."""
    return _decoded(payload, charset).replace("\x00", "").encode("utf-8")


def _decoded(payload: bytes, charset: str | None) -> str:
    """NUL characters are dropped by the caller: no client means them (a UTF-16 part sent without BOM or charset
    reads as text with a NUL after each letter), and the database refuses them in text."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if payload.startswith(bom):
            return payload.decode(name).lstrip("\ufeff")
    for name in (charset or "", "utf-8", "windows-1252"):
        if not name:
            continue
        try:
            return payload.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")


@dataclass(frozen=True)
class ReplyAttendee:
    email: str  # lowercased, without mailto:
    name: str
    partstat: str
    delegated_to: tuple[str, ...] = ()
    delegated_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class Proposal:
    """Times an attendee proposes instead (COUNTER, or an iOS-style REPLY): aware datetimes, or None if unreadable."""

    starts_at: datetime | None
    ends_at: datetime | None
    comment: str


@dataclass(frozen=True)
class InboundItem:
    """One VEVENT of an inbound REPLY or COUNTER, read."""

    method: str
    uid: str
    attendees: tuple[ReplyAttendee, ...]
    recurrence_id: object  # the RECURRENCE-ID value as icalendar read it (datetime, date) or None
    recurrence_tzid: str  # its TZID parameter, '' when none
    sequence: int | None
    dtstamp: datetime | None
    comment: str
    starts_at: object = None  # DTSTART as read (a proposal's time)
    ends_at: object = None
    proposal: Proposal | None = None
    x_props: dict[str, str] = field(default_factory=dict)
    this_and_future: bool = False  # RECURRENCE-ID;RANGE=THISANDFUTURE: that occurrence and every later one


def repair_lines(text: bytes) -> bytes:
    """The calendar text with the content lines clients write against the grammar repaired (module docstring);
    every other line as it came (unfolded: a parser reads long lines as well)."""
    lines = _FOLD.sub(b"", text).decode("utf-8", errors="replace").splitlines()
    out = []
    for line in lines:
        if _UTC_VALUE.match(line) and ";TZID=" in line.upper():
            line = _TZID_PARAM.sub("", _URL_TZID.sub("", line), count=1)  # a UTC time is UTC, whatever TZID says
        # Parameter values holding a colon without quotes: the parser would take the colon as the value's start.
        line = _BARE_ADDRESSES.sub(lambda m: f";{m[1]}=" + ",".join(f'"{a}"' for a in m[2].split(",")), line)
        line = _URL_TZID.sub(lambda m: f';TZID="{m[1]}"', line)
        if '"' in line:
            try:
                Contentline(line).parts()  # type: ignore[no-untyped-call]
            except Exception:  # noqa: BLE001 - the grammar refuses it: quotes inside a quoted value
                line = _QUOTES_INSIDE.sub(
                    lambda m: f';{m[1]}="{m[2].replace(chr(92) + chr(34), chr(39)).replace(chr(34), chr(39))}"', line
                )
        out.append(line)
    return ("\r\n".join(out) + "\r\n").encode()


def _dt(prop: Any) -> Any:
    """A property's date or date-time; None when the value cannot be read (icalendar keeps it as broken)."""
    try:
        return getattr(prop, "dt", None)
    except Exception:  # noqa: BLE001 - a broken value reads as missing
        return None


def _text(value: Any) -> str:
    """A parameter's text: an unquoted comma (`CN=Okafor, Amara`) makes a list of its pieces."""
    return ",".join(str(v) for v in value) if isinstance(value, list) else str(value or "")


def _email(value: Any) -> str:
    text = str(value or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if "<" in text and ">" in text:  # `mailto:Name <addr>` and `mailto:<addr>`, as some generators write it
        text = parseaddr(text)[1] or text
    return text.strip().lower()


def _address(value: Any) -> str:
    """A calendar user's address: the mailto: URI, or (Apple, SabreDAV, CalDAV servers write `urn:uuid:...` or a
    principal URL as the URI) the EMAIL parameter (RFC 7986) when the URI is no email address."""
    email = _email(value)
    if "@" in email and ":" not in email:
        return email
    other = _email(getattr(value, "params", {}).get("EMAIL", ""))
    return other if "@" in other else email


def _known_zone(tzid: str) -> tzinfo | None:
    """A zone known by name: an Olson name or a Windows name (Exchange), never a definition some earlier message
    brought (icalendar caches every VTIMEZONE it reads process-wide, first one wins)."""
    name = tzid.strip().strip('"').strip("/")
    for candidate in (name, WINDOWS_TO_OLSON.get(name)):
        zone = _zoneinfo(candidate)
        if zone is not None:
            return zone
    return None


def _zoneinfo(name: str | None) -> tzinfo | None:
    return ZoneInfo(name) if name and is_time_zone(name) else None


def _guessed_zone(tzid: str) -> tzinfo | None:
    """A "globally unique" TZID (`/freeassociation.sourceforge.net/Europe/Berlin`, libical, Evolution, older
    Lightning) whose message brought no VTIMEZONE: the Olson name at its end."""
    parts = tzid.strip().strip('"').strip("/").split("/")
    if not tzid.strip().strip('"').startswith("/"):
        return None
    for first in range(1, len(parts)):
        zone = _zoneinfo("/".join(parts[first:]))
        if zone is not None and "/" in "/".join(parts[first:]):
            return zone
    return None


def _own_zones(cal: icalendar.Calendar) -> dict[str, tzinfo]:
    """The zones this message defines itself (VTIMEZONE), built fresh: not looked up in icalendar's cache."""
    zones: dict[str, tzinfo] = {}
    for component in cal.walk("VTIMEZONE"):
        tzid = str(component.get("TZID", "")).strip()
        if not tzid or tzid in zones or not isinstance(component, icalendar.Timezone):
            continue
        try:
            zones[tzid] = component.to_tz(lookup_tzid=False)
        except Exception:  # noqa: BLE001, S112 - a broken VTIMEZONE: its times stay unplaceable
            continue
    return zones


def _zoned(prop: Any, own: dict[str, tzinfo]) -> Any:
    """A DATE-TIME property's value with its TZID read by this message alone: a known zone name (Olson, Windows),
    else the message's own VTIMEZONE of that TZID, else it stays naive (unknown zone). A value without TZID (UTC,
    floating, DATE) is icalendar's."""
    value = _dt(prop)
    tzid = str(getattr(prop, "params", {}).get("TZID", "") or "").strip() if prop is not None else ""
    if not tzid or not isinstance(value, datetime):
        return value
    wall = value.replace(tzinfo=None)
    utc = timezone.utc if tzid.strip('"').rsplit("/", 1)[-1].lower() in _UTC_NAMES else None
    zone = utc or _known_zone(tzid) or own.get(tzid) or own.get(tzid.strip('"')) or _guessed_zone(tzid)
    return wall.replace(tzinfo=zone) if zone is not None else wall


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else ([value] if value is not None else [])


def _param_addresses(params: Any, name: str) -> tuple[str, ...]:
    raw = params.get(name)
    if raw is None:
        return ()
    values = raw if isinstance(raw, list) else str(raw).split(",")
    return tuple(a for a in (_email(v.strip().strip('"')) for v in values) if a)


def _aware(value: Any) -> datetime | None:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    return None


def read_items(cal: icalendar.Calendar, default_method: str = "") -> list[InboundItem]:
    """Every VEVENT of a REPLY or COUNTER as facts (a malformed property reads as missing, never raises).

    `default_method` is the MIME part's method parameter, for the clients that leave METHOD out of the object.
    Times with a TZID are read with this message's own zones only (see _zoned)."""
    method = str(cal.get("METHOD", "") or default_method).strip().upper()
    own_zones = _own_zones(cal)
    items = []
    for vevent in cal.walk("VEVENT"):
        attendees = []
        for att in _list(vevent.get("ATTENDEE")):
            params = getattr(att, "params", {})
            attendees.append(
                ReplyAttendee(
                    email=_address(att),
                    name=_text(params.get("CN", "")),
                    partstat=_text(params.get("PARTSTAT", "")).strip().upper(),
                    delegated_to=_param_addresses(params, "DELEGATED-TO"),
                    delegated_from=_param_addresses(params, "DELEGATED-FROM"),
                )
            )
        rid = vevent.get("RECURRENCE-ID")
        rid_value = _zoned(rid, own_zones) if rid is not None else None
        rid_tzid = str(getattr(rid, "params", {}).get("TZID", "")) if rid is not None else ""
        rid_range = str(getattr(rid, "params", {}).get("RANGE", "")).strip().upper() if rid is not None else ""
        try:
            sequence = int(vevent.get("SEQUENCE")) if vevent.get("SEQUENCE") is not None else None
        except (TypeError, ValueError):
            sequence = None
        stamp = vevent.get("DTSTAMP")
        comment = " ".join(str(c) for c in _list(vevent.get("COMMENT"))).strip()
        x_props = {str(k).upper(): v for k, v in vevent.items() if str(k).upper().startswith("X-")}
        start = _zoned(vevent.get("DTSTART"), own_zones)
        end = _zoned(vevent.get("DTEND"), own_zones)
        proposal = None
        if method == "COUNTER":
            proposal = Proposal(_aware(start), _aware(end), comment)
        else:
            p_start = next((v for k, v in x_props.items() if _PROPOSED_START.match(k)), None)
            p_end = next((v for k, v in x_props.items() if _PROPOSED_END.match(k)), None)
            if p_start is not None:
                proposal = Proposal(_aware(_x_datetime(p_start)), _aware(_x_datetime(p_end)), comment)
        items.append(
            InboundItem(
                method=method,
                uid=str(vevent.get("UID", "")).strip(),
                attendees=tuple(attendees),
                recurrence_id=rid_value,
                recurrence_tzid=rid_tzid,
                sequence=sequence,
                this_and_future=rid_range == "THISANDFUTURE",
                dtstamp=_aware(_dt(stamp)),
                comment=comment,
                starts_at=start,
                ends_at=end,
                proposal=proposal,
                x_props={k: str(v) for k, v in x_props.items()},
            )
        )
    return items


def _x_datetime(value: Any) -> datetime | None:
    """An X-property holding a UTC date-time (icalendar keeps unknown properties as text): 20270302T130000Z."""
    raw = value.to_ical() if hasattr(value, "to_ical") else value
    text = (raw.decode() if isinstance(raw, bytes) else str(raw)).strip()
    try:
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def proposal_in_reply(item: InboundItem, sent_start: datetime, sent_end: datetime) -> Proposal | None:
    """An iOS-style proposal inside a REPLY: explicit PROPOSED X-properties, or other times than the ones the
    invite holds together with a COMMENT (a plain REPLY echoes the invite's times)."""
    if item.proposal is not None:
        return item.proposal
    start, end = _aware(item.starts_at), _aware(item.ends_at)
    if item.comment and start is not None and (start != sent_start or (end is not None and end != sent_end)):
        return Proposal(start, end or start + (sent_end - sent_start), item.comment)
    return None


class UnplacedOccurrence(LookupError):
    """The RECURRENCE-ID cannot be tied to exactly one occurrence: nothing may change. `code` is bad-occurrence
    when it names a time the series has no occurrence at, unplaced when which time it names cannot be told."""

    def __init__(self, message: str, code: str = "unplaced") -> None:
        super().__init__(message)
        self.code = code


def place_occurrence(item: InboundItem, occurrence_starts: list[datetime], series_tzid: str) -> datetime | None:
    """The original start (UTC) of the occurrence a REPLY answers; None when it answers the whole series.

    A time with a zone (Windows zone names are mapped by icalendar) or in UTC names its instant; a floating time
    without TZID is read in the series' zone; a DATE names the one occurrence of that day in the series' zone.
    Anything else -- a TZID nobody knows, a day with no or two occurrences, a time that is not an occurrence --
    raises UnplacedOccurrence: an answer for one meeting must never become an answer for all of them."""
    value = item.recurrence_id
    if value is None:
        return None
    zone = ZoneInfo(series_tzid)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            if item.recurrence_tzid:
                raise UnplacedOccurrence(f"RECURRENCE-ID in an unknown time zone {item.recurrence_tzid!r}")
            value = value.replace(tzinfo=zone)
        start = value.astimezone(timezone.utc)
        if start in occurrence_starts:
            return start
        raise UnplacedOccurrence(
            f"RECURRENCE-ID {start:%Y%m%dT%H%M%SZ} is not an occurrence of this series", "bad-occurrence"
        )
    if isinstance(value, date):
        same_day = [s for s in occurrence_starts if s.astimezone(zone).date() == value]
        if len(same_day) == 1:
            return same_day[0]
        raise UnplacedOccurrence(f"RECURRENCE-ID {value:%Y%m%d} names {len(same_day)} occurrences of this series")
    raise UnplacedOccurrence("RECURRENCE-ID is unreadable")


def answering_attendee(
    item: InboundItem, hints: Sequence[str] = ()
) -> tuple[ReplyAttendee | None, ReplyAttendee | None, str]:
    """Who answers in this VEVENT and, for a delegation, who was delegated to: (answerer, delegate, error).

    One ATTENDEE: it answers. Two: a delegation pair (a DELEGATED attendee and the one it DELEGATED-TO, RFC 5546
    4.2.5). Some clients (Lotus Notes, Yahoo, Zimbra and Exchange in some versions) copy every ATTENDEE of the
    invite into their REPLY: then the answer is the one ATTENDEE whose address is a hint -- the invitation's own
    address first (what the reply token proves), then the message's sender -- and the others' PARTSTATs are
    ignored. Anything else is an error text."""
    atts = tuple(a for i, a in enumerate(item.attendees) if a not in item.attendees[:i])  # the same line twice
    if len(atts) == 1:
        return atts[0], None, ""
    if len(atts) == 2:
        for a, b in (atts, atts[::-1]):
            if a.partstat == "DELEGATED" and (b.email in a.delegated_to or a.email in b.delegated_from):
                return a, b, ""
    for hint in (h.strip().lower() for h in hints):
        if not hint:
            continue
        named = [a for a in atts if a.email == hint]
        if len({a.partstat for a in named}) == 1:
            answerer = named[0]
            delegate = next(
                (
                    b
                    for b in atts
                    if answerer.partstat == "DELEGATED"
                    and b is not answerer
                    and (b.email in answerer.delegated_to or answerer.email in b.delegated_from)
                ),
                None,
            )
            return answerer, delegate, ""
        if named:
            break  # one address with contradicting answers: nobody can tell which counts
    return None, None, f"a REPLY names exactly one ATTENDEE (or a delegation pair), found {len(atts)}"


def duration_of(proposal: Proposal, default: timedelta) -> timedelta:
    if proposal.starts_at and proposal.ends_at and proposal.ends_at > proposal.starts_at:
        return proposal.ends_at - proposal.starts_at
    return default
