"""Screenshots of what people see: a validation result as Jupyter shows it, and the docs quickstart.

Renders, with a headless Chromium (Debian's ``chromium`` package, or ``$CHROMIUM``):

* ``validation-result.png``: the HTML repr (``_repr_html_``) of a validation result for a revoked RIG
  certificate from the demo PKI, written to a temporary HTML page;
* ``quickstart.png``: the quickstart page of the built documentation site.

Usage: ``python docs/screenshots.py [--out docs/screenshots] [--site site]``.  Without ``--site`` the
site is built (``mkdocs build --strict``) into a temporary directory.  No network is used: Chromium
runs with background networking off and only opens ``file://`` pages.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "screenshots"
WINDOW = (1280, 900)  # wide enough for the docs theme to show its navigation


def find_chromium() -> str | None:
    """The Chromium executable: ``$CHROMIUM``, else ``chromium`` / ``chromium-browser`` on PATH."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(url: str, out: Path, *, window: tuple[int, int] = WINDOW, chromium: str | None = None) -> Path:
    """Save a PNG of ``url`` (a ``file://`` page) at ``window`` size into ``out``."""
    browser = chromium or find_chromium()
    if browser is None:
        raise RuntimeError("chromium not found: apt-get install chromium, or set $CHROMIUM")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="caiso-pki-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={out}",
            f"--window-size={window[0]},{window[1]}",
            url,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"chromium failed ({done.returncode}) on {url}: {done.stderr[-2000:]}")
    return out


def validation_page(directory: Path) -> Path:
    """An HTML page holding the notebook rendering of a revoked RIG certificate's validation result."""
    from caiso_pki import testing, validate_chain

    pki = testing.DemoPki.create()
    rig = pki.issuing_ca.issue("rig", "rig-0001.example.com", dns_names=["rig-0001.example.com"])
    pki.issuing_ca.revoke(rig.certificate, reason="keyCompromise")
    result = validate_chain(
        rig.certificate, rig.chain, trust=pki.trust_anchors, crls=[pki.issuing_ca.crl(), pki.root.crl()]
    )
    assert result.codes == ("revoked",), result.codes
    page = directory / "validation-result.html"
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>ValidationResult</title></head>"
        f"<body style='margin:16px;background:#fff'>{result._repr_html_()}</body></html>",
        encoding="utf-8",
    )
    return page


def build_site(directory: Path) -> Path:
    """``mkdocs build --strict`` into ``directory`` (runs the example notebook, needs the docs extra)."""
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(directory)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=900,
    )
    return directory


def main(argv: list[str] | None = None) -> dict[str, Path]:
    """Render both screenshots; return their paths by name."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory for the PNG files")
    parser.add_argument("--site", type=Path, help="an already built site (default: build one)")
    args = parser.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("chromium not found: apt-get install chromium, or set $CHROMIUM")
    shots: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="caiso-pki-shots-") as tmp:
        page = validation_page(Path(tmp))
        shots["validation-result"] = screenshot(
            page.as_uri(), args.out / "validation-result.png", window=(1000, 600), chromium=chromium
        )
        site = args.site or build_site(Path(tmp) / "site")
        quickstart = (site / "quickstart" / "index.html").resolve()
        if not quickstart.exists():
            raise SystemExit(f"{quickstart}: no quickstart page in the site")
        shots["quickstart"] = screenshot(quickstart.as_uri(), args.out / "quickstart.png", chromium=chromium)
    return shots


if __name__ == "__main__":
    for name, path in main().items():
        print(f"{name}: {path}")
