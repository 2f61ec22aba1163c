"""Schemathesis against the served OpenAPI document, anonymous and as the demo organizer: no 5xx, and every
documented response matches its schema. Bounded (FUZZ_EXAMPLES per operation, default 3) so the suite stays quick.

The server runs in its own process on its own database with the demo data, so ids in generated paths often name
real rows and the fuzzer reaches the code behind the role checks.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from events_app.db.admin import recreate_database
from events_app.web.app import create_app
from tests.conftest import RUNNER, SERVER_URL, _with_path
from tests.fixtures import free_port, stop, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
CHECKS = [not_a_server_error, response_schema_conformance]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)


async def _fresh_database(name: str) -> None:
    await recreate_database(SERVER_URL, name)


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory) -> Iterator[str]:
    name = f"events_fuzz_{RUNNER}"
    asyncio.run(_fresh_database(name))
    env = {**os.environ, "DATABASE_URL": _with_path(SERVER_URL, f"/{name}")}
    for command in ("migrate", "seed"):
        subprocess.run(
            [sys.executable, "-m", "events_app.cli", command], check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL
        )
    port = free_port()
    log = tmp_path_factory.mktemp("fuzz") / "api.log"
    proc = subprocess.Popen(
        [
            sys.executable,
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
        ],
        cwd=ROOT,
        env={**env, "PUBLIC_URL": f"http://127.0.0.1:{port}"},
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, proc)
    yield f"http://127.0.0.1:{port}"
    stop(proc)
    print(log.read_text()[-5000:])


@pytest.fixture(scope="module")
def organizer_token(fuzz_server) -> str:
    response = requests.post(
        f"{fuzz_server}/api/auth/login",
        timeout=10,
        json={"email": "organizer@example.org", "password": os.environ.get("DEMO_PASSWORD", "congress-demo")},
    )
    assert response.status_code == 200, response.text
    return response.json()["token"]


# The document the server serves at /schema/openapi.json, built from the same app (one test per operation).
schema = schemathesis.openapi.from_dict(create_app().openapi_schema.to_schema())


@schema.parametrize()
@FUZZ
def test_anonymous_requests_never_fail_or_break_the_schema(case, fuzz_server):
    case.call_and_validate(base_url=fuzz_server, checks=CHECKS, timeout=30)


@schema.exclude(operation_id="logout").parametrize()
@FUZZ
def test_organizer_requests_never_fail_or_break_the_schema(case, fuzz_server, organizer_token):
    case.call_and_validate(
        base_url=fuzz_server, checks=CHECKS, timeout=30, headers={"Authorization": f"Bearer {organizer_token}"}
    )


def test_served_document_is_the_one_fuzzed(fuzz_server):
    assert requests.get(f"{fuzz_server}/schema/openapi.json", timeout=10).json() == schema.raw_schema
