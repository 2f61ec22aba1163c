"""Rules whose SQL is written into more than one named query keep one form: every statement that applies a rule
uses the rule's expression exactly, and the set of statements applying it is known (a new one must be added here,
which makes a reviewer look at it). A divergent copy of a rule fails here, not in production."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from events_app.db import queries
from events_app.domain.sequence import SEQUENCE_STEP

SERVICES = Path(queries.__file__).resolve().parent.parent / "services"
NAME = re.compile(r"^-- name: (\w+)", re.M)


def _statements() -> dict[str, str]:
    """'capability/query_name' -> the statement's SQL (comment lines left out), for every queries.sql."""
    out: dict[str, str] = {}
    for path in sorted(SERVICES.glob("*/queries.sql")):
        text = path.read_text()
        starts = [m.start() for m in NAME.finditer(text)] + [len(text)]
        for begin, end in zip(starts, starts[1:], strict=False):
            block = text[begin:end]
            name = NAME.match(block).group(1)
            sql = " ".join(line for line in block.splitlines() if not line.lstrip().startswith("--"))
            out[f"{path.parent.name}/{name}"] = re.sub(r"\s+", " ", sql).strip()
    return out


STATEMENTS = _statements()

# ---------------------------------------------------------------- the next calendar SEQUENCE (domain.sequence)
# Grown in SQL by exactly one step, unconditionally or under a condition; any other arithmetic is a second rule.
GROWS_SEQUENCE = re.compile(r"calendar_sequence\s*=\s*calendar_sequence\b[^,]*")
SEQUENCE_FORMS = (
    re.compile(rf"calendar_sequence = calendar_sequence \+ {SEQUENCE_STEP}(?![\d])"),
    re.compile(rf"calendar_sequence = calendar_sequence \+ CASE WHEN .+? THEN {SEQUENCE_STEP} ELSE 0 END"),
)
SEQUENCE_GROWERS = {
    "events/cancel_event",
}

# ---------------------------------------------------------------- time overlap (domain.timespan.ranges_overlap)
# Half-open ranges [a_starts, a_ends) and [b_starts, b_ends) overlap: (a_starts < b_ends AND b_starts < a_ends),
# written as two comparisons so the planner keeps the plain indexes on starts_at/ends_at.
COMPARES_START_WITH_END = re.compile(r"[\w.:]*starts_at\s*<\s*[\w.:]*ends_at")
OVERLAP = re.compile(r"\((?P<a>[\w.:]*?)starts_at < (?P<b>[\w.:]*?)ends_at AND (?P=b)starts_at < (?P=a)ends_at\)")
OVERLAP_USERS = {
    "agenda/nearby_slots",
}


def test_the_statements_are_found():
    assert len(STATEMENTS) > 50
    assert "agenda/nearby_slots" in STATEMENTS


@pytest.mark.parametrize("name", sorted(n for n, sql in STATEMENTS.items() if GROWS_SEQUENCE.search(sql)))
def test_sequence_grows_by_the_one_rule(name):
    sql = STATEMENTS[name]
    for found in GROWS_SEQUENCE.finditer(sql):
        at = found.start()
        assert any(form.match(sql, at) for form in SEQUENCE_FORMS), f"{name}: {found.group(0)!r}"


def test_the_statements_growing_the_sequence_are_known():
    assert {n for n, sql in STATEMENTS.items() if GROWS_SEQUENCE.search(sql)} == SEQUENCE_GROWERS


@pytest.mark.parametrize("name", sorted(n for n, sql in STATEMENTS.items() if COMPARES_START_WITH_END.search(sql)))
def test_time_overlap_has_one_form(name):
    sql = STATEMENTS[name]
    canonical = " ".join(m.group(0) for m in OVERLAP.finditer(sql))
    for found in COMPARES_START_WITH_END.finditer(sql):
        assert found.group(0) in canonical, f"{name}: {found.group(0)!r} outside (a < b_end AND b < a_end)"


def test_the_statements_testing_overlap_are_known():
    assert {n for n, sql in STATEMENTS.items() if COMPARES_START_WITH_END.search(sql)} == OVERLAP_USERS


def test_a_divergent_copy_is_caught():
    assert not OVERLAP.search("(s.starts_at <= :ends_at AND :starts_at < s.ends_at)")
    assert not OVERLAP.search("(s.starts_at < :ends_at AND :starts_at < x.ends_at)")
    assert OVERLAP.search("(s.starts_at < :ends_at AND :starts_at < s.ends_at)")
    assert not any(f.match("calendar_sequence = calendar_sequence + 2") for f in SEQUENCE_FORMS)
