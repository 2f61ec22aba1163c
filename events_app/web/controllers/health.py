from __future__ import annotations

from litestar import Controller, Response, get

from events_app.services.platform import health
from events_app.web.schemas import HealthOut


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get("/", operation_id="health", summary="Database and broker status (503 when the database is down)")
    async def health(self) -> Response[HealthOut]:
        database, broker = await health.check()
        ok = database == "ok"
        up = ok or database == health.BUSY  # busy serves, only slower: not a reason to take the instance out
        body = HealthOut(
            status="ok" if ok and broker == "ok" else ("degraded" if up else "down"), database=database, broker=broker
        )
        return Response(body, status_code=200 if up else 503)
