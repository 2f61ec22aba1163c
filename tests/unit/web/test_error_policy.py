"""The one error policy, without servers: which exceptions are an outage (503), a value the database cannot take,
the client's, or our bug; NotFound names what is missing; every page text of the policy is translated; and the
pages' form helper re-renders only what is the form's fault."""

from __future__ import annotations

import errno
import socket

import asyncpg
import pytest
from litestar import Response
from litestar.exceptions import NotFoundException, PermissionDeniedException, ValidationException
from redis.exceptions import ConnectionError as RedisConnectionError

from events_app.domain.errors import (
    Conflict,
    FieldError,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
)
from events_app.web import errors
from events_app.web.errors import Cause, cause_of
from events_app.web.pages import TITLES
from events_app.web.pages.common import Redisplay, redisplay_on
from events_app.web.pages.i18n import catalog

pg = asyncpg.exceptions

OUTAGES = [
    pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    pg.ConnectionFailureError("connection failure"),
    pg.CannotConnectNowError("the database system is starting up"),
    pg.AdminShutdownError("terminating connection due to administrator command"),
    pg.CrashShutdownError("terminating connection because of crash of another server process"),
    pg.TooManyConnectionsError("sorry, too many clients already"),
    pg.InterfaceError("connection is closed"),
    pg.InternalClientError("unexpected connection_lost() call"),
    ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('127.0.0.1', 1)"),
    ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
    OSError("Multiple exceptions: [Errno 111] Connect call failed ('::1', 1), [Errno 111] Connect call failed"),
    OSError(errno.EHOSTUNREACH, "No route to host"),
    TimeoutError(),  # connect or pool acquire that took too long
    socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
    RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
]
UNSTORABLE = [
    pg.NumericValueOutOfRangeError("integer out of range"),
    pg.CharacterNotInRepertoireError('invalid byte sequence for encoding "UTF8": 0x00'),
    pg.DataError("invalid input syntax"),
    asyncpg.exceptions._base.DataError("invalid input for query argument $1: 99999999999 (value out of int32 range)"),
]
BUGS = [
    pg.UndefinedColumnError('column "nope" does not exist'),
    pg.LockNotAvailableError("canceling statement due to lock timeout"),
    pg.QueryCanceledError("canceling statement due to statement timeout"),
    pg.UniqueViolationError("duplicate key value violates unique constraint"),
    pg.SyntaxOrAccessError("syntax error"),
    asyncpg.exceptions._base.ClientConfigurationError("bad option"),
    FileNotFoundError(errno.ENOENT, "No such file or directory"),
    PermissionError(errno.EACCES, "Permission denied"),
    OSError(errno.ENOSPC, "No space left on device"),
    KeyError("id"),
    RuntimeError("boom"),
]
REQUESTS = [
    NotFound("event"),
    InvalidInput([FieldError("title", "must not be empty")]),
    Conflict("full"),
    Forbidden(),
    Gone("used"),
    TooManyRequests("slow down", 30),
    ServiceUnavailable("busy", 1),
    NotFoundException(),
    PermissionDeniedException("CSRF token verification failed"),
    ValidationException("bad"),
    RecursionError("too deep"),
]


@pytest.mark.parametrize("exc", OUTAGES, ids=lambda e: type(e).__name__)
def test_cause_of_unreachable_database_or_redis_is_outage(exc):
    assert cause_of(exc) == Cause.OUTAGE


@pytest.mark.parametrize("exc", UNSTORABLE, ids=lambda e: type(e).__name__)
def test_cause_of_value_the_database_cannot_take_is_unstorable(exc):
    assert cause_of(exc) == Cause.UNSTORABLE


@pytest.mark.parametrize("exc", BUGS, ids=lambda e: type(e).__name__)
def test_cause_of_other_database_and_program_errors_is_bug(exc):
    assert cause_of(exc) == Cause.BUG


@pytest.mark.parametrize("exc", REQUESTS, ids=lambda e: type(e).__name__)
def test_cause_of_domain_and_http_errors_is_request(exc):
    assert cause_of(exc) == Cause.REQUEST


def test_not_found_names_what_is_missing_apart_from_its_message():
    plain = NotFound("event")
    explained = NotFound("registration", "registration (the link is incomplete or no longer valid) not found")
    assert (plain.what, plain.detail, plain.status) == ("event", "event not found", 404)
    assert (explained.what, explained.status) == ("registration", 404)
    assert explained.detail == "registration (the link is incomplete or no longer valid) not found"


def test_every_page_text_of_the_error_policy_has_a_spanish_translation():
    texts = (
        {v for k, v in vars(errors).items() if k.startswith("PAGE_") and isinstance(v, str)}
        | set(errors.PAGE_NOT_FOUND.values())
        | set(TITLES.values())
    )
    assert sorted(texts - catalog("es").keys()) == []


async def _submit(exc: Exception, **options) -> str:
    """Run a failing call inside redisplay_on; say whether the form was re-rendered or the error passed on."""

    def render(error):
        return Response(error.detail, status_code=error.status)

    async def call():
        raise exc

    try:
        async with redisplay_on(render, **options):
            await call()
    except Redisplay as shown:
        return f"form {shown.response.status_code}"
    except Exception as passed:  # noqa: BLE001 -- what reaches the shared error page
        return f"error page {type(passed).__name__}"
    return "no error"


async def test_redisplay_on_shows_form_errors_and_passes_on_what_the_url_names():
    assert await _submit(InvalidInput([FieldError("title", "must not be empty")])) == "form 422"
    assert await _submit(Conflict("the category is full")) == "form 409"
    assert await _submit(NotFound("event")) == "error page NotFound"
    assert await _submit(Gone("this link was used")) == "error page Gone"
    assert await _submit(pg.ConnectionDoesNotExistError("closed")) == "error page ConnectionDoesNotExistError"
    assert await _submit(NotFound("session"), url_names=("registration",)) == "form 404"
    assert await _submit(NotFound("registration"), url_names=("registration",)) == "error page NotFound"
