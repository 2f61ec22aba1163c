"""Shared rules keep one text: where a rule's SQL must sit inside several named queries (to keep a hot path one
statement), every copy is the same expression, and the queries that carry it are the ones listed here.

Each rule below reads every services/*/queries.sql, finds each statement applying the rule, and checks (1) that
the copy is the rule's one form, and (2) which queries apply it, per capability. A query that starts applying a
rule must be added to its rule's EXPECTED mapping (one line per capability), so a new copy is reviewed, and a
copy that drifts from the form fails here instead of in someone's calendar.

Comparisons ignore layout (runs of whitespace, spaces inside parentheses) and, for fragments that take
parameters, the parameters' names (each statement names its own; the same parameter must stand in the same
places).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from events_app.db import queries
from events_app.domain.sequence import SEQUENCE_STEP
from events_app.services.platform import calendar_sequence, time_overlap

SERVICES = Path(queries.__file__).resolve().parent.parent / "services"
_NAME = re.compile(r"^--\s*name:\s*([A-Za-z_]\w*)", re.M)
_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def normalized(text: str) -> str:
    """SQL text without its layout: one space between words, none just inside parentheses."""
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", text))


def anonymous(text: str) -> str:
    """Parameters renamed :p1, :p2, ... in the order they first appear, so copies compare whatever they call them."""
    names: dict[str, str] = {}
    return _PARAMETER.sub(lambda m: names.setdefault(m.group(1), f":p{len(names) + 1}"), text)


def statements() -> dict[tuple[str, str], str]:
    """{(capability, query name): normalized SQL} over every queries.sql (comment lines left out)."""
    found: dict[tuple[str, str], str] = {}
    for path in sorted(SERVICES.glob("*/queries.sql")):
        blocks = _NAME.split(path.read_text())
        for name, body in zip(blocks[1::2], blocks[2::2], strict=True):
            lines = [line for line in body.splitlines()[1:] if not line.lstrip().startswith("--")]
            found[(path.parent.name, name)] = normalized("\n".join(lines))
    return found


def by_capability(keys) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for capability, name in keys:
        out.setdefault(capability, set()).add(name)
    return out


ALL = statements()


def test_the_statements_are_found():
    assert ("platform", "bump_event_sequence") in ALL
    assert ("people", "link_or_create_person") in ALL


# --------------------------------------------------------------------------- calendar SEQUENCE growth
#
# domain.sequence: a SEQUENCE grows by SEQUENCE_STEP, unconditionally (a change of time/place/status, a CANCEL:
# calendar_sequence.GROW) or, for a REQUEST to someone sent a CANCEL before, on the condition
# calendar_sequence.cancelled_before(event, person) (calendar_sequence.grow_when). Nothing else may grow it.

SEQUENCE_GROWTH_EXPECTED = {
    "events": {"cancel_event"},
    "platform": {"bump_event_sequence", "bump_session_sequence", "bump_sessions_sequence", "bump_series_sequence"},
    "registration": {
        "insert_registration_for_person",
        "insert_registration_with_person",
        "recipient_and_cancel_sequence",
        "recipient_and_request_sequence",
    },
}
_GROWTH = re.compile(r"\bcalendar_sequence\s*=\s*calendar_sequence\b")


def _template(fragment: str, *holes: str) -> re.Pattern[str]:
    """A regular expression for `fragment` (normalized) where each hole string may be any SQL expression."""
    pattern = re.escape(normalized(fragment))
    for hole in holes:
        pattern = pattern.replace(re.escape(hole), "(.+?)")
    return re.compile(pattern)


_GROW = normalized(calendar_sequence.GROW)
_GROW_WHEN = normalized(calendar_sequence.grow_when("\x00COND\x00"))
_WHEN_PREFIX, _WHEN_SUFFIX = _GROW_WHEN.split("\x00COND\x00")
_CANCELLED_BEFORE = _template(calendar_sequence.cancelled_before("\x00E\x00", "\x00P\x00"), "\x00E\x00", "\x00P\x00")


def sequence_growth_problems(sql: str) -> list[str]:
    """What is wrong with each SEQUENCE growth in a statement ([] when every one has the rule's form)."""
    problems = []
    for match in _GROWTH.finditer(sql):
        rest = sql[match.start() :]
        if rest.startswith(_GROW) and not re.match(r"\s*[-+*/|]", rest[len(_GROW) :]):
            continue
        if rest.startswith(_WHEN_PREFIX) and _WHEN_SUFFIX in rest:
            condition = rest[len(_WHEN_PREFIX) : rest.index(_WHEN_SUFFIX)]
            if _CANCELLED_BEFORE.fullmatch(condition):
                continue
            problems.append(f"grows on a condition other than calendar_sequence.cancelled_before: {condition}")
            continue
        problems.append(f"grows other than by calendar_sequence.GROW / grow_when: {rest[:120]}")
    return problems


def test_the_rule_grows_by_one_step():
    grow, grow_when = _GROW, _GROW_WHEN

    assert grow == f"calendar_sequence = calendar_sequence + {SEQUENCE_STEP}"
    assert grow_when.endswith(f"THEN {SEQUENCE_STEP} ELSE 0 END")


def test_every_sequence_growth_has_the_one_form():
    problems = {key: p for key, sql in ALL.items() if (p := sequence_growth_problems(sql))}

    assert problems == {}


def test_the_queries_that_grow_a_sequence_are_the_expected_ones():
    growing = [key for key, sql in ALL.items() if _GROWTH.search(sql)]

    assert by_capability(growing) == SEQUENCE_GROWTH_EXPECTED


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE event SET calendar_sequence = calendar_sequence + 2 WHERE id = :id",
        "UPDATE event SET calendar_sequence = calendar_sequence + 1 + 1 WHERE id = :id",
        "UPDATE event SET calendar_sequence = calendar_sequence + CASE WHEN :x THEN 1 ELSE 0 END",
        "UPDATE event SET calendar_sequence = calendar_sequence + CASE WHEN EXISTS (SELECT 1 FROM registration o"
        " WHERE o.event = :e AND o.person = :p AND o.status IN ('cancelled')) THEN 1 ELSE 0 END",
    ],
)
def test_a_divergent_growth_is_caught(sql):
    assert sequence_growth_problems(normalized(sql))


def test_the_forms_of_the_rule_pass():
    grow = f"UPDATE event SET {calendar_sequence.GROW}, updated_at = now() WHERE id = :id"
    when = calendar_sequence.grow_when(calendar_sequence.cancelled_before(":event_id", "(SELECT id FROM who)"))

    assert sequence_growth_problems(normalized(grow)) == []
    assert sequence_growth_problems(normalized(f"UPDATE event SET {when} WHERE id = :event_id")) == []


# --------------------------------------------------------------------------- the person upsert
#
# services.people.people: a person is found by email, inserted when missing with what the caller gave, and never
# updated by someone else's entry. One form for one person (link_or_create_person: the CTEs `created` and `who`,
# which the registration statement may embed) and one for a batch (link_or_create_people, only in people). Any
# other insert into person must be listed, with its reason, in PERSON_INSERTS_NOT_AN_UPSERT.

PERSON_UPSERT_EXPECTED = {
    "people": {"link_or_create_person"},
    "registration": {"insert_registration_with_person"},
}
PERSON_BATCH_UPSERT = ("people", "link_or_create_people")
PERSON_INSERTS_NOT_AN_UPSERT = {
    # Retention's anonymous copy of a person: a fresh address no one has, always inserted, never matched by email.
    ("privacy", "insert_anonymous_person"),
}
_PERSON_INSERT = re.compile(r"\bINSERT INTO person\s*\(", re.I)
_UPSERT_CTES = re.compile(
    r"created AS \(INSERT INTO person \(.*?\) VALUES \(.*?\) ON CONFLICT .*?\),"
    r" who AS \(.*?NOT EXISTS \(SELECT 1 FROM created\)\)"
)


def _upsert_ctes(sql: str) -> str | None:
    found = _UPSERT_CTES.search(sql)
    return anonymous(found.group(0)) if found else None


CANONICAL_UPSERT = _upsert_ctes(ALL[("people", "link_or_create_person")])


def test_the_upsert_inserts_if_missing_and_never_updates():
    assert CANONICAL_UPSERT is not None
    assert "ON CONFLICT (email) DO NOTHING RETURNING id, email" in CANONICAL_UPSERT
    assert "DO UPDATE" not in CANONICAL_UPSERT
    batch = ALL[PERSON_BATCH_UPSERT]
    assert "ON CONFLICT (email) DO NOTHING RETURNING id, email" in batch and "DO UPDATE" not in batch


def test_every_insert_into_person_is_the_upsert_or_listed():
    upserts, problems = [], {}
    for key, sql in ALL.items():
        if not _PERSON_INSERT.search(sql) or key == PERSON_BATCH_UPSERT or key in PERSON_INSERTS_NOT_AN_UPSERT:
            continue
        if _upsert_ctes(sql) == CANONICAL_UPSERT and len(_PERSON_INSERT.findall(sql)) == 1:
            upserts.append(key)
        else:
            problems[key] = "inserts into person other than as link_or_create_person's CTEs"

    assert problems == {}
    assert by_capability(upserts) == PERSON_UPSERT_EXPECTED


def test_the_listed_person_inserts_are_plain_inserts():
    for key in PERSON_INSERTS_NOT_AN_UPSERT:
        if key[0] not in {c for c, _ in ALL}:
            continue  # that capability has not moved its SQL yet
        assert key in ALL, f"{key} is listed but no such query exists"
        assert _PERSON_INSERT.search(ALL[key]) and "ON CONFLICT" not in ALL[key], key


def test_a_divergent_upsert_copy_is_caught():
    copy = ALL[("people", "link_or_create_person")].replace("DO NOTHING", "DO UPDATE SET name = EXCLUDED.name")

    assert _upsert_ctes(copy) != CANONICAL_UPSERT


# --------------------------------------------------------------------------- the waiting-list position
#
# services.registration.waitlist: one expression for a waitlisted registration's place in line. Statements over
# `registration r` carry it as waitlist.REGISTRATION_POSITION gives it.

WAITLIST_POSITION_EXPECTED = {
    "messaging": {"registrations_for_mail"},
    "registration": {
        "delegation_members",
        "insert_registration_for_person",
        "insert_registration_with_person",
        "registration_by_view_hash",
        "registration_out",
        "search_registrations",
    },
}
_POSITION = re.compile(
    r"CASE WHEN (\w+)\.status = 'waitlisted' THEN 1 \+ \(SELECT count\(\*\) FROM registration w .*? END"
)


def _positions() -> dict[tuple[str, str], list[str]]:
    return {key: [m.group(0) for m in _POSITION.finditer(sql)] for key, sql in ALL.items()}


def test_every_waitlist_position_is_the_one_expression():
    from events_app.services.registration import waitlist

    found = {key: copies for key, copies in _positions().items() if copies}
    forms = {
        _POSITION.sub(lambda m: m.group(0).replace(f"{m.group(1)}.", "<alias>."), c)
        for cs in found.values()
        for c in cs
    }
    if hasattr(waitlist, "position"):  # the Python form, while statements not yet moved compose it
        forms.add(normalized(waitlist.position("<alias>")))

    assert len(forms) == 1, forms
    assert by_capability(found) == WAITLIST_POSITION_EXPECTED


# --------------------------------------------------------------------------- an announcement's audience
#
# services.messaging.announcements: who an announcement reaches is one predicate (by audience kind), the same in
# the count shown before sending, the messages written when sending, and the preview's sample recipient.

AUDIENCE_EXPECTED = {"messaging": {"audience_count", "queue_announcement", "sample_audience_recipient"}}
_AUDIENCE = re.compile(r"FROM registration r JOIN person p ON p\.id = r\.person WHERE .*?:audience_kind.*? END")


def test_every_audience_predicate_is_the_same():
    found = {key: m.group(0) for key, sql in ALL.items() if (m := _AUDIENCE.search(sql))}

    assert by_capability(found) == AUDIENCE_EXPECTED
    assert len(set(found.values())) == 1, found


# --------------------------------------------------------------------------- erasure's rewrite of copies
#
# services.privacy.privacy: each place a person's address and name are copied to (JSON_COPIES, TEXT_COPIES) has
# its statement scrub_<table>_<column>, all of one form per kind (JSON or text).


def _scrub_form(sql: str, table: str, column: str) -> str:
    """The statement with its table, column and scope (which of the person's events, projects or series the
    table's rows belong to: each table says it with its own columns) taken out."""
    sql = re.sub(r"OR \(\((.*?)\) AND", "OR ((<scope>) AND", sql, flags=re.S)
    return sql.replace(f"UPDATE {table} SET {column} =", "UPDATE <t> SET <c> =").replace(f"{column}", "<c>")


def test_every_listed_copy_has_its_rewrite_and_one_form():
    from events_app.services.privacy import privacy

    scrubs = {name for capability, name in ALL if capability == "privacy" and name.startswith("scrub_")}
    places = {"json": privacy.JSON_COPIES, "text": privacy.TEXT_COPIES}
    listed = {f"scrub_{table}_{column}" for copies in places.values() for table, column in copies}

    assert scrubs - {"scrub_sent_messages", "scrub_registration_messages"} == listed
    for kind, copies in places.items():
        forms = {_scrub_form(ALL[("privacy", f"scrub_{t}_{c}")], t, c) for t, c in copies}
        assert len(forms) == 1, (kind, forms)


# --------------------------------------------------------------------------- time overlap
#
# domain.timespan.ranges_overlap as SQL (platform.time_overlap.overlaps): [a_starts, a_ends) and [b_starts, b_ends)
# overlap when (a_starts < b_ends AND b_starts < a_ends): half-open, two plain comparisons (so the indexes on
# starts_at/ends_at serve), never tstzrange && or OVERLAPS.

TIME_OVERLAP_EXPECTED: dict[str, set[str]] = {
    "agenda": {"nearby_slots"},
    "registration": {"booking_or_overlaps", "clashing_bookings_of_session", "count_bookers_clashing_in_sessions"},
}
_OPERAND = r"[\w.:]+"
_COMPARISON_PAIR = re.compile(rf"\(({_OPERAND}) (<=?) ({_OPERAND}) AND ({_OPERAND}) (<=?) ({_OPERAND})\)")
_RANGE_OPERATORS = re.compile(r"\btstzrange\s*\(|&&|\bOVERLAPS\b", re.I)


def time_overlap_uses(sql: str) -> tuple[int, list[str]]:
    """How many overlap tests the statement makes, and what differs from the rule's form in them."""
    uses, problems = 0, []
    for a_starts, op1, b_ends, b_starts, op2, a_ends in _COMPARISON_PAIR.findall(sql):
        operands = (a_starts, b_ends, b_starts, a_ends)
        if not any("starts" in o or "ends" in o for o in operands):
            continue
        uses += 1
        form = normalized(time_overlap.overlaps(*operands))
        swapped = any("end" in o for o in (a_starts, b_starts)) or any("start" in o for o in (b_ends, a_ends))
        if (op1, op2) != ("<", "<") or swapped:
            problems.append(f"not the half-open overlap {form}")
    if _RANGE_OPERATORS.search(sql):
        problems.append("uses a range operator instead of time_overlap.overlaps")
    return uses, problems


def test_every_time_overlap_has_the_one_form():
    problems = {key: p for key, sql in ALL.items() if (p := time_overlap_uses(sql)[1])}
    overlapping = [key for key, sql in ALL.items() if time_overlap_uses(sql)[0]]

    assert problems == {}
    assert by_capability(overlapping) == TIME_OVERLAP_EXPECTED


@pytest.mark.parametrize(
    ("sql", "uses", "wrong"),
    [
        (f"SELECT 1 FROM agenda_session s WHERE {time_overlap.overlaps('s.starts_at', 's.ends_at', ':a', ':b')}", 1, 0),
        ("SELECT 1 FROM agenda_session s WHERE (s.starts_at <= :ends_at AND :starts_at <= s.ends_at)", 1, 1),
        ("SELECT 1 FROM agenda_session s WHERE (s.ends_at < :starts_at AND :ends_at < s.starts_at)", 1, 1),
        ("SELECT 1 FROM agenda_session s WHERE tstzrange(s.starts_at, s.ends_at) && tstzrange(:a, :b)", 0, 1),
    ],
)
def test_time_overlap_forms_are_told_apart(sql, uses, wrong):
    found, problems = time_overlap_uses(normalized(sql))

    assert (found, len(problems)) == (uses, wrong)


# --------------------------------------------------------------------------- seat counters
#
# services.registration.seats: a seat counter moves by one step (take_seat, free_seat, move_seat); the registration
# statements take their seat in the same statement, with the same expression.

SEAT_COUNTER_EXPECTED = {
    "registration": {
        "free_seat",
        "insert_registration_for_person",
        "insert_registration_with_person",
        "move_seat",
        "take_seat",
    },
}
_SEAT_CHANGE = re.compile(r"(?:\bSET|,)\s*confirmed_count\s*=")
_SEAT_FORM = re.compile(r"(?:\bSET|,) confirmed_count = confirmed_count \+ (?:1|-1|:\w+::int)(?=[ ,)]|$)")


def seat_counter_problems(sql: str) -> int:
    """How many seat-counter changes in the statement are not the rule's form."""
    return len(_SEAT_CHANGE.findall(sql)) - len(_SEAT_FORM.findall(sql))


def test_every_seat_counter_change_has_the_one_form():
    changing = [key for key, sql in ALL.items() if _SEAT_CHANGE.search(sql)]

    assert {key: n for key in changing if (n := seat_counter_problems(ALL[key]))} == {}
    assert by_capability(changing) == SEAT_COUNTER_EXPECTED


@pytest.mark.parametrize(
    ("sql", "wrong"),
    [
        ("UPDATE event SET confirmed_count = confirmed_count + 1 WHERE id = :e", 0),
        ("UPDATE event SET confirmed_count = confirmed_count + 2 WHERE id = :e", 1),
        ("UPDATE event SET confirmed_count = :n WHERE id = :e", 1),
    ],
)
def test_seat_counter_forms_are_told_apart(sql, wrong):
    assert seat_counter_problems(normalized(sql)) == wrong


def test_both_registration_statements_differ_only_in_how_they_find_the_person():
    """The registration statement is written twice (the person by id, or by address: linked or created); past the
    CTEs that find the person, the two must be the same text."""
    by_id = ALL[("registration", "insert_registration_for_person")]
    by_address = ALL[("registration", "insert_registration_with_person")]

    assert by_id.startswith("WITH who AS (SELECT id, email FROM person WHERE id = :person_id), active AS (")
    assert by_address.startswith("WITH created AS (")
    assert by_id[by_id.index(" active AS (") :] == by_address[by_address.index(" active AS (") :]
