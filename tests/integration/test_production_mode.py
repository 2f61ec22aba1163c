"""Production refuses development shortcuts: the API factory, uvicorn and the Celery worker and beat all stop at
start-up with a default or short SECRET_KEY, or with DEBUG on."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.fixtures import ROOT

GOOD_SECRET = "k" * 48
UNSAFE = [
    pytest.param({"SECRET_KEY": ""}, "SECRET_KEY", id="default-secret"),
    pytest.param({"SECRET_KEY": "short-secret"}, "SECRET_KEY", id="short-secret"),
    pytest.param({"SECRET_KEY": GOOD_SECRET, "DEBUG": "1"}, "DEBUG", id="debug-on"),
]


def run(argv: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "APP_ENV": "production", "DEBUG": "0", **env},
    )


@pytest.mark.parametrize(("env", "named"), UNSAFE)
def test_create_app_refuses_unsafe_production_settings(env, named):
    result = run([sys.executable, "-c", "from events_app.web.app import create_app; create_app()"], **env)
    assert result.returncode != 0 and "SettingsError" in result.stderr and named in result.stderr


@pytest.mark.parametrize(("env", "named"), UNSAFE)
def test_worker_refuses_unsafe_production_settings(env, named):
    result = run([sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--pool=solo"], **env)
    assert result.returncode != 0 and named in result.stderr + result.stdout


def test_beat_refuses_a_default_secret():
    result = run([sys.executable, "-m", "celery", "-A", "workers.celery_app", "beat"], SECRET_KEY="")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr + result.stdout


def test_uvicorn_refuses_to_serve_with_a_default_secret():
    result = run(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "events_app.web.app:create_app",
            "--factory",
            "--no-proxy-headers",
            "--port",
            "0",
        ],
        SECRET_KEY="",
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_safe_production_settings_start():
    code = "from events_app.web.app import create_app; import workers.tasks; create_app(); print('ready')"
    result = run([sys.executable, "-c", code], SECRET_KEY=GOOD_SECRET)
    assert (result.returncode, result.stdout.strip()) == (0, "ready"), result.stderr
