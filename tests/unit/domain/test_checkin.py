"""The check-in rules: who may enter, which scan counts, what a device's clock may claim."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from events_app.domain.checkin import (
    DESKS_OPEN,
    CodeFacts,
    Outcome,
    Reason,
    SessionFacts,
    looks_like_code,
    normalize_name,
    outcome,
    registration_verdict,
    scan_time,
    session_verdict,
    takes_place,
)
from events_app.domain.security import checkin_token, manage_token

T = datetime(2027, 5, 12, 8, 41, tzinfo=timezone.utc)


def facts(**overrides) -> CodeFacts:
    values = {"event_id": 1, "status": "confirmed", "code_live": True, "erased": False, **overrides}
    return CodeFacts(**values)


@pytest.mark.parametrize(
    ("found", "reason"),
    [
        (facts(), Reason.NONE),
        (None, Reason.UNKNOWN),
        (facts(event_id=2), Reason.OTHER_EVENT),
        (facts(status="cancelled"), Reason.CANCELLED),
        (facts(status="pending"), Reason.NOT_CONFIRMED),
        (facts(status="waitlisted"), Reason.NOT_CONFIRMED),
        (facts(status="offered"), Reason.NOT_CONFIRMED),
        (facts(code_live=False), Reason.REPLACED),
        (facts(erased=True, status="cancelled"), Reason.ERASED),
        (facts(event_id=2, status="cancelled"), Reason.OTHER_EVENT),  # another event's state is not told
    ],
)
def test_registration_verdict_names_the_reason(found, reason):
    assert registration_verdict(found, 1) == reason


@pytest.mark.parametrize(
    ("session", "reason"),
    [
        (SessionFacts(False, None, 10, 10), Reason.NONE),  # no booking needed
        (SessionFacts(True, "booked", 10, 10), Reason.NONE),
        (SessionFacts(True, "waitlisted", 10, 10), Reason.NONE),
        (SessionFacts(True, None, 10, 9), Reason.NONE),  # a walk-in while places remain
        (SessionFacts(True, None, None, 500), Reason.NONE),
        (SessionFacts(True, None, 10, 10), Reason.NOT_BOOKED),
    ],
)
def test_session_verdict_admits_bookers_waiters_and_walk_ins_while_places_remain(session, reason):
    assert session_verdict(session) == reason


@pytest.mark.parametrize(
    ("session", "takes"),
    [
        (SessionFacts(False, None, 10, 3), False),  # no booking needed: nobody takes a place
        (SessionFacts(True, "booked", 10, 3), False),  # holds one already
        (SessionFacts(True, "waitlisted", 10, 10), False),  # admitted from the waiting list without one
        (SessionFacts(True, None, 10, 3), True),  # a walk-in
        (SessionFacts(True, None, None, 3), True),  # a walk-in into unlimited places still counts
    ],
)
def test_only_walk_ins_take_a_place_at_sessions_that_need_booking(session, takes):
    assert takes_place(session) is takes


def test_first_scan_wins_by_when_it_happened():
    assert outcome(Reason.NONE, None, T) == Outcome.ADMITTED
    assert outcome(Reason.NONE, T, T + timedelta(minutes=3)) == Outcome.DUPLICATE
    assert outcome(Reason.NONE, T, T) == Outcome.DUPLICATE  # the same instant: the one recorded first stays
    assert outcome(Reason.NONE, T, T - timedelta(minutes=3)) == Outcome.ADMITTED  # an earlier scan synced late
    assert outcome(Reason.CANCELLED, None, T) == Outcome.REFUSED


def test_scan_time_trusts_the_device_unless_it_claims_the_future():
    received = T + timedelta(hours=1)
    assert scan_time(T, received) == T
    assert scan_time(None, received) == received
    assert scan_time(received + timedelta(minutes=4), received) == received + timedelta(minutes=4)
    assert scan_time(received + timedelta(minutes=6), received) == received
    assert scan_time(datetime(2027, 5, 12, 8, 41), received) == received  # no zone: not believed


def test_check_in_code_has_256_bits_from_a_128_bit_nonce_and_its_own_purpose():
    nonce = "0123456789abcdef0123456789abcdef"
    code = checkin_token("secret", nonce)
    assert looks_like_code(code)
    assert code != manage_token("secret", nonce)
    assert code != checkin_token("other secret", nonce)
    assert not looks_like_code(code[:-1]) and not looks_like_code(code[:-1] + "!")


def test_names_compare_case_folded_with_accents_kept():
    assert normalize_name("  ЗОЯ   Łukasiewicz ") == "зоя łukasiewicz"
    assert normalize_name("Straße") == "strasse"
    assert normalize_name("José") != normalize_name("Jose")


def test_scan_time_is_not_believed_from_before_the_desks_open():
    """A back-dated scan (or a device whose clock went back to 1970) cannot take "first scan" from a real one."""
    received = datetime(2027, 5, 12, 9, 0, tzinfo=timezone.utc)
    starts = datetime(2027, 5, 12, 7, 0, tzinfo=timezone.utc)
    badge_pickup = starts - timedelta(days=1)
    assert scan_time(badge_pickup, received, starts) == badge_pickup
    assert scan_time(datetime(1990, 1, 1, tzinfo=timezone.utc), received, starts) == received
    assert scan_time(starts - DESKS_OPEN - timedelta(minutes=1), received, starts) == received
