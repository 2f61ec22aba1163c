"""The "registration received" mail says why a members- or partners-only registration waits, in both languages."""

import pytest

from events_app.mail.render import render
from tests.unit.mail.test_message import CONTEXT


@pytest.mark.parametrize(
    "language, expected",
    [
        ("en", "domain registered for the organization you named"),
        ("es", "dominio registrado para la organización que indicó"),
    ],
)
def test_registration_received_explains_a_membership_check(language, expected):
    members = {**CONTEXT, "registration": {"category_name": "Delegate", "category_eligibility": "members"}}
    anyone = {**CONTEXT, "registration": {"category_name": "Press", "category_eligibility": "anyone"}}
    checked, reviewed = (
        render("registration_received", language, members),
        render("registration_received", language, anyone),
    )
    assert (expected in checked.text, expected in checked.html, expected in reviewed.text) == (True, True, False)
