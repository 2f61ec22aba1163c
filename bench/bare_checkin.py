"""The baseline of bench/checkin.py: a bare Litestar route that takes the same batch of scans as the desk's sync
route and records it with the least work that still does the job: no login, no CSRF, no abuse limits, no rules
beyond "first scan wins", one SQL statement per batch (look the codes up, keep every scan, record the first
check-in of each registration), a short JSON answer."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timezone

import asyncpg
import msgspec
from litestar import Litestar, Request, Response, post

EVENT = int(os.environ["BENCH_EVENT_ID"])
RECORD = """
WITH s AS (
    SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::timestamptz[])
        AS t(scan_id, code_hash, device, scanned_at)),
found AS (
    SELECT s.*, c.registration FROM s LEFT JOIN checkin_code c ON c.code_hash = s.code_hash AND c.revoked_at IS NULL),
kept AS (
    INSERT INTO checkin_scan (event, session, registration, device, scan_id, method, scanned_at, outcome, reason)
    SELECT $5, 0, registration, device, scan_id, 'code', scanned_at,
           CASE WHEN registration IS NULL THEN 'refused' ELSE 'admitted' END,
           CASE WHEN registration IS NULL THEN 'unknown' ELSE '' END
    FROM found
    ON CONFLICT (event, account, device, scan_id) DO NOTHING
    RETURNING id, registration, scanned_at, device, scan_id),
first AS (
    INSERT INTO attendance (event, session, registration, scan, checked_in_at, device)
    SELECT DISTINCT ON (registration) $5, 0, registration, id, scanned_at, device FROM kept
    WHERE registration IS NOT NULL ORDER BY registration, scanned_at
    ON CONFLICT (registration, session) DO NOTHING
    RETURNING scan)
SELECT k.scan_id, k.registration, f.scan IS NOT NULL AS admitted FROM kept k LEFT JOIN first f ON f.scan = k.id
"""


class Scan(msgspec.Struct):
    scan_id: str
    code: str = ""
    device: str = ""
    scanned_at: datetime | None = None


class Batch(msgspec.Struct):
    scans: list[Scan]


class Answer(msgspec.Struct):
    scan_id: str
    outcome: str


class Synced(msgspec.Struct):
    received: int
    admitted: int
    results: list[Answer]


pool: asyncpg.Pool | None = None


async def open_pool() -> None:
    global pool
    pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=4, max_size=10)


async def close_pool() -> None:
    if pool is not None:
        await pool.close()


@post("/bare/sync", status_code=200)
async def bare_sync(request: Request) -> Response[bytes]:
    batch = msgspec.json.decode(await request.body(), type=Batch)
    now = datetime.now(timezone.utc)
    scans = batch.scans
    assert pool is not None
    rows = await pool.fetch(
        RECORD,
        [s.scan_id for s in scans],
        [hashlib.sha256(s.code.encode()).hexdigest() for s in scans],
        [s.device or "desk" for s in scans],
        [s.scanned_at or now for s in scans],
        EVENT,
    )
    results = [
        Answer(r["scan_id"], "admitted" if r["admitted"] else "refused" if r["registration"] is None else "duplicate")
        for r in rows
    ]
    body = Synced(len(scans), sum(1 for r in results if r.outcome == "admitted"), results)
    return Response(msgspec.json.encode(body), media_type="application/json")


app = Litestar(route_handlers=[bare_sync], on_startup=[open_pool], on_shutdown=[close_pool], openapi_config=None)
