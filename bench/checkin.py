"""Check-in at the door: scans per second through the desk's sync route, as a ratio to a bare route, and the time
to render every badge of a 3,000-delegate event.

    .venv/bin/python bench/checkin.py [--no-fsync] [--delegates 3000] [--devices 10] [--rounds 4]

An event with 3,000 confirmed delegates (names in Latin with diacritics, Cyrillic, Arabic, Chinese) and their
check-in codes is seeded through the services; ten check-in staff accounts log in through the login page as the
desk's browsers do. Ten simulated devices then post scans to `/organizer/events/{id}/checkin/sync.json` exactly as
static/checkin.js sends them (the login cookie, the CSRF header, `{"scans": [{scan_id, code, device,
scanned_at}]}`), each over its own keep-alive connection, in two scenarios:

- **online desks**: every scan is sent as it is made, a batch of one (what the page does while the network is up);
- **back online**: each device has queued its 300 scans offline and sends them as the page does, 200 then 100.

The baseline is bench/bare_checkin.py: a bare Litestar route in its own uvicorn process that takes the same bodies
and records them with one SQL statement per batch (look up the codes, keep every scan, first scan wins), with no
login, CSRF, abuse limits or rules. Both write the same tables of the same database; between passes the scans are
deleted (not timed), so every pass admits all 3,000. Baseline and API passes alternate, so a change of machine load
weighs on both. The exit status is 1 when a ratio is below 0.5 or the badges take 60 s or more.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import manage  # noqa: E402  (standard library only: starts the embedded servers)

DATABASE = "events_bench_checkin"
PASSWORD = "bench-checkin-password"
TARGET = 0.5
BADGE_TARGET = 60.0
BATCH = 200  # checkin.js: queue.slice(0, 200)
NAMES = [
    "José Ñúñez Álvarez",
    "Ирина Шевченко",
    "فاطمة الزهراء بن علي",
    "王小明",
    "Søren Kierkegaard-Ødegård",
    "Nguyễn Thị Minh Khai",
    "Zoë Brontë-Łukasiewicz",
    "Алексей Петров",
]


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


@dataclass
class Pass:
    scans: int = 0
    admitted: int = 0
    requests: int = 0
    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.scans / self.seconds if self.seconds else 0.0


def merge(parts: list[Pass]) -> Pass:
    total = Pass()
    for p in parts:
        total.scans += p.scans
        total.admitted += p.admitted
        total.requests += p.requests
        total.seconds += p.seconds
        total.first_error = total.first_error or p.first_error
        for status, n in p.statuses.items():
            total.statuses[status] = total.statuses.get(status, 0) + n
    return total


class Connection:
    """One device's keep-alive HTTP/1.1 connection (reconnecting when the server closes it)."""

    def __init__(self, port: int, headers: str = "") -> None:
        self.port = port
        self.headers = headers
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Type: application/json\r\n"
            f"{self.headers}Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        payload = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer = None


def batches(codes: list[str], device: str, size: int) -> list[bytes]:
    """The bodies checkin.js posts for these scans, `size` scans per batch."""
    import msgspec

    start = datetime.now(timezone.utc) - timedelta(minutes=30)
    scans = [
        {
            "scan_id": str(uuid.uuid4()),
            "code": code,
            "device": device,
            "scanned_at": (start + timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
        }
        for i, code in enumerate(codes)
    ]
    return [msgspec.json.encode({"scans": scans[i : i + size]}) for i in range(0, len(scans), size)]


async def run_pass(connections: list[Connection], path: str, bodies: list[list[bytes]]) -> Pass:
    """Every device posts its bodies one after the other; all devices at once."""
    import msgspec

    result = Pass()

    async def device(conn: Connection, mine: list[bytes]) -> None:
        for body in mine:
            status, payload = await conn.post(path, body)
            result.requests += 1
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status == 200:
                answer = msgspec.json.decode(payload)
                result.scans += len(answer["results"])
                result.admitted += answer["admitted"]
            elif not result.first_error:
                result.first_error = payload[:300].decode(errors="replace")

    started = time.perf_counter()
    await asyncio.gather(*(device(c, b) for c, b in zip(connections, bodies, strict=True)))
    result.seconds = time.perf_counter() - started
    return result


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- set-up (in this process)


async def seed(delegates: int, devices: int) -> tuple[int, list[str], list[tuple[str, str]]]:
    """The event, its delegates' live check-in codes, and (email, desk) of its check-in staff."""
    from events_app.services.events import events
    from events_app.services.onsite import checkin, checkin_codes
    from events_app.services.people import accounts
    from events_app.services.registration import registrations

    async def no_kick() -> None:  # no worker runs: outbox rows wait
        return None

    registrations.kick_outbox = no_kick  # type: ignore[assignment]
    events.kick_outbox = no_kick  # type: ignore[assignment]
    organizer_id = await accounts.create_account("organizer@bench.example.org", "Bench Organizer", PASSWORD)
    organizer = accounts.CurrentAccount(
        id=organizer_id, email="organizer@bench.example.org", name="Bench Organizer", is_admin=True
    )
    start = (datetime.now(timezone.utc) + timedelta(days=30)).replace(hour=7, minute=0, second=0, microsecond=0)
    event = await events.create_event(
        organizer,
        {
            "title": "World Congress of Local Governments",
            "kind": "congress",
            "timezone": "Europe/Lisbon",
            "starts_at": start,
            "ends_at": start + timedelta(days=2, hours=9),
            "venue_name": "Bench Hall",
            "city": "Lisboa",
            "country": "PT",
        },
    )
    await events.add_category(organizer, event["id"], {"code": "delegate", "name": "Delegate"})
    await events.publish_event(organizer, event["id"])
    limit = asyncio.Semaphore(8)

    async def one(i: int) -> None:
        async with limit:
            await registrations.register(
                event["id"],
                {
                    "email": f"delegate{i:05d}@bench.example.org",
                    "name": f"{NAMES[i % len(NAMES)]} {i}",
                    "category": "delegate",
                    "consent": True,
                },
            )

    await asyncio.gather(*(one(i) for i in range(delegates)))
    await checkin_codes.issue_for_event(event["id"])
    from events_app.db import sql

    rows = await sql.fetch(
        "SELECT nonce FROM checkin_code WHERE event = $1 AND revoked_at IS NULL ORDER BY registration", event["id"]
    )
    codes = [checkin_codes.code_of(r["nonce"]) for r in rows]
    staff = []
    for n in range(devices):
        email = f"door{n + 1}@bench.example.org"
        await accounts.create_account(email, f"Door {n + 1}", PASSWORD)
        await checkin.add_staff(organizer, event["id"], {"email": email, "desk": f"Door {n + 1}"})
        staff.append((email, f"Door {n + 1}"))
    return event["id"], codes, staff


async def render_badges(event_id: int) -> list[tuple[str, float, int]]:
    """Every badge of the event as A6 pages and as A4 sheets: (layout, seconds, bytes)."""
    from events_app.db import sql
    from events_app.services.onsite import badges
    from events_app.services.people import accounts

    organizer_id = await sql.fetchval("SELECT id FROM account WHERE email = 'organizer@bench.example.org'")
    organizer = accounts.CurrentAccount(
        id=organizer_id, email="organizer@bench.example.org", name="Bench Organizer", is_admin=True
    )
    out = []
    for layout in ("a6", "a4"):
        started = time.perf_counter()
        data = await badges.badges_pdf(organizer, event_id, {}, layout)
        out.append((layout, time.perf_counter() - started, len(data)))
    return out


def desk_login(port: int, event_id: int, email: str) -> str:
    """Log in through the login page as the desk's browser does; the headers its sync requests carry."""
    import httpx

    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, follow_redirects=False, timeout=120) as client:
        form = client.get("/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
        assert token, "no CSRF token on the login page"
        done = client.post(
            "/login", data={"email": email, "password": PASSWORD, "next": "/organizer", "_csrf_token": token.group(1)}
        )
        assert done.status_code == 303, done.text[:300]
        page = client.get(f"/organizer/events/{event_id}/checkin/")
        assert page.status_code == 200, page.text[:300]
        csrf = re.search(r'data-csrf="([^"]+)"', page.text)
        assert csrf, "no CSRF token on the desk page"
        cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return f"Cookie: {cookies}\r\nx-csrftoken: {csrf.group(1)}\r\n"


async def reset(database_url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("TRUNCATE attendance, checkin_scan")
    finally:
        await conn.close()


async def count_admitted(database_url: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval("SELECT count(*) FROM attendance")
    finally:
        await conn.close()


# --------------------------------------------------------------------------- measurement


async def measure(args, database_url: str, event_id: int, codes: list[str], headers: list[tuple[str, str]], ports):
    api_port, bare_port, api_pid = ports
    per_device = [codes[n :: args.devices] for n in range(args.devices)]
    api_path = f"/organizer/events/{event_id}/checkin/sync.json"
    rows = []
    scenarios = (("online desks (1 scan per batch)", 1, 1), (f"back online ({BATCH} per batch)", BATCH, 5))

    async def one_pass(name: str, side: str, size: int) -> tuple[Pass, float]:
        """Every delegate scanned once, spread over the devices; (the pass, API CPU seconds it took)."""
        await reset(database_url)
        bodies = [batches(mine, desk, size) for mine, (_, desk) in zip(per_device, headers, strict=True)]
        if side == "api":
            conns = [Connection(api_port, h) for h, _ in headers]
            before = cpu_seconds(api_pid)
            result = await run_pass(conns, api_path, bodies)
            cpu = cpu_seconds(api_pid) - before
        else:
            conns = [Connection(bare_port) for _ in headers]
            result, cpu = await run_pass(conns, "/bare/sync", bodies), 0.0
        for c in conns:
            c.close()
        stored = await count_admitted(database_url)
        if result.admitted != len(codes) or stored != len(codes):
            raise SystemExit(
                f"{name}, {side}: {result.admitted} admitted answers, {stored} check-ins stored, "
                f"{len(codes)} expected; statuses {result.statuses}; first error: {result.first_error}"
            )
        return result, cpu

    for name, size, passes in (s for s in scenarios if s[1] in args.batch_sizes):
        sides: dict[str, list[Pass]] = {"bare": [], "api": []}
        cpu = 0.0
        for side in ("bare", "api"):  # warm-up, not counted: connections opened, statements prepared
            await one_pass(name, side, size)
        for n in range(args.rounds):
            for side in ("bare", "api") if n % 2 == 0 else ("api", "bare"):
                this_round = []
                for _ in range(passes):
                    result, used = await one_pass(name, side, size)
                    cpu += used
                    this_round.append(result)
                sides[side] += this_round
                log(f"{name}, round {n + 1}/{args.rounds}: {side} {merge(this_round).rate:,.0f} scans/s")
        bare, api = merge(sides["bare"]), merge(sides["api"])
        rows.append((name, bare, api, cpu * 1000 / max(api.scans, 1)))
    return rows


def report(rows, badge_times, args, delegates: int) -> bool:
    line = "-" * 100
    print()
    print(
        f"Check-in: {delegates} delegates, {args.devices} devices, {args.rounds} alternating rounds, "
        f"fsync {'on' if args.durable else 'off'}, {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    print(line)
    print(f"{'scenario':<36}{'bare route':>16}{'sync route':>16}{'ratio':>8}{'target':>9}{'API CPU ms/scan':>17}")
    print(line)
    ok = True
    for name, bare, api, cpu in rows:
        ratio = api.rate / bare.rate if bare.rate else 0.0
        ok &= ratio >= TARGET
        print(
            f"{name:<36}{bare.rate:>10,.0f} /s{'':>1}{api.rate:>10,.0f} /s{'':>1}{ratio:>8.2f}{'>= 0.5':>9}{cpu:>17.3f}"
        )
    print(line)
    for layout, seconds, size in badge_times:
        met = seconds < BADGE_TARGET
        ok &= met
        print(
            f"badges, {delegates} as {layout.upper()} PDF: {seconds:.1f} s ({size / 1e6:.1f} MB), "
            f"target < {BADGE_TARGET:.0f} s: {'met' if met else 'NOT met'}"
        )
    print(f"{'every target met' if ok else 'BELOW TARGET'} (ratio = scans/s through the sync route / bare route's)")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delegates", type=int, default=3000)
    parser.add_argument("--devices", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=4, help="alternating bare/API rounds per scenario")
    parser.add_argument(
        "--batch-sizes", type=int, nargs="+", default=[1, BATCH], help="scenarios to run, by batch size (1, 200)"
    )
    parser.add_argument("--no-badges", dest="badges", action="store_false", help="skip rendering the badges")
    parser.add_argument("--no-fsync", dest="durable", action="store_false", help="PostgreSQL without disk flushes")
    args = parser.parse_args()
    venv_python = manage.ensure_venv()
    if Path(sys.executable).absolute() != venv_python.absolute():
        os.execv(str(venv_python), [str(venv_python), __file__, *sys.argv[1:]])
    children = manage.Children()
    base = Path(tempfile.mkdtemp(prefix="events-bench-"))
    try:
        servers = manage.start_servers(children, base, durable=args.durable)
        from events_app.db.admin import recreate_database

        database_url = asyncio.run(recreate_database(servers["DATABASE_URL"], DATABASE))
        env = {
            **os.environ,
            **servers,
            "DATABASE_URL": database_url,
            "APP_ENV": "development",
            "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-checkin-secret-" + "x" * 32),
            # The limits stay on (their Redis round trip is part of what is measured), high enough for the run.
            "RATE_LIMIT_CHECKIN_PER_ACCOUNT": "10000000/60",
            "RATE_LIMIT_CHECKIN_PER_IP": "10000000/60",
            "RATE_LIMIT_LOGIN_PER_IP": "1000/60",
            "RATE_LIMIT_REGISTER_PER_IP": "10000000/60",
            "RATE_LIMIT_REGISTER_PER_EMAIL": "10000000/60",
        }
        subprocess.run(
            [sys.executable, "-m", "events_app.cli", "migrate"],
            check=True,
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        os.environ.update(env)  # before events_app is imported: its settings are read once
        from events_app.db.engine import DB

        async def set_up():
            await DB.start_connection_pool(min_size=1, max_size=8)
            try:
                return await seed(args.delegates, args.devices)
            finally:
                await DB.close_connection_pool()

        log(f"seeding {args.delegates} confirmed delegates with check-in codes")
        event_id, codes, staff = asyncio.run(set_up())
        api_port, bare_port = manage.free_port(), manage.free_port()
        uvicorn = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--workers", "1", "--log-level", "warning"]
        uvicorn += ["--no-access-log", "--no-proxy-headers"]
        api = children.start(
            "api",
            [*uvicorn, "--port", str(api_port), "--factory", "events_app.web.app:create_app"],
            env={**env, "PUBLIC_URL": f"http://127.0.0.1:{api_port}", "DB_POOL_SIZE": "10"},
            log_file=base / "api.log",
        )
        bare = children.start(
            "bare",
            [*uvicorn, "--port", str(bare_port), "--app-dir", str(ROOT / "bench"), "bare_checkin:app"],
            env={**env, "BENCH_EVENT_ID": str(event_id)},
            log_file=base / "bare.log",
        )
        manage.wait_port(api_port, "API", api, timeout=60)
        manage.wait_port(bare_port, "bare route", bare, timeout=60)
        log(f"logging in {len(staff)} desks")
        headers = [(desk_login(api_port, event_id, email), desk) for email, desk in staff]
        rows = asyncio.run(measure(args, database_url, event_id, codes, headers, (api_port, bare_port, api.pid)))
        badge_times = []
        if args.badges:

            async def render():
                await DB.start_connection_pool(min_size=1, max_size=4)
                try:
                    return await render_badges(event_id)
                finally:
                    await DB.close_connection_pool()

            log("rendering every badge (A6, then A4 sheets)")
            badge_times = asyncio.run(render())
        ok = report(rows, badge_times, args, len(codes))
        return 0 if ok else 1
    except KeyboardInterrupt:
        return 130
    finally:
        children.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
