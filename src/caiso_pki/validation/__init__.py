"""RFC 5280 chain validation, with a result people and programs can act on.

Build a :class:`Validator` once with the options (trust anchors, key usage and EKU, policy,
revocation, algorithm policy, profile) and call :meth:`Validator.validate` for each leaf; it builds a
path from the leaf through (unordered, possibly surplus) intermediates to one of the trust anchors you
pass (never the operating system's list), runs RFC 5280 path validation on it (signatures, validity,
name chaining, name constraints, certificate policies, basic constraints, key usage, critical
extensions), checks revocation, holds every certificate to the profile's structural rules, then
applies the checks RFC 5280 leaves to the application: key usage and extended key usage of the leaf,
the server name, a maximum number of intermediates and the ``distrust_after`` date of trust-store
entries.  :func:`validate_chain` and :func:`validate_many` are the one-call forms.

The answer is a :class:`ValidationResult`; nothing from a dependency escapes.  Each problem is a
:class:`ValidationFailure` with one of the stable codes of :data:`FAILURE_CODES` (their meanings and
sources: :data:`caiso_pki.validation.codes.CODES`).

Revocation modes: ``"off"`` checks nothing; ``"soft-fail"`` checks what is available and turns missing
or unfetchable information into a warning; ``"hard-fail"`` fails when a certificate declares a CRL or
OCSP location but no usable answer is found; ``"require"`` needs a usable CRL or OCSP answer for every
certificate below the anchor.  A revoked certificate fails in every mode except ``"off"``.

The stages, one module each: :mod:`~caiso_pki.validation.options` (options, converted once),
:mod:`~caiso_pki.validation.building` (path building with a budget), :mod:`~caiso_pki.validation.pkix`
(RFC 5280 6.1, with :mod:`~caiso_pki.validation.signatures`, :mod:`~caiso_pki.validation.names` and
:mod:`~caiso_pki.validation.policies`), :mod:`~caiso_pki.validation.rules` (the strict and webpki
rules), :mod:`~caiso_pki.validation.revocation` (revocation evidence, judged through
:mod:`~caiso_pki.validation.pyhanko_adapter`, fetched with :mod:`~caiso_pki.validation.fetchers` and
:mod:`~caiso_pki.validation.fetch`), :mod:`~caiso_pki.validation.fastpath` (templates and caches),
:mod:`~caiso_pki.validation.results` and :mod:`~caiso_pki.validation.codes`;
:mod:`~caiso_pki.validation.engine` runs one validation through them and
:mod:`~caiso_pki.validation.validator` holds the public entry points.
Names are imported on first use, so importing this package costs little.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

# name -> module that defines it
_EXPORTS: Final[dict[str, str]] = {
    "CODES": "caiso_pki.validation.codes",
    "FAILURE_CODES": "caiso_pki.validation.codes",
    "CodeInfo": "caiso_pki.validation.codes",
    "AlgorithmPolicy": "caiso_pki.validation.options",
    "PathBudget": "caiso_pki.validation.options",
    "Profile": "caiso_pki.validation.options",
    "RevocationMode": "caiso_pki.validation.options",
    "TrustSet": "caiso_pki.validation.options",
    "FleetSummary": "caiso_pki.validation.summary",
    "RevocationStatus": "caiso_pki.validation.results",
    "ValidationFailure": "caiso_pki.validation.results",
    "ValidationResult": "caiso_pki.validation.results",
    "summarize": "caiso_pki.validation.summary",
    "FleetCache": "caiso_pki.validation.fastpath",
    "FleetStats": "caiso_pki.validation.fastpath",
    "LeafInput": "caiso_pki.types",
    "ProgressCallback": "caiso_pki.validation.options",
    "Validator": "caiso_pki.validation.validator",
    "ValidatorOptions": "caiso_pki.validation.validator",
    "validate_chain": "caiso_pki.validation.validator",
    "validate_chain_async": "caiso_pki.validation.validator",
    "validate_many": "caiso_pki.validation.validator",
    "validate_many_async": "caiso_pki.validation.validator",
    "Fetcher": "caiso_pki.validation.fetch",
    "HttpFetcher": "caiso_pki.validation.fetch",
    "RevocationCache": "caiso_pki.validation.fetchers",
}

__all__ = [
    "CODES",
    "FAILURE_CODES",
    "AlgorithmPolicy",
    "CodeInfo",
    "Fetcher",
    "FleetCache",
    "FleetStats",
    "FleetSummary",
    "HttpFetcher",
    "LeafInput",
    "PathBudget",
    "Profile",
    "ProgressCallback",
    "RevocationCache",
    "RevocationMode",
    "RevocationStatus",
    "TrustSet",
    "ValidationFailure",
    "ValidationResult",
    "Validator",
    "ValidatorOptions",
    "summarize",
    "validate_chain",
    "validate_chain_async",
    "validate_many",
    "validate_many_async",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'caiso_pki.validation' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from caiso_pki.types import LeafInput
    from caiso_pki.validation.codes import CODES, FAILURE_CODES, CodeInfo
    from caiso_pki.validation.fastpath import FleetCache, FleetStats
    from caiso_pki.validation.fetch import Fetcher, HttpFetcher
    from caiso_pki.validation.fetchers import RevocationCache
    from caiso_pki.validation.options import (
        AlgorithmPolicy,
        PathBudget,
        Profile,
        ProgressCallback,
        RevocationMode,
        TrustSet,
    )
    from caiso_pki.validation.results import RevocationStatus, ValidationFailure, ValidationResult
    from caiso_pki.validation.summary import FleetSummary, summarize
    from caiso_pki.validation.validator import (
        Validator,
        ValidatorOptions,
        validate_chain,
        validate_chain_async,
        validate_many,
        validate_many_async,
    )
