"""The QR images of check-in codes: the PNG an email carries reads back to the code, and the page's SVG draws exactly
the symbol's modules with its quiet zone."""

from __future__ import annotations

import io
import re
import secrets

import pytest
import zxingcpp
from PIL import Image

from events_app.documents import qr

# Fixed values (test ids must be the same in every xdist worker): 43-character codes as checkin_token makes them.
CODES = [
    "m_SDzXDY8nwq7RDKeAURI4mZhzS2zlxGNrxOE5urCRY",
    "-1QlEmKbLMimFZHyliU4nzKcow5gnSudvt9VTjit_s8",
    "Zz9_-0aA" * 5 + "xYz",
    "https://example.org/verify/ABC-123",
]


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize(("scale", "border"), [(1, 4), (6, 4), (3, 0)])
def test_png_reads_back_to_the_code(code, scale, border):
    image = Image.open(io.BytesIO(qr.png(code, scale=scale, border=border)))
    side = (len(qr.matrix(code)) + 2 * border) * scale
    assert image.size == (side, side) and image.mode == "1"
    gray = image.convert("L")
    if border == 0:  # a reader needs a quiet zone: give it one, as the page around the image does
        framed = Image.new("L", (side + 8 * scale, side + 8 * scale), 255)
        framed.paste(gray, (4 * scale, 4 * scale))
        gray = framed
    gray = gray.resize((gray.width * 8 // scale, gray.height * 8 // scale), Image.NEAREST)
    assert [r.text for r in zxingcpp.read_barcodes(gray)] == [code]


def test_the_symbol_is_level_m_and_version_4_for_a_check_in_code():
    # A fixed code: the encoder packs long runs of digits or capitals tighter, so about one random code in 15 fits
    # version 3 (29 modules), which any reader reads as well.
    modules = qr.matrix("kT3vN8q_Lw2bY7zR-pQ4mH9sD1fG6jC0aE5uX2iO8lB")  # 43 characters, like token_urlsafe(32)
    assert len(modules) == 33 and all(len(row) == 33 for row in modules)
    assert {len(qr.matrix(secrets.token_urlsafe(32))) for _ in range(200)} <= {29, 33}
    assert {b for row in modules for b in row} == {0, 1}
    for corner in (modules[0][:7], modules[0][-7:], modules[-1][:7]):  # the finder patterns' outer rows
        assert corner == b"\1" * 7


def test_svg_draws_exactly_the_modules_inside_the_quiet_zone():
    code = secrets.token_urlsafe(32)
    svg = qr.svg(code, scale=5, border=4, title="Check-in <code> & more")
    modules = qr.matrix(code)
    width = len(modules) + 8
    assert svg.startswith("<svg ") and "<?xml" not in svg
    assert f'width="{width * 5}"' in svg and f'viewBox="0 0 {width} {width}"' in svg
    assert 'role="img"' in svg and "<title>Check-in &lt;code&gt; &amp; more</title>" in svg
    drawn = [[0] * len(modules) for _ in modules]
    for x, y, run in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        for i in range(int(run)):
            drawn[int(y) - 4][int(x) - 4 + i] = 1
    assert drawn == [list(row) for row in modules]


def test_svg_without_title_is_left_to_the_page_to_name():
    svg = qr.svg("abc")
    assert 'aria-hidden="true"' in svg and "role=" not in svg and "<title>" not in svg


@pytest.mark.parametrize("scale", [1, 2, 3, 5, 6, 7, 8, 9])
@pytest.mark.parametrize("border", [0, 1, 4])
def test_png_pixels_are_the_modules(scale, border):
    """Every pixel of the PNG is its module's colour: `scale` x `scale` pixels per module, the quiet zone white
    (for every width, including those whose rows do not end on a byte)."""
    code = CODES[0]
    rows = qr.matrix(code)
    image = Image.open(io.BytesIO(qr.png(code, scale=scale, border=border))).convert("L")
    width = len(rows) + 2 * border
    expected = bytes(
        0
        if border <= x // scale < border + len(rows)
        and border <= y // scale < border + len(rows)
        and rows[y // scale - border][x // scale - border]
        else 255
        for y in range(width * scale)
        for x in range(width * scale)
    )
    assert image.tobytes() == expected
