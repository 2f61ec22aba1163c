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

Prints each round, the medians and the ratio worker / smtplib loop. Target: >= 0.7.
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


def start_sink(children: manage.Children, log_dir: Path, pipelining: bool = True) -> str:
    """aiosmtpd with its Sink handler: accepts every message and keeps nothing (no disk in either measurement);
    offering PIPELINING as production relays do (smtp_sink.py), or not (`--sink plain`, aiosmtpd's own)."""
    port = manage.free_port()
    handler = "smtp_sink.PipeliningSink" if pipelining else "aiosmtpd.handlers.Sink"
    proc = children.start(
        "smtp",
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", handler],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent)},
        log_file=log_dir / "smtp.log",
    )
    manage.wait_port(port, "SMTP sink", proc)
    return f"smtp://127.0.0.1:{port}"


async def fresh_database(server_url: str) -> str:
    from events_app.db.admin import recreate_database

    return await recreate_database(server_url, DATABASE)


async def seed(n: int, email: str = "bench@example.org") -> int:
    """An event with N confirmed registrations and their confirmation rows in the outbox. Returns the event id."""
    from datetime import datetime, timedelta, timezone

    from events_app.services.events import events
    from events_app.services.people import accounts
    from events_app.services.registration import registrations

    async def no_kick() -> None:  # nothing may wake a worker before the clock starts
        return None

    registrations.kick_outbox = no_kick
    events.kick_outbox = no_kick
    account_id = await accounts.create_account(email, "Bench", "bench-password-1234")
    account = accounts.CurrentAccount(id=account_id, email=email, name="Bench", is_admin=True)
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
                    "email": f"delegate{i:05d}-{event['id']}@bench.example.org",
                    "name": f"Delegate {i}",
                    "category": "delegate",
                    "language": "es" if i % 5 == 0 else "en",
                    "consent": True,
                },
            )

    await asyncio.gather(*(one(i) for i in range(n)))
    return event["id"]


async def prerender(event_id: int) -> list[tuple[str, str, bytes]]:
    """Every outbox message of the event composed as the worker would, to bytes, without touching the rows."""
    from events_app.db import sql
    from events_app.services.messaging import notifications
    from events_app.settings import get_settings

    settings = get_settings()
    rows = [dict(r) for r in await sql.fetch("SELECT * FROM outbox_message WHERE event = $1 ORDER BY id", event_id)]
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
    """One `celery worker --pool=solo` process, kept for every round, consuming a queue of its own (so that each
    dispatch task reaches the worker it is meant for, and the kicks the seeding sends reach none)."""

    def __init__(self, env: dict, log_dir: Path, number: int = 0) -> None:
        self.queue = f"bench-{number}"
        self.cpu_per_message = 0.0  # seconds of the worker's CPU per message in its last drain
        self.log_file = log_dir / f"worker-{number}.log"
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
                "-Q",
                self.queue,
                "-n",
                f"{self.queue}@%h",
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

    def cpu_seconds(self) -> float:
        """CPU time the worker process has used so far (user and system; 0 where /proc is not there)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kick(self) -> None:
        from events_app.jobs import DISPATCH_OUTBOX, producer

        producer().send_task(DISPATCH_OUTBOX, queue=self.queue, retry=False)

    async def drain(self, n: int, event_id: int) -> float:
        """Make every row of the event due again, send one outbox.dispatch, wait until all N are sent: messages per
        second."""
        from events_app.db import sql

        await sql.execute(
            "UPDATE outbox_message SET status = 'pending', attempts = 0, next_attempt_at = now(),"
            " lease_until = NULL, sent_at = NULL WHERE event = $1",
            event_id,
        )
        started, cpu = time.perf_counter(), self.cpu_seconds()
        self.kick()
        await wait_sent([self], event_id, n)
        self.cpu_per_message = (self.cpu_seconds() - cpu) / n
        return n / (time.perf_counter() - started)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


async def wait_sent(workers: list[Worker], event_id: int, n: int, after_id: int = 0) -> None:
    """Until N messages of the event (with ids above `after_id`) are sent; fails on a failed message or a dead
    worker."""
    from events_app.db import sql

    while True:
        counts = dict(
            await sql.fetch(
                "SELECT status, count(*) FROM outbox_message WHERE event = $1 AND id > $2 GROUP BY status",
                event_id,
                after_id,
            )
        )
        if counts.get("failed"):
            raise SystemExit(f"{counts['failed']} messages failed; see {workers[0].log_file}")
        if counts.get("sent", 0) >= n:
            return
        for worker in workers:
            if worker.proc.poll() is not None:
                raise SystemExit(f"a worker exited; see {worker.log_file}")
        await asyncio.sleep(0.02)


async def venue_change(event_id: int, workers: list[Worker], venue: str) -> tuple[int, float, float]:
    """Change the venue of the event (every confirmed delegate's invite shows it), release the update at once and
    let `workers` deliver it: (messages, seconds writing them, seconds from the change until all are sent)."""
    from events_app.db import sql
    from events_app.services.agenda import calendar_updates
    from events_app.services.events import events
    from events_app.services.people import accounts

    owner = await sql.fetchrow(
        "SELECT a.id, a.email FROM account a JOIN event_organizer o ON o.account = a.id WHERE o.event = $1 LIMIT 1",
        event_id,
    )
    account = accounts.CurrentAccount(id=owner["id"], email=owner["email"], name="Bench", is_admin=True)
    before = await sql.fetchval("SELECT coalesce(max(id), 0) FROM outbox_message")
    started = time.perf_counter()
    await events.update_event(account, event_id, {"venue_name": venue})
    written = await calendar_updates.release(account, event_id)
    flushed = time.perf_counter() - started
    for worker in workers:
        worker.kick()
    await wait_sent(workers, event_id, written, after_id=before)
    total = time.perf_counter() - started
    kinds = dict(
        await sql.fetch(
            "SELECT kind, count(*) FROM outbox_message WHERE id > $1 AND status = 'sent' GROUP BY kind", before
        )
    )
    if kinds != {"event_updated": written}:
        raise SystemExit(f"venue change: {written} updates reported, sent: {kinds}")
    return written, flushed, total


TARGET = 0.7


async def measure(args, env: dict, log_dir: Path) -> bool:
    from events_app.db import sql
    from events_app.db.engine import DB

    counts = sorted({int(n) for n in args.workers.split(",")})
    workers = [Worker(env, log_dir, number) for number in range(max(counts))]  # they start while we seed
    await DB.start_connection_pool(min_size=1, max_size=8)
    try:
        t = time.perf_counter()
        event_id = await seed(args.messages)
        print(
            f"seeded event {event_id} with {args.messages} confirmed registrations and outbox rows"
            f" in {time.perf_counter() - t:.1f} s",
            flush=True,
        )
        venue_event = 0
        if args.delegates:
            t = time.perf_counter()
            venue_event = await seed(args.delegates, "bench-venue@example.org")
            # Their confirmations count as sent: the venue change's updates are what is measured there.
            await sql.execute(
                "UPDATE outbox_message SET status = 'sent', sent_at = now() WHERE event = $1", venue_event
            )
            print(
                f"seeded event {venue_event} with {args.delegates} confirmed delegates"
                f" in {time.perf_counter() - t:.1f} s",
                flush=True,
            )
        t = time.perf_counter()
        messages = await prerender(event_id)
        size = sum(len(m[2]) for m in messages) / len(messages)
        print(
            f"pre-rendered {len(messages)} messages ({size / 1024:.1f} KiB each on average)"
            f" in {time.perf_counter() - t:.1f} s",
            flush=True,
        )
        for worker in workers:
            await worker.ready()
        smtplib_loop(env["SMTP_URL"], messages[:50])  # warm the sink up
        # Rounds alternate so that both sides see the same changes of load on the machine; medians are reported.
        loop_rates, worker_rates = [], []
        for round_no in range(1, args.rounds + 1):
            loop_rates.append(smtplib_loop(env["SMTP_URL"], messages))
            worker_rates.append(await workers[0].drain(len(messages), event_id))
            print(
                f"round {round_no}: smtplib loop {loop_rates[-1]:7.1f}/s   worker {worker_rates[-1]:7.1f}/s"
                f"   ratio {worker_rates[-1] / loop_rates[-1]:.2f}   worker CPU {workers[0].cpu_per_message * 1000:.2f}"
                f" ms/message   load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        baseline, rate = statistics.median(loop_rates), statistics.median(worker_rates)
        ratio = rate / baseline
        met = ratio >= TARGET
        print(f"\nsmtplib loop, one connection   {baseline:8.1f} messages/s (median of {args.rounds})")
        print(f"worker, one process (solo)     {rate:8.1f} messages/s (median of {args.rounds})")
        print(f"worker / smtplib loop          {ratio:8.2f}   (target >= {TARGET}: {'met' if met else 'NOT met'})")
        if venue_event:
            rows = []
            for n in counts:
                written, flushed, total = await venue_change(venue_event, workers[:n], f"Convention Hall {n}")
                if written != args.delegates:
                    raise SystemExit(f"the venue change wrote {written} updates for {args.delegates} delegates")
                rows.append((n, written, flushed, total))
                print(f"venue change with {n} worker(s): {written} updates delivered in {total:.1f} s", flush=True)
            one = rows[0][1] / rows[0][3]
            print(
                f"\nVenue change of an event with {args.delegates} confirmed delegates: every update delivered"
                f" (load average {os.getloadavg()[0]:.1f}; other processes on the machine count in it)"
            )
            print(
                f"{'workers':>8}{'updates':>9}{'writing them':>14}{'change to last sent':>21}{'rate':>10}"
                f"{'efficiency':>12}"
            )
            for n, written, flushed, total in rows:
                rate_n = written / total
                print(
                    f"{n:>8}{written:>9}{flushed:>12.1f} s{total:>19.1f} s{rate_n:>8.0f}/s{rate_n / (n * one):>12.2f}"
                )
            print("(efficiency: rate / (workers x the rate of one worker); each worker is one process, --pool=solo)")
        return met
    finally:
        for worker in workers:
            worker.stop()
        await DB.close_connection_pool()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000, help="outbox messages to send (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of both measurements (default 3)")
    parser.add_argument(
        "--delegates", type=int, default=3000, help="confirmed delegates of the venue-change event (0: skip it)"
    )
    parser.add_argument(
        "--sink",
        choices=["pipelining", "plain"],
        default="pipelining",
        help="the SMTP sink offers PIPELINING as production relays do (default), or not (aiosmtpd's own)",
    )
    parser.add_argument("--workers", default="1,2", help="worker processes for the venue change, e.g. 1,2 (default)")
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
        smtp_url = os.environ.get("SMTP_URL") or start_sink(children, logs, args.sink == "pipelining")
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
        met = asyncio.run(measure(args, env, logs))
        ok = True
        return 0 if met else 1
    finally:
        children.stop()
        if ok:  # keep the logs of a failed run
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
