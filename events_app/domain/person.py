"""The rules of a person's own fields (name, language, time zone), written once for every place a person is typed
in: a registration, a delegation's member or head, a pilot project's contact, the person's own profile. Pure.

A name follows the single-line text rule (domain.text: no line breaks or other control characters, NFC, trimmed),
is not empty and holds at most NAME_MAX characters; a language is one the service speaks; a time zone is an IANA
name or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from events_app.domain.errors import FieldError
from events_app.domain.text import text_errors
from events_app.domain.vocab import LANGUAGES, is_time_zone

NAME_MAX = 200
PERSON_FIELDS = ("name", "language", "timezone")


def person_field_errors(
    data: Mapping[str, Any], fields: Iterable[str] = PERSON_FIELDS, prefix: str = ""
) -> tuple[dict[str, Any], list[FieldError]]:
    """`fields` of `data` cleaned (a missing name reads as empty, a missing time zone as none), and an error for
    each one that breaks its rule; `prefix` names nested fields (e.g. 'contacts[0].')."""
    cleaned: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field in fields:
        value = data.get(field)
        if field == "name":
            text, problems = text_errors({"name": str(value or "")}, ("name",), prefix=prefix)
            errors.extend(problems)
            cleaned["name"] = text["name"]
            if problems:
                continue
            if not cleaned["name"]:
                errors.append(FieldError(f"{prefix}name", "must not be empty"))
            elif len(cleaned["name"]) > NAME_MAX:
                errors.append(FieldError(f"{prefix}name", f"must be at most {NAME_MAX} characters"))
        elif field == "language":
            cleaned["language"] = value
            if value not in LANGUAGES:
                errors.append(FieldError(f"{prefix}language", f"must be one of {', '.join(LANGUAGES)}"))
        elif field == "timezone":
            cleaned["timezone"] = value or None
            if value and not (isinstance(value, str) and is_time_zone(value)):
                errors.append(
                    FieldError(
                        f"{prefix}timezone",
                        f"unknown time zone {value!r}: use an IANA name such as 'Asia/Seoul', or leave it empty",
                    )
                )
        else:
            raise ValueError(f"not a person field: {field}")
    return cleaned, errors
