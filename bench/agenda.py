"""Benchmark of the congress agenda at scale: 1,000 sessions in 60 rooms with 1,000 speakers.

    .venv/bin/python bench/agenda.py            # starts its own PostgreSQL (as manage.py does)
    DATABASE_URL=postgresql://... .venv/bin/python bench/agenda.py   # or uses that server (a new database in it)

It imports a generated schedule.json through the API (timed), then serves the API and a bare Litestar app that
returns the same precomputed bytes, each in one uvicorn process, and drives both with the same keep-alive HTTP
loop on loopback (bounded in time and count). Printed: requests/s of the cached agenda JSON, the public feed (200
and 304) as ratios against the bare route, the fresh feed build time (in a new process, as after a restart; after
one change; after the import; with no current stored piece at all), and the import time. Targets: cached agenda
and feed >= 0.5 of the bare route; fresh feed < 250 ms; import < 10 s.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import manage  # noqa: E402  (stdlib-only launcher: embedded PostgreSQL)

SESSIONS, ROOMS, SPEAKERS = 1000, 60, 1000
CONNECTIONS = 16
SECONDS = 3.0  # per figure, split over ROUNDS
ROUNDS = 4
MAX_REQUESTS = 200_000
TZ = "Europe/Berlin"
PASSWORD = "bench-password-long-enough"


# --------------------------------------------------------------------------- servers


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


async def _fresh_database(server_url: str, name: str) -> None:
    from events_app.db.admin import recreate_database

    await recreate_database(server_url, name)


def _uvicorn(target: str, port: int, env: dict, log: Path, *extra: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--no-proxy-headers",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
    )
    manage.wait_port(port, target, proc, timeout=60)
    return proc


# --------------------------------------------------------------------------- load loop


async def _one_connection(port: int, request: bytes, deadline: float, budget: list[int], statuses: dict) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    done = 0
    try:
        while time.monotonic() < deadline and budget[0] > 0:
            budget[0] -= 1
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            statuses[status] = statuses.get(status, 0) + 1
            done += 1
    finally:
        writer.close()
    return done


async def _http_load(
    port: int, path: str, headers: dict | None, seconds: float, warm_up: bool, statuses: dict
) -> tuple[int, float]:
    """(requests answered, seconds taken) by CONNECTIONS keep-alive loops requesting `path`."""
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    if warm_up:
        warm = [2000]
        await asyncio.gather(
            *(_one_connection(port, request, time.monotonic() + 0.5, warm, {}) for _ in range(CONNECTIONS))
        )
    budget = [MAX_REQUESTS]
    start = time.monotonic()
    counts = await asyncio.gather(
        *(_one_connection(port, request, start + seconds, budget, statuses) for _ in range(CONNECTIONS))
    )
    return sum(counts), time.monotonic() - start


async def requests_per_second(targets: dict[str, tuple[int, str, dict | None]]) -> dict[str, tuple[float, dict]]:
    """Each target's rate, measured in ROUNDS rounds whose order alternates (forwards, backwards, ...), so that a
    change of the machine's load during the run weighs on a figure and on its baseline alike."""
    done = {name: [0, 0.0, {}] for name in targets}
    names = list(targets)
    for n in range(ROUNDS):
        for name in names if n % 2 == 0 else names[::-1]:
            port, path, headers = targets[name]
            count, took = await _http_load(port, path, headers, SECONDS / ROUNDS, n == 0, done[name][2])
            done[name][0] += count
            done[name][1] += took
    return {name: (count / took, statuses) for name, (count, took, statuses) in done.items()}


def _cold_feed_in_new_process(event_id: int, env: dict) -> tuple[float, str]:
    """Build the public feed in a new Python process (nothing in memory: as after a restart); its build time in
    ms (from the first query on, the connection pool already open) and the SHA-256 of the bytes."""
    out = subprocess.run(
        [sys.executable, __file__, "--cold-feed", str(event_id)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[-2]), out[-1]


async def _cold_feed(event_id: int) -> None:
    from events_app.db.engine import DB
    from events_app.services.agenda import agenda_publish

    await DB.start_connection_pool(min_size=1, max_size=2)
    try:
        started = time.perf_counter()
        body = (await agenda_publish.public_feed(event_id)).body
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        await DB.close_connection_pool()
    print(f"{elapsed:.1f} {hashlib.sha256(body).hexdigest()}")


# --------------------------------------------------------------------------- data


def schedule_document() -> dict:
    """1,000 sessions in 60 rooms over three days, each with its own speaker: no conflicts."""
    zone = ZoneInfo(TZ)
    tracks = [
        ("Low-emission development", "#455a64"),
        ("Nature-based development", "#2e7d32"),
        ("Resilient development", "#1565c0"),
        ("Equitable development", "#6a1b9a"),
        ("Circular development", "#ef6c00"),
    ]
    kinds = ["talk", "panel", "workshop", "plenary", "side_event"]
    rooms = [f"Room {r + 1:02d}" for r in range(ROOMS)]
    days: list[dict] = []
    n = 0
    for d in range(3):
        day = datetime(2027, 6, 1, tzinfo=zone) + timedelta(days=d)
        by_room: dict[str, list] = {r: [] for r in rooms}
        for slot in range(6):
            for room in rooms:
                if n >= SESSIONS:
                    break
                start = day.replace(hour=8 + 2 * slot)
                n += 1
                by_room[room].append(
                    {
                        "guid": str(uuid.UUID(int=n)),
                        "id": n,
                        "date": start.isoformat(),
                        "start": start.strftime("%H:%M"),
                        "duration": "01:30",
                        "room": room,
                        "slug": f"bench-{n}",
                        "url": f"https://example.org/s/{n}",
                        "title": f"Session {n}: cities acting on {tracks[n % 5][0].lower()}",
                        "subtitle": "",
                        "track": tracks[n % 5][0],
                        "type": kinds[n % 5],
                        "language": "en",
                        "abstract": (
                            "Mayors and practitioners compare what worked, what it cost and who benefited. " * 4
                        ),
                        "persons": [{"guid": str(uuid.UUID(int=10**6 + n)), "name": f"Speaker {n}", "role": "speaker"}],
                        "links": [],
                    }
                )
        days.append(
            {
                "index": d + 1,
                "date": day.date().isoformat(),
                "day_start": day.isoformat(),
                "day_end": (day + timedelta(days=1)).isoformat(),
                "rooms": by_room,
            }
        )
    return {
        "schedule": {
            "version": "bench",
            "conference": {
                "acronym": "bench_congress",
                "title": "Benchmark Congress",
                "start": "2027-06-01",
                "end": "2027-06-03",
                "daysCount": 3,
                "timeslot_duration": "00:15",
                "time_zone_name": TZ,
                "tracks": [{"name": t, "color": c} for t, c in tracks],
                "rooms": [{"name": r, "guid": str(uuid.uuid4())} for r in rooms],
                "days": days,
            },
        }
    }


# --------------------------------------------------------------------------- main


async def run(server_url: str, workdir: Path) -> dict:
    import httpx

    database_url = _with_db(server_url, "agenda_bench")
    await _fresh_database(server_url, "agenda_bench")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-secret-" + "x" * 32,
        "PUBLIC_URL": "http://127.0.0.1",
        "DB_POOL_SIZE": "10",
    }
    subprocess.run(
        [sys.executable, "-m", "events_app.cli", "migrate"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )
    os.environ.update(env)
    from events_app.db.engine import DB
    from events_app.services.people import accounts

    await DB.start_connection_pool(min_size=1, max_size=4)
    await accounts.create_account("bench@example.org", "Bench", PASSWORD)

    api_port, bare_port = manage.free_port(), manage.free_port()
    procs = [_uvicorn("events_app.web.app:create_app", api_port, env, workdir / "api.log", "--factory")]
    results: dict = {}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", timeout=120) as client:
            token = (
                await client.post("/api/auth/login", json={"email": "bench@example.org", "password": PASSWORD})
            ).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            event = (
                await client.post(
                    "/api/events",
                    headers=auth,
                    json={
                        "title": "Benchmark Congress",
                        "kind": "congress",
                        "timezone": TZ,
                        "starts_at": "2027-06-01T07:00:00",
                        "ends_at": "2027-06-03T22:00:00",
                    },
                )
            ).json()
            base = f"/api/events/{event['id']}"
            await client.post(f"{base}/categories", headers=auth, json={"code": "delegate", "name": "Delegate"})
            await client.post(f"{base}/publish", headers=auth)
            document = json.dumps(schedule_document()).encode()

            started = time.perf_counter()
            imported = await client.post(
                f"{base}/schedule/import", content=document, headers={**auth, "Content-Type": "application/json"}
            )
            results["import_s"] = time.perf_counter() - started
            assert imported.status_code == 200, imported.text
            results["import"] = imported.json()
            started = time.perf_counter()
            again = await client.post(
                f"{base}/schedule/import", content=document, headers={**auth, "Content-Type": "application/json"}
            )
            results["reimport_s"] = time.perf_counter() - started
            results["reimport"] = again.json()

            # Fresh feed over HTTP: the first request after the import (which stored every session's piece)...
            started = time.perf_counter()
            first = await client.get(f"{base}/calendar.ics")
            results["feed_after_import_http_ms"] = (time.perf_counter() - started) * 1000
            # ...and the first after one session changed (only that one is serialised).
            sessions = (await client.get(f"{base}/sessions", headers=auth)).json()
            await client.patch(f"{base}/sessions/{sessions[0]['id']}", headers=auth, json={"title": "Changed"})
            started = time.perf_counter()
            changed = await client.get(f"{base}/calendar.ics")
            results["feed_after_change_http_ms"] = (time.perf_counter() - started) * 1000
            assert changed.headers["etag"] != first.headers["etag"]
            agenda = await client.get(f"{base}/agenda")
            results["agenda_bytes"], results["feed_bytes"] = len(agenda.content), len(changed.content)
            (workdir / "agenda.json").write_bytes(agenda.content)
            (workdir / "calendar.ics").write_bytes(changed.content)
            feed_etag, agenda_etag = changed.headers["etag"], agenda.headers["etag"]

            results["exports"] = await _exports(client, base)
            results["real"] = await _real_file(client, auth)

            # A change every session shows (the venue is in each LOCATION): the PATCH stores 1,000 new pieces.
            started = time.perf_counter()
            moved = await client.patch(base, headers=auth, json={"venue_name": "Bench Conference Centre"})
            results["venue_patch_ms"] = (time.perf_counter() - started) * 1000
            assert moved.status_code == 200, moved.text
            started = time.perf_counter()
            after_venue = await client.get(f"{base}/calendar.ics")
            results["feed_after_venue_http_ms"] = (time.perf_counter() - started) * 1000
            assert b"Bench Conference Centre" in after_venue.content

        # Fresh feed after a restart: a new process with nothing in memory builds it (pieces from the database).
        restarts = [_cold_feed_in_new_process(event["id"], env) for _ in range(3)]
        results["feed_cold_ms"] = [ms for ms, _ in restarts]
        from events_app.db import sql
        from events_app.services.agenda import agenda_cache, agenda_publish

        # Worst case: no stored piece is current (first build after the serialiser itself changed): every VEVENT
        # is serialised. Its bytes must equal those assembled from stored pieces.
        unstored = []
        for _ in range(3):
            await sql.execute(
                "DELETE FROM agenda_feed_piece WHERE session IN (SELECT id FROM agenda_session WHERE event = $1)",
                event["id"],
            )
            agenda_cache.clear()
            started = time.perf_counter()
            built = await agenda_publish.public_feed(event["id"])
            unstored.append((time.perf_counter() - started) * 1000)
        results["feed_unstored_ms"] = unstored
        assert {digest for _, digest in restarts} == {hashlib.sha256(built.body).hexdigest()}, (
            "a feed assembled from stored pieces differs from one serialised from scratch"
        )

        await sql.execute(
            "UPDATE agenda_session SET title = 'Changed again', updated_at = now() WHERE id = $1", sessions[1]["id"]
        )
        agenda_cache.clear()
        started = time.perf_counter()
        await agenda_publish.public_feed(event["id"])
        results["feed_after_change_ms"] = (time.perf_counter() - started) * 1000

        procs.append(
            _uvicorn(
                "bare_app:app",
                bare_port,
                {**env, "BENCH_BYTES_DIR": str(workdir)},
                workdir / "bare.log",
                "--app-dir",
                str(ROOT / "bench"),
            )
        )
        # The API's feed is now stale for the in-process UPDATE above only if LISTEN missed it: ask once to refresh.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}") as client:
            feed_etag = (await client.get(f"{base}/calendar.ics")).headers["etag"]
            agenda_etag = (await client.get(f"{base}/agenda")).headers["etag"]
            served = (await client.get(f"{base}/calendar.ics")).content
            (workdir / "calendar.ics").write_bytes(served)
            results["feed_bytes"] = len(served)  # what both sides serve below
        # restart the bare app so it serves the current feed bytes
        procs[-1].terminate()
        procs[-1].wait(10)
        procs[-1] = _uvicorn(
            "bare_app:app",
            bare_port,
            {**env, "BENCH_BYTES_DIR": str(workdir)},
            workdir / "bare.log",
            "--app-dir",
            str(ROOT / "bench"),
        )

        measured = await requests_per_second(
            {
                "bare agenda bytes": (bare_port, "/bare/agenda", None),
                "agenda JSON (cached)": (api_port, f"{base}/agenda", None),
                "bare feed bytes": (bare_port, "/bare/feed", None),
                "feed .ics (cached)": (api_port, f"{base}/calendar.ics", None),
                "bare empty 304": (bare_port, "/bare/empty", None),
                "feed .ics 304": (api_port, f"{base}/calendar.ics", {"If-None-Match": feed_etag}),
                "agenda JSON 304": (api_port, f"{base}/agenda", {"If-None-Match": agenda_etag}),
            }
        )
        results["rates"] = measured
    finally:
        for proc in procs:  # ours: stopped by handle
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        await DB.close_connection_pool()
    return results


SCHEDULES = ROOT.parent / "shared" / "data"  # real published schedules (not in this repository)


async def _exports(client, base: str) -> dict:
    """schedule.json and schedule.xml of the event: the first (built) and a second (cached) request, ms and KiB."""
    out = {}
    for name in ("schedule.json", "schedule.xml"):
        started = time.perf_counter()
        built = await client.get(f"{base}/{name}")
        first = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        await client.get(f"{base}/{name}")
        out[name] = (first, (time.perf_counter() - started) * 1000, len(built.content) / 1024)
    return out


async def _real_file(client, auth: dict) -> dict | None:
    """Import, re-import and both exports of the largest real schedule in ../shared/data (None without it)."""
    files = sorted(SCHEDULES.rglob("*.schedule.*"), key=lambda p: p.stat().st_size) if SCHEDULES.exists() else []
    if not files:
        return None
    path = files[-1]
    data = path.read_bytes()
    kind = "application/json" if path.suffix == ".json" else "application/xml"
    event = (
        await client.post(
            "/api/events",
            headers=auth,
            json={
                "title": f"Real {path.name}",
                "kind": "congress",
                "timezone": TZ,
                "starts_at": "2027-06-01T07:00:00",
                "ends_at": "2027-06-03T22:00:00",
            },
        )
    ).json()
    base = f"/api/events/{event['id']}"
    await client.post(f"{base}/categories", headers=auth, json={"code": "delegate", "name": "Delegate"})
    await client.post(f"{base}/publish", headers=auth)
    out: dict = {"name": path.name, "kib": len(data) / 1024}
    for label in ("import_s", "reimport_s"):
        started = time.perf_counter()
        answer = await client.post(f"{base}/schedule/import", content=data, headers={**auth, "Content-Type": kind})
        out[label] = time.perf_counter() - started
        assert answer.status_code == 200, answer.text
        out[label.replace("_s", "")] = {k: v for k, v in answer.json().items() if isinstance(v, int)}
    out["exports"] = await _exports(client, base)
    return out


def _counts(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if isinstance(v, int) and v}


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.0f}" for v in values)


def report(r: dict) -> None:
    rates = {k: v[0] for k, v in r["rates"].items()}
    print(
        f"\nAgenda benchmark: {SESSIONS} sessions, {ROOMS} rooms, {SPEAKERS} speakers "
        f"(agenda JSON {r['agenda_bytes'] / 1024:.0f} KiB, feed {r['feed_bytes'] / 1024:.0f} KiB); "
        f"{CONNECTIONS} keep-alive connections, {SECONDS:.0f} s per figure in {ROUNDS} alternating rounds, "
        "one uvicorn process each\n"
    )
    for name, (rate, statuses) in r["rates"].items():
        print(f"  {name:24s} {rate:9.0f} req/s   {dict(sorted(statuses.items()))}")
    print()
    pairs = (
        ("agenda JSON (cached)", "bare agenda bytes"),
        ("feed .ics (cached)", "bare feed bytes"),
        ("feed .ics 304", "bare empty 304"),
        ("agenda JSON 304", "bare empty 304"),
    )
    for ours, bare in pairs:
        ratio = rates[ours] / rates[bare]
        print(f"  ratio {ours:22s} / {bare:18s} = {ratio:4.2f}   (target >= 0.5: {'ok' if ratio >= 0.5 else 'MISSED'})")
    cold = r["feed_cold_ms"]
    print(
        f"\n  fresh feed after a restart (new process)     {min(cold):7.1f} ms   "
        f"(target < 250 ms: {'ok' if max(cold) < 250 else 'MISSED'})  runs: {_runs(cold)}"
    )
    print(
        f"  fresh feed after one change (in-process)     {r['feed_after_change_ms']:7.1f} ms   "
        f"(target < 250 ms: {'ok' if r['feed_after_change_ms'] < 250 else 'MISSED'})"
    )
    print(f"  fresh feed after one change (HTTP)           {r['feed_after_change_http_ms']:7.1f} ms")
    print(f"  first feed after the import (HTTP)           {r['feed_after_import_http_ms']:7.1f} ms")
    print(
        f"  event venue change: PATCH / next feed (HTTP) {r['venue_patch_ms']:7.1f} ms / "
        f"{r['feed_after_venue_http_ms']:.1f} ms"
    )
    print(
        f"  feed with no current stored piece (every VEVENT serialised, in-process) "
        f"{min(r['feed_unstored_ms']):.1f} ms  runs: {_runs(r['feed_unstored_ms'])}"
    )
    print(
        f"  import of {SESSIONS} sessions                   {r['import_s']:7.2f} s    "
        f"(target < 10 s: {'ok' if r['import_s'] < 10 else 'MISSED'})  {_counts(r['import'])}"
    )
    print(
        f"  re-import of the same file                   {r['reimport_s']:7.2f} s    "
        f"unchanged={r['reimport']['unchanged']}"
    )
    print("\n  schedule exports (first request builds, second is cached): generated agenda | largest real file")
    real = r.get("real")
    for name in ("schedule.json", "schedule.xml"):
        ours = r["exports"][name]
        line = f"    {name:14s} {ours[0]:7.1f} ms / {ours[1]:5.1f} ms ({ours[2]:5.0f} KiB)"
        if real:
            theirs = real["exports"][name]
            line += f"  |  {theirs[0]:7.1f} ms / {theirs[1]:5.1f} ms ({theirs[2]:5.0f} KiB)"
        print(line)
    if real:
        print(
            f"  real file {real['name']} ({real['kib']:.0f} KiB): import {real['import_s']:.2f} s "
            f"{_counts(real['import'])}; re-import {real['reimport_s']:.2f} s {_counts(real['reimport'])}"
        )
    else:
        print(f"  (no real schedule under {SCHEDULES}: the real-file figures are left out)")


def main() -> int:
    if sys.argv[1:2] == ["--cold-feed"]:
        asyncio.run(_cold_feed(int(sys.argv[2])))
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="agenda-bench-"))
    children = manage.Children()
    try:
        server_url = os.environ.get("DATABASE_URL")
        if not server_url:
            (workdir / "logs").mkdir()
            server_url = manage.start_postgres(children, workdir / "pgdata", workdir / "logs", durable=False)
        try:
            import uvloop  # the load loop's own overhead is part of every figure: keep it small

            runner = uvloop.run
        except ImportError:
            runner = asyncio.run
        report(runner(run(server_url, workdir)))
        return 0
    finally:
        children.stop()


if __name__ == "__main__":
    sys.exit(main())
