"""docs/screenshots.py renders a validation result's HTML repr and the docs quickstart page in Chromium.

Skipped when Chromium is missing (``apt-get install chromium``; CI machines may lack it) or the docs
extra (mkdocs) is not installed.  The PNGs go to a temporary directory; ``python docs/screenshots.py``
refreshes the committed ones in docs/screenshots/.
"""

from __future__ import annotations

import importlib.util
import struct
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))
screenshots = pytest.importorskip("screenshots")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        screenshots.find_chromium() is None, reason="chromium not installed (apt-get install chromium)"
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("mkdocs") is None, reason="mkdocs not installed (docs extra)"
    ),
]


def png_summary(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct byte values in the image data) of a PNG, read without an image library."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    idat = b""
    offset = 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if kind == b"IDAT":
            idat += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    pixels = zlib.decompress(idat)
    return width, height, len(set(pixels))


def test_screenshots_show_the_rendered_pages(tmp_path: Path) -> None:
    shots = screenshots.main(["--out", str(tmp_path)])
    assert set(shots) == {"validation-result", "quickstart"}
    for name, path in shots.items():
        width, height, variety = png_summary(path)
        assert (width, height) == ((1000, 600) if name == "validation-result" else screenshots.WINDOW)
        # a blank or error page is a handful of byte values; rendered text and badges are many
        assert variety > 64, f"{name}: the screenshot looks blank ({variety} distinct byte values)"


def test_validation_page_holds_the_revoked_chain(tmp_path: Path) -> None:
    page = screenshots.validation_page(tmp_path).read_text("utf-8")
    assert "NOT VALID" in page
    assert "revoked" in page
    assert page.index("Demo CAISO Root CA") < page.index("Demo CAISO Issuing CA 1") < page.index("rig-0001")
