"""One validation: candidate paths, RFC 5280 6.1 on each, revocation, the rules, the application's checks.

The steps, for one leaf (:func:`run`, or :func:`run_async` when there is I/O to do):

1. A leaf that is itself a trust anchor is checked on its own: validity, the profile's rules and the
   application checks.
2. :class:`~caiso_pki.validation.building.PathBuilder` proposes candidate paths within the
   :class:`~caiso_pki.validation.options.PathBudget`; with fetching on, the issuers named in the
   caIssuers URLs of dead ends are fetched and the search runs again.
3. :func:`~caiso_pki.validation.pkix.process` runs RFC 5280 6.1 on each candidate; the first one that
   passes is the path.  When none does, the first candidate's failure is the answer.
4. :mod:`~caiso_pki.validation.revocation` gathers what every CRL and OCSP answer proves about each
   certificate (through :mod:`~caiso_pki.validation.pyhanko_adapter` when there is data to judge) and
   the revocation mode judges it.
5. :mod:`~caiso_pki.validation.rules` holds every certificate to the profile; then the application
   checks: key usage and extended key usage (an intermediate's EKU constrains the leaf), the server
   name, the path length cap and the trust entry's ``distrust_after``.

Whatever a dependency raises becomes a failure on the certificate concerned; nothing escapes.
:func:`run` does no I/O and never imports asyncio or pyhanko-certvalidator; :func:`needs_io` says
when :func:`run_async` must be used instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from caiso_pki._time import iso as _iso
from caiso_pki.certificate import Certificate
from caiso_pki.policy import PolicyRequirement
from caiso_pki.validation import pkix, revocation, rules, signatures
from caiso_pki.validation.building import Candidate, PathBuilder
from caiso_pki.validation.names import name_matches
from caiso_pki.validation.options import KU_ASN1, AlgorithmPolicy, Anchor, PathBudget
from caiso_pki.validation.results import RevocationStatus, ValidationFailure, ValidationResult
from caiso_pki.validation.signatures import SignatureCache

if TYPE_CHECKING:
    from caiso_pki.validation.evidence import CrlFacts, OcspFacts

__all__ = ["Request", "needs_io", "run", "run_async"]


def _debug(message: str, *args: object, exc_info: BaseException | None = None) -> None:
    """A debug line on the ``caiso_pki.validation`` logger (logging is imported on the first one)."""
    import logging

    logging.getLogger("caiso_pki.validation").debug(message, *args, exc_info=exc_info)


class Request(NamedTuple):
    """Everything one validation needs, already converted (built by the Validator).

    A plain named tuple, not an attrs class: it is internal, and each attrs class costs start-up time.
    """

    leaf: Certificate
    pool: list[Certificate]
    anchors: Sequence[Anchor]
    at: dt.datetime
    key_usage: frozenset[str]
    extended_key_usage: frozenset[str]
    server_name: str | None
    policy: PolicyRequirement | None
    max_path_length: int | None
    mode: str
    crls: list[Any]
    ocsps: list[Any]
    fetch: bool
    timeout: float
    algorithms: AlgorithmPolicy
    profile: str
    waive: frozenset[str]
    budget: PathBudget
    signatures: SignatureCache
    defective_crls: Sequence[tuple[object, str]] = ()
    unusable_ocsps: Sequence[str] = ()
    # what the options themselves make surprising (said in every result's warnings)
    notes: tuple[str, ...] = ()
    # every CRL and OCSP response given, as caiso_pki.validation.evidence reads them (for listings)
    evidence: tuple[Sequence[CrlFacts], Sequence[OcspFacts]] = ((), ())


def needs_io(request: Request) -> bool:
    """Whether the validation fetches, or judges CRLs or OCSP responses (then use :func:`run_async`)."""
    return request.fetch or (request.mode != "off" and bool(request.crls or request.ocsps))


def run(request: Request) -> ValidationResult:
    """Validate ``request.leaf`` without I/O (``needs_io(request)`` must be false); never raises."""
    try:
        leaf_anchor = _anchor_of(request)
        if leaf_anchor is not None:
            return _trusted_leaf(request, leaf_anchor)
        builder = _builder(request, fetching=False)
        chosen, first = _select(request, builder.candidates())
        statuses = _no_revocation_data(request, chosen.path) if chosen is not None else None
        return _result(request, builder, chosen, first, statuses)
    except Exception as exc:  # fail closed: a surprise anywhere is "not valid", with the reason
        return _internal(request, exc)


async def run_async(request: Request, fetchers: Any) -> ValidationResult:
    """Validate ``request.leaf``, fetching with ``fetchers`` (pyhanko ``Fetchers``) when given."""
    try:
        leaf_anchor = _anchor_of(request)
        if leaf_anchor is not None:
            return _trusted_leaf(request, leaf_anchor)
        builder = _builder(request, fetching=fetchers is not None)
        chosen: _Selected | None = None
        first: _Selected | None = None
        while True:
            chosen, found = _select(request, builder.candidates())
            first = first or found
            if chosen is not None or first is not None or builder.limit is not None or fetchers is None:
                break
            dead_ends = builder.dead_ends()
            if not dead_ends or not builder.add(await _fetch_issuers(fetchers, dead_ends)):
                break
        statuses = await _revocation(request, chosen.path, fetchers) if chosen is not None else None
        return _result(request, builder, chosen, first, statuses)
    except Exception as exc:  # fail closed
        return _internal(request, exc)


# -- the pieces ---------------------------------------------------------------------------------------


class _Selected(NamedTuple):
    """A candidate path and what RFC 5280 6.1 said of it."""

    path: tuple[Certificate, ...]
    outcome: pkix.Outcome


_Revocation = tuple[tuple[RevocationStatus, ...], list[ValidationFailure], list[str]]


def _anchor_of(request: Request) -> Anchor | None:
    return next((a for a in request.anchors if a.certificate.der == request.leaf.der), None)


def _builder(request: Request, *, fetching: bool) -> PathBuilder:
    cache = request.signatures

    def verify(issuer: Certificate, subject: Certificate) -> bool | None:
        verdict = signatures.verify(issuer.asn1.public_key, subject, cache, issuer=issuer)
        return None if verdict == "unsupported" else verdict == "ok"

    return PathBuilder(
        request.leaf,
        request.pool,
        request.anchors,
        budget=request.budget,
        at=request.at,
        verify=verify,
        fetching=fetching,
    )


def _select(request: Request, candidates: Iterable[Candidate]) -> tuple[_Selected | None, _Selected | None]:
    """(the first candidate that passes RFC 5280 6.1, the first that does not)."""
    first: _Selected | None = None
    for candidate in candidates:
        path = candidate.path
        outcome = pkix.process(
            path,
            at=request.at,
            policy=request.policy,
            algorithms=request.algorithms,
            cache=request.signatures,
            webpki=request.profile == "webpki",
        )
        selected = _Selected(path, outcome)
        if outcome.failure is None:
            return selected, first
        if first is None:
            first = selected
    return None, first


async def _fetch_issuers(fetchers: Any, certs: Sequence[Certificate]) -> list[Certificate]:
    """The issuers named in the caIssuers URLs of ``certs`` (an unreachable URL gives none)."""
    found: list[Certificate] = []
    for cert in certs:
        try:
            async for issuer in fetchers.cert_fetcher.fetch_cert_issuers(cert.asn1):
                found.append(Certificate.from_der(issuer.dump(), source_name="<fetched caIssuers>"))
        except Exception as exc:  # an unreachable caIssuers URL means no issuer from there
            _debug("caIssuers fetch failed for %s: %s", cert.fingerprint_sha256, exc)
    return found


def _no_revocation_data(request: Request, path: tuple[Certificate, ...]) -> _Revocation:
    if request.mode == "off":
        return _not_checked(path)
    facts = revocation.offline_facts(
        path, defective_crls=request.defective_crls, unusable_ocsps=request.unusable_ocsps
    )
    crls, ocsps = request.evidence
    revocation.apply_listings(facts, path, crls=crls, ocsps=ocsps, at=request.at)
    return revocation.judge(facts, request.mode, _subject(path[0]), at=request.at)


async def _revocation(request: Request, path: tuple[Certificate, ...], fetchers: Any) -> _Revocation:
    if request.mode == "off":
        return _not_checked(path)
    if not (request.crls or request.ocsps or fetchers is not None):
        return _no_revocation_data(request, path)
    from caiso_pki.validation.pyhanko_adapter import RevocationContext

    context = RevocationContext(
        path,
        anchors=tuple(a.certificate for a in request.anchors),
        pool=request.pool,
        at=request.at,
        crls=request.crls,
        ocsps=request.ocsps,
        mode=request.mode,
        fetchers=fetchers,
        algorithms=request.algorithms,
        cache=request.signatures,
    )
    facts = await revocation.check_path(
        context,
        at=request.at,
        offline_crls=frozenset(crl.dump() for crl in request.crls),
        offline_ocsps=frozenset(response.dump() for response in request.ocsps),
        defective_crls=request.defective_crls,
        unusable_ocsps=request.unusable_ocsps,
        fetch=fetchers is not None,
        deadline=request.timeout if fetchers is not None else None,
    )
    crls, ocsps = request.evidence
    if fetchers is not None:
        from caiso_pki.validation import evidence
        from caiso_pki.validation.fetchers import downloaded

        fetched = downloaded(fetchers)
        crls = [*crls, *evidence.read_crls(fetched)]
        ocsps = [*ocsps, *evidence.read_ocsps(fetched)]
    revocation.apply_listings(facts, path, crls=crls, ocsps=ocsps, at=request.at)
    return revocation.judge(facts, request.mode, _subject(path[0]), at=request.at)


def _not_checked(path: tuple[Certificate, ...]) -> _Revocation:
    return tuple(RevocationStatus(i, _subject(c), "not-checked") for i, c in enumerate(path)), [], []


def _result(
    request: Request,
    builder: PathBuilder,
    chosen: _Selected | None,
    first: _Selected | None,
    revocation_found: _Revocation | None,
) -> ValidationResult:
    failures: list[ValidationFailure] = []
    warnings: list[str] = []
    statuses: tuple[RevocationStatus, ...] = ()
    valid_policies: frozenset[str] = frozenset()
    anchored = True
    limit = builder.limit or builder.pruned
    if chosen is not None:
        path = chosen.path
        valid_policies = chosen.outcome.policies
        if revocation_found is not None:
            statuses, revocation_failures, revocation_warnings = revocation_found
            failures.extend(revocation_failures)
            warnings.extend(revocation_warnings)
    elif first is not None:
        path = first.path
        assert first.outcome.failure is not None
        failures.append(first.outcome.failure)
        if first.outcome.failure.code == "name-constraints-budget":
            # the evaluation ends here: the rest would read the very names the budget refused to read
            return ValidationResult(
                valid=False, path=path, failures=tuple(failures), warnings=request.notes, at=request.at
            )
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
        warnings=(*request.notes, *warnings),
        at=request.at,
        anchored=anchored,
    )


def _internal(request: Request, exc: Exception) -> ValidationResult:
    _debug("validation engine error", exc_info=exc)
    failure = ValidationFailure("internal", f"{type(exc).__name__}: {exc}", None, None)
    return ValidationResult(
        valid=False, path=(request.leaf,), failures=(failure,), at=request.at, anchored=False
    )


def _trusted_leaf(request: Request, anchor: Anchor) -> ValidationResult:
    """A leaf trusted directly: still checked for validity, critical extensions and the rules."""
    leaf = request.leaf
    path = (leaf,)
    failures: list[ValidationFailure] = []
    subject = _subject(leaf)
    validity = leaf.validity_at(request.at)
    if validity == "not-yet-valid":
        failures.append(
            ValidationFailure(
                "not-yet-valid", f"{subject} is not valid before {_iso(leaf.not_before)}", 0, subject
            )
        )
    elif validity == "expired":
        failures.append(
            ValidationFailure("expired", f"{subject} expired at {_iso(leaf.not_after)}", 0, subject)
        )
    failures.extend(_rules(path, True, request))
    failures.extend(_application_checks(path, True, request))
    statuses = (RevocationStatus(0, subject or "", "not-checked"),) if request.mode != "off" else ()
    return ValidationResult(
        valid=not failures,
        path=path,
        failures=tuple(failures),
        revocation=statuses,
        warnings=request.notes,
        at=request.at,
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


def _rules(path: tuple[Certificate, ...], anchored: bool, request: Request) -> list[ValidationFailure]:
    return rules.check_path(
        path,
        anchored=anchored,
        profile="webpki" if request.profile == "webpki" else "rfc5280",
        algorithms=request.algorithms,
        waive=request.waive,
    )


def _merge(failures: list[ValidationFailure], found: list[ValidationFailure]) -> list[ValidationFailure]:
    """Path processing's failures and the rules', without a vague code where a rule is precise.

    When a rule names what is wrong with a certificate, a ``malformed`` or ``internal`` failure that
    path processing reported on the same certificate (it tripped over the same defect) is dropped.
    """
    precise = {failure.index for failure in found}
    kept = [f for f in failures if not (f.code in ("malformed", "internal") and f.index in precise)]
    return [*kept, *found]


# -- the checks RFC 5280 leaves to the application -------------------------------------------------------

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
        intermediates = _counted_intermediates(path)
        if intermediates > request.max_path_length:
            failures.append(
                ValidationFailure(
                    "path-length-exceeded",
                    f"the path has {intermediates} intermediates that are not self-issued; "
                    f"at most {request.max_path_length} allowed",
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


def _counted_intermediates(path: tuple[Certificate, ...]) -> int:
    """The intermediates ``max_path_length`` counts: as pathLenConstraint does (RFC 5280 4.2.1.9,
    6.1.4 (l)), a self-issued intermediate (a CA re-keying, issuer and subject names equal) is not
    counted; neither are the anchor and the leaf."""
    return sum(1 for cert in path[1:-1] if not pkix.same_name(cert.asn1.issuer, cert.asn1.subject))


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


def _subject(cert: Certificate) -> str:
    try:
        return cert.subject.rfc4514
    except Exception:  # a name that cannot be rendered must not hide the failure
        return f"<certificate {cert.fingerprint_sha256[:16]}>"
