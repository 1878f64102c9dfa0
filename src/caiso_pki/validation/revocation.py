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

Where there is no revocation data at all (no CRL or OCSP response given, no fetching), the facts are
read from the certificates alone (:func:`offline_facts`: whether each names a CRL or OCSP location)
and pyhanko-certvalidator is not imported.  Otherwise :mod:`caiso_pki.validation.pyhanko_adapter`
judges the data and :func:`check_path` gathers its answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from caiso_pki._time import iso as _iso
from caiso_pki.certificate import Certificate
from caiso_pki.validation.results import RevocationStatus, ValidationFailure

if TYPE_CHECKING:
    from caiso_pki.validation.evidence import CrlFacts, OcspFacts
    from caiso_pki.validation.pyhanko_adapter import Answer, RevocationContext

__all__ = ["CertRevocation", "apply_listings", "check_path", "declared", "judge", "offline_facts"]


class CertRevocation:
    """What the revocation data says about one certificate (facts only; :func:`judge` decides)."""

    __slots__ = ("declared", "defects", "good", "index", "revoked", "sources", "subject")

    def __init__(self, index: int, subject: str) -> None:
        self.index = index
        self.subject = subject
        self.declared = False  # the certificate names a CRL distribution point or an OCSP responder
        self.sources = (False, False)  # (names a CRL distribution point, names an OCSP responder)
        self.good: RevocationStatus | None = None
        self.revoked: RevocationStatus | None = None
        self.defects: list[str] = []

    def __repr__(self) -> str:
        return (
            f"CertRevocation(index={self.index}, subject={self.subject!r}, declared={self.declared}, "
            f"good={self.good!r}, revoked={self.revoked!r}, defects={self.defects!r})"
        )


def declared(cert: Certificate) -> tuple[bool, bool]:
    """Whether ``cert`` names a CRL distribution point, and an OCSP responder (raises if unreadable)."""
    asn1 = cert.asn1
    aia = asn1.authority_information_access_value
    has_ocsp = aia is not None and any(entry["access_method"].native == "ocsp" for entry in aia)
    return asn1.crl_distribution_points_value is not None, has_ocsp


def _facts_for(index: int, cert: Certificate) -> CertRevocation:
    fact = CertRevocation(index, _subject(cert))
    try:
        fact.sources = declared(cert)
        fact.declared = any(fact.sources)
    except Exception as exc:  # a CRL DP or AIA that cannot be decoded
        fact.defects.append(f"its CRL distribution point or OCSP location cannot be decoded ({exc})")
    return fact


def offline_facts(
    path: Sequence[Certificate],
    *,
    defective_crls: Sequence[tuple[object, str]],
    unusable_ocsps: Sequence[str],
) -> list[CertRevocation]:
    """The facts for every certificate below the anchor when there is no usable revocation data."""
    facts = [_facts_for(index, path[index]) for index in range(1, len(path))]
    _add_unusable(facts, path, defective_crls, unusable_ocsps)
    return facts


def _add_unusable(
    facts: Sequence[CertRevocation],
    path: Sequence[Certificate],
    defective_crls: Sequence[tuple[object, str]],
    unusable_ocsps: Sequence[str],
) -> None:
    for fact in facts:
        cert = path[fact.index]
        issuer_name = cert.asn1.issuer.hashable
        if fact.good is None and fact.revoked is None:
            fact.defects.extend(defect for name, defect in defective_crls if name == issuer_name)
            fact.defects.extend(unusable_ocsps)


def apply_listings(
    facts: Sequence[CertRevocation],
    path: Sequence[Certificate],
    *,
    crls: Sequence[CrlFacts],
    ocsps: Sequence[OcspFacts],
    at: dt.datetime,
) -> None:
    """What authentic CRLs and OCSP responses list, fresh or stale (:mod:`.evidence`), added to the facts.

    A listing proves "revoked" whatever else was found (revocation is permanent); a stale hold or a
    removeFromCRL entry in a full CRL proves nothing and is said as a defect.
    """
    if not crls and not ocsps:
        return
    from caiso_pki.validation import evidence

    for fact in facts:
        if fact.revoked is not None:
            continue
        found = evidence.listing(path[fact.index], path[fact.index - 1], crls=crls, ocsps=ocsps, at=at)
        if found is None:
            continue
        if found.kind == "revoked":
            fact.good = None
            fact.revoked = RevocationStatus(
                fact.index,
                fact.subject,
                "revoked",
                found.source,
                None,
                found.this_update,
                found.next_update,
                found.reason,
                found.revocation_time,
            )
        elif fact.good is None:
            what = "CRL" if found.source == "crl" else "OCSP response"
            if found.kind == "hold":
                fact.defects.append(
                    f"a {what} past its nextUpdate ({_iso(found.next_update)}) puts it on hold "
                    "(certificateHold), which may have been released since: no proof either way"
                )
            else:
                fact.defects.append(
                    f"a full {what} lists it as removeFromCRL, which only a delta CRL may say "
                    "(RFC 5280 5.3.1)"
                )


async def check_path(
    context: RevocationContext,
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
    import asyncio

    path = context.path
    facts = [_facts_for(index, path[index]) for index in range(1, len(path))]
    tasks = [
        asyncio.ensure_future(
            _check_one(
                fact,
                path[fact.index],
                path[fact.index - 1],
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
    _add_unusable(facts, path, defective_crls, unusable_ocsps)
    return facts


async def _check_one(
    fact: CertRevocation,
    cert: Certificate,
    issuer: Certificate,
    context: RevocationContext,
    *,
    at: dt.datetime,
    offline_crls: frozenset[bytes],
    offline_ocsps: frozenset[bytes],
    fetch: bool,
) -> None:
    has_crl, has_ocsp = (fetch and fact.sources[0]), (fetch and fact.sources[1])
    if offline_ocsps or has_ocsp:
        answer = await context.check_ocsp(fact.index)
        if answer.kind == "good":
            fact.good = _ocsp_good(fact, cert, issuer, context, offline_ocsps)
        elif answer.kind == "revoked":
            fact.revoked = _revoked(fact, answer, "ocsp")
            found = _ocsp_answer(cert, issuer, context, "revoked")
            if found is not None:
                response, single = found
                fact.revoked = attrs.evolve(
                    fact.revoked,
                    url=None if response.dump() in offline_ocsps else _first(cert.ocsp_urls),
                    this_update=single["this_update"].native,
                    next_update=single["next_update"].native,
                )
        elif answer.kind == "defect":
            fact.defects.append(answer.message)
    if fact.revoked is not None:
        return
    if context.crls_available() or (has_crl and fact.good is None):
        answer = await context.check_crl(fact.index)
        if answer.kind == "good":
            crl_good = _crl_good(fact, cert, context, at, offline_crls)
            if fact.good is None:
                fact.good = crl_good
        elif answer.kind == "revoked":
            fact.revoked = _revoked(fact, answer, "crl")
            url, this_update, next_update = _crl_details(
                fact.index, cert, context, at, offline_crls, listed=True
            )
            fact.revoked = attrs.evolve(
                fact.revoked, url=url, this_update=this_update, next_update=next_update
            )
        elif answer.kind == "defect":
            fact.defects.append(answer.message)


def _revoked(fact: CertRevocation, answer: Answer, source: Literal["crl", "ocsp"]) -> RevocationStatus:
    return RevocationStatus(
        fact.index,
        fact.subject,
        "revoked",
        source,
        reason=answer.reason,
        revocation_time=answer.revocation_time,
    )


def _crl_good(
    fact: CertRevocation,
    cert: Certificate,
    context: RevocationContext,
    at: dt.datetime,
    offline: frozenset[bytes],
) -> RevocationStatus:
    """The proof: details of the freshest verified, current CRL of the certificate's issuer."""
    url, this_update, next_update = _crl_details(fact.index, cert, context, at, offline, listed=False)
    return RevocationStatus(fact.index, fact.subject, "good", "crl", url, this_update, next_update)


def _crl_details(
    index: int,
    cert: Certificate,
    context: RevocationContext,
    at: dt.datetime,
    offline: frozenset[bytes],
    *,
    listed: bool,
) -> tuple[str | None, dt.datetime | None, dt.datetime | None]:
    """(url, thisUpdate, nextUpdate) of the freshest verified, current full CRL of the issuer.

    With ``listed``, only CRLs that list the certificate count.  Reporting detail only: the verdict
    itself came from pyhanko's verification.
    """
    serial = cert.asn1.serial_number
    best: Any = None
    best_time: dt.datetime | None = None
    for data in context.verified_crls(index):
        tbs = data["tbs_cert_list"]
        this_update = tbs["this_update"].native
        next_update = tbs["next_update"].native
        if this_update > at or (next_update is not None and next_update < at):
            continue
        if listed and not any(
            entry["user_certificate"].native == serial for entry in tbs["revoked_certificates"]
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
    fact: CertRevocation,
    cert: Certificate,
    issuer: Certificate,
    context: RevocationContext,
    offline: frozenset[bytes],
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


def _ocsp_answer(
    cert: Certificate, issuer: Certificate, context: RevocationContext, status: str
) -> tuple[Any, Any] | None:
    """The (response, single response) for ``cert`` with ``status``, by CertID (reporting detail)."""
    serial = cert.asn1.serial_number
    issuer_key = issuer.asn1.public_key
    for response in context.ocsp_responses():
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
    facts: Sequence[CertRevocation], mode: str, anchor_subject: str, *, at: dt.datetime
) -> tuple[tuple[RevocationStatus, ...], list[ValidationFailure], list[str]]:
    """Statuses (anchor first), failures and warnings from the facts, as ``mode`` says.

    A revoked certificate fails in every mode (soft-fail included): revocation is the answer, not a
    missing one.
    """
    statuses = [RevocationStatus(0, anchor_subject, "not-checked")]
    failures: list[ValidationFailure] = []
    warnings: list[str] = []
    for fact in facts:
        for defect in fact.defects:
            warnings.append(f"revocation information for {fact.subject} is unusable: {defect}")
        if fact.revoked is not None:
            status = fact.revoked
            failures.append(
                ValidationFailure("revoked", _revoked_message(status, at), fact.index, fact.subject)
            )
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


def _revoked_message(status: RevocationStatus, at: dt.datetime) -> str:
    reason = status.reason or "unspecified"
    when = _iso(status.revocation_time) if status.revocation_time else "an unknown time"
    source = "OCSP" if status.source == "ocsp" else "CRL"
    message = f"{status.subject} was revoked at {when} (reason: {reason}), according to {source}"
    if status.next_update is not None and status.next_update < at:
        issued = f" issued {_iso(status.this_update)}" if status.this_update is not None else ""
        message += (
            f" ({'a response' if source == 'OCSP' else 'a CRL'}{issued}, past its nextUpdate "
            f"{_iso(status.next_update)}: a revocation stays proven)"
        )
    return message


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
