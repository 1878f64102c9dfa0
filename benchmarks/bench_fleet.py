"""Benchmark 2: 1,000 distinct RIG leaves under one issuing CA, with policy processing and a CRL check.

Three ways to validate the same leaves (root -> RSA-2048 issuing CA -> leaf), each starting from the
leaves' DER bytes (certificates arrive as bytes in a real audit, and no library gets pre-parsed input):

* ours: :func:`caiso_pki.validate_many` with ``PolicyRequirement(acceptable={demo policy},
  require_explicit=True)``, ``revocation="require"`` and the root's and issuing CA's CRLs;
* pyhanko-certvalidator direct, the way a careful user batches it: one shared ``ValidationContext``
  (same roots, intermediates, CRLs, ``revocation_mode="require"``), one ``CertificateValidator`` per
  leaf with the same PKIX parameters, all inside one event loop;
* cryptography's ``x509.verification`` client verifier (no policy processing, no revocation) plus a
  lookup of each leaf's serial number in the issuing CA's (pre-parsed) CRL, to be fair.

Throughput is leaves per second of CPU time (best of a few rounds); the ratios are what the issue's
acceptance criteria name: ours / pyhanko throughput (target >= 20) and ours / cryptography time
(target <= 1.5).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509 import verification
from pyhanko_certvalidator import CertificateValidator, PKIXValidationParams, ValidationContext

from caiso_pki import testing
from caiso_pki.certificate import Certificate
from caiso_pki.oids import DEMO_BASIC_ASSURANCE_POLICY
from caiso_pki.policy import PolicyRequirement
from caiso_pki.validation import validate_many

LEAVES = 1000
REVOKED = 10
ROUNDS = 3
PYHANKO_ROUNDS = 1  # ~10 ms a leaf: one round of 1,000 is plenty


def _best(func: Callable[[], Any], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        func()
        best = min(best, time.process_time() - started)
    return best


def fleet() -> dict[str, Any]:
    """The demo PKI, 1,000 leaves (DER) of which REVOKED are on the CRL, and the shared inputs."""
    pki = testing.DemoPki.create()
    ca = pki.issuing_ca
    issued = [ca.issue("rig", f"rig-{i:05d}.example.com", reuse_key=True) for i in range(LEAVES)]
    for item in issued[:: LEAVES // REVOKED]:
        ca.revoke(item)
    return {
        "pki": pki,
        "leaves": [item.certificate.der for item in issued],
        "crls": [pki.root.crl(), ca.crl()],
        "at": pki.now + dt.timedelta(minutes=1),
    }


def ours(data: dict[str, Any]) -> list[bool]:
    pki = data["pki"]
    results = validate_many(
        [Certificate.from_cryptography(x509.load_der_x509_certificate(der)) for der in data["leaves"]],
        [pki.issuing_ca.certificate],
        trust=[pki.root.certificate],
        at=data["at"],
        policy=PolicyRequirement(acceptable=frozenset({DEMO_BASIC_ASSURANCE_POLICY}), require_explicit=True),
        extended_key_usage="clientAuth",
        revocation="require",
        crls=data["crls"],
    )
    return [result.valid for result in results]


def pyhanko_direct(data: dict[str, Any]) -> list[bool]:
    pki = data["pki"]
    params = PKIXValidationParams(
        user_initial_policy_set=frozenset({DEMO_BASIC_ASSURANCE_POLICY}), initial_explicit_policy=True
    )

    async def main() -> list[bool]:
        context = ValidationContext(
            trust_roots=[asn1_x509.Certificate.load(pki.root.certificate.der)],
            other_certs=[asn1_x509.Certificate.load(pki.issuing_ca.certificate.der)],
            crls=[asn1_crl.CertificateList.load(der) for der in data["crls"]],
            revocation_mode="require",
            moment=data["at"],
        )
        verdicts = []
        for der in data["leaves"]:
            validator = CertificateValidator(
                asn1_x509.Certificate.load(der), validation_context=context, pkix_params=params
            )
            try:
                await validator.async_validate_usage(set(), extended_key_usage={"client_auth"})
                verdicts.append(True)
            except Exception:  # revoked leaves: pyhanko's errors are the verdict here
                verdicts.append(False)
        return verdicts

    return asyncio.run(main())


def cryptography_verifier(data: dict[str, Any]) -> list[bool]:
    pki = data["pki"]
    verifier = (
        verification.PolicyBuilder()
        .store(verification.Store([pki.root.certificate.x509]))
        .time(data["at"])
        .build_client_verifier()
    )
    issuing = pki.issuing_ca.certificate.x509
    crl = x509.load_der_x509_crl(data["crls"][1])
    verdicts = []
    for der in data["leaves"]:
        leaf = x509.load_der_x509_certificate(der)
        try:
            verifier.verify(leaf, [issuing])
        except verification.VerificationError:
            verdicts.append(False)
            continue
        verdicts.append(crl.get_revoked_certificate_by_serial_number(leaf.serial_number) is None)
    return verdicts


def run() -> dict[str, float]:
    """Throughput of each library on the same 1,000 leaves, and the ratios."""
    data = fleet()
    expected = [index % (LEAVES // REVOKED) != 0 for index in range(LEAVES)]
    for check in (ours, pyhanko_direct, cryptography_verifier):
        verdicts = check(data)
        if verdicts != expected:  # a benchmark of wrong answers proves nothing
            raise AssertionError(f"{check.__name__}: {sum(verdicts)} valid, expected {sum(expected)}")
    ours_s = _best(lambda: ours(data), ROUNDS)
    pyhanko_s = _best(lambda: pyhanko_direct(data), PYHANKO_ROUNDS)
    crypto_s = _best(lambda: cryptography_verifier(data), ROUNDS)
    return {
        "ours validate_many (leaves/s)": LEAVES / ours_s,
        "pyhanko-certvalidator shared context (leaves/s)": LEAVES / pyhanko_s,
        "cryptography verifier + CRL lookup (leaves/s)": LEAVES / crypto_s,
        "ours / pyhanko throughput (>= 20)": pyhanko_s / ours_s,
        "ours time / cryptography time (<= 1.5)": ours_s / crypto_s,
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:50s} {value:12.2f}")
