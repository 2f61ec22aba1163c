"""Password rules for organizer accounts: a minimum length and no common password. Pure.

The common passwords are zxcvbn's list (the 30,000 most frequent passwords of public leaks, shipped as a Python
module in the `zxcvbn` package, pinned in pyproject.toml), so no file is read at run time.
"""

from __future__ import annotations

import functools

from events_app.domain.errors import FieldError

MAX_LENGTH = 500


@functools.cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def _variants(password: str) -> set[str]:
    """The password, lowercased, and without the digits and punctuation people tack on ('password2026!')."""
    lowered = password.lower()
    stem = lowered.rstrip("0123456789!@#$%^&*()-_=+.?,;: ")
    return {lowered, stem} if len(stem) >= 4 else {lowered}


def password_problems(
    password: str, min_length: int, field: str = "password", email: str | None = None
) -> list[FieldError]:
    """What is wrong with a new password, in words an organizer understands; [] if it may be used."""
    if len(password) < min_length:
        return [
            FieldError(
                field, f"must be at least {min_length} characters long; a few unrelated words make a good password"
            )
        ]
    if len(password) > MAX_LENGTH:
        return [FieldError(field, f"must be at most {MAX_LENGTH} characters long")]
    if len(set(password)) <= 2:
        return [FieldError(field, "is too easy to guess: it repeats the same characters")]
    if _variants(password) & common_passwords():
        return [FieldError(field, "is one of the most common passwords and would be guessed quickly; choose another")]
    if email and password.lower() in {email.lower(), email.split("@")[0].lower()}:
        return [FieldError(field, "must not be your email address")]
    return []
