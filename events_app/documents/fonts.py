"""The fonts every PDF uses, from Python packages pinned in pyproject.toml (never fetched at run time):

- Noto Sans (fontpkg-noto-sans): Latin with every diacritic, Greek, Cyrillic;
- Noto Sans Arabic (fontpkg-noto-sans-arabic): Arabic, shaped (joined letters, right to left) by HarfBuzz;
- Noto Sans CJK (cvttf-notosanscjk-regular): Chinese, Japanese and Korean.

fpdf2 falls back from the first to the others glyph by glyph, so a name mixing scripts prints whole.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path


def _package_dir(module: str) -> Path:
    found = importlib.util.find_spec(module)
    if found is None or found.origin is None:
        raise ImportError(module)
    return Path(found.origin).resolve().parent


@functools.cache
def font_files() -> dict[str, Path]:
    """Family name -> font file. LookupError naming the package when one is missing."""
    found: dict[str, Path] = {}
    wanted = {
        "latin": ("fontpkg_noto_sans", "files/NotoSans[[]wdth,wght[]].ttf"),
        "arabic": ("fontpkg_noto_sans_arabic", "files/NotoSansArabic*.ttf"),
        "cjk": ("cvttf_NotoSansCJK_Regular", "NotoSansCJK*.otf"),
    }
    for family, (module, pattern) in wanted.items():
        try:
            folder = _package_dir(module)
        except ImportError as exc:
            raise LookupError(f"the font package {module} is not installed (see pyproject.toml)") from exc
        matches = sorted(folder.glob(pattern))
        if not matches:
            raise LookupError(f"no font file {pattern} in {folder}")
        found[family] = matches[0]
    return found


FALLBACKS = ("arabic", "cjk")


@functools.cache
def covered(family: str) -> frozenset[int]:
    """The code points a family's font has glyphs for (its cmap), read once per process."""
    from fontTools.ttLib import TTFont

    with TTFont(str(font_files()[family]), lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def families_for(text: str) -> list[str]:
    """The families a document printing `text` needs: 'latin' always, a fallback only for characters the ones before
    it lack (loading the CJK font costs a third of a second: a certificate in Latin or Cyrillic script skips it)."""
    wanted = ["latin"]
    missing = {ord(ch) for ch in text if not ch.isspace()} - covered("latin")
    if missing & covered("arabic"):
        wanted.append("arabic")
        missing -= covered("arabic")
    if missing:
        wanted.append("cjk")
    return wanted
