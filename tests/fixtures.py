"""Fixtures: database truncation, HTTP clients, organizer accounts, and real processes (API, Celery worker)."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from events_app.db import sql
from events_app.db.engine import DB
from events_app.services.people import accounts
from events_app.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
async def db_pool() -> AsyncIterator[None]:
    """One pool on the session's event loop, shared by the tests and the in-process app."""
    await DB.start_connection_pool(min_size=1, max_size=8)
    yield
    await DB.close_connection_pool()


@pytest.fixture
async def db(db_pool) -> AsyncIterator[None]:
    """An empty database (migrations applied once per runner)."""
    tables = await sql.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migration'")
    await sql.execute(f"TRUNCATE {', '.join(t['tablename'] for t in tables)} RESTART IDENTITY CASCADE")
    yield


@pytest.fixture
async def client(db) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process on the test's event loop (the pool comes from db_pool, so no lifespan runs)."""
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def login(client, email_address: str) -> dict[str, str]:
    await accounts.create_account(email_address, email_address.split("@")[0].title(), PASSWORD)
    response = await client.post("/api/auth/login", json={"email": email_address, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
async def organizer(client) -> dict[str, str]:
    """Authorization headers of a logged-in organizer."""
    return await login(client, "organizer@example.org")


def event_body(**overrides) -> dict:
    start = (datetime.now(timezone.utc) + timedelta(days=60)).replace(hour=7, minute=0, second=0, microsecond=0)
    body = {
        "title": "Forum on Resilient Coastal Cities",
        "kind": "forum",
        "timezone": "Asia/Seoul",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=1, hours=9)).isoformat(),
        "venue_name": "Songdo Convensia",
        "city": "Incheon",
        "country": "KR",
        "organizer_email": "forum@example.org",
        "organizer_name": "Forum Secretariat",
    }
    body.update(overrides)
    return body


async def published_event(client, headers, *, categories=(("delegate", None),), **overrides) -> dict:
    """Create, add categories to, and publish an event through the API."""
    response = await client.post("/api/events", json=event_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    event = response.json()
    for code, quota in categories:
        r = await client.post(
            f"/api/events/{event['id']}/categories",
            json={"code": code, "name": code.title(), "quota": quota},
            headers=headers,
        )
        assert r.status_code == 201, r.text
    r = await client.post(f"/api/events/{event['id']}/publish", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


# --------------------------------------------------------------------------- real processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def maildir(tmp_path_factory) -> Iterator[Path]:
    """The SMTP sink's Maildir: the one manage.py started, or one started here if SMTP_URL names no sink we own."""
    if os.environ.get("MAILDIR"):
        yield Path(os.environ["MAILDIR"])
        return
    port = free_port()
    path = tmp_path_factory.mktemp("smtp") / "mail"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Mailbox",
            str(path),
        ]
    )
    wait_for_port(port, proc)
    os.environ["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    yield path
    stop(proc)


def start_worker(
    log_path: Path, name: str = "w1", env: dict | None = None, pool: tuple[str, ...] = ("--pool=solo",)
) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers.celery_app",
            "worker",
            *pool,
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"{name}@%h",
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=open(log_path, "ab"),
        stderr=subprocess.STDOUT,
    )


def start_beat(run_dir: Path, env: dict | None = None) -> subprocess.Popen:
    """Celery beat (the outbox sweep every OUTBOX_SWEEP_SECONDS) with its schedule file and log in run_dir."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers.celery_app",
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(run_dir / "celerybeat-schedule"),
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=open(run_dir / "beat.log", "ab"),
        stderr=subprocess.STDOUT,
    )


def start_api(
    log_path: Path, env: dict | None = None, extra: tuple[str, ...] = (), timeout: float = 30
) -> tuple[subprocess.Popen, str]:
    """The API in its own uvicorn process (`extra`: more uvicorn options), listening when this returns; gives the
    process and its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "events_app.web.app:create_app",
            "--factory",
            "--no-proxy-headers",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            *extra,
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {}), "PUBLIC_URL": f"http://127.0.0.1:{port}"},
        stdout=open(log_path, "ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, proc, timeout)
    except RuntimeError:
        stop(proc)
        raise
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture
def celery_worker(maildir, tmp_path) -> Iterator[subprocess.Popen]:
    """A real Celery worker process on this runner's Redis database and PostgreSQL database."""
    proc = start_worker(tmp_path / "worker.log")
    time.sleep(0.5)
    yield proc
    stop(proc)


@pytest.fixture
def api_server(maildir, tmp_path) -> Iterator[str]:
    """The API in its own uvicorn process; yields its base URL."""
    proc, url = start_api(tmp_path / "api.log")
    yield url
    stop(proc)


def read_mail(maildir: Path, recipient: str) -> list[email.message.EmailMessage]:
    """Messages addressed to `recipient`, oldest first."""
    found = []
    new = maildir / "new"
    if not new.exists():
        return found
    for path in sorted(new.iterdir(), key=lambda p: p.stat().st_mtime_ns):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if recipient in str(message["To"]):
            message.path = path  # type: ignore[attr-defined]
            found.append(message)
    return found


def wait_for_mail(maildir: Path, recipient: str, count: int = 1, timeout: float = 30) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = read_mail(maildir, recipient)
        if len(messages) >= count:
            return messages
        time.sleep(0.2)
    raise AssertionError(f"{count} message(s) to {recipient} expected, got {len(read_mail(maildir, recipient))}")


def calendar_part(message) -> bytes:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_payload(decode=True)
    raise AssertionError("no text/calendar part")


VALIDATOR = ROOT.parent / "shared" / "tools" / "validate_ics.sh"


def validate_ics(*paths: Path, previous: Path | None = None) -> None:
    """Run the shared six-checker validator in strict mode when it is available (it is in CI)."""
    if not VALIDATOR.exists():
        pytest.skip(f"{VALIDATOR} not available")
    args = ["bash", str(VALIDATOR), "--strict"]
    if previous is not None:
        args.append(f"--previous={previous}")
    result = subprocess.run(args + [str(p) for p in paths], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
