"""Benchmark: fleet monitoring at 10,000 certificate files (issue 20's performance criteria).

* ``first_scan_cpu_s``: the first :meth:`FleetMonitor.scan` of 10,000 RIG certificate files (PEM, one
  per file, in 10 folders) against the demo trust store: read, parse, kind, validate;
* ``rescan_cpu_s``: one rescan of the same unchanged files plus rendering the Prometheus text, which
  is what the exporter does every ``--interval`` (best of three; the issue's bound is 2 s of CPU);
* ``validate_many_cpu_s``: :func:`caiso_pki.validate_many` alone on the same 10,000 certificates with
  a warm cache, the speed the rescan is measured against;
* ``bytes_per_cert_at_N``: the exposition's size per certificate for fleets of 1,000, 5,000 and
  10,000 (``growth_ratio_10k_vs_1k`` is 1.0 for exactly linear growth);
* ``exporter_rss_growth_kib``: resident memory of a real ``caiso-pki exporter`` process on a
  1,000-certificate fleet, from after 100 scrapes to after 1,000 scrapes.

CPU is ``time.process_time`` (all threads of this process), so a loaded machine changes the wall time
but hardly these figures.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from caiso_pki import testing
from caiso_pki.exposition import render_prometheus
from caiso_pki.fleet_scan import FleetMonitor
from caiso_pki.truststore import TrustStore
from caiso_pki.validation import FleetCache, validate_many

FILES = 10_000
PER_FOLDER = 1_000
SCRAPES = 1_000


def _mint(pki: testing.DemoPki, root: Path, count: int) -> None:
    for index in range(count):
        folder = root / f"batch-{index // PER_FOLDER:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        issued = pki.issuing_ca.issue("rig", f"rig-{index:05d}.example.com", reuse_key=True)
        (folder / f"rig-{index:05d}.pem").write_text(issued.certificate.pem)
    pki.issuing_ca.issued.clear()


def _cpu(func: object) -> tuple[float, object]:
    started = time.process_time()
    result = func()  # type: ignore[operator]
    return time.process_time() - started, result


def _scan_figures(pki: testing.DemoPki, fleet: Path) -> dict[str, float]:
    store = pki.trust_store()
    monitor = FleetMonitor([fleet])
    first, metrics = _cpu(lambda: monitor.scan(trust=store))
    assert sum(sample.valid for sample in metrics.certificates) == FILES  # type: ignore[attr-defined]
    rescans = []
    for _ in range(3):
        seconds, _ = _cpu(lambda: render_prometheus(monitor.scan(trust=store)))
        rescans.append(seconds)
    leaves = _certificates(fleet)
    cache = FleetCache()
    validate_many(leaves, [pki.issuing_ca.certificate], trust=store, fleet_cache=cache)
    alone, _ = _cpu(
        lambda: validate_many(leaves, [pki.issuing_ca.certificate], trust=store, fleet_cache=cache)
    )
    return {"first_scan_cpu_s": first, "rescan_cpu_s": min(rescans), "validate_many_cpu_s": alone}


def _certificates(fleet: Path) -> list[object]:
    from caiso_pki import load_certificate

    return [load_certificate(path) for path in sorted(fleet.rglob("*.pem"))]


def _growth(pki: testing.DemoPki, fleet: Path) -> dict[str, float]:
    store = pki.trust_store()
    figures: dict[str, float] = {}
    folders = sorted(fleet.iterdir())
    for count in (1_000, 5_000, 10_000):
        chosen = folders[: count // PER_FOLDER]
        text = render_prometheus(FleetMonitor(chosen).scan(trust=store))
        figures[f"bytes_per_cert_at_{count}"] = len(text.encode()) / count
    figures["growth_ratio_10k_vs_1k"] = figures["bytes_per_cert_at_10000"] / figures["bytes_per_cert_at_1000"]
    return figures


def _exporter_memory(pki: testing.DemoPki, work: Path, fleet: Path) -> dict[str, float]:
    store_dir = work / "store"
    TrustStore.init(store_dir)
    pki.trust_store().save(store_dir)
    one_folder = sorted(fleet.iterdir())[0]
    options = ["--store", str(store_dir), "--listen", "127.0.0.1:0", "--interval", "3600"]
    process = subprocess.Popen(
        [sys.executable, "-m", "caiso_pki", "exporter", str(one_folder), *options],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    try:
        assert process.stderr is not None
        banner = process.stderr.readline().decode()
        match = re.search(r":(\d+)/metrics", banner)
        assert match, banner
        port = int(match[1])

        def scrape() -> int:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/metrics")
            size = len(connection.getresponse().read())
            connection.close()
            return size

        def rss() -> int:
            status = Path(f"/proc/{process.pid}/status").read_text()
            found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
            assert found
            return int(found[1])

        for _ in range(100):
            size = scrape()
        warm = rss()
        started = time.perf_counter()
        for _ in range(SCRAPES - 100):
            scrape()
        elapsed = time.perf_counter() - started
        grown = rss() - warm
    finally:
        process.terminate()
        process.communicate(timeout=60)
    return {
        "exporter_rss_after_100_scrapes_mib": warm / 1024,
        "exporter_rss_growth_kib": float(grown),
        "exporter_scrape_ms_1000_certs": elapsed * 1000 / (SCRAPES - 100),
        "exporter_body_kib_1000_certs": size / 1024,
        "exporter_exit_status": float(process.returncode),
    }


def run() -> dict[str, float]:
    """The figures described in the module docstring."""
    pki = testing.DemoPki.create()
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        fleet = work / "fleet"
        _mint(pki, fleet, FILES)
        figures = _scan_figures(pki, fleet)
        figures.update(_growth(pki, fleet))
        figures.update(_exporter_memory(pki, work, fleet))
    return figures


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:40s} {value:12.4g}")
