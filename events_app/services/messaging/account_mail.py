"""Loading account outbox rows (kind password_reset) for their email: no event, no calendar part.

Called by services.messaging.notifications.compose() in the worker, which hands the result to
events_app.mail.compose.compose_password_reset_mail. The reset link is computed here from the stored nonce (the token
itself is stored nowhere); a link already used or expired is still mailed as written, and simply answers 410 when
opened.
"""

from __future__ import annotations

from events_app.db import queries
from events_app.domain.security import password_reset_token
from events_app.mail.compose import PasswordResetMail
from events_app.settings import Settings

Q = queries.load(__file__)
ACCOUNT_KINDS = frozenset({"password_reset"})


async def load(row: dict, settings: Settings) -> PasswordResetMail:
    """What one account message shows: the account's name and the reset link (live or the plain form)."""
    payload = queries.json_value(row.get("payload")) or {}
    reset = await Q.password_reset_for_mail(reset_id=payload["reset_id"])
    if reset is None:  # replaced by a newer request: that one's message carries the live link
        nonce, name = "", ""
    else:
        nonce, name = reset["token_nonce"], reset["name"]
    link = (
        f"{settings.public_url}/password-reset/{password_reset_token(settings.secret_key, nonce)}"
        if nonce
        else f"{settings.public_url}/password-reset"
    )
    return PasswordResetMail(
        outbox_id=row["id"],
        kind=row["kind"],
        language=row["language"] or "en",
        recipient=row["recipient"],
        name=name,
        reset_url=link,
        live=bool(nonce),
    )
