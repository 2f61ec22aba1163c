from datetime import datetime, timedelta, timezone

import pytest

from events_app.domain.errors import Conflict, InvalidInput
from events_app.domain.registration import (
    Seats,
    Waiting,
    check_delegation_seat,
    check_eligibility,
    check_quota,
    check_registration_open,
    initial_status,
    plan_promotions,
    status_after_approval,
)

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


def test_initial_status_confirmed_pending_and_waitlisted():
    assert initial_status(Seats(None, 0, 1, 0), requires_approval=False) == "confirmed"
    assert initial_status(Seats(None, 0, 1, 0), requires_approval=True) == "pending"
    assert initial_status(Seats(None, 0, 1, 1), requires_approval=False) == "waitlisted"
    assert initial_status(Seats(None, 0, 1, 1), requires_approval=True) == "pending"


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


def test_status_after_approval_never_exceeds_the_quota():
    assert (status_after_approval(Seats(5, 4, 2, 1)), status_after_approval(Seats(5, 4, 2, 2))) == (
        "confirmed",
        "waitlisted",
    )


def test_plan_promotions_fills_free_seats_in_order_across_categories():
    waitlist = [Waiting(1, 10), Waiting(2, 20), Waiting(3, 10), Waiting(4, 20)]
    # category 10 is full, category 20 has two seats, the event has room for only one more
    assert plan_promotions(100, 99, {10: (5, 5), 20: (3, 1)}, waitlist) == [2]
    assert plan_promotions(None, 0, {10: (5, 4), 20: (3, 1)}, waitlist) == [1, 2, 4]


def test_plan_promotions_without_free_seats_is_empty():
    assert plan_promotions(2, 2, {10: (None, 2)}, [Waiting(1, 10)]) == []


@pytest.mark.parametrize(
    ("eligibility", "kind", "membership", "unlocked", "field"),
    [
        ("members", None, None, False, "organization_id"),
        ("members", "ngo", "none", False, "organization_id"),
        ("members", "city", "lapsed", False, "organization_id"),
        ("partners", "city", "active", False, "organization_id"),
        ("invitation", "city", "active", False, "invitation"),
    ],
)
def test_check_eligibility_refuses(eligibility, kind, membership, unlocked, field):
    with pytest.raises(InvalidInput) as exc:
        check_eligibility(eligibility, kind, membership, unlocked)
    assert exc.value.errors[0].field == field


@pytest.mark.parametrize(
    ("eligibility", "kind", "membership", "unlocked"),
    [
        ("anyone", None, None, False),
        ("members", "city", "active", False),
        ("members", "region", "active", False),
        ("partners", "international_agency", "none", False),
        ("invitation", None, None, True),
        ("members", "company", "none", True),
    ],
)
def test_check_eligibility_admits(eligibility, kind, membership, unlocked):
    check_eligibility(eligibility, kind, membership, unlocked)


def test_check_quota_below_taken_names_quota():
    with pytest.raises(InvalidInput) as exc:
        check_quota(3, 4)
    assert exc.value.errors[0].field == "quota"


def test_delegation_seat_full_is_conflict():
    with pytest.raises(Conflict):
        check_delegation_seat(3, 3)
    check_delegation_seat(3, 2)


def test_seat_free_is_the_one_capacity_check():
    from events_app.domain.registration import limit_below_taken, seat_free, seats_left

    assert (seat_free(None, 10**6), seat_free(3, 2), seat_free(3, 3), seat_free(0, 0)) == (True, True, False, False)
    assert (seats_left(None, 4), seats_left(5, 2), seats_left(5, 7)) == (None, 3, 0)
    assert (limit_below_taken(None, 9), limit_below_taken(4, 4), limit_below_taken(3, 4)) == (False, False, True)


def test_an_event_is_full_when_its_capacity_or_every_category_is():
    from events_app.domain.registration import event_full

    assert event_full(0, [3, None]) is True
    assert event_full(None, [0, 0]) is True
    assert event_full(None, [0, None]) is False
    assert event_full(None, []) is False
    assert event_full(5, [0, 1]) is False
