"""Benchmark: one warm validation of a three-certificate chain with policy processing.

Three ways to validate the demo RIG leaf (root -> issuing CA -> leaf), revocation off, all inputs parsed
once beforehand (a warm cache, as in a service validating many peers):

* ``validate_chain`` with ``PolicyRequirement(acceptable={demo policy}, require_explicit=True)``;
* pyhanko-certvalidator called directly the way a careful user would: a fresh ``ValidationContext``
  with the same roots, ``CertificateValidator.async_validate_path`` with the same PKIX parameters,
  under ``asyncio.run`` (which is also what our synchronous API does);
* cryptography's ``x509.verification`` client verifier, which does no policy processing at all.

Then the rows of a long-lived :class:`~caiso_pki.validation.Validator` (a service checking each
connecting peer):

* 1,000 distinct leaves of one chain shape, each checked with ``Validator.validate``: the per-leaf
  time against cryptography's verifier on the same leaves (target: at most 0.7x);
* the first call on a new shape (the caches emptied before each call): against pyhanko direct
  (target: at most 0.9x).

Ratios come from one run on one machine; targets: ``validate_chain`` at most 1.0x pyhanko direct.
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
from caiso_pki.validation import Validator, validate_chain

REPEATS = 60
NUMBER = 10
LEAVES = 1000


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

    reused = Validator(trust=[root], policy=policy, revocation="off")
    first_call = Validator(trust=[root], policy=policy, revocation="off")

    def ours_first_call() -> Any:
        first_call.clear_caches()
        result = first_call.validate(leaf, [issuing], at=at)
        assert result.valid
        return result

    best = _best_times(
        {
            "ours": ours,
            "pyhanko": pyhanko_direct,
            "cryptography": cryptography_verifier,
            "first": ours_first_call,
        },
        NUMBER,
    )
    fleet = [pki.issuing_ca.issue("rig", f"peer-{i:04d}.example.com", reuse_key=True) for i in range(LEAVES)]
    reused.validate(fleet[0].certificate, [issuing], at=at)  # the shape's first leaf
    peers = [(item.certificate, item.certificate.x509) for item in fleet[1:]]
    for cert, _ in peers:  # cryptography parses lazily too: both sides start from parsed objects
        cert.der  # noqa: B018
    per_leaf_ours, per_leaf_crypto = _per_leaf(peers, reused, issuing, issuing_x509, store, at)
    return {
        "validate_chain (us)": best["ours"] * 1e6,
        "pyhanko-certvalidator direct (us)": best["pyhanko"] * 1e6,
        "cryptography ClientVerifier, no policy processing (us)": best["cryptography"] * 1e6,
        "ratio validate_chain / pyhanko direct": best["ours"] / best["pyhanko"],
        "ratio validate_chain / cryptography": best["ours"] / best["cryptography"],
        "ratio pyhanko direct / cryptography": best["pyhanko"] / best["cryptography"],
        "Validator.validate, first call on a new shape (us)": best["first"] * 1e6,
        "ratio first call / pyhanko direct (<= 0.9)": best["first"] / best["pyhanko"],
        "Validator.validate, reused, per distinct leaf (us)": per_leaf_ours * 1e6,
        "cryptography ClientVerifier, same leaves (us)": per_leaf_crypto * 1e6,
        "ratio reused Validator / cryptography (<= 0.7)": per_leaf_ours / per_leaf_crypto,
    }


def _per_leaf(
    peers: list[tuple[Any, Any]], reused: Validator, issuing: Any, issuing_x509: Any, store: Any, at: Any
) -> tuple[float, float]:
    """Best per-leaf CPU time over a few passes: each leaf once per pass, through each library."""
    best_ours = best_crypto = float("inf")
    for _ in range(5):
        reused.cache._signatures.clear()  # every pass verifies every signature again
        reused._state.signatures.clear()
        started = time.process_time()
        for cert, _ in peers:
            assert reused.validate(cert, [issuing], at=at).valid
        best_ours = min(best_ours, (time.process_time() - started) / len(peers))
        started = time.process_time()
        for _, leaf_x509 in peers:
            verification.PolicyBuilder().store(store).time(at).build_client_verifier().verify(
                leaf_x509, [issuing_x509]
            )
        best_crypto = min(best_crypto, (time.process_time() - started) / len(peers))
    return best_ours, best_crypto


if __name__ == "__main__":
    figures = run()
    for label, value in figures.items():
        print(f"{label:58s} {value:10.3f}")
    overhead = figures["ratio validate_chain / pyhanko direct"]
    print(f"overhead over pyhanko direct: {(overhead - 1) * 100:+.1f}% (target: at most +10%)")
