"""The certificate PDF loads only the fonts its text needs, and prints every script whole (read back with pypdf)."""

from __future__ import annotations

import dataclasses
import io

import pypdf
import pytest
import zxingcpp
from PIL import Image

from events_app.documents import fonts, pdf

CERTIFICATE = pdf.Certificate(
    name="Zoë Ñúñez",
    event_title="World Congress",
    dates="7–9 June 2027",
    place="Madrid, Spain",
    hours="19.5",
    url="https://events.example.org/certificates/IwlhKZYJnYUI5ofP0iR75RioCusU0dTHvANCPOfHxa4",
    issued="Thursday, 10 June 2027",
)


@pytest.mark.parametrize(
    ("text", "families"),
    [
        ("Zoë Ñúñez-Łukasiewicz", ["latin"]),
        ("Олег Петров", ["latin"]),
        ("محمد علي", ["latin", "arabic"]),
        ("李安 Ли", ["latin", "cjk"]),
        ("محمد 李安", ["latin", "arabic", "cjk"]),
    ],
)
def test_families_for_loads_a_fallback_only_when_needed(text, families):
    assert fonts.families_for(text) == families


def page_of(data: bytes):
    return pypdf.PdfReader(io.BytesIO(data)).pages[0]


@pytest.mark.parametrize("name", ["Zoë Ñúñez-Łukasiewicz", "Олег Петров"])
def test_certificate_text_and_qr_read_back(name):
    page = page_of(pdf.certificate(dataclasses.replace(CERTIFICATE, name=name)))
    text = page.extract_text()
    image = page.images[0].image.convert("L")
    image = image.resize((image.width * 8, image.height * 8), Image.NEAREST)

    assert name in text and "World Congress" in text and "Hours attended: 19.5" in text
    assert CERTIFICATE.url in text
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [CERTIFICATE.url]


def test_certificate_embeds_only_the_fonts_it_uses():
    latin = page_of(pdf.certificate(CERTIFICATE))
    cjk = page_of(pdf.certificate(dataclasses.replace(CERTIFICATE, name="李安")))

    def embedded(page) -> int:
        return len(page["/Resources"]["/Font"])

    assert (embedded(latin), embedded(cjk)) == (1, 2)
