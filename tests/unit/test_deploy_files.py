"""The deployment files: docker-compose.yml and the Dockerfile, checked without a Docker engine.

The compose file is parsed with PyYAML (anchors and merge keys resolved as compose does) and its structure checked;
the Dockerfile's instructions are read line by line. tests/integration/test_wheel_install.py installs
the wheel the Dockerfile builds and checks what it carries.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = {"migrate", "api", "worker", "beat", "inbound", "seed"}
REQUIRED_SERVICES = {"db", "redis", "mailpit"} | APP_SERVICES
UVICORN = [
    "uvicorn",
    "events_app.web.app:create_app",
    "--factory",
    "--no-proxy-headers",
    "--timeout-graceful-shutdown",
    "8",
    "--host",
    "0.0.0.0",
    "--port",
    "8000",
]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_every_required_service_exists(services: dict) -> None:
    assert services.keys() >= REQUIRED_SERVICES


def test_app_services_share_the_image_and_the_environment(compose: dict, services: dict) -> None:
    shared = compose["x-app-env"]
    assert {
        "APP_ENV",
        "DATABASE_URL",
        "REDIS_URL",
        "SMTP_URL",
        "SECRET_KEY",
        "PUBLIC_URL",
        "MAIL_FROM",
        "MAIL_FROM_NAME",
        "DEMO_PASSWORD",
    } <= shared.keys()
    assert shared["DATABASE_URL"] == "postgresql://events:events@db:5432/events"
    assert shared["REDIS_URL"] == "redis://redis:6379/0"
    assert "smtp://mailpit:1025" in shared["SMTP_URL"]
    assert shared["SECRET_KEY"].startswith("${SECRET_KEY:?"), "SECRET_KEY must be required, never defaulted"
    image = compose["x-app"]["image"]
    users = {name for name, svc in services.items() if svc.get("image") == image or "build" in svc}
    assert users == APP_SERVICES
    for name in users:
        env = services[name]["environment"]
        assert isinstance(env, dict), name
        own = {
            "seed": {"APP_ENV": "development"},
            "inbound": {"INBOUND_SMTP_HOST": "0.0.0.0", "INBOUND_SMTP_PORT": "2525"},
        }
        expected = {**shared, **own.get(name, {})}
        assert env == expected, name


def test_healthchecks(services: dict) -> None:
    for name in ("db", "redis", "mailpit", "api"):
        check = services[name].get("healthcheck")
        assert check and check["test"] and check["test"][0] in {"CMD", "CMD-SHELL"}, name
        assert not check.get("disable"), name
    assert "pg_isready" in services["db"]["healthcheck"]["test"]
    assert services["redis"]["healthcheck"]["test"][1:] == ["redis-cli", "ping"]
    assert any("/health" in part for part in services["api"]["healthcheck"]["test"])


def test_processes_wait_for_the_migrations(services: dict) -> None:
    for name in ("api", "worker", "beat", "seed"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
    for name in ("api", "worker", "beat"):
        assert services[name]["depends_on"]["redis"] == {"condition": "service_healthy"}, name
    assert services["migrate"]["depends_on"]["db"] == {"condition": "service_healthy"}
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["command"] == ["python", "-m", "events_app.cli", "migrate"]


def test_process_commands(services: dict) -> None:
    assert "command" not in services["api"], "the API runs the image's default command"
    assert services["worker"]["command"][:4] == ["celery", "-A", "workers.celery_app", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "workers.celery_app", "beat"]
    assert services["seed"]["command"] == ["python", "-m", "events_app.cli", "seed"]
    assert services["seed"]["profiles"] == ["demo"]
    assert services["db"]["image"].startswith("postgres:18")
    assert any(v.startswith("pgdata:") for v in services["db"]["volumes"])


def test_no_service_runs_celery_eagerly(services: dict) -> None:
    for name, svc in services.items():
        env = svc.get("environment") or {}
        keys = env.keys() if isinstance(env, dict) else [item.split("=", 1)[0] for item in env]
        assert not [k for k in keys if "EAGER" in k.upper()], name
        command = svc.get("command") or []
        assert "eager" not in " ".join(command if isinstance(command, list) else [command]).lower(), name
    from workers.celery_app import app

    assert not app.conf.task_always_eager


def test_dockerfile() -> None:
    instructions = dockerfile_instructions()
    stages = [args for op, args in instructions if op == "FROM"]
    assert stages == ["python:3.11-slim AS build", "python:3.11-slim"], "build the wheel, then install only it"
    builds = [args for op, args in instructions if op == "RUN" and "pip wheel" in args]
    assert builds == ["pip wheel --no-deps -w /dist ."]
    copies_into_build = [args.split() for op, args in instructions if op == "COPY"]
    assert ["pyproject.toml", "README.md", "./"] in copies_into_build, "pyproject names README.md as the readme"
    cmd = [args for op, args in instructions if op == "CMD"]
    assert len(cmd) == 1 and json.loads(cmd[-1]) == UVICORN
    users = [args for op, args in instructions if op == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert ("EXPOSE", "8000") in instructions
    assert ("WORKDIR", "/app") in instructions
    copies = [args.split() for op, args in instructions if op == "COPY"]
    assert ["piccolo_conf.py", "./"] in copies and ["migrations", "./migrations"] in copies
    installs = [args for op, args in instructions if op == "RUN" and "pip install" in args]
    assert installs == ["pip install /tmp/dist/*.whl && rm -rf /tmp/dist"], "the wheel only: no extras, no editable"
