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

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet could take for a formula, with a leading single quote; None as ''; numbers as they
    are (a number is never a formula)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(
    header: Sequence[Any], rows: Iterable[Sequence[Any]], *, bom: bool = False, lineterminator: str = "\r\n"
) -> bytes:
    """A CSV file (UTF-8; with a byte-order mark when `bom`, so spreadsheet programs detect the encoding)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=lineterminator)
    writer.writerow([safe_cell(v) for v in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def xlsx_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, sheet: str, title: str = "") -> bytes:
    """An XLSX workbook of one sheet: bold, frozen header row with a filter; each cell written with its type."""
    buffer = io.BytesIO()
    # Both options off: even a write() elsewhere never turns text into a formula or a hyperlink.
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    worksheet = book.add_worksheet(sheet)
    bold = book.add_format({"bold": True})
    for col, value in enumerate(header):
        worksheet.write_string(0, col, str(safe_cell(value)), bold)
    count = 0
    for count, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            _write_cell(worksheet, count, col, value)
    worksheet.freeze_panes(1, 0)
    worksheet.autofilter(0, 0, max(count, 1), max(len(header) - 1, 0))
    if title:
        book.set_properties({"title": title})
    book.close()
    return buffer.getvalue()


def _write_cell(worksheet: Any, row: int, col: int, value: Any) -> None:
    if isinstance(value, bool):
        worksheet.write_boolean(row, col, value)
    elif isinstance(value, (int, float)):
        worksheet.write_number(row, col, value)
    elif value is None:
        worksheet.write_blank(row, col, None)
    elif isinstance(value, (datetime, date)):
        worksheet.write_string(row, col, value.isoformat())
    else:
        worksheet.write_string(row, col, str(safe_cell(str(value))))
