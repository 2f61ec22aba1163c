"""Errors the domain and services raise; the web layer turns each into a problem+json answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass
class DomainError(Exception):
    """Base: `status` is the HTTP status the web layer uses, `title` a short stable summary."""

    detail: str
    errors: list[FieldError] = field(default_factory=list)
    status: int = 400
    title: str = "Bad request"
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.detail


class InvalidInput(DomainError):
    def __init__(self, errors: list[FieldError], detail: str | None = None):
        super().__init__(detail or "; ".join(f"{e.field}: {e.message}" for e in errors), errors, 422, "Invalid input")


class NotFound(DomainError):
    """404. `what` names the kind of thing that is missing ("event", "registration", "session"): callers that must
    tell one missing thing from another test `exc.what`, never the message. `detail` replaces the default
    "<what> not found" when the answer should say more (e.g. how to find the right id)."""

    def __init__(self, what: str, detail: str | None = None):
        super().__init__(detail or f"{what} not found", [], 404, "Not found")
        self.what = what


class Conflict(DomainError):
    def __init__(self, detail: str, field_name: str | None = None, **extra: Any):
        errors = [FieldError(field_name, detail)] if field_name else []
        super().__init__(detail, errors, 409, "Conflict", extra)


class Gone(DomainError):
    """410: what the link pointed to existed but is used up, expired or withdrawn; the detail says what to do."""

    def __init__(self, detail: str, errors: list[FieldError] | None = None, extra: dict[str, Any] | None = None):
        super().__init__(detail, errors or [], 410, "Gone", extra or {})


class Unauthorized(DomainError):
    def __init__(self, detail: str = "log in first: send 'Authorization: Bearer <token>' from POST /api/auth/login"):
        super().__init__(detail, [], 401, "Unauthorized")


class Forbidden(DomainError):
    def __init__(self, detail: str = "your account does not organize this event"):
        super().__init__(detail, [], 403, "Forbidden")


class TooManyRequests(DomainError):
    """429 with the seconds to wait, sent as Retry-After."""

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail, [], 429, "Too many requests", {"retry_after": retry_after})
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    """503 with the seconds to wait, sent as Retry-After: a part the request needs is too busy to answer (the abuse
    limiter's Redis pool). An unreachable database is not raised as this: web.errors recognises it from the driver's
    own errors."""

    def __init__(self, detail: str, retry_after: int = 5):
        super().__init__(detail, [], 503, "Service unavailable")
        self.retry_after = retry_after


def require(errors: list[FieldError]) -> None:
    """Raise InvalidInput if any rule failed; lets validators collect every problem before answering."""
    if errors:
        raise InvalidInput(errors)
