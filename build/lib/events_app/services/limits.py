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
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from events_app.domain.errors import TooManyRequests
from events_app.settings import get_settings

log = logging.getLogger(__name__)
PREFIX = "limit"

# Every key given is counted in its own window (ARGV[i] ms); returns n1, ttl1, n2, ttl2, ...
_WINDOWS = """
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if n == 1 or ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[i])
    ttl = tonumber(ARGV[i])
  end
  out[#out + 1] = n
  out[#out + 1] = ttl
end
return out
"""

_client: tuple[asyncio.AbstractEventLoop, aioredis.Redis] | None = None
_windows: tuple[aioredis.Redis, Any] | None = None


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


def _windows_script():
    """The counting script, sent by its SHA (EVALSHA, loaded again if Redis forgot it)."""
    global _windows
    redis = client()
    if _windows is None or _windows[0] is not redis:
        _windows = (redis, redis.register_script(_WINDOWS))
    return _windows[1]


async def hit(*checks: tuple[str, str, str, str]) -> None:
    """Count one request against each (kind, target, limit spec, what) in one round trip; TooManyRequests (429,
    Retry-After) naming the first limit the request is over."""
    counted = [(kind, target, limit, what) for kind, target, spec, what in checks
               if (limit := parse(spec)) is not None]
    if not counted:
        return
    try:
        result = await _windows_script()(keys=[_key(kind, target) for kind, target, _, _ in counted],
                                         args=[int(seconds * 1000) for _, _, (_, seconds), _ in counted])
    except (RedisError, OSError, asyncio.TimeoutError) as exc:
        log.warning("rate limits %s skipped: Redis unavailable (%s)", ", ".join(c[0] for c in counted), exc)
        return
    for (_, _, (count, _), what), n, ttl_ms in zip(counted, result[::2], result[1::2]):
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
