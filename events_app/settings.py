"""Settings read once from the environment.

Every process (API, worker, beat, tests) reads the same variables, so one `.env` or compose file configures all.
"""

from __future__ import annotations

import functools
import ipaddress
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused when APP_ENV=production


class SettingsError(RuntimeError):
    """The environment asks for something the service refuses to run with."""


@dataclass(frozen=True)
class Settings:
    env: str
    database_url: str
    redis_url: str
    smtp_url: str
    secret_key: str
    public_url: str
    mail_from: str
    mail_from_name: str
    demo_password: str
    outbox_sweep_seconds: float
    outbox_batch_size: int
    outbox_lease_seconds: float
    outbox_retry_base_seconds: float
    db_pool_size: int
    # A request waits at most this long for a pooled connection (then 503 + Retry-After), and a statement at most
    # db_command_timeout: nothing waits without end on a database that went away.
    db_acquire_timeout: float
    db_command_timeout: float
    debug: bool
    privacy_policy_version: str = "1"
    retention_days: int = 365
    # Abuse limits, "COUNT/SECONDS" per window (0/… or empty: off); counters live in Redis, shared by every process.
    limit_login_ip: str = "20/60"
    limit_register_ip: str = "300/60"
    limit_register_email: str = "5/3600"
    limit_resend_ip: str = "10/60"
    limit_resend_email: str = "3/3600"
    limit_person_link_ip: str = "10/60"  # requests for a person's access link (export, erase, profile)
    limit_person_link_email: str = "3/3600"
    login_lockout_after: int = 5
    login_lockout_base_seconds: float = 30
    login_lockout_max_seconds: float = 3600
    # The mailbox whose plus-addresses (local+r<token>@domain) receive iMIP REPLYs; empty: each project's organizer
    # address, else MAIL_FROM. Set it when one inbound route serves every project.
    reply_mailbox: str = ""
    # Password reset requests, like the other limits.
    limit_reset_ip: str = "10/60"
    limit_reset_email: str = "3/3600"
    # Check-in lookups (scans, name searches, synced batches) per staff account and per client address; unknown
    # codes per account (a forged code is refused: many in a row is someone guessing).
    limit_checkin_account: str = "600/60"
    limit_checkin_ip: str = "1200/60"
    limit_checkin_unknown: str = "60/600"
    # Certificates: verification lookups per client, and certificate emails a delegate may ask for per registration.
    limit_certificate_ip: str = "30/60"
    limit_certificate_mail: str = "3/3600"
    # Addresses (or networks) of reverse proxies whose X-Forwarded-For names the client; empty: none is trusted and
    # the header is ignored (the peer of the TCP connection is the client).
    trusted_proxies: str = ""
    # Connections to Redis for the limits per API process; a request waits this long for one before it is refused
    # with 503 (a busy pool is not an outage: the limits are skipped only when Redis cannot be reached).
    limits_pool_size: int = 50
    limits_pool_wait_seconds: float = 2.0
    # Outbound SMTP over TLS checks the server's certificate and name; false only for a local relay.
    smtp_tls_verify: bool = True
    # SMTP connections one worker process keeps to the server: its messages' transactions overlap on them, their
    # ends still one at a time in outbox order (workers/delivery.py). 1 for a relay that allows one per client.
    smtp_connections: int = 2
    # How much lower a Celery worker's CPU priority is than the API's (nice): mail waits for requests, not they for it.
    worker_nice: int = 5
    password_min_length: int = 12
    password_reset_minutes: int = 30

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return parse_networks(self.trusted_proxies)

    @property
    def https(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def smtp_host(self) -> str:
        return urlsplit(self.smtp_url).hostname or "127.0.0.1"

    @property
    def smtp_port(self) -> int:
        return urlsplit(self.smtp_url).port or 25

    @property
    def smtp_credentials(self) -> tuple[str, str] | None:
        parts = urlsplit(self.smtp_url)
        if parts.username:
            return parts.username, parts.password or ""
        return None

    @property
    def smtp_starttls(self) -> bool:
        return urlsplit(self.smtp_url).scheme == "smtp+starttls"

    @property
    def smtp_ssl(self) -> bool:
        return urlsplit(self.smtp_url).scheme == "smtps"

    def check_production(self) -> None:
        """Refuse to serve real people with development shortcuts."""
        if not self.production:
            return
        if self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32:
            raise SettingsError("SECRET_KEY must be set to a random value of at least 32 characters in production")
        if self.debug:
            raise SettingsError("DEBUG must be off in production")
        if self.reply_mailbox and "@" not in self.reply_mailbox.strip("@"):
            raise SettingsError("REPLY_MAILBOX must be an email address such as events@example.org")


@functools.lru_cache(maxsize=8)
def parse_networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """'10.0.0.5, 192.168.0.0/16' -> the networks; SettingsError naming an entry that is not an address."""
    networks = []
    for item in (spec or "").replace(" ", ",").split(","):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise SettingsError(
                f"TRUSTED_PROXIES: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def load_settings() -> Settings:
    return Settings(
        env=_env("APP_ENV", "development"),
        database_url=_env("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/events"),
        redis_url=_env("REDIS_URL", "redis://127.0.0.1:6379/0"),
        smtp_url=_env("SMTP_URL", "smtp://127.0.0.1:1025"),
        secret_key=_env("SECRET_KEY", DEFAULT_SECRET),
        public_url=_env("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        mail_from=_env("MAIL_FROM", "events@example.org"),
        mail_from_name=_env("MAIL_FROM_NAME", "Congress Team"),
        demo_password=_env("DEMO_PASSWORD", "congress-demo"),
        outbox_sweep_seconds=float(_env("OUTBOX_SWEEP_SECONDS", "30")),
        outbox_batch_size=int(_env("OUTBOX_BATCH_SIZE", "50")),
        outbox_lease_seconds=float(_env("OUTBOX_LEASE_SECONDS", "300")),
        outbox_retry_base_seconds=float(_env("OUTBOX_RETRY_BASE_SECONDS", "30")),
        db_pool_size=int(_env("DB_POOL_SIZE", "10")),
        db_acquire_timeout=float(_env("DB_ACQUIRE_TIMEOUT", "15")),
        db_command_timeout=float(_env("DB_COMMAND_TIMEOUT", "60")),
        debug=_env("DEBUG", "0").lower() in {"1", "true", "yes"},
        privacy_policy_version=_env("PRIVACY_POLICY_VERSION", "1"),
        retention_days=int(_env("RETENTION_DAYS", "365")),
        limit_login_ip=_env("RATE_LIMIT_LOGIN_PER_IP", "20/60"),
        limit_register_ip=_env("RATE_LIMIT_REGISTER_PER_IP", "300/60"),
        limit_register_email=_env("RATE_LIMIT_REGISTER_PER_EMAIL", "5/3600"),
        limit_resend_ip=_env("RATE_LIMIT_RESEND_PER_IP", "10/60"),
        limit_resend_email=_env("RATE_LIMIT_RESEND_PER_EMAIL", "3/3600"),
        limit_person_link_ip=_env("RATE_LIMIT_PERSON_LINK_PER_IP", "10/60"),
        limit_person_link_email=_env("RATE_LIMIT_PERSON_LINK_PER_EMAIL", "3/3600"),
        login_lockout_after=int(_env("LOGIN_LOCKOUT_AFTER", "5")),
        login_lockout_base_seconds=float(_env("LOGIN_LOCKOUT_BASE_SECONDS", "30")),
        login_lockout_max_seconds=float(_env("LOGIN_LOCKOUT_MAX_SECONDS", "3600")),
        limit_reset_ip=_env("RATE_LIMIT_PASSWORD_RESET_PER_IP", "10/60"),
        limit_reset_email=_env("RATE_LIMIT_PASSWORD_RESET_PER_EMAIL", "3/3600"),
        limit_checkin_account=_env("RATE_LIMIT_CHECKIN_PER_ACCOUNT", "600/60"),
        limit_checkin_ip=_env("RATE_LIMIT_CHECKIN_PER_IP", "1200/60"),
        limit_checkin_unknown=_env("RATE_LIMIT_CHECKIN_UNKNOWN_PER_ACCOUNT", "60/600"),
        limit_certificate_ip=_env("RATE_LIMIT_CERTIFICATE_PER_IP", "30/60"),
        limit_certificate_mail=_env("RATE_LIMIT_CERTIFICATE_MAIL_PER_REGISTRATION", "3/3600"),
        trusted_proxies=_env("TRUSTED_PROXIES", ""),
        limits_pool_size=int(_env("RATE_LIMIT_REDIS_CONNECTIONS", "50")),
        limits_pool_wait_seconds=float(_env("RATE_LIMIT_REDIS_WAIT_SECONDS", "2")),
        smtp_tls_verify=_env("SMTP_TLS_VERIFY", "true").lower() not in {"0", "false", "no", "off"},
        smtp_connections=max(1, int(_env("SMTP_CONNECTIONS", "2"))),
        worker_nice=max(0, min(19, int(_env("WORKER_NICE", "5")))),
        password_min_length=int(_env("PASSWORD_MIN_LENGTH", "12")),
        password_reset_minutes=int(_env("PASSWORD_RESET_MINUTES", "30")),
        reply_mailbox=_env("REPLY_MAILBOX", "").lower(),
    )


@functools.cache
def get_settings() -> Settings:
    return load_settings()
