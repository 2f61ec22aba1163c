"""The baseline of bench/agenda.py: a bare Litestar app serving precomputed bytes, nothing else."""

from __future__ import annotations

import os
from pathlib import Path

from litestar import Litestar, Response, get

_DIR = Path(os.environ["BENCH_BYTES_DIR"])
_AGENDA = (_DIR / "agenda.json").read_bytes()
_FEED = (_DIR / "calendar.ics").read_bytes()


@get("/bare/agenda")
async def bare_agenda() -> Response[bytes]:
    return Response(_AGENDA, media_type="application/json")


@get("/bare/feed")
async def bare_feed() -> Response[bytes]:
    return Response(_FEED, media_type="text/calendar")


@get("/bare/empty")
async def bare_empty() -> Response[bytes]:
    return Response(b"", status_code=304)


app = Litestar(route_handlers=[bare_agenda, bare_feed, bare_empty], openapi_config=None)
