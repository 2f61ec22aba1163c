"""The one rule for text people type: what may be in a name, a title, a subject (one line) or a description (many
lines), written once and applied by every way in (API, pages, imports) and by the migration that repaired stored
values. Pure.

Single-line text (names, titles, subjects, places): no control character at all, i.e. nothing of Unicode category
Cc (U+0000-U+001F, U+007F-U+009F: NUL, tab, CR, LF, DEL, NEL...) and neither U+2028 LINE SEPARATOR nor U+2029
PARAGRAPH SEPARATOR; NFC-normalised and trimmed. Such a value can go into a mail header, a CSV row or an iCalendar
property without breaking it.

Multi-line text (descriptions, abstracts, announcement bodies, minutes): line feed and tab are allowed; CRLF, a lone
CR and U+2028/U+2029 become a line feed; every other control character is refused; NFC-normalised, trailing
whitespace of the whole text removed.

Typed input that breaks the rule is refused (422 naming the field): the person sees what was wrong and can fix it.
Files someone else produced (schedule imports) and values stored before the rule are repaired instead (`repair_*`):
each run of forbidden characters becomes one space.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from events_app.domain.errors import FieldError, InvalidInput

# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F; the separators are Zl and Zp.
# Control characters, line and paragraph separators, and the bidirectional embeddings, overrides and isolates
# (U+202A-202E, U+2066-2069) that make a name read as another in lists and exports (left-to-right and
# right-to-left marks stay: Arabic and Hebrew names use them).
LINE_FORBIDDEN = "\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
TEXT_FORBIDDEN = "\x00-\x08\x0b-\x1f\x7f-\x9f"  # after line ends are normalised: tab and LF stay
_LINE_BAD = re.compile(f"[{LINE_FORBIDDEN}]")
_LINE_BAD_RUN = re.compile(f"[{LINE_FORBIDDEN}]+")
_TEXT_BAD = re.compile(f"[{TEXT_FORBIDDEN}]")
_TEXT_BAD_RUN = re.compile(f"[{TEXT_FORBIDDEN}]+")
_LINE_ENDS = re.compile("\r\n|[\r\u2028\u2029]")

LINE_MESSAGE = "must be a single line: remove line breaks, tabs and other invisible control characters"
TEXT_MESSAGE = "contains invisible control characters: remove them (line breaks and tabs are fine)"


class TextRefused(ValueError):
    """The value breaks the rule; its message says how to fix it."""


def clean_line(value: str) -> str:
    """Single-line text, NFC-normalised and trimmed; TextRefused if it holds a control character."""
    if _LINE_BAD.search(value):
        raise TextRefused(LINE_MESSAGE)
    return unicodedata.normalize("NFC", value).strip()


def clean_text(value: str) -> str:
    """Multi-line text with LF line ends, NFC-normalised, trailing whitespace removed; TextRefused if it holds a
    control character other than LF and tab."""
    value = _LINE_ENDS.sub("\n", value)
    if _TEXT_BAD.search(value):
        raise TextRefused(TEXT_MESSAGE)
    return unicodedata.normalize("NFC", value).rstrip()


def one_line(value: str) -> str:
    """The value with each run of forbidden characters replaced by one space, nothing else changed (mail headers)."""
    return _LINE_BAD_RUN.sub(" ", value)


def repair_line(value: str) -> str:
    """What clean_line would accept: each run of forbidden characters becomes one space (imports, stored data)."""
    return unicodedata.normalize("NFC", one_line(value)).strip()


def repair_text(value: str) -> str:
    """What clean_text would accept: line ends normalised, each run of other control characters one space."""
    return unicodedata.normalize("NFC", _TEXT_BAD_RUN.sub(" ", _LINE_ENDS.sub("\n", value))).rstrip()


def is_line(value: str) -> bool:
    return _LINE_BAD.search(value) is None


def text_errors(
    fields: Mapping[str, Any], lines: Iterable[str] = (), texts: Iterable[str] = (), prefix: str = ""
) -> tuple[dict[str, Any], list[FieldError]]:
    """The fields with their text cleaned, and an error for each one that breaks the rule.

    Only fields present and holding a string are looked at; `prefix` names nested fields (e.g. 'people[0].').
    """
    cleaned = dict(fields)
    errors: list[FieldError] = []
    for names, clean in ((lines, clean_line), (texts, clean_text)):
        for name in names:
            value = fields.get(name)
            if not isinstance(value, str):
                continue
            try:
                cleaned[name] = clean(value)
            except TextRefused as exc:
                errors.append(FieldError(prefix + name, str(exc)))
    return cleaned, errors


def clean_fields(
    fields: Mapping[str, Any], lines: Iterable[str] = (), texts: Iterable[str] = (), prefix: str = ""
) -> dict[str, Any]:
    """The fields with their text cleaned; InvalidInput (422) naming every field that breaks the rule."""
    cleaned, errors = text_errors(fields, lines, texts, prefix)
    if errors:
        raise InvalidInput(errors)
    return cleaned


def clean_items(values: Iterable[Any], field: str) -> list[Any]:
    """A list of single-line strings (e.g. a question's options), each cleaned; errors name 'field[i]'."""
    out: list[Any] = []
    errors: list[FieldError] = []
    for i, value in enumerate(values):
        if isinstance(value, str):
            try:
                value = clean_line(value)
            except TextRefused as exc:
                errors.append(FieldError(f"{field}[{i}]", str(exc)))
        out.append(value)
    if errors:
        raise InvalidInput(errors)
    return out


def fold(value: str) -> str:
    """Text for searching: accents and case dropped ('Malmö' and 'MALMO' both give 'malmo'). Pure."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


_BLANK_LINES = re.compile(r"\n[ \t]*\n+")


def paragraphs(value: str) -> list[str]:
    """Text split into its paragraphs at blank lines, whatever line endings it arrived with. Pure."""
    text = _LINE_ENDS.sub("\n", value or "").strip()
    return [p.strip() for p in _BLANK_LINES.split(text) if p.strip()] if text else []
