"""Access logs without secrets: every link token (manage, view, feed, RSVP, unsubscribe, invitation, person links)
is a credential, and access logs are kept, shipped and read by more people than the database. A logging filter on
uvicorn's access logger rewrites the request path of each record before any handler formats it; the error logs of
the app use redact_path() too.

Two rules, so that routes added later are covered without a list to maintain: the segment after a known token
prefix is replaced, and so is any path segment or query value that looks like a generated secret (20 or more
URL-safe characters with a digit or an upper-case letter: base64url and hex tokens, never a word or slug).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

REDACTED = "[redacted]"
ACCESS_LOGGER = "uvicorn.access"

# Path prefixes whose next segment is a token, whatever it looks like.
TOKEN_PREFIXES = (
    "/manage/",
    "/view/",
    "/rsvp/",
    "/api/rsvp/",
    "/api/registrations/",
    "/api/my-agenda/",
    "/api/people/",
    "/api/projects/feeds/",
    "/api/unsubscribe/",
    "/my-data/",
    "/api/my-data/",
    "/me/",
    "/api/me/",
    "/certificates/",
    "/api/certificates/",
)
# Query parameters that carry a secret, whatever it looks like.
SECRET_PARAMS = frozenset({"token", "invitation", "code", "access_code", "key", "secret", "password", "link"})
_SECRET_LOOKING = re.compile(r"[A-Za-z0-9_\-=.~%]{20,}")
_HAS_DIGIT_OR_UPPER = re.compile(r"[0-9A-Z]")


def _looks_secret(value: str) -> bool:
    return bool(_SECRET_LOOKING.fullmatch(value)) and bool(_HAS_DIGIT_OR_UPPER.search(value))


def redact_path(target: str) -> str:
    """The request target (path and query) with every secret replaced by [redacted]."""
    path, sep, query = target.partition("?")
    segments = path.split("/")
    for prefix in TOKEN_PREFIXES:
        if path.startswith(prefix):
            index = prefix.count("/")  # the segment right after the prefix
            if index < len(segments) and segments[index] and not segments[index].isdigit():
                segments[index] = REDACTED
    segments = [REDACTED if _looks_secret(s) else s for s in segments]
    redacted = "/".join(segments)
    if sep:
        pieces = []
        for piece in query.split("&"):  # rewritten piece by piece: everything else stays byte for byte
            name, eq, value = piece.partition("=")
            if unquote_plus(name).lower() in SECRET_PARAMS or _looks_secret(unquote_plus(value or name)):
                piece = f"{name}={REDACTED}" if eq else REDACTED
            pieces.append(piece)
        redacted += "?" + "&".join(pieces)
    return redacted


class RedactTokens(logging.Filter):
    """Rewrites the request target in uvicorn's access records ('%s - "%s %s HTTP/%s" %d': client, method,
    target, version, status); any other string argument that is a path is redacted the same way."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_path(a) if isinstance(a, str) and a.startswith("/") else a for a in record.args)
        elif isinstance(record.msg, str) and record.msg.startswith("/"):
            record.msg = redact_path(record.msg)
        return True


def install() -> None:
    """Put the filter on uvicorn's access logger (once per process; create_app calls it)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
