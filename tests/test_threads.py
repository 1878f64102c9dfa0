"""Eight threads on one Validator give the sequential answers, round after round.

Each round builds a fresh Validator over fresh certificate objects (so every lazy parse happens while
eight threads race for it), makes the interpreter switch threads as often as it can, and compares every
result with a sequential validation.  Ten rounds run in the normal suite; ``CAISO_PKI_FUZZ=long`` (the
fuzz session) runs 200.  The race this guards against: asn1crypto parses lazily and caches inside the
object, and two threads reading a shared anchor or CRL for the first time saw each other's half-built
fields ('malformed' on valid chains in 131 of 9,600 answers before each thread got its own parse).
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from caiso_pki import PolicyRequirement, Validator, testing, validate_chain
from caiso_pki.certificate import Certificate
from caiso_pki.oids import DEMO_BASIC_ASSURANCE_POLICY

ROUNDS = 200 if os.environ.get("CAISO_PKI_FUZZ") == "long" else 10
THREADS = 8
PER_THREAD = 40


@pytest.fixture(scope="module")
def setting() -> dict[str, Any]:
    pki = testing.DemoPki.create()
    ca = pki.issuing_ca
    leaves = []
    for i in range(5):
        leaves.append(ca.issue("rig", f"good-{i}.example.com", reuse_key=True))
        revoked = ca.issue("rig", f"revoked-{i}.example.com", reuse_key=True)
        ca.revoke(revoked)
        leaves.append(revoked)
        leaves.append(
            ca.issue(
                "rig",
                f"expired-{i}.example.com",
                reuse_key=True,
                not_before=pki.now - dt.timedelta(days=30),
                not_after=pki.now - dt.timedelta(days=1),
            )
        )
        leaves.append(
            ca.issue("rig", f"server-{i}.example.com", reuse_key=True, extended_key_usage=["serverAuth"])
        )
    return {"pki": pki, "leaves": leaves, "crls": [pki.root.crl(), pki.issuing_ca.crl()]}


@pytest.fixture
def switching() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@pytest.mark.parametrize("revocation", ["off", "require"])
def test_eight_threads_answer_as_one(setting: dict[str, Any], revocation: str, switching: None) -> None:
    pki = setting["pki"]
    options: dict[str, Any] = {
        "extended_key_usage": "clientAuth",
        "policy": PolicyRequirement({DEMO_BASIC_ASSURANCE_POLICY}, require_explicit=True),
        "revocation": revocation,
        "crls": setting["crls"] if revocation != "off" else (),
    }
    leaves = setting["leaves"]
    expected = {
        leaf.certificate.der: validate_chain(
            leaf.certificate, leaf.chain, trust=pki.trust_anchors, at=pki.now, **options
        ).to_dict()
        for leaf in leaves
    }
    mismatches = sum(_round(pki, leaves, options, expected) for _ in range(ROUNDS))
    assert mismatches == 0, f"{mismatches} of {ROUNDS * THREADS * PER_THREAD} answers differ"


def _round(
    pki: testing.DemoPki, leaves: list[Any], options: dict[str, Any], expected: dict[bytes, Any]
) -> int:
    """One round over fresh objects: how many answers differ from the sequential ones."""

    def fresh(cert: Certificate) -> Certificate:
        return Certificate.from_der(cert.der)

    anchors = [fresh(cert) for cert in pki.trust_anchors]
    chain = [fresh(cert) for cert in leaves[0].chain]
    mine = [fresh(leaf.certificate) for leaf in leaves]
    validator = Validator(trust=anchors, **options)
    work = [mine[(thread * 7 + i) % len(mine)] for thread in range(THREADS) for i in range(PER_THREAD)]

    def answer(chunk: list[Certificate]) -> list[tuple[bytes, Any]]:
        return [(cert.der, validator.validate(cert, chain, at=pki.now).to_dict()) for cert in chunk]

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        answers = list(
            pool.map(answer, [work[t * PER_THREAD : (t + 1) * PER_THREAD] for t in range(THREADS)])
        )
    return sum(result != expected[der] for chunk in answers for der, result in chunk)
