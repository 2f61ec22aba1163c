"""Demo data a person from the network would recognise: a world congress, member cities and regions from every
continent, partners, categories and some registrations. Idempotent; refused in production."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from events_app.db import queries
from events_app.db.engine import DB
from events_app.services.events import events
from events_app.services.events.rows import ROWS
from events_app.services.people import accounts
from events_app.services.registration import registrations
from events_app.settings import get_settings

ORGANIZER_EMAIL = "organizer@example.org"

ORGANIZATIONS = [
    # (name, kind, country, membership status, registered email domain: its staff's addresses)
    ("City of Malmö", "city", "SE", "active", "malmo.example"),
    ("Seoul Metropolitan Government", "metropolis", "KR", "active", "seoul.example"),
    ("City of Cape Town", "metropolis", "ZA", "active", "capetown.example"),
    ("Bogotá D.C.", "city", "CO", "active", "bogota.example"),
    ("Nairobi City County", "county", "KE", "active", "nairobi.example"),
    ("Kyoto City", "city", "JP", "active", "kyoto.example"),
    ("Nagano Prefecture", "prefecture", "JP", "active", "nagano.example"),
    ("Municipality of Curitiba", "municipality", "BR", "active", "curitiba.example"),
    ("Région Île-de-France", "region", "FR", "active", "iledefrance.example"),
    ("City of Bonn", "city", "DE", "active", "bonn.example"),
    ("Town of Bad Honnef", "town", "DE", "lapsed", "bad-honnef.example"),
    ("City of Vancouver", "city", "CA", "active", "vancouver.example"),
    ("Greater Dhaka Metropolitan Area", "metropolis", "BD", "active", "dhaka.example"),
    (
        "Federal Ministry for Housing, Urban Development and Building",
        "national_government",
        "DE",
        "none",
        "bmwsb.example",
    ),
    (
        "United Nations Human Settlements Programme (UN-Habitat)",
        "international_agency",
        "KE",
        "none",
        "unhabitat.example",
    ),
    ("Universidad de los Andes", "academic", "CO", "none", "uniandes.example"),
    ("Lund University", "academic", "SE", "none", "lu.example"),
    ("Nordic Urban Mobility AB", "company", "SE", "none", "num.example"),
    ("Clean Air Cities Foundation", "foundation", "NL", "none", "cleanair.example"),
    ("Water Justice Network", "ngo", "IN", "none", "waterjustice.example"),
    ("Swedish Association of Local Authorities and Regions", "association", "SE", "none", "skr.example"),
]

PEOPLE = [
    # (name, email, organization, category, language)
    ("Katrin Stjernfeldt Jammeh", "k.jammeh@malmo.example", "City of Malmö", "speaker", "en"),
    ("Ji-won Park", "jiwon.park@seoul.example", "Seoul Metropolitan Government", "delegate", "en"),
    ("Thandiwe Nkosi", "t.nkosi@capetown.example", "City of Cape Town", "delegate", "en"),
    ("Camila Rodríguez Ortiz", "camila.rodriguez@bogota.example", "Bogotá D.C.", "delegate", "es"),
    ("Wanjiru Kamau", "w.kamau@nairobi.example", "Nairobi City County", "speaker", "en"),
    ("Haruto Yamamoto", "h.yamamoto@kyoto.example", "Kyoto City", "delegate", "en"),
    ("Ana Luiza Ferreira", "ana.ferreira@curitiba.example", "Municipality of Curitiba", "delegate", "es"),
    ("Claire Dubois", "c.dubois@iledefrance.example", "Région Île-de-France", "delegate", "en"),
    ("Farhana Rahman", "f.rahman@dhaka.example", "Greater Dhaka Metropolitan Area", "delegate", "en"),
    (
        "Lukas Becker",
        "l.becker@bmwsb.example",
        "Federal Ministry for Housing, Urban Development and Building",
        "partner",
        "en",
    ),
    (
        "Amina Odhiambo",
        "a.odhiambo@unhabitat.example",
        "United Nations Human Settlements Programme (UN-Habitat)",
        "partner",
        "en",
    ),
    ("Santiago Herrera", "s.herrera@uniandes.example", "Universidad de los Andes", "partner", "es"),
    ("Erik Lindqvist", "e.lindqvist@example.org", None, "press", "en"),
]

CONGRESS_TITLE = "World Congress of Local Governments 2027"
Q = queries.load(__file__, rows=ROWS)


async def seed(now: datetime | None = None) -> str:
    settings = get_settings()
    if settings.production:
        raise RuntimeError("demo data is never loaded in production (APP_ENV=production)")
    now = now or datetime.now(timezone.utc)
    account_id = await accounts.create_account(ORGANIZER_EMAIL, "Congress Secretariat", settings.demo_password)
    if await Q.event_titled(title=CONGRESS_TITLE):
        return "already loaded"
    org_ids: dict[str, int] = {}
    async with DB.transaction():
        for name, kind, country, status, domain in ORGANIZATIONS:
            org_ids[name] = await Q.insert_organization(name=name, kind=kind, country=country, membership_status=status)
            await Q.add_organization_domain(organization_id=org_ids[name], domain=domain)
    organizer = accounts.CurrentAccount(account_id, ORGANIZER_EMAIL, "Congress Secretariat", False)
    malmo = ZoneInfo("Europe/Stockholm")
    year = now.astimezone(malmo).year + 1
    congress = await events.create_event(
        organizer,
        {
            "title": CONGRESS_TITLE,
            "kind": "congress",
            "description": (
                "Three days on how cities and regions lead the transition: low-emission, nature-based, "
                "resilient, equitable and circular development. Mayors, governors and their teams meet "
                "national governments, UN agencies, researchers and partners to agree on the network's "
                "strategy for the next three years."
            ),
            "timezone": "Europe/Stockholm",
            "starts_at": datetime(year, 5, 18, 9, 0, tzinfo=malmo),
            "ends_at": datetime(year, 5, 20, 17, 30, tzinfo=malmo),
            "venue_name": "Malmö Live Konserthus",
            "venue_address": "Dag Hammarskjölds torg 4",
            "city": "Malmö",
            "country": "SE",
            "online_url": "https://stream.example.org/world-congress",
            "registration_opens_at": now - timedelta(days=1),
            "registration_closes_at": datetime(year, 5, 10, 23, 59, tzinfo=malmo),
            "capacity": 1500,
            "organizer_email": "congress@example.org",
            "organizer_name": "World Congress Secretariat",
        },
    )
    for code, name, quota, approval, eligibility in (
        ("delegate", "Delegate of a member government", 1200, False, "members"),
        ("speaker", "Speaker", 150, False, "anyone"),
        ("partner", "Partner organization", 300, False, "partners"),
        ("press", "Press", 80, True, "anyone"),
    ):
        await events.add_category(
            organizer,
            congress["id"],
            {"code": code, "name": name, "quota": quota, "requires_approval": approval, "eligibility": eligibility},
        )
    await events.publish_event(organizer, congress["id"])

    bogota = ZoneInfo("America/Bogota")
    webinar = await events.create_event(
        organizer,
        {
            "title": "Webinar: Financing nature-based solutions in Latin American cities",
            "kind": "webinar",
            "description": "How Bogotá, Curitiba and partners fund urban wetlands and green corridors.",
            "timezone": "America/Bogota",
            "starts_at": (now + timedelta(days=30))
            .astimezone(bogota)
            .replace(hour=10, minute=0, second=0, microsecond=0),
            "ends_at": (now + timedelta(days=30))
            .astimezone(bogota)
            .replace(hour=11, minute=30, second=0, microsecond=0),
            "online_url": "https://meet.example.org/nbs-latam",
            "capacity": 500,
            "organizer_email": "webinars@example.org",
            "organizer_name": "Network Webinars",
        },
    )
    await events.add_category(organizer, webinar["id"], {"code": "participant", "name": "Participant"})
    await events.publish_event(organizer, webinar["id"])

    nairobi = ZoneInfo("Africa/Nairobi")
    await events.create_event(
        organizer,
        {
            "title": "Africa Regional Forum on Resilient Cities",
            "kind": "forum",
            "description": "Draft: programme in preparation with the Nairobi City County.",
            "timezone": "Africa/Nairobi",
            "starts_at": datetime(year, 9, 8, 9, 0, tzinfo=nairobi),
            "ends_at": datetime(year, 9, 9, 16, 0, tzinfo=nairobi),
            "venue_name": "Kenyatta International Convention Centre",
            "city": "Nairobi",
            "country": "KE",
        },
    )

    for name, email, org, category, language in PEOPLE:
        await registrations.register(
            congress["id"],
            {
                "name": name,
                "email": email,
                "category": category,
                "language": language,
                "consent": True,
                "organization_id": org_ids.get(org) if org else None,
            },
        )
    return f"{len(ORGANIZATIONS)} organizations, 3 events, {len(PEOPLE)} registrations"
