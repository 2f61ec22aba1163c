"""How deeply a JSON document nests, found without parsing it (so without recursion). Pure.

Decoding a document nested thousands of levels deep exhausts the interpreter's recursion limit (msgspec and the
json module both raise RecursionError); no request of this service needs more than a few levels. The scan reads
strings, brackets and the keys of the top-level object only, in one pass over the bytes.
"""

from __future__ import annotations

import re

MAX_JSON_DEPTH = 32  # the deepest legitimate body (a session with people, an answer list) nests 3-4 levels
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"\s*:?|[\[\]{}]', re.DOTALL)


def too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> str | None:
    """None when no array or object in `raw` nests deeper than `limit`; otherwise the field whose value does:
    the top-level key (e.g. 'answers'), or 'body' when the document itself is the deep part."""
    if raw.count(b"[") + raw.count(b"{") <= limit:  # cannot nest deeper than it has brackets
        return None
    depth = 0
    key: str | None = None
    for match in _TOKEN.finditer(raw):
        token = match.group()
        first = token[:1]
        if first in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return key or "body"
        elif first in (b"]", b"}"):
            depth -= 1
            if depth <= 1:
                key = None if depth < 1 else key
        elif depth == 1 and token.endswith(b":"):
            key = _key(token)
    return None


def _key(token: bytes) -> str:
    text = token.rstrip(b": \t\r\n")[1:-1]
    try:
        return text.decode("utf-8")[:60] or "body"
    except UnicodeDecodeError:
        return "body"
