"""Attendance: who was really there, by category, organization and country (the event's door check-ins), and by
organization across events and pilot-project meetings, for the network's reports to members and funders."""

from __future__ import annotations

from collections.abc import Callable

from events_app.db import queries
from events_app.domain.spreadsheet import csv_bytes, xlsx_bytes
from events_app.domain.vocab import country_name, region_name, region_of
from events_app.services.people.accounts import CurrentAccount, require_organizer

Q = queries.load(__file__)
REPORT_COLUMNS = [
    "organization",
    "country",
    "kind",
    "membership",
    "activity",
    "title",
    "date",
    "registered",
    "attended",
]
# The report's header and words in the reader's language (English keeps the column keys above, which scripts read).
COLUMN_LABELS = {
    "organization": "Organization",
    "country": "Country",
    "kind": "Kind",
    "membership": "Membership",
    "activity": "Activity",
    "title": "Title",
    "date": "Date",
    "registered": "People registered",
    "attended": "People who attended",
}
ACTIVITY_LABELS = {"event": "Event", "meeting": "Meeting"}
NO_ORGANIZATION = "(none)"


def _rows(rows, *, country_labels: bool = False) -> list[dict]:
    out = []
    for r in rows:
        row = dict(r)
        if country_labels:
            row["code"] = row["label"]
            row["label"] = country_name(row["label"]) if row["label"] else ""
        row["rate"] = round(100 * row["checked_in"] / row["registered"]) if row["registered"] else 0
        out.append(row)
    return out


def _by_region(by_country: list[dict], language: str) -> list[dict]:
    """The country rows summed by their continent (domain.vocab.region_of), named in `language`, largest first;
    no country: ''."""
    regions: dict[str, dict] = {}
    for row in by_country:
        code = region_of(row["code"])
        region = regions.setdefault(
            code, {"label": region_name(code, language), "code": code, "registered": 0, "checked_in": 0}
        )
        region["registered"] += row["registered"]
        region["checked_in"] += row["checked_in"]
    rows = sorted(regions.values(), key=lambda r: (-r["registered"], r["label"] or "~"))
    return [{**r, "rate": round(100 * r["checked_in"] / r["registered"]) if r["registered"] else 0} for r in rows]


async def event_attendance(account: CurrentAccount, event_id: int, language: str = "en") -> dict:
    """Live counts of an event for its organizers: registered vs checked in, in total and by category,
    organization, country and region (continent, named in `language`)."""
    await require_organizer(account, event_id)
    totals = await Q.attendance_totals(event_id=event_id)  # counted like the breakdowns, which sum to it
    by_country = _rows(await Q.attendance_by_country(event_id=event_id), country_labels=True)
    return {
        "event_id": event_id,
        "registered": totals["registered"],
        "checked_in": totals["checked_in"],
        "by_category": _rows(await Q.attendance_by_category(event_id=event_id)),
        "by_organization": _rows(await Q.attendance_by_organization(event_id=event_id)),
        "by_country": by_country,
        "by_region": _by_region(by_country, language),
    }


async def organization_report(
    account: CurrentAccount, gettext: Callable[[str], str] | None = None
) -> tuple[list[str], list[list]]:
    """Attendance by organization across every event the account manages (administrators: all) and the meetings
    of the pilot projects it coordinates: one row per organization and event or meeting. `gettext` translates the
    header and the words into the reader's language (None: English, with the column keys as the header)."""
    rows = await Q.organization_attendance(account_id=account.id, is_admin=account.is_admin)
    _ = gettext or (lambda text: text)
    header = [_(COLUMN_LABELS[c]) for c in REPORT_COLUMNS] if gettext else list(REPORT_COLUMNS)
    activities = {k: _(v) if gettext else k for k, v in ACTIVITY_LABELS.items()}
    table = [
        [
            r["organization"] if r["organization"] is not None else _(NO_ORGANIZATION),
            r["country"],
            r["kind"],
            r["membership"],
            activities[r["activity"]],
            r["title"],
            r["date"],  # a date: an ISO day in CSV, a date cell in XLSX
            r["registered"],
            r["attended"],
        ]
        for r in rows
    ]
    return header, table


def report_csv(header: list[str], table: list[list], delimiter: str = ",") -> bytes:
    return csv_bytes(header, table, bom=True, delimiter=delimiter)


def report_xlsx(header: list[str], table: list[list]) -> bytes:
    return xlsx_bytes(header, table, sheet="Attendance", title="Attendance by organization")
