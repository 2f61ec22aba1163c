"""QR codes of check-in codes: PNG for email (an inline image) and PDFs, SVG for pages."""

from __future__ import annotations

import io
import struct
import zlib

import segno

# M: 15% of the symbol can be damaged (a creased printout, a cracked screen) and it still reads; a 43-character
# code fits version 3 (29 x 29 modules), which phone cameras read from arm's length.
ERROR_LEVEL = "m"
# Any of the eight masks gives a valid symbol; choosing the best one evaluates all eight and costs 85% of the time,
# which counts when 3,000 badges are printed. Mask 2 (vertical stripes) reads well on screens and paper.
MASK = 2


def _symbol(data: str) -> segno.QRCode:
    return segno.make_qr(data, error=ERROR_LEVEL, boost_error=False, mask=MASK)


_MODULE = bytes.maketrans(b"\0\1", b"wb")


def png(data: str, scale: int = 8, border: int = 4) -> bytes:
    """A black-on-white 1-bit PNG of the symbol, `scale` pixels per module, `border` modules of quiet zone.

    segno draws its PNG pixel by pixel in Python (1.6 ms at scale 6, more than encoding the symbol); every
    confirmation email carries one, so the image is written here from the symbol's matrix: one packed scanline per
    row of modules, repeated `scale` times, compressed by zlib (about 0.05 ms)."""
    return _png_of(_symbol(data).matrix, scale, border)


def _png_of(matrix, scale: int, border: int) -> bytes:
    width = len(matrix) + 2 * border
    side = width * scale
    pad = b"w" * border
    lines = []
    for row in [b""] * border + [bytes(r).translate(_MODULE) for r in matrix] + [b""] * border:
        modules = (pad + row + pad).ljust(width, b"w")  # w: light, b: dark module
        bits = modules.replace(b"w", b"1" * scale).replace(b"b", b"0" * scale)  # in the PNG, 1 is white
        bits += b"1" * (-len(bits) % 8)
        line = b"\0" + int(bits, 2).to_bytes(len(bits) // 8, "big")  # filter type 0, then the packed pixels
        lines.append(line * scale)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1 bit per pixel, greyscale, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(lines), 6))
        + chunk(b"IEND", b"")
    )


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
