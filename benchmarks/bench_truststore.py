"""Benchmark 5: opening and saving a 500-entry trust store, against a plain PEM bundle of the same 500.

``TrustStore.save`` writes one PEM file per certificate plus ``manifest.json`` (each atomically, under
a lock); ``TrustStore.open`` reads and cross-checks them.  The baseline is what a store without
metadata would cost: the same 500 certificates written as one PEM bundle (one atomic write) and read
back with :func:`caiso_pki.load_certificates`.  ``TrustStore.open`` keeps the certificates it parsed
(keyed by the PEM bytes), so it is timed both cold (that cache emptied first) and warm.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from caiso_pki import testing, truststore
from caiso_pki._atomic import atomic_write_bytes
from caiso_pki.certificate import load_certificates
from caiso_pki.truststore import TrustStore

ENTRIES = 500
ROUNDS = 5


def _best(func: Callable[[], Any], rounds: int = ROUNDS) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - started)
    return best


def _store() -> TrustStore:
    pki = testing.DemoPki.create()
    certificates = [
        pki.issuing_ca.issue("server", f"host-{i:04d}.example.com", reuse_key=True).certificate
        for i in range(ENTRIES)
    ]
    store = TrustStore.from_certificates(certificates, labels={"bench"}, role="anchor")
    retired = dt.datetime(2024, 11, 1, tzinfo=dt.UTC)
    return store.update_entry(store.entries[0].fingerprint, distrust_after=retired)


def run() -> dict[str, float]:
    """Wall-clock seconds (best of a few rounds, files on a temporary directory) and the ratios."""
    store = _store()
    work = Path(tempfile.mkdtemp(prefix="bench-truststore-"))
    try:
        directory = work / "store"
        TrustStore.init(directory)
        bundle = work / "bundle.pem"
        pem = "".join(entry.certificate.pem for entry in store.entries).encode()

        save_s = _best(lambda: store.save(directory, overwrite=True))  # replaces, as the bundle write does
        open_warm_s = _best(lambda: TrustStore.open(directory))
        open_s = _best(lambda: (truststore._PARSED.clear(), TrustStore.open(directory)))
        write_s = _best(lambda: atomic_write_bytes(bundle, pem, mode=0o644, overwrite=True))
        read_s = _best(lambda: load_certificates(bundle))
        if len(TrustStore.open(directory)) != ENTRIES or len(load_certificates(bundle)) != ENTRIES:
            raise AssertionError("the store or the bundle lost certificates")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "TrustStore.save, 500 entries (s)": save_s,
        "TrustStore.open, 500 entries, cold (s)": open_s,
        "TrustStore.open, 500 entries, parsed PEMs cached (s)": open_warm_s,
        "write one 500-certificate PEM bundle (s)": write_s,
        "load_certificates of that bundle (s)": read_s,
        "save / bundle write": save_s / write_s,
        "open cold / load_certificates": open_s / read_s,
        "open cached / load_certificates": open_warm_s / read_s,
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:45s} {value:10.4f}")
