"""Proof of origin for iMIP REPLYs: the per-recipient reply address, and why a reply was not heard.

Calendar clients (Outlook, Gmail, Apple Calendar, Thunderbird) send their REPLY to the invite's ORGANIZER address.
Each invitee's invite names its own ORGANIZER address, `mailbox+r<token>@domain`, where the token is an HMAC of
the invitee's stored reply nonce under the server secret: only that recipient's invites hold it, so a REPLY that
carries it (in the envelope recipient, a To header or its ORGANIZER property) comes from someone who received
that invitation. A From header or an ATTENDEE address proves nothing: anyone can write them.

The token is lowercase base32 (mail servers and clients may lowercase local parts) of 128 bits, stable for one
invitee of one series across every REQUEST and CANCEL (RFC 5546: the ORGANIZER of an object does not change).
"""

from __future__ import annotations

import base64
import re

from events_app.domain.security import REPLY_PURPOSE, purpose_mac

TOKEN_BYTES = 16  # 128 bits
TOKEN_LENGTH = 26  # base32 of 16 bytes without padding
TOKEN_PREFIX = "r"  # noqa: S105 - a marker letter in reply addresses, not a secret
# `+r<26 base32 characters>` right before the @ (or at the end of a bare local part); case-insensitive.
_TOKEN_IN_ADDRESS = re.compile(r"\+" + TOKEN_PREFIX + r"([a-z2-7]{26})@", re.IGNORECASE)


def reply_token(secret_key: str, nonce: str) -> str:
    """The reply token of one invitation: HMAC-SHA256 of its reply nonce, separated by purpose, first 128 bits."""
    mac = purpose_mac(secret_key, REPLY_PURPOSE, nonce)
    return base64.b32encode(mac[:TOKEN_BYTES]).decode().rstrip("=").lower()


def reply_address(mailbox: str, token: str) -> str:
    """`local+r<token>@domain` on the reply mailbox (plus-addressing: one mailbox receives every invitee's)."""
    local, _, domain = mailbox.rpartition("@")
    if not local or not domain:
        raise ValueError(f"the reply mailbox {mailbox!r} is not an email address")
    return f"{local}+{TOKEN_PREFIX}{token}@{domain}"


def tokens_in(addresses: list[str]) -> list[str]:
    """Every reply token found in these addresses (any case, `mailto:` or display names around them), lowercased,
    first occurrence first, without repeats."""
    found: list[str] = []
    for address in addresses:
        for match in _TOKEN_IN_ADDRESS.finditer(address or ""):
            token = match.group(1).lower()
            if token not in found:
                found.append(token)
    return found


def max_mailbox_local_length() -> int:
    """The longest local part a reply mailbox may have so that `local+r<token>` stays within RFC 5321's 64."""
    return 64 - len("+" + TOKEN_PREFIX) - TOKEN_LENGTH


# Why an inbound message did not change an answer: a code stored with each rejected reply and the sentence the
# coordinator's page shows for it (translated through the pages' catalogues). The stored `reason` adds details.
REJECTION_REASONS: dict[str, str] = {
    "no-calendar": "The message has no calendar reply in it.",
    "unreadable": "The calendar part could not be read.",
    "not-reply": "The calendar part is not a reply (METHOD is not REPLY).",
    "attendee-count": "A reply must name exactly one attendee.",
    "partstat": "The answer is not accept, decline or tentative.",
    "unknown-uid": "The reply is not about one of our meeting series, events or sessions.",
    "no-token": "The reply was not sent to a personal reply address of one of our invitations, so nothing proves "
    "who sent it.",
    "bad-token": "The reply address is not one of our invitations' (wrong or altered).",
    "token-conflict": "The reply carries the reply addresses of different invitations.",
    "other-series": "The reply address belongs to an invitation to another meeting series.",
    "other-invitee": "The reply address belongs to another invitee than the attendee who answered.",
    "other-address": "The attendee who answered is not the invited address (a forwarded invitation, or another "
    "address of the invitee); nothing was recorded and the invitee was sent a link to answer.",
    "withdrawn": "The invitation was withdrawn, so its answers no longer count.",
    "cancelled": "The meeting series is cancelled.",
    "bad-occurrence": "The reply names a meeting that is not part of this series.",
    "unplaced": "The reply is about one meeting, but which one cannot be told; nothing was changed and the person "
    "was told.",
    "proposal": "The proposal of another time could not be read.",
    "delegation-pending": "A delegate answered, but the coordinators have not accepted the delegation.",
    "delegation-limit": "The invitee has already handed their place to as many people as one invitation may; the "
    "coordinators can add others.",
    "not-holder": "The person holds no registration, booking or role for what the reply is about.",
}
OUTCOMES = ("accepted", "rejected")
# How many people one invitee may hand their place in a series to by replies (each may be invited at once): a
# change of mind or two, never a way to have invitations sent to any number of addresses.
MAX_DELEGATES_PER_INVITEE = 3
