"""A popular workshop opens its booking: session bookings per second through the HTTP API, as a ratio to plain asyncpg
running the API's own booking transaction in the same run.

    .venv/bin/python bench/booking_rush.py [--delegates 500] [--places 40] [--rounds 3] [--api-processes 1]

One event with N delegates (confirmed registrations, made through the API). Each round opens three sessions of
`--places` places that need booking: A and B at the same hour (two parallel workshops), C in the afternoon. All N
delegates start at once, each on its own connection: book A (even delegates) or B (odd ones), then C, then the other
morning workshop, which clashes with the first and must be refused (409 naming it). Expected per set: exactly
`places` booked in every session, everyone else on its waiting list in arrival order (the booked entries are the
first by booking order, waiting-list positions follow it and are what each answer said), every clash refused, no
5xx. The benchmark checks all of it in the database after every round and fails otherwise.

The baseline, in the same run against the same database: the same N delegates and the same three requests each on a
fresh set of sessions, run by plain asyncpg with the same pool size as the API, executing exactly the statements the
API runs for a booking (read from services/registration/queries.sql, in the service's order: lock the registration,
lock the session, its active booking, overlapping bookings, insert, count, the message's recipient with whether a
CANCEL was sent before and the SEQUENCE, the outbox row, commit, then the booking as answered). Baseline and HTTP sets
alternate (B H, H B, ...), each set on its own day of the event so that rounds never clash with each other.

Printed: requests answered per second (bookings, waiting-list entries and refused clashes alike; the same count on
both sides), the ratio HTTP / baseline (target >= 0.5), p50/p99 latency, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import registration_rush as rush  # noqa: E402

import manage  # noqa: E402  (standard library only: starts the embedded servers)

TARGET = 0.5
EVENT_START = date(2031, 5, 4)


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


@dataclass
class SessionSet:
    day: int
    a: int
    b: int
    c: int


@dataclass
class Side:
    """One side's requests in one round: answers by (delegate, session), latencies, elapsed time."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    answers: dict[tuple[int, int], tuple[int, dict]] = field(default_factory=dict)
    first_error: str = ""

    @property
    def done(self) -> int:
        return sum(self.statuses.values())

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def plan(n: int, sessions: SessionSet) -> list[tuple[int, int, int]]:
    """Each delegate's three requests, in order: first morning workshop, the afternoon one, the clashing one."""
    even, odd = (sessions.a, sessions.c, sessions.b), (sessions.b, sessions.c, sessions.a)
    return [even if i % 2 == 0 else odd for i in range(n)]


# --------------------------------------------------------------------------- the two sides


async def rush_http(port: int, tokens: list[str], sessions: SessionSet) -> Side:
    side = Side()
    plans = plan(len(tokens), sessions)
    gate = asyncio.Event()

    async def delegate(i: int) -> None:
        state: dict = {}
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        state["reader"], state["writer"] = reader, writer
        await gate.wait()
        try:
            for session_id in plans[i]:
                started = time.perf_counter()
                path = f"/api/registrations/{tokens[i]}/agenda/{session_id}"
                status, payload = await http_call(port, "PUT", path, state)
                side.latencies.append(time.perf_counter() - started)
                side.statuses[status] = side.statuses.get(status, 0) + 1
                body = json.loads(payload) if payload else {}
                side.answers[(i, session_id)] = (status, body)
                if status >= 500 and not side.first_error:
                    side.first_error = payload[:300].decode(errors="replace")
        finally:
            if state.get("writer") is not None:
                state["writer"].close()

    tasks = [asyncio.create_task(delegate(i)) for i in range(len(tokens))]
    await asyncio.sleep(0.2)  # every connection open before the gate
    started = time.perf_counter()
    gate.set()
    await asyncio.gather(*tasks)
    side.seconds = time.perf_counter() - started
    return side


async def http_call(port: int, method: str, path: str, state: dict, body: bytes = b"") -> tuple[int, bytes]:
    return await rush.http_request(port, method, path, body, state)


class Clash(Exception):
    def __init__(self, overlapping) -> None:
        self.overlapping = overlapping


def booking_statements():
    from events_app.db import queries
    from events_app.services.platform import outbox
    from events_app.services.registration import agenda_bookings, session_mail

    book = queries.load(agenda_bookings.__file__)
    mail = queries.load(session_mail.__file__)
    out = queries.load(outbox.__file__)
    return book, mail, out


async def rush_baseline(pool, tokens: list[str], sessions: SessionSet) -> Side:
    """The API's booking transaction (services.registration.agenda_bookings.book), statement for statement, by
    plain asyncpg: the best a Python client can do for it."""
    from events_app.domain.agenda import bookable, booking_status, effective_capacity
    from events_app.domain.ical import METHOD_REQUEST
    from events_app.domain.security import digest
    from events_app.domain.sequence import invite_grows_sequence

    q, mq, oq = booking_statements()
    active = ["booked", "waitlisted"]
    side = Side()
    plans = plan(len(tokens), sessions)
    gate = asyncio.Event()

    def run(conn, query, method: str, **params):
        return getattr(conn, method)(query.sql, *rush.in_order(query, params))

    async def tell_booker(conn, kind: str, registration_id: int, session_id: int, invite: str | None) -> None:
        reg = await run(conn, mq.booker_of_session, "fetchrow", registration_id=registration_id, session_id=session_id)
        if invite_grows_sequence(invite, reg["cancelled_before"]):
            raise SystemExit("baseline: no booking in this benchmark was cancelled before")
        sequence = reg["session_sequence"] if invite == METHOD_REQUEST else None
        await run(
            conn,
            oq.enqueue_message,
            "fetchval",
            kind=kind,
            event_id=reg["event"],
            registration_id=registration_id,
            recipient=reg["email"],
            language=reg["language"],
            payload={"session_id": session_id},
            calendar_method=invite,
            calendar_sequence=sequence,
            dedupe_key=None,
        )

    async def book(token: str, session_id: int) -> tuple[int, dict]:
        async with pool.acquire() as conn:
            try:
                async with conn.transaction():
                    reg = await run(conn, q.lock_booking_registration, "fetchrow", token_hash=digest(token))
                    session = await run(
                        conn, q.lock_session_for_booking, "fetchrow", session_id=session_id, event_id=reg["event"]
                    )
                    if bookable(session["status"], reg["status"]) is not None:
                        raise SystemExit("baseline: the session or the registration is not bookable")
                    found = await run(
                        conn,
                        q.booking_or_overlaps,
                        "fetch",
                        session_id=session_id,
                        registration_id=reg["id"],
                        active_statuses=active,
                        starts_at=session["starts_at"],
                        ends_at=session["ends_at"],
                    )
                    if not any(r["id"] == session_id for r in found):
                        overlapping = found
                        if overlapping:
                            raise Clash(overlapping)
                        capacity = effective_capacity(session["capacity"], session["room_capacity"])
                        status = booking_status(session["requires_booking"], capacity, session["booked_count"])
                        await run(
                            conn,
                            q.insert_booking,
                            "execute",
                            session_id=session_id,
                            registration_id=reg["id"],
                            status=status,
                        )
                        if status == "booked":  # counted by the insert
                            await tell_booker(conn, "session_booked", reg["id"], session_id, METHOD_REQUEST)
                        else:
                            await tell_booker(conn, "session_waitlisted", reg["id"], session_id, None)
            except Clash as clash:
                return 409, {"conflicts": [dict(r) for r in clash.overlapping]}
            row = await run(
                conn,
                q.booking_entry,
                "fetchrow",
                registration_id=reg["id"],
                session_id=session_id,
                active_statuses=active,
            )
            return 200, {"status": row["status"], "waitlist_position": row["waitlist_position"]}

    async def delegate(i: int) -> None:
        await gate.wait()
        for session_id in plans[i]:
            started = time.perf_counter()
            status, body = await book(tokens[i], session_id)
            side.latencies.append(time.perf_counter() - started)
            side.statuses[status] = side.statuses.get(status, 0) + 1
            side.answers[(i, session_id)] = (status, body)

    tasks = [asyncio.create_task(delegate(i)) for i in range(len(tokens))]
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    gate.set()
    await asyncio.gather(*tasks)
    side.seconds = time.perf_counter() - started
    return side


# --------------------------------------------------------------------------- checks


async def check(
    pool, side: Side, sessions: SessionSet, registration_ids: list[int], places: int, label: str
) -> list[str]:
    """Everything the rush must have got right, from the database and the answers. Returns the problems found."""
    problems = []
    n = len(registration_ids)
    if any(status >= 500 for status in side.statuses):
        problems.append(f"{label}: 5xx answers {side.statuses}; first: {side.first_error}")
    plans = plan(n, sessions)
    for i, (first, second, clashing) in enumerate(plans):
        for session_id, want in ((first, 200), (second, 200), (clashing, 409)):
            status, body = side.answers.get((i, session_id), (0, {}))
            if status != want:
                problems.append(f"{label}: delegate {i}, session {session_id}: {status} (expected {want}) {body}")
                break
            if want == 409 and not body.get("conflicts"):
                problems.append(f"{label}: delegate {i}: a clash refused without naming the session it overlaps")
    for session_id in (sessions.a, sessions.b, sessions.c):
        rows = await pool.fetch(
            "SELECT b.id, b.status, b.created_at, b.registration FROM agenda_booking b WHERE b.session = $1 "
            "AND b.status <> 'cancelled' ORDER BY b.id",
            session_id,
        )
        counter = await pool.fetchval("SELECT booked_count FROM agenda_session WHERE id = $1", session_id)
        booked = [r for r in rows if r["status"] == "booked"]
        waiting = [r for r in rows if r["status"] == "waitlisted"]
        expected = n if session_id == sessions.c else n // 2 + (n % 2 if session_id == sessions.a else 0)
        if len(booked) != min(places, expected) or counter != len(booked):
            problems.append(f"{label}: session {session_id}: {len(booked)} booked, counter {counter}, want {places}")
        if len(rows) != expected:
            problems.append(f"{label}: session {session_id}: {len(rows)} entries, want {expected}")
        if rows and [r["status"] for r in rows] != ["booked"] * len(booked) + ["waitlisted"] * len(waiting):
            problems.append(f"{label}: session {session_id}: a waiting entry came before a booked one")
        if any(x["created_at"] > y["created_at"] for x, y in zip(rows, rows[1:], strict=False)):
            problems.append(f"{label}: session {session_id}: booking order differs from arrival under the lock")
        # Each waiting delegate was told their place, and the places follow the booking order.
        rank = {w["registration"]: k + 1 for k, w in enumerate(waiting)}
        for i, registration_id in enumerate(registration_ids):
            status, body = side.answers.get((i, session_id), (0, {}))
            if (
                status == 200
                and body.get("status") == "waitlisted"
                and body.get("waitlist_position") != rank.get(registration_id)
            ):
                problems.append(
                    f"{label}: session {session_id}: delegate {i} was told place {body.get('waitlist_position')}, "
                    f"holds {rank.get(registration_id)}"
                )
                break
    return problems


# --------------------------------------------------------------------------- set-up


async def set_up(api: rush.Api, n: int, places: int, days: int) -> tuple[int, list[str], list[SessionSet]]:
    """The event, N confirmed delegates (their manage tokens) and one set of three sessions per day."""
    end = EVENT_START + timedelta(days=days)
    event = await api.call(
        "POST",
        "/api/events",
        {
            "title": "Booking rush congress",
            "kind": "congress",
            "timezone": "Europe/Lisbon",
            "starts_at": f"{EVENT_START.isoformat()}T09:00:00",
            "ends_at": f"{end.isoformat()}T18:00:00",
            "venue_name": "Bench Hall",
        },
    )
    event_id = event["id"]
    await api.call("POST", f"/api/events/{event_id}/categories", {"code": "delegate", "name": "Delegate"})
    await api.call("POST", f"/api/events/{event_id}/publish")
    sets = []
    for day in range(days):
        when = (EVENT_START + timedelta(days=day)).isoformat()
        ids = []
        for title, start, finish in (("A", "10:00", "11:30"), ("B", "10:00", "11:30"), ("C", "14:00", "15:30")):
            session = await api.call(
                "POST",
                f"/api/events/{event_id}/sessions",
                {
                    "title": f"Workshop {title}, day {day + 1}",
                    "kind": "workshop",
                    "starts_at": f"{when}T{start}:00",
                    "ends_at": f"{when}T{finish}:00",
                    "requires_booking": True,
                    "capacity": places,
                },
            )
            ids.append(session["id"])
        sets.append(SessionSet(day, *ids))
    tokens = []
    for i in range(n):
        answer = await api.call(
            "POST",
            f"/api/events/{event_id}/registrations",
            {
                "email": f"delegate-{i}@bench.example.org",
                "name": f"Delegate {i}",
                "category": "delegate",
                "consent": True,
            },
        )
        if answer["status"] != "confirmed":
            raise SystemExit(f"delegate {i} is {answer['status']}, not confirmed")
        tokens.append(answer["manage_token"])
    return event_id, tokens, sets


async def measure(args, database_url: str, port: int) -> tuple[int, tuple[float, float]]:
    import asyncpg

    from events_app.db.engine import POOL_OPTIONS

    api = rush.Api(port)
    await api.login()
    days = 2 * args.rounds + 2
    log(f"setting up: {args.delegates} delegates, {days} sets of 3 sessions of {args.places} places")
    _event_id, tokens, sets = await set_up(api, args.delegates, args.places, days)
    pool = await asyncpg.create_pool(database_url, min_size=args.pool, max_size=args.pool, **POOL_OPTIONS)
    from events_app.domain.security import digest

    by_hash = {
        r["token_hash"]: r["id"]
        for r in await pool.fetch(
            "SELECT id, token_hash FROM registration WHERE token_hash = ANY($1::text[])", [digest(t) for t in tokens]
        )
    }
    registration_ids = [by_hash[digest(t)] for t in tokens]
    problems: list[str] = []
    rounds: list[tuple[Side, Side]] = []
    try:
        warm = min(50, args.delegates)
        await rush_http(port, tokens[:warm], sets[0])
        await rush_baseline(pool, tokens[:warm], sets[1])
        free = iter(sets[2:])
        for n in range(args.rounds):
            order = ("baseline", "http") if n % 2 == 0 else ("http", "baseline")
            got: dict[str, Side] = {}
            for which in order:
                sessions = next(free)
                log(f"round {n + 1}/{args.rounds}: {which} (load average {os.getloadavg()[0]:.1f})")
                if which == "http":
                    side = await rush_http(port, tokens, sessions)
                else:
                    side = await rush_baseline(pool, tokens, sessions)
                got[which] = side
                problems += await check(pool, side, sessions, registration_ids, args.places, f"round {n + 1} {which}")
            rounds.append((got["baseline"], got["http"]))
    finally:
        await pool.close()
    return report(rounds, problems, args)


def scaling(results: list[tuple[int, tuple[int, tuple[float, float]]]]) -> None:
    """Rate and efficiency per number of API processes (efficiency: rate / (N x the rate of one process))."""
    one = results[0][1][1][1] / results[0][0]
    print()
    print(f"Scaling (load average {os.getloadavg()[0]:.1f}; other processes on the machine count in it)")
    print(f"{'API processes':>14}{'HTTP rate':>12}{'baseline':>12}{'ratio':>8}{'efficiency':>12}")
    for processes, (_code, (baseline, http)) in results:
        print(
            f"{processes:>14}{http:>10,.0f}/s{baseline:>10,.0f}/s{http / baseline:>8.2f}"
            f"{http / (processes * one):>12.2f}"
        )


def report(rounds: list[tuple[Side, Side]], problems: list[str], args) -> tuple[int, tuple[float, float]]:
    line = "-" * 100
    print()
    print(
        f"Booking rush: {args.delegates} delegates at once, 3 sessions of {args.places} places, 3 requests each "
        f"(book, book, a refused clash), {args.rounds} alternating rounds, pool of {args.pool}, "
        f"{args.api_processes} API process(es), fsync {'on' if args.durable else 'off'}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} (other processes on the machine count in it)"
    )
    print(line)
    print(
        f"{'round':<8}{'asyncpg baseline':>18}{'HTTP API':>12}{'ratio':>8}{'HTTP p50 / p99 ms':>22}"
        f"{'baseline p50 / p99':>22}"
    )
    print(line)
    ratios = []
    for n, (baseline, http) in enumerate(rounds):
        ratio = http.rate / baseline.rate if baseline.rate else 0.0
        ratios.append(ratio)
        print(
            f"{n + 1:<8}{baseline.rate:>15,.0f} /s{http.rate:>9,.0f} /s{ratio:>8.2f}"
            f"{percentile(http.latencies, 0.5):>13.0f} / {percentile(http.latencies, 0.99):<6.0f}"
            f"{percentile(baseline.latencies, 0.5):>13.0f} / {percentile(baseline.latencies, 0.99):<6.0f}"
        )
    baseline_all = [x for b, _ in rounds for x in b.latencies]
    http_all = [x for _, h in rounds for x in h.latencies]
    rate_b = sum(b.done for b, _ in rounds) / sum(b.seconds for b, _ in rounds)
    rate_h = sum(h.done for _, h in rounds) / sum(h.seconds for _, h in rounds)
    ratio = rate_h / rate_b
    print(line)
    print(
        f"{'all':<8}{rate_b:>15,.0f} /s{rate_h:>9,.0f} /s{ratio:>8.2f}"
        f"{percentile(http_all, 0.5):>13.0f} / {percentile(http_all, 0.99):<6.0f}"
        f"{percentile(baseline_all, 0.5):>13.0f} / {percentile(baseline_all, 0.99):<6.0f}"
    )
    print(f"median of the rounds' ratios: {statistics.median(ratios):.2f} (target >= {TARGET})")
    statuses: dict[int, int] = {}
    for _, http in rounds:
        for status, count in http.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    print(f"HTTP answers: {dict(sorted(statuses.items()))}")
    if problems:
        print(f"{len(problems)} PROBLEMS:")
        for problem in problems[:20]:
            print(f"  {problem}")
        return 2, (rate_b, rate_h)
    print(
        f"checked every round: exactly {args.places} booked per session, the rest on its waiting list in arrival "
        "order with the positions each answer told, every clash refused with the session named, no 5xx"
    )
    print("at or above the target" if ratio >= TARGET else "BELOW TARGET")
    return (0 if ratio >= TARGET else 1), (rate_b, rate_h)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delegates", type=int, default=500, help="delegates booking at once")
    parser.add_argument("--places", type=int, default=40, help="places per session")
    parser.add_argument("--rounds", type=int, default=3, help="alternating baseline/HTTP rounds")
    parser.add_argument("--pool", type=int, default=10, help="DB_POOL_SIZE of the API and the baseline's pool")
    parser.add_argument(
        "--api-processes", default="1", help="uvicorn worker processes; a list (1,2) measures each and prints a table"
    )
    parser.add_argument("--no-fsync", dest="durable", action="store_false", help="PostgreSQL without disk flushes")
    args = parser.parse_args()

    children = manage.Children()
    base = Path(tempfile.mkdtemp(prefix="events-bench-"))
    try:
        env, database_url, server_url = rush.prepare(children, base, args.durable, args.pool)
        results = []
        for processes in [int(n) for n in args.api_processes.split(",")]:
            run = argparse.Namespace(**{**vars(args), "api_processes": processes})
            port, _pids, api = rush.start_api(children, base, env, processes)
            results.append((processes, asyncio.run(measure(run, database_url, port))))
            api.terminate()
            api.wait(30)
        if len(results) > 1:
            scaling(results)
        asyncio.run(rush.recreate_database(server_url, drop_only=True))
        return max(code for _, (code, _rates) in results)
    except KeyboardInterrupt:
        return 130
    finally:
        children.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
