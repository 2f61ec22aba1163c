"""Shared rules keep one form in every named query that applies them.

Where a rule's fragment is written into several statements (so that a hot statement stays one round trip, e.g. the
registration statement takes the seat, grows the SEQUENCE and places the person in line at once), every copy must
be the rule's text, and the queries applying each rule are listed here: a copy that drifts, or a new statement
applying the rule without joining the list, fails. Each rule says where its home is.

Statements are compared with whitespace collapsed; parameters and column expressions the rule takes as arguments
may differ, the rest may not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from events_app.db import queries
from events_app.domain.sequence import SEQUENCE_STEP
from events_app.services.registration import waitlist

SERVICES = Path(queries.__file__).resolve().parent.parent / "services"
NAME_LINE = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)", re.MULTILINE)


def _statements() -> dict[str, str]:
    """Every named query of every capability, as "capability.name" -> its SQL (comment lines dropped, whitespace
    collapsed, parameters kept as :name)."""
    found: dict[str, str] = {}
    for path in sorted(SERVICES.glob("*/queries.sql")):
        text = path.read_text()
        marks = list(NAME_LINE.finditer(text))
        for mark, following in zip(marks, [*marks[1:], None], strict=True):
            body = text[mark.end() : following.start() if following else len(text)]
            sql = " ".join(line for line in body.splitlines()[1:] if not line.lstrip().startswith("--"))
            found[f"{path.parent.name}.{mark.group(1)}"] = " ".join(sql.split())
    return found


STATEMENTS = _statements()
EXPR = r"(?:[\w.:]+|\(SELECT \w+ FROM \w+\))"  # a column, a :parameter (with its cast) or a one-column subquery


@dataclass(frozen=True)
class Rule:
    name: str
    home: str
    applies: re.Pattern  # finds every place a statement applies the rule, in whatever form
    form: re.Pattern  # the rule's one form (whitespace collapsed)
    queries: frozenset[str]
    finds_per_use: int = 1  # how many places `applies` finds in one use of the form

    def uses(self, sql: str) -> tuple[int, int]:
        """(places applying the rule, of which in its form), counted in places `applies` finds."""
        return len(self.applies.findall(sql)), len(self.form.findall(sql)) * self.finds_per_use


def _same_alias(pattern: str) -> re.Pattern:
    """The pattern with its first ALIAS captured and every later one required to be the same."""
    first, *rest = pattern.split("ALIAS")
    return re.compile(first + r"(?P<alias>\w+)" + r"(?P=alias)".join(rest))


RULES = [
    Rule(
        name="seat counter change",
        home="services/registration/seats.py (take_seat, free_seat, move_seat) and the registration statements",
        applies=re.compile(r"(?:\bSET|,)\s*confirmed_count\s*="),
        form=re.compile(r"(?:\bSET|,) confirmed_count = confirmed_count \+ (?:1|-1|:\w+::int)(?=[ ,]|$)"),
        queries=frozenset(
            {
                "registration.free_seat",
                "registration.insert_registration_for_person",
                "registration.insert_registration_with_person",
                "registration.move_seat",
                "registration.take_seat",
            }
        ),
    ),
    Rule(
        name="waiting-list position",
        home="services/registration/waitlist.py position()",
        applies=re.compile(r"\bw\.waitlist_seq\s*[<>]"),
        form=_same_alias(re.escape(" ".join(waitlist.position("ALIAS").split()))),
        queries=frozenset(
            {
                "registration.delegation_members",
                "registration.insert_registration_for_person",
                "registration.insert_registration_with_person",
                "registration.registration_by_view_hash",
                "registration.registration_out",
                "registration.search_registrations",
            }
        ),
    ),
    Rule(
        name="calendar SEQUENCE growth",
        home="services/platform/calendar_sequence.py (GROW, grow_when) after domain.sequence",
        applies=re.compile(r"(?:\bSET|,)\s*calendar_sequence\s*="),
        form=re.compile(
            rf"(?:\bSET|,) calendar_sequence = calendar_sequence \+ (?:{SEQUENCE_STEP}(?=[ ,]|$)"
            rf"|CASE WHEN .+? THEN {SEQUENCE_STEP} ELSE 0 END)"
        ),
        queries=frozenset(
            {
                "registration.insert_registration_for_person",
                "registration.insert_registration_with_person",
                "registration.recipient_and_cancel_sequence",
                "registration.recipient_and_request_sequence",
            }
        ),
    ),
    Rule(
        name="sent a CANCEL for the event before",
        home="services/platform/calendar_sequence.py cancelled_before()",
        applies=re.compile(
            r"EXISTS \(SELECT 1 FROM registration \w+ WHERE .{0,160}?status IN \('cancelled', 'rejected'\)\)"
        ),
        form=re.compile(
            rf"EXISTS \(SELECT 1 FROM registration o WHERE o\.event = {EXPR} AND o\.person = {EXPR}"
            r" AND o\.status IN \('cancelled', 'rejected'\)\)"
        ),
        queries=frozenset(
            {
                "registration.insert_registration_for_person",
                "registration.insert_registration_with_person",
                "registration.recipient_and_request_sequence",
            }
        ),
    ),
    Rule(
        name="person upsert (linked or created, never changed)",
        home="services/people/people.py person_ctes()",
        applies=re.compile(r"INSERT INTO person \(email, name, organization, language, timezone, created_at\) VALUES"),
        form=re.compile(
            r"created AS \( INSERT INTO person \(email, name, organization, language, timezone, created_at\)"
            r" VALUES \((?P<email>:\w+), :\w+, :\w+, :\w+, :\w+, now\(\)\) ON CONFLICT \(email\) DO NOTHING"
            r" RETURNING id, email\), who AS \(SELECT id, email FROM created UNION ALL SELECT id, email FROM person"
            r" WHERE email = (?P=email) AND NOT EXISTS \(SELECT 1 FROM created\)\)"
        ),
        queries=frozenset({"registration.insert_registration_with_person"}),
    ),
    Rule(
        name="time overlap (half-open ranges)",
        home="services/platform/time_overlap.py overlaps()",
        applies=re.compile(r"starts_at\s*<\s*[\w.:]*ends_at\b"),
        form=re.compile(
            r"\((?P<a>[\w.]+\.)?starts_at < (?P<b_ends>:\w+|[\w.]+ends_at) AND"
            r" (?P<b_starts>:\w+|[\w.]+starts_at) < (?P=a)ends_at\)"
        ),
        queries=frozenset({"registration.overlapping_bookings"}),
        finds_per_use=2,
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_statement_applying_the_rule_uses_its_one_form(rule: Rule):
    applying = {name: rule.uses(sql) for name, sql in STATEMENTS.items() if rule.applies.search(sql)}

    drifted = sorted(name for name, (places, in_form) in applying.items() if places != in_form)
    assert drifted == [], f"{rule.name}: these queries write it otherwise than {rule.home}"
    assert set(applying) == rule.queries, (
        f"{rule.name}: the queries applying it changed; list them in this rule (and keep the form of {rule.home})"
    )


def test_a_divergent_copy_is_found():
    """The checks above can fail: a copy with another step, or a position counted differently, is told apart."""
    seats, position, sequence = RULES[0], RULES[1], RULES[2]

    assert seats.uses("UPDATE event SET confirmed_count = confirmed_count + 2 WHERE id = :e") == (1, 0)
    assert seats.uses("UPDATE event SET confirmed_count = confirmed_count + 1 WHERE id = :e") == (1, 1)
    drifted = " ".join(waitlist.position("r").replace("w.waitlist_seq <", "w.waitlist_seq <=").split())
    assert position.uses(f"SELECT {drifted} FROM registration r") == (1, 0)
    assert position.uses(f"SELECT {' '.join(waitlist.position('r').split())} FROM registration r") == (1, 1)
    assert sequence.uses("UPDATE event SET calendar_sequence = calendar_sequence + 2") == (1, 0)


def test_both_registration_statements_differ_only_in_how_they_find_the_person():
    """The registration statement is written twice (the person by id, or by address: linked or created); past the
    CTEs that find the person, the two must be the same text."""
    by_id = STATEMENTS["registration.insert_registration_for_person"]
    by_address = STATEMENTS["registration.insert_registration_with_person"]

    assert by_id.startswith("WITH who AS (SELECT id, email FROM person WHERE id = :person_id), active AS (")
    assert by_address.startswith("WITH created AS (")
    assert by_id[by_id.index(" active AS (") :] == by_address[by_address.index(" active AS (") :]
