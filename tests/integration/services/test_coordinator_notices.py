"""A coordinator's notice whose series, person or account is gone is given up, never sent empty."""

import pytest

from events_app.services.meetings import coordinator_notices
from events_app.settings import get_settings


async def test_a_notice_about_rows_gone_meanwhile_is_given_up(db):
    row = {
        "id": 1,
        "kind": coordinator_notices.REPLY_UNPLACED,
        "language": "en",
        "recipient": "coordinator@city.example.org",
        "payload": {"series_id": 404, "person_id": 404, "account_id": 404},
    }
    with pytest.raises(LookupError):
        await coordinator_notices.load(row, get_settings())
    with pytest.raises(LookupError):
        await coordinator_notices.load({**row, "payload": {}}, get_settings())
