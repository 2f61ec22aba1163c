"""Server-level chores for tests and benchmarks: naming and recreating a database on the same server."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import asyncpg


def database_url(url: str, name: str) -> str:
    """The same server and credentials as `url`, database `name`."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


async def recreate_database(server_url: str, name: str, *, create: bool = True) -> str:
    """Drop `name` (disconnecting its sessions) and, unless create=False, create it empty. Returns its URL."""
    conn = await asyncpg.connect(database_url(server_url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return database_url(server_url, name)
