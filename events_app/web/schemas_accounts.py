"""Request bodies of the account routes: password change and reset."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from events_app.web.schemas import Strict

Password = Annotated[str, Meta(max_length=500)]


class PasswordChangeIn(Strict):
    current_password: Password
    new_password: Annotated[str, Meta(max_length=500, description="at least 12 characters, not a common password")]


class PasswordChangeOut(Strict):
    other_sessions_ended: int


class PasswordResetRequestIn(Strict):
    email: Annotated[str, Meta(max_length=320)]
    language: Literal["en", "es"] = "en"


class PasswordResetIn(Strict):
    token: Annotated[str, Meta(max_length=200, description="from the emailed link: /password-reset/{token}")]
    password: Annotated[str, Meta(max_length=500, description="at least 12 characters, not a common password")]
