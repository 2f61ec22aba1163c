"""Other requests' latency while logins hash passwords: p99 of a cheap API read with 8 logins running, next to the
same p99 with no logins, measured in the same run in alternating rounds.

    .venv/bin/python bench/login_p99.py [--seconds 5] [--rounds 2] [--logins 8]

Argon2 verification costs tens of milliseconds of CPU per login. It runs in worker threads, at most two at once
(services/people/accounts.py), so logins queue for the hasher instead of stalling the event loop: the read's p99 should
stay in the same range with and without logins (before, 8 parallel logins pushed it from ~5 ms to 1.3-2 s).

Without DATABASE_URL, embedded PostgreSQL, Redis and an SMTP sink are started as in `manage.py up`; the benchmark
works in a database of its own (created, migrated, dropped). One uvicorn process; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import manage  # noqa: E402  (standard library only: starts the embedded servers)

BENCH_DATABASE = "events_bench_login"
EMAIL = "bench-login@example.org"
PASSWORD = "bench login password long enough"


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


async def reads(client, seconds: float) -> list[float]:
    """One client reading /api/events back to back; the latency of each read in ms."""
    latencies = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        response = await client.get("/api/events")
        latencies.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return latencies


async def logins(client, stop: asyncio.Event) -> int:
    done = 0
    while not stop.is_set():
        response = await client.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
        response.raise_for_status()
        done += 1
    return done


async def measure(base_url: str, args) -> tuple[list[float], list[float], int, float]:
    import httpx

    quiet: list[float] = []
    busy: list[float] = []
    login_count = 0
    login_seconds = 0.0
    limits = httpx.Limits(max_connections=args.logins + 4)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        await reads(client, 1)  # warm up: connections, caches, the first argon2 verification
        await client.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
        for _ in range(args.rounds):
            quiet += await reads(client, args.seconds)
            stop = asyncio.Event()
            workers = [asyncio.create_task(logins(client, stop)) for _ in range(args.logins)]
            await asyncio.sleep(0.2)  # every login in flight before the reads start
            started = time.perf_counter()
            busy += await reads(client, args.seconds)
            stop.set()
            login_count += sum(await asyncio.gather(*workers))
            login_seconds += time.perf_counter() - started
    return quiet, busy, login_count, login_seconds


async def recreate_database(server_url: str, drop_only: bool = False) -> None:
    from events_app.db import admin

    await admin.recreate_database(server_url, BENCH_DATABASE, create=not drop_only)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5, help="seconds of reads per phase and round")
    parser.add_argument("--rounds", type=int, default=2, help="alternating quiet/busy rounds")
    parser.add_argument("--logins", type=int, default=8, help="logins kept in flight during the busy phase")
    args = parser.parse_args()

    manage.ensure_venv()
    children = manage.Children()
    base = Path(tempfile.mkdtemp(prefix="events-bench-"))
    try:
        servers = manage.start_servers(children, base, durable=False)
        server_url = servers["DATABASE_URL"]
        database_url = with_database(server_url, BENCH_DATABASE)
        asyncio.run(recreate_database(server_url))
        env = {
            **os.environ,
            **servers,
            "DATABASE_URL": database_url,
            "APP_ENV": "development",
            "RATE_LIMIT_LOGIN_PER_IP": "10000000/60",
            "ORGANIZER_PASSWORD": PASSWORD,
        }
        python = str(manage.venv_python())
        subprocess.run(
            [python, "-m", "events_app.cli", "migrate"], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL
        )
        subprocess.run(
            [python, "-m", "events_app.cli", "create-organizer", EMAIL, "Bench"],
            check=True,
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        port = manage.free_port()
        api = children.start(
            "api",
            [
                python,
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
                "--no-access-log",
            ],
            env={**env, "PUBLIC_URL": f"http://127.0.0.1:{port}"},
            log_file=base / "api.log",
        )
        manage.wait_port(port, "API", api, timeout=60)
        quiet, busy, count, seconds = asyncio.run(measure(f"http://127.0.0.1:{port}", args))
        print()
        print(
            f"Login p99: GET /api/events from one client, {args.rounds} alternating rounds of {args.seconds:.0f} s, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
        )
        print(f"{'phase':<26}{'reads':>8}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
        for name, values in (("no logins", quiet), (f"{args.logins} logins in flight", busy)):
            print(
                f"{name:<26}{len(values):>8}{percentile(values, 50):>10.1f}{percentile(values, 99):>10.1f}"
                f"{max(values):>10.1f}"
            )
        print(
            f"p99 with logins / without: {percentile(busy, 99) / percentile(quiet, 99):.2f}; "
            f"logins completed: {count} ({count / seconds:.1f}/s)"
        )
        asyncio.run(recreate_database(server_url, drop_only=True))
        return 0
    except KeyboardInterrupt:
        return 130
    finally:
        children.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
