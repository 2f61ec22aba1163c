"""Typed rows of the people capability's named queries (`-- record_class:` in queries.sql)."""

from __future__ import annotations

import msgspec


class AccountRow(msgspec.Struct, frozen=True):
    """An active organizer account as a session finds it."""

    id: int
    email: str
    name: str
    is_admin: bool


class LoginAccount(AccountRow, frozen=True):
    """An active account found by address for a login attempt, with the hash to verify the password against."""

    password_hash: str
