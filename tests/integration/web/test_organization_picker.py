"""The organization picker works with thousands of organizations: the search ignores accents and case, names
that start with what was typed come first, and the registration form lists the matches (the chosen one kept)."""

from __future__ import annotations

from events_app.db import sql
from tests.fixtures import published_event
from tests.integration.web.test_registration_engine import org


async def test_search_ignores_accents_and_case_and_puts_prefixes_first(client):
    malmo = await org("Malmö", "city", "SE")
    await org("Greater Malmö Region", "region", "SE")
    await org("São Paulo", "city", "BR")
    await org("100% Renewable Cities_Network", "association", "DE")

    by_api = await client.get("/api/organizations", params={"q": "malmo"})
    upper = await client.get("/api/organizations", params={"q": "MALMÖ"})
    sao = await client.get("/api/organizations", params={"q": "sao"})
    wildcard = await client.get("/api/organizations", params={"q": "_"})

    assert [o["name"] for o in by_api.json()] == ["Malmö", "Greater Malmö Region"]
    assert upper.json()[0]["id"] == malmo
    assert [o["name"] for o in sao.json()] == ["São Paulo"]
    assert [o["name"] for o in wildcard.json()] == ["100% Renewable Cities_Network"]  # '_' is not a wildcard


async def test_registration_form_lists_the_matches_of_the_search(client, organizer):
    event = await published_event(client, organizer)
    await sql.execute(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " SELECT 'City ' || n, 'city', 'FR', 'active', now() FROM generate_series(1, 1200) AS n"
    )
    malmo = await org("Malmö", "city", "SE")
    first = await client.get(f"/events/{event['id']}/register")
    found = await client.get(f"/events/{event['id']}/register", params={"org_q": "malmo"})

    assert first.text.count("<option value=") < 250  # not 1,200 organizations in one select
    assert "data-org-picker" in first.text and 'form="org-find"' in first.text
    assert f'<option value="{malmo}">Malmö (Sweden)</option>' in found.text
    assert "City 1 (France)" not in found.text
