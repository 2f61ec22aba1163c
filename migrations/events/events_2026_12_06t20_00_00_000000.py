"""Check-in: a device's scan id is unique per check-in account, not per event.

A replayed offline batch changes nothing twice because a scan comes back with the same device name and scan id.
Both are what the desk's browser sends, so another check-in account of the event could send a victim desk's
device name with the scan ids it will use, and the desk's real scans were then taken for replays of those (and
got their answers). The replay key now includes the account that sent the scan: a scan id is only ever matched
against the same account's earlier scans. (An account deleted later leaves its scans with no account; NULLS NOT
DISTINCT keeps those unique too.)
"""
from events_app.db.raw_migration import statements_migration

ID = "2026-12-06T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "check-in scan ids unique per account"

STATEMENTS = [
    "ALTER TABLE checkin_scan DROP CONSTRAINT checkin_scan_event_device_scan_id_key",
    "ALTER TABLE checkin_scan ADD CONSTRAINT checkin_scan_replay UNIQUE NULLS NOT DISTINCT"
    " (event, account, device, scan_id)",
]


async def forwards():
    return statements_migration(ID, "events", DESCRIPTION, STATEMENTS)
