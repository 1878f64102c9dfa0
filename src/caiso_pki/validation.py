"""RFC 5280 chain validation on pyhanko-certvalidator, with a result people and programs can act on.

:func:`validate_chain` builds a path from a leaf through (unordered, possibly surplus) intermediates to
one of the trust anchors you pass (never the operating system's list), validates it (signatures,
validity, name chaining, basic constraints, key usage, certificate policies, name constraints, critical
extensions, revocation), then applies the checks pyhanko leaves to the application: key usage and
extended key usage of the leaf, the server name, a maximum number of intermediates and the
``distrust_after`` date of trust-store entries.

The answer is a :class:`ValidationResult`; nothing from a dependency escapes.  Each problem is a
:class:`ValidationFailure` with one of these stable codes:

=========================  ========================================================================
``no-path``                no chain from the leaf to any trust anchor (an issuer is missing)
``untrusted-root``         the chain ends in a self-signed certificate that is not a trust anchor,
                           or no trust anchors were given
``expired``                a certificate (or the anchor) is past its notAfter at the validation time
``not-yet-valid``          a certificate is before its notBefore at the validation time
``bad-signature``          a signature does not verify (wrong issuer key, corrupted bytes)
``name-chaining``          a certificate's issuer name does not match its issuer's subject
``not-a-ca``               an intermediate lacks basicConstraints cA=TRUE
``path-length-exceeded``   a pathLenConstraint, or ``max_path_length``, is exceeded
``key-usage``              a CA lacks keyCertSign, or the leaf lacks a requested keyUsage bit
``extended-key-usage``     the leaf's extendedKeyUsage lacks a requested purpose
``name-mismatch``          ``server_name`` matches no subjectAltName of the leaf
``policy``                 RFC 5280 policy processing ends with no acceptable policy
``name-constraints``       a name is outside the permitted (or inside an excluded) subtree
``critical-extension``     a certificate carries a critical extension that is not understood
``revoked``                a certificate is revoked (the message gives the reason and date)
``revocation-unavailable`` revocation information is required but missing, stale or unusable
``distrusted-anchor``      the anchor's trust-store entry distrusts leaves issued after a date
``unsupported-algorithm``  a signature or key algorithm that cannot be verified here
``weak-algorithm``         a signature uses a hash or key size the algorithm policy refuses
``malformed``              a certificate, CRL or OCSP response cannot be decoded during validation
``internal``               an unexpected error in the validation engine (message says which)
=========================  ========================================================================

Revocation modes: ``"off"`` checks nothing; ``"soft-fail"`` checks what is available and turns missing
or unfetchable information into a warning; ``"hard-fail"`` fails when a certificate declares a CRL or
OCSP location but no usable answer is found; ``"require"`` needs a usable CRL or OCSP answer for every
certificate below the anchor.  A revoked certificate fails in every mode except ``"off"``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import functools
import ipaddress
import os
import re
import threading
import weakref
from collections.abc import Coroutine, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

import attrs

from caiso_pki._io import ASN1_ERRORS
from caiso_pki.certificate import Certificate, ensure_aware
from caiso_pki.errors import (
    CaisoPkiError,
    MalformedInputError,
    RevocationError,
    UnknownOidError,
    ValidationError,
)
from caiso_pki.oids import ANY_POLICY, parse_oid
from caiso_pki.policy import PolicyRequirement

if TYPE_CHECKING:
    from asn1crypto import crl as asn1_crl
    from asn1crypto import ocsp as asn1_ocsp
    from rich.console import RenderableType

__all__ = [
    "FAILURE_CODES",
    "AlgorithmPolicy",
    "RevocationMode",
    "RevocationStatus",
    "ValidationFailure",
    "ValidationResult",
    "validate_chain",
    "validate_chain_async",
]

RevocationMode: TypeAlias = Literal["off", "soft-fail", "hard-fail", "require"]
CertificateInput: TypeAlias = Any  # Certificate | cryptography Certificate | bytes | str | PathLike

#: Every failure code :func:`validate_chain` can report (see the module documentation).
FAILURE_CODES: Final = frozenset(
    {
        "no-path",
        "untrusted-root",
        "expired",
        "not-yet-valid",
        "bad-signature",
        "name-chaining",
        "not-a-ca",
        "path-length-exceeded",
        "key-usage",
        "extended-key-usage",
        "name-mismatch",
        "policy",
        "name-constraints",
        "critical-extension",
        "revoked",
        "revocation-unavailable",
        "distrusted-anchor",
        "unsupported-algorithm",
        "weak-algorithm",
        "malformed",
        "internal",
    }
)

_MODES: Final[dict[str, str]] = {
    "off": "none",
    "soft-fail": "soft-fail",
    "hard-fail": "hard-fail",
    "require": "require",
}

# asn1crypto's snake_case names -> the RFC 5280 spelling people see in openssl and cryptography.
_KU_ASN1: Final[dict[str, str]] = {
    "digitalSignature": "digital_signature",
    "nonRepudiation": "non_repudiation",
    "contentCommitment": "non_repudiation",
    "keyEncipherment": "key_encipherment",
    "dataEncipherment": "data_encipherment",
    "keyAgreement": "key_agreement",
    "keyCertSign": "key_cert_sign",
    "cRLSign": "crl_sign",
    "encipherOnly": "encipher_only",
    "decipherOnly": "decipher_only",
}
_KU_BY_LOWER: Final = {name.lower(): asn1 for name, asn1 in _KU_ASN1.items()} | {
    asn1: asn1 for asn1 in _KU_ASN1.values()
}
_REASONS: Final[dict[str, str]] = {
    "unspecified": "unspecified",
    "key_compromise": "keyCompromise",
    "ca_compromise": "cACompromise",
    "affiliation_changed": "affiliationChanged",
    "superseded": "superseded",
    "cessation_of_operation": "cessationOfOperation",
    "certificate_hold": "certificateHold",
    "remove_from_crl": "removeFromCRL",
    "privilege_withdrawn": "privilegeWithdrawn",
    "aa_compromise": "aACompromise",
}
_ASN1_ANY_POLICY: Final = "any_policy"
_TOLERANCE: Final = dt.timedelta(seconds=1)  # pyhanko's default time tolerance
_POSITION: Final = re.compile(r"intermediate certificate (\d+)")


def _lower_set(values: Iterable[str]) -> frozenset[str]:
    return frozenset(str(value).lower() for value in values)


@attrs.frozen
class AlgorithmPolicy:
    """Which signature hashes and key sizes validation accepts.

    The default refuses MD2, MD5 and SHA-1 signatures and RSA or DSA keys under 2048 bits.  Test suites
    built on older algorithms (NIST PKITS) pass a laxer policy explicitly, for example
    ``AlgorithmPolicy(weak_hashes=frozenset({"md2", "md5"}), min_rsa_bits=1024, min_dsa_bits=1024)``.
    """

    weak_hashes: frozenset[str] = attrs.field(default=frozenset({"md2", "md5", "sha1"}), converter=_lower_set)
    min_rsa_bits: int = 2048
    min_dsa_bits: int = 2048

    @functools.lru_cache(maxsize=16)  # noqa: B019 -- a few frozen, hashable policies; kept alive on purpose
    def _to_pyhanko(self) -> Any:
        from pyhanko_certvalidator.policy_decl import DisallowWeakAlgorithmsPolicy

        return DisallowWeakAlgorithmsPolicy(  # type: ignore[no-untyped-call]
            weak_hash_algos=self.weak_hashes,
            rsa_key_size_threshold=self.min_rsa_bits,
            dsa_key_size_threshold=self.min_dsa_bits,
        )


_STRICT_ALGORITHMS: Final = AlgorithmPolicy()


@attrs.frozen
class ValidationFailure:
    """One reason a chain is not valid: a stable ``code``, a message, and the certificate concerned.

    ``index`` is the certificate's position in :attr:`ValidationResult.path` (0 = anchor) or ``None``
    when the problem is not about one certificate.
    """

    code: str
    message: str
    index: int | None = None
    subject: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"code": self.code, "message": self.message, "index": self.index, "subject": self.subject}


@attrs.frozen
class RevocationStatus:
    """Revocation status of one certificate of the path and where it came from.

    ``status`` is ``"good"``, ``"revoked"``, ``"unknown"`` (no usable information) or ``"not-checked"``
    (the trust anchor, or revocation ``"off"``); ``source`` is ``"crl"``, ``"ocsp"`` or ``None``;
    ``url`` is where it was fetched from (``None`` for information given offline).
    """

    index: int
    subject: str
    status: Literal["good", "revoked", "unknown", "not-checked"]
    source: Literal["crl", "ocsp"] | None = None
    url: str | None = None
    this_update: dt.datetime | None = None
    next_update: dt.datetime | None = None
    reason: str | None = None
    revocation_time: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (datetimes as ISO 8601)."""
        return {
            "index": self.index,
            "subject": self.subject,
            "status": self.status,
            "source": self.source,
            "url": self.url,
            "this_update": _iso(self.this_update),
            "next_update": _iso(self.next_update),
            "reason": self.reason,
            "revocation_time": _iso(self.revocation_time),
        }


@attrs.frozen
class ValidationResult:
    """The outcome of :func:`validate_chain`.

    ``path`` runs from the trust anchor to the leaf when a path was built; when none could be, it holds
    the best partial chain found (its first element is then not a trust anchor).  ``valid_policies``
    holds the dotted OIDs of the user-domain policies that survived RFC 5280 policy processing.
    """

    valid: bool
    path: tuple[Certificate, ...]
    failures: tuple[ValidationFailure, ...] = ()
    valid_policies: frozenset[str] = frozenset()
    revocation: tuple[RevocationStatus, ...] = ()
    warnings: tuple[str, ...] = ()
    at: dt.datetime = attrs.field(factory=lambda: dt.datetime.now(dt.UTC))

    def __bool__(self) -> bool:
        return self.valid

    def __repr__(self) -> str:
        leaf = repr(self.path[-1].subject.rfc4514) if self.path else None
        codes = list(self.codes)
        return f"<ValidationResult valid={self.valid} leaf={leaf} path={len(self.path)} codes={codes}>"

    def _repr_html_(self) -> str:
        from caiso_pki.display import validation_html

        return validation_html(self)

    def __rich__(self) -> RenderableType:
        from caiso_pki.display import validation_rich

        return validation_rich(self)

    @property
    def leaf(self) -> Certificate | None:
        """The validated certificate (last of the path)."""
        return self.path[-1] if self.path else None

    @property
    def codes(self) -> tuple[str, ...]:
        """The failure codes, in order."""
        return tuple(failure.code for failure in self.failures)

    def raise_for_failure(self) -> None:
        """Raise :class:`~caiso_pki.errors.ValidationError` (carrying this result) unless valid."""
        if self.valid:
            return
        summary = "; ".join(f"{f.code}: {f.message}" for f in self.failures) or "not valid"
        raise ValidationError(f"certificate chain is not valid: {summary}", result=self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "valid": self.valid,
            "at": _iso(self.at),
            "path": [
                {
                    "index": index,
                    "subject": cert.subject.rfc4514,
                    "issuer": cert.issuer.rfc4514,
                    "serial": cert.serial_hex,
                    "not_before": _iso(cert.not_before),
                    "not_after": _iso(cert.not_after),
                    "fingerprint_sha256": cert.fingerprint_sha256,
                }
                for index, cert in enumerate(self.path)
            ],
            "failures": [failure.to_dict() for failure in self.failures],
            "valid_policies": sorted(self.valid_policies),
            "revocation": [status.to_dict() for status in self.revocation],
            "warnings": list(self.warnings),
        }


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value is not None else None


# -- input conversion -------------------------------------------------------------------------------


def _certificates(item: CertificateInput, what: str) -> list[Certificate]:
    from caiso_pki._io import load_certificates

    if isinstance(item, Certificate):
        return [item]
    inner = getattr(item, "certificate", None)
    if isinstance(inner, Certificate):  # a trust-store entry or testing.IssuedCertificate
        return [inner]
    if isinstance(item, (bytes, bytearray, memoryview, str, os.PathLike)):
        return load_certificates(item)
    from cryptography import x509

    if isinstance(item, x509.Certificate):
        return [Certificate.from_cryptography(item)]
    raise MalformedInputError(
        f"<{what} {type(item).__name__}>: expected a Certificate, a cryptography certificate, bytes, "
        "PEM text or a path"
    )


def _certificate_list(items: Any, what: str) -> list[Certificate]:
    if items is None:
        return []
    if isinstance(items, (bytes, bytearray, memoryview, str, os.PathLike, Certificate)):
        return _certificates(items, what)
    result: list[Certificate] = []
    try:
        iterator = iter(items)
    except TypeError:
        return _certificates(items, what)
    for item in iterator:
        result.extend(_certificates(item, what))
    return result


@attrs.frozen
class _Anchor:
    certificate: Certificate
    distrust_after: dt.datetime | None = None
    label: str | None = None


def _trust_inputs(trust: Any) -> tuple[list[_Anchor], list[Certificate]]:
    """Anchors and extra intermediates from a TrustStore, trust entries, or certificates.

    Duck-typed: anything with ``.certificate`` is an entry; its ``role`` (``"anchor"`` by default,
    ``"intermediate"`` offers it to path building only) and ``distrust_after`` are honoured.
    """
    if trust is None:
        raise MalformedInputError("trust: pass a TrustStore or certificates; the OS trust list is never used")
    if isinstance(trust, (bytes, bytearray, memoryview, str, os.PathLike, Certificate)):
        return [_Anchor(cert) for cert in _certificates(trust, "trust anchor")], []
    entries = getattr(trust, "entries", None)
    items = entries if isinstance(entries, tuple | list) else trust
    anchors: list[_Anchor] = []
    extra: list[Certificate] = []
    try:
        iterator = iter(items)
    except TypeError:
        return [_Anchor(cert) for cert in _certificates(trust, "trust anchor")], []
    for item in iterator:
        inner = getattr(item, "certificate", None)
        if isinstance(inner, Certificate):
            if getattr(item, "role", "anchor") == "intermediate":
                extra.append(inner)
                continue
            distrust = getattr(item, "distrust_after", None)
            anchors.append(
                _Anchor(
                    inner,
                    ensure_aware(distrust, what="distrust_after") if distrust is not None else None,
                    ",".join(sorted(getattr(item, "labels", ()) or ())) or None,
                )
            )
            continue
        anchors.extend(_Anchor(cert) for cert in _certificates(item, "trust anchor"))
    return anchors, extra


def _crl_ders(crls: Any) -> list[bytes]:
    from caiso_pki._io import is_pem, read_source, split_pem

    items = [crls] if isinstance(crls, (bytes, bytearray, memoryview, str, os.PathLike)) else list(crls or ())
    result: list[bytes] = []
    for item in items:
        public_bytes = getattr(item, "public_bytes", None)
        if callable(public_bytes):  # a cryptography CertificateRevocationList
            from cryptography.hazmat.primitives.serialization import Encoding

            result.append(public_bytes(Encoding.DER))
            continue
        dump = getattr(item, "dump", None)
        if callable(dump):  # an asn1crypto CertificateList
            result.append(dump())
            continue
        data, name = read_source(item, what="CRL")
        if is_pem(data):
            blocks = [block for block in split_pem(data, name) if block.label == "X509 CRL"]
            if not blocks:
                raise MalformedInputError(f"{name}: holds no X509 CRL block")
            result.extend(block.der for block in blocks)
        else:
            result.append(data)
    return result


def _load_crls(crls: Any) -> list[asn1_crl.CertificateList]:
    from asn1crypto import crl as asn1_crl

    loaded = []
    for der in _crl_ders(crls):
        try:
            parsed = asn1_crl.CertificateList.load(der, strict=True)
            parsed["tbs_cert_list"]["issuer"].native  # noqa: B018 -- force the lazy parse now
            parsed["tbs_cert_list"]["this_update"].native  # noqa: B018
        except Exception as exc:  # asn1crypto raises ValueError, TypeError, KeyError ... on garbage
            raise MalformedInputError("<CRL>: not a valid DER X.509 CRL") from exc
        loaded.append(parsed)
    return loaded


def _load_ocsps(responses: Any) -> list[asn1_ocsp.OCSPResponse]:
    from asn1crypto import ocsp as asn1_ocsp

    from caiso_pki._io import read_source

    items = (
        [responses]
        if isinstance(responses, (bytes, bytearray, memoryview, str, os.PathLike))
        else list(responses or ())
    )
    loaded = []
    for item in items:
        public_bytes = getattr(item, "public_bytes", None)
        if callable(public_bytes):  # a cryptography OCSPResponse
            from cryptography.hazmat.primitives.serialization import Encoding

            data, name = public_bytes(Encoding.DER), "<OCSP response>"
        elif callable(dump := getattr(item, "dump", None)):
            data, name = dump(), "<OCSP response>"
        else:
            data, name = read_source(item, what="OCSP response")
        try:
            parsed = asn1_ocsp.OCSPResponse.load(data, strict=True)
            parsed["response_status"].native  # noqa: B018 -- force the lazy parse now
        except Exception as exc:  # asn1crypto raises many exception types on garbage
            raise MalformedInputError(f"{name}: not a valid DER OCSP response") from exc
        loaded.append(parsed)
    return loaded


def _policy_params(policy: PolicyRequirement | None) -> Any:
    if policy is None:
        return None
    if not isinstance(policy, PolicyRequirement):
        raise MalformedInputError(f"policy: expected a PolicyRequirement, got {type(policy).__name__}")
    return _pkix_params(policy)


@functools.lru_cache(maxsize=64)
def _pkix_params(policy: PolicyRequirement) -> Any:
    from pyhanko_certvalidator.policy_decl import PKIXValidationParams

    initial = frozenset(_ASN1_ANY_POLICY if oid == ANY_POLICY else oid for oid in policy.acceptable)
    return PKIXValidationParams(
        user_initial_policy_set=initial,
        initial_explicit_policy=policy.require_explicit,
        initial_policy_mapping_inhibit=policy.inhibit_mapping,
        initial_any_policy_inhibit=policy.inhibit_any,
    )


def _key_usage_names(key_usage: Iterable[str] | None) -> frozenset[str]:
    if key_usage is None:
        return frozenset()
    names = [key_usage] if isinstance(key_usage, str) else list(key_usage)
    result = set()
    for name in names:
        asn1 = _KU_BY_LOWER.get(str(name).replace("_", "").lower()) or _KU_BY_LOWER.get(str(name))
        if asn1 is None:
            raise MalformedInputError(f"key_usage: unknown key usage {name!r}; use one of {sorted(_KU_ASN1)}")
        result.add(asn1)
    return frozenset(result)


def _eku_oids(extended_key_usage: Iterable[str] | str | None) -> frozenset[str]:
    if extended_key_usage is None:
        return frozenset()
    names = [extended_key_usage] if isinstance(extended_key_usage, str) else list(extended_key_usage)
    try:
        return frozenset(parse_oid(str(name)).dotted_string for name in names)
    except UnknownOidError as exc:
        raise MalformedInputError(f"extended_key_usage: {exc}") from exc


# -- the engine ----------------------------------------------------------------------------------


def validate_chain(
    leaf: CertificateInput,
    intermediates: Iterable[CertificateInput] = (),
    *,
    trust: Any,
    at: dt.datetime | None = None,
    key_usage: Iterable[str] | None = None,
    extended_key_usage: Iterable[str] | str | None = None,
    server_name: str | None = None,
    policy: PolicyRequirement | None = None,
    max_path_length: int | None = None,
    revocation: RevocationMode = "soft-fail",
    crls: Iterable[Any] = (),
    ocsp_responses: Iterable[Any] = (),
    fetch: bool = False,
    timeout: float = 10.0,
    algorithm_policy: AlgorithmPolicy | None = None,
    revocation_cache: Any = None,
) -> ValidationResult:
    """Validate ``leaf`` up to one of the anchors in ``trust`` and report everything found.

    ``leaf`` and ``intermediates`` accept :class:`Certificate`, ``cryptography`` certificates, DER or PEM
    bytes, PEM text or paths (a file holding several certificates: the first is the leaf, the rest are
    offered as intermediates).  ``trust`` is a :class:`~caiso_pki.truststore.TrustStore` or an iterable
    of certificates; the operating system's trust list is never consulted.  ``at`` must be timezone-aware
    (default: now).  ``key_usage`` names RFC 5280 bits (``"digitalSignature"``); ``extended_key_usage``
    takes OIDs or names (``"clientAuth"``).  ``max_path_length`` caps the number of intermediates.
    ``crls`` and ``ocsp_responses`` give revocation information offline; ``fetch=True`` also downloads
    CRLs and OCSP answers named in the certificates, each request bounded by ``timeout`` seconds, through
    :func:`caiso_pki.revocation.fetcher_backend` (http/https only, size caps); pass a
    :class:`~caiso_pki.revocation.RevocationCache` as ``revocation_cache`` to reuse downloads across
    calls until their nextUpdate.  ``algorithm_policy`` relaxes the default refusal of MD5/SHA-1
    signatures and small keys (see :class:`AlgorithmPolicy`).

    Raises only for bad input (:class:`~caiso_pki.errors.MalformedInputError`,
    :class:`~caiso_pki.errors.InvalidTimeError`); an invalid chain is a result with ``valid=False``.
    Safe to call from inside a running event loop (it then runs on a worker thread); async code should
    prefer :func:`validate_chain_async`.
    """
    coroutine = validate_chain_async(
        leaf,
        intermediates,
        trust=trust,
        at=at,
        key_usage=key_usage,
        extended_key_usage=extended_key_usage,
        server_name=server_name,
        policy=policy,
        max_path_length=max_path_length,
        revocation=revocation,
        crls=crls,
        ocsp_responses=ocsp_responses,
        fetch=fetch,
        timeout=timeout,
        algorithm_policy=algorithm_policy,
        revocation_cache=revocation_cache,
    )
    box: list[ValidationResult] = []

    async def main() -> None:
        # The task's result stays None: Python 3.11's asyncio.run formats the main task's repr (result
        # included) when it restores the SIGINT handler, which would cost a full result repr per call.
        box.append(await coroutine)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _run_on_thread_loop(main())
    else:
        # Called from async code (a notebook, a service handler): asyncio.run cannot nest; use a thread.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, main()).result()
    return box[0]


_THREAD_LOOPS = threading.local()


def _run_on_thread_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run ``coroutine`` on this thread's own event loop, created once and reused.

    ``asyncio.run`` builds and tears down a loop per call, which costs about as much as a sixth of a
    whole chain validation; a service validating peer after peer keeps one loop per thread instead.
    Whatever the coroutine left running is cancelled before returning, as ``asyncio.run`` would.
    """
    runner: asyncio.Runner | None = getattr(_THREAD_LOOPS, "runner", None)
    if runner is None:
        runner = asyncio.Runner()
        _THREAD_LOOPS.runner = runner
        weakref.finalize(threading.current_thread(), runner.close)
    try:
        runner.run(coroutine)
    finally:
        leftovers = [task for task in asyncio.all_tasks(runner.get_loop()) if not task.done()]
        if leftovers:
            for task in leftovers:
                task.cancel()
            runner.run(_drain(leftovers))


async def _drain(tasks: list[asyncio.Task[Any]]) -> None:
    await asyncio.gather(*tasks, return_exceptions=True)


async def validate_chain_async(
    leaf: CertificateInput,
    intermediates: Iterable[CertificateInput] = (),
    *,
    trust: Any,
    at: dt.datetime | None = None,
    key_usage: Iterable[str] | None = None,
    extended_key_usage: Iterable[str] | str | None = None,
    server_name: str | None = None,
    policy: PolicyRequirement | None = None,
    max_path_length: int | None = None,
    revocation: RevocationMode = "soft-fail",
    crls: Iterable[Any] = (),
    ocsp_responses: Iterable[Any] = (),
    fetch: bool = False,
    timeout: float = 10.0,
    algorithm_policy: AlgorithmPolicy | None = None,
    revocation_cache: Any = None,
) -> ValidationResult:
    """Asynchronous :func:`validate_chain` (same parameters and result); fetches run on the event loop."""
    when = ensure_aware(at, what="at")
    if revocation not in _MODES:
        raise MalformedInputError(f"revocation mode {revocation!r}: use one of {', '.join(_MODES)}")
    if max_path_length is not None and max_path_length < 0:
        raise MalformedInputError(f"max_path_length {max_path_length} must be zero or more")
    leaf_and_extras = _certificates(leaf, "certificate")
    if not leaf_and_extras:
        raise MalformedInputError("leaf: no certificate given")
    leaf_cert = leaf_and_extras[0]
    anchors, store_intermediates = _trust_inputs(trust)
    pool = [*leaf_and_extras[1:], *_certificate_list(intermediates, "intermediate"), *store_intermediates]
    request = _Request(
        leaf=leaf_cert,
        pool=pool,
        anchors=anchors,
        at=when,
        key_usage=_key_usage_names(key_usage),
        extended_key_usage=_eku_oids(extended_key_usage),
        server_name=server_name,
        params=_policy_params(policy),
        max_path_length=max_path_length,
        mode=revocation,
        crls=_load_crls(crls) if revocation != "off" else [],
        ocsps=_load_ocsps(ocsp_responses) if revocation != "off" else [],
        fetch=fetch and revocation != "off",
        timeout=float(timeout),
        algorithms=algorithm_policy or _STRICT_ALGORITHMS,
    )
    if not anchors:
        return ValidationResult(
            valid=False,
            path=(leaf_cert,),
            failures=(ValidationFailure("untrusted-root", "no trust anchors were given", None, None),),
            at=when,
        )
    backend = None
    if request.fetch:
        backend = _fetcher_backend(request.timeout, revocation_cache)
    try:
        return await _run(request, backend)
    finally:
        if backend is not None:
            # closing a spent HTTP session must not mask the result
            with contextlib.suppress(Exception):
                await backend.close()


def _fetcher_backend(timeout: float, cache: Any) -> Any:
    try:
        from caiso_pki import revocation as revocation_module
    except ImportError as exc:
        raise RevocationError("fetch=True needs caiso_pki.revocation, which is not available") from exc
    return revocation_module.fetcher_backend(timeout=timeout, cache=cache)


@attrs.define
class _Request:
    leaf: Certificate
    pool: list[Certificate]
    anchors: list[_Anchor]
    at: dt.datetime
    key_usage: frozenset[str]
    extended_key_usage: frozenset[str]
    server_name: str | None
    params: Any
    max_path_length: int | None
    mode: str
    crls: list[Any]
    ocsps: list[Any]
    fetch: bool
    timeout: float
    algorithms: AlgorithmPolicy


_SIGNATURE_VALIDATOR: Any = None


def _signature_validator() -> Any:
    """pyhanko's signature validator, but a key that does not fit the algorithm is a bad signature.

    pyhanko-certvalidator 0.33 trips an ``assert`` when, say, an ECDSA signature meets an RSA issuer key
    (a certificate signed by the wrong CA); that must read ``bad-signature`` on the right certificate.
    """
    global _SIGNATURE_VALIDATOR  # noqa: PLW0603 -- one stateless instance, built on first use
    if _SIGNATURE_VALIDATOR is None:
        from cryptography.exceptions import InvalidSignature
        from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator

        class _Validator(DefaultSignatureValidator):
            def validate_signature(self, *args: Any, **kwargs: Any) -> None:
                try:
                    super().validate_signature(*args, **kwargs)
                except InvalidSignature:
                    raise
                except (AssertionError, TypeError, ValueError) as exc:
                    raise InvalidSignature(f"signature algorithm does not fit the key: {exc}") from exc

        _SIGNATURE_VALIDATOR = _Validator()
    return _SIGNATURE_VALIDATOR


async def _run(request: _Request, backend: Any) -> ValidationResult:
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.registry import SimpleTrustManager

    known = _Known((request.leaf, *request.pool, *(anchor.certificate for anchor in request.anchors)))
    failures: list[ValidationFailure] = []
    warnings: list[str] = []
    path: tuple[Certificate, ...] = (request.leaf,)
    valid_policies: frozenset[str] = frozenset()
    revoked_info: tuple[int, Any] | None = None
    pyhanko_path: Any = None
    context: Any = None
    try:
        context = ValidationContext(
            trust_manager=SimpleTrustManager.build(trust_roots=[a.certificate.asn1 for a in request.anchors]),
            other_certs=[cert.asn1 for cert in request.pool],
            moment=request.at,
            crls=request.crls,
            ocsps=request.ocsps,
            revocation_mode=_MODES[request.mode],
            allow_fetching=request.fetch,
            fetcher_backend=backend,
            algorithm_usage_policy=request.algorithms._to_pyhanko(),
            signature_validator=_signature_validator(),
        )
        validator = CertificateValidator(
            request.leaf.asn1, validation_context=context, pkix_params=request.params
        )
        pyhanko_path = await validator.async_validate_path()
        path = _path_certificates(pyhanko_path, known, request.leaf)
        valid_policies = _policies(pyhanko_path)
    except Exception as exc:  # every dependency exception becomes a failure code, never a traceback
        failure, failed_path = _map_exception(exc, request, known)
        failures.append(failure)
        if failed_path is not None:
            pyhanko_path = failed_path
            path = _path_certificates(failed_path, known, request.leaf)
        else:
            path = _partial_chain(request)
        if failure.code == "revoked":
            revoked_info = (failure.index if failure.index is not None else len(path) - 1, exc)
    if context is not None:
        for soft in getattr(context, "soft_fail_exceptions", ()):
            warnings.append(f"revocation check soft-failed: {soft}")
    statuses: tuple[RevocationStatus, ...] = ()
    if pyhanko_path is not None and path and _is_anchor(path[0], request):
        statuses = await _revocation_statuses(path, pyhanko_path, request, context, revoked_info)
        if request.mode == "soft-fail" and not failures:
            for status in statuses:
                if status.status == "unknown":
                    warnings.append(
                        f"no revocation information for {status.subject} (soft-fail: accepted without it)"
                    )
    failures.extend(_application_checks(path, request))
    return ValidationResult(
        valid=not failures,
        path=path,
        failures=tuple(failures),
        valid_policies=valid_policies,
        revocation=statuses,
        warnings=tuple(warnings),
        at=request.at,
    )


def _is_anchor(cert: Certificate, request: _Request) -> bool:
    return any(anchor.certificate.der == cert.der for anchor in request.anchors)


class _Known:
    """Our Certificate for each asn1crypto certificate pyhanko hands back, without re-encoding it.

    pyhanko returns the very asn1crypto objects we gave it (``Certificate.asn1`` is cached), so identity
    finds them; comparing DER would make asn1crypto walk every certificate to check for mutations.
    """

    def __init__(self, certificates: Iterable[Certificate]) -> None:
        self._by_id = {id(cert.asn1): cert for cert in certificates}
        self._by_der: dict[bytes, Certificate] | None = None

    def get(self, asn1: Any) -> Certificate:
        found = self._by_id.get(id(asn1))
        if found is not None:
            return found
        if self._by_der is None:
            self._by_der = {cert.der: cert for cert in self._by_id.values()}
        der = asn1.dump()
        cert = self._by_der.get(der)
        if cert is None:  # fetched through AIA caIssuers
            cert = self._by_der[der] = Certificate.from_der(der, source_name="<fetched>")
        return cert


def _path_certificates(pyhanko_path: Any, known: _Known, leaf: Certificate) -> tuple[Certificate, ...]:
    result = [known.get(asn1) for asn1 in pyhanko_path.iter_certs(include_root=True)]
    if not result or result[-1].der != leaf.der:
        result.append(leaf)
    return tuple(result)


def _policies(pyhanko_path: Any) -> frozenset[str]:
    qualified = pyhanko_path.qualified_policies()
    if not qualified:
        return frozenset()
    return frozenset(
        ANY_POLICY if item.user_domain_policy_id == _ASN1_ANY_POLICY else str(item.user_domain_policy_id)
        for item in qualified
    )


def _partial_chain(request: _Request) -> tuple[Certificate, ...]:
    """The chain as far as issuer names lead, top first, for reporting when no path could be built."""
    candidates = [*request.pool, *(anchor.certificate for anchor in request.anchors)]
    chain = [request.leaf]
    current = request.leaf
    try:
        while len(chain) < 16 and not current.asn1.self_issued:
            issuer_name = current.asn1.issuer
            found = next(
                (c for c in candidates if c.asn1.subject == issuer_name and c not in chain),
                None,
            )
            if found is None:
                break
            chain.append(found)
            current = found
    except ASN1_ERRORS:
        pass
    return tuple(reversed(chain))


# -- mapping pyhanko's exceptions to codes -------------------------------------------------------


def _map_exception(exc: BaseException, request: _Request, known: _Known) -> tuple[ValidationFailure, Any]:
    from pyhanko_certvalidator import errors as pv_errors

    message = str(exc) or exc.__class__.__name__
    if isinstance(exc, pv_errors.PathValidationError):
        failed_path = exc.original_path
        path = _path_certificates(failed_path, known, request.leaf)
        index = _failure_index(exc, message, path)
        subject = path[index].subject.rfc4514 if index is not None and index < len(path) else None
        code = _path_validation_code(exc, message)
        if code == "revoked" and isinstance(exc, pv_errors.RevokedError):
            message = _revoked_message(exc, subject)
        elif code == "path-length-exceeded" and index is None:
            index = _path_length_index(path)
            subject = path[index].subject.rfc4514 if index is not None else None
        return ValidationFailure(code, message, index, subject), failed_path
    if isinstance(exc, pv_errors.PathBuildingError):
        chain = _partial_chain(request)
        top = chain[0]
        if top.asn1.self_signed in ("yes", "maybe") and not _is_anchor(top, request):
            return (
                ValidationFailure(
                    "untrusted-root",
                    f"the chain ends in {top.subject.rfc4514!r}, which is not a trust anchor",
                    0,
                    top.subject.rfc4514,
                ),
                None,
            )
        return ValidationFailure("no-path", message, 0, top.subject.rfc4514), None
    if isinstance(exc, pv_errors.InvalidCertificateError):
        if "self-signed" in message:
            return (
                ValidationFailure(
                    "untrusted-root",
                    f"{request.leaf.subject.rfc4514!r} is self-signed and not a trust anchor",
                    0,
                    request.leaf.subject.rfc4514,
                ),
                None,
            )
        return ValidationFailure("key-usage", message, None, request.leaf.subject.rfc4514), None
    if isinstance(exc, CaisoPkiError):
        code = "revocation-unavailable" if isinstance(exc, RevocationError) else "malformed"
        return ValidationFailure(code, message), None
    if isinstance(exc, (ValueError, TypeError, KeyError)) and _from_asn1crypto(exc):
        return ValidationFailure(
            "malformed", f"cannot decode a certificate or its revocation data: {message}"
        ), None
    return ValidationFailure("internal", f"{exc.__class__.__name__}: {message}"), None


def _from_asn1crypto(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if "asn1crypto" in tb.tb_frame.f_code.co_filename:
            return True
        tb = tb.tb_next
    return False


def _path_validation_code(exc: BaseException, message: str) -> str:
    from pyhanko_certvalidator import errors as pv_errors

    lowered = message.lower()
    if isinstance(exc, pv_errors.RevokedError):
        return "revoked"
    if isinstance(exc, pv_errors.ExpiredError):
        return "expired"
    if isinstance(exc, pv_errors.NotYetValidError):
        return "not-yet-valid"
    if isinstance(exc, (pv_errors.InsufficientRevinfoError, pv_errors.InsufficientPOEError)):
        return "revocation-unavailable"
    if isinstance(exc, pv_errors.DisallowedAlgorithmError):
        return "weak-algorithm"
    cause = exc.__context__
    if "signature" in lowered and ("could not be verified" in lowered or "do not match" in lowered):
        if isinstance(cause, (pv_errors.AlgorithmNotSupported, pv_errors.DSAParametersUnavailable)):
            return "unsupported-algorithm"
        return "bad-signature"
    table = (
        ("issuer name could not be matched", "name-chaining"),
        ("set of policies", "policy"),
        ("policy graph", "policy"),
        ("policy mapping", "policy"),
        ("any_policy", "policy"),
        ("namespace", "name-constraints"),
        ("is not a ca", "not-a-ca"),
        ("maximum path length", "path-length-exceeded"),
        ("not allowed to sign certificates", "key-usage"),
        ("critical extension", "critical-extension"),
        ("revocation", "revocation-unavailable"),
        ("crl", "revocation-unavailable"),
        ("ocsp", "revocation-unavailable"),
    )
    for needle, code in table:
        if needle in lowered:
            return code
    return "internal"


def _failure_index(exc: Any, message: str, path: tuple[Certificate, ...]) -> int | None:
    if getattr(exc, "is_side_validation", False):
        return None
    if getattr(exc, "is_ee_cert", False) or "end-entity certificate" in message:
        return len(path) - 1
    match = _POSITION.search(message)
    if match:
        position = int(match.group(1))
        return position if position < len(path) else None
    if "trust anchor" in message:
        return 0
    return None


def _path_length_index(path: tuple[Certificate, ...]) -> int | None:
    """Which certificate breaks a pathLenConstraint (replays RFC 5280 6.1.4 steps l and m)."""
    remaining = len(path) - 1
    for index, cert in enumerate(path[:-1]):
        asn1 = cert.asn1
        if index > 0 and not asn1.self_issued:
            if remaining == 0:
                return index
            remaining -= 1
        if asn1.max_path_length is not None and asn1.max_path_length < remaining:
            remaining = asn1.max_path_length
    return None


def _reason_name(reason: Any) -> str | None:
    if reason is None:
        return None
    native = getattr(reason, "native", reason)
    if native is None:
        return None
    return _REASONS.get(str(native), str(native))


def _revoked_message(exc: Any, subject: str | None) -> str:
    reason = _reason_name(exc.reason) or "unspecified"
    when = _iso(exc.revocation_dt) if isinstance(exc.revocation_dt, dt.datetime) else str(exc.revocation_dt)
    source = "OCSP" if str(exc).startswith("OCSP") else "CRL"
    who = subject or "a certificate of the path"
    return f"{who} was revoked at {when} (reason: {reason}), according to {source}"


# -- per-certificate revocation details ------------------------------------------------------------


async def _revocation_statuses(
    path: tuple[Certificate, ...],
    pyhanko_path: Any,
    request: _Request,
    context: Any,
    revoked_info: tuple[int, Any] | None,
) -> tuple[RevocationStatus, ...]:
    from pyhanko_certvalidator.util import get_declared_revinfo

    statuses = [RevocationStatus(0, path[0].subject.rfc4514, "not-checked")]
    if request.mode == "off":
        return tuple(
            [statuses[0]]
            + [RevocationStatus(i, path[i].subject.rfc4514, "not-checked") for i in range(1, len(path))]
        )
    offline = {item.dump() for item in request.ocsps}
    offline_crls = {item.dump() for item in request.crls}
    try:
        available_ocsps = list(context.ocsps) if context is not None else list(request.ocsps)
    except Exception:  # a fetcher in a bad state: fall back to what was given offline
        available_ocsps = list(request.ocsps)
    for index in range(1, len(path)):
        cert, issuer = path[index], path[index - 1]
        subject = cert.subject.rfc4514
        try:
            has_crl, has_ocsp = get_declared_revinfo(cert.asn1)
            ocsp_hit = _match_ocsp(cert, issuer, available_ocsps) if has_ocsp else None
            crl_hit = (
                await _match_crl(cert, pyhanko_path, context, request.at)
                if (has_crl or request.mode == "require") and context is not None
                else None
            )
        except Exception:  # reporting detail only; validation itself already ran
            ocsp_hit, crl_hit = None, None
        prefer_crl = (
            revoked_info is not None and revoked_info[0] == index and str(revoked_info[1]).startswith("CRL")
        )
        if ocsp_hit is not None and not (prefer_crl and crl_hit is not None):
            response, single = ocsp_hit
            status = _ocsp_status(
                index, subject, single, None if response.dump() in offline else _first(cert.ocsp_urls)
            )
        elif crl_hit is not None:
            crl, entry = crl_hit
            status = RevocationStatus(
                index,
                subject,
                "revoked" if entry is not None else "good",
                "crl",
                None if crl.dump() in offline_crls else _first(cert.crl_distribution_points),
                crl["tbs_cert_list"]["this_update"].native,
                crl["tbs_cert_list"]["next_update"].native,
                _reason_name(entry[1]) if entry is not None else None,
                _as_datetime(entry[0]) if entry is not None else None,
            )
        else:
            status = RevocationStatus(index, subject, "unknown")
        if revoked_info is not None and revoked_info[0] == index:
            exc = revoked_info[1]
            status = attrs.evolve(
                status,
                status="revoked",
                source=status.source or ("ocsp" if str(exc).startswith("OCSP") else "crl"),
                reason=_reason_name(getattr(exc, "reason", None)) or status.reason,
                revocation_time=getattr(exc, "revocation_dt", None) or status.revocation_time,
            )
        statuses.append(status)
    return tuple(statuses)


def _as_datetime(value: Any) -> dt.datetime | None:
    native = getattr(value, "native", value)
    return native if isinstance(native, dt.datetime) else None


def _first(values: Sequence[str]) -> str | None:
    try:
        return values[0] if values else None
    except CaisoPkiError:
        return None


def _ocsp_status(index: int, subject: str, single: Any, url: str | None) -> RevocationStatus:
    cert_status = single["cert_status"]
    name = cert_status.name
    reason = None
    when = None
    if name == "revoked":
        info = cert_status.chosen
        when = info["revocation_time"].native
        reason = _reason_name(info["revocation_reason"].native) if info["revocation_reason"].native else None
    state: Literal["good", "revoked", "unknown"] = (
        "good" if name == "good" else "revoked" if name == "revoked" else "unknown"
    )
    return RevocationStatus(
        index,
        subject,
        state,
        "ocsp",
        url,
        single["this_update"].native,
        single["next_update"].native,
        reason,
        when,
    )


def _match_ocsp(cert: Certificate, issuer: Certificate, responses: Iterable[Any]) -> tuple[Any, Any] | None:
    serial = cert.asn1.serial_number
    issuer_key = issuer.asn1.public_key
    for response in responses:
        if response["response_status"].native != "successful":
            continue
        basic = response.basic_ocsp_response
        for single in basic["tbs_response_data"]["responses"]:
            cert_id = single["cert_id"]
            if cert_id["serial_number"].native != serial:
                continue
            algorithm = cert_id["hash_algorithm"]["algorithm"].native
            expected = getattr(issuer_key, algorithm, None)
            if expected is not None and cert_id["issuer_key_hash"].native == expected:
                return response, single
    return None


async def _match_crl(
    cert: Certificate, pyhanko_path: Any, context: Any, at: dt.datetime
) -> tuple[Any, Any] | None:
    """The freshest CRL pyhanko deems relevant to ``cert`` (direct, indirect, separate key) and its entry."""
    from pyhanko_certvalidator.revinfo.validate_crl import collect_relevant_crls_with_paths, find_cert_in_list

    # control_time=None: with a time, pyhanko's AdES proof-of-existence bookkeeping would drop every CRL
    # for a validation time in the past; we filter on thisUpdate ourselves below.
    collected = await collect_relevant_crls_with_paths(
        cert.asn1,
        pyhanko_path,
        context.revinfo_manager,
        None,  # type: ignore[arg-type]
    )
    best: tuple[Any, Any] | None = None
    best_time: dt.datetime | None = None
    for interest in collected.crls:
        certificate_list = interest.crl.crl_data
        this_update = certificate_list["tbs_cert_list"]["this_update"].native
        if this_update > at + _TOLERANCE or (best_time is not None and this_update <= best_time):
            continue
        # RFC 5280 6.3.3 steps i-k: the delta CRL first, then the base; removeFromCRL means not revoked.
        entry = None
        deltas = _deltas_for(certificate_list, context, at) if certificate_list.freshest_crl_value else []
        for candidate in [*deltas[:1], certificate_list]:
            revoked_at, reason = find_cert_in_list(cert.asn1, cert.asn1.issuer, candidate, candidate.issuer)
            if reason is not None:
                entry = None if reason.native == "remove_from_crl" else (revoked_at, reason)
                break
        best, best_time = (certificate_list, entry), this_update
    return best


def _deltas_for(base: Any, context: Any, at: dt.datetime) -> list[Any]:
    """Delta CRLs of ``base``'s issuer usable at ``at``, freshest first (pyhanko checked them already)."""
    found = []
    for container in context.revinfo_manager.currently_available_crls():
        candidate = container.crl_data
        if candidate.delta_crl_indicator_value is None or candidate.issuer != base.issuer:
            continue
        this_update = candidate["tbs_cert_list"]["this_update"].native
        if this_update <= at + _TOLERANCE:
            found.append((this_update, candidate))
    found.sort(key=lambda pair: pair[0], reverse=True)
    return [candidate for _, candidate in found]


# -- checks pyhanko leaves to the application -------------------------------------------------------


def _application_checks(path: tuple[Certificate, ...], request: _Request) -> list[ValidationFailure]:
    failures: list[ValidationFailure] = []
    leaf = request.leaf
    leaf_index = len(path) - 1
    subject = leaf.subject.rfc4514
    asn1 = leaf.asn1
    if request.key_usage:
        ku = asn1.key_usage_value
        if ku is not None:
            missing = request.key_usage - set(ku.native)
            if missing:
                names = sorted(
                    name
                    for name, value in _KU_ASN1.items()
                    if value in missing and name != "contentCommitment"
                )
                failures.append(
                    ValidationFailure(
                        "key-usage", f"the leaf's keyUsage lacks {', '.join(names)}", leaf_index, subject
                    )
                )
    if request.extended_key_usage:
        eku = asn1.extended_key_usage_value
        if eku is not None:
            present = {purpose.dotted for purpose in eku}
            missing_eku = request.extended_key_usage - present
            if missing_eku:
                failures.append(
                    ValidationFailure(
                        "extended-key-usage",
                        f"the leaf's extendedKeyUsage lacks {', '.join(sorted(missing_eku))}",
                        leaf_index,
                        subject,
                    )
                )
    if request.server_name is not None and not _name_matches(leaf, request.server_name):
        failures.append(
            ValidationFailure(
                "name-mismatch",
                f"{request.server_name!r} matches no subjectAltName of the leaf",
                leaf_index,
                subject,
            )
        )
    if request.max_path_length is not None and path and _is_anchor(path[0], request):
        intermediates = max(len(path) - 2, 0)
        if intermediates > request.max_path_length:
            failures.append(
                ValidationFailure(
                    "path-length-exceeded",
                    f"the path has {intermediates} intermediates; at most {request.max_path_length} allowed",
                    None,
                    None,
                )
            )
    if path and len(path) > 1:
        for anchor in request.anchors:
            if anchor.certificate.der == path[0].der and anchor.distrust_after is not None:
                if leaf.not_before > anchor.distrust_after:
                    label = f" ({anchor.label})" if anchor.label else ""
                    failures.append(
                        ValidationFailure(
                            "distrusted-anchor",
                            f"trust anchor {path[0].subject.rfc4514!r}{label} is distrusted for certificates "
                            f"issued after {_iso(anchor.distrust_after)}; the leaf's notBefore is "
                            f"{_iso(leaf.not_before)}",
                            0,
                            path[0].subject.rfc4514,
                        )
                    )
                break
    return failures


def _name_matches(leaf: Certificate, server_name: str) -> bool:
    """RFC 6125 matching against subjectAltName only: DNS names (left-most wildcard label) or IPs."""
    sans = leaf.asn1.subject_alt_name_value
    if sans is None:
        return False
    dns_names: list[str] = []
    ips: list[str] = []
    for general in sans:
        if general.name == "dns_name":
            dns_names.append(str(general.native))
        elif general.name == "ip_address":
            ips.append(str(general.native))
    target = server_name.strip().rstrip(".")
    try:
        address = ipaddress.ip_address(target.strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        for ip in ips:
            try:
                if ipaddress.ip_address(ip.split("/")[0]) == address:
                    return True
            except ValueError:
                continue
        return False
    try:
        wanted = target.encode("idna").decode("ascii").lower()
    except UnicodeError:
        wanted = target.lower()
    return any(_dns_match(pattern.lower().rstrip("."), wanted) for pattern in dns_names)


def _dns_match(pattern: str, name: str) -> bool:
    if pattern == name:
        return True
    if not pattern.startswith("*."):
        return False
    suffix = pattern[2:]
    if "*" in suffix or suffix.count(".") < 1:
        return False  # no wildcards below the left-most label, nor for a bare TLD
    head, _, rest = name.partition(".")
    return bool(head) and rest == suffix
