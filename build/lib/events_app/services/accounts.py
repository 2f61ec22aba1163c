"""Organizer accounts: login, bearer-token sessions and who may manage which event."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from events_app.db import sql
from events_app.domain.errors import Forbidden, NotFound, Unauthorized
from events_app.domain.security import digest, hash_password, new_bearer_token, verify_password
from events_app.services import limits

SESSION_LIFETIME = timedelta(hours=12)
# Verifying against a real hash when the email is unknown keeps both answers equally slow.
_DUMMY_HASH = hash_password("no-such-account")


@dataclass(frozen=True)
class CurrentAccount:
    id: int
    email: str
    name: str
    is_admin: bool


async def login(email: str, password: str) -> tuple[str, datetime, CurrentAccount]:
    """A bearer token for a right password. Repeated failures lock the email for a growing time (429), for known
    and unknown addresses alike, so the lock reveals nothing about which accounts exist."""
    await limits.check_login(email)
    row = await sql.fetchrow(
        "SELECT id, email, name, is_admin, password_hash FROM account WHERE email = $1 AND is_active",
        email.strip().lower(),
    )
    if not verify_password(row["password_hash"] if row else _DUMMY_HASH, password) or row is None:
        await limits.login_failed(email)
        raise Unauthorized("email or password is wrong")
    await limits.login_succeeded(email)
    token = new_bearer_token()
    expires = datetime.now(timezone.utc) + SESSION_LIFETIME
    await sql.execute(
        "INSERT INTO auth_session (token_hash, account, created_at, expires_at) VALUES ($1, $2, now(), $3)",
        digest(token), row["id"], expires,
    )
    return token, expires, CurrentAccount(row["id"], row["email"], row["name"], row["is_admin"])


async def logout(token: str) -> None:
    await sql.execute("DELETE FROM auth_session WHERE token_hash = $1", digest(token))


async def authenticate(token: str) -> CurrentAccount:
    row = await sql.fetchrow(
        """SELECT a.id, a.email, a.name, a.is_admin FROM auth_session s JOIN account a ON a.id = s.account
           WHERE s.token_hash = $1 AND s.expires_at > now() AND a.is_active""",
        digest(token),
    )
    if row is None:
        raise Unauthorized("the token is unknown or expired: log in again at POST /api/auth/login")
    return CurrentAccount(row["id"], row["email"], row["name"], row["is_admin"])


async def require_organizer(account: CurrentAccount, event_id: int) -> None:
    """NotFound for an unknown event, Forbidden unless the account may manage it: an organizer of the event, staff
    of the regional office the event belongs to, or an administrator."""
    row = await sql.fetchrow(
        "SELECT e.id, EXISTS(SELECT 1 FROM event_organizer o WHERE o.event = e.id AND o.account = $2)"
        " OR EXISTS(SELECT 1 FROM office_staff s WHERE s.office = e.office AND s.account = $2) AS mine"
        " FROM event e WHERE e.id = $1",
        event_id, account.id,
    )
    if row is None:
        raise NotFound("event")
    if not (row["mine"] or account.is_admin):
        raise Forbidden()


def require_admin(account: CurrentAccount) -> None:
    if not account.is_admin:
        raise Forbidden("only administrators may do this")


async def create_account(email: str, name: str, password: str, *, is_admin: bool = False) -> int:
    """Create or reset an account (used by seeding and administration scripts)."""
    return await sql.fetchval(
        """INSERT INTO account (email, name, password_hash, is_admin, is_active, created_at)
           VALUES ($1, $2, $3, $4, true, now())
           ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name, password_hash = EXCLUDED.password_hash,
                                             is_admin = EXCLUDED.is_admin, is_active = true
           RETURNING id""",
        email.strip().lower(), name, hash_password(password), is_admin,
    )
