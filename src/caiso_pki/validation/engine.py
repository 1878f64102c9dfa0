"""One validation run on pyhanko-certvalidator: build and validate a path, then the application checks.

:mod:`caiso_pki.validation.validator` turns options into a :class:`Request` once; :func:`run` does the
work for one leaf and always returns a :class:`~caiso_pki.validation.results.ValidationResult`: every
dependency exception becomes a failure code, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterable, Sequence
from typing import Any, Final, Literal

import attrs

from caiso_pki._io import ASN1_ERRORS
from caiso_pki.certificate import Certificate
from caiso_pki.errors import CaisoPkiError, RevocationError
from caiso_pki.oids import ANY_POLICY
from caiso_pki.validation.options import ASN1_ANY_POLICY as _ASN1_ANY_POLICY
from caiso_pki.validation.options import KU_ASN1 as _KU_ASN1
from caiso_pki.validation.options import AlgorithmPolicy, Anchor
from caiso_pki.validation.results import RevocationStatus, ValidationFailure, ValidationResult
from caiso_pki.validation.results import iso as _iso

__all__ = ["Request", "run"]

_MODES: Final[dict[str, str]] = {
    "off": "none",
    "soft-fail": "soft-fail",
    "hard-fail": "hard-fail",
    "require": "require",
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
TOLERANCE: Final = dt.timedelta(seconds=1)  # pyhanko's default time tolerance
_TOLERANCE: Final = TOLERANCE
_POSITION: Final = re.compile(r"intermediate certificate (\d+)")


@attrs.define
class Request:
    """Everything one validation needs, already converted."""

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
    signature_validator: Any = None


_Request = Request


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


async def run(request: Request, backend: Any) -> ValidationResult:
    """Validate ``request.leaf``; every problem is a failure in the result, nothing is raised."""
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
            signature_validator=request.signature_validator or _signature_validator(),
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
    if request.server_name is not None and not name_matches(leaf, request.server_name):
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


def name_matches(leaf: Certificate, server_name: str) -> bool:
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
