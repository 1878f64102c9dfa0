"""Revocation that proves "good": what CRLs and OCSP answers say about each certificate of a path.

The rule, for every certificate below the trust anchor:

* every CRL and OCSP response handed in (and, with ``fetch``, every one the certificate names) is
  consulted, whether or not the certificate names a distribution point; CRLs are matched to
  certificates by issuer and scope (RFC 5280 6.3), OCSP answers by CertID;
* ``good`` only when pyhanko verified a current CRL or OCSP answer that covers the certificate and does
  not list it (signature by an authorised issuer, freshness, scope, critical extensions);
* a CRL or response that fails verification, is stale, lacks a CRL number, has an unknown critical
  extension, comes from an issuer without cRLSign, or could not be fetched is *unusable*: the
  certificate reads ``unknown`` and a warning names the defect;
* a revoked answer fails the chain in every mode but ``off``.

Then the mode decides what ``unknown`` means: ``soft-fail`` accepts it with the warning;
``hard-fail`` fails when the certificate names a CRL or OCSP location or when any data for it was
unusable; ``require`` fails whenever there is no proof.  This module only gathers the facts per
certificate (:class:`CertRevocation`); :func:`judge` turns them into statuses, failures and warnings.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from caiso_pki.certificate import Certificate
from caiso_pki.validation.results import RevocationStatus, ValidationFailure
from caiso_pki.validation.results import iso as _iso

if TYPE_CHECKING:
    from asn1crypto import crl as asn1_crl

__all__ = ["CertRevocation", "check_path", "judge", "screen_crls"]

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


@attrs.define
class CertRevocation:
    """What the revocation data says about one certificate (facts only; :func:`judge` decides)."""

    index: int
    subject: str
    declared: bool = False  # the certificate names a CRL distribution point or an OCSP responder
    good: RevocationStatus | None = None
    revoked: RevocationStatus | None = None
    defects: list[str] = attrs.field(factory=list)


def reason_name(reason: Any) -> str | None:
    """RFC 5280 spelling of an asn1crypto CRL reason."""
    if reason is None:
        return None
    native = getattr(reason, "native", reason)
    if native is None:
        return None
    return _REASONS.get(str(native), str(native))


def screen_crls(crls: Sequence[asn1_crl.CertificateList]) -> tuple[list[Any], list[tuple[object, str]]]:
    """Split CRLs given offline into usable ones and (issuer, defect) for the rest.

    pyhanko checks signatures, authority, freshness, scope and critical extensions; what it does not
    check is done here: RFC 5280 5.2.3 makes the CRL number mandatory.
    """
    usable: list[Any] = []
    defective: list[tuple[object, str]] = []
    for position, parsed in enumerate(crls):
        tbs = parsed["tbs_cert_list"]
        issuer = tbs["issuer"]
        try:
            number = parsed.crl_number_value
        except Exception as exc:  # a CRL number that does not decode
            defective.append((issuer.hashable, f"CRL #{position + 1} has an undecodable CRL number ({exc})"))
            continue
        if number is None:
            shown = issuer.human_friendly
            defective.append((issuer.hashable, f"the CRL of {shown!r} has no CRL number (RFC 5280 5.2.3)"))
            continue
        usable.append(parsed)
    return usable, defective


async def check_path(
    path: Sequence[Certificate],
    pyhanko_path: Any,
    context: Any,
    *,
    at: dt.datetime,
    offline_crls: frozenset[bytes],
    offline_ocsps: frozenset[bytes],
    defective_crls: Sequence[tuple[object, str]],
    unusable_ocsps: Sequence[str],
    fetch: bool,
    deadline: float | None,
) -> list[CertRevocation]:
    """The facts for every certificate below the anchor, gathered concurrently under ``deadline``."""
    facts = [CertRevocation(index, _subject(path[index])) for index in range(1, len(path))]
    tasks = [
        asyncio.ensure_future(
            _check_one(
                fact,
                path[fact.index],
                path[fact.index - 1],
                pyhanko_path,
                context,
                at=at,
                offline_crls=offline_crls,
                offline_ocsps=offline_ocsps,
                fetch=fetch,
            )
        )
        for fact in facts
    ]
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=deadline)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        for fact, task in zip(facts, tasks, strict=True):
            if task in pending:
                fact.defects.append(f"revocation checks did not finish within the {deadline:g} s deadline")
            elif task.exception() is not None:  # _check_one catches everything; belt and braces
                fact.defects.append(f"revocation check failed: {task.exception()}")
    for fact in facts:
        cert = path[fact.index]
        issuer_name = cert.asn1.issuer.hashable
        if fact.good is None and fact.revoked is None:
            fact.defects.extend(defect for name, defect in defective_crls if name == issuer_name)
            fact.defects.extend(unusable_ocsps)
    return facts


async def _check_one(
    fact: CertRevocation,
    cert: Certificate,
    issuer: Certificate,
    pyhanko_path: Any,
    context: Any,
    *,
    at: dt.datetime,
    offline_crls: frozenset[bytes],
    offline_ocsps: frozenset[bytes],
    fetch: bool,
) -> None:
    from pyhanko_certvalidator import errors as pv
    from pyhanko_certvalidator._state import ValProcState
    from pyhanko_certvalidator.revinfo.validate_crl import verify_crl
    from pyhanko_certvalidator.revinfo.validate_ocsp import verify_ocsp_response
    from pyhanko_certvalidator.util import ConsList, get_declared_revinfo

    asn1 = cert.asn1
    try:
        has_crl, has_ocsp = get_declared_revinfo(asn1)
    except Exception as exc:  # a CRL DP or AIA that cannot be decoded
        fact.defects.append(f"its CRL distribution point or OCSP location cannot be decoded ({exc})")
        has_crl = has_ocsp = False
    fact.declared = bool(has_crl or has_ocsp)

    def state() -> Any:
        return ValProcState(cert_path_stack=ConsList.sing(pyhanko_path), init_index=fact.index)

    if offline_ocsps or (fetch and has_ocsp):
        try:
            await verify_ocsp_response(asn1, pyhanko_path, context, proc_state=state())
            fact.good = _ocsp_good(fact, cert, issuer, context, offline_ocsps)
        except pv.RevokedError as exc:
            fact.revoked = _revoked(fact, exc, "ocsp")
            found = _ocsp_answer(cert, issuer, context, "revoked")
            if found is not None:
                response, single = found
                fact.revoked = attrs.evolve(
                    fact.revoked,
                    url=None if response.dump() in offline_ocsps else _first(cert.ocsp_urls),
                    this_update=single["this_update"].native,
                    next_update=single["next_update"].native,
                )
        except pv.OCSPNoMatchesError:
            pass
        except pv.OCSPValidationIndeterminateError as exc:
            fact.defects.append(f"OCSP: {_failures(exc)}")
        except (pv.OCSPFetchError, pv.OCSPValidationError) as exc:
            fact.defects.append(f"OCSP: {exc}")
        except Exception as exc:  # fail closed: an answer we could not process proves nothing
            fact.defects.append(f"OCSP response could not be processed ({type(exc).__name__}: {exc})")
    if fact.revoked is not None:
        return
    crls_available = bool(context.revinfo_manager.currently_available_crls())
    if crls_available or (fetch and has_crl and fact.good is None):
        try:
            await verify_crl(asn1, pyhanko_path, context, proc_state=state())
            crl_good = _crl_good(fact, cert, context, at, offline_crls)
            if fact.good is None:
                fact.good = crl_good
        except pv.RevokedError as exc:
            fact.revoked = _revoked(fact, exc, "crl")
            url, this_update, next_update = _crl_details(cert, context, at, offline_crls, listed=True)
            fact.revoked = attrs.evolve(
                fact.revoked, url=url, this_update=this_update, next_update=next_update
            )
        except pv.CRLNoMatchesError:
            pass
        except pv.CRLValidationIndeterminateError as exc:
            fact.defects.append(f"CRL: {_failures(exc)}")
        except (pv.CRLFetchError, pv.CRLValidationError) as exc:
            fact.defects.append(f"CRL: {exc}")
        except Exception as exc:  # fail closed
            fact.defects.append(f"CRL could not be processed ({type(exc).__name__}: {exc})")


def _failures(exc: Any) -> str:
    details = [str(item[0]) for item in getattr(exc, "failures", ()) if item]
    return "; ".join(details) if details else str(getattr(exc, "msg", exc))


def _revoked(fact: CertRevocation, exc: Any, source: Literal["crl", "ocsp"]) -> RevocationStatus:
    when = exc.revocation_dt if isinstance(exc.revocation_dt, dt.datetime) else None
    return RevocationStatus(
        fact.index, fact.subject, "revoked", source, reason=reason_name(exc.reason), revocation_time=when
    )


def _crl_good(
    fact: CertRevocation, cert: Certificate, context: Any, at: dt.datetime, offline: frozenset[bytes]
) -> RevocationStatus:
    """The proof: details of the freshest verified, current CRL of the certificate's issuer."""
    url, this_update, next_update = _crl_details(cert, context, at, offline, listed=False)
    return RevocationStatus(fact.index, fact.subject, "good", "crl", url, this_update, next_update)


def _crl_details(
    cert: Certificate, context: Any, at: dt.datetime, offline: frozenset[bytes], *, listed: bool
) -> tuple[str | None, dt.datetime | None, dt.datetime | None]:
    """(url, thisUpdate, nextUpdate) of the freshest verified, current full CRL of the issuer.

    With ``listed``, only CRLs that list the certificate count.  Reporting detail only: the verdict
    itself came from pyhanko's verification.
    """
    manager = context.revinfo_manager
    asn1 = cert.asn1
    issuer = asn1.issuer
    best: Any = None
    best_time: dt.datetime | None = None
    for container in manager.currently_available_crls():
        data = container.crl_data
        if data.delta_crl_indicator_value is not None or data.issuer != issuer:
            continue
        if manager.check_crl_issuer(data) is None:
            continue  # pyhanko did not verify this one
        tbs = data["tbs_cert_list"]
        this_update = tbs["this_update"].native
        next_update = tbs["next_update"].native
        if this_update > at or (next_update is not None and next_update < at):
            continue
        if listed and not any(
            entry["user_certificate"].native == asn1.serial_number for entry in tbs["revoked_certificates"]
        ):
            continue
        if best_time is None or this_update > best_time:
            best, best_time = data, this_update
    if best is None:
        return None, None, None
    tbs = best["tbs_cert_list"]
    url = None if best.dump() in offline else _first(cert.crl_distribution_points)
    return url, tbs["this_update"].native, tbs["next_update"].native


def _ocsp_good(
    fact: CertRevocation, cert: Certificate, issuer: Certificate, context: Any, offline: frozenset[bytes]
) -> RevocationStatus:
    """Details of the OCSP answer pyhanko accepted."""
    found = _ocsp_answer(cert, issuer, context, "good")
    if found is None:
        return RevocationStatus(fact.index, fact.subject, "good", "ocsp")
    response, single = found
    url = None if response.dump() in offline else _first(cert.ocsp_urls)
    return RevocationStatus(
        fact.index,
        fact.subject,
        "good",
        "ocsp",
        url,
        single["this_update"].native,
        single["next_update"].native,
    )


def _ocsp_answer(cert: Certificate, issuer: Certificate, context: Any, status: str) -> tuple[Any, Any] | None:
    """The (response, single response) for ``cert`` with ``status``, by CertID (reporting detail)."""
    serial = cert.asn1.serial_number
    issuer_key = issuer.asn1.public_key
    for response in context.ocsps:
        if response["response_status"].native != "successful":
            continue
        for single in response.basic_ocsp_response["tbs_response_data"]["responses"]:
            cert_id = single["cert_id"]
            if cert_id["serial_number"].native != serial:
                continue
            expected = getattr(issuer_key, cert_id["hash_algorithm"]["algorithm"].native, None)
            if expected is None or cert_id["issuer_key_hash"].native != expected:
                continue
            if single["cert_status"].name == status:
                return response, single
    return None


def judge(
    facts: Sequence[CertRevocation], mode: str, anchor_subject: str
) -> tuple[tuple[RevocationStatus, ...], list[ValidationFailure], list[str]]:
    """Statuses (anchor first), failures and warnings from the facts, as ``mode`` says."""
    statuses = [RevocationStatus(0, anchor_subject, "not-checked")]
    failures: list[ValidationFailure] = []
    warnings: list[str] = []
    for fact in facts:
        for defect in fact.defects:
            warnings.append(f"revocation information for {fact.subject} is unusable: {defect}")
        if fact.revoked is not None:
            status = fact.revoked
            failures.append(ValidationFailure("revoked", _revoked_message(status), fact.index, fact.subject))
        elif fact.good is not None:
            status = fact.good
        else:
            status = RevocationStatus(fact.index, fact.subject, "unknown")
            failure = _unknown_failure(fact, mode)
            if failure is not None:
                failures.append(failure)
            elif not fact.defects:
                warnings.append(
                    f"no revocation information for {fact.subject} (soft-fail: accepted without it)"
                )
        statuses.append(status)
    return tuple(statuses), failures, warnings


def _unknown_failure(fact: CertRevocation, mode: str) -> ValidationFailure | None:
    why = "; ".join(fact.defects)
    if mode == "require":
        message = f"no usable revocation information for {fact.subject}" + (f": {why}" if why else "")
    elif mode == "hard-fail" and fact.defects:
        message = f"the revocation information for {fact.subject} is unusable: {why}"
    elif mode == "hard-fail" and fact.declared:
        message = f"{fact.subject} names a CRL or OCSP location, but no usable answer was found"
    else:
        return None
    return ValidationFailure("revocation-unavailable", message, fact.index, fact.subject)


def _revoked_message(status: RevocationStatus) -> str:
    reason = status.reason or "unspecified"
    when = _iso(status.revocation_time) if status.revocation_time else "an unknown time"
    source = "OCSP" if status.source == "ocsp" else "CRL"
    return f"{status.subject} was revoked at {when} (reason: {reason}), according to {source}"


def _first(values: Sequence[str]) -> str | None:
    try:
        return values[0] if values else None
    except Exception:  # a URL list that cannot be read is just not shown
        return None


def _subject(cert: Certificate) -> str:
    try:
        return cert.subject.rfc4514
    except Exception:  # never let a name hide a revocation answer
        return f"<certificate {cert.fingerprint_sha256[:16]}>"
