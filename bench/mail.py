#!/usr/bin/env python3
"""Emails per second for one worker process, next to a plain smtplib loop sending the same messages.

    .venv/bin/python bench/mail.py [--messages 2000] [--rounds 3]

Starts embedded PostgreSQL and Redis as manage.py does (unless DATABASE_URL / REDIS_URL name servers), and an SMTP
sink that accepts and discards every message (unless SMTP_URL names a server). Migrates a fresh database
`events_bench`, creates a published event in Asia/Seoul and N confirmed registrations through
events_app.services, each with its outbox row (the confirmation with its METHOD:REQUEST invite). Then, in
alternating rounds (the machine's load may change while it runs):

- smtplib loop: the same messages, rendered beforehand, sent by a plain smtplib loop over one connection;
- worker: a real `celery worker --pool=solo` process (one process) draining the outbox after one `outbox.dispatch`
  task, timed from sending the task until every row is marked sent: claiming, loading, rendering the templates and
  the invite, SMTP, and marking each row sent right after its SMTP transaction. Between rounds every row is made
  due again.

Prints each round, the medians and the ratio worker / smtplib loop. Target: >= 0.5.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import manage  # noqa: E402  (standard library only)

DATABASE = "events_bench"


def start_sink(children: manage.Children, log_dir: Path) -> str:
    """aiosmtpd with its Sink handler: accepts every message and keeps nothing (no disk in either measurement)."""
    port = manage.free_port()
    proc = children.start(
        "smtp",
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        log_file=log_dir / "smtp.log",
    )
    manage.wait_port(port, "SMTP sink", proc)
    return f"smtp://127.0.0.1:{port}"


async def fresh_database(server_url: str) -> str:
    from events_app.db.admin import recreate_database

    return await recreate_database(server_url, DATABASE)


async def seed(n: int) -> int:
    """An event with N confirmed registrations and their confirmation rows in the outbox. Returns the event id."""
    from datetime import datetime, timedelta, timezone

    from events_app.services.events import events
    from events_app.services.people import accounts
    from events_app.services.registration import registrations

    async def no_kick() -> None:  # nothing may wake a worker before the clock starts
        return None

    registrations.kick_outbox = no_kick
    events.kick_outbox = no_kick
    account_id = await accounts.create_account("bench@example.org", "Bench", "bench-password-1234")
    account = accounts.CurrentAccount(id=account_id, email="bench@example.org", name="Bench", is_admin=True)
    start = (datetime.now(timezone.utc) + timedelta(days=60)).replace(hour=7, minute=0, second=0, microsecond=0)
    event = await events.create_event(
        account,
        {
            "title": "World Forum of Local Governments",
            "kind": "congress",
            "timezone": "Asia/Seoul",
            "starts_at": start,
            "ends_at": start + timedelta(days=2, hours=9),
            "venue_name": "Songdo Convensia",
            "venue_address": "123 Central-ro, Yeonsu-gu",
            "city": "Incheon",
            "country": "KR",
            "description": "Three days on resilient coastal cities.",
            "organizer_email": "forum@example.org",
            "organizer_name": "Forum Secretariat",
        },
    )
    await events.add_category(account, event["id"], {"code": "delegate", "name": "Delegate"})
    await events.publish_event(account, event["id"])
    limit = asyncio.Semaphore(8)

    async def one(i: int) -> None:
        async with limit:
            await registrations.register(
                event["id"],
                {
                    "email": f"delegate{i:05d}@bench.example.org",
                    "name": f"Delegate {i}",
                    "category": "delegate",
                    "language": "es" if i % 5 == 0 else "en",
                    "consent": True,
                },
            )

    await asyncio.gather(*(one(i) for i in range(n)))
    return event["id"]


async def prerender() -> list[tuple[str, str, bytes]]:
    """Every outbox message composed as the worker would, to bytes, without touching the rows."""
    from events_app.db import sql
    from events_app.services.messaging import notifications
    from events_app.settings import get_settings

    settings = get_settings()
    rows = [dict(r) for r in await sql.fetch("SELECT * FROM outbox_message ORDER BY id")]
    loaded = await notifications.load(rows)
    out = []
    for row in rows:
        outgoing = await notifications.compose(row, settings, loaded=loaded)
        out.append((outgoing.sender, outgoing.recipient, outgoing.data))  # CRLF line ends, as sent over SMTP
    return out


def smtplib_loop(smtp_url: str, messages: list[tuple[str, str, bytes]]) -> float:
    """Send pre-rendered messages over one connection; returns messages per second."""
    parts = urlsplit(smtp_url)
    started = time.perf_counter()
    with smtplib.SMTP(parts.hostname, parts.port, timeout=30) as conn:
        for sender, recipient, data in messages:
            conn.sendmail(sender, [recipient], data)
    return len(messages) / (time.perf_counter() - started)


class Worker:
    """One `celery worker --pool=solo` process, kept for every round."""

    def __init__(self, env: dict, log_dir: Path) -> None:
        self.log_file = log_dir / "worker.log"
        self.proc = subprocess.Popen(
            [
                sys.executable,
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
                "bench@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=open(self.log_file, "ab"),
            stderr=subprocess.STDOUT,
        )

    async def ready(self) -> None:
        deadline = time.monotonic() + 60
        while not self.log_file.exists() or " ready." not in self.log_file.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start; see {self.log_file}")
            await asyncio.sleep(0.05)

    async def drain(self, n: int) -> float:
        """Make every row due again, send one outbox.dispatch, wait until all N are sent: messages per second."""
        from events_app.db import sql
        from events_app.jobs import DISPATCH_OUTBOX, send_now

        await sql.execute(
            "UPDATE outbox_message SET status = 'pending', attempts = 0, next_attempt_at = now(),"
            " lease_until = NULL, sent_at = NULL"
        )
        started = time.perf_counter()
        send_now(DISPATCH_OUTBOX)
        while True:
            counts = dict(await sql.fetch("SELECT status, count(*) FROM outbox_message GROUP BY status"))
            if counts.get("sent", 0) + counts.get("failed", 0) >= n:
                break
            if self.proc.poll() is not None:
                raise SystemExit(f"the worker exited; see {self.log_file}")
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
        if counts.get("failed"):
            raise SystemExit(f"{counts['failed']} messages failed; see {self.log_file}")
        return n / elapsed

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


async def measure(args, env: dict, log_dir: Path) -> None:
    from events_app.db.engine import DB

    worker = Worker(env, log_dir)  # starts while we seed
    await DB.start_connection_pool(min_size=1, max_size=8)
    try:
        t = time.perf_counter()
        event_id = await seed(args.messages)
        print(
            f"seeded event {event_id} with {args.messages} confirmed registrations and outbox rows"
            f" in {time.perf_counter() - t:.1f} s",
            flush=True,
        )
        t = time.perf_counter()
        messages = await prerender()
        size = sum(len(m[2]) for m in messages) / len(messages)
        print(
            f"pre-rendered {len(messages)} messages ({size / 1024:.1f} KiB each on average)"
            f" in {time.perf_counter() - t:.1f} s",
            flush=True,
        )
        await worker.ready()
        smtplib_loop(env["SMTP_URL"], messages[:50])  # warm the sink up
        # Rounds alternate so that both sides see the same changes of load on the machine; medians are reported.
        loop_rates, worker_rates = [], []
        for round_no in range(1, args.rounds + 1):
            loop_rates.append(smtplib_loop(env["SMTP_URL"], messages))
            worker_rates.append(await worker.drain(len(messages)))
            print(
                f"round {round_no}: smtplib loop {loop_rates[-1]:7.1f}/s   worker {worker_rates[-1]:7.1f}/s"
                f"   ratio {worker_rates[-1] / loop_rates[-1]:.2f}",
                flush=True,
            )
        baseline, rate = statistics.median(loop_rates), statistics.median(worker_rates)
        ratio = rate / baseline
        print(f"\nsmtplib loop, one connection   {baseline:8.1f} messages/s (median of {args.rounds})")
        print(f"worker, one process (solo)     {rate:8.1f} messages/s (median of {args.rounds})")
        print(f"worker / smtplib loop          {ratio:8.2f}   (target >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})")
    finally:
        worker.stop()
        await DB.close_connection_pool()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000, help="outbox messages to send (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of both measurements (default 3)")
    args = parser.parse_args()
    venv_python = manage.ensure_venv()
    if Path(sys.executable).absolute() != venv_python.absolute():
        os.execv(str(venv_python), [str(venv_python), __file__, *sys.argv[1:]])
    children = manage.Children()
    base = Path(tempfile.mkdtemp(prefix="events-bench-"))
    ok = False
    try:
        logs = base / "logs"
        logs.mkdir(parents=True)
        smtp_url = os.environ.get("SMTP_URL") or start_sink(children, logs)
        os.environ["SMTP_URL"] = smtp_url
        servers = manage.start_servers(children, base, durable=False)
        env = {**os.environ, **servers, "SMTP_URL": smtp_url}
        env["DATABASE_URL"] = asyncio.run(fresh_database(servers["DATABASE_URL"]))
        env.setdefault("SECRET_KEY", "bench-secret-" + "x" * 32)
        subprocess.run(
            [sys.executable, "-m", "events_app.cli", "migrate"],
            check=True,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        os.environ.update(env)  # before events_app is imported: its settings are read once
        print(f"SMTP sink {smtp_url}; worker log in {logs}", flush=True)
        asyncio.run(measure(args, env, logs))
        ok = True
        return 0
    finally:
        children.stop()
        if ok:  # keep the logs of a failed run
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
