"""Abuse limits: fixed-window counters and login lockout, kept in Redis so every API process shares them.

A counter is one Lua call (INCR, then PEXPIRE on the first hit of a window). Targets such as email addresses are
hashed before they become keys, so Redis holds no personal data.

Redis trouble comes in two kinds, told apart by redis_unreachable(). When Redis cannot be reached at all (the
connection is refused or cannot be opened) the limits are skipped and the failure logged: an outage of the limiter
must not stop registrations. When Redis is only busy (every pooled connection in use, or a slow answer), the limits
still hold: the request waits for a connection up to RATE_LIMIT_REDIS_WAIT_SECONDS and is then refused with 503,
so a flood cannot switch the limits off by keeping the limiter busy.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from events_app.domain.errors import ServiceUnavailable, TooManyRequests
from events_app.settings import get_settings

log = logging.getLogger(__name__)
PREFIX = "limit"
T = TypeVar("T")

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
    """One client per event loop (redis.asyncio connections belong to the loop that opened them), over a bounded
    pool: a request waits for a free connection rather than opening one more without end."""
    global _client
    loop = asyncio.get_running_loop()
    if _client is None or _client[0] is not loop:
        settings = get_settings()
        pool = aioredis.BlockingConnectionPool.from_url(
            settings.redis_url,
            max_connections=settings.limits_pool_size,
            timeout=settings.limits_pool_wait_seconds,
            socket_timeout=settings.limits_pool_wait_seconds,
            socket_connect_timeout=0.5,
            health_check_interval=30,
        )
        _client = (loop, aioredis.Redis(connection_pool=pool))
    return _client[1]


def redis_unreachable(exc: BaseException) -> bool:
    """True when Redis could not be reached (connection refused, reset or not opened in time); False when it was
    merely busy: no pooled connection came free in time, or an open connection answered too slowly."""
    if isinstance(exc, RedisTimeoutError):
        return "connecting" in str(exc)
    if isinstance(exc, RedisConnectionError):
        return not isinstance(exc.__cause__, asyncio.TimeoutError) and "No connection available" not in str(exc)
    return isinstance(exc, OSError) and not isinstance(exc, asyncio.TimeoutError)


async def _guarded(what: str, call: Callable[[], Awaitable[T]], skipped: T) -> T:
    """Run one Redis call for the limits: `skipped` (and a warning in the log) when Redis is unreachable, 503 with
    Retry-After when it is busy, so that no request passes unchecked because the limiter was kept busy."""
    try:
        return await call()
    except (TimeoutError, RedisError, OSError) as exc:
        if redis_unreachable(exc):
            log.warning("%s skipped: Redis unreachable (%s)", what, exc)
            return skipped
        log.warning("%s refused: Redis busy (%s: %s)", what, type(exc).__name__, exc)
        raise ServiceUnavailable("the service is busy; please try again in a moment", retry_after=1) from exc


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
    counted = [(kind, target, limit, what) for kind, target, spec, what in checks if (limit := parse(spec)) is not None]
    if not counted:
        return
    result = await _guarded(
        f"rate limits {', '.join(c[0] for c in counted)}",
        lambda: _windows_script()(
            keys=[_key(kind, target) for kind, target, _, _ in counted],
            args=[int(seconds * 1000) for _, _, (_, seconds), _ in counted],
        ),
        None,
    )
    if result is None:
        return
    for (_, _, (count, _), what), n, ttl_ms in zip(counted, result[::2], result[1::2], strict=True):
        if int(n) > count:
            wait = max(1, math.ceil(int(ttl_ms) / 1000))
            raise TooManyRequests(f"too many {what}; try again in {wait} s", wait)


# --------------------------------------------------------------------------- login lockout
#
# Failures are counted per (email, client address): a stranger who keeps trying an owner's email from elsewhere
# locks only themselves out, while the owner can still log in from their own address. Guessing from many addresses
# is slowed by the per-address limit on every login attempt (abuse.login).


def _pair(email: str, client: str) -> str:
    return f"{email.strip().lower()}|{client}"


async def check_login(email: str, client_address: str) -> None:
    """429 while this email is locked for this client address after repeated failures (any email: locked or not
    reveals nothing about which accounts exist)."""
    key = _key("login-lock", _pair(email, client_address))
    ttl_ms = await _guarded("login lockout check", lambda: client().pttl(key), 0)
    if ttl_ms and ttl_ms > 0:
        wait = max(1, math.ceil(ttl_ms / 1000))
        raise TooManyRequests(f"too many failed logins for this account; try again in {wait} s", wait)


def lockout_seconds(failures: int) -> float:
    """Backoff after the n-th consecutive failure: none below the threshold, then base, 2×base, 4×base… capped."""
    s = get_settings()
    if s.login_lockout_after <= 0 or failures < s.login_lockout_after:
        return 0
    return min(s.login_lockout_base_seconds * 2 ** (failures - s.login_lockout_after), s.login_lockout_max_seconds)


async def login_failed(email: str, client_address: str) -> None:
    pair = _pair(email, client_address)

    async def count() -> None:
        r = client()
        failures = int(await r.incr(_key("login-fail", pair)))
        # Failures are remembered for a day after the last one; a success forgets them at once.
        await r.expire(_key("login-fail", pair), 86400)
        lock = lockout_seconds(failures)
        if lock:
            await r.set(_key("login-lock", pair), "1", px=int(lock * 1000))
            log.warning("login locked for one client address for %.0f s after %d failures", lock, failures)

    await _guarded("login failure count", count, None)


async def login_succeeded(email: str, client_address: str) -> None:
    pair = _pair(email, client_address)
    await _guarded(
        "login failure reset", lambda: client().delete(_key("login-fail", pair), _key("login-lock", pair)), None
    )
