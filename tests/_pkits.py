"""The NIST PKITS data and its validation inputs, shared by the conformance test modules.

The data lives outside the repository: ``$CAISO_PKI_PKITS_DIR``, by default ``../shared/conformance/pkits``.
A missing directory fails at collection, never as a silent skip.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

from caiso_pki.certificate import Certificate
from caiso_pki.policy import PolicyRequirement
from caiso_pki.validation import AlgorithmPolicy
from conftest import pkits_dir

PKITS_DIR = pkits_dir()
if not (PKITS_DIR / "pkits.json").is_file():
    raise RuntimeError(
        f"NIST PKITS data not found at {PKITS_DIR}; "
        "set CAISO_PKI_PKITS_DIR to the directory holding pkits.json"
    )

#: The validation time the data set prescribes.
AT = dt.datetime(2022, 5, 1, tzinfo=dt.UTC)
#: PKITS signs with SHA-1 and uses 1024-bit DSA keys; MD2/MD5 stay weak (README of the data set).
PKITS_ALGORITHMS = AlgorithmPolicy(
    weak_hashes=frozenset({"md2", "md5"}), min_rsa_bits=1024, min_dsa_bits=1024, allow_dsa=True
)
#: Structural rules the 2011 PKITS data breaks in cases it declares valid: test 4.6.4 checks that a
#: non-critical basicConstraints is accepted (RFC 5280 6.1.4 (k) asks only for cA=TRUE), and the policy
#: test CAs mark policyConstraints non-critical.  RFC 5280 4.2.1.9 and 4.2.1.11 require critical; the
#: default profile enforces both, the PKITS runs waive just these two.
PKITS_WAIVED = frozenset({"basic-constraints-not-critical", "policy-constraints-not-critical"})

CASES: list[dict[str, Any]] = json.loads((PKITS_DIR / "pkits.json").read_text())
NOTICE_CASES: list[dict[str, Any]] = json.loads((PKITS_DIR / "pkits-user-notice.json").read_text())


def der(name: str) -> bytes:
    """The DER bytes of a PKITS certificate."""
    return (PKITS_DIR / "certs" / name).read_bytes()


@functools.cache
def cert(name: str) -> Certificate:
    """A PKITS certificate, loaded once."""
    path = PKITS_DIR / "certs" / name
    return Certificate.from_der(path.read_bytes(), source_name=str(path))


@functools.cache
def crl(name: str) -> bytes:
    """The DER bytes of a PKITS CRL."""
    return (PKITS_DIR / "crls" / name).read_bytes()


def policy_requirement(params: dict[str, Any] | None) -> PolicyRequirement | None:
    """The RFC 5280 initial policy inputs of a case's ``params`` (``None``: the defaults)."""
    if not params:
        return None
    return PolicyRequirement(
        acceptable=frozenset(params.get("user_initial_policy_set", ["any"])),
        require_explicit=params.get("initial_explicit_policy", False),
        inhibit_mapping=params.get("initial_policy_mapping_inhibit", False),
        inhibit_any=params.get("initial_any_policy_inhibit", False),
    )


def pkits_options(case: dict[str, Any]) -> dict[str, Any]:
    """The validation options of one case: the anchor, time, policy inputs, revocation and CRLs.

    ``revocation`` true means revocation information is required (``"require"``); false means "checked
    if available", which is ``"soft-fail"``: a revoked certificate still fails.
    """
    return {
        "trust": [cert("TrustAnchorRootCertificate.crt")],
        "at": AT,
        "policy": policy_requirement(case.get("params")),
        "revocation": "require" if case.get("revocation", True) else "soft-fail",
        "crls": [crl("TrustAnchorRootCRL.crl"), *(crl(name) for name in case.get("crls", []))],
        "algorithm_policy": PKITS_ALGORITHMS,
        "waive": PKITS_WAIVED,
    }
