"""Every error as RFC 9457 problem+json: a title, a detail that says how to fix it, and per-field errors."""
from __future__ import annotations

import logging
import re

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from events_app.domain.errors import DomainError, FieldError
from events_app.domain.nesting import MAX_JSON_DEPTH, too_deep
from events_app.web.access_log import redact_path

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
# The largest request body any route takes, except the schedule import (its own limit, on its route). The longest
# texts (minutes: 100,000 characters) fit several times; a bigger body is refused with 413 before it is read whole.
MAX_BODY_BYTES = 1_000_000

_FIELD_PATTERNS = (
    re.compile(r"unknown field `(?P<f>[^`]+)`"),
    re.compile(r"missing required field `(?P<f>[^`]+)`"),
    re.compile(r"at `\$\.(?P<f>[^`\[]+)"),
)


def _problem(status: int, title: str, detail: str, errors: list[dict] | None = None, headers: dict | None = None,
             **extra) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "errors": errors or []}
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM, headers=headers)


def domain_error(request: Request, exc: DomainError) -> Response:
    retry_after = getattr(exc, "retry_after", None)
    return _problem(exc.status, exc.title, exc.detail, [{"field": e.field, "message": e.message} for e in exc.errors],
                    headers={"Retry-After": str(retry_after)} if retry_after is not None else None, **exc.extra)


def _field_of(message: str, key: str | None) -> str:
    for pattern in _FIELD_PATTERNS:
        m = pattern.search(message)
        if m:
            return m.group("f")
    return key or "body"


def validation_error(request: Request, exc: ValidationException) -> Response:
    """Litestar/msgspec decoding errors: malformed JSON is 400, a body that breaks the schema 422."""
    items = exc.extra if isinstance(exc.extra, list) else []
    errors = []
    for item in items:
        message = str(item.get("message", "")) if isinstance(item, dict) else str(item)
        key = item.get("key") if isinstance(item, dict) else None
        field = _field_of(message, key)
        if "unknown field" in message:
            message = f"unknown field '{field}': remove it (see /schema for the fields this route accepts)"
        elif "missing required field" in message:
            message = f"'{field}' is required"
        errors.append({"field": field, "message": message})
    detail = str(exc.detail)
    if any(_is_malformed(text) for text in [detail] + [e["message"] for e in errors]):
        return _malformed()
    if not errors:
        errors = [{"field": _field_of(detail, None), "message": detail}]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return _problem(422 if request.method in ("POST", "PATCH", "PUT") else 400, "Invalid input", summary, errors)


def _is_malformed(text: str) -> bool:
    return any(word in text.lower() for word in ("malformed", "truncated", "invalid json", "trailing characters"))


def _malformed() -> Response:
    return _problem(400, "Malformed request body", "the body is not valid JSON: check quotes, commas and brackets",
                    [{"field": "body", "message": "not valid JSON"}])


def http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 400 and _is_malformed(str(exc.detail)):
        return _malformed()
    if exc.status_code == 413:
        limit = request.route_handler.resolve_request_max_body_size() or MAX_BODY_BYTES
        return _problem(413, "Request body too large",
                        f"the request body is larger than {limit:,} bytes: send less text (descriptions, minutes "
                        "and answers have their own length limits)",
                        [{"field": "body", "message": f"at most {limit:,} bytes"}])
    return _problem(exc.status_code, str(exc.detail) or "Error", str(exc.detail))


def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, redact_path(request.url.path))
    return _problem(500, "Internal error", "something went wrong on our side; it has been logged")


class NestedTooDeep(DomainError):
    def __init__(self, field: str):
        message = (f"nested more than {MAX_JSON_DEPTH} levels deep: send plain values or short lists (see /schema "
                   "for what this field takes)")
        super().__init__(f"{field}: {message}", [FieldError(field, message)], 400, "Invalid input")


async def refuse_deep_json(request: Request) -> None:
    """before_request: a JSON body nesting deeper than any route needs is refused (400 naming the field) before
    it is decoded, so decoding never recurses thousands of levels deep."""
    if request.method in ("POST", "PUT", "PATCH") and "json" in request.headers.get("content-type", ""):
        field = too_deep(await request.body())
        if field is not None:
            raise NestedTooDeep(field)


def recursion_error(request: Request, exc: RecursionError) -> Response:
    """The backstop for a document nested too deeply that reached a parser anyway (e.g. an imported file)."""
    log.info("refused a too deeply nested body on %s %s", request.method, request.url.path)
    return _problem(400, "Invalid input", f"the body nests more than {MAX_JSON_DEPTH} levels deep",
                    [{"field": "body", "message": f"nested more than {MAX_JSON_DEPTH} levels deep"}])


INT4_MAX = 2**31 - 1


def data_error(request: Request, exc: Exception) -> Response:
    """A value PostgreSQL cannot take (an id beyond 32 bits, a NUL byte in text): nothing can match it.

    An id in the path that no row can have is 404; any other such value is the client's 400, never our 500.
    """
    if any(isinstance(v, int) and not -INT4_MAX - 1 <= v <= INT4_MAX for v in request.path_params.values()):
        return _problem(404, "Not found", "nothing has this id")
    log.info("rejected a value on %s %s: %s", request.method, redact_path(request.url.path), exc)
    return _problem(400, "Invalid input", "a value in the request is out of range or contains characters that "
                                          "cannot be stored (such as NUL)")


def database_unavailable(request: Request, exc: Exception) -> Response:
    log.warning("database unavailable on %s %s: %s", request.method, redact_path(request.url.path), exc)
    return Response({"type": "about:blank", "title": "Service unavailable", "status": 503,
                     "detail": "the database is not reachable; try again in a moment", "errors": []},
                    status_code=503, media_type=PROBLEM, headers={"Retry-After": "5"})


EXCEPTION_HANDLERS = {
    DomainError: domain_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    RecursionError: recursion_error,
}
