"""One error policy over HTTP, API and pages alike, against the runner's real PostgreSQL.

- A missing id, small or beyond 32/64 bits, is 404 on both (pages used to answer 503 for a 64-bit id).
- A database that cannot be reached is 503 with Retry-After on both: the API runs in its own process behind a TCP
  relay to the real server, and the relay is cut (open connections closed, new ones refused).
- A database error that is no outage (a lock timeout) is a logged 500 on both, never a 503.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from events_app.services.people import accounts
from tests.fixtures import PASSWORD, published_event, start_api, stop

MISSING_IDS = (424242, 99999999999, 2**70)
API_ROUTES = (
    "/api/events/{id}",
    "/api/events/{id}/registrations",
    "/api/events/{id}/sessions",
    "/api/events/{id}/agenda",
    "/api/events/{id}/calendar.ics",
    "/api/projects/{id}",
    "/api/meeting-series/{id}",
    "/api/events/{event}/sessions/{id}",
)
PAGE_ROUTES = (
    "/events/{id}",
    "/events/{id}/register",
    "/events/{id}/agenda",
    "/events/{id}/calendar.ics",
    "/organizer/events/{id}",
    "/organizer/events/{id}/registrations",
    "/organizer/events/{id}/agenda",
    "/coordinator/projects/{id}",
    "/coordinator/series/{id}",
    "/events/{event}/sessions/{id}",
)


async def _organizer_session(client) -> dict[str, str]:
    """An organizer (and coordinator) logged in for both the API (bearer) and the pages (session cookie)."""
    await accounts.create_account("olga@example.org", "Olga Organizer", PASSWORD, is_admin=True)
    token = (await client.post("/api/auth/login", json={"email": "olga@example.org", "password": PASSWORD})).json()
    client.cookies.set("session", token["token"])
    return {"Authorization": f"Bearer {token['token']}"}


async def test_missing_ids_small_and_64_bit_are_404_on_api_and_pages(client):
    headers = await _organizer_session(client)
    event = await published_event(client, headers)
    answers = {}
    for missing in MISSING_IDS:
        for route in API_ROUTES:
            response = await client.get(route.format(id=missing, event=event["id"]), headers=headers)
            answers[route, missing] = (response.status_code, response.headers["content-type"])
        for route in PAGE_ROUTES:
            response = await client.get(route.format(id=missing, event=event["id"]))
            answers[route, missing] = (response.status_code, response.headers["content-type"].split(";")[0])
    assert answers == (
        {(r, m): (404, "application/problem+json") for r in API_ROUTES for m in MISSING_IDS}
        | {(r, m): (404, "text/html") for r in PAGE_ROUTES for m in MISSING_IDS}
    )


async def test_missing_event_page_says_so_in_the_visitors_language(client):
    english = [await client.get(url) for url in ("/events/424242", "/events/99999999999")]
    client.cookies.set("lang", "es")
    spanish = [await client.get(url) for url in ("/events/424242/register", "/events/99999999999")]
    assert [r.status_code for r in english + spanish] == [404, 404, 404, 404]
    assert "We could not find this event." in english[0].text  # the service said what is missing
    assert "We could not find what you are looking for." in english[1].text  # no row can have this id
    assert "No encontramos este evento." in spanish[0].text and "No encontramos lo que busca." in spanish[1].text


async def test_form_post_for_missing_event_is_404_page_not_form_error(client):
    await _organizer_session(client)
    page = await client.get("/organizer")
    token = page.text.split('name="_csrf_token" value="')[1].split('"')[0]
    answers = []
    for missing in (424242, 99999999999):
        response = await client.post(f"/organizer/events/{missing}/publish", data={"_csrf_token": token})
        answers.append((response.status_code, "We could not find" in response.text, 'class="error' in response.text))
    assert answers == [(404, True, False), (404, True, False)]  # the error page, not the form with an error


async def test_manage_link_that_opens_nothing_is_404_page_when_booking(client):
    login_form = await client.get("/login")  # any form: the CSRF cookie and its token
    token = login_form.text.split('name="_csrf_token" value="')[1].split('"')[0]
    booked = await client.post("/manage/not-a-real-token/sessions/1/book", data={"_csrf_token": token})
    assert booked.status_code == 404
    assert "We could not find this registration: check the link in your email." in booked.text


# --------------------------------------------------------------------------- the API in its own process


class Relay:
    """A TCP relay to PostgreSQL: the API connects through it; cut() closes every relayed connection and stops
    listening, so the database is unreachable to the API exactly as when the server goes away."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.open = True
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.open = False
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()


def _via(url: str, port: int, query: str = "") -> str:
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + f"127.0.0.1:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


@pytest.fixture
def relayed_api(db, tmp_path) -> Iterator[tuple[Relay, str, Path]]:
    """The API in its own process, reaching PostgreSQL only through a Relay; statements give up waiting for a
    lock after 200 ms (a real database error that is no outage)."""
    database = urlsplit(os.environ["DATABASE_URL"])
    relay = Relay(database.hostname or "127.0.0.1", database.port or 5432)
    log = tmp_path / "api.log"
    proc, url = start_api(log, {"DATABASE_URL": _via(os.environ["DATABASE_URL"], relay.port, "lock_timeout=200")})
    try:
        yield relay, url, log
    finally:
        stop(proc)
        relay.cut()


OUTAGE_ROUTES = (
    "/api/events",
    "/api/events/1",
    "/api/events/99999999999",
    "/",
    "/events/1",
    "/events/1/register",
    "/events/99999999999",
    "/organizer/events/1",
)


async def _answers(url: str, routes, cookies: dict | None = None) -> dict[str, tuple]:
    out = {}
    async with httpx.AsyncClient(base_url=url, cookies=cookies or {}, timeout=30) as c:
        for route in routes:
            r = await c.get(route)
            out[route] = (r.status_code, r.headers.get("retry-after"), r.headers["content-type"].split(";")[0])
    return out


def _kind(route: str) -> str:
    return "application/problem+json" if route.startswith("/api") else "text/html"


async def test_unreachable_database_is_503_with_retry_after_on_api_and_pages(relayed_api, client):
    relay, url, _ = relayed_api
    token, _, _ = await _login_token()
    before = await _answers(url, ["/api/events", "/events/99999999999"], {"session": token})
    relay.cut()
    during = await _answers(url, OUTAGE_ROUTES, {"session": token})
    async with httpx.AsyncClient(base_url=url, cookies={"lang": "es"}, timeout=30) as c:
        spanish = await c.get("/events/1")
    assert before == {"/api/events": (200, None, "application/json"), "/events/99999999999": (404, None, "text/html")}
    assert during == {route: (503, "5", _kind(route)) for route in OUTAGE_ROUTES}
    assert "El servicio no está disponible por un momento." in spanish.text


async def test_database_error_that_is_no_outage_is_logged_500_not_503(relayed_api, organizer, client):
    _, url, log = relayed_api
    event = await published_event(client, organizer)
    routes = [f"/api/events/{event['id']}", f"/events/{event['id']}"]
    holder = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        async with holder.transaction():
            await holder.execute("LOCK TABLE event IN ACCESS EXCLUSIVE MODE")
            locked = await _answers(url, routes)
    finally:
        await holder.close()
    free = await _answers(url, routes)
    assert locked == {route: (500, None, _kind(route)) for route in routes}
    assert free == {
        route: (200, None, "application/json" if route.startswith("/api") else "text/html") for route in routes
    }
    assert "LockNotAvailableError" in log.read_text()


async def _login_token() -> tuple[str, object, object]:
    await accounts.create_account("outage@example.org", "Otto Outage", PASSWORD)
    return await accounts.login("outage@example.org", PASSWORD, client="127.0.0.1")
