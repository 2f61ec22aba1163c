"""Faults under load, against real processes: PostgreSQL and Redis are stopped and started again (on the same
port) while clients keep registering. The API answers 503 (problem+json, Retry-After) while PostgreSQL is down and
recovers on its own; with Redis down registrations go on and their mail waits until the broker is back. Each
client retries its failures with the same Idempotency-Key, and in the end every person is registered exactly once
and mailed exactly once.

Each test starts its own PostgreSQL or Redis with manage.py's launcher code (it is standard-library only), so the
servers the rest of the suite uses are never touched.
"""

from __future__ import annotations

import asyncio
import email.utils
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.fixtures import ROOT, read_mail, start_api, start_beat, start_worker, stop, wait_for_mail

pytestmark = pytest.mark.worker

_spec = importlib.util.spec_from_file_location("launcher", ROOT / "manage.py")
launcher = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(launcher)


class Restartable:
    """A server started by manage.py's code that can be stopped and started again on the same address."""

    def __init__(self, children, name: str) -> None:
        self.children = children
        _, proc, self.signal = next(p for p in children.procs if p[0] == name)
        self.name, self.proc = name, proc
        self.argv = proc.args
        self.user = launcher.ensure_pg_user() if name == "postgres" else None

    def stop(self) -> None:
        self.proc.send_signal(self.signal)
        self.proc.wait(30)

    def start(self, log_file: Path) -> None:
        env = {**os.environ, "XDG_RUNTIME_DIR": str(log_file.parent), "LC_ALL": "C"}
        if self.user:
            log_file.touch()
            shutil.chown(log_file, self.user, self.user)
        self.proc = self.children.start(
            self.name, self.argv, stop_signal=self.signal, user=self.user, env=env, log_file=log_file
        )


@pytest.fixture
def private_servers() -> Iterator[tuple[object, Path]]:
    # Not under pytest's tmp_path: any pytest session starting meanwhile resets that tree to 0700, which would
    # lock the unprivileged PostgreSQL user out of its data directory before the restart.
    children = launcher.Children()
    base = Path(tempfile.mkdtemp(prefix="events-resilience-"))
    (base / "logs").mkdir(parents=True)
    try:
        yield children, base
    finally:
        children.stop()
        shutil.rmtree(base, ignore_errors=True)


def prepare_database(env: dict) -> int:
    """Migrations, the demo data, and the id of its congress, open to everyone without limits."""
    for command in ("migrate", "seed"):
        subprocess.run(
            [sys.executable, "-m", "events_app.cli", command], check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL
        )
    code = (
        "import asyncio\nfrom events_app.db import sql\nasync def main():\n"
        '    await sql.execute("UPDATE event SET capacity = NULL, registration_opens_at = NULL,'
        ' registration_closes_at = NULL WHERE id = 1")\n'
        "    await sql.execute(\"UPDATE registration_category SET quota = NULL, eligibility = 'anyone',"
        ' requires_approval = false WHERE event = 1")\nasyncio.run(main())'
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)
    return 1


class Load:
    """Threads registering new people without pause; every answer is recorded with the phase it arrived in."""

    def __init__(self, base_url: str, event_id: int, threads: int = 4) -> None:
        self.base_url, self.event_id = base_url, event_id
        self.phase = "before"
        self.answers: list[tuple[str, int, str, dict]] = []  # phase, status, content type, headers
        self.pending: dict[str, str] = {}  # email -> Idempotency-Key of attempts that got no 201
        self.registered: dict[str, int] = {}  # email -> registration id
        self.lock = threading.Lock()
        self.running = True
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        for t in self.threads:
            t.join(30)

    def register(self, http: httpx.Client, email: str, key: str) -> int:
        phase = self.phase
        try:
            r = http.post(
                f"/api/events/{self.event_id}/registrations",
                headers={"Idempotency-Key": key},
                json={"email": email, "name": "Load Tester", "category": "speaker", "consent": True},
            )
        except httpx.HTTPError:
            return 0
        with self.lock:
            self.answers.append((phase, r.status_code, r.headers.get("content-type", ""), dict(r.headers)))
            if r.status_code == 201:
                self.registered[email] = r.json()["id"]
                self.pending.pop(email, None)
            else:
                self.pending[email] = key
        return r.status_code

    def _run(self, n: int) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            i = 0
            while self.running:
                i += 1
                self.register(http, f"load-{n}-{i}-{uuid.uuid4().hex[:6]}@example.org", str(uuid.uuid4()))
                if self.phase == "down":
                    time.sleep(0.05)  # a refused request is instant; keep the log readable

    def wait_for(self, phase: str, status: int, count: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if sum(1 for p, s, _, _ in self.answers if p == phase and s == status) >= count:
                    return
            time.sleep(0.05)
        raise AssertionError(f"no {status} during '{phase}': {self.summary()}")

    def summary(self) -> dict:
        counts: dict[tuple[str, int], int] = {}
        for p, s, _, _ in self.answers:
            counts[(p, s)] = counts.get((p, s), 0) + 1
        return counts

    def retry_pending(self) -> None:
        """What failed is sent again with its Idempotency-Key: a registration that did commit is returned, not
        duplicated."""
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            for email, key in list(self.pending.items()):
                assert self.register(http, email, key) == 201


def query(env: dict, statement: str) -> list[dict]:
    """The rows of one statement on the test's own database (env's DATABASE_URL), as dicts."""

    async def run():
        connection = await asyncpg.connect(env["DATABASE_URL"], timeout=10)
        try:
            return [dict(r) for r in await connection.fetch(statement)]
        finally:
            await connection.close()

    return asyncio.run(run())


def registrations_by_email(env: dict) -> dict[str, int]:
    rows = query(
        env,
        "SELECT p.email, count(*) AS n FROM registration r JOIN person p ON p.id = r.person"
        " WHERE p.email LIKE 'load-%' GROUP BY p.email",
    )
    return {r["email"]: r["n"] for r in rows}


def test_postgres_restart_under_load_503_then_recovers_without_restarting_the_api(private_servers, tmp_path):
    children, base = private_servers
    database_url = launcher.start_postgres(children, base / "pgdata", base / "logs", durable=True)
    postgres = Restartable(children, "postgres")
    env = {**os.environ, "DATABASE_URL": database_url}
    event_id = prepare_database(env)
    api, url = start_api(tmp_path / "api.log", env)
    try:
        with Load(url, event_id) as load:
            load.wait_for("before", 201, 20)
            load.phase = "down"
            postgres.stop()
            load.wait_for("down", 503, 20)
            with httpx.Client(base_url=url, timeout=10) as http:
                health = http.get("/health")
                listing = http.get("/api/events")
            postgres.start(base / "logs" / "postgres-restarted.log")
            load.phase = "after"
            load.wait_for("after", 201, 20)
        load.retry_pending()
        assert api.poll() is None  # the same API process served before, during and after
    finally:
        stop(api)

    statuses = {s for _, s, _, _ in load.answers}
    assert statuses <= {201, 503}, (load.summary(), (tmp_path / "api.log").read_text()[-6000:])
    problems = [(ct, h) for _, s, ct, h in load.answers if s == 503]
    assert all(ct.startswith("application/problem+json") and int(h["retry-after"]) > 0 for ct, h in problems)
    assert (health.status_code, health.json()["database"].startswith("unavailable")) == (503, True)
    assert listing.status_code == 503 and listing.headers["retry-after"]
    stored = registrations_by_email(env)
    assert set(stored) == set(load.registered) and set(stored.values()) == {1}


def test_redis_restart_registrations_go_on_and_mail_waits_for_the_broker(private_servers, maildir, tmp_path):
    children, base = private_servers
    redis_url = launcher.start_redis(children, base / "redis", base / "logs")
    redis = Restartable(children, "redis")
    env = {**os.environ, "REDIS_URL": redis_url}
    # This test's own database on the suite's server, so other tests' truncation cannot touch its rows.
    name = f"events_resilience_{uuid.uuid4().hex[:8]}"
    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"import asyncio, asyncpg\nasync def m():\n"
            f"    c = await asyncpg.connect('{server}/postgres')\n"
            f"    await c.execute('CREATE DATABASE \"{name}\"')\n    await c.close()\nasyncio.run(m())",
        ],
        check=True,
        cwd=ROOT,
    )
    env["DATABASE_URL"] = f"{server}/{name}"
    event_id = prepare_database(env)
    api, url = start_api(tmp_path / "api.log", env)
    worker = start_worker(tmp_path / "worker.log", "resilience", env=env)
    # Beat's outbox sweep sends what waited even if no request kicks the dispatcher after the broker is back.
    beat = start_beat(tmp_path, env)
    try:
        with Load(url, event_id, threads=2) as load:
            load.wait_for("before", 201, 5)
            load.phase = "down"
            redis.stop()
            load.wait_for("down", 201, 10)  # registrations go on without the broker
            redis.start(base / "logs" / "redis-restarted.log")
            load.phase = "after"
            load.wait_for("after", 201, 5)  # each one kicks the dispatcher, which drains what waited
        load.retry_pending()
        for email in load.registered:
            wait_for_mail(maildir, email, 1, timeout=90)
    finally:
        stop(beat)
        stop(worker)
        stop(api)

    assert {s for _, s, _, _ in load.answers} == {201}, load.summary()
    stored = registrations_by_email(env)
    assert set(stored) == set(load.registered) and set(stored.values()) == {1}
    assert {email: len(read_mail(maildir, email)) for email in load.registered} == {
        email: 1 for email in load.registered
    }


# --------------------------------------------------------------------------- repeated restarts


def count_mail_by_recipient(maildir: Path, prefix: str) -> dict[str, int]:
    """Messages per recipient whose address starts with `prefix`, reading only each file's headers."""
    counts: dict[str, int] = {}
    new = maildir / "new"
    if not new.exists():
        return counts
    for path in new.iterdir():
        with path.open("rb") as f:
            for line in f:
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"to:"):
                    _, address = email.utils.parseaddr(line[3:].decode(errors="replace").strip())
                    if address.startswith(prefix):
                        counts[address] = counts.get(address, 0) + 1
                    break
    return counts


def wait_for_all_mail(maildir: Path, expected: set[str], prefix: str, timeout: float = 60) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    counts = count_mail_by_recipient(maildir, prefix)
    while time.monotonic() < deadline and not expected <= set(counts):
        time.sleep(0.5)
        counts = count_mail_by_recipient(maildir, prefix)
    return {email: n for email, n in counts.items() if email in expected}


def outbox_rows_by_recipient(env: dict) -> dict[str, int]:
    rows = query(env, "SELECT recipient, count(*) AS n FROM outbox_message WHERE recipient LIKE 'load-%' GROUP BY 1")
    return {r["recipient"]: r["n"] for r in rows}


def outbox_states(env: dict) -> list:
    try:
        return query(
            env,
            "SELECT status, attempts, left(last_error, 120) AS e, count(*) AS n FROM outbox_message GROUP BY 1, 2, 3",
        )
    except Exception as exc:  # what the assertion message shows when the database does not answer
        return [f"{type(exc).__name__}: {exc}"]


def stop_within(proc: subprocess.Popen, seconds: float) -> float:
    """SIGTERM, then the seconds the process took to exit (it is killed, and the test fails, past `seconds`)."""
    started = time.monotonic()
    proc.terminate()
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"{proc.args[:6]} did not stop within {seconds} s of SIGTERM") from None
    return time.monotonic() - started


RESTARTS = 10


def test_ten_postgres_restarts_with_registrations_in_flight_the_api_heals_after_each(
    private_servers, maildir, tmp_path
):
    """The pool never wedges: after each of ten restarts, with ~30 registrations in flight, the same API process
    answers 201 again within seconds; in the end registrations, outbox rows and mails agree one to one, and SIGTERM
    stops the API, the worker and beat within their timeouts."""
    children, base = private_servers
    database_url = launcher.start_postgres(children, base / "pgdata", base / "logs", durable=True)
    postgres = Restartable(children, "postgres")
    env = {**os.environ, "DATABASE_URL": database_url, "OUTBOX_SWEEP_SECONDS": "2"}
    event_id = prepare_database(env)
    api, url = start_api(tmp_path / "api.log", env)
    worker = start_worker(tmp_path / "worker.log", "pg-restarts", env=env)
    beat = start_beat(tmp_path, env)
    recovery: list[float] = []
    try:
        with Load(url, event_id, threads=30) as load:
            load.wait_for("before", 201, 30)
            for n in range(RESTARTS):
                postgres.stop()
                load.phase = f"down {n}"
                postgres.start(base / "logs" / f"postgres-{n}.log")
                restarted = time.monotonic()
                load.phase = f"after {n}"
                load.wait_for(f"after {n}", 201, 1, timeout=20)
                recovery.append(time.monotonic() - restarted)
                load.wait_for(f"after {n}", 201, 30, timeout=20)  # steady again, not one lucky request
        load.retry_pending()
        assert api.poll() is None and worker.poll() is None  # the same processes served throughout
        print(f"\nfirst 201 after each PostgreSQL restart (s): {' '.join(f'{s:.2f}' for s in recovery)}")
        mails = wait_for_all_mail(maildir, set(load.registered), "load-", timeout=90)
    finally:
        stopped = {"api": stop_within(api, 12), "worker": stop_within(worker, 15), "beat": stop_within(beat, 10)}
    print(f"stopped after SIGTERM (s): {stopped}")

    statuses = {s for _, s, _, _ in load.answers}
    assert statuses <= {201, 503}, (load.summary(), (tmp_path / "api.log").read_text()[-6000:])
    assert max(recovery) < 10, recovery
    stored = registrations_by_email(env)
    assert set(stored) == set(load.registered) and set(stored.values()) == {1}
    assert outbox_rows_by_recipient(env) == {email: 1 for email in load.registered}
    missing = set(load.registered) - set(mails)
    twice = {email: n for email, n in mails.items() if n > 1}
    assert (missing, twice) == (set(), {}), (outbox_states(env), (tmp_path / "worker.log").read_text()[-4000:])


def test_ten_redis_restarts_registrations_go_on_and_every_mail_arrives_once(private_servers, maildir, tmp_path):
    children, base = private_servers
    redis_url = launcher.start_redis(children, base / "redis", base / "logs")
    redis = Restartable(children, "redis")
    name = f"events_redis_restarts_{uuid.uuid4().hex[:8]}"
    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"import asyncio, asyncpg\nasync def m():\n"
            f"    c = await asyncpg.connect('{server}/postgres')\n"
            f"    await c.execute('CREATE DATABASE \"{name}\"')\n    await c.close()\nasyncio.run(m())",
        ],
        check=True,
        cwd=ROOT,
    )
    env = {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": f"{server}/{name}", "OUTBOX_SWEEP_SECONDS": "2"}
    event_id = prepare_database(env)
    api, url = start_api(tmp_path / "api.log", env)
    worker = start_worker(tmp_path / "worker.log", "redis-restarts", env=env)
    beat = start_beat(tmp_path, env)
    try:
        with Load(url, event_id, threads=8) as load:
            load.wait_for("before", 201, 10)
            for n in range(RESTARTS):
                redis.stop()
                load.phase = f"down {n}"
                load.wait_for(f"down {n}", 201, 3, timeout=20)  # registrations go on without the broker
                redis.start(base / "logs" / f"redis-{n}.log")
                load.phase = f"after {n}"
                load.wait_for(f"after {n}", 201, 3, timeout=20)
        load.retry_pending()
        assert api.poll() is None and worker.poll() is None and beat.poll() is None
        mails = wait_for_all_mail(maildir, set(load.registered), "load-", timeout=90)
    finally:
        stopped = {"api": stop_within(api, 12), "worker": stop_within(worker, 15), "beat": stop_within(beat, 10)}
    print(f"\nstopped after SIGTERM (s): {stopped}")

    assert {s for _, s, _, _ in load.answers} == {201}, load.summary()
    stored = registrations_by_email(env)
    assert set(stored) == set(load.registered) and set(stored.values()) == {1}
    assert mails == {email: 1 for email in load.registered}, "every registration mailed exactly once"
