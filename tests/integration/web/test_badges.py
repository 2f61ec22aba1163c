"""Badges read back from the PDF: names in four scripts, the category's fields, QR codes that check in (issue 17)."""

from __future__ import annotations

import io
import uuid

import pypdf

from events_app.db import sql
from tests.fixtures import published_event
from tests.integration.web.test_checkin_api import NAMES, decode_qr, register, staff_headers


async def test_badges_print_every_script_and_a_code_the_desk_admits(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", None), ("press", None)))
    staff = await staff_headers(client, organizer, event["id"], "door@example.org")
    for i, name in enumerate(NAMES):
        await register(client, event["id"], name, f"p{i}@example.org")
    await register(client, event["id"], "Pat Press", "press@example.org", "press")
    press = await sql.fetchval("SELECT id FROM registration_category WHERE code = 'press'")
    style = await client.put(
        f"/api/events/{event['id']}/categories/{press}/badge",
        json={"colour": "#B3261E", "fields": ["name", "category"]},
        headers=organizer,
    )
    bad = await client.put(
        f"/api/events/{event['id']}/categories/{press}/badge", json={"fields": ["email"]}, headers=organizer
    )

    a6 = await client.get(f"/api/events/{event['id']}/badges.pdf", headers=organizer)
    a4 = await client.get(f"/api/events/{event['id']}/badges.pdf", params={"layout": "a4"}, headers=organizer)
    again = await client.get(
        f"/api/events/{event['id']}/badges.pdf", params={"not_printed": "true", "category": "press"}, headers=organizer
    )

    assert style.status_code == 200 and (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "fields")
    pages = pypdf.PdfReader(io.BytesIO(a6.content)).pages
    assert len(pages) == 5 and len(pypdf.PdfReader(io.BytesIO(a4.content)).pages) == 2
    texts = [p.extract_text() for p in pages]
    assert "Zoë Łukasiewicz-Ångström" in texts[0] and "Ирина Шевченко" in "".join(texts)
    assert any("王" in t and "小" in t for t in texts)  # CJK glyphs embedded (text extraction may space them)
    press_page = next(p for p, t in zip(pages, texts, strict=True) if "Pat Press" in t)
    assert "PRESS" in press_page.extract_text()
    codes = sorted({decode_qr(image.image)[0] for page in pages for image in page.images})
    assert len(codes) == 4  # one per delegate; the press category shows no QR code
    assert await sql.fetchval("SELECT fields FROM badge_style") == ["name", "category"]
    scan = await client.post(
        f"/api/events/{event['id']}/checkin/scan", json={"scan_id": uuid.uuid4().hex, "code": codes[0]}, headers=staff
    )
    assert scan.json()["outcome"] == "admitted"
    assert len(pypdf.PdfReader(io.BytesIO(again.content)).pages) == 1  # nothing left: an empty sheet
