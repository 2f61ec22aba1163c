"""The whole congress day under load: every route at once, next to each route run alone in the same run.

    .venv/bin/python bench/congress_day.py [--seconds 60] [--alone-seconds 6] [--rush 300] [--api-processes 1]
                                           [--workers 1] [--scale 1.0] [--arrivals poisson|even]
                                           [--latencies FILE]

Seeds (embedded PostgreSQL, Redis and a Maildir SMTP sink, as manage.py starts them) the demo congress (Malmö,
three days) scaled up: 3,000 confirmed delegates registered through the API, 200 published sessions in 8 rooms,
six of them workshops of 40 places that need booking, check-in codes for everyone and four door desks logged in
through the login page. The seeding's confirmation emails count as sent; then one API process (uvicorn) and one
Celery worker (`--pool=solo`, on the queue the API's kicks go to) start.

Load is open-loop: each route gets requests at a fixed average rate, at random gaps (a Poisson stream, as many
independent phones and desks send them, not one client waiting for the last answer; `--arrivals even` for equal
gaps), latency is measured from when a request was due, so queueing counts. Routes:

- programme page `GET /events/{id}/agenda`, agenda JSON `GET /api/events/{id}/agenda`, session pages
  `GET /events/{id}/sessions/{sid}`, manage pages `GET /manage/{token}`;
- personal feed polls `GET /api/my-agenda/{feed token}/calendar.ics` with the ETag of the last answer (304s);
- check-in syncs from four desks, one scan per batch, exactly as static/checkin.js sends them (bench/checkin.py);
- a registration trickle `POST /api/events/{id}/registrations`;
- a booking rush: `--rush` delegates at the same instant each `PUT /api/registrations/{token}/agenda/{sid}` one of
  three hot workshops of 40 places (the rest join the waiting lists), sent from a process of its own as phones
  would be (from the process timing the other routes, its client work delayed them and counted as latency);
- mixed phase only: one venue change of the congress (`PATCH /api/events/{id}` then
  `POST .../calendar-updates/release`), which writes an update with the new venue for all ~3,000 delegates.

First each route alone for `--alone-seconds` (the rush once, on its own three workshops), then all of them together
for `--seconds` (the rush at a quarter of it, on three other workshops; the venue change at 40 %). Printed per route:
requests, throughput, p50/p99 under the mixed load, p99 alone and the ratio (target <= 3), 5xx (target none); then
the mail: every message queued during the run delivered to the SMTP sink (counted in its Maildir), and how long the
venue change's updates and the whole queue took. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import checkin as checkin_bench  # noqa: E402
import mail as mail_bench  # noqa: E402
import registration_rush as rush  # noqa: E402

import manage  # noqa: E402  (standard library only: starts the embedded servers)

TARGET_RATIO = 3.0
DELEGATES = 3000
SESSIONS = 200
ROOMS = 8
PLACES = 40
DESKS = 4
YEAR = 2031
TZ = "Europe/Stockholm"
# Requests per second per route (times --scale): a congress morning for one API process on a small machine.
RATES = {
    "programme page": 15.0,
    "agenda JSON": 25.0,
    "session page": 25.0,
    "manage page": 15.0,
    "feed poll": 30.0,
    "check-in sync": 12.0,
    "registration": 3.0,
}


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    dues: list[float] = field(default_factory=list)  # when each request was due (perf_counter), for the timeline
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    skipped: int = 0
    first_error: str = ""

    def add(self, status: int, latency: float, error: str = "", due: float = 0.0) -> None:
        self.latencies.append(latency)
        self.dues.append(due)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if (status >= 500 or status == 0) and not self.first_error:
            self.first_error = error[:300]

    def p(self, q: float) -> float:
        return rush.Result(latencies=self.latencies).percentile(q)

    @property
    def errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500 or s == 0)


# --------------------------------------------------------------------------- processes


class Worker(mail_bench.Worker):
    """bench/mail.py's worker process, on Celery's default queue: the API's own kicks (bookings, registrations, the
    venue change) reach it as they would in production."""

    def __init__(self, env: dict, log_dir: Path, number: int = 0) -> None:
        self.queue = "celery"
        self.log_file = log_dir / f"worker-{number}.log"
        self.proc = subprocess.Popen(
            [
                str(manage.venv_python()),
                "-m",
                "celery",
                "-A",
                "workers.celery_app",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
                "-n",
                f"day-{number}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=open(self.log_file, "ab"),  # noqa: SIM115  (closed with the process)
            stderr=subprocess.STDOUT,
        )


# --------------------------------------------------------------------------- seeding


@dataclass
class Congress:
    event_id: int
    sessions: list[int]
    hot: list[int]
    tokens: list[str]
    feed_tokens: list[str]
    codes: list[str]
    desks: list[dict[str, str]]


async def seed(port: int, api: rush.Api) -> Congress:
    import httpx

    from events_app.db import sql
    from events_app.db.engine import DB
    from events_app.services.onsite import checkin, checkin_codes
    from events_app.services.people import accounts
    from events_app.services.registration import registration_links

    event = await api.call(
        "POST",
        "/api/events",
        {
            "title": "World Congress of Local and Regional Governments",
            "kind": "congress",
            "description": "Three days on how cities and regions lead the transition.",
            "timezone": TZ,
            "starts_at": f"{YEAR}-05-18T09:00:00",
            "ends_at": f"{YEAR}-05-20T18:00:00",
            "venue_name": "Malmö Live Konserthus",
            "venue_address": "Dag Hammarskjölds torg 4",
            "city": "Malmö",
            "country": "SE",
            "organizer_email": "congress@example.org",
            "organizer_name": "World Congress Secretariat",
        },
    )
    event_id = event["id"]
    await api.call("POST", f"/api/events/{event_id}/categories", {"code": "delegate", "name": "Delegate"})
    await api.call("POST", f"/api/events/{event_id}/publish")
    rooms = [
        (await api.call("POST", f"/api/events/{event_id}/rooms", {"name": f"Hall {n + 1}", "capacity": 400}))["id"]
        for n in range(ROOMS)
    ]
    sessions, hot = [], []
    slots = [(day, hour) for day in range(3) for hour in range(9, 18)]  # 27 one-hour slots x 8 rooms
    kinds = ["talk", "panel", "workshop", "plenary", "side_event"]
    for n in range(SESSIONS):
        day, hour = slots[n // ROOMS]
        is_hot = n % ROOMS == 0 and len(hot) < 6  # one per slot, so a delegate can book every hot one
        session = await api.call(
            "POST",
            f"/api/events/{event_id}/sessions",
            {
                "title": f"{'Workshop' if is_hot else 'Session'} {n + 1}: resilient, equitable cities",
                "kind": "workshop" if is_hot else kinds[n % len(kinds)],
                "starts_at": f"{YEAR}-05-{18 + day}T{hour:02d}:00:00",
                "ends_at": f"{YEAR}-05-{18 + day}T{hour:02d}:50:00",
                "room_id": rooms[n % ROOMS],
                "abstract": "Mayors and their teams compare what worked. " * 4,
                "requires_booking": is_hot,
                "capacity": PLACES if is_hot else None,
            },
        )
        sessions.append(session["id"])
        if is_hot:
            hot.append(session["id"])
    log(f"event {event_id}: {len(sessions)} sessions in {ROOMS} rooms; registering {DELEGATES} delegates")
    tokens: list[str] = [""] * DELEGATES
    numbers = iter(range(DELEGATES))

    async def registrar(client: httpx.AsyncClient) -> None:
        for i in numbers:
            answer = await client.post(
                f"/api/events/{event_id}/registrations",
                json={
                    "email": f"delegate{i:05d}@bench.example.org",
                    "name": f"{checkin_bench.NAMES[i % len(checkin_bench.NAMES)]} {i}",
                    "category": "delegate",
                    "language": "es" if i % 5 == 0 else "en",
                    "consent": True,
                },
            )
            if answer.status_code != 201 or answer.json()["status"] != "confirmed":
                raise SystemExit(f"registration {i}: {answer.status_code} {answer.text[:300]}")
            tokens[i] = answer.json()["manage_token"]

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        await asyncio.gather(*(registrar(client) for _ in range(8)))
    await DB.start_connection_pool(min_size=1, max_size=4)
    try:
        ids = [r["id"] for r in await sql.fetch("SELECT id FROM registration WHERE event = $1 ORDER BY id", event_id)]
        feed_tokens = []
        for registration_id in ids[:600]:
            links = await registration_links.ensure(registration_id)
            feed_tokens.append(links.feed_url.split("/api/my-agenda/")[1].split("/")[0])
        await checkin_codes.issue_for_event(event_id)
        rows = await sql.fetch(
            "SELECT nonce FROM checkin_code WHERE event = $1 AND revoked_at IS NULL ORDER BY registration", event_id
        )
        codes = [checkin_codes.code_of(r["nonce"]) for r in rows]
        owner_id = await sql.fetchval("SELECT id FROM account WHERE email = 'bench@example.org'")
        owner = accounts.CurrentAccount(id=owner_id, email="bench@example.org", name="Bench", is_admin=True)
        desks = []
        for n in range(DESKS):
            email = f"door{n + 1}@bench.example.org"
            await accounts.create_account(email, f"Door {n + 1}", checkin_bench.PASSWORD)
            await checkin.add_staff(owner, event_id, {"email": email, "desk": f"Door {n + 1}"})
            desks.append((email, f"Door {n + 1}"))
        # The seeding's confirmations count as sent: what is measured is the mail the day itself causes.
        await sql.execute("UPDATE outbox_message SET status = 'sent', sent_at = now() WHERE status <> 'sent'")
    finally:
        await DB.close_connection_pool()
    logged_in = []
    for email, desk in desks:
        raw = checkin_bench.desk_login(port, event_id, email)
        headers = dict(line.split(": ", 1) for line in raw.strip().split("\r\n"))
        logged_in.append({"desk": desk, **headers})
    return Congress(event_id, sessions, hot, tokens, feed_tokens, codes, logged_in)


# --------------------------------------------------------------------------- load


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self):
        return json.loads(self.body)


class Clients:
    """Keep-alive HTTP/1.1 connections to the API for one kind of caller, written and read by hand: a request takes
    an idle connection or opens one, as many phones or desks would each hold their own. (Through httpx, whose pool
    costs more CPU the more requests wait in it, the load generator fell behind once the API slowed down: several
    hundred requests in its pools, and the client's own queue counted as the API's latency.)"""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.head = f"Host: 127.0.0.1:{port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        message = (f"{method} {path} HTTP/1.1\r\n{self.head}{extra}Content-Length: {len(body)}\r\n\r\n").encode()
        while self.idle:
            reader, writer, since = self.idle.pop()
            if time.monotonic() - since < 2:  # before uvicorn's 5 s keep-alive timeout can race the request
                break
            writer.close()
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(message + body)
        try:
            status, answer_headers, payload = await rush.read_response(reader)
        except ConnectionError:
            writer.close()
            raise
        if answer_headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self.idle.append((reader, writer, time.monotonic()))
        return Answer(status, answer_headers, payload)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Awaitable[Answer]:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, body: bytes = b"", content_type: str = "application/json") -> Awaitable[Answer]:
        return self.request("POST", path, body, {"Content-Type": content_type})

    async def close(self) -> None:
        for _reader, writer, _since in self.idle:
            writer.close()
        self.idle.clear()


class Load:
    """The routes' requests, each kind of caller with its own connections (keep-alive, as phones and desks)."""

    def __init__(self, port: int, congress: Congress, api_token: str) -> None:
        self.c = congress
        self.port = port
        self.public = Clients(port)
        self.delegates = Clients(port)
        self.organizer = Clients(port, {"Authorization": f"Bearer {api_token}"})
        self.desks = [Clients(port, {k: v for k, v in d.items() if k != "desk"}) for d in congress.desks]
        per_desk = [congress.codes[n::DESKS] for n in range(DESKS)]
        self.scans = [
            itertools.cycle(checkin_bench.batches(codes, d["desk"], 1))
            for codes, d in zip(per_desk, congress.desks, strict=True)
        ]
        self.desk_turn = itertools.count()
        self.etags: dict[str, str] = {}
        self.registered = itertools.count()
        self.random = random.Random(19)

    async def close(self) -> None:
        for c in [self.public, self.delegates, self.organizer, *self.desks]:
            await c.close()

    async def programme_page(self):
        return await self.public.get(f"/events/{self.c.event_id}/agenda")

    async def agenda_json(self):
        return await self.public.get(f"/api/events/{self.c.event_id}/agenda")

    async def session_page(self):
        return await self.public.get(f"/events/{self.c.event_id}/sessions/{self.random.choice(self.c.sessions)}")

    async def manage_page(self):
        return await self.delegates.get(f"/manage/{self.random.choice(self.c.tokens)}")

    async def feed_poll(self):
        token = self.random.choice(self.c.feed_tokens)
        headers = {"If-None-Match": self.etags[token]} if token in self.etags else {}
        answer = await self.delegates.get(f"/api/my-agenda/{token}/calendar.ics", headers=headers)
        if answer.status_code == 200 and answer.headers.get("etag"):
            self.etags[token] = answer.headers["etag"]
        return answer

    async def checkin_sync(self):
        n = next(self.desk_turn) % DESKS
        path = f"/organizer/events/{self.c.event_id}/checkin/sync.json"
        return await self.desks[n].post(path, next(self.scans[n]))

    async def registration(self):
        i = next(self.registered)
        body = {"email": f"walk-in{i:05d}@bench.example.org", "name": f"Walk-in {i}", "category": "delegate"}
        return await self.public.post(
            f"/api/events/{self.c.event_id}/registrations", json.dumps({**body, "consent": True}).encode()
        )

    async def venue_change(self) -> tuple[int, int]:
        """(answer status, updates written)."""
        changed = await self.organizer.request(
            "PATCH",
            f"/api/events/{self.c.event_id}",
            json.dumps({"venue_name": "Malmö Live, Hall B (moved)"}).encode(),
            {"Content-Type": "application/json"},
        )
        if changed.status_code != 200:
            return changed.status_code, 0
        released = await self.organizer.post(f"/api/events/{self.c.event_id}/calendar-updates/release")
        return released.status_code, released.json().get("messages", 0) if released.status_code == 200 else 0


async def timed(fire, stats: Stats, due: float) -> None:
    try:
        answer = await fire()
        status, text = answer.status_code, (answer.text if answer.status_code >= 500 else "")
    except Exception as exc:  # noqa: BLE001  (a refused or dropped connection counts as an error)
        status, text = 0, repr(exc)
    stats.add(status, time.perf_counter() - due, text, due)


async def paced(
    rate: float, seconds: float, fire, stats: Stats, arrivals: random.Random | None = None, max_in_flight: int = 300
) -> None:
    """Open loop: requests at `rate` per second whether or not earlier ones were answered. With `arrivals` the gaps
    between them are drawn from it (exponential: a Poisson stream, as from many independent callers), otherwise
    they are all 1/rate."""
    tasks: set[asyncio.Task] = set()
    started = time.perf_counter()
    due = started
    while True:
        due += arrivals.expovariate(rate) if arrivals is not None else 1 / rate
        if due >= started + seconds:
            break
        if (delay := due - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        if len(tasks) >= max_in_flight:
            stats.skipped += 1
            continue
        task = asyncio.create_task(timed(fire, stats, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    stats.seconds += time.perf_counter() - started


def rush_from_phones(port: int, tokens: list[str], hot: list[int]) -> tuple[list[tuple[int, float, str]], float]:
    """The booking rush, sent from a process of its own: (status, seconds since the rush began, text of a 5xx) per
    request, and the rush's length. Hundreds of phones are not one client: sent from the process that times the
    paced routes, the rush's own work in that process (300 requests through httpx at once) held every other
    request it timed for up to two seconds, which the benchmark then counted as the API's latency. Each phone has
    its own connection, opened before the rush, and writes its request on it (no client library: through httpx's
    pool the 300 requests cost this process 3-4 s of CPU, which the two cores took from the API and PostgreSQL
    and which stretched the rush itself to 4 s while PostgreSQL sat idle most of it)."""

    async def send() -> tuple[list[tuple[int, float, str]], float]:
        phones: list[dict] = [{} for _ in tokens]
        for state in phones:
            state["reader"], state["writer"] = await asyncio.open_connection("127.0.0.1", port)
        gate = asyncio.Event()
        started = 0.0

        async def book(state: dict, token: str, session_id: int) -> tuple[int, float, str]:
            await gate.wait()
            try:
                status, payload = await rush.http_request(
                    port, "PUT", f"/api/registrations/{token}/agenda/{session_id}", b"", state
                )
                text = payload.decode(errors="replace") if status >= 500 else ""
            except Exception as exc:  # noqa: BLE001  (a refused or dropped connection counts as an error)
                status, text = 0, repr(exc)
            finally:
                if state.get("writer") is not None:
                    state["writer"].close()
            return status, time.perf_counter() - started, text

        tasks = [asyncio.ensure_future(book(phones[i], t, hot[i % len(hot)])) for i, t in enumerate(tokens)]
        await asyncio.sleep(0)  # every phone waits at the gate
        started = time.perf_counter()
        gate.set()
        answers = await asyncio.gather(*tasks)
        return answers, time.perf_counter() - started

    return asyncio.run(send())


async def booking_rush(load: Load, tokens: list[str], hot: list[int], stats: Stats) -> None:
    """Every delegate at the same instant: one booking each, spread over the three hot workshops, from a process of
    their own (rush_from_phones)."""
    import concurrent.futures
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as phones:
        await asyncio.get_running_loop().run_in_executor(phones, int, 0)  # the process is up before the clock starts
        started = time.perf_counter()
        answers, seconds = await asyncio.get_running_loop().run_in_executor(
            phones, rush_from_phones, load.port, tokens, hot
        )
    for status, latency, text in answers:
        stats.add(status, latency, text, started)
    stats.seconds += seconds


def route_calls(load: Load) -> dict:
    return {
        "programme page": load.programme_page,
        "agenda JSON": load.agenda_json,
        "session page": load.session_page,
        "manage page": load.manage_page,
        "feed poll": load.feed_poll,
        "check-in sync": load.checkin_sync,
        "registration": load.registration,
    }


async def measure(args, congress: Congress, port: int, api_token: str, database_url: str, maildir: Path):
    import asyncpg

    load = Load(port, congress, api_token)
    calls = route_calls(load)
    rates = {name: rate * args.scale for name, rate in RATES.items()}

    def arrivals(stream: str) -> random.Random | None:  # each route's own reproducible stream of gaps
        return random.Random(stream) if args.arrivals == "poisson" else None

    alone: dict[str, Stats] = {}
    mixed: dict[str, Stats] = {name: Stats() for name in [*calls, "booking rush", "venue change"]}
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    rushers = congress.tokens[: args.rush], congress.tokens[args.rush : 2 * args.rush]
    venue: dict[str, float] = {}
    marks: dict[str, float] = {}
    try:
        for fire in calls.values():  # warm-up: templates, statements, caches
            await paced(20, 0.5, fire, Stats())
        for name, fire in calls.items():
            log(
                f"alone: {name} at {rates[name]:.0f}/s for {args.alone_seconds:.0f} s "
                f"(load average {os.getloadavg()[0]:.1f})"
            )
            alone[name] = Stats()
            await paced(rates[name], args.alone_seconds, fire, alone[name], arrivals(f"alone {name}"))
        log(f"alone: booking rush, {args.rush} delegates at once on 3 workshops of {PLACES} places")
        alone["booking rush"] = Stats()
        await booking_rush(load, rushers[0], congress.hot[:3], alone["booking rush"])
        await wait_mail(pool, 0, 300)  # the first rush's mail out of the way
        before = await pool.fetchval("SELECT coalesce(max(id), 0) FROM outbox_message")
        delivered_before = count_maildir(maildir)
        log(f"mixed: every route for {args.seconds:.0f} s (load average {os.getloadavg()[0]:.1f})")

        async def rush_later() -> None:
            await asyncio.sleep(args.seconds * 0.25)
            log("mixed: booking rush")
            marks["booking rush"] = time.perf_counter()
            await booking_rush(load, rushers[1], congress.hot[3:6], mixed["booking rush"])

        async def venue_later() -> None:
            await asyncio.sleep(args.seconds * 0.4)
            log("mixed: venue change")
            marks["venue change"] = time.perf_counter()
            last_id = await pool.fetchval("SELECT coalesce(max(id), 0) FROM outbox_message")
            started = time.perf_counter()
            status, written = await load.venue_change()
            mixed["venue change"].add(status, time.perf_counter() - started)
            venue["written"] = written
            while written:
                sent = await pool.fetchval(  # the release's updates: the event's, and each booked session's
                    "SELECT count(*) FROM outbox_message WHERE id > $1 AND status = 'sent'"
                    " AND kind IN ('event_updated', 'session_updated')",
                    last_id,
                )
                if sent >= written:
                    venue["seconds"] = time.perf_counter() - started
                    return
                await asyncio.sleep(0.25)

        started = marks["start"] = time.perf_counter()
        watcher = asyncio.create_task(venue_later())
        await asyncio.gather(
            rush_later(),
            *(
                paced(rates[name], args.seconds, fire, mixed[name], arrivals(f"mixed {name}"))
                for name, fire in calls.items()
            ),
        )
        mixed_seconds = time.perf_counter() - started
        log("mixed phase over; waiting for every queued message to reach the SMTP sink")
        drained = time.perf_counter()
        counts = await wait_mail(pool, before, 900)
        drain_seconds = time.perf_counter() - drained
        await asyncio.wait_for(watcher, 900)
        mail = {
            "queued": sum(counts.values()),
            "counts": counts,
            "delivered": count_maildir(maildir) - delivered_before,
            "after_mixed": drain_seconds,
            "since_start": time.perf_counter() - started,
            **venue,
            "marks": marks,
        }
        registered = await pool.fetchval(
            "SELECT count(*) FROM registration WHERE event = $1 AND status = 'confirmed'", congress.event_id
        )
    finally:
        await pool.close()
        await load.close()
    return alone, mixed, mixed_seconds, mail, registered


async def wait_mail(pool, after_id: int, limit: float) -> dict[str, int]:
    """Until no message with an id above `after_id` is waiting; their counts by status."""
    deadline = time.perf_counter() + limit
    while True:
        counts = dict(
            await pool.fetch("SELECT status, count(*) FROM outbox_message WHERE id > $1 GROUP BY status", after_id)
        )
        if not counts.get("pending") and not counts.get("sending"):
            return counts
        if time.perf_counter() > deadline:
            raise SystemExit(f"mail still waiting after {limit:.0f} s: {counts}")
        await asyncio.sleep(0.25)


def count_maildir(maildir: Path) -> int:
    return sum(1 for _ in (maildir / "new").iterdir()) if (maildir / "new").exists() else 0


# --------------------------------------------------------------------------- report


def timeline(mixed: dict[str, Stats], marks: dict[str, float], mixed_seconds: float, step: float = 5.0) -> None:
    """Where the mixed phase's slow answers come from: the paced routes' p99 per window of `step` seconds (by when
    each request was due), with the moments the booking rush and the venue change began."""
    start = marks["start"]
    events = {int((t - start) // step): name for name, t in marks.items() if name != "start"}
    cells = []
    for w in range(int(mixed_seconds // step) + 1):
        late = [
            lat
            for name, stats in mixed.items()
            if name in RATES
            for lat, due in zip(stats.latencies, stats.dues, strict=True)
            if w * step <= due - start < (w + 1) * step
        ]
        if late:
            p99 = rush.Result(latencies=late).percentile(0.99)
            cells.append(f"{w * step:.0f}s:{p99:.0f}" + (f" ({events[w]})" if w in events else ""))
    print("paced routes' p99 (ms) per 5 s window of the mixed phase: " + ", ".join(cells))


def write_latencies(path: Path, alone: dict[str, Stats], mixed: dict[str, Stats], start: float) -> None:
    """Every request's latency, for a closer look at a tail than the table gives: phase, route, when it was due
    (seconds from the mixed phase's start; negative while alone) and its latency in ms."""
    with path.open("w") as out:
        out.write("phase,route,due_s,latency_ms\n")
        for phase, routes in (("alone", alone), ("mixed", mixed)):
            for name, stats in routes.items():
                for lat, due in zip(stats.latencies, stats.dues, strict=True):
                    out.write(f"{phase},{name},{due - start:.3f},{lat * 1000:.2f}\n")


def report(args, alone, mixed, mixed_seconds, mail, registered) -> bool:
    line = "-" * 112
    print()
    print(
        f"Congress day: {DELEGATES} delegates, {SESSIONS} sessions, {args.api_processes} API process(es), "
        f"{args.workers} worker(s), mixed load for {mixed_seconds:.0f} s, {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} (other processes on the machine count in it)"
    )
    print(line)
    print(
        f"{'route':<18}{'rate':>8}{'requests':>10}{'served/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'p99 alone':>11}{'ratio':>8}{'5xx':>6}  statuses"
    )
    print(line)
    ok = True
    for name, stats in mixed.items():
        solo = alone.get(name)
        ratio = stats.p(0.99) / solo.p(0.99) if solo and solo.p(0.99) else 0.0
        within = name == "venue change" or ratio <= TARGET_RATIO
        ok &= within and stats.errors == 0 and stats.skipped == 0
        rate = f"{RATES[name] * args.scale:.0f}/s" if name in RATES else ("burst" if name == "booking rush" else "once")
        served = len(stats.latencies) / (stats.seconds or mixed_seconds)
        print(
            f"{name:<18}{rate:>8}{len(stats.latencies):>10}{served:>10.1f}{stats.p(0.5):>9.0f}{stats.p(0.99):>9.0f}"
            f"{(f'{solo.p(0.99):.0f}' if solo else '-'):>11}{(f'{ratio:.2f}' if solo else '-'):>8}"
            f"{stats.errors:>6}  {dict(sorted(stats.statuses.items()))}"
            + (f" skipped {stats.skipped}" if stats.skipped else "")
            + ("" if within else "  OVER 3x")
        )
        if stats.first_error:
            print(f"    first error: {stats.first_error}")
    print(line)
    failed = mail["counts"].get("failed", 0)
    ok &= failed == 0 and mail["delivered"] >= mail["queued"] - failed
    print(
        f"mail: {mail['queued']} messages queued during the mixed phase ({mail['counts']}), {mail['delivered']} "
        f"delivered to the SMTP sink; all delivered {mail['since_start']:.1f} s after the mixed phase began, "
        f"{mail['after_mixed']:.1f} s after it ended"
    )
    if "written" in mail:
        print(
            f"venue change: {mail['written']} updates written; all sent "
            + (f"{mail['seconds']:.1f} s after the change" if "seconds" in mail else "(not measured)")
        )
    print(f"confirmed registrations of the congress at the end: {registered}")
    timeline(mixed, mail["marks"], mixed_seconds)
    if args.latencies:
        write_latencies(args.latencies, alone, mixed, mail["marks"]["start"])
    print(
        f"{'every target met' if ok else 'TARGET MISSED'} (p99 under mixed load <= {TARGET_RATIO:.0f}x the route's "
        "p99 alone; no 5xx; every queued message delivered)"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60, help="length of the mixed phase (default 60)")
    parser.add_argument("--alone-seconds", type=float, default=6, help="each route alone before it (default 6)")
    parser.add_argument("--rush", type=int, default=300, help="delegates in each booking rush (default 300)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every route's rate (default 1)")
    parser.add_argument("--pool", type=int, default=10, help="DB_POOL_SIZE of the API")
    parser.add_argument("--api-processes", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes (--pool=solo each)")
    parser.add_argument("--no-fsync", dest="durable", action="store_false", help="PostgreSQL without disk flushes")
    parser.add_argument(
        "--arrivals",
        choices=["poisson", "even"],
        default="poisson",
        help="gaps between a route's requests: random as from independent callers (default), or all equal",
    )
    parser.add_argument("--latencies", type=Path, help="write every request (phase, route, due s, latency ms) as CSV")
    args = parser.parse_args()
    venv_python = manage.ensure_venv()
    if Path(sys.executable).absolute() != venv_python.absolute():
        os.execv(str(venv_python), [str(venv_python), __file__, *sys.argv[1:]])
    os.environ.setdefault("SECRET_KEY", "bench-congress-day-secret-" + "x" * 32)
    children = manage.Children()
    base = Path(tempfile.mkdtemp(prefix="events-bench-"))
    workers: list[Worker] = []
    done = False
    try:
        env, database_url, server_url = rush.prepare(children, base, args.durable, args.pool)
        limits = {
            "RATE_LIMIT_CHECKIN_PER_ACCOUNT": "10000000/60",
            "RATE_LIMIT_CHECKIN_PER_IP": "10000000/60",
            "RATE_LIMIT_LOGIN_PER_IP": "1000/60",
        }
        env.update(limits)
        os.environ.update(limits)
        port, _pids, _api = rush.start_api(children, base, env, args.api_processes)

        async def set_up() -> tuple[Congress, str]:
            api = rush.Api(port)
            await api.login()
            congress = await seed(port, api)
            return congress, api.headers.split("Bearer ", 1)[1].strip()

        log(f"seeding the congress: {DELEGATES} delegates, {SESSIONS} sessions")
        t = time.perf_counter()
        congress, api_token = asyncio.run(set_up())
        log(f"seeded in {time.perf_counter() - t:.0f} s; starting {args.workers} worker(s)")
        workers = [Worker(env, base / "logs", n) for n in range(args.workers)]

        async def ready() -> None:
            for worker in workers:
                await worker.ready()

        asyncio.run(ready())
        alone, mixed, mixed_seconds, mail, registered = asyncio.run(
            measure(args, congress, port, api_token, database_url, Path(env["MAILDIR"]))
        )
        ok = report(args, alone, mixed, mixed_seconds, mail, registered)
        asyncio.run(rush.recreate_database(server_url, drop_only=True))
        done = ok
        if not ok:
            print(f"logs kept in {base / 'api.log'} and {base / 'logs'}")
        return 0 if ok else 1
    except KeyboardInterrupt:
        return 130
    finally:
        for worker in workers:
            worker.stop()
        children.stop()
        if done:  # keep the logs of a run that missed a target
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
