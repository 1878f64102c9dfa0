"""Benchmark: resident memory of one long-lived Validator that sees 50,000 distinct leaves.

A service keeps one :class:`~caiso_pki.validation.Validator` and validates every connecting peer with
it; its caches must not grow with the number of peers.  A child process (so nothing else in the
benchmark run counts) mints leaves of one chain shape in batches, validates each once through
``Validator.validate`` and drops it, and reports its peak resident set size after the first 1,000
leaves and after all 50,000, and the sizes of the Validator's caches.

The documented bound (docs/security.md, "Caches"): templates at most 1,024, CRL indexes 256, fleet
signature checks 65,536 and path-building signature checks 65,536, each entry a 16- or 20-byte digest
and a flag (about 130 bytes with the dictionary's overhead), so each signature cache stays under about
9 MB; here the growth from 1,000 to 50,000 leaves is what to compare with it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

LEAVES = 50_000

_CHILD = textwrap.dedent(
    """
    import datetime as dt, json, resource, sys
    from caiso_pki import testing, Validator
    pki = testing.DemoPki.create()
    at = pki.now + dt.timedelta(minutes=1)
    issuing = pki.issuing_ca.certificate
    validator = Validator(trust=[pki.root.certificate], revocation="off")
    total = int(sys.argv[1])
    marks = {}
    done = 0
    while done < total:
        batch = [pki.issuing_ca.issue("rig", f"peer-{done + i}.example.com", reuse_key=True).certificate
                 for i in range(1000)]
        pki.issuing_ca.issued.clear()  # the test CA keeps what it issued; a service does not
        for leaf in batch:
            assert validator.validate(leaf, [issuing], at=at).valid
        done += len(batch)
        del batch
        if done == 1000:
            marks["after_1000_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    marks["after_all_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cache = validator.cache
    marks["fleet_signatures"] = len(cache._signatures)
    marks["templates"] = len(cache._templates)
    marks["path_signatures"] = len(validator._state.signatures)
    marks["fast"] = cache.stats.fast
    print(json.dumps(marks))
    """
)


def run() -> dict[str, float]:
    """Peak RSS (MiB) after 1,000 and after 50,000 distinct leaves, and the cache sizes."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(LEAVES)], capture_output=True, text=True, check=True
    )
    marks = json.loads(done.stdout)
    return {
        "peak RSS after 1,000 leaves (MiB)": marks["after_1000_kib"] / 1024,
        f"peak RSS after {LEAVES:,} leaves (MiB)": marks["after_all_kib"] / 1024,
        "growth (MiB)": (marks["after_all_kib"] - marks["after_1000_kib"]) / 1024,
        "fleet signature checks kept (bound 65,536)": marks["fleet_signatures"],
        "templates kept (bound 1,024)": marks["templates"],
        "path-building signature checks kept (bound 65,536)": marks["path_signatures"],
        "leaves answered from the template": marks["fast"],
    }


if __name__ == "__main__":
    for label, value in run().items():
        print(f"{label:55s} {value:12.1f}")
