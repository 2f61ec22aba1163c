from datetime import datetime, timedelta, timezone

import pytest

from events_app.domain.errors import Conflict
from events_app.domain.registration import Seats, check_registration_open, initial_status

NOW = datetime(2027, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("seats", "expected"),
    [
        (Seats(None, 0, None, 0), True),
        (Seats(10, 9, None, 0), True),
        (Seats(10, 10, None, 0), False),
        (Seats(None, 0, 5, 5), False),
        (Seats(10, 3, 5, 4), True),
        (Seats(10, 10, 50, 4), False),
    ],
)
def test_seats_available(seats, expected):
    assert seats.available is expected


def test_initial_status_confirmed_pending_and_full():
    assert initial_status(Seats(None, 0, 1, 0), requires_approval=False) == "confirmed"
    assert initial_status(Seats(None, 0, 1, 0), requires_approval=True) == "pending"
    with pytest.raises(Conflict) as exc:
        initial_status(Seats(None, 0, 1, 1), requires_approval=False)
    assert exc.value.errors[0].field == "category"


@pytest.mark.parametrize(
    ("status", "opens", "closes"),
    [
        ("draft", None, None),
        ("cancelled", None, None),
        ("published", NOW + timedelta(hours=1), None),
        ("published", None, NOW),
    ],
)
def test_check_registration_open_refuses(status, opens, closes):
    with pytest.raises(Conflict):
        check_registration_open(status, opens, closes, NOW)


def test_check_registration_open_within_window():
    check_registration_open("published", NOW - timedelta(days=1), NOW + timedelta(days=1), NOW)
