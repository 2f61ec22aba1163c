"""Per-client and per-target limits of the public write routes (counters in services.limits)."""
from __future__ import annotations

from litestar import Request

from events_app.services import limits
from events_app.settings import get_settings


def client_ip(request: Request) -> str:
    """The peer address. Behind a reverse proxy run uvicorn with --proxy-headers --forwarded-allow-ips=<proxy>,
    which puts the client's address here; X-Forwarded-For is never read directly (anyone can send it)."""
    return request.client.host if request.client else "unknown"


async def login(request: Request) -> None:
    await limits.hit(("login-ip", client_ip(request), get_settings().limit_login_ip,
                      "login attempts from your address"))


async def registration(request: Request, event_id: int, email: str) -> None:
    settings = get_settings()
    await limits.hit(("register-ip", client_ip(request), settings.limit_register_ip,
                      "registrations from your address"),
                     ("register-email", f"{event_id}:{email}", settings.limit_register_email,
                      "registration attempts for this email address"))


async def resend_link(request: Request, event_id: int, email: str) -> None:
    settings = get_settings()
    await limits.hit(("resend-ip", client_ip(request), settings.limit_resend_ip,
                      "link requests from your address"),
                     ("resend-email", f"{event_id}:{email}", settings.limit_resend_email,
                      "link requests for this email address"))
