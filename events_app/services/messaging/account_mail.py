"""Rendering account outbox rows (kind password_reset) into emails: no event, no calendar part.

Called by services.messaging.notifications.compose() in the worker. The reset link is computed here from the stored
nonce (the token itself is stored nowhere); a link already used or expired is still mailed as written, and simply
answers 410 when opened.
"""

from __future__ import annotations

import json
from email.headerregistry import Address

from events_app.db import sql
from events_app.domain.security import password_reset_token
from events_app.mail.message import build_message
from events_app.mail.render import render
from events_app.settings import Settings

ACCOUNT_KINDS = frozenset({"password_reset"})


async def compose(row: dict, settings: Settings) -> tuple[bytes, str, str]:
    """(message bytes, sender address, Message-ID) for one account message."""
    payload = row.get("payload") or {}
    payload = json.loads(payload) if isinstance(payload, str) else payload
    reset = await sql.fetchrow(
        """SELECT r.token_nonce, a.name FROM password_reset r JOIN account a ON a.id = r.account
           WHERE r.id = $1""",
        payload["reset_id"],
    )
    if reset is None:  # replaced by a newer request: that one's message carries the live link
        nonce, name = "", ""
    else:
        nonce, name = reset["token_nonce"], reset["name"]
    link = (
        f"{settings.public_url}/password-reset/{password_reset_token(settings.secret_key, nonce)}"
        if nonce
        else f"{settings.public_url}/password-reset"
    )
    language = row["language"] or "en"
    rendered = render(
        row["kind"],
        language,
        {
            "name": name,
            "reset_url": link,
            "live": bool(nonce),
            "minutes": settings.password_reset_minutes,
            "sender_name": settings.mail_from_name,
            "language": language,
            "subject": "",
        },
    )
    domain = settings.mail_from.rsplit("@", 1)[-1]
    message_id = f"<outbox-{row['id']}@{domain}>"
    sender = Address(display_name=settings.mail_from_name, addr_spec=settings.mail_from)
    data = build_message(
        rendered=rendered, sender=sender, recipient=row["recipient"], recipient_name=name, message_id=message_id
    )
    return data, settings.mail_from, message_id
