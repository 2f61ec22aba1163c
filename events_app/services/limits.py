"""Abuse limits: fixed-window counters and login lockout, kept in Redis so every API process shares them.

A counter is one Lua call (INCR, then PEXPIRE on the first hit of a window). Targets such as email addresses are
hashed before they become keys, so Redis holds no personal data. When Redis cannot be reached the limits are
skipped and the failure logged: an outage of the limiter must not stop registrations.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import math

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from events_app.domain.errors import TooManyRequests
from events_app.settings import get_settings

log = logging.getLogger(__name__)
PREFIX = "limit"

_WINDOW = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""

_client: tuple[asyncio.AbstractEventLoop, aioredis.Redis] | None = None


def client() -> aioredis.Redis:
    """One client per event loop (redis.asyncio connections belong to the loop that opened them)."""
    global _client
    loop = asyncio.get_running_loop()
    if _client is None or _client[0] is not loop:
        _client = (loop, aioredis.Redis.from_url(get_settings().redis_url, socket_timeout=0.5,
                                                 socket_connect_timeout=0.5, health_check_interval=30))
    return _client[1]


def parse(spec: str) -> tuple[int, float] | None:
    """'20/60' -> (20, 60.0): at most 20 hits per 60 seconds. '', '0' or '0/60' -> None (no limit)."""
    count, _, seconds = (spec or "0").partition("/")
    if int(count or 0) <= 0:
        return None
    return int(count), float(seconds or 60)


def _key(kind: str, target: str) -> str:
    return f"{PREFIX}:{kind}:{hashlib.sha256(target.strip().lower().encode()).hexdigest()[:32]}"


async def hit(kind: str, target: str, spec: str, what: str) -> None:
    """Count one request of `kind` by `target`; TooManyRequests (429, Retry-After) once over the limit."""
    limit = parse(spec)
    if limit is None:
        return
    count, seconds = limit
    try:
        n, ttl_ms = await client().eval(_WINDOW, 1, _key(kind, target), int(seconds * 1000))
    except (RedisError, OSError, asyncio.TimeoutError) as exc:
        log.warning("rate limit %s skipped: Redis unavailable (%s)", kind, exc)
        return
    if int(n) > count:
        wait = max(1, math.ceil(int(ttl_ms) / 1000))
        raise TooManyRequests(f"too many {what}; try again in {wait} s", wait)


# --------------------------------------------------------------------------- login lockout


async def check_login(email: str) -> None:
    """429 while the account is locked after repeated failures (any email: locked or not reveals nothing)."""
    try:
        ttl_ms = await client().pttl(_key("login-lock", email))
    except (RedisError, OSError, asyncio.TimeoutError) as exc:
        log.warning("login lockout check skipped: Redis unavailable (%s)", exc)
        return
    if ttl_ms and ttl_ms > 0:
        wait = max(1, math.ceil(ttl_ms / 1000))
        raise TooManyRequests(f"too many failed logins for this account; try again in {wait} s", wait)


def lockout_seconds(failures: int) -> float:
    """Backoff after the n-th consecutive failure: none below the threshold, then base, 2×base, 4×base… capped."""
    s = get_settings()
    if s.login_lockout_after <= 0 or failures < s.login_lockout_after:
        return 0
    return min(s.login_lockout_base_seconds * 2 ** (failures - s.login_lockout_after), s.login_lockout_max_seconds)


async def login_failed(email: str) -> None:
    try:
        r = client()
        failures = int(await r.incr(_key("login-fail", email)))
        # Failures are remembered for a day after the last one; a success forgets them at once.
        await r.expire(_key("login-fail", email), 86400)
        lock = lockout_seconds(failures)
        if lock:
            await r.set(_key("login-lock", email), "1", px=int(lock * 1000))
            log.warning("login locked for %.0f s after %d failures", lock, failures)
    except (RedisError, OSError, asyncio.TimeoutError) as exc:
        log.warning("login failure not counted: Redis unavailable (%s)", exc)


async def login_succeeded(email: str) -> None:
    try:
        await client().delete(_key("login-fail", email), _key("login-lock", email))
    except (RedisError, OSError, asyncio.TimeoutError) as exc:
        log.warning("login failures not cleared: Redis unavailable (%s)", exc)
