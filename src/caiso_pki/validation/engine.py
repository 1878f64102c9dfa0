"""One validation run: build candidate paths, validate them with pyhanko, check revocation and rules.

The steps, for one leaf (:func:`run`):

1. A leaf that is itself a trust anchor is checked on its own: validity, critical extensions, the
   profile's rules and the application checks.
2. :class:`~caiso_pki.validation.building.PathBuilder` proposes candidate paths within the
   :class:`~caiso_pki.validation.options.PathBudget`.
3. pyhanko-certvalidator runs RFC 5280 6.1 on each candidate (revocation off), with the anchor's
   validity, pathLenConstraint and name constraints as trust qualifiers and no time tolerance; the
   first candidate that passes is the path.  When none does, the first candidate's failure is the
   answer.  Failure codes come from the type of pyhanko's exception and the step of the algorithm
   that raised it (:data:`STEP_CODES`), refined by facts about the certificate, never from its
   wording.
4. :mod:`~caiso_pki.validation.revinfo` gathers what every CRL and OCSP answer proves about each
   certificate and the revocation mode judges it.
5. :mod:`~caiso_pki.validation.rules` holds every certificate to the profile; then the application
   checks: key usage and extended key usage (an intermediate's EKU constrains the leaf), the server
   name, the path length cap and the trust entry's ``distrust_after``.

Whatever a dependency raises becomes a failure on the certificate concerned; nothing escapes, and no
pyhanko log record reaches a handler the application did not set up.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import ipaddress
import logging
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs

from caiso_pki.certificate import Certificate
from caiso_pki.oids import ANY_POLICY
from caiso_pki.validation import revinfo, rules
from caiso_pki.validation.building import PathBuilder, SignatureCache
from caiso_pki.validation.options import ASN1_ANY_POLICY, KU_ASN1, AlgorithmPolicy, Anchor, PathBudget
from caiso_pki.validation.results import RevocationStatus, ValidationFailure, ValidationResult
from caiso_pki.validation.results import iso as _iso

if TYPE_CHECKING:
    from pyhanko_certvalidator.authority import CertTrustAnchor
    from pyhanko_certvalidator.path import ValidationPath

__all__ = ["STEP_CODES", "TOLERANCE", "Request", "name_matches", "run"]

logger = logging.getLogger("caiso_pki.validation")
# pyhanko logs tracebacks at WARNING during ordinary validation; an application that set up no logging
# would see them through logging's last-resort handler.  A NullHandler keeps them off stderr, and an
# application that configures logging still receives them.
logging.getLogger("pyhanko_certvalidator").addHandler(logging.NullHandler())

#: Time tolerance: none.  A certificate is valid from notBefore through notAfter, both inclusive.
TOLERANCE: Final = dt.timedelta(0)

_MODES: Final[dict[str, str]] = {"soft-fail": "soft-fail", "hard-fail": "hard-fail", "require": "require"}

#: The step of RFC 5280 6.1 (the pyhanko function that raised) -> the failure code, when the step alone
#: decides it.  ``None``: facts about the certificate decide (see :func:`_code_for`).  This is the one
#: place that knows pyhanko's internals; ``tests/test_engine.py`` breaks each step once.
STEP_CODES: Final[dict[str, str | None]] = {
    "check_certificate_signature": "bad-signature",
    "_check_validity": None,
    "check_name_constraints": "name-constraints",
    "process_policies": "policy",
    "_finish_policy_processing": "policy",
    "_prepare_next_step": None,
    "intl_validate_path": None,
}
_MODULE_CODES: Final[dict[str, str]] = {
    "name_trees": "name-constraints",
    "policy_graph": "policy",
}


@attrs.define
class Request:
    """Everything one validation needs, already converted (built by the Validator)."""

    leaf: Certificate
    pool: list[Certificate]
    anchors: Sequence[Anchor]
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
    profile: str = "rfc5280"
    waive: frozenset[str] = frozenset()
    budget: PathBudget = attrs.field(factory=PathBudget)
    signatures: SignatureCache = attrs.field(factory=SignatureCache)
    defective_crls: Sequence[tuple[object, str]] = ()
    unusable_ocsps: Sequence[str] = ()


@attrs.define
class _Outcome:
    """pyhanko's verdict on one candidate path."""

    path: tuple[Certificate, ...]
    pyhanko_path: ValidationPath
    failure: ValidationFailure | None = None
    policies: frozenset[str] = frozenset()


async def run(request: Request, backend: Any) -> ValidationResult:
    """Validate ``request.leaf``; every problem is a failure in the result, nothing is raised."""
    try:
        return await _run(request, backend)
    except Exception as exc:  # fail closed: a surprise anywhere is "not valid", with the reason
        logger.debug("validation engine error", exc_info=exc)
        failure = ValidationFailure("internal", f"{type(exc).__name__}: {exc}", None, None)
        return ValidationResult(valid=False, path=(request.leaf,), failures=(failure,), at=request.at)


async def _run(request: Request, backend: Any) -> ValidationResult:
    leaf = request.leaf
    anchor = next((a for a in request.anchors if a.certificate.der == leaf.der), None)
    if anchor is not None:
        return _trusted_leaf(request, anchor)
    fetchers = backend.get_fetchers() if backend is not None else None
    dumps = _Dumps()
    fetch_issuers = _issuer_fetcher(fetchers) if fetchers is not None else None
    builder = PathBuilder(
        leaf,
        request.pool,
        request.anchors,
        budget=request.budget,
        at=request.at,
        verify=_verifier(request, dumps),
        fetch_issuers=fetch_issuers,
    )
    context = _context(request, dumps)
    chosen: _Outcome | None = None
    first: _Outcome | None = None
    async with contextlib.aclosing(builder.paths()) as candidates:
        async for candidate in candidates:
            outcome = await _validate(candidate.anchor, candidate.path, request, context)
            if outcome.failure is None:
                chosen = outcome
                break
            if first is None:
                first = outcome
    failures: list[ValidationFailure] = []
    warnings: list[str] = []
    statuses: tuple[RevocationStatus, ...] = ()
    valid_policies: frozenset[str] = frozenset()
    anchored = True
    limit = builder.limit or builder.pruned
    if chosen is not None:
        path = chosen.path
        valid_policies = chosen.policies
        statuses, revocation_failures, revocation_warnings = await _revocation(chosen, request, fetchers)
        failures.extend(revocation_failures)
        warnings.extend(revocation_warnings)
    elif first is not None:
        path = first.path
        assert first.failure is not None
        failures.append(first.failure)
        if limit is not None:
            failures.append(_limit_failure(limit, builder))
    else:
        path = builder.deepest[::-1]
        anchored = False
        failures.append(_limit_failure(limit, builder) if limit is not None else _no_path(path, request))
    failures = _merge(failures, _rules(path, anchored, request))
    failures.extend(_application_checks(path, anchored, request))
    return ValidationResult(
        valid=not failures,
        path=path,
        failures=tuple(failures),
        valid_policies=valid_policies,
        revocation=statuses,
        warnings=tuple(warnings),
        at=request.at,
    )


# -- the pieces ---------------------------------------------------------------------------------------


def _trusted_leaf(request: Request, anchor: Anchor) -> ValidationResult:
    """A leaf trusted directly: still checked for validity, critical extensions and the rules."""
    leaf = request.leaf
    path = (leaf,)
    failures: list[ValidationFailure] = []
    subject = _subject(leaf)
    if request.at < leaf.not_before:
        failures.append(
            ValidationFailure(
                "not-yet-valid", f"{subject} is not valid before {_iso(leaf.not_before)}", 0, subject
            )
        )
    elif request.at > leaf.not_after:
        failures.append(
            ValidationFailure("expired", f"{subject} expired at {_iso(leaf.not_after)}", 0, subject)
        )
    failures.extend(_rules(path, True, request))
    failures.extend(_application_checks(path, True, request))
    statuses = (RevocationStatus(0, subject or "", "not-checked"),) if request.mode != "off" else ()
    return ValidationResult(
        valid=not failures, path=path, failures=tuple(failures), revocation=statuses, at=request.at
    )


def _trust_anchor(anchor: Anchor, request: Request) -> CertTrustAnchor:
    return _anchor_for(anchor.certificate)


@functools.lru_cache(maxsize=256)
def _anchor_for(certificate: Certificate) -> CertTrustAnchor:
    """pyhanko's trust anchor with the certificate's own constraints as qualifiers (RFC 5937).

    A pure function of the certificate (compared by DER), so it is built once per anchor.
    """
    from pyhanko_certvalidator.authority import CertTrustAnchor, TrustQualifiers
    from pyhanko_certvalidator.name_trees import default_permitted_subtrees, process_general_subtrees
    from pyhanko_certvalidator.policy_decl import PKIXValidationParams

    cert = certificate.asn1
    ascii_dns_names(cert)
    params = None
    constraints = cert.name_constraints_value
    if constraints is not None:
        permitted = constraints["permitted_subtrees"]
        excluded = constraints["excluded_subtrees"]
        # As in RFC 5280 6.1.4 (g): a name form the anchor does not constrain stays unconstrained.
        params = PKIXValidationParams(
            user_initial_policy_set=frozenset({ASN1_ANY_POLICY}),
            initial_permitted_subtrees=(
                {**default_permitted_subtrees(), **process_general_subtrees(permitted)}
                if permitted.native
                else None
            ),
            initial_excluded_subtrees=process_general_subtrees(excluded) if excluded.native else None,
        )
    quals = TrustQualifiers(
        standard_parameters=params,
        max_path_length=cert.max_path_length,
        valid_from=cert.not_valid_before,
        valid_until=cert.not_valid_after,
    )
    return CertTrustAnchor(cert, quals=quals)


@functools.lru_cache(maxsize=64)
def _trust_manager(anchors: tuple[Certificate, ...]) -> Any:
    """pyhanko's trust manager over ``anchors`` (read-only once built, so shared)."""
    from pyhanko_certvalidator.registry import SimpleTrustManager

    return SimpleTrustManager.build(trust_roots=[_anchor_for(cert) for cert in anchors])


def _context(request: Request, dumps: _Dumps) -> Any:
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(
        trust_manager=_trust_manager(tuple(a.certificate for a in request.anchors)),
        moment=request.at,
        revocation_mode="none",
        time_tolerance=TOLERANCE,
        algorithm_usage_policy=request.algorithms._to_pyhanko(),
        signature_validator=_signature_validator(request.signatures, dumps),
    )


async def _validate(
    anchor: Anchor, path: tuple[Certificate, ...], request: Request, context: Any
) -> _Outcome:
    """RFC 5280 6.1 on one candidate path (pyhanko), as an outcome with a code and an index."""
    from pyhanko_certvalidator._state import ValProcState
    from pyhanko_certvalidator.path import ValidationPath
    from pyhanko_certvalidator.util import ConsList
    from pyhanko_certvalidator.validate import intl_validate_path

    for cert in path:
        ascii_dns_names(cert.asn1)
    pyhanko_path = ValidationPath(
        _trust_anchor(anchor, request), [cert.asn1 for cert in path[1:-1]], path[-1].asn1
    )
    state = ValProcState(cert_path_stack=ConsList.sing(pyhanko_path))
    try:
        await intl_validate_path(context, pyhanko_path, proc_state=state, parameters=request.params)
    except Exception as exc:  # pyhanko's verdict, or a dependency's surprise: both are failures
        index = min(max(state.index, 0), len(path) - 1)
        code = _code_for(exc, path, index)
        subject = _subject(path[index])
        message = str(exc) or type(exc).__name__
        if code == "path-length-exceeded":
            index = _path_length_index(path) or index
            subject = _subject(path[index])
        return _Outcome(path, pyhanko_path, ValidationFailure(code, message, index, subject))
    return _Outcome(path, pyhanko_path, None, _policies(pyhanko_path))


def ascii_dns_names(cert: Any) -> None:
    """Make asn1crypto read this certificate's DNS names as their ASCII bytes, not through IDNA 2003.

    RFC 5280 7.2 compares DNS names as A-labels.  asn1crypto decodes every dNSName with Python's
    IDNA 2003 codec, which raises on IDNA 2008 A-labels that openssl accepts (``xn--fa-hia.de``) and
    on stray non-ASCII bytes, and pyhanko reads them in name-constraint processing even when no
    constraint applies.  Each dNSName of the subjectAltName and of the name constraints gets its
    decoded text set once to the ASCII it holds (bytes outside ASCII shown as ``\\xNN``, which
    ``invalid-dns-name`` reports anyway).  Only these objects change, never asn1crypto itself.
    """
    if getattr(cert, "_caiso_ascii_dns", False):
        return
    names: list[Any] = []
    try:
        sans = cert.subject_alt_name_value
        if sans is not None:
            names.extend(sans)
    except Exception:  # malformed-extension reports it
        sans = None
    try:
        constraints = cert.name_constraints_value
        if constraints is not None:
            for field in ("permitted_subtrees", "excluded_subtrees"):
                subtrees = constraints[field]
                if subtrees.native is not None:
                    names.extend(subtree["base"] for subtree in subtrees)
    except Exception as exc:  # malformed-name-constraints or malformed-extension reports it
        logger.debug("name constraints not read for DNS text: %s", exc)
    for general in names:
        with contextlib.suppress(Exception):  # an undecodable name: the rules report it
            if general.name == "dns_name":
                value = general.chosen
                value._unicode = bytes(value.contents or b"").decode("ascii", "backslashreplace")
    with contextlib.suppress(AttributeError):  # an object without a __dict__: redo next time (cheap)
        cert._caiso_ascii_dns = True


def _code_for(exc: BaseException, path: tuple[Certificate, ...], index: int) -> str:
    """The failure code of a pyhanko exception: its type, the step that raised it, then facts."""
    from cryptography.exceptions import InvalidSignature
    from pyhanko_certvalidator import errors as pv

    if isinstance(exc, pv.ExpiredError):
        return "expired"
    if isinstance(exc, pv.NotYetValidError):
        return "not-yet-valid"
    if isinstance(exc, pv.DisallowedAlgorithmError):
        return "weak-algorithm"
    step, module = _step(exc)
    if module in _MODULE_CODES:
        return _MODULE_CODES[module]
    if step == "check_certificate_signature":
        cause = exc.__context__
        if isinstance(cause, (pv.AlgorithmNotSupported, pv.DSAParametersUnavailable)):
            return "unsupported-algorithm"
        if isinstance(exc, pv.PathValidationError) or isinstance(cause, InvalidSignature):
            return "bad-signature"
        if not _algorithm_known(path[index].asn1):
            return "unsupported-algorithm"  # older pyhanko releases let asn1crypto's ValueError through
    if isinstance(exc, pv.PathValidationError):
        known = STEP_CODES.get(step or "")
        if known is not None:
            return known
        cert = path[index].asn1
        if step == "_prepare_next_step":
            if not cert.ca:
                return "not-a-ca"
            if _path_length_index(path) == index:
                return "path-length-exceeded"
            return "key-usage"
        if step == "intl_validate_path":
            if isinstance(exc.__cause__, Exception) and "PolicyGraph" in type(exc.__cause__).__name__:
                return "policy"
            if index > 0 and cert.issuer != path[index - 1].asn1.subject:
                return "name-chaining"
            return "critical-extension"
    if _from_asn1crypto(exc):
        return "malformed"
    return "internal"


def _algorithm_known(cert: Any) -> bool:
    """Whether asn1crypto knows the certificate's signature algorithm (a fact, not a message)."""
    try:
        cert["signature_algorithm"].signature_algo  # noqa: B018
        cert["signature_algorithm"].hash_algo  # noqa: B018
    except (ValueError, KeyError):
        return False
    return True


def _step(exc: BaseException) -> tuple[str | None, str | None]:
    """(the pyhanko function called by intl_validate_path that raised, the innermost pyhanko module)."""
    frames = traceback.extract_tb(exc.__traceback__)
    step: str | None = None
    module: str | None = None
    for position, frame in enumerate(frames):
        if "pyhanko_certvalidator" not in frame.filename:
            continue
        module = frame.filename.rsplit("/", 1)[-1].removesuffix(".py")
        if frame.name == "intl_validate_path":
            following = frames[position + 1] if position + 1 < len(frames) else None
            in_pyhanko = following is not None and "pyhanko_certvalidator" in following.filename
            step = following.name if in_pyhanko and following is not None else "intl_validate_path"
    return step, module


def _from_asn1crypto(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if "asn1crypto" in tb.tb_frame.f_code.co_filename:
            return True
        tb = tb.tb_next
    return False


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


def _policies(pyhanko_path: Any) -> frozenset[str]:
    qualified = pyhanko_path.qualified_policies()
    if not qualified:
        return frozenset()
    return frozenset(
        ANY_POLICY if item.user_domain_policy_id == ASN1_ANY_POLICY else str(item.user_domain_policy_id)
        for item in qualified
    )


def _no_path(path: tuple[Certificate, ...], request: Request) -> ValidationFailure:
    top = path[0]
    subject = _subject(top)
    try:
        self_signed = top.asn1.self_signed in ("yes", "maybe")
    except Exception:  # an unreadable top certificate cannot be a root
        self_signed = False
    if self_signed:
        return ValidationFailure(
            "untrusted-root", f"the chain ends in {subject!r}, which is not a trust anchor", 0, subject
        )
    try:
        issuer = top.issuer.rfc4514
    except Exception:  # the issuer name cannot be shown
        issuer = "its issuer"
    return ValidationFailure(
        "no-path",
        f"no issuer certificate for {subject!r} (issued by {issuer!r}) leads to a trust anchor",
        0,
        subject,
    )


def _limit_failure(limit: str, builder: PathBuilder) -> ValidationFailure:
    return ValidationFailure(
        "path-building-limit",
        f"path building stopped: {limit} ({builder.signature_checks} signature checks, "
        f"{builder.candidates_seen} candidates)",
        None,
        None,
    )


async def _revocation(
    chosen: _Outcome, request: Request, fetchers: Any
) -> tuple[tuple[RevocationStatus, ...], list[ValidationFailure], list[str]]:
    path = chosen.path
    if request.mode == "off":
        return (
            tuple(RevocationStatus(i, _subject(c) or "", "not-checked") for i, c in enumerate(path)),
            [],
            [],
        )
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.path import ValidationPath

    context = ValidationContext(
        trust_manager=_trust_manager(tuple(a.certificate for a in request.anchors)),
        other_certs=[cert.asn1 for cert in (*request.pool, *path)],
        moment=request.at,
        crls=request.crls,
        ocsps=request.ocsps,
        revocation_mode=_MODES[request.mode],
        allow_fetching=fetchers is not None,
        fetchers=fetchers,
        time_tolerance=TOLERANCE,
        algorithm_usage_policy=request.algorithms._to_pyhanko(),
        signature_validator=_signature_validator(request.signatures),
    )
    # The path itself is validated already: CRLs signed by a CA of the path need no second validation.
    anchor = chosen.pyhanko_path.trust_anchor
    for position in range(1, len(path) - 1):
        prefix = ValidationPath(anchor, [c.asn1 for c in path[1:position]], path[position].asn1)
        context.record_validation(path[position].asn1, prefix)  # type: ignore[no-untyped-call]
    facts = await revinfo.check_path(
        path,
        chosen.pyhanko_path,
        context,
        at=request.at,
        offline_crls=frozenset(crl.dump() for crl in request.crls),
        offline_ocsps=frozenset(response.dump() for response in request.ocsps),
        defective_crls=request.defective_crls,
        unusable_ocsps=request.unusable_ocsps,
        fetch=fetchers is not None,
        deadline=request.timeout if fetchers is not None else None,
    )
    return revinfo.judge(facts, request.mode, _subject(path[0]) or "")


def _rules(path: tuple[Certificate, ...], anchored: bool, request: Request) -> list[ValidationFailure]:
    return rules.check_path(
        path,
        anchored=anchored,
        profile="webpki" if request.profile == "webpki" else "rfc5280",
        algorithms=request.algorithms,
        waive=request.waive,
    )


def _merge(failures: list[ValidationFailure], found: list[ValidationFailure]) -> list[ValidationFailure]:
    """pyhanko's failures and the rules', without a vague pyhanko code where a rule is precise.

    When a rule names what is wrong with a certificate, a ``malformed`` or ``internal`` failure that
    pyhanko raised on the same certificate (it tripped over the same defect) is dropped.
    """
    precise = {failure.index for failure in found}
    kept = [f for f in failures if not (f.code in ("malformed", "internal") and f.index in precise)]
    return [*kept, *found]


# -- signatures --------------------------------------------------------------------------------------


_VALIDATOR_CLASS: list[type] = []


class _Dumps:
    """DER of asn1crypto objects by identity, for one validation (they stay alive meanwhile).

    Building and pyhanko's check ask about the same signatures; asn1crypto's ``dump()`` walks the
    object for changes each time, so the bytes are kept once per object.  The object itself is kept
    too, so an ``id`` is never reused while its entry exists.
    """

    __slots__ = ("_memo",)

    def __init__(self) -> None:
        self._memo: dict[int, tuple[object, bytes]] = {}

    def __call__(self, value: Any) -> bytes:
        found = self._memo.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        der = bytes(value.dump())
        self._memo[id(value)] = (value, der)
        return der


def _signature_validator(cache: SignatureCache, dumps: _Dumps | None = None) -> Any:
    """pyhanko's signature validator with a memory, and a key that does not fit is a bad signature.

    pyhanko-certvalidator 0.33 trips an ``assert`` when, say, an ECDSA signature meets an RSA issuer key
    (a certificate signed by the wrong CA); that must read ``bad-signature`` on the right certificate.
    The class is made once (pyhanko is imported lazily); each validator holds its Validator's cache.
    """
    if not _VALIDATOR_CLASS:
        _VALIDATOR_CLASS.append(_make_validator_class())
    return _VALIDATOR_CLASS[0](cache, dumps or _Dumps())


def _make_validator_class() -> type:
    from cryptography.exceptions import InvalidSignature
    from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator

    class _Validator(DefaultSignatureValidator):
        def __init__(self, cache: SignatureCache, dumps: _Dumps) -> None:
            self._cache = cache
            self._dumps = dumps

        def validate_signature(
            self,
            signature: bytes,
            signed_data: bytes,
            public_key_info: Any,
            signature_algorithm: Any,
            *args: Any,
            **kwargs: Any,
        ) -> None:
            cache = self._cache
            key = None
            if not args and not kwargs:  # a non-default context may change the verdict: no memory
                dumps = self._dumps
                key = SignatureCache.key(
                    signature, signed_data, dumps(public_key_info), dumps(signature_algorithm)
                )
                known = cache.get(key)
                if known is True:
                    return
                if known is False:
                    raise InvalidSignature("signature does not verify (remembered)")
            try:
                super().validate_signature(
                    signature, signed_data, public_key_info, signature_algorithm, *args, **kwargs
                )
            except InvalidSignature as exc:
                if key is not None and type(exc) is InvalidSignature:
                    cache.put(key, False)
                raise
            except (AssertionError, TypeError, ValueError) as exc:
                raise InvalidSignature(f"signature algorithm does not fit the key: {exc}") from exc
            if key is not None:
                cache.put(key, True)

    return _Validator


# asn1crypto's signature_algo names cryptography verifies the way pyhanko does (PSS and DSA go to pyhanko)
_FAST: Final = frozenset({"rsassa_pkcs1v15", "ecdsa", "ed25519", "ed448"})


def _verifier(request: Request, dumps: _Dumps) -> Any:
    """verify(issuer, subject) for path building: True, False, or None when it cannot tell here.

    Common algorithms are verified with cryptography directly (the key is already parsed there); the
    verdict goes into the shared signature cache under the key pyhanko's check uses, so the
    signature is verified once.  Anything else goes through pyhanko's own signature validator.
    """
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from pyhanko_certvalidator import errors as pv

    cache = request.signatures
    validator = _signature_validator(cache, dumps)

    def verify(issuer: Certificate, subject: Certificate) -> bool | None:
        asn1 = subject.asn1
        signature = asn1["signature_value"].native
        tbs = asn1["tbs_certificate"].dump()
        public_key = issuer.asn1.public_key
        algorithm = asn1["signature_algorithm"]
        key = SignatureCache.key(signature, tbs, dumps(public_key), dumps(algorithm))
        known = cache.get(key)
        if known is not None:
            return known
        fast_subject, fast_issuer = subject._x509, issuer._x509
        if fast_subject is not None and fast_issuer is not None and algorithm.signature_algo in _FAST:
            try:
                fast_subject.verify_directly_issued_by(fast_issuer)
            except InvalidSignature:
                cache.put(key, False)
                return False
            except (ValueError, TypeError, UnsupportedAlgorithm):
                pass  # names, parameters or algorithms cryptography will not judge: pyhanko decides
            else:
                cache.put(key, True)
                return True
        try:
            validator.validate_signature(signature, tbs, public_key, algorithm)
        except (pv.AlgorithmNotSupported, pv.DSAParametersUnavailable):
            return None
        except InvalidSignature:
            return False
        return True

    return verify


def _issuer_fetcher(fetchers: Any) -> Any:
    async def fetch(cert: Any) -> list[Certificate]:
        found = []
        async for issuer in fetchers.cert_fetcher.fetch_cert_issuers(cert):
            found.append(Certificate.from_der(issuer.dump(), source_name="<fetched caIssuers>"))
        return found

    return fetch


# -- checks pyhanko leaves to the application -------------------------------------------------------

_ANY_EKU: Final = "2.5.29.37.0"


def _application_checks(
    path: tuple[Certificate, ...], anchored: bool, request: Request
) -> list[ValidationFailure]:
    failures: list[ValidationFailure] = []
    leaf = request.leaf
    leaf_index = len(path) - 1
    subject = _subject(leaf)
    try:
        asn1 = leaf.asn1
        ku = asn1.key_usage_value
        eku = asn1.extended_key_usage_value
    except Exception:  # a keyUsage/EKU that does not decode: malformed-extension says which
        return failures
    if request.key_usage and ku is not None:
        missing = request.key_usage - set(ku.native)
        if missing:
            names = sorted(n for n, v in KU_ASN1.items() if v in missing and n != "contentCommitment")
            failures.append(
                ValidationFailure(
                    "key-usage", f"the leaf's keyUsage lacks {', '.join(names)}", leaf_index, subject
                )
            )
    if request.extended_key_usage:
        failures.extend(_eku_failures(path, anchored, request, eku))
    if request.server_name is not None and not name_matches(leaf, request.server_name):
        failures.append(
            ValidationFailure(
                "name-mismatch",
                f"{request.server_name!r} matches no subjectAltName of the leaf",
                leaf_index,
                subject,
            )
        )
    if request.max_path_length is not None and anchored:
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
    if anchored and len(path) > 1:
        for anchor in request.anchors:
            if anchor.certificate.der == path[0].der and anchor.distrust_after is not None:
                if leaf.not_before > anchor.distrust_after:
                    label = f" ({anchor.label})" if anchor.label else ""
                    failures.append(
                        ValidationFailure(
                            "distrusted-anchor",
                            f"trust anchor {_subject(path[0])!r}{label} is distrusted for certificates "
                            f"issued after {_iso(anchor.distrust_after)}; the leaf's notBefore is "
                            f"{_iso(leaf.not_before)}",
                            0,
                            _subject(path[0]),
                        )
                    )
                break
    return failures


def _eku_failures(
    path: tuple[Certificate, ...], anchored: bool, request: Request, leaf_eku: Any
) -> list[ValidationFailure]:
    """The requested purposes: the leaf must allow them, and so must every issuer that has an EKU.

    RFC 5280 does not say an issuer's EKU constrains what it issues; Go, BoringSSL and Chrome treat
    it so, and so do we.  anyExtendedKeyUsage allows every purpose, except in the webpki profile.
    """
    failures: list[ValidationFailure] = []
    wanted = request.extended_key_usage
    webpki = request.profile == "webpki"
    for index, cert in enumerate(path):
        is_leaf = index == len(path) - 1
        eku = leaf_eku if is_leaf else _eku_of(cert)
        if eku is None:
            continue
        present = {purpose.dotted for purpose in eku}
        if _ANY_EKU in present and not (webpki and is_leaf):
            continue
        missing = wanted - present
        if missing:
            what = "the leaf's" if is_leaf else f"issuer {_subject(cert)!r}'s"
            failures.append(
                ValidationFailure(
                    "extended-key-usage",
                    f"{what} extendedKeyUsage lacks {', '.join(sorted(missing))}",
                    index,
                    _subject(cert),
                )
            )
    return failures


def _eku_of(cert: Certificate) -> Any:
    try:
        return cert.asn1.extended_key_usage_value
    except Exception:  # malformed-extension reports it; an unreadable EKU constrains nothing here
        return None


def name_matches(leaf: Certificate, server_name: str) -> bool:
    """RFC 6125 matching against subjectAltName only: DNS names (left-most wildcard label) or IPs.

    ``server_name`` may be a U-label or A-label name (compared as IDNA2008 A-labels, ASCII
    case-insensitively) or an IP literal.  SAN values are compared as the bytes in the certificate,
    never decoded through an IDNA codec.  Anything that cannot be read does not match.
    """
    try:
        sans = leaf.asn1.subject_alt_name_value
    except Exception:  # malformed-extension reports it
        return False
    if sans is None:
        return False
    target = server_name.strip().rstrip(".")
    try:
        address = ipaddress.ip_address(target.strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        return any(
            general.name == "ip_address"
            and len(raw := _contents(general)) in (4, 16)
            and ipaddress.ip_address(raw) == address
            for general in sans
        )
    wanted = a_label(target)
    if wanted is None:
        return False
    for general in sans:
        if general.name != "dns_name":
            continue
        try:
            pattern = general.chosen.contents.decode("ascii").lower().rstrip(".")
        except (UnicodeDecodeError, ValueError):
            continue
        if _dns_match(pattern, wanted):
            return True
    return False


def _contents(general: Any) -> bytes:
    try:
        return bytes(general.chosen.contents)
    except Exception:  # an undecodable name matches nothing
        return b""


def a_label(name: str) -> str | None:
    """``name`` as lower-case IDNA2008 A-labels (UTS #46 mapping), or ``None`` when it is not a name."""
    import idna

    if not name or len(name) > 253:
        return None
    if name.isascii():
        lowered = name.lower()
        labels = lowered.split(".")
        if (
            all(labels)
            and all(len(label) <= 63 for label in labels)
            and not any(label.startswith("xn--") for label in labels)
        ):
            return lowered
    try:
        return idna.encode(name, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


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


def _subject(cert: Certificate) -> str:
    try:
        return cert.subject.rfc4514
    except Exception:  # a name that cannot be rendered must not hide the failure
        return f"<certificate {cert.fingerprint_sha256[:16]}>"
