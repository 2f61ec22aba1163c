"""One error policy for the API and the pages: every exception is classified once (`cause_of`) and turned into one
`Answer` (`answer_for`): its status, a title and a detail for problem+json, per-field errors, Retry-After, and the
human sentence a page shows instead. The API renders an Answer as RFC 9457 problem+json (`problem`), the pages as
an HTML page in the visitor's language (web.pages.page_error).

- What the client asked wrongly (a DomainError, an HTTP error, a body that breaks the schema) keeps its status:
  404 for what is missing, 401/403/409/410/422/429 as the service said.
- A value PostgreSQL cannot take (an id beyond its column, NUL in text) is the client's: an id in the path that no
  row can have is 404, any other such value 400.
- 503 with Retry-After only when the database (or Redis, where a request needs it) cannot be reached: connection
  refused or cut, pool acquire timeout, server shutting down or refusing connections.
- Anything else, including every other database error, is our 500 and is logged with its traceback.
"""

from __future__ import annotations

import errno
import logging
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from events_app.db.engine import pool_busy
from events_app.domain.errors import DomainError, FieldError, NotFound
from events_app.domain.nesting import MAX_JSON_DEPTH, too_deep
from events_app.web.access_log import redact_path

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
# The largest request body any route takes, except the schedule import (its own limit, on its route). The longest
# texts (minutes: 100,000 characters) fit several times; a bigger body is refused with 413 before it is read whole.
MAX_BODY_BYTES = 1_000_000
DATABASE_RETRY_AFTER = 5  # seconds: a restarting PostgreSQL is usually back within this
BUSY_RETRY_AFTER = 2  # seconds: every connection was busy (a rush), not down

_FIELD_PATTERNS = (
    re.compile(r"unknown field `(?P<f>[^`]+)`"),
    re.compile(r"missing required field `(?P<f>[^`]+)`"),
    re.compile(r"at `\$\.(?P<f>[^`\[]+)"),
)

# --------------------------------------------------------------------------- classification


class Cause(StrEnum):
    REQUEST = "request"  # the client's: a DomainError, an HTTP error, a body that breaks the schema
    UNSTORABLE = "unstorable"  # a value PostgreSQL cannot take: an id beyond its column, NUL in text
    OUTAGE = "outage"  # the database (or a required Redis) cannot be reached: 503, Retry-After
    BUG = "bug"  # everything else: 500, logged


# The server ended or refused the connection: shutdown, crash, restart, too many clients, database dropped.
_SERVER_GONE = (
    asyncpg.exceptions.PostgresConnectionError,  # connection does not exist / failure, rejected, client cannot connect
    asyncpg.exceptions.AdminShutdownError,  # includes pg_terminate_backend of our connection
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,  # starting up or shutting down
    asyncpg.exceptions.DatabaseDroppedError,
    asyncpg.exceptions.IdleSessionTimeoutError,
    asyncpg.exceptions.TooManyConnectionsError,
    # A connection cut mid-statement (e.g. by a server shutdown during COMMIT) leaves asyncpg's protocol in a state
    # it reports as an internal error; the outcome is unknown, so the client retries (Idempotency-Key).
    asyncpg.exceptions.InternalClientError,
)
_UNSTORABLE = (
    asyncpg.exceptions.DataError,  # the server's class 22: out of range, invalid text, NUL...
    asyncpg.exceptions._base.DataError,  # the driver's: a Python value it cannot encode (an int beyond int8)
    OverflowError,
)
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.ETIMEDOUT,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.EHOSTUNREACH,
        errno.EHOSTDOWN,
        errno.EPIPE,
        errno.ENOTCONN,
        errno.EADDRNOTAVAIL,
    }
)


def _unreachable(exc: BaseException) -> bool:
    if isinstance(exc, _SERVER_GONE):
        return True
    if type(exc) is asyncpg.exceptions.InterfaceError:
        # The bare class: the connection is closed or the pool is closing. Its subclasses are our own mistakes
        # (a value the driver cannot encode, a feature the server lacks) and are classified apart.
        return True
    if isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror, RedisConnectionError, RedisTimeoutError)):
        # refused/reset/broken pipe; a connect or pool acquire that timed out; an unknown database host
        return True
    # A plain OSError from connecting: an errno of the network, or none (asyncio's "Multiple exceptions" when every
    # address of a host refused). Its subclasses (FileNotFoundError, PermissionError...) are not outages.
    return type(exc) is OSError and (exc.errno is None or exc.errno in _NETWORK_ERRNOS)


def cause_of(exc: BaseException) -> Cause:
    """The one classification of an exception for an answer. Pure: tests call it with constructed errors."""
    if isinstance(exc, (DomainError, HTTPException, RecursionError)):
        return Cause.REQUEST
    if isinstance(exc, _UNSTORABLE):
        return Cause.UNSTORABLE
    if _unreachable(exc):
        return Cause.OUTAGE
    return Cause.BUG


# --------------------------------------------------------------------------- answers


# What pages say (English source texts; the gettext catalogues under web/locales translate them). The API keeps its
# own detail, which names the field or the route to use.
PAGE_NOT_FOUND = {
    "event": "We could not find this event.",
    "registration": "We could not find this registration: check the link in your email.",
}
PAGE_MISSING = "We could not find what you are looking for."
PAGE_UNAVAILABLE = "The service is briefly unavailable. Please try again in a moment."
PAGE_BUG = "Something went wrong on our side; it has been logged. Please try again later."
PAGE_UNSTORABLE = (
    "A value you sent is too large or contains characters that cannot be stored. Check what you entered and try again."
)
PAGE_FORM_EXPIRED = "This form has expired or was sent from another site. Go back, reload the page and send it again."
PAGE_TOO_DEEP = "What you sent is nested too deeply to be read."


@dataclass(frozen=True)
class Answer:
    status: int
    title: str
    detail: str
    page_detail: str  # the sentence a page shows (an English source text, translated by the page)
    errors: list[dict] = field(default_factory=list)
    retry_after: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None


INT4_MAX = 2**31 - 1


def _id_no_row_can_have(path_params: Mapping[str, Any]) -> bool:
    return any(isinstance(v, int) and not -INT4_MAX - 1 <= v <= INT4_MAX for v in path_params.values())


def answer_for(request: Request, exc: BaseException) -> Answer:
    """The answer to an exception on any route, API or page, and the log line it deserves."""
    cause = cause_of(exc)
    where = f"{request.method} {redact_path(request.url.path)}"
    if cause is Cause.OUTAGE and isinstance(exc, TimeoutError) and pool_busy():
        log.warning("every database connection busy on %s (waited DB_ACQUIRE_TIMEOUT)", where)
        return Answer(
            503,
            "Service busy",
            "every database connection is busy; try again in a moment",
            PAGE_UNAVAILABLE,
            retry_after=BUSY_RETRY_AFTER,
        )
    if cause is Cause.OUTAGE:
        log.warning("database unavailable on %s: %s: %s", where, type(exc).__name__, exc)
        return Answer(
            503,
            "Service unavailable",
            "the database is not reachable; try again in a moment",
            PAGE_UNAVAILABLE,
            retry_after=DATABASE_RETRY_AFTER,
        )
    if cause is Cause.UNSTORABLE:
        if _id_no_row_can_have(request.path_params):
            return Answer(404, "Not found", "nothing has this id", PAGE_MISSING)
        log.info("rejected a value on %s: %s", where, exc)
        return Answer(
            400,
            "Invalid input",
            "a value in the request is out of range or contains characters that cannot be stored (such as NUL)",
            PAGE_UNSTORABLE,
            [{"field": "body", "message": "out of range or not storable"}],
        )
    if cause is Cause.BUG:
        log.error("unhandled error on %s", where, exc_info=exc)
        return Answer(500, "Internal error", "something went wrong on our side; it has been logged", PAGE_BUG)
    if isinstance(exc, DomainError):
        return _domain_answer(exc)
    if isinstance(exc, ValidationException):
        return _validation_answer(request, exc)
    if isinstance(exc, HTTPException):
        return _http_answer(request, exc)
    log.info("refused a too deeply nested body on %s", where)  # RecursionError: a parser reached the limit
    return Answer(
        400,
        "Invalid input",
        f"the body nests more than {MAX_JSON_DEPTH} levels deep",
        PAGE_TOO_DEEP,
        [{"field": "body", "message": f"nested more than {MAX_JSON_DEPTH} levels deep"}],
    )


def _domain_answer(exc: DomainError) -> Answer:
    if isinstance(exc, NotFound):
        page_detail = PAGE_NOT_FOUND.get(exc.what, PAGE_MISSING)
    elif exc.status == 503:
        page_detail = PAGE_UNAVAILABLE
    else:
        page_detail = exc.detail
    return Answer(
        exc.status,
        exc.title,
        exc.detail,
        page_detail,
        [{"field": e.field, "message": e.message} for e in exc.errors],
        getattr(exc, "retry_after", None),
        exc.extra,
    )


def _field_of(message: str, key: str | None) -> str:
    for pattern in _FIELD_PATTERNS:
        m = pattern.search(message)
        if m:
            return m.group("f")
    return key or "body"


def _validation_answer(request: Request, exc: ValidationException) -> Answer:
    """Litestar/msgspec decoding errors: malformed JSON is 400, a body that breaks the schema 422."""
    items = exc.extra if isinstance(exc.extra, list) else []
    errors = []
    for item in items:
        message = str(item.get("message", "")) if isinstance(item, dict) else str(item)
        key = item.get("key") if isinstance(item, dict) else None
        field_name = _field_of(message, key)
        if "unknown field" in message:
            message = f"unknown field '{field_name}': remove it (see /schema for the fields this route accepts)"
        elif "missing required field" in message:
            message = f"'{field_name}' is required"
        errors.append({"field": field_name, "message": message})
    detail = str(exc.detail)
    if any(_is_malformed(text) for text in [detail] + [e["message"] for e in errors]):
        return _malformed()
    if not errors:
        errors = [{"field": _field_of(detail, None), "message": detail}]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return Answer(422 if request.method in ("POST", "PATCH", "PUT") else 400, "Invalid input", summary, summary, errors)


def _is_malformed(text: str) -> bool:
    return any(word in text.lower() for word in ("malformed", "truncated", "invalid json", "trailing characters"))


def _malformed() -> Answer:
    return Answer(
        400,
        "Malformed request body",
        "the body is not valid JSON: check quotes, commas and brackets",
        "The request could not be understood",
        [{"field": "body", "message": "not valid JSON"}],
    )


def _http_answer(request: Request, exc: HTTPException) -> Answer:
    if exc.status_code == 400 and _is_malformed(str(exc.detail)):
        return _malformed()
    if exc.status_code == 413:
        limit = request.route_handler.resolve_request_max_body_size() or MAX_BODY_BYTES
        detail = (
            f"the request body is larger than {limit:,} bytes: send less text (descriptions, minutes "
            "and answers have their own length limits)"
        )
        return Answer(
            413, "Request body too large", detail, detail, [{"field": "body", "message": f"at most {limit:,} bytes"}]
        )
    if isinstance(exc, NotFoundException):
        return Answer(404, str(exc.detail) or "Not found", str(exc.detail), PAGE_MISSING)
    if isinstance(exc, PermissionDeniedException):
        # The app has no guards: Litestar raises this only for a failed CSRF check (a form of the pages).
        return Answer(403, str(exc.detail) or "Forbidden", str(exc.detail), PAGE_FORM_EXPIRED)
    return Answer(exc.status_code, str(exc.detail) or "Error", str(exc.detail), str(exc.detail))


def problem(request: Request, exc: Exception) -> Response:
    """The API's exception handler: any exception as RFC 9457 problem+json."""
    return problem_response(answer_for(request, exc))


def problem_response(answer: Answer) -> Response:
    body = {
        "type": "about:blank",
        "title": answer.title,
        "status": answer.status,
        "detail": answer.detail,
        "errors": answer.errors,
        **answer.extra,
    }
    return Response(body, status_code=answer.status, media_type=PROBLEM, headers=answer.headers)


class NestedTooDeep(DomainError):
    def __init__(self, field: str):
        message = (
            f"nested more than {MAX_JSON_DEPTH} levels deep: send plain values or short lists (see /schema "
            "for what this field takes)"
        )
        super().__init__(f"{field}: {message}", [FieldError(field, message)], 400, "Invalid input")


# A route's opt key: its handler decodes the body itself into a strict msgspec type whose shape is bounded (unknown
# fields refused, no free-form values), so decoding stops at the first level the type does not allow and the walk
# below would only cost time (the check-in desk's sync, whose batches carry hundreds of objects).
BOUNDED_JSON = "bounded_json"
# A route's opt key: its handler reads a large body only after checking who may send it, and calls
# refuse_deep_json_body itself then (the schedule import: up to 50 MB, organizers only).
READ_AFTER_PERMISSION = "read_after_permission"


def refuse_deep_json_body(content_type: str, body: bytes) -> None:
    if "json" in content_type:
        try:
            body.decode()  # JSON is UTF-8 (RFC 8259): other bytes are a malformed body (400), not a crash
        except UnicodeDecodeError:
            raise ClientException("Malformed JSON body: not UTF-8 text", status_code=400) from None
        field = too_deep(body)
        if field is not None:
            raise NestedTooDeep(field)


async def refuse_deep_json(request: Request) -> None:
    """before_request: a JSON body nesting deeper than any route needs is refused (400 naming the field) before
    it is decoded, so decoding never recurses thousands of levels deep."""
    opt = request.route_handler.opt
    if opt.get(BOUNDED_JSON) or opt.get(READ_AFTER_PERMISSION):
        return
    if request.method in ("POST", "PUT", "PATCH"):
        content_type = request.headers.get("content-type", "")
        if "json" in content_type:
            refuse_deep_json_body(content_type, await request.body())
