"""The restart drills for the worker and the inbound iMIP endpoint, against real processes: PostgreSQL and Redis are
restarted in turn, ten times each, while the worker drains a backlog of outbox mail, and while calendar clients keep
sending REPLYs to the inbound endpoint.

- The drain: no message is lost, none is sent twice except one whose SMTP transaction had completed when the database
  went away, every row ends 'sent' with the Message-ID that was delivered, and the same worker and beat processes
  serve throughout and stop on SIGTERM within their timeouts.
- The inbound endpoint: every reply is answered 250 or a temporary 4xx (never a permanent 5xx, which would make the
  sender's server bounce the answer), the sender retries the 4xx, and in the end each reply was recorded exactly
  once; the same process serves throughout and stops on SIGTERM within its timeout.

After each restart the test prints how long the first success took. The servers are the test's own (manage.py's
launcher code), so the servers the rest of the suite uses are never touched.
"""

from __future__ import annotations

import json
import os
import smtplib
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import httpx
import pytest
from celery import Celery

from events_app.jobs import DISPATCH_OUTBOX
from tests.e2e.test_delivery_faults import smtp_server  # noqa: F401 - a fixture
from tests.e2e.test_resilience import (
    Restartable,
    launcher,
    prepare_database,
    private_servers,  # noqa: F401 - a fixture
    query,
    stop_within,
)
from tests.fixtures import ROOT, free_port, start_api, start_beat, start_worker, stop, wait_for_port

pytestmark = pytest.mark.worker

RESTARTS = 10  # of each server


def fetchval(database_url: str, statement: str):
    """The one value of `statement`, or None while the database does not answer."""
    try:
        return next(iter(query({"DATABASE_URL": database_url}, statement)[0].values()))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        return None  # not answering yet


def wait_until(check, what: str, timeout: float = 30, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def register_many(url: str, event_id: int, emails: list[str], threads: int = 6) -> None:
    def run(part: list[str]) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            for address in part:
                r = http.post(
                    f"/api/events/{event_id}/registrations",
                    json={"email": address, "name": "Drill Delegate", "category": "speaker", "consent": True},
                )
                assert r.status_code == 201, r.text

    workers = [threading.Thread(target=run, args=(emails[i::threads],)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()


def private_database_env(children, base: Path) -> tuple[dict, Restartable, Restartable]:
    database_url = launcher.start_postgres(children, base / "pgdata", base / "logs", durable=True)
    postgres = Restartable(children, "postgres")
    redis_url = launcher.start_redis(children, base / "redis", base / "logs")
    redis = Restartable(children, "redis")
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "OUTBOX_SWEEP_SECONDS": "1"}
    return env, postgres, redis


def figures(label: str, seconds: list[float]) -> str:
    return f"{label}: {' '.join(f'{s:.2f}' for s in seconds)} (max {max(seconds):.2f})"


# --------------------------------------------------------------------------- the worker's drain


def test_worker_drains_a_backlog_across_postgres_and_redis_restarts_losing_nothing(
    private_servers,
    smtp_server,
    tmp_path,  # noqa: F811
):
    children, base = private_servers
    env, postgres, redis = private_database_env(children, base)
    sink, smtp_url = smtp_server(delay=0.15)  # slow enough that the drain outlasts the restarts
    env["SMTP_URL"] = smtp_url
    database_url = env["DATABASE_URL"]
    event_id = prepare_database(env)
    api, url = start_api(tmp_path / "api.log", env)
    tag = uuid.uuid4().hex[:6]
    emails = [f"drain-{tag}-{i:04d}@example.org" for i in range(400)]
    try:
        register_many(url, event_id, emails)  # the backlog: one confirmation per registration
    finally:
        stop(api)
    # Two worker processes (prefork, as in production): both drain, and the main process answers the broker.
    worker = start_worker(tmp_path / "worker.log", "drill", env=env, pool=("--pool=prefork", "--concurrency=2"))
    beat = start_beat(tmp_path, env)
    control = Celery("drill", broker=env["REDIS_URL"])
    control.conf.broker_connection_retry_on_startup = False

    def sent() -> int | None:
        return fetchval(database_url, "SELECT count(*) FROM outbox_message WHERE status = 'sent'")

    def more_sent_than(baseline: int):
        return lambda: (sent() or 0) > baseline

    def answers_ping() -> bool:
        try:
            return bool(control.control.ping(timeout=0.5))
        except Exception:  # noqa: BLE001 - the broker is not back yet
            return False

    after_postgres: list[float] = []
    after_redis: list[float] = []
    try:
        wait_until(lambda: (sent() or 0) >= 20, "the drain to begin", timeout=60)
        for n in range(RESTARTS):
            postgres.stop()
            postgres.start(base / "logs" / f"postgres-{n}.log")
            restarted = time.monotonic()
            baseline = wait_until(sent, "PostgreSQL to answer the test")
            wait_until(more_sent_than(baseline), f"a row marked sent after PostgreSQL restart {n}")
            after_postgres.append(time.monotonic() - restarted)

            redis.stop()
            if n == RESTARTS - 1:
                time.sleep(5)  # one longer outage: the worker still notices at once that the broker is back
            redis.start(base / "logs" / f"redis-{n}.log")
            restarted = time.monotonic()
            wait_until(answers_ping, f"the worker to answer the broker after Redis restart {n}", interval=0.01)
            after_redis.append(time.monotonic() - restarted)
            baseline = sent() or 0
            wait_until(more_sent_than(baseline), f"the drain to go on after Redis restart {n}")
        pending = fetchval(database_url, "SELECT count(*) FROM outbox_message WHERE status <> 'sent'")
        print(f"\nstill to send after the last restart: {pending} of {len(emails)}")
        assert pending, "the backlog was gone before the last restart: nothing was tested"
        sink.delay = 0.0
        wait_until(
            lambda: fetchval(database_url, "SELECT count(*) FROM outbox_message WHERE status <> 'sent'") == 0,
            "every outbox row to be sent",
            timeout=60,
            interval=0.2,
        )
        assert worker.poll() is None and beat.poll() is None  # the same processes served throughout
        assert answers_ping()
    finally:
        stopped = {"worker": stop_within(worker, 15), "beat": stop_within(beat, 10)}
    print()
    print(figures("first row marked sent after each PostgreSQL restart (s)", after_postgres))
    print(figures("worker answering the broker after each Redis restart (s)", after_redis))
    print(f"stopped after SIGTERM (s): { {k: round(v, 2) for k, v in stopped.items()} }")

    counts = Counter({rcpt: n for rcpt, n in sink.counts().items() if rcpt.startswith(f"drain-{tag}-")})
    twice = {rcpt: n for rcpt, n in counts.items() if n > 1}
    print(f"messages: {len(emails)}, delivered: {len(sink.delivered)}, sent twice: {len(twice)}")
    log_tail = (tmp_path / "worker.log").read_text()[-4000:]
    assert set(counts) == set(emails), log_tail
    # At most the message in each worker process's SMTP transaction when the database went away, and never a second
    # copy under another Message-ID: the same row was sent again.
    assert len(twice) <= 2 * RESTARTS and max(counts.values()) <= 2, (twice, log_tail)
    for rcpt in twice:
        assert len({mid for r, mid in sink.delivered if r == rcpt}) == 1
    rows = json.loads(
        fetchval(
            database_url,
            f"SELECT json_object_agg(recipient, message_id) FROM outbox_message WHERE recipient LIKE 'drain-{tag}-%'",
        )
    )
    assert rows == {rcpt: mid for rcpt, mid in sink.delivered if rcpt in rows}
    assert set(rows) == set(emails)
    # A restart is nobody's message's fault: no attempt spent on it, no error recorded (each row claimed once more
    # than it was given back).
    spent = fetchval(
        database_url,
        "SELECT json_agg(json_build_array(recipient, attempts, last_error)) FROM outbox_message"
        f" WHERE recipient LIKE 'drain-{tag}-%' AND (attempts <> 1 OR coalesce(last_error, '') <> '')",
    )
    assert spent is None, spent


# --------------------------------------------------------------------------- the inbound endpoint


def start_inbound(env: dict, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "workers.inbound"],
        cwd=ROOT,
        env={**env, "INBOUND_SMTP_PORT": str(port)},
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, proc)
    return proc, port


def reply_addresses(env: dict, event_id: int) -> tuple[str, dict[str, str]]:
    """The event's calendar UID and each registered person's personal ORGANIZER address (where replies go)."""
    code = (
        "import asyncio, json\nfrom events_app.db import sql\nfrom events_app.settings import get_settings\n"
        "from events_app.services.registration.calendar_answers import reply_address_for\n"
        "async def main():\n"
        f"    event = dict(await sql.fetchrow('SELECT id, organizer_email, calendar_uid::text AS uid FROM event"
        f" WHERE id = {event_id}'))\n"
        '    people = await sql.fetch("SELECT p.id, p.email FROM registration r JOIN person p ON p.id = r.person'
        f" WHERE r.event = {event_id} AND p.email LIKE 'reply-%'\")\n"
        "    out = {p['email']: await reply_address_for(event, p['id'], get_settings()) for p in people}\n"
        "    print(json.dumps([event['uid'], out]))\n"
        "asyncio.run(main())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    uid, addresses = json.loads(out)
    return uid, addresses


def calendar_reply(uid: str, attendee: str, organizer: str, partstat: str, sender: str) -> bytes:
    body = (
        "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\n"
        "METHOD:REPLY\r\nBEGIN:VEVENT\r\nDTSTART:20270302T140000Z\r\nDTSTAMP:20270101T090000Z\r\n"
        f"ORGANIZER:mailto:{organizer}\r\nUID:{uid}\r\n"
        f"ATTENDEE;PARTSTAT={partstat}:mailto:{attendee}\r\nSEQUENCE:0\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return (
        f"From: {sender}\r\nTo: {organizer}\r\nSubject: {partstat.title()}: the congress\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@drill.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: text/calendar; charset="utf-8"; method=REPLY\r\n\r\n' + body
    ).encode()


class Senders:
    """Calendar clients' mail servers: each reply is sent until the endpoint answers 250, again after a 4xx or a
    lost connection (as a mail server retries), never after a 5xx (a bounce). Every answer is recorded with its
    time."""

    PARTSTATS = ("ACCEPTED", "TENTATIVE", "DECLINED")

    def __init__(self, port: int, uid: str, addresses: dict[str, str], threads: int = 4) -> None:
        self.port, self.uid, self.addresses = port, uid, addresses
        self.answers: list[tuple[float, int]] = []  # (time, SMTP code; 0: no connection)
        self.sent: list[tuple[str, str, str]] = []  # (attendee, partstat, sender tag) answered 250
        self.permanent: list[tuple[str, int, str]] = []
        self.lock = threading.Lock()
        self.running = True
        people = sorted(addresses)
        self.threads = [
            threading.Thread(target=self._run, args=(people[i::threads],), daemon=True) for i in range(threads)
        ]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        for t in self.threads:
            t.join(60)

    def _answer(self, code: int) -> None:
        with self.lock:
            self.answers.append((time.monotonic(), code))

    def _send_until_accepted(self, attendee: str, partstat: str, n: int) -> None:
        local, _, domain = attendee.partition("@")
        sender = f"{local}+m{n}@{domain}"  # recorded as the reply's sender: tells each reply apart in the log
        message = calendar_reply(self.uid, attendee, self.addresses[attendee], partstat, sender)
        while True:
            try:
                with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as smtp:
                    smtp.sendmail(sender, [self.addresses[attendee]], message)
            except smtplib.SMTPResponseException as exc:
                self._answer(exc.smtp_code)
                if exc.smtp_code >= 500:
                    with self.lock:
                        self.permanent.append((sender, exc.smtp_code, str(exc.smtp_error)))
                    return
            except (OSError, smtplib.SMTPException):
                self._answer(0)
            else:
                self._answer(250)
                with self.lock:
                    self.sent.append((attendee, partstat, sender))
                return
            time.sleep(0.1)  # a real server waits minutes; the drill has none to spare

    def _run(self, people: list[str]) -> None:
        n = 0
        while self.running:
            for attendee in people:
                if not self.running:
                    return
                self._send_until_accepted(attendee, self.PARTSTATS[n % 3], n)
            n += 1

    def first_accepted_after(self, moment: float, timeout: float = 30) -> float:
        def found():
            with self.lock:
                return next((t for t, code in self.answers if t > moment and code == 250), None)

        return wait_until(found, "a reply answered 250", timeout=timeout) - moment


def inbound_log(env: dict) -> list[dict]:
    return query(env, "SELECT sender, attendee, partstat, outcome, reason_code FROM meeting_inbound_reply")


def answers_of(env: dict, event_id: int) -> dict[str, str]:
    rows = query(
        env,
        "SELECT p.email, a.partstat FROM calendar_answer a JOIN person p ON p.id = a.person"
        f" WHERE a.event = {int(event_id)} AND a.session IS NULL",
    )
    return {r["email"]: r["partstat"] for r in rows}


def release_mails_of(env: dict) -> dict[str, int]:
    """Outbox rows of the release link a DECLINED answer sends, per recipient."""
    rows = query(
        env, "SELECT recipient, count(*) AS n FROM outbox_message WHERE kind = 'calendar_decline_release' GROUP BY 1"
    )
    return {r["recipient"]: r["n"] for r in rows}


def test_inbound_endpoint_applies_every_reply_once_across_postgres_and_redis_restarts(private_servers, tmp_path):
    children, base = private_servers
    env, postgres, redis = private_database_env(children, base)
    event_id = prepare_database(env)
    api, url = start_api(tmp_path / "api.log", env)
    tag = uuid.uuid4().hex[:6]
    try:
        register_many(url, event_id, [f"reply-{tag}-{i:03d}@example.org" for i in range(40)])
    finally:
        stop(api)
    uid, addresses = reply_addresses(env, event_id)
    # The endpoint starts while the database is down (a server booting, a deploy in the wrong order): it listens,
    # answers 451 so the sender retries, and needs no restart once the database is up.
    postgres.stop()
    inbound, port = start_inbound(env, tmp_path / "inbound.log")
    attendee = sorted(addresses)[0]
    message = calendar_reply(uid, attendee, addresses[attendee], "ACCEPTED", attendee)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp, pytest.raises(smtplib.SMTPDataError) as refused:
        smtp.sendmail(attendee, [addresses[attendee]], message)
    assert refused.value.smtp_code == 451
    postgres.start(base / "logs" / "postgres-initial.log")
    after_postgres: list[float] = []
    after_redis: list[float] = []
    try:
        with Senders(port, uid, addresses) as senders:
            senders.first_accepted_after(0)
            for n in range(RESTARTS):
                postgres.stop()
                postgres.start(base / "logs" / f"postgres-{n}.log")
                restarted = time.monotonic()
                after_postgres.append(senders.first_accepted_after(restarted))
                redis.stop()
                redis.start(base / "logs" / f"redis-{n}.log")
                restarted = time.monotonic()
                after_redis.append(senders.first_accepted_after(restarted))
                senders.first_accepted_after(time.monotonic())  # and again: not one lucky reply
        assert inbound.poll() is None  # the same process served throughout
    finally:
        stopped = stop_within(inbound, 10)
    print()
    print(figures("first reply answered 250 after each PostgreSQL restart (s)", after_postgres))
    print(figures("first reply answered 250 after each Redis restart (s)", after_redis))
    codes = Counter(code for _, code in senders.answers)
    print(f"answers: {dict(codes)}; replies applied: {len(senders.sent)}; stopped after SIGTERM: {stopped:.2f} s")

    log_tail = (tmp_path / "inbound.log").read_text()[-4000:]
    assert senders.permanent == [], (senders.permanent, log_tail)
    assert set(codes) <= {250, 451, 0}, (codes, log_tail)
    logged = inbound_log(env)
    by_sender = Counter(r["sender"] for r in logged)
    assert {sender: by_sender[sender] for _, _, sender in senders.sent} == {s: 1 for _, _, s in senders.sent}
    assert set(by_sender) == {sender for _, _, sender in senders.sent}, "a reply recorded that was never answered 250"
    assert {r["outcome"] for r in logged} == {"accepted"}, [r for r in logged if r["outcome"] != "accepted"][:5]
    last = {attendee: partstat for attendee, partstat, _ in senders.sent}
    assert answers_of(env, event_id) == last
    declined = Counter(attendee for attendee, partstat, _ in senders.sent if partstat == "DECLINED")
    # every Decline arms the link, but within the hour the one emailed first works again: one email per person
    assert release_mails_of(env) == dict.fromkeys(declined, 1), "one release email per person who declined"


def test_a_drain_cut_by_a_database_restart_resumes_by_itself_without_beat(
    private_servers,  # noqa: F811
    smtp_server,  # noqa: F811
    tmp_path,
):
    """No beat here, and no kick waiting in the broker: the only dispatch is the one cut short by the restart, so
    the rest of the backlog goes out only if the worker tries again by itself once the database answers."""
    children, base = private_servers
    env, postgres, _ = private_database_env(children, base)
    sink, smtp_url = smtp_server(delay=0.1)
    env["SMTP_URL"] = smtp_url
    database_url = env["DATABASE_URL"]
    event_id = prepare_database(env)
    api, url = start_api(tmp_path / "api.log", env)
    tag = uuid.uuid4().hex[:6]
    emails = [f"resume-{tag}-{i:03d}@example.org" for i in range(80)]
    try:
        register_many(url, event_id, emails)
    finally:
        stop(api)
    # --purge: the kicks the registrations left in the broker are dropped; one dispatch starts the drain.
    worker = start_worker(
        tmp_path / "worker.log", "resume", env=env, pool=("--pool=prefork", "--concurrency=2", "--purge")
    )
    control = Celery("drill", broker=env["REDIS_URL"])
    wait_until(lambda: bool(control.control.ping(timeout=0.5)), "the worker to start")
    control.send_task(DISPATCH_OUTBOX)

    def unsent() -> int | None:
        return fetchval(database_url, "SELECT count(*) FROM outbox_message WHERE status <> 'sent'")

    try:
        wait_until(lambda: (unsent() or 999) < 70, "the drain to begin")
        postgres.stop()
        postgres.start(base / "logs" / "postgres-restarted.log")
        restarted = time.monotonic()
        wait_until(lambda: unsent() is not None, "PostgreSQL to answer the test")
        left = unsent()
        assert left > 0, "the backlog was gone before the restart: nothing was tested"
        wait_until(
            lambda: unsent() == 0, "the rest of the backlog to go out after the restart", timeout=45, interval=0.2
        )
        resumed = time.monotonic() - restarted
    finally:
        stopped = stop_within(worker, 15)
    print(
        f"\n{left} messages left at the restart, all sent {resumed:.2f} s after it; worker stopped in {stopped:.2f} s"
    )
    counts = Counter({rcpt: n for rcpt, n in sink.counts().items() if rcpt.startswith(f"resume-{tag}-")})
    assert set(counts) == set(emails) and max(counts.values()) <= 2
