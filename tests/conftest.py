"""Test set-up shared by every layer.

`python3 manage.py test` starts (or names) PostgreSQL, Redis and an SMTP sink and exports their URLs. Each pytest
runner (xdist worker) gets its own database and Redis database, so runners never see each other's rows or tasks.
Tables are truncated before each test that uses the database.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNNER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
RUNNER_NUMBER = int(RUNNER.removeprefix("gw") or 0)
# `python3 manage.py test tests/unit` starts no server: the pure tests need none. Any other layer needs them.
SERVERS = bool(os.environ.get("DATABASE_URL"))
LAYERS = ("unit", "integration", "e2e", "browser", "fuzz", "security")


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


if SERVERS:
    SERVER_URL = os.environ["DATABASE_URL"]
    TEST_DATABASE = f"events_test_{RUNNER}"
    os.environ["DATABASE_URL"] = _with_path(SERVER_URL, f"/{TEST_DATABASE}")
    os.environ["REDIS_URL"] = _with_path(
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), f"/{1 + RUNNER_NUMBER}"
    )
os.environ.setdefault("SECRET_KEY", "test-secret-" + "x" * 32)
os.environ.setdefault("OUTBOX_SWEEP_SECONDS", "2")
# Tests log in and register from one address far more often than any person would: the abuse limits are raised
# for the suite (tests/integration/web/test_abuse_limits.py checks them with low values of its own).
for _limit in (
    "RATE_LIMIT_LOGIN_PER_IP",
    "RATE_LIMIT_REGISTER_PER_IP",
    "RATE_LIMIT_REGISTER_PER_EMAIL",
    "RATE_LIMIT_RESEND_PER_IP",
    "RATE_LIMIT_RESEND_PER_EMAIL",
    "RATE_LIMIT_PERSON_LINK_PER_IP",
    "RATE_LIMIT_PERSON_LINK_PER_EMAIL",
    "RATE_LIMIT_PASSWORD_RESET_PER_IP",
    "RATE_LIMIT_PASSWORD_RESET_PER_EMAIL",
    "RATE_LIMIT_CHECKIN_PER_ACCOUNT",
    "RATE_LIMIT_CHECKIN_PER_IP",
    "RATE_LIMIT_CHECKIN_UNKNOWN_PER_ACCOUNT",
    "RATE_LIMIT_CERTIFICATE_PER_IP",
    "RATE_LIMIT_CERTIFICATE_MAIL_PER_REGISTRATION",
):
    os.environ.setdefault(_limit, "1000000/60")
os.environ.setdefault("LOGIN_LOCKOUT_AFTER", "1000")


async def _recreate_database() -> None:
    from events_app.db.admin import recreate_database

    await recreate_database(SERVER_URL, TEST_DATABASE)


def pytest_configure(config) -> None:
    for layer in LAYERS:
        config.addinivalue_line("markers", f"{layer}: a test of the {layer} layer (tests/{layer}/)")
    if not SERVERS:
        return
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return  # the xdist controller runs no tests; each runner prepares its own database
    asyncio.run(_recreate_database())
    subprocess.run(
        [sys.executable, "-m", "events_app.cli", "migrate"],
        check=True,
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
    )


pytest_plugins = ["tests.fixtures"]


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test with its layer (its folder under tests/), and refuse layers that need servers without them."""
    needs_servers = []
    for item in items:
        parts = Path(str(item.fspath)).relative_to(ROOT / "tests").parts
        layer = parts[0] if len(parts) > 1 and parts[0] in LAYERS else None
        if layer:
            item.add_marker(getattr(pytest.mark, layer))
        if layer != "unit":
            needs_servers.append(item.nodeid)
    if needs_servers and not SERVERS:
        raise pytest.UsageError(
            f"{len(needs_servers)} selected tests (e.g. {needs_servers[0]}) need PostgreSQL, Redis and an SMTP "
            "server: run them with `python3 manage.py test` (it starts them), or set DATABASE_URL, REDIS_URL and "
            "SMTP_URL"
        )
