"""One entry policy for pages and API, against the real Redis and PostgreSQL: the same limits whatever door a
request uses, the client address taken from X-Forwarded-For only behind a trusted proxy, a lockout a stranger
cannot turn against an owner, limits that hold while Redis is busy; and transport and headers (SMTP TLS
verification, the API documentation's own assets and CSP, HSTS, nosniff, no-store)."""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
import shutil
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest
from litestar import Request

from events_app.db import sql
from events_app.mail import transport as smtp_transport
from events_app.services.people import accounts
from events_app.services.platform import limits
from events_app.settings import get_settings
from events_app.web import abuse
from events_app.web import pages as web_pages
from events_app.web.app import create_app
from tests.fixtures import PASSWORD, free_port, published_event, start_api, stop

ROOT = Path(__file__).resolve().parents[2]
TOKEN_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
def limited(monkeypatch):
    """Settings for this test only (the suite runs with the limits raised)."""

    def apply(**values):
        settings = dataclasses.replace(get_settings(), **values)
        for module in (limits, abuse, accounts, web_pages):
            monkeypatch.setattr(module, "get_settings", lambda: settings)
        return settings

    return apply


def client_from(ip: str) -> httpx.AsyncClient:
    """A separate app instance seen as coming from `ip` (the TCP peer)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(), client=(ip, 40000)), base_url="http://testserver"
    )


async def clear_limits() -> None:
    """Forget every counter and lock (tests reuse the same few documentation addresses)."""
    r = limits.client()
    keys = [key async for key in r.scan_iter(match=f"{limits.PREFIX}:*")]
    if keys:
        await r.delete(*keys)


async def form_token(c: httpx.AsyncClient, url: str) -> str:
    page = await c.get(url)
    assert page.status_code == 200, page.text
    return TOKEN_RE.search(page.text).group(1)


def person(n) -> dict:
    return {
        "email": f"rush{n}-{secrets.token_hex(3)}@example.org",
        "name": f"Rush {n}",
        "category": "delegate",
        "consent": True,
    }


def first_refusal(statuses: list[int]) -> int | None:
    return statuses.index(429) if 429 in statuses else None


# --------------------------------------------------------------------------- the same limits on pages and API


async def test_registration_form_is_limited_like_the_api(client, organizer, limited):
    limited(limit_register_ip="3/60")
    event = await published_event(client, organizer)
    url = f"/events/{event['id']}/register"
    await clear_limits()
    async with client_from("198.51.100.1") as api:
        api_statuses = [
            (await api.post(f"/api/events/{event['id']}/registrations", json=person(i))).status_code for i in range(5)
        ]
    async with client_from("198.51.100.2") as browser:
        token = await form_token(browser, url)
        page_statuses = []
        for i in range(5):
            body = person(f"p{i}")
            response = await browser.post(url, data={**body, "consent": "yes", "language": "en", "_csrf_token": token})
            page_statuses.append(response.status_code)
    assert api_statuses == [201, 201, 201, 429, 429]
    assert page_statuses == [303, 303, 303, 429, 429]
    assert response.headers["retry-after"].isdigit()
    assert await sql.fetchval("SELECT count(*) FROM registration") == 6


async def test_registration_form_per_email_limit_stops_mail_bombing(client, organizer, limited):
    limited(limit_register_email="2/3600")
    event = await published_event(client, organizer)
    url = f"/events/{event['id']}/register"
    body = {**person("dup"), "consent": "yes", "language": "en"}
    await clear_limits()
    async with client_from("198.51.100.1") as browser:
        token = await form_token(browser, url)
        statuses = [(await browser.post(url, data={**body, "_csrf_token": token})).status_code for _ in range(6)]
    assert first_refusal(statuses) == 2
    assert set(statuses[2:]) == {429}
    # one registration, at most one "here is your link" for the duplicate: not one email per submission
    assert await sql.fetchval("SELECT count(*) FROM outbox_message WHERE recipient = $1", body["email"]) <= 2


async def test_resend_link_form_is_limited_like_the_api(client, organizer, limited):
    limited(limit_resend_email="3/3600")
    event = await published_event(client, organizer)
    await clear_limits()
    async with client_from("198.51.100.1") as api:
        api_statuses = [
            (
                await api.post(
                    f"/api/events/{event['id']}/registrations/resend-link", json={"email": "target@example.org"}
                )
            ).status_code
            for _ in range(5)
        ]
    async with client_from("198.51.100.2") as browser:
        token = await form_token(browser, f"/events/{event['id']}")
        page_statuses = [
            (
                await browser.post(
                    f"/events/{event['id']}/resend-link", data={"email": "victim@example.org", "_csrf_token": token}
                )
            ).status_code
            for _ in range(5)
        ]
    assert api_statuses == [202, 202, 202, 429, 429]
    assert page_statuses == [303, 303, 303, 429, 429]


async def test_login_form_is_limited_like_the_api(client, limited):
    limited(limit_login_ip="4/60")
    await clear_limits()
    async with client_from("198.51.100.1") as api:
        api_statuses = [
            (await api.post("/api/auth/login", json={"email": f"a{i}@example.org", "password": "x"})).status_code
            for i in range(6)
        ]
    async with client_from("198.51.100.2") as browser:
        token = await form_token(browser, "/login")
        page_statuses = [
            (
                await browser.post("/login", data={"email": f"b{i}@example.org", "password": "x", "_csrf_token": token})
            ).status_code
            for i in range(6)
        ]
    assert api_statuses == [401, 401, 401, 401, 429, 429]
    assert page_statuses == [401, 401, 401, 401, 429, 429]


async def test_password_reset_form_is_limited_like_the_api(client, limited):
    limited(limit_reset_email="2/3600")
    await clear_limits()
    async with client_from("198.51.100.1") as api:
        api_statuses = [
            (await api.post("/api/auth/password-reset", json={"email": "olga@example.org"})).status_code
            for _ in range(4)
        ]
    async with client_from("198.51.100.2") as browser:
        token = await form_token(browser, "/password-reset")
        page_statuses = [
            (
                await browser.post("/password-reset", data={"email": "olga2@example.org", "_csrf_token": token})
            ).status_code
            for _ in range(4)
        ]
    assert api_statuses == [202, 202, 429, 429]
    assert page_statuses == [303, 303, 429, 429]


# --------------------------------------------------------------------------- the client's address


async def test_forwarded_for_is_ignored_without_a_trusted_proxy(client, limited):
    limited(limit_login_ip="2/60", trusted_proxies="")
    await clear_limits()
    async with client_from("198.51.100.1") as c:
        statuses = [
            (
                await c.post(
                    "/api/auth/login",
                    json={"email": "x@example.org", "password": "x"},
                    headers={"X-Forwarded-For": f"203.0.113.{i}"},
                )
            ).status_code
            for i in range(4)
        ]
    assert statuses == [401, 401, 429, 429]  # a new made-up address per request changes nothing


async def test_forwarded_for_is_honoured_from_a_trusted_proxy_only(client, limited):
    limited(limit_login_ip="2/60", trusted_proxies="192.0.2.0/28, 2001:db8::1")
    await clear_limits()
    async with client_from("192.0.2.7") as proxy:
        # every client behind the proxy has its own counter; what a client wrote to the left is not believed
        spread = [
            (
                await proxy.post(
                    "/api/auth/login",
                    json={"email": "x@example.org", "password": "x"},
                    headers={"X-Forwarded-For": f"198.18.0.{i}"},
                )
            ).status_code
            for i in range(4)
        ]
        one = [
            (
                await proxy.post(
                    "/api/auth/login",
                    json={"email": "x@example.org", "password": "x"},
                    headers={"X-Forwarded-For": f"10.9.9.{i}, 198.18.1.1"},
                )
            ).status_code
            for i in range(3)
        ]
    async with client_from("203.0.113.9") as outsider:
        spoofed = [
            (
                await outsider.post(
                    "/api/auth/login",
                    json={"email": "x@example.org", "password": "x"},
                    headers={"X-Forwarded-For": f"198.18.2.{i}"},
                )
            ).status_code
            for i in range(3)
        ]
    assert spread == [401, 401, 401, 401]
    assert one == [401, 401, 429]
    assert spoofed == [401, 401, 429]


def test_client_address_walks_the_forwarded_chain_from_the_right(limited):
    limited(trusted_proxies="10.0.0.0/8")

    def Req(peer: str, xff: list[str]) -> Request:
        return Request(
            {
                "type": "http",
                "method": "GET",
                "path": "/",
                "query_string": b"",
                "headers": [(b"x-forwarded-for", v.encode()) for v in xff],
                "client": (peer, 1),
            }
        )

    assert abuse.client_ip(Req("10.0.0.1", ["6.6.6.6, 198.51.100.4, 10.0.0.3"])) == "198.51.100.4"
    assert abuse.client_ip(Req("10.0.0.1", ["6.6.6.6", "198.51.100.4"])) == "198.51.100.4"
    assert abuse.client_ip(Req("10.0.0.1", [])) == "10.0.0.1"
    assert abuse.client_ip(Req("198.51.100.9", ["6.6.6.6"])) == "198.51.100.9"


def test_every_uvicorn_start_ignores_proxy_headers():
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 unless told not to; every place that starts it says so."""
    files = [
        ROOT / "manage.py",
        ROOT / "Dockerfile",
        ROOT / "docker-compose.yml",
        *ROOT.glob("tests/**/*.py"),
        *ROOT.glob("bench/*.py"),
    ]
    starts = []
    for path in files:
        text = path.read_text()
        for match in re.finditer(r'"uvicorn"', text):
            command = text[match.start() : text.find("]", match.start())]
            if "create_app" in command:
                starts.append((path.name, "--no-proxy-headers" in command))
    assert len(starts) >= 5
    assert [name for name, ok in starts if not ok] == []


async def test_uvicorn_as_started_here_does_not_take_the_address_from_forwarded_for(db, tmp_path):
    """A real uvicorn process, reached from 127.0.0.1 (which uvicorn trusts by default): made-up X-Forwarded-For
    values must not give each request a fresh counter."""
    await limits.client().delete(limits._key("login-ip", "127.0.0.1"))
    proc, url = start_api(tmp_path / "api.log", env={"RATE_LIMIT_LOGIN_PER_IP": "2/60"})
    try:
        async with httpx.AsyncClient(base_url=url) as c:
            statuses = [
                (
                    await c.post(
                        "/api/auth/login",
                        json={"email": "x@example.org", "password": "x"},
                        headers={"X-Forwarded-For": f"203.0.113.{i}"},
                    )
                ).status_code
                for i in range(4)
            ]
    finally:
        stop(proc)
        await limits.client().delete(limits._key("login-ip", "127.0.0.1"))
    assert statuses == [401, 401, 429, 429]


# --------------------------------------------------------------------------- lockout


async def test_stranger_failures_from_elsewhere_do_not_lock_the_owner_out(client, limited):
    limited(login_lockout_after=3, login_lockout_base_seconds=300)
    email = f"owner-{secrets.token_hex(3)}@example.org"
    await accounts.create_account(email, "Owner", PASSWORD)
    await clear_limits()
    async with client_from("203.0.113.66") as stranger:
        attack = [
            (await stranger.post("/api/auth/login", json={"email": email, "password": f"guess{i}"})).status_code
            for i in range(6)
        ]
        still_locked = await stranger.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    async with client_from("198.51.100.20") as owner:
        token = await form_token(owner, "/login")
        api = await owner.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        page = await owner.post("/login", data={"email": email, "password": PASSWORD, "_csrf_token": token})
    assert attack == [401, 401, 401, 429, 429, 429]
    assert still_locked.status_code == 429  # the stranger stays locked even with the right password
    assert api.status_code == 200
    assert page.status_code == 303 and page.headers["location"] == "/organizer"


async def test_owner_failing_from_their_own_address_is_locked_there(client, limited):
    limited(login_lockout_after=2, login_lockout_base_seconds=300)
    email = f"owner-{secrets.token_hex(3)}@example.org"
    await clear_limits()
    async with client_from("198.51.100.21") as owner:
        statuses = [
            (await owner.post("/api/auth/login", json={"email": email, "password": "x"})).status_code for _ in range(3)
        ]
    assert statuses == [401, 401, 429]


# --------------------------------------------------------------------------- Redis busy or unreachable


async def test_limits_hold_while_the_redis_pool_is_busy(client, organizer, limited, monkeypatch):
    limited(limit_register_ip="100/60", limits_pool_size=1, limits_pool_wait_seconds=0.3)
    event = await published_event(client, organizer)
    monkeypatch.setattr(limits, "_client", None)
    monkeypatch.setattr(limits, "_windows", None)
    pool = limits.client().connection_pool
    held = await pool.get_connection()  # every connection of the pool is in use
    try:
        async with client_from("198.51.100.3") as c:
            busy = await c.post(f"/api/events/{event['id']}/registrations", json=person("busy"))
            token = await form_token(c, f"/events/{event['id']}/register")
            busy_page = await c.post(
                f"/events/{event['id']}/register", data={**person("busy-page"), "consent": "yes", "_csrf_token": token}
            )
    finally:
        await pool.release(held)
    async with client_from("198.51.100.4") as c:
        free = await c.post(f"/api/events/{event['id']}/registrations", json=person("free"))
    await pool.disconnect()
    monkeypatch.setattr(limits, "_client", None)
    monkeypatch.setattr(limits, "_windows", None)
    assert (busy.status_code, busy_page.status_code, free.status_code) == (503, 503, 201)
    assert busy.headers["retry-after"] == "1"
    assert await sql.fetchval("SELECT count(*) FROM registration") == 1


async def test_limits_skipped_and_logged_when_redis_is_unreachable(client, organizer, limited, monkeypatch):
    limited(limit_register_ip="1/60", limit_register_email="1/60", redis_url="redis://127.0.0.1:1/0")
    event = await published_event(client, organizer)
    monkeypatch.setattr(limits, "_client", None)
    monkeypatch.setattr(limits, "_windows", None)
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    limits.log.addHandler(handler)
    try:
        async with client_from("198.51.100.5") as c:
            statuses = [
                (await c.post(f"/api/events/{event['id']}/registrations", json=person(i))).status_code for i in range(3)
            ]
    finally:
        limits.log.removeHandler(handler)
    monkeypatch.setattr(limits, "_client", None)
    monkeypatch.setattr(limits, "_windows", None)
    assert statuses == [201, 201, 201]
    assert any("skipped: Redis unreachable" in r.getMessage() for r in records)


# --------------------------------------------------------------------------- SMTP TLS


@pytest.fixture
def tls_smtp_server(tmp_path):
    """An SMTPS server (implicit TLS) with a self-signed certificate; yields (port, received messages)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    from aiosmtpd.controller import Controller

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.content)
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    yield port, received
    controller.stop()


def _transport(port: int, **values) -> smtp_transport.SmtpTransport:
    return smtp_transport.SmtpTransport(
        dataclasses.replace(get_settings(), smtp_url=f"smtps://127.0.0.1:{port}", **values)
    )


MESSAGE = b"Subject: hello\r\nFrom: events@example.org\r\nTo: ana@example.org\r\n\r\nhi\r\n"


async def test_smtp_tls_refuses_an_unverified_certificate_by_default(tls_smtp_server):
    port, received = tls_smtp_server
    assert get_settings().smtp_tls_verify is True
    t = _transport(port)
    with pytest.raises(smtp_transport.TemporaryFailure, match="CERTIFICATE_VERIFY_FAILED"):
        await t.send(MESSAGE, "events@example.org", "ana@example.org")
    assert received == []


async def test_smtp_tls_verification_can_be_turned_off_for_a_local_relay(tls_smtp_server):
    port, received = tls_smtp_server
    t = _transport(port, smtp_tls_verify=False)
    await t.send(MESSAGE, "events@example.org", "ana@example.org")
    await t.close()
    assert len(received) == 1


def test_smtp_tls_context_checks_certificate_and_name():
    context = smtp_transport.tls_context(True)
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)


# --------------------------------------------------------------------------- headers and the API documentation


async def test_api_documentation_uses_only_local_pinned_assets_under_a_csp(client):
    page = await client.get("/schema")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy
    assert re.search(r"https?://", page.text) is None  # nothing loaded from another origin
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) is None  # no inline script
    assets = [a for a in re.findall(r'(?:src|href)="([^"]+)"', page.text) if a != "data:,"]  # empty favicon
    assert assets and all(a.startswith("/static/") for a in assets)
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200 and len(response.content) > 100, asset
    assert (await client.get("/schema/openapi.json")).status_code == 200


async def test_nosniff_everywhere_and_hsts_only_on_https(client, organizer, limited):
    for path in ("/", "/api/events", "/schema", "/health", "/static/app.css"):
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert "strict-transport-security" not in response.headers, path
    limited(public_url="https://events.example.org")
    for path in ("/", "/api/events", "/schema"):
        response = await client.get(path)
        assert response.headers["strict-transport-security"].startswith("max-age="), path


async def test_answers_carrying_tokens_are_not_stored(client, organizer):
    event = await published_event(client, organizer)
    await accounts.create_account("nostore@example.org", "No Store", PASSWORD)
    login = await client.post("/api/auth/login", json={"email": "nostore@example.org", "password": PASSWORD})
    registered = await client.post(f"/api/events/{event['id']}/registrations", json=person("ns"))
    token = registered.json()["manage_token"]
    checks = {
        "login answer": login,
        "registration answer": registered,
        "registration by token": await client.get(f"/api/registrations/{token}"),
        "manage page": await client.get(f"/manage/{token}"),
        "reset request page": await client.get("/password-reset"),
        "reset page": await client.get("/password-reset/no-such-link"),
        "login page": await client.get("/login"),
    }
    assert {name: r.headers.get("cache-control") for name, r in checks.items()} == {name: "no-store" for name in checks}


def test_installed_package_carries_the_documentation_assets_and_mail_templates():
    """The wheel's package data (pyproject.toml) covers every static asset, the vendored Swagger UI included, and
    every mail template in every language (an image without them would fall back to a CDN or fail to mail)."""
    import tomllib

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    package = ROOT / "events_app"
    covered = {p for pattern in patterns["events_app"] for p in package.glob(pattern) if p.is_file()}
    needed = {
        p
        for folder in ("web/static", "mail/templates", "web/templates")
        for p in (package / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert sorted(str(p.relative_to(package)) for p in needed - covered) == []
    assert package / "web/static/vendor/swagger-ui/swagger-ui-bundle.js" in covered
