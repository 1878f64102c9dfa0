"""Benchmark: one warm validation of a three-certificate chain with policy processing.

Three ways to validate the demo RIG leaf (root -> issuing CA -> leaf), revocation off, all inputs parsed
once beforehand (a warm cache, as in a service validating many peers):

* ``validate_chain`` with ``PolicyRequirement(acceptable={demo policy}, require_explicit=True)``;
* pyhanko-certvalidator called directly the way a careful user would: a fresh ``ValidationContext``
  with the same roots, ``CertificateValidator.async_validate_path`` with the same PKIX parameters,
  under ``asyncio.run`` (which is also what our synchronous API does);
* cryptography's ``x509.verification`` client verifier, which does no policy processing at all.

Ratios come from one run on one machine; our target is at most ~10 % over pyhanko called directly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import timeit
from collections.abc import Callable
from typing import Any

from cryptography.x509 import verification
from pyhanko_certvalidator import CertificateValidator, PKIXValidationParams, ValidationContext

from caiso_pki import testing
from caiso_pki.oids import DEMO_BASIC_ASSURANCE_POLICY
from caiso_pki.policy import PolicyRequirement
from caiso_pki.validation import validate_chain

REPEATS = 60
NUMBER = 10


def _best_times(funcs: dict[str, Callable[[], Any]], number: int) -> dict[str, float]:
    """Best per-call CPU time of each function over REPEATS interleaved rounds of ``number`` calls.

    The garbage collector stays on (``timeit`` turns it off by default): every validation leaves cyclic
    garbage behind (asyncio and pyhanko objects), and a service runs with the collector on.
    """
    best = dict.fromkeys(funcs, float("inf"))
    for func in funcs.values():
        func()
    for _ in range(REPEATS):
        for label, func in funcs.items():
            timer = timeit.Timer(func, setup="gc.enable()", timer=time.process_time)
            best[label] = min(best[label], timer.timeit(number=number) / number)
    return best


def run() -> dict[str, float]:
    """Per-call times (microseconds) and the ratios against both baselines."""
    pki = testing.DemoPki.create()
    issued = pki.issuing_ca.issue("rig", "rig-0001.example.com")
    leaf, issuing, root = issued.certificate, pki.issuing_ca.certificate, pki.root.certificate
    at = pki.now + dt.timedelta(minutes=1)
    policy = PolicyRequirement(acceptable={DEMO_BASIC_ASSURANCE_POLICY}, require_explicit=True)
    params = PKIXValidationParams(
        user_initial_policy_set=frozenset({DEMO_BASIC_ASSURANCE_POLICY}), initial_explicit_policy=True
    )
    leaf_asn1, issuing_asn1, root_asn1 = leaf.asn1, issuing.asn1, root.asn1
    store = verification.Store([root.x509])
    leaf_x509, issuing_x509 = leaf.x509, issuing.x509

    def ours() -> Any:
        result = validate_chain(leaf, [issuing], trust=[root], at=at, policy=policy, revocation="off")
        assert result.valid
        return result

    def pyhanko_direct() -> Any:
        context = ValidationContext(
            trust_roots=[root_asn1], other_certs=[issuing_asn1], moment=at, revocation_mode="none"
        )
        validator = CertificateValidator(leaf_asn1, validation_context=context, pkix_params=params)
        return asyncio.run(validator.async_validate_path())

    def cryptography_verifier() -> Any:
        verifier = verification.PolicyBuilder().store(store).time(at).build_client_verifier()
        return verifier.verify(leaf_x509, [issuing_x509])

    best = _best_times(
        {"ours": ours, "pyhanko": pyhanko_direct, "cryptography": cryptography_verifier}, NUMBER
    )
    return {
        "validate_chain (us)": best["ours"] * 1e6,
        "pyhanko-certvalidator direct (us)": best["pyhanko"] * 1e6,
        "cryptography ClientVerifier, no policy processing (us)": best["cryptography"] * 1e6,
        "ratio validate_chain / pyhanko direct": best["ours"] / best["pyhanko"],
        "ratio validate_chain / cryptography": best["ours"] / best["cryptography"],
        "ratio pyhanko direct / cryptography": best["pyhanko"] / best["cryptography"],
    }


if __name__ == "__main__":
    figures = run()
    for label, value in figures.items():
        print(f"{label:58s} {value:10.3f}")
    overhead = figures["ratio validate_chain / pyhanko direct"]
    print(f"overhead over pyhanko direct: {(overhead - 1) * 100:+.1f}% (target: at most +10%)")
