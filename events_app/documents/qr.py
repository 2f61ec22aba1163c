"""QR codes of check-in codes: PNG for email (an inline image) and PDFs, SVG for pages."""

from __future__ import annotations

import io

import segno

# M: 15% of the symbol can be damaged (a creased printout, a cracked screen) and it still reads; a 43-character
# code fits version 3 (29 x 29 modules), which phone cameras read from arm's length.
ERROR_LEVEL = "m"
# Any of the eight masks gives a valid symbol; choosing the best one evaluates all eight and costs 85% of the time,
# which counts when 3,000 badges are printed. Mask 2 (vertical stripes) reads well on screens and paper.
MASK = 2


def _symbol(data: str) -> segno.QRCode:
    return segno.make_qr(data, error=ERROR_LEVEL, boost_error=False, mask=MASK)


def png(data: str, scale: int = 8, border: int = 4) -> bytes:
    out = io.BytesIO()
    _symbol(data).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def svg(data: str, scale: int = 6, border: int = 4, title: str = "") -> str:
    """An inline <svg> element (no XML declaration), for a page."""
    out = io.BytesIO()
    _symbol(data).save(
        out, kind="svg", scale=scale, border=border, xmldecl=False, svgns=True, title=title or None, nl=False
    )
    return out.getvalue().decode()


def matrix(data: str) -> list[list[bool]]:
    """The symbol's modules, row by row (True: dark), without the quiet zone: what a PDF draws as rectangles."""
    return [[bool(v) for v in row] for row in _symbol(data).matrix]
