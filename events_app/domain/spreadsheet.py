"""Tables for spreadsheet programs (CSV and XLSX exports) in which every value people typed stays text.

A cell that starts with `=`, `+`, `-`, `@`, tab or CR is run as a formula by Excel, LibreOffice or Google Sheets
(OWASP "CSV Injection"): a registrant named `=HYPERLINK("https://evil", "click")` would become a live link in the
organizer's sheet. Such text gets a leading single quote, the prefix the OWASP guidance recommends, in CSV and in
XLSX alike; XLSX cells are moreover written with their explicit type (never guessed), so no string becomes a
formula or a link. Pure: the files are built in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import xlsxwriter
from babel import Locale, UnknownLocaleError
from babel.numbers import get_decimal_symbol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = {"comma": ",", "semicolon": ";"}
MAX_WIDTH = 60  # characters: a long title wraps the sheet no wider than this


def csv_delimiter(*languages: str | None) -> str:
    """The list separator Excel expects for the reader's locale: ';' where the decimal separator is a comma (Spanish,
    French, German, Portuguese...: Windows uses ';' as the list separator there, and Excel splits a CSV file on it),
    else ','. `languages` are language tags or Accept-Language headers, the first one Babel knows decides."""
    for value in languages:
        for part in (value or "").split(","):
            tag = part.split(";")[0].strip()
            if not tag or tag == "*":
                continue
            try:
                locale = Locale.parse(tag.replace("-", "_"))
            except (UnknownLocaleError, ValueError, TypeError):
                continue
            return ";" if get_decimal_symbol(locale) == "," else ","
    return ","


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet could take for a formula, with a leading single quote; None as ''; numbers as they
    are (a number is never a formula)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    bom: bool = False,
    lineterminator: str = "\r\n",
    delimiter: str = ",",
) -> bytes:
    """A CSV file (UTF-8; with a byte-order mark when `bom`, so spreadsheet programs detect the encoding). Dates are
    written ISO 8601 (2026-03-10), which Excel, LibreOffice and Google Sheets read as dates in every locale."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=lineterminator, delimiter=delimiter)
    writer.writerow([safe_cell(v) for v in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def xlsx_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, sheet: str, title: str = "") -> bytes:
    """An XLSX workbook of one sheet: bold, frozen header row with a filter, columns as wide as their content (up to
    MAX_WIDTH); each cell written with its type (numbers as numbers, dates as dates)."""
    buffer = io.BytesIO()
    # Both options off: even a write() elsewhere never turns text into a formula or a hyperlink.
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    worksheet = book.add_worksheet(sheet_name(sheet))
    bold = book.add_format({"bold": True})
    formats = {
        date: book.add_format({"num_format": "yyyy-mm-dd"}),
        datetime: book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
    }
    widths = [len(str(value)) + 2 for value in header]  # + room for the filter button
    for col, value in enumerate(header):
        worksheet.write_string(0, col, str(safe_cell(value)), bold)
    count = 0
    for count, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            width = _write_cell(worksheet, count, col, value, formats)
            if col < len(widths):
                widths[col] = max(widths[col], width)
            else:
                widths.append(width)
    for col, width in enumerate(widths):
        worksheet.set_column(col, col, min(max(width, 8), MAX_WIDTH) + 1)
    worksheet.freeze_panes(1, 0)
    worksheet.autofilter(0, 0, max(count, 1), max(len(header) - 1, 0))
    if title:
        book.set_properties({"title": title})
    book.close()
    return buffer.getvalue()


def sheet_name(name: str) -> str:
    """A name Excel accepts for a sheet: no []:*?/\\, not starting or ending with an apostrophe, 1 to 31 characters."""
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in name).strip().strip("'").strip()
    return cleaned[:31].rstrip() or "Sheet1"


def _write_cell(worksheet: Any, row: int, col: int, value: Any, formats: dict[type[date], Any]) -> int:
    """Write one cell with its type; the width (in characters) its content needs."""
    if isinstance(value, bool):
        worksheet.write_boolean(row, col, value)
        return 5
    if isinstance(value, (int, float)):
        worksheet.write_number(row, col, value)
        return len(f"{value:,}")
    if value is None:
        worksheet.write_blank(row, col, None)
        return 0
    if isinstance(value, datetime):
        # Excel has no time zones: the wall-clock time the caller chose (convert first), without its offset.
        worksheet.write_datetime(row, col, value.replace(tzinfo=None), formats[datetime])
        return 16
    if isinstance(value, date):
        worksheet.write_datetime(row, col, value, formats[date])
        return 10
    text = str(safe_cell(str(value)))
    worksheet.write_string(row, col, text)
    return max((len(line) for line in text.splitlines()), default=0)
