"""Which errors say the database could not be reached (the worker gives the batch back and tries again later, the
inbound endpoint answers 451) and which say a query or a message was wrong (those are the message's own failure)."""

from __future__ import annotations

import errno

import asyncpg
import pytest

from events_app.db.engine import database_gone


@pytest.mark.parametrize(
    "exc",
    [
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.exceptions.InterfaceError("connection is closed"),
        ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
        ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
        TimeoutError(),
        OSError("Multiple exceptions: [Errno 111] Connect call failed"),
    ],
)
def test_database_gone_for_a_lost_or_refused_connection(exc):
    assert database_gone(exc) is True


@pytest.mark.parametrize(
    "exc",
    [
        asyncpg.exceptions.UndefinedColumnError("column x does not exist"),
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        asyncpg.exceptions.DataError("invalid input"),
        KeyError("payload"),
        ValueError("bad template"),
        FileNotFoundError(errno.ENOENT, "template"),
    ],
)
def test_database_gone_not_for_a_wrong_query_or_message(exc):
    assert database_gone(exc) is False
