"""Registrations per second through the HTTP API, as a ratio to plain asyncpg doing the same transaction.

    .venv/bin/python bench/registration_rush.py [--no-fsync] [--concurrency 50] [--requests 4000] [--seconds 15]

Two scenarios: every registration for one hot event (all of them queue on its row lock), and registrations spread
over 100 events. For each, two plain asyncpg baselines run with the same concurrency and pool size against the same
database in the same run: the registration transaction written by hand (lock the event row FOR UPDATE, read the
category's counters, upsert the person, insert the registration, bump both counters, write an outbox row: seven
statements), and exactly the statements the API runs (its two named queries, read from
services/registration/queries.sql). The API (one uvicorn process) takes the same load over HTTP from a small
keep-alive client in this script; the three alternate in rounds.
Each side gets fresh events whose category has no quota, so every registration takes a seat on both.

Without DATABASE_URL, embedded PostgreSQL, Redis and an SMTP sink are started as in `manage.py up`. The benchmark
always works in a database of its own (created, migrated, dropped). No Celery worker runs: outbox rows wait, as they
would while the broker is slow. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import manage  # noqa: E402  (standard library only: starts the embedded servers)

BENCH_DATABASE = "events_bench_rush"
PASSWORD = "bench-organizer-password"
TARGET = 0.5


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@dataclass
class Result:
    done: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    first_error: str = ""
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


# --------------------------------------------------------------------------- load


async def drive(workers: int, jobs: Iterator, one, seconds: float) -> Result:
    """Run `one(job, result)` from `workers` concurrent loops until the jobs or the time run out."""
    result = Result()
    deadline = time.perf_counter() + seconds

    async def loop(n: int) -> None:
        state: dict = {}
        try:
            while time.perf_counter() < deadline:
                try:
                    job = next(jobs)
                except StopIteration:
                    return
                started = time.perf_counter()
                await asyncio.wait_for(one(job, result, state), timeout=30)
                result.latencies.append(time.perf_counter() - started)
        finally:
            if state.get("writer") is not None:
                state["writer"].close()

    started = time.perf_counter()
    await asyncio.gather(*(loop(n) for n in range(workers)))
    result.seconds = time.perf_counter() - started
    return result


async def http_post(port: int, path: str, body: bytes, state: dict) -> tuple[int, bytes]:
    """One POST on this loop's keep-alive connection (reconnecting when the server closes it)."""
    return await http_request(port, "POST", path, body, state)


async def http_request(port: int, method: str, path: str, body: bytes, state: dict) -> tuple[int, bytes]:
    """One request on this loop's keep-alive connection (reconnecting when the server closes it)."""
    if state.get("writer") is None:
        state["reader"], state["writer"] = await asyncio.open_connection("127.0.0.1", port)
    reader, writer = state["reader"], state["writer"]
    writer.write(
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    status, headers, payload = await read_response(reader)
    if headers.get("connection", "").lower() == "close":
        writer.close()
        state["writer"] = None
    return status, payload


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """An HTTP/1.1 answer: (status, headers by lower-case name, body), by Content-Length or chunked."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("the server closed the connection")
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while size := int((await reader.readline()).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readline()
        await reader.readline()
        return int(status_line.split()[1]), headers, b"".join(parts)
    return int(status_line.split()[1]), headers, await reader.readexactly(int(headers.get("content-length", "0")))


def registration_jobs(tag: str, targets: list[tuple[int, int]], count: int) -> Iterator[tuple[int, int, str]]:
    """(event id, category id, distinct email), round robin over the targets."""
    for i in range(count):
        event_id, category_id = targets[i % len(targets)]
        yield event_id, category_id, f"{tag}-{i}@bench.example.org"


async def run_http(port: int, targets, args, tag: str) -> Result:
    async def one(job, result: Result, state: dict) -> None:
        event_id, _, email = job
        body = json.dumps({"email": email, "name": "Bench Delegate", "category": "delegate", "consent": True}).encode()
        status, payload = await http_post(port, f"/api/events/{event_id}/registrations", body, state)
        result.statuses[status] = result.statuses.get(status, 0) + 1
        if status == 201:
            result.done += 1
        elif not result.first_error:
            result.first_error = payload[:300].decode(errors="replace")

    return await drive(args.concurrency, registration_jobs(tag, targets, args.requests), one, args.seconds)


# The baseline: the registration transaction written by hand, one round trip per statement, nothing else.
LOCK = "SELECT id, status, capacity, confirmed_count FROM event WHERE id = $1 FOR UPDATE"
CATEGORY = "SELECT quota, confirmed_count FROM registration_category WHERE id = $1"
PERSON = """INSERT INTO person (email, name, organization, language, timezone, created_at)
            VALUES ($1, $2, NULL, 'en', NULL, now())
            ON CONFLICT (email) DO UPDATE SET language = EXCLUDED.language RETURNING id"""
REGISTRATION = """INSERT INTO registration (event, person, category, status, token_nonce, token_hash, answers,
                                            cancel_reason, created_at, updated_at)
                  VALUES ($1, $2, $3, $4, $5, $6, '{}'::jsonb, '', now(), now()) RETURNING id"""
EVENT_COUNTER = "UPDATE event SET confirmed_count = confirmed_count + 1 WHERE id = $1"
CATEGORY_COUNTER = "UPDATE registration_category SET confirmed_count = confirmed_count + 1 WHERE id = $1"
OUTBOX = """INSERT INTO outbox_message (kind, event, registration, recipient, language, payload, calendar_method,
                                       calendar_sequence, status, attempts, next_attempt_at, last_error,
                                       message_id, created_at)
            VALUES ('registration_confirmed', $1, $2, $3, 'en', '{}'::jsonb, 'REQUEST', 0, 'pending', 0, now(),
                    '', '', now())"""


def in_order(query, params: dict) -> list:
    """A named query's parameters in its $n order."""
    return [params[name] for name in query.parameters]


async def run_exact(pool, targets, args, tag: str) -> Result:
    """The API's own registration statements (services/registration/queries.sql, read from the file so they cannot
    drift), run by plain asyncpg: BEGIN, lock_event_with_category, insert_registration_with_person, COMMIT. No HTTP,
    no validation, no Redis: the best a Python client can do for the transaction the API runs."""
    from events_app.db import queries
    from events_app.domain.registration import ACTIVE
    from events_app.services.registration import registrations

    q = queries.load(registrations.__file__)
    lock, insert = q.lock_event_with_category, q.insert_registration_with_person

    async def one(job, result: Result, state: dict) -> None:
        event_id, category_id, email = job
        async with pool.acquire() as conn, conn.transaction():
            locked = {"event_id": event_id, "code": "delegate", "organization_id": None}
            await conn.fetchrow(lock.sql, *in_order(lock, locked))
            params = {
                "event_id": event_id,
                "category_id": category_id,
                "status": "confirmed",
                "token_nonce": secrets.token_hex(16),
                "token_hash": secrets.token_hex(32),
                "answers": {},
                "delegation_id": None,
                "invitation_id": None,
                "access_code_id": None,
                "waitlist_seq": None,
                "consent_version": "1",
                "seat_delta": 1,
                "message_kind": "registration_confirmed",
                "calendar_method": "REQUEST",
                "active_statuses": list(ACTIVE),
                "name": "Bench Delegate",
                "organization_id": None,
                "language": "en",
                "timezone": None,
                "email": email,
            }
            row = await conn.fetchrow(insert.sql, *in_order(insert, params))
            if row is None or row["status"] != "confirmed":
                raise SystemExit(f"exact baseline: unexpected row {row!r}")
        result.done += 1

    return await drive(args.concurrency, registration_jobs(tag, targets, args.requests), one, args.seconds)


async def run_baseline(pool, targets, args, tag: str) -> Result:
    async def one(job, result: Result, state: dict) -> None:
        event_id, category_id, email = job
        async with pool.acquire() as conn, conn.transaction():
            event = await conn.fetchrow(LOCK, event_id)
            category = await conn.fetchrow(CATEGORY, category_id)
            free = (event["capacity"] is None or event["confirmed_count"] < event["capacity"]) and (
                category["quota"] is None or category["confirmed_count"] < category["quota"]
            )
            person_id = await conn.fetchval(PERSON, email, "Bench Delegate")
            registration_id = await conn.fetchval(
                REGISTRATION,
                event_id,
                person_id,
                category_id,
                "confirmed" if free else "waitlisted",
                secrets.token_hex(16),
                secrets.token_hex(32),
            )
            if free:
                await conn.execute(EVENT_COUNTER, event_id)
                await conn.execute(CATEGORY_COUNTER, category_id)
            await conn.execute(OUTBOX, event_id, registration_id, email)
        result.done += 1

    return await drive(args.concurrency, registration_jobs(tag, targets, args.requests), one, args.seconds)


# --------------------------------------------------------------------------- set-up


class Api:
    """Organizer calls for the set-up, over a plain keep-alive connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.state: dict = {}
        self.headers = ""

    async def call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body or {}).encode()
        if self.state.get("writer") is None:
            self.state["reader"], self.state["writer"] = await asyncio.open_connection("127.0.0.1", self.port)
        self.state["writer"].write(
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{self.headers}"
            f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data
        )
        reader = self.state["reader"]
        status = int((await reader.readline()).split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        payload = await reader.readexactly(length)
        if status >= 300:
            raise SystemExit(f"{method} {path} answered {status}: {payload[:300]!r}")
        return json.loads(payload) if payload else {}

    async def login(self) -> None:
        token = (await self.call("POST", "/api/auth/login", {"email": "bench@example.org", "password": PASSWORD}))[
            "token"
        ]
        self.headers = f"Authorization: Bearer {token}\r\n"

    async def events(self, count: int, title: str) -> list[tuple[int, int]]:
        """`count` published events, each with one 'delegate' category without quota: (event id, category id)."""
        targets = []
        for n in range(count):
            event = await self.call(
                "POST",
                "/api/events",
                {
                    "title": f"{title} {n + 1}",
                    "kind": "congress",
                    "timezone": "Europe/Lisbon",
                    "starts_at": "2031-05-04T09:00:00",
                    "ends_at": "2031-05-06T18:00:00",
                    "venue_name": "Bench Hall",
                },
            )
            category = await self.call(
                "POST", f"/api/events/{event['id']}/categories", {"code": "delegate", "name": "Delegate"}
            )
            await self.call("POST", f"/api/events/{event['id']}/publish")
            targets.append((event["id"], category["id"]))
        self.state["writer"].close()
        self.state = {}
        return targets


async def recreate_database(server_url: str, drop_only: bool = False) -> None:
    from events_app.db import admin

    await admin.recreate_database(server_url, BENCH_DATABASE, create=not drop_only)


# --------------------------------------------------------------------------- report


def report(rows: list[tuple[str, Result, Result, Result, float]], args) -> bool:
    line = "-" * 132
    print()
    print(
        f"Registration rush: {args.concurrency} in flight, pool of {args.pool} connections, "
        f"up to {args.requests} registrations or {args.seconds:.0f} s per side and scenario "
        f"in {args.rounds} alternating rounds, fsync {'on' if args.durable else 'off'}, "
        f"{args.api_processes} API process(es), {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} (other processes on the machine count in it)"
    )
    print(line)
    print(
        f"{'scenario':<26}{'7-statement':>13}{'API stmts':>12}{'HTTP API':>11}{'ratio':>8}{'ratio':>8}{'target':>8}"
        f"{'HTTP p50 / p99 ms':>20}{'API CPU ms/reg':>16}"
    )
    print(f"{'':<26}{'baseline':>13}{'(asyncpg)':>12}{'':>11}{'/7-st.':>8}{'/stmts':>8}")
    print(line)
    ok = True
    for name, baseline, exact, http, cpu in rows:
        ratio = http.rate / baseline.rate if baseline.rate else 0.0
        ratio_exact = http.rate / exact.rate if exact.rate else 0.0
        ok &= ratio >= TARGET and ratio_exact >= TARGET
        print(
            f"{name:<26}{baseline.rate:>10,.0f} /s{exact.rate:>9,.0f} /s{http.rate:>8,.0f} /s{ratio:>8.2f}"
            f"{ratio_exact:>8.2f}{'>= ' + str(TARGET):>8}"
            f"{http.percentile(0.5):>12.1f} / {http.percentile(0.99):<6.1f}{cpu:>14.2f}"
        )
    print(line)
    for name, _baseline, _exact, http, _ in rows:
        others = {s: n for s, n in http.statuses.items() if s != 201}
        if others:
            print(f"{name}: non-201 answers {others}; first: {http.first_error}")
    print(
        f"{'all scenarios at or above the target' if ok else 'BELOW TARGET'} (ratio = HTTP registrations/s divided "
        "by a baseline's, same database, same run; '7-statement': the transaction written by hand, one round trip "
        "per step; 'API stmts': the API's own two statements from queries.sql, by plain asyncpg)"
    )
    return ok


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def merge(parts: list[Result]) -> Result:
    total = Result()
    for part in parts:
        total.done += part.done
        total.seconds += part.seconds
        total.latencies += part.latencies
        total.first_error = total.first_error or part.first_error
        for status, n in part.statuses.items():
            total.statuses[status] = total.statuses.get(status, 0) + n
    return total


async def measure(
    args, database_url: str, port: int, api_pids: list[int]
) -> list[tuple[str, Result, Result, Result, float]]:
    """Per scenario: baseline and HTTP phases alternate (B H H B B H ...) so that a machine whose load changes
    during the run weighs on both alike; each side's rate is its registrations over its own time."""
    import asyncpg

    api = Api(port)
    await api.login()
    from events_app.db.engine import POOL_OPTIONS

    # The API's pool options (JSON codecs, no reset query on release) for both baselines: the best plain asyncpg does.
    pool = await asyncpg.create_pool(database_url, min_size=args.pool, max_size=args.pool, **POOL_OPTIONS)
    per_round = argparse.Namespace(
        **{**vars(args), "requests": max(1, args.requests // args.rounds), "seconds": args.seconds / args.rounds}
    )
    rows = []
    try:
        warm = await api.events(1, "Warm-up")
        warm_args = argparse.Namespace(**{**vars(args), "requests": args.warmup})
        await run_http(port, warm, warm_args, "warm-http")
        await run_baseline(pool, warm, warm_args, "warm-sql")
        await run_exact(pool, warm, warm_args, "warm-exact")
        for name, count in (("one hot event", 1), (f"spread over {args.events} events", args.events)):
            baseline_targets = await api.events(count, f"Baseline {name}")
            exact_targets = await api.events(count, f"Exact {name}")
            http_targets = await api.events(count, f"HTTP {name}")
            baselines, exacts, https, cpu = [], [], [], 0.0
            for n in range(args.rounds):
                tag = f"{name.replace(' ', '-')}-{n}"
                order = ("baseline", "exact", "http") if n % 2 == 0 else ("http", "exact", "baseline")
                for side in order:
                    log(f"{name}, round {n + 1}/{args.rounds}: {side}")
                    if side == "baseline":
                        baselines.append(await run_baseline(pool, baseline_targets, per_round, f"sql-{tag}"))
                    elif side == "exact":
                        exacts.append(await run_exact(pool, exact_targets, per_round, f"exact-{tag}"))
                    else:
                        before = sum(cpu_seconds(pid) for pid in api_pids)
                        https.append(await run_http(port, http_targets, per_round, f"http-{tag}"))
                        cpu += sum(cpu_seconds(pid) for pid in api_pids) - before
            baseline, http = merge(baselines), merge(https)
            stored = await pool.fetchval(
                "SELECT count(*) FROM registration WHERE event = ANY($1::int[]) AND status = 'confirmed'",
                [t[0] for t in http_targets],
            )
            if stored != http.done:
                raise SystemExit(f"{name}: {http.done} answers of 201 but {stored} confirmed rows")
            rows.append((name, baseline, merge(exacts), http, cpu * 1000 / max(http.done, 1)))
    finally:
        await pool.close()
    return rows


def prepare(children: manage.Children, base: Path, durable: bool, pool: int) -> tuple[dict, str, str]:
    """Servers (embedded unless DATABASE_URL is set), the bench database migrated, an organizer. Returns (the API's
    environment, the bench database's URL, the server's URL). Sets this process's environment too: baselines
    read the API's named queries, and events_app reads its settings from there."""
    manage.ensure_venv()
    if os.environ.get("DATABASE_URL"):
        log("DATABASE_URL is set: its server is used as configured (fsync as it is set there)")
    servers = manage.start_servers(children, base, durable=durable)
    server_url = servers["DATABASE_URL"]
    database_url = with_database(server_url, BENCH_DATABASE)
    asyncio.run(recreate_database(server_url))
    env = {
        **os.environ,
        **servers,
        "DATABASE_URL": database_url,
        "DB_POOL_SIZE": str(pool),
        # The limits stay on (their Redis round trip is part of what is measured), high enough for one client.
        "RATE_LIMIT_REGISTER_PER_IP": "10000000/60",
        "RATE_LIMIT_REGISTER_PER_EMAIL": "10000000/60",
        "APP_ENV": "development",
        "ORGANIZER_PASSWORD": PASSWORD,
    }
    os.environ.update(env)
    python = str(manage.venv_python())
    subprocess.run(
        [python, "-m", "events_app.cli", "migrate"], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    subprocess.run(
        [python, "-m", "events_app.cli", "create-organizer", "bench@example.org", "Bench"],
        check=True,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    return env, database_url, server_url


def start_api(
    children: manage.Children, base: Path, env: dict, processes: int = 1
) -> tuple[int, list[int], subprocess.Popen]:
    """uvicorn serving the app with `processes` worker processes. Returns (port, pids of the serving processes,
    the uvicorn process to stop)."""
    port = manage.free_port()
    api = children.start(
        "api",
        [
            str(manage.venv_python()),
            "-m",
            "uvicorn",
            "events_app.web.app:create_app",
            "--factory",
            "--no-proxy-headers",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(processes),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env={**env, "PUBLIC_URL": f"http://127.0.0.1:{port}"},
        log_file=base / "api.log",
    )
    manage.wait_port(port, "API", api, timeout=60)
    if processes == 1:
        return port, [api.pid], api
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the supervisor's children, once all of them serve
        kids = Path(f"/proc/{api.pid}/task/{api.pid}/children").read_text().split()
        if len(kids) >= processes:
            time.sleep(2)
            return port, [int(k) for k in Path(f"/proc/{api.pid}/task/{api.pid}/children").read_text().split()], api
        time.sleep(0.2)
    raise SystemExit(f"uvicorn did not start {processes} worker processes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=50, help="requests (or transactions) in flight")
    parser.add_argument("--requests", type=int, default=4000, help="registrations per side and scenario at most")
    parser.add_argument("--seconds", type=float, default=15, help="seconds per side and scenario at most")
    parser.add_argument("--rounds", type=int, default=4, help="alternating baseline/HTTP rounds per scenario")
    parser.add_argument("--warmup", type=int, default=300, help="registrations before measuring")
    parser.add_argument("--pool", type=int, default=10, help="DB_POOL_SIZE of the API and the baseline's pool")
    parser.add_argument("--events", type=int, default=100, help="events in the spread scenario")
    parser.add_argument("--api-processes", type=int, default=1, help="uvicorn worker processes serving the API")
    parser.add_argument(
        "--no-fsync",
        dest="durable",
        action="store_false",
        help="embedded PostgreSQL without disk flushes (as in the tests)",
    )
    args = parser.parse_args()

    children = manage.Children()
    base = Path(tempfile.mkdtemp(prefix="events-bench-"))
    try:
        env, database_url, server_url = prepare(children, base, args.durable, args.pool)
        port, pids, _api = start_api(children, base, env, args.api_processes)
        rows = asyncio.run(measure(args, database_url, port, pids))
        ok = report(rows, args)
        asyncio.run(recreate_database(server_url, drop_only=True))
        return 0 if ok else 1
    except KeyboardInterrupt:
        return 130
    finally:
        children.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
