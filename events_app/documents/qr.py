"""QR codes of check-in codes: PNG for email (an inline image) and PDFs, SVG for pages.

The symbol comes from zxing-cpp (its writer is libzint, in C): encoding and choosing the best of the eight masks
takes about 0.25 ms, against 1.5-2 ms for a pure-Python encoder, and every confirmation email carries one. The
images are drawn here from the symbol's modules: a 1-bit PNG and an SVG path, both small and sharp at any size.
"""

from __future__ import annotations

import html
import struct
import zlib
from typing import Any, cast

import zxingcpp

# M: 15% of the symbol can be damaged (a creased printout, a cracked screen) and it still reads; a 43-character
# code fits version 4 (33 x 33 modules), which phone cameras read from arm's length.
ERROR_LEVEL = "M"


def matrix(data: str) -> list[bytes]:
    """The symbol's modules, row by row, without the quiet zone: b"\\1" dark, b"\\0" light."""
    symbol = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level=ERROR_LEVEL)
    image = symbol.to_image(scale=1, add_quiet_zones=False)
    side = image.shape[1]
    # One byte per module (the stubs do not declare the buffer it exports): 0 for a dark module, 255 for a light one.
    pixels = memoryview(cast(Any, image)).tobytes().translate(_DARK)
    return [pixels[i : i + side] for i in range(0, len(pixels), side)]


_DARK = bytes([1] + [0] * 255)
_MODULE = bytes.maketrans(b"\0\1", b"wb")


def png(data: str, scale: int = 8, border: int = 4) -> bytes:
    """A black-on-white 1-bit PNG of the symbol, `scale` pixels per module, `border` modules of quiet zone: one
    packed scanline per row of modules, repeated `scale` times, compressed by zlib (about 0.05 ms)."""
    return _png_of(matrix(data), scale, border)


def _png_of(rows: list[bytes], scale: int, border: int) -> bytes:
    width = len(rows) + 2 * border
    side = width * scale
    # Every row of modules as text, light w and dark b, each row ended by "|"; then in one pass each module becomes
    # `scale` bits (in the PNG, 1 is white) and each row end the bits that fill its last byte. One int() packs the
    # whole image: the scanlines are its slices, each after its filter byte (type 0) and repeated `scale` times.
    light = b"\0" * width
    pad = b"\0" * border
    modules = b"|".join([light] * border + [pad + row + pad for row in rows] + [light] * border) + b"|"
    bits = (
        modules.translate(_MODULE)
        .replace(b"w", b"1" * scale)
        .replace(b"b", b"0" * scale)
        .replace(b"|", b"1" * (-side % 8))
    )
    packed = int(bits, 2).to_bytes(len(bits) // 8, "big")
    stride = (side + 7) // 8
    lines = [(b"\0" + packed[i : i + stride]) * scale for i in range(0, len(packed), stride)]

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1 bit per pixel, greyscale, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(lines), 1))
        + chunk(b"IEND", b"")
    )


def svg(data: str, scale: int = 6, border: int = 4, title: str = "") -> str:
    """An inline <svg> element (no XML declaration), for a page: one path of horizontal runs of dark modules, on a
    white square with the quiet zone, `scale` CSS pixels per module."""
    rows = matrix(data)
    width = len(rows) + 2 * border
    runs = []
    for y, row in enumerate(rows):
        x = 0
        while (x := row.find(b"\1", x)) != -1:
            end = row.find(b"\0", x)
            end = len(row) if end == -1 else end
            runs.append(f"M{x + border} {y + border}h{end - x}v1h-{end - x}z")
            x = end
    # With a title the image names itself; without, the page around it does (and the svg stays out of the way).
    role, label = ('role="img"', f"<title>{html.escape(title)}</title>") if title else ('aria-hidden="true"', "")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width * scale}" height="{width * scale}"'
        f' viewBox="0 0 {width} {width}" shape-rendering="crispEdges" {role}>{label}'
        f'<rect width="{width}" height="{width}" fill="#fff"/><path fill="#000" d="{"".join(runs)}"/></svg>'
    )
