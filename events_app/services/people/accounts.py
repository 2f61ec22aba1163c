"""Organizer accounts: login, bearer-token sessions, password change and reset, and who may manage which event.

Argon2 hashing and verifying take tens of milliseconds of CPU each: they run in this process's own hashing
threads, ARGON2_THREADS of them (hash_off_loop / verify_off_loop), so a burst of logins queues for the hasher
instead of stalling the event loop and every other request with it. Those threads run at a lower scheduling
priority (nice +10, inherited by any thread argon2 starts), so on a machine with few cores the event loop gets the
CPU first and other requests stay fast while logins wait their turn.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from events_app.db import sql
from events_app.db.engine import DB
from events_app.domain.errors import FieldError, Forbidden, Gone, InvalidInput, NotFound, Unauthorized
from events_app.domain.passwords import password_problems
from events_app.domain.security import (
    digest,
    hash_password,
    new_bearer_token,
    new_nonce,
    password_reset_token,
    verify_password,
)
from events_app.domain.text import clean_fields
from events_app.jobs import kick_outbox
from events_app.services.platform import limits, outbox
from events_app.settings import get_settings

log = logging.getLogger(__name__)
SESSION_LIFETIME = timedelta(hours=12)
ARGON2_THREADS = 2
# Verifying against a real hash when the email is unknown keeps both answers equally slow.
_DUMMY_HASH = hash_password("no-such-account")
HASHING_NICE = 10
_hasher: tuple[int, ThreadPoolExecutor] | None = None


def _lower_priority() -> None:
    """Start of a hashing thread: a lower priority for this thread alone (Linux schedules threads one by one)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICE)
    except (AttributeError, OSError):  # not Linux, or not allowed: the thread keeps the usual priority
        pass


def hashing_threads() -> ThreadPoolExecutor:
    """The threads that run argon2 in this process: ARGON2_THREADS of them, so at most that many hashes at once
    (the rest wait in the queue); their own, so no other work inherits their low priority."""
    global _hasher
    if _hasher is None or _hasher[0] != os.getpid():  # threads do not survive a fork
        _hasher = (
            os.getpid(),
            ThreadPoolExecutor(max_workers=ARGON2_THREADS, thread_name_prefix="argon2", initializer=_lower_priority),
        )
    return _hasher[1]


async def verify_off_loop(password_hash: str, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(hashing_threads(), verify_password, password_hash, password)


async def hash_off_loop(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(hashing_threads(), hash_password, password)


def check_new_password(password: str, field: str = "password", email: str | None = None) -> None:
    """422 naming the field when a new password is too short or too common."""
    problems = password_problems(password, get_settings().password_min_length, field, email)
    if problems:
        raise InvalidInput(problems)


@dataclass(frozen=True)
class CurrentAccount:
    id: int
    email: str
    name: str
    is_admin: bool


async def login(email: str, password: str, *, client: str) -> tuple[str, datetime, CurrentAccount]:
    """A bearer token for a right password. `client` is the caller's address as web.abuse.login() decided it
    (which also refuses while this email is locked for that address): failures are counted per email and address,
    and lock that pair for a growing time (429), for known and unknown emails alike."""
    row = await sql.fetchrow(
        "SELECT id, email, name, is_admin, password_hash FROM account WHERE email = $1 AND is_active",
        email.strip().lower(),
    )
    if not await verify_off_loop(row["password_hash"] if row else _DUMMY_HASH, password) or row is None:
        await limits.login_failed(email, client)
        raise Unauthorized("email or password is wrong")
    await limits.login_succeeded(email, client)
    token = new_bearer_token()
    expires = datetime.now(timezone.utc) + SESSION_LIFETIME
    await sql.execute(
        "INSERT INTO auth_session (token_hash, account, created_at, expires_at) VALUES ($1, $2, now(), $3)",
        digest(token),
        row["id"],
        expires,
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


async def require_coordinator(account: CurrentAccount, project_id: int) -> None:
    """NotFound for an unknown project, Forbidden unless the account coordinates it (administrators may all)."""
    row = await sql.fetchrow(
        "SELECT p.id, EXISTS(SELECT 1 FROM project_coordinator c WHERE c.project = p.id AND c.account = $2) AS mine"
        " FROM pilot_project p WHERE p.id = $1",
        project_id,
        account.id,
    )
    if row is None:
        raise NotFound("pilot project")
    if not (row["mine"] or account.is_admin):
        raise Forbidden("your account does not coordinate this pilot project")


async def require_organizer(account: CurrentAccount, event_id: int) -> None:
    """NotFound for an unknown event, Forbidden unless the account may manage it: an organizer of the event, staff
    of the regional office the event belongs to, or an administrator."""
    row = await sql.fetchrow(
        "SELECT e.id, EXISTS(SELECT 1 FROM event_organizer o WHERE o.event = e.id AND o.account = $2)"
        " OR EXISTS(SELECT 1 FROM office_staff s WHERE s.office = e.office AND s.account = $2) AS mine"
        " FROM event e WHERE e.id = $1",
        event_id,
        account.id,
    )
    if row is None:
        raise NotFound("event")
    if not (row["mine"] or account.is_admin):
        raise Forbidden()


def require_admin(account: CurrentAccount) -> None:
    if not account.is_admin:
        raise Forbidden("only administrators may do this")


async def require_staff(account: CurrentAccount) -> None:
    """Forbidden unless the account is an administrator or staff of a regional office (who keep the network's
    organizations, e.g. their registered email domains)."""
    if account.is_admin:
        return
    if not await sql.fetchval("SELECT 1 FROM office_staff WHERE account = $1 LIMIT 1", account.id):
        raise Forbidden("only administrators and office staff may do this")


async def create_account(email: str, name: str, password: str, *, is_admin: bool = False) -> int:
    """Create or reset an account (used by seeding and administration scripts; the CLI checks the password rules
    first, seeding sets the demo password it is given)."""
    name = clean_fields({"name": name}, ("name",))["name"]
    password_hash = await hash_off_loop(password)
    return await sql.fetchval(
        """INSERT INTO account (email, name, password_hash, is_admin, is_active, created_at)
           VALUES ($1, $2, $3, $4, true, now())
           ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name, password_hash = EXCLUDED.password_hash,
                                             is_admin = EXCLUDED.is_admin, is_active = true
           RETURNING id""",
        email.strip().lower(),
        name,
        password_hash,
        is_admin,
    )


# --------------------------------------------------------------------------- password change and reset


async def change_password(
    account: CurrentAccount, current_password: str, new_password: str, *, keep_token: str | None = None
) -> int:
    """Set a new password after checking the current one. Every other session of the account ends (the one whose
    token is `keep_token` stays, so the organizer who changed it is not logged out); outstanding reset links die.
    Returns the number of sessions ended."""
    row = await sql.fetchrow("SELECT password_hash FROM account WHERE id = $1 AND is_active", account.id)
    if row is None:
        raise Unauthorized()
    if not await verify_off_loop(row["password_hash"], current_password):
        raise InvalidInput([FieldError("current_password", "is not your current password")])
    check_new_password(new_password, "new_password", account.email)
    password_hash = await hash_off_loop(new_password)
    async with DB.transaction():
        ended = await _set_password(account.id, password_hash, keep_token)
    log.info("account %s changed its password; %d other sessions ended", account.id, ended)
    return ended


async def _set_password(account_id: int, password_hash: str, keep_token: str | None) -> int:
    """Inside a transaction: the new hash, every session but `keep_token`'s ended, reset links used up."""
    await sql.execute("UPDATE account SET password_hash = $2 WHERE id = $1", account_id, password_hash)
    await sql.execute("UPDATE password_reset SET used_at = now() WHERE account = $1 AND used_at IS NULL", account_id)
    status = await sql.execute(
        "DELETE FROM auth_session WHERE account = $1 AND token_hash <> $2",
        account_id,
        digest(keep_token) if keep_token else "",
    )
    return int(status.split()[-1])


async def request_password_reset(email: str, language: str = "en") -> None:
    """Email a reset link to an active account with this address; nothing happens for any other address, and the
    caller answers the same either way. The link works once, for PASSWORD_RESET_MINUTES; a newer request
    replaces older links."""
    settings = get_settings()
    address = email.strip().lower()
    account = await sql.fetchrow("SELECT id, email FROM account WHERE email = $1 AND is_active", address)
    if account is None:
        return
    nonce = new_nonce()
    token = password_reset_token(settings.secret_key, nonce)
    async with DB.transaction():
        await sql.execute("DELETE FROM password_reset WHERE account = $1", account["id"])
        reset_id = await sql.fetchval(
            """INSERT INTO password_reset (account, token_nonce, token_hash, created_at, expires_at)
               VALUES ($1, $2, $3, now(), now() + $4::interval) RETURNING id""",
            account["id"],
            nonce,
            digest(token),
            timedelta(minutes=settings.password_reset_minutes),
        )
        await outbox.enqueue(
            "password_reset",
            account["email"],
            language=language if language in ("en", "es") else "en",
            payload={"reset_id": reset_id},
        )
    await kick_outbox()


def _reset_link_gone() -> Gone:
    return Gone(
        "this password reset link has expired or was already used; ask for a new one",
        [FieldError("token", "has expired or was already used")],
    )


async def check_reset_token(token: str) -> str:
    """The email of the account a live reset link belongs to; 410 if the link is unknown, used or expired."""
    email = await sql.fetchval(
        """SELECT a.email FROM password_reset r JOIN account a ON a.id = r.account
           WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now() AND a.is_active""",
        digest(token),
    )
    if email is None:
        raise _reset_link_gone()
    return email


async def reset_password(token: str, new_password: str) -> None:
    """Set a new password with an emailed reset link: the link is used up, and every session of the account ends
    (whoever had the old password is logged out everywhere)."""
    email = await check_reset_token(token)
    check_new_password(new_password, "password", email)
    password_hash = await hash_off_loop(new_password)
    async with DB.transaction():
        account_id = await sql.fetchval(
            """UPDATE password_reset SET used_at = now()
               WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING account""",
            digest(token),
        )
        if account_id is None:  # used by a concurrent request in the meantime
            raise _reset_link_gone()
        ended = await _set_password(account_id, password_hash, None)
    log.info("account %s reset its password by email; %d sessions ended", account_id, ended)
