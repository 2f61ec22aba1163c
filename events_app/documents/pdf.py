"""PDFs: the delegate's ticket, badges (A6 one per page, or A4 sheets of four with cut marks), certificates.

fpdf2 with HarfBuzz shaping (uharfbuzz): Arabic is joined and laid right to left, CJK and Cyrillic come from the
fallback fonts (fonts.py). QR codes are drawn as vector rectangles, so they stay sharp at any print size.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from events_app.documents import fonts, qr

A4 = (210.0, 297.0)
A5 = (148.0, 210.0)
A6 = (105.0, 148.0)


def _hex_colour(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    if len(value) != 6:
        return (31, 78, 121)
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


class Document(FPDF):
    """An FPDF with the project's fonts, shaping on and no automatic page breaks (every layout is fixed)."""

    def __init__(self, page: tuple[float, float], title: str = "", text: str | None = None) -> None:
        """With `text` (everything the document will print) only the fonts it needs are loaded."""
        super().__init__(unit="mm", format=page)
        self.set_auto_page_break(False)
        self.set_margins(0, 0, 0)
        self.c_margin = 0
        wanted = fonts.families_for(text) if text is not None else list(fonts.font_files())
        for family, path in fonts.font_files().items():
            if family in wanted:
                self.add_font(family, fname=str(path))
        self.set_fallback_fonts([f for f in fonts.FALLBACKS if f in wanted], exact_match=False)
        self.set_text_shaping(True)
        self.set_creator("events-app")
        if title:
            self.set_title(title)

    def line_of_text(
        self, x: float, y: float, w: float, text: str, size: float, *, bold: bool = False, align: str = "C"
    ) -> None:
        """One line, shrunk until it fits the width `w` (long names stay on one line, never cut)."""
        self.set_font("latin", size=size)
        while size > 6 and self.get_string_width(text) > w:
            size -= 0.5
            self.set_font("latin", size=size)
        self.set_xy(x, y)
        self.cell(w, size * 0.45, text, align=Align.coerce(align), new_x=XPos.LEFT, new_y=YPos.NEXT)

    def qr_code(self, data: str, x: float, y: float, size: float) -> None:
        """The QR code of `data`, `size` mm wide including its quiet zone: a one-pixel-per-module PNG image, scaled
        without smoothing, so it stays sharp at any print size and a reader can take it back out of the PDF."""
        self.image(io.BytesIO(qr.png(data, scale=1, border=4)), x, y, size, size)


# ----------------------------------------------------------------------------- ticket


@dataclass(frozen=True)
class Ticket:
    code: str
    event_title: str
    when: str
    where: str
    name: str
    organization: str
    category: str
    labels: dict[str, str] = field(default_factory=dict)  # translated captions: "ticket", "show"


def ticket(t: Ticket) -> bytes:
    """One A5 page: the event, the person, and the QR code a desk scans (readable from a phone's screen too)."""
    pdf = Document(A5, title=f"{t.labels.get('ticket', 'Ticket')} – {t.event_title}")
    pdf.add_page()
    w = A5[0]
    pdf.set_fill_color(31, 78, 121)
    pdf.rect(0, 0, w, 28, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.line_of_text(8, 7, w - 16, t.event_title, 16)
    pdf.line_of_text(8, 16, w - 16, t.when, 10)
    pdf.set_text_color(0, 0, 0)
    pdf.line_of_text(8, 33, w - 16, t.where, 10)
    pdf.line_of_text(8, 45, w - 16, t.name, 20)
    pdf.line_of_text(8, 57, w - 16, t.organization, 12)
    pdf.line_of_text(8, 65, w - 16, t.category, 11)
    pdf.qr_code(t.code, (w - 90) / 2, 78, 90)
    pdf.set_text_color(80, 80, 80)
    pdf.line_of_text(8, 174, w - 16, t.labels.get("show", "Show this code at the entrance."), 10)
    return bytes(pdf.output())


# ----------------------------------------------------------------------------- badges

BADGE_FIELDS = ("name", "organization", "country", "category", "delegation", "qr")


@dataclass(frozen=True)
class Badge:
    name: str
    organization: str
    country: str
    category: str
    colour: str  # the category's colour, "#rrggbb"
    delegation: str
    code: str  # the check-in code ("" when the registration has none)
    fields: Sequence[str] = BADGE_FIELDS  # which fields the category shows


def _draw_badge(pdf: Document, b: Badge, x: float, y: float, event_title: str, size: tuple[float, float] = A6) -> None:
    w, h = size
    shown = set(b.fields)
    r, g, bl = _hex_colour(b.colour)
    pdf.set_fill_color(r, g, bl)
    pdf.rect(x, y, w, 16, style="F")
    pdf.rect(x, y + h - 14, w, 14, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.line_of_text(x + 5, y + 5, w - 10, event_title, 11)
    if "category" in shown:
        pdf.line_of_text(x + 5, y + h - 10, w - 10, b.category.upper(), 13)
    pdf.set_text_color(0, 0, 0)
    top = y + 24
    if "name" in shown:
        pdf.line_of_text(x + 5, top, w - 10, b.name, 22)
        top += 14
    if "organization" in shown and b.organization:
        pdf.line_of_text(x + 5, top, w - 10, b.organization, 13)
        top += 8
    if "country" in shown and b.country:
        pdf.line_of_text(x + 5, top, w - 10, b.country, 11)
        top += 7
    if "delegation" in shown and b.delegation:
        pdf.set_text_color(90, 90, 90)
        pdf.line_of_text(x + 5, top, w - 10, b.delegation, 10)
        pdf.set_text_color(0, 0, 0)
    if "qr" in shown and b.code:
        pdf.qr_code(b.code, x + (w - 40) / 2, y + h - 14 - 44, 40)


def _cut_marks(pdf: Document, x: float, y: float, w: float, h: float) -> None:
    """Short lines outside each corner of a badge: where to cut, without printing over the badge."""
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    m = 4.0
    for cx in (x, x + w):
        for cy in (y, y + h):
            dx = -1 if cx == x else 1
            dy = -1 if cy == y else 1
            pdf.line(cx + dx * 1, cy, cx + dx * m, cy)
            pdf.line(cx, cy + dy * 1, cx, cy + dy * m)


SHEET_BADGE = (90.0, 128.0)  # four to an A4 sheet, with room between them and at the edges for the cut marks


@functools.cache
def _sheet_slots() -> list[tuple[float, float]]:
    """Four badges on an A4 sheet, centred, 10 mm apart: the cut marks sit in the gaps and margins."""
    gap = 10.0
    w, h = SHEET_BADGE
    left = (A4[0] - 2 * w - gap) / 2
    top = (A4[1] - 2 * h - gap) / 2
    return [(left + c * (w + gap), top + r * (h + gap)) for r in range(2) for c in range(2)]


def badges(items: Iterable[Badge], event_title: str, layout: str = "a6") -> bytes:
    """Badges as a PDF: `a6` one per page (badge printers), `a4` sheets of four with cut marks."""
    if layout == "a4":
        pdf = Document(A4, title=event_title)
        slots = _sheet_slots()
        for i, b in enumerate(items):
            if i % len(slots) == 0:
                pdf.add_page()
            x, y = slots[i % len(slots)]
            _draw_badge(pdf, b, x, y, event_title, SHEET_BADGE)
            _cut_marks(pdf, x, y, *SHEET_BADGE)
    else:
        pdf = Document(A6, title=event_title)
        for b in items:
            pdf.add_page()
            _draw_badge(pdf, b, 0, 0, event_title)
    if pdf.page == 0:
        pdf.add_page()
    return bytes(pdf.output())


# ----------------------------------------------------------------------------- certificate of attendance

A4_LANDSCAPE = (297.0, 210.0)


@dataclass(frozen=True)
class Certificate:
    name: str
    event_title: str
    dates: str  # the event's days, written in the reader's language
    place: str
    hours: str  # the hours attended, as the reader's language writes the number
    url: str  # the verification page, with the certificate's code
    issued: str  # the day it was issued, in the reader's language
    # translated captions: "title", "certifies", "attended", "hours", "issued", "verify"
    labels: dict[str, str] = field(default_factory=dict)


def certificate(c: Certificate) -> bytes:
    """One A4 landscape page: who attended what, when, for how many hours, and where to check that it is genuine
    (the URL in words and as a QR code)."""
    label = c.labels.get
    title = f"{label('title', 'Certificate of attendance')} – {c.event_title}"
    printed = " ".join([title, c.name, c.dates, c.place, c.hours, c.url, c.issued, *c.labels.values()])
    pdf = Document(A4_LANDSCAPE, title=title, text=printed)
    pdf.add_page()
    w, h = A4_LANDSCAPE
    pdf.set_draw_color(31, 78, 121)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, w - 16, h - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, w - 22, h - 22)
    pdf.set_text_color(31, 78, 121)
    pdf.line_of_text(20, 28, w - 40, label("title", "Certificate of attendance"), 30)
    pdf.set_text_color(60, 60, 60)
    pdf.line_of_text(20, 50, w - 40, label("certifies", "This is to certify that"), 13)
    pdf.set_text_color(0, 0, 0)
    pdf.line_of_text(20, 62, w - 40, c.name, 28)
    pdf.set_text_color(60, 60, 60)
    pdf.line_of_text(20, 82, w - 40, label("attended", "attended"), 13)
    pdf.set_text_color(0, 0, 0)
    pdf.line_of_text(20, 93, w - 40, c.event_title, 20)
    pdf.line_of_text(20, 108, w - 40, c.dates, 13)
    if c.place:
        pdf.line_of_text(20, 116, w - 40, c.place, 11)
    pdf.line_of_text(20, 130, w - 40, f"{label('hours', 'Hours attended')}: {c.hours}", 16)
    pdf.set_text_color(80, 80, 80)
    pdf.line_of_text(20, 150, w - 90, f"{label('issued', 'Issued on')} {c.issued}", 10, align="L")
    pdf.line_of_text(20, 162, w - 90, label("verify", "Check that this certificate is genuine at"), 10, align="L")
    pdf.line_of_text(20, 169, w - 90, c.url, 9, align="L")
    pdf.qr_code(c.url, w - 62, h - 66, 42)
    return bytes(pdf.output())
