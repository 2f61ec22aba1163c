"""The attendance report by organization as a file in the reader's language and separator: one function for the
API route and the organizer's page."""

from __future__ import annotations

from collections.abc import Callable

from litestar import Request, Response

from events_app.domain.errors import FieldError, InvalidInput
from events_app.domain.spreadsheet import DELIMITERS, csv_delimiter
from events_app.services.onsite import attendance
from events_app.services.people.accounts import CurrentAccount
from events_app.web.pages.i18n import choose_language, translations

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"  # Litestar adds "; charset=utf-8"


def report_language(request: Request, language: str | None = None) -> tuple[str, Callable[[str], str] | None]:
    """The reader's language (the page's, else the browser's) and its gettext (None: English)."""
    language = language or choose_language(None, request.headers.get("accept-language"))
    return language, (translations(language).gettext if language != "en" else None)


def report_delimiter(request: Request, separator: str | None, language: str) -> str:
    """The CSV separator asked for (`separator`: comma or semicolon), else the one Excel expects in the reader's
    locale (browser's Accept-Language first, e.g. fr-FR or es-ES: ';')."""
    if separator is None or separator == "":
        return csv_delimiter(request.headers.get("accept-language"), language)
    if separator not in DELIMITERS:
        raise InvalidInput([FieldError("separator", f"must be one of {', '.join(DELIMITERS)}")])
    return DELIMITERS[separator]


async def attendance_report(
    request: Request, account: CurrentAccount, fmt: str, separator: str | None, language: str | None = None
) -> Response[bytes]:
    """The report by organization across events and meetings, as CSV or XLSX, in the reader's language."""
    language, gettext = report_language(request, language)
    delimiter = report_delimiter(request, separator, language) if fmt == "csv" else ","
    header, table = await attendance.organization_report(account, gettext)
    if fmt == "csv":
        data, media = attendance.report_csv(header, table, delimiter), CSV
    else:
        data, media = attendance.report_xlsx(header, table), XLSX
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="attendance-by-organization.{fmt}"',
            "Content-Language": language,
        },
    )
