"""The entry policy of the public write routes: per-client and per-target limits (counters in services.platform.limits).

Pages and API call the same function for the same action, before the service does anything, so a form gets the
same limits as the JSON route next to it (tests/security/test_entry.py checks each pair).
"""

from __future__ import annotations

import ipaddress

from litestar import Request

from events_app.domain.errors import InvalidInput
from events_app.services.platform import limits
from events_app.services.registration import registrations
from events_app.services.registration.registrations import normalize_email
from events_app.settings import get_settings


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip(request: Request) -> str:
    """The client's address: the TCP peer, unless the peer is a trusted proxy (TRUSTED_PROXIES), in which case the
    address that proxy appended to X-Forwarded-For (the right-most entry that is not itself a trusted proxy).

    Without a trusted proxy X-Forwarded-For is ignored: anyone can send it. uvicorn is started with
    --no-proxy-headers everywhere, so the peer seen here is the real one and this is the only place deciding.
    """
    peer = request.client.host if request.client else "unknown"
    trusted = get_settings().trusted_proxy_networks
    peer_address = _address(peer)
    if not trusted or peer_address is None or not any(peer_address in net for net in trusted):
        return peer
    hops = [
        hop.strip()
        for value in request.headers.getall("x-forwarded-for", [])
        for hop in value.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return hop[:100]  # what the nearest trusted proxy wrote: used as an opaque key
        if not any(address in net for net in trusted):
            return str(address)
    return str(_address(hops[0])) if hops else peer


def address_key(email: str) -> str:
    """What the per-address limits count: the address as the services will read it (normalize_email: case, and
    the domain's Unicode forms, e.g. fullwidth letters, folded), so spellings of one mailbox share one limit; an
    address the services will refuse counts as typed."""
    try:
        return normalize_email(email or "")
    except InvalidInput:
        return (email or "").strip().lower()


async def login(request: Request, email: str) -> str:
    """Count a login attempt from this address (429 over the limit), and refuse while this email is locked for
    this address after repeated failures. Returns the client address the failures are counted against."""
    client = client_ip(request)
    await limits.hit(("login-ip", client, get_settings().limit_login_ip, "login attempts from your address"))
    await limits.check_login(email, client)
    return client


async def registration(request: Request, event_id: int, email: str) -> None:
    settings = get_settings()
    await limits.hit(
        ("register-ip", client_ip(request), settings.limit_register_ip, "registrations from your address"),
        (
            "register-email",
            f"{event_id}:{address_key(email)}",
            settings.limit_register_email,
            "registration attempts for this email address",
        ),
    )


async def delegation_member(request: Request, token: str, email: str) -> None:
    """A head of delegation adding or substituting a member registers, and mails, an address they typed: the
    registration limits per client and per address apply, on the API route and on the manage page alike."""
    await registration(request, (await registrations.registration_by_token(token))["event"], email)


async def resend_link(request: Request, event_id: int, email: str) -> None:
    settings = get_settings()
    await limits.hit(
        ("resend-ip", client_ip(request), settings.limit_resend_ip, "link requests from your address"),
        (
            "resend-email",
            f"{event_id}:{address_key(email)}",
            settings.limit_resend_email,
            "link requests for this email address",
        ),
    )


async def person_link(request: Request, email: str) -> None:
    """Requests for a person's emailed access link (export, erase, profile): per client and per address."""
    settings = get_settings()
    await limits.hit(
        ("person-link-ip", client_ip(request), settings.limit_person_link_ip, "link requests from your address"),
        (
            "person-link-email",
            address_key(email),
            settings.limit_person_link_email,
            "link requests for this email address",
        ),
    )


async def password_reset(request: Request, email: str) -> None:
    settings = get_settings()
    await limits.hit(
        ("reset-ip", client_ip(request), settings.limit_reset_ip, "password reset requests from your address"),
        (
            "reset-email",
            address_key(email),
            settings.limit_reset_email,
            "password reset requests for this email address",
        ),
    )
