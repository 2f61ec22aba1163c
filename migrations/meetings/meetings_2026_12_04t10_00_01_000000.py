# replies: fill the reply nonce of invitations made before reply addresses existed, and index the inbound log by
# series for the coordinators' list.
"""Reply nonces for existing invitees (a person's rows of one series share one, so a re-invite keeps the
ORGANIZER address) and the inbound log's index. reply_hash stays NULL until an invite carrying the token is sent:
the token needs SECRET_KEY, which migrations do not read."""

from events_app.db.raw_migration import statements_migration

ID = "2026-12-04T10:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "reply nonces of existing invitees; inbound replies by series"

STATEMENTS = [
    "UPDATE meeting_invitee i SET reply_nonce = (SELECT f.token_nonce FROM meeting_invitee f"
    " WHERE f.series = i.series AND f.person = i.person ORDER BY f.id LIMIT 1) WHERE reply_nonce = ''",
    "CREATE INDEX meeting_inbound_reply_by_series ON meeting_inbound_reply (series, received_at)",
    "UPDATE meeting_inbound_reply r SET series = s.id FROM meeting_series s"
    " WHERE r.series IS NULL AND r.calendar_uid = s.calendar_uid::text",
]


async def forwards():
    return statements_migration(ID, "meetings", DESCRIPTION, STATEMENTS)
