"""Organizer accounts against the real stack: password reset by email end to end (a real Celery worker and the
SMTP sink), sessions ended on change and reset, password rules, the CLI's hidden prompt, and argon2 kept off the
event loop with bounded concurrency."""

from __future__ import annotations

import asyncio
import getpass
import re
import threading
import time

import pytest

from events_app import cli
from events_app.db import sql
from events_app.domain.passwords import common_passwords, password_problems
from events_app.domain.security import digest, password_reset_token
from events_app.services.people import accounts
from events_app.settings import get_settings
from tests.fixtures import PASSWORD, wait_for_mail

TOKEN_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')
NEW_PASSWORD = "tidal harbour lantern wicker"


async def form_token(client, url: str) -> str:
    page = await client.get(url)
    assert page.status_code == 200, page.text
    return TOKEN_RE.search(page.text).group(1)


async def api_login(client, email: str, password: str = PASSWORD) -> str:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def session_works(client, token: str) -> bool:
    """Whether a bearer token still opens an organizer route."""
    response = await client.get("/api/admin/people", params={"email": "x@example.org"}, headers=bearer(token))
    return response.status_code != 401


# --------------------------------------------------------------------------- reset by email


@pytest.mark.worker
async def test_password_reset_by_email_end_to_end(client, celery_worker, maildir):
    email = "reset-me@example.org"
    await accounts.create_account(email, "Rita Reset", PASSWORD)
    old_session = await api_login(client, email)
    token = await form_token(client, "/password-reset")
    known = await client.post("/password-reset", data={"email": email, "_csrf_token": token})
    unknown = await client.post("/password-reset", data={"email": "nobody-here@example.org", "_csrf_token": token})
    # the same answer whether or not the address has an account
    assert (known.status_code, known.headers["location"]) == (303, "/login?done=reset-sent")
    assert (unknown.status_code, unknown.headers["location"]) == (303, "/login?done=reset-sent")

    message = wait_for_mail(maildir, email)[-1]
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"(http://\S+/password-reset/(\S+))", text)
    assert link, text
    reset_token = link.group(2)
    assert str(message["Subject"]) == "Reset your password"
    # stored only as the nonce and the token's digest; the outbox row holds no link
    row = await sql.fetchrow("SELECT token_hash, token_nonce, expires_at - created_at AS lifetime FROM password_reset")
    assert row["token_hash"] == digest(reset_token) and reset_token not in row["token_nonce"]
    assert row["lifetime"].total_seconds() == get_settings().password_reset_minutes * 60
    outbox_text = await sql.fetchval(
        "SELECT payload::text || recipient FROM outbox_message WHERE kind = 'password_reset'"
    )
    assert reset_token not in outbox_text
    assert await sql.fetchval("SELECT count(*) FROM outbox_message WHERE recipient = 'nobody-here@example.org'") == 0

    path = f"/password-reset/{reset_token}"
    form = await client.get(path)
    assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
    token = TOKEN_RE.search(form.text).group(1)
    weak = await client.post(path, data={"password": "1q2w3e4r5t6y", "_csrf_token": token})
    assert weak.status_code == 422 and 'id="f-password-error"' in weak.text
    done = await client.post(path, data={"password": NEW_PASSWORD, "_csrf_token": token})
    assert (done.status_code, done.headers["location"]) == (303, "/login?done=password-reset")

    assert not await session_works(client, old_session)  # every session ended
    again = await client.post(path, data={"password": "another long passphrase", "_csrf_token": token})
    assert again.status_code == 410  # single use
    assert (await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})).status_code == 401
    assert await session_works(client, await api_login(client, email, NEW_PASSWORD))


async def test_password_reset_api_answers_the_same_and_links_expire(client):
    email = "api-reset@example.org"
    await accounts.create_account(email, "Api Reset", PASSWORD)
    known = await client.post("/api/auth/password-reset", json={"email": email, "language": "es"})
    unknown = await client.post("/api/auth/password-reset", json={"email": "ghost@example.org"})
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert known.status_code == 202
    assert await sql.fetchval("SELECT language FROM outbox_message WHERE kind = 'password_reset'") == "es"
    nonce = await sql.fetchval("SELECT token_nonce FROM password_reset")
    token = password_reset_token(get_settings().secret_key, nonce)

    short = await client.post("/api/auth/password-reset/confirm", json={"token": token, "password": "short"})
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "password"
    await sql.execute("UPDATE password_reset SET expires_at = now() - interval '1 second'")
    expired = await client.post("/api/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert expired.status_code == 410
    assert (await client.get(f"/password-reset/{token}")).status_code == 410

    await client.post("/api/auth/password-reset", json={"email": email})  # a new request replaces the old link
    nonce = await sql.fetchval("SELECT token_nonce FROM password_reset")
    fresh = password_reset_token(get_settings().secret_key, nonce)
    ok = await client.post("/api/auth/password-reset/confirm", json={"token": fresh, "password": NEW_PASSWORD})
    reused = await client.post("/api/auth/password-reset/confirm", json={"token": fresh, "password": NEW_PASSWORD})
    assert (ok.status_code, reused.status_code) == (204, 410)
    assert ok.headers["cache-control"] == "no-store"


# --------------------------------------------------------------------------- change


async def test_password_change_ends_every_other_session(client):
    email = "changer@example.org"
    await accounts.create_account(email, "Chris Changer", PASSWORD)
    here, laptop, phone = [await api_login(client, email) for _ in range(3)]
    wrong = await client.post(
        "/api/auth/password", headers=bearer(here), json={"current_password": "not it", "new_password": NEW_PASSWORD}
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "current_password"
    changed = await client.post(
        "/api/auth/password", headers=bearer(here), json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 200 and changed.json() == {"other_sessions_ended": 2}
    assert [await session_works(client, t) for t in (here, laptop, phone)] == [True, False, False]


async def test_password_change_page_keeps_this_session_and_ends_the_others(client):
    email = "page-changer@example.org"
    await accounts.create_account(email, "Paula Changer", PASSWORD)
    elsewhere = await api_login(client, email)
    token = await form_token(client, "/login")
    await client.post("/login", data={"email": email, "password": PASSWORD, "_csrf_token": token})
    token = await form_token(client, "/organizer/password")
    common = await client.post(
        "/organizer/password", data={"current_password": PASSWORD, "new_password": "password1234", "_csrf_token": token}
    )
    assert common.status_code == 422 and 'id="f-new_password-error"' in common.text
    done = await client.post(
        "/organizer/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "_csrf_token": token}
    )
    assert (done.status_code, done.headers["location"]) == (303, "/organizer?done=password-changed")
    assert (await client.get("/organizer")).status_code == 200  # this browser stays logged in
    assert not await session_works(client, elsewhere)


# --------------------------------------------------------------------------- password rules


@pytest.mark.parametrize(
    "password, problem",
    [
        ("short words", "at least 12 characters"),
        ("1q2w3e4r5t6y", "most common passwords"),
        ("qwertyuiop123!", "most common passwords"),
        ("Password2026!!", "most common passwords"),
        ("aaaaaaaaaaaaaaaa", "repeats"),
    ],
)
async def test_weak_or_common_passwords_are_refused_naming_the_field(client, password, problem):
    email = "rules@example.org"
    await accounts.create_account(email, "Rules", PASSWORD)
    token = await api_login(client, email)
    response = await client.post(
        "/api/auth/password", headers=bearer(token), json={"current_password": PASSWORD, "new_password": password}
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "new_password" and problem in error["message"]


def test_common_password_list_comes_from_the_package():
    assert len(common_passwords()) > 20000 and "123456" in common_passwords()
    assert password_problems(NEW_PASSWORD, 12) == []


def test_cli_reads_the_password_without_echo(monkeypatch):
    prompts: list[str] = []

    def hidden(prompt: str = "") -> str:
        prompts.append(prompt)
        return NEW_PASSWORD

    def echoing(prompt: str = "") -> str:
        raise AssertionError("the password must not be read with input(): it would be echoed")

    monkeypatch.delenv("ORGANIZER_PASSWORD", raising=False)
    monkeypatch.setattr(getpass, "getpass", hidden)
    monkeypatch.setattr("builtins.input", echoing)
    assert cli.read_password("cli@example.org") == NEW_PASSWORD
    assert prompts == ["password: ", "password again: "]
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": "letmein")
    with pytest.raises(SystemExit, match="at least 12 characters"):
        cli.read_password("cli@example.org")


# --------------------------------------------------------------------------- argon2 off the event loop


async def test_argon2_runs_in_worker_threads_at_most_two_at_once(client, monkeypatch):
    """Eight parallel logins: every verification runs outside the event loop's thread, never more than
    ARGON2_THREADS at once, and the loop stays free to answer a cheap request meanwhile."""
    await accounts.create_account("parallel@example.org", "Parallel", PASSWORD)
    loop_thread = threading.get_ident()
    seen: list[int] = []
    running = 0
    most = 0
    lock = threading.Lock()
    real = accounts.verify_password

    def watched(password_hash: str, password: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            seen.append(threading.get_ident())
        try:
            time.sleep(0.05)  # long enough for the eight to overlap
            return real(password_hash, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(accounts, "verify_password", watched)
    logins = [
        asyncio.create_task(
            client.post("/api/auth/login", json={"email": "parallel@example.org", "password": PASSWORD})
        )
        for _ in range(8)
    ]
    await asyncio.sleep(0)
    cheap = await client.get("/health")
    finished_while_logins_ran = not all(t.done() for t in logins)
    statuses = [r.status_code for r in await asyncio.gather(*logins)]
    assert statuses == [200] * 8
    assert len(seen) == 8 and loop_thread not in seen
    assert most == accounts.ARGON2_THREADS
    assert cheap.status_code in (200, 503) and finished_while_logins_ran


async def test_new_password_hashes_are_made_off_the_loop(client, monkeypatch):
    loop_thread = threading.get_ident()
    threads: list[int] = []
    real = accounts.hash_password
    monkeypatch.setattr(accounts, "hash_password", lambda p: threads.append(threading.get_ident()) or real(p))
    await accounts.create_account("hashed@example.org", "Hashed", PASSWORD)
    token = await api_login(client, "hashed@example.org")
    await client.post(
        "/api/auth/password", headers=bearer(token), json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert len(threads) == 2 and loop_thread not in threads
