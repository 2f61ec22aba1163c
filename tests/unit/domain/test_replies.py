"""The per-recipient reply address: its token, how it is written and found again, and the reasons' translations."""

from __future__ import annotations

import re

from events_app.domain.replies import (
    REJECTION_REASONS,
    max_mailbox_local_length,
    reply_address,
    reply_token,
    tokens_in,
)
from events_app.web.pages.i18n import catalog

SECRET = "s" * 40


def test_reply_token_is_128_bit_lowercase_base32_and_stable():
    token = reply_token(SECRET, "a" * 32)
    assert re.fullmatch(r"[a-z2-7]{26}", token)
    assert token == reply_token(SECRET, "a" * 32)
    assert len({reply_token(SECRET, "a" * 32), reply_token(SECRET, "b" * 32), reply_token("t" * 40, "a" * 32)}) == 3


def test_reply_token_differs_from_other_purposes_of_the_same_nonce():
    from events_app.domain.security import rsvp_token

    assert reply_token(SECRET, "n" * 32) not in rsvp_token(SECRET, "n" * 32).lower()


def test_reply_address_is_a_plus_address_of_the_mailbox():
    token = reply_token(SECRET, "a" * 32)
    assert reply_address("cleanair@example.org", token) == f"cleanair+r{token}@example.org"
    assert reply_address("events+calendar@mail.example.org", token) == f"events+calendar+r{token}@mail.example.org"
    assert len(f"{'x' * max_mailbox_local_length()}+r{token}") == 64


def test_tokens_are_found_in_any_case_and_form_of_address():
    token = reply_token(SECRET, "a" * 32)
    address = reply_address("cleanair@example.org", token)
    assert tokens_in(
        [f"Clean Air <{address.upper()}>", f"mailto:{address}", "other@example.org", f"x+r{token}@elsewhere.example"]
    ) == [token]
    assert tokens_in(["cleanair@example.org", "cleanair+r123@example.org", "mailto:", ""]) == []


def test_every_rejection_reason_has_a_spanish_translation():
    assert sorted(set(REJECTION_REASONS.values()) - catalog("es").keys()) == []


def test_too_long_organizer_address_message_is_translated():
    from events_app.services.meetings.projects import REPLY_MAILBOX_TOO_LONG

    assert REPLY_MAILBOX_TOO_LONG in catalog("es")
