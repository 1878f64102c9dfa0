"""The stable failure codes of chain validation, each with what it means and where the rule comes from.

:data:`FAILURE_CODES` is the set programs may match on; :data:`CODES` maps each code to a one-line
meaning and its source (an RFC 5280 section, the CA/Browser Forum Baseline Requirements, or
caiso-pki's own policy).  The codes of the structural rules come from the rule table itself
(:data:`caiso_pki.validation.rules.RULES`), so the two cannot drift apart.  ``tests/test_rules.py``
fails when a code lacks a minted certificate that breaks it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import attrs

__all__ = ["CODES", "FAILURE_CODES", "CodeInfo"]


@attrs.frozen
class CodeInfo:
    """What a failure code means and the rule it enforces."""

    meaning: str
    source: str


# The codes of path building, path processing, revocation and the application checks; the structural
# rules add theirs from their own table when CODES is first read.
_BASE: dict[str, CodeInfo] = {
    "no-path": CodeInfo("no chain from the leaf to any trust anchor (an issuer is missing)", "RFC 5280 6.1"),
    "untrusted-root": CodeInfo(
        "the chain ends in a self-signed certificate that is not a trust anchor, or no anchors were given",
        "RFC 5280 6.1.1 (d)",
    ),
    "expired": CodeInfo("a certificate (or the anchor) is past its notAfter", "RFC 5280 6.1.3 (a)(2)"),
    "not-yet-valid": CodeInfo(
        "a certificate (or the anchor) is before its notBefore", "RFC 5280 6.1.3 (a)(2)"
    ),
    "bad-signature": CodeInfo(
        "a signature does not verify (wrong issuer key, corrupted bytes)", "RFC 5280 6.1.3 (a)(1)"
    ),
    "name-chaining": CodeInfo(
        "a certificate's issuer name does not match its issuer's subject", "RFC 5280 6.1.3 (a)(4)"
    ),
    "not-a-ca": CodeInfo("an issuing certificate lacks basicConstraints cA=TRUE", "RFC 5280 6.1.4 (k)"),
    "path-length-exceeded": CodeInfo(
        "a pathLenConstraint, or max_path_length, is exceeded", "RFC 5280 6.1.4 (l)-(m)"
    ),
    "key-usage": CodeInfo(
        "an issuer lacks keyCertSign, or the leaf lacks a requested keyUsage bit", "RFC 5280 6.1.4 (n)"
    ),
    "extended-key-usage": CodeInfo(
        "the leaf's extendedKeyUsage lacks a requested purpose", "RFC 5280 4.2.1.12"
    ),
    "name-mismatch": CodeInfo("server_name matches no subjectAltName of the leaf", "RFC 6125 6"),
    "policy": CodeInfo("policy processing ends with no acceptable policy", "RFC 5280 6.1.3 (d)-(f), 6.1.5"),
    "name-constraints": CodeInfo(
        "a name is outside the permitted (or inside an excluded) subtree", "RFC 5280 6.1.3 (b)-(c)"
    ),
    "name-constraints-budget": CodeInfo(
        "checking the names against the name constraints would take more than the budget of comparisons",
        "caiso-pki budget (as BoringSSL, cryptography and Go), RFC 5280 6.1.3 (b)-(c)",
    ),
    "critical-extension": CodeInfo(
        "a certificate carries a critical extension that is not understood", "RFC 5280 6.1.4 (o)"
    ),
    "revoked": CodeInfo("a certificate is revoked (the message gives the reason and date)", "RFC 5280 6.3"),
    "revocation-unavailable": CodeInfo(
        "revocation information is required but missing, stale or unusable", "RFC 5280 6.3"
    ),
    "distrusted-anchor": CodeInfo(
        "the anchor's trust-store entry distrusts leaves issued after a date", "caiso-pki trust store"
    ),
    "unsupported-algorithm": CodeInfo(
        "a signature or key algorithm that cannot be verified here", "RFC 5280 4.1.1.2"
    ),
    "weak-algorithm": CodeInfo(
        "a signature uses a hash or key size the algorithm policy refuses", "caiso-pki AlgorithmPolicy"
    ),
    "path-building-limit": CodeInfo(
        "path building ran out of its budget (depth, signature checks, candidates or paths)",
        "caiso-pki PathBudget (as Go crypto/x509 and cryptography's verifier)",
    ),
    "malformed": CodeInfo(
        "a certificate, CRL or OCSP response cannot be decoded during validation", "RFC 5280 4.1"
    ),
    "internal": CodeInfo(
        "an unexpected error in the validation engine (the message says which)", "caiso-pki"
    ),
}


@functools.cache
def _codes() -> dict[str, CodeInfo]:
    from caiso_pki.validation.rules import RULES

    merged = dict(_BASE)
    for rule in RULES:
        merged.setdefault(rule.code, CodeInfo(rule.summary, rule.source))
    return merged


def __getattr__(name: str) -> Any:
    # computed on first use, so importing validation does not build the rule table
    if name == "CODES":
        return _codes()
    if name == "FAILURE_CODES":
        return frozenset(_codes())
    raise AttributeError(f"module 'caiso_pki.validation.codes' has no attribute {name!r}")


if TYPE_CHECKING:
    #: Every failure code -> what it means and where the rule comes from.
    CODES: dict[str, CodeInfo]
    #: Every failure code a validation can report.
    FAILURE_CODES: frozenset[str]
