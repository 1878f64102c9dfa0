"""Benchmark 4: how long ``import caiso_pki`` takes, against importing what it wraps.

Each figure is the median of fresh interpreter runs, so nothing is cached in ``sys.modules``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

RUNS = 15


def _time_import(statement: str) -> float:
    samples = []
    for _ in range(RUNS):
        code = f"import time; t=time.perf_counter(); {statement}; print(time.perf_counter()-t)"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        samples.append(float(out.stdout.strip()))
    return statistics.median(samples)


def heavy_modules_loaded() -> list[str]:
    """Heavy modules that ``import caiso_pki`` must not load (validation engine, HTTP, CLI)."""
    code = (
        "import sys, caiso_pki; heavy = ['pyhanko_certvalidator', 'aiohttp', 'click', 'rich', "
        "'urllib.request', 'http.client', 'caiso_pki.validation', 'asn1crypto']; "
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [name for name in out.stdout.strip().split(",") if name]


def run() -> dict[str, float]:
    """Median import times in seconds and their ratios."""
    ours = _time_import("import caiso_pki")
    with_loader = _time_import("import caiso_pki; caiso_pki.load_certificate")
    crypto = _time_import("from cryptography import x509")
    pyhanko = _time_import("import pyhanko_certvalidator")
    return {
        "import caiso_pki (s)": ours,
        "import caiso_pki + loader (s)": with_loader,
        "from cryptography import x509 (s)": crypto,
        "import pyhanko_certvalidator (s)": pyhanko,
        "caiso_pki / pyhanko_certvalidator": ours / pyhanko,
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:40s} {value:10.4f}")
    print("heavy modules loaded by import caiso_pki:", heavy_modules_loaded() or "none")
