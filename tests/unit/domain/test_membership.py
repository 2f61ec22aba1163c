"""Members- and partners-only categories: what proves membership (a registered email domain), and what does not."""

import pytest

from events_app.domain.registration import email_at_domains, link_only_by_mail, membership_unproven, normalize_domains


@pytest.mark.parametrize(
    "email, expected",
    [
        ("mayor@kisumu.example", True),
        ("water@dept.kisumu.example", True),
        ("Mayor@KISUMU.Example", True),
        ("x@notkisumu.example", False),
        ("x@kisumu.example.evil.example", False),
        ("x@mail.example", False),
    ],
)
def test_email_at_domains_matches_domain_and_subdomains(email, expected):
    assert email_at_domains(email, ["kisumu.example"]) is expected


@pytest.mark.parametrize(
    "eligibility, unlocked, email, expected",
    [
        ("members", False, "someone@mail.example", True),
        ("partners", False, "someone@mail.example", True),
        ("members", False, "someone@kisumu.example", False),
        ("members", True, "someone@mail.example", False),  # the organizers' invitation or code
        ("anyone", False, "someone@mail.example", False),
    ],
)
def test_membership_unproven(eligibility, unlocked, email, expected):
    assert membership_unproven(eligibility, unlocked, email, ["kisumu.example"]) is expected


def test_membership_unproven_without_registered_domains():
    assert membership_unproven("members", False, "mayor@kisumu.example", []) is True


def test_normalize_domains_cleans_and_sorts():
    assert normalize_domains(["@Kisumu.Example", "kisumu.example.", " county.kisumu.example "]) == (
        ["county.kisumu.example", "kisumu.example"],
        [],
    )


@pytest.mark.parametrize("value", ["gmail.com", "Outlook.com", "not a domain", "kisumu", "a@b.example", ""])
def test_normalize_domains_refuses_public_mail_and_non_domains(value):
    clean, errors = normalize_domains(["kisumu.example", value])
    assert (clean, [e.field for e in errors]) == (["kisumu.example"], ["domains[1]"])


@pytest.mark.parametrize(
    ("eligibility", "unlocked", "expected"),
    [
        ("members", False, True),
        ("partners", False, True),
        ("members", True, False),
        ("anyone", False, False),
        ("invitation", False, False),
    ],
)
def test_link_only_by_mail_in_membership_categories_entered_by_address(eligibility, unlocked, expected):
    assert link_only_by_mail(eligibility, unlocked) is expected


def test_an_address_at_an_internationalised_domain_matches_its_ascii_form_on_file():
    domains, errors = normalize_domains(["München.de"])
    assert (domains, errors) == (["xn--mnchen-3ya.de"], [])
    assert email_at_domains("bürgermeister@münchen.de", domains)
    assert email_at_domains("office@rathaus.MÜNCHEN.de", domains)
    assert not email_at_domains("x@muenchen.de", domains)
