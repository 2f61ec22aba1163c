"""Random sequences of register, cancel, approve, reject, accept an offer, raise and lower a quota, against the real
database through the service functions; every invariant of seats and waiting lists is checked after each step.

Hypothesis is synchronous and the database pool lives on the test session's event loop, so the state machine runs
in a worker thread and hands each coroutine to that loop.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from events_app.db import sql
from events_app.domain.errors import Conflict, InvalidInput
from events_app.domain.registration import ACTIVE
from events_app.services.events import events
from events_app.services.people import accounts
from events_app.services.people.accounts import CurrentAccount
from events_app.services.registration import registration_admin, registrations

CATEGORIES = ("delegate", "speaker")  # speaker requires approval
TELLS_OF_A_SEAT = ("registration_confirmed", "registration_approved", "registration_promoted", "registration_offer")


async def truncate_all_but_accounts() -> None:
    tables = await sql.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('migration', 'account')"
    )
    await sql.execute(f"TRUNCATE {', '.join(t['tablename'] for t in tables)} RESTART IDENTITY CASCADE")


async def snapshot(event_id: int) -> tuple:
    """Everything a refused operation must leave as it was."""
    return (
        tuple(
            await sql.fetch(
                "SELECT id, person, category, status, waitlist_seq, offer_expires_at"
                " FROM registration WHERE event = $1 ORDER BY id",
                event_id,
            )
        ),
        tuple(
            await sql.fetch(
                "SELECT id, quota, confirmed_count, requires_approval FROM registration_category"
                " WHERE event = $1 ORDER BY id",
                event_id,
            )
        ),
        tuple(
            await sql.fetch("SELECT capacity, confirmed_count, calendar_sequence FROM event WHERE id = $1", event_id)
        ),
    )


async def seat_free(event_id: int, category_id: int) -> bool:
    row = await sql.fetchrow(
        "SELECT e.capacity, e.confirmed_count AS event_taken, c.quota, c.confirmed_count AS taken"
        " FROM event e JOIN registration_category c ON c.event = e.id WHERE c.id = $1",
        category_id,
    )
    return (row["capacity"] is None or row["event_taken"] < row["capacity"]) and (
        row["quota"] is None or row["taken"] < row["quota"]
    )


async def check_invariants(account: CurrentAccount, event_id: int, waitlist_mode: str) -> None:
    event = await sql.fetchrow("SELECT capacity, confirmed_count FROM event WHERE id = $1", event_id)
    categories = await sql.fetch(
        """SELECT c.id, c.code, c.quota, c.confirmed_count,
                  count(r.id) FILTER (WHERE r.status IN ('confirmed', 'offered')) AS holding,
                  count(r.id) FILTER (WHERE r.status = 'waitlisted') AS waiting
           FROM registration_category c LEFT JOIN registration r ON r.category = c.id
           WHERE c.event = $1 GROUP BY c.id ORDER BY c.id""",
        event_id,
    )
    holding = sum(c["holding"] for c in categories)
    assert event["confirmed_count"] == holding, "event counter drifted from the seat-holding rows"
    assert event["capacity"] is None or holding <= event["capacity"], "event capacity exceeded"
    event_full = event["capacity"] is not None and holding >= event["capacity"]
    for c in categories:
        assert c["confirmed_count"] == c["holding"], f"{c['code']}: counter drifted from the seat-holding rows"
        assert c["quota"] is None or c["holding"] <= c["quota"], f"{c['code']}: quota exceeded"
        category_full = c["quota"] is not None and c["holding"] >= c["quota"]
        assert c["waiting"] == 0 or category_full or event_full, f"{c['code']}: people wait beside a free seat"
        listed = await registration_admin.search(account, event_id, {"status": "waitlisted", "category": c["code"]})
        assert [r["waitlist_position"] for r in listed] == list(range(1, c["waiting"] + 1))
    seqs = await sql.fetchrow(
        "SELECT count(*) AS waiting, count(DISTINCT waitlist_seq) AS seqs FROM registration"
        " WHERE event = $1 AND status = 'waitlisted'",
        event_id,
    )
    assert seqs["waiting"] == seqs["seqs"], "two waiting registrations share a place in line"
    offers = await sql.fetchrow(
        "SELECT count(*) AS offered, count(offer_expires_at) AS with_expiry FROM registration"
        " WHERE event = $1 AND status = 'offered'",
        event_id,
    )
    assert offers["offered"] == offers["with_expiry"]
    assert waitlist_mode == "offer" or offers["offered"] == 0, "an offer in automatic mode"
    untold = await sql.fetchval(
        """SELECT count(*) FROM registration r WHERE r.event = $1 AND r.status IN ('confirmed', 'offered')
           AND NOT EXISTS (SELECT 1 FROM outbox_message m WHERE m.registration = r.id AND m.kind = ANY($2::text[]))""",
        event_id,
        list(TELLS_OF_A_SEAT),
    )
    assert untold == 0, "someone holds a seat and was never told"


class RegistrationMachine(RuleBasedStateMachine):
    """The organizer's and the delegates' moves on one event with an open and an approval category."""

    loop: asyncio.AbstractEventLoop  # the test session's loop, where the database pool lives
    account: CurrentAccount  # created once: hashing its password is slow

    def __init__(self) -> None:
        super().__init__()
        self.event_id: int | None = None
        self.tokens: dict[int, str] = {}
        self.people: list[str] = []

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    @initialize(
        capacity=st.none() | st.integers(2, 6),
        delegate_quota=st.integers(0, 3),
        speaker_quota=st.integers(0, 2),
        waitlist_mode=st.sampled_from(["auto", "offer"]),
        first=st.lists(st.sampled_from(CATEGORIES), max_size=8),
    )
    def open_event(self, capacity, delegate_quota, speaker_quota, waitlist_mode, first) -> None:
        """An event with an open and an approval category, and the registrations of its first people."""
        self.run(truncate_all_but_accounts())
        start = datetime.now(timezone.utc) + timedelta(days=30)
        created = self.run(
            events.create_event(
                self.account,
                {
                    "title": "Assembly",
                    "kind": "congress",
                    "timezone": "Europe/Madrid",
                    "starts_at": start,
                    "ends_at": start + timedelta(days=2),
                    "capacity": capacity,
                    "waitlist_mode": waitlist_mode,
                },
            )
        )
        self.event_id, self.waitlist_mode = created["id"], waitlist_mode
        self.category_ids = {}
        for code, quota in (("delegate", delegate_quota), ("speaker", speaker_quota)):
            category = self.run(
                events.add_category(
                    self.account,
                    self.event_id,
                    {"code": code, "name": code.title(), "quota": quota, "requires_approval": code == "speaker"},
                )
            )
            self.category_ids[code] = category["id"]
        self.run(events.publish_event(self.account, self.event_id))
        self.tokens.clear()
        self.people.clear()
        self.closed: dict[int, str] = {}  # cancelled or rejected registrations: nothing brings them back
        for category in first:
            self.register(category, again=False, data=None)

    def status_of(self, registration_id: int) -> str:
        return self.run(sql.fetchval("SELECT status FROM registration WHERE id = $1", registration_id))

    def refused(self, error: type[Exception], coro) -> None:
        """The operation must fail with `error` and change nothing."""
        before = self.run(snapshot(self.event_id))
        with pytest.raises(error):
            self.run(coro)
        assert self.run(snapshot(self.event_id)) == before

    @rule(category=st.sampled_from(CATEGORIES), again=st.booleans(), data=st.data())
    def register(self, category, again, data):
        """A new person, or (again) someone who registered before: refused while that registration is active."""
        if again and self.people:
            person = data.draw(st.sampled_from(self.people), label="person")
        else:
            person = f"person-{len(self.people)}@example.org"
            self.people.append(person)
        active = self.run(
            sql.fetchval(
                "SELECT count(*) FROM registration r JOIN person p ON p.id = r.person"
                " WHERE r.event = $1 AND p.email = $2 AND r.status = ANY($3::text[])",
                self.event_id,
                person,
                list(ACTIVE),
            )
        )
        body = {"email": person, "name": person.split("@")[0].title(), "category": category, "consent": True}
        if active:
            # A second active registration is refused; the manage link goes to the address on file.
            self.refused(Conflict, registrations.register(self.event_id, body))
            return
        free = self.run(seat_free(self.event_id, self.category_ids[category]))
        result = self.run(registrations.register(self.event_id, body))
        expected = "pending" if category == "speaker" else "confirmed" if free else "waitlisted"
        assert result["status"] == expected
        self.tokens[result["id"]] = result["manage_token"]

    def pick(self, data, statuses: tuple[str, ...]) -> tuple[int, str]:
        """A registration: about half the time one in `statuses` (when there is one), otherwise any."""
        rows = self.run(sql.fetch("SELECT id, status FROM registration WHERE event = $1 ORDER BY id", self.event_id))
        status = {r["id"]: r["status"] for r in rows}
        fitting = [i for i, s in status.items() if s in statuses]
        choice = st.sampled_from(list(status))
        if fitting:
            choice = st.sampled_from(fitting) | choice
        registration = data.draw(choice, label="registration")
        return registration, status[registration]

    @precondition(lambda self: self.tokens)
    @rule(data=st.data())
    def cancel(self, data):
        registration, status = self.pick(data, ACTIVE)
        if status not in ACTIVE:
            self.refused(Conflict, registrations.cancel_by_token(self.tokens[registration]))
            return
        assert self.run(registrations.cancel_by_token(self.tokens[registration]))["status"] == "cancelled"
        self.closed[registration] = "cancelled"

    @precondition(lambda self: self.tokens)
    @rule(data=st.data())
    def approve(self, data):
        registration, status = self.pick(data, ("pending",))
        if status != "pending":
            self.refused(Conflict, registration_admin.approve(self.account, self.event_id, registration))
            return
        free = self.run(seat_free(self.event_id, self.category_ids["speaker"]))
        result = self.run(registration_admin.approve(self.account, self.event_id, registration))
        assert result["status"] == ("confirmed" if free else "waitlisted")

    @precondition(lambda self: self.tokens)
    @rule(data=st.data())
    def reject(self, data):
        registration, status = self.pick(data, ("pending", "waitlisted"))
        if status not in ("pending", "waitlisted"):
            self.refused(Conflict, registration_admin.reject(self.account, self.event_id, registration))
            return
        assert self.run(registration_admin.reject(self.account, self.event_id, registration))["status"] == "rejected"
        self.closed[registration] = "rejected"

    @precondition(lambda self: self.tokens and self.waitlist_mode == "offer")
    @rule(data=st.data())
    def accept_offer(self, data):
        registration, status = self.pick(data, ("offered",))
        if status != "offered":
            self.refused(Conflict, registrations.accept_offer(self.tokens[registration]))
            return
        assert self.run(registrations.accept_offer(self.tokens[registration]))["status"] == "confirmed"

    def quota(self, category: str) -> tuple[int | None, int]:
        row = self.run(
            sql.fetchrow(
                "SELECT quota, confirmed_count FROM registration_category WHERE id = $1", self.category_ids[category]
            )
        )
        return row["quota"], row["confirmed_count"]

    @rule(category=st.sampled_from(CATEGORIES), by=st.integers(1, 3))
    def raise_quota(self, category, by):
        new = self.quota(category)[0] + by
        self.run(
            registration_admin.update_category(self.account, self.event_id, self.category_ids[category], {"quota": new})
        )
        assert self.quota(category)[0] == new

    @rule(category=st.sampled_from(CATEGORIES), to=st.integers(0, 4))
    def lower_quota(self, category, to):
        _, taken = self.quota(category)
        change = registration_admin.update_category(
            self.account, self.event_id, self.category_ids[category], {"quota": to}
        )
        if to < taken:
            self.refused(InvalidInput, change)
            return
        self.run(change)
        assert self.quota(category)[0] == to

    @invariant()
    def seats_and_waiting_lists_agree(self):
        if self.event_id is None:
            return
        self.run(check_invariants(self.account, self.event_id, self.waitlist_mode))
        for registration, status in self.closed.items():
            assert self.status_of(registration) == status


async def test_random_sequences_of_registration_moves_keep_every_invariant(db):
    account_id = await accounts.create_account("organizer@example.org", "Organizer", "a long passphrase")
    RegistrationMachine.account = CurrentAccount(account_id, "organizer@example.org", "Organizer", False)
    RegistrationMachine.loop = asyncio.get_running_loop()
    # No explain phase: it reruns a failing case many times against the database for little extra insight.
    config = settings(
        max_examples=25,
        stateful_step_count=20,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow],
    )
    await asyncio.to_thread(run_state_machine_as_test, RegistrationMachine, settings=config)
