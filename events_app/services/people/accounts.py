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

from events_app.db import queries
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
from events_app.services.people.rows import AccountRow, LoginAccount
from events_app.services.platform import limits, outbox
from events_app.settings import get_settings

log = logging.getLogger(__name__)
Q = queries.load(__file__, rows=(AccountRow, LoginAccount))
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
    row = await Q.account_for_login(email=email.strip().lower())
    if not await verify_off_loop(row.password_hash if row else _DUMMY_HASH, password) or row is None:
        await limits.login_failed(email, client)
        raise Unauthorized("email or password is wrong")
    await limits.login_succeeded(email, client)
    token = new_bearer_token()
    expires = datetime.now(timezone.utc) + SESSION_LIFETIME
    await Q.start_account_session(token_hash=digest(token), account_id=row.id, expires_at=expires)
    return token, expires, CurrentAccount(row.id, row.email, row.name, row.is_admin)


async def logout(token: str) -> None:
    await Q.end_account_session(token_hash=digest(token))


async def authenticate(token: str) -> CurrentAccount:
    row = await Q.account_for_session(token_hash=digest(token))
    if row is None:
        raise Unauthorized("the token is unknown or expired: log in again at POST /api/auth/login")
    return CurrentAccount(row.id, row.email, row.name, row.is_admin)


async def require_coordinator(account: CurrentAccount, project_id: int) -> None:
    """NotFound for an unknown project, Forbidden unless the account coordinates it (administrators may all)."""
    row = await Q.project_coordination(project_id=project_id, account_id=account.id)
    if row is None:
        raise NotFound("pilot project")
    if not (row["mine"] or account.is_admin):
        raise Forbidden("your account does not coordinate this pilot project")


async def require_organizer(account: CurrentAccount, event_id: int) -> None:
    """NotFound for an unknown event, Forbidden unless the account may manage it: an organizer of the event, staff
    of the regional office the event belongs to, or an administrator."""
    row = await Q.event_management(event_id=event_id, account_id=account.id)
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
    if not await Q.is_office_staff(account_id=account.id):
        raise Forbidden("only administrators and office staff may do this")


async def create_account(email: str, name: str, password: str, *, is_admin: bool = False) -> int:
    """Create or reset an account (used by seeding and administration scripts; the CLI checks the password rules
    first, seeding sets the demo password it is given)."""
    name = clean_fields({"name": name}, ("name",))["name"]
    password_hash = await hash_off_loop(password)
    return await Q.create_or_reset_account(
        email=email.strip().lower(), name=name, password_hash=password_hash, is_admin=is_admin
    )


# --------------------------------------------------------------------------- password change and reset


async def change_password(
    account: CurrentAccount, current_password: str, new_password: str, *, keep_token: str | None = None
) -> int:
    """Set a new password after checking the current one. Every other session of the account ends (the one whose
    token is `keep_token` stays, so the organizer who changed it is not logged out); outstanding reset links die.
    Returns the number of sessions ended."""
    row = await Q.active_account_password_hash(account_id=account.id)
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
    await Q.set_account_password(account_id=account_id, password_hash=password_hash)
    await Q.use_up_password_resets(account_id=account_id)
    status = await Q.end_other_account_sessions(
        account_id=account_id, keep_token_hash=digest(keep_token) if keep_token else ""
    )
    return int(status.split()[-1])


async def request_password_reset(email: str, language: str = "en") -> None:
    """Email a reset link to an active account with this address; nothing happens for any other address, and the
    caller answers the same either way. The link works once, for PASSWORD_RESET_MINUTES; a newer request
    replaces older links."""
    settings = get_settings()
    address = email.strip().lower()
    nonce = new_nonce()  # made for every address, like the rest of the answer's work (see the end)
    token = password_reset_token(settings.secret_key, nonce)
    async with DB.transaction():
        account = await Q.active_account_by_email(email=address)
        if account is None:
            await kick_outbox()  # as long as for a known address, so the answer's time tells nothing
            return
        await Q.delete_password_resets(account_id=account["id"])
        reset_id = await Q.insert_password_reset(
            account_id=account["id"],
            token_nonce=nonce,
            token_hash=digest(token),
            lifetime=timedelta(minutes=settings.password_reset_minutes),
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
    email = await Q.live_reset_link_email(token_hash=digest(token))
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
        account_id = await Q.use_reset_link(token_hash=digest(token))
        if account_id is None:  # used by a concurrent request in the meantime
            raise _reset_link_gone()
        ended = await _set_password(account_id, password_hash, None)
    log.info("account %s reset its password by email; %d sessions ended", account_id, ended)
