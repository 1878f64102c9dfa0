"""RFC 5280 chain validation on pyhanko-certvalidator, with a result people and programs can act on.

Build a :class:`Validator` once with the options (trust anchors, key usage and EKU, policy,
revocation, algorithm policy, profile) and call :meth:`Validator.validate` for each leaf; it builds a
path from the leaf through (unordered, possibly surplus) intermediates to one of the trust anchors you
pass (never the operating system's list), validates it (signatures, validity, name chaining, basic
constraints, key usage, certificate policies, name constraints, critical extensions, revocation), then
applies the checks pyhanko leaves to the application: key usage and extended key usage of the leaf,
the server name, a maximum number of intermediates and the ``distrust_after`` date of trust-store
entries.  :func:`validate_chain` is the one-call form.

The answer is a :class:`ValidationResult`; nothing from a dependency escapes.  Each problem is a
:class:`ValidationFailure` with one of the stable codes of :data:`FAILURE_CODES` (their meanings and
sources: :data:`caiso_pki.validation.codes.CODES`).

Revocation modes: ``"off"`` checks nothing; ``"soft-fail"`` checks what is available and turns missing
or unfetchable information into a warning; ``"hard-fail"`` fails when a certificate declares a CRL or
OCSP location but no usable answer is found; ``"require"`` needs a usable CRL or OCSP answer for every
certificate below the anchor.  A revoked certificate fails in every mode except ``"off"``.
"""

from __future__ import annotations

from caiso_pki.validation.codes import CODES, FAILURE_CODES, CodeInfo
from caiso_pki.validation.options import AlgorithmPolicy, PathBudget, Profile, RevocationMode, TrustSet
from caiso_pki.validation.results import RevocationStatus, ValidationFailure, ValidationResult
from caiso_pki.validation.validator import Validator, ValidatorOptions, validate_chain, validate_chain_async

__all__ = [
    "CODES",
    "FAILURE_CODES",
    "AlgorithmPolicy",
    "CodeInfo",
    "PathBudget",
    "Profile",
    "RevocationMode",
    "RevocationStatus",
    "TrustSet",
    "ValidationFailure",
    "ValidationResult",
    "Validator",
    "ValidatorOptions",
    "validate_chain",
    "validate_chain_async",
]
