"""Revocation evidence caiso-pki reads itself: which CRLs and OCSP responses may be used at all, and what
an authentic one lists, fresh or stale.

pyhanko-certvalidator (through :mod:`~caiso_pki.validation.pyhanko_adapter`) judges current revocation
data: scope, distribution points, indirect and delta CRLs, responder authorisation.  Two things it does
not do are done here, with ``cryptography``:

=======================  ===================================================================================
rule                     source and choice
=======================  ===================================================================================
unknown critical         RFC 5280 5.2: "If a CRL contains a critical extension that the application cannot
extension                process, then the application MUST NOT use that CRL to determine the status of
                         certificates"; the same for a critical entry extension (5.3) and, by RFC 6960 4.4,
                         for OCSP responses.  Such data proves nothing: the status is ``unknown``, and the
                         warning names the extension.
cRLNumber                RFC 5280 5.2.3: conforming CRL issuers "MUST include this extension" and it "MUST
                         be non-critical".  A CRL without one, or with a critical one, never proves
                         "good"; what it lists still counts (rule below).
listed = revoked         An authentic CRL that lists the certificate proves "revoked", fresh or stale:
                         revocation is permanent (RFC 5280 3.3, 5.3.1), so a CRL past its nextUpdate still
                         proves it.  Authentic: issued under the certificate's issuer name, its signature
                         verifies under the issuer's key, the issuer's keyUsage (when present) asserts
                         cRLSign, its thisUpdate and the entry's revocationDate are not after the
                         validation time.  ``openssl verify -crl_check`` and Go's ``x509`` agree.
certificateHold          A hold can be released (RFC 5280 5.3.1): on a stale CRL it proves nothing either
                         way, so the status is ``unknown``.  On a current CRL pyhanko reports it revoked.
removeFromCRL            RFC 5280 5.3.1: "for use in delta CRLs only"; in a full CRL it neither revokes
                         nor proves anything.
OCSP                     The same: a response signed by the issuer, or by a responder certificate the issuer
                         issued with id-kp-OCSPSigning, that says "revoked" proves it, current or not; a
                         stale "good" proves nothing (pyhanko already refuses it).
=======================  ===================================================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from caiso_pki.certificate import Certificate
from caiso_pki.validation.building import name_key

if TYPE_CHECKING:
    from cryptography import x509

__all__ = ["CrlFacts", "Listing", "OcspFacts", "defects", "listing", "read_crls", "read_ocsps"]

# extensions RFC 5280 5.2 defines for a CRL, and 5.3 for its entries
_CRL_EXTENSIONS: Final = frozenset(
    {
        "2.5.29.35",  # authorityKeyIdentifier
        "2.5.29.18",  # issuerAltName
        "2.5.29.20",  # cRLNumber
        "2.5.29.27",  # deltaCRLIndicator
        "2.5.29.28",  # issuingDistributionPoint
        "2.5.29.46",  # freshestCRL
        "1.3.6.1.5.5.7.1.1",  # authorityInfoAccess
    }
)
_ENTRY_EXTENSIONS: Final = frozenset(
    {
        "2.5.29.21",  # reasonCode
        "2.5.29.23",  # holdInstructionCode
        "2.5.29.24",  # invalidityDate
        "2.5.29.29",  # certificateIssuer
    }
)
# extensions RFC 6960 4.4 and RFC 9654 define for OCSP responses and single responses
_OCSP_EXTENSIONS: Final = frozenset(
    {
        "1.3.6.1.5.5.7.48.1.2",  # nonce
        "1.3.6.1.5.5.7.48.1.3",  # crlID
        "1.3.6.1.5.5.7.48.1.6",  # archiveCutoff
        "1.3.6.1.5.5.7.48.1.7",  # serviceLocator
        "1.3.6.1.5.5.7.48.1.9",  # extendedRevoke
        "2.5.29.21",  # reasonCode (in a single response, some responders add it)
        "2.5.29.24",  # invalidityDate
    }
)
_OCSP_SIGNING: Final = "1.3.6.1.5.5.7.3.9"
_CRL_NUMBER: Final = "2.5.29.20"
_DELTA: Final = "2.5.29.27"
_IDP: Final = "2.5.29.28"


@attrs.frozen
class CrlFacts:
    """One CRL as this module reads it.

    ``unusable``: why it may not be used at all; ``no_good``: why it may not prove "good" (it may still
    prove "revoked"); ``scoped``: a delta CRL or one with an issuingDistributionPoint (pyhanko judges
    those; a listing in them is still a listing).
    """

    der: bytes = attrs.field(repr=False)
    issuer: object
    issuer_shown: str
    this_update: dt.datetime
    next_update: dt.datetime | None
    unusable: str | None
    no_good: str | None
    crl: Any = attrs.field(repr=False, eq=False)


@attrs.frozen
class OcspFacts:
    """One OCSP response as this module reads it (``unusable``: why it may not be used at all)."""

    der: bytes = attrs.field(repr=False)
    unusable: str | None
    response: Any = attrs.field(repr=False, eq=False)


@attrs.frozen
class Listing:
    """What authentic revocation data says of one certificate.

    ``kind``: ``"revoked"`` (proof), ``"hold"`` (a stale certificateHold: no proof either way) or
    ``"removed"`` (a removeFromCRL entry in a full CRL: no proof).
    """

    kind: Literal["revoked", "hold", "removed"]
    source: Literal["crl", "ocsp"]
    reason: str | None
    revocation_time: dt.datetime | None
    this_update: dt.datetime | None
    next_update: dt.datetime | None
    stale: bool
    der: bytes = attrs.field(repr=False)


def defects(crls: Iterable[CrlFacts]) -> list[tuple[object, str]]:
    """(issuer, why) for every CRL that may not prove "good" (to attach to the certificates it covers)."""
    return [
        (facts.issuer, facts.unusable or facts.no_good or "")
        for facts in crls
        if facts.unusable or facts.no_good
    ]


def _unknown_critical(extensions: Iterable[Any], known: frozenset[str]) -> list[str]:
    return sorted(
        ext.oid.dotted_string for ext in extensions if ext.critical and ext.oid.dotted_string not in known
    )


def read_crls(ders: Iterable[bytes]) -> list[CrlFacts]:
    """Every CRL read with cryptography, with its defects; one cryptography cannot read is unusable."""
    from cryptography import x509

    found = []
    for position, der in enumerate(ders):
        try:
            crl = x509.load_der_x509_crl(der)
            extensions = crl.extensions
            unknown = _unknown_critical(extensions, _CRL_EXTENSIONS)
            for entry in crl:
                unknown += _unknown_critical(entry.extensions, _ENTRY_EXTENSIONS)
            issuer_der = crl.issuer.public_bytes()
            shown = crl.issuer.rfc4514_string()
        except Exception as exc:  # a CRL cryptography cannot read proves nothing
            found.append(_unreadable(position, der, exc))
            continue
        unusable = (
            f"the CRL of {shown!r} has the unknown critical extension(s) {', '.join(sorted(set(unknown)))}, "
            "so it may not be used (RFC 5280 5.2)"
            if unknown
            else None
        )
        number = next((ext for ext in extensions if ext.oid.dotted_string == _CRL_NUMBER), None)
        no_good = None
        if number is None:
            no_good = f"the CRL of {shown!r} has no CRL number (RFC 5280 5.2.3)"
        elif number.critical:
            no_good = (
                f"the CRL of {shown!r} marks its CRL number critical (RFC 5280 5.2.3: MUST be non-critical)"
            )
        found.append(
            CrlFacts(
                der=der,
                issuer=name_key(issuer_der),
                issuer_shown=shown,
                this_update=crl.last_update_utc,
                next_update=crl.next_update_utc,
                unusable=unusable,
                no_good=no_good,
                crl=crl,
            )
        )
    return found


def _unreadable(position: int, der: bytes, exc: Exception) -> CrlFacts:
    from asn1crypto import crl as asn1_crl

    try:
        issuer = asn1_crl.CertificateList.load(der)["tbs_cert_list"]["issuer"]
        key, shown = issuer.hashable, issuer.human_friendly
    except Exception:  # not even the issuer can be read (the loaders refuse such data before)
        key, shown = None, f"CRL #{position + 1}"
    return CrlFacts(
        der=der,
        issuer=key,
        issuer_shown=shown,
        this_update=dt.datetime.max.replace(tzinfo=dt.UTC),
        next_update=None,
        unusable=f"the CRL of {shown!r} cannot be read ({type(exc).__name__}: {exc})",
        no_good=None,
        crl=None,
    )


def read_ocsps(ders: Iterable[bytes]) -> list[OcspFacts]:
    """Every successful OCSP response read with cryptography, with the reason it is unusable (if any)."""
    found = []
    for der in ders:
        facts = _read_ocsp(der)
        if facts is not None:
            found.append(facts)
    return found


def _read_ocsp(der: bytes) -> OcspFacts | None:
    from cryptography.x509 import ocsp

    try:
        response = ocsp.load_der_ocsp_response(der)
        if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
            return None
        unknown = _unknown_critical(response.extensions, _OCSP_EXTENSIONS)
        unknown += _unknown_critical(response.single_extensions, _OCSP_EXTENSIONS)
    except Exception as exc:  # a response cryptography cannot read proves nothing
        return OcspFacts(
            der=der, unusable=f"an OCSP response cannot be read ({type(exc).__name__}: {exc})", response=None
        )
    unusable = (
        f"an OCSP response has the unknown critical extension(s) {', '.join(sorted(set(unknown)))}, "
        "so it may not be used (RFC 6960 4.4)"
        if unknown
        else None
    )
    return OcspFacts(der=der, unusable=unusable, response=response)


def listing(
    cert: Certificate,
    issuer: Certificate,
    *,
    crls: Sequence[CrlFacts],
    ocsps: Sequence[OcspFacts],
    at: dt.datetime,
) -> Listing | None:
    """What authentic CRLs and OCSP responses list about ``cert`` (issued by ``issuer``) at ``at``.

    ``"revoked"`` wins over everything else; a hold or a removeFromCRL entry is reported only when no
    authentic data says revoked.
    """
    weaker: Listing | None = None
    for found in (*_crl_listings(cert, issuer, crls, at), *_ocsp_listings(cert, issuer, ocsps, at)):
        if found.kind == "revoked":
            return found
        weaker = weaker or found
    return weaker


def _issuer_key(issuer: Certificate) -> Any:
    parsed = issuer._x509
    if parsed is None:
        return None
    try:
        return parsed.public_key()
    except Exception:  # a key cryptography cannot load: nothing can be proven with it
        return None


def _verifies(key: Any, signature: bytes, data: bytes, hash_algorithm: Any, padding: Any) -> bool:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    try:
        if isinstance(key, rsa.RSAPublicKey):
            from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding

            key.verify(signature, data, padding or rsa_padding.PKCS1v15(), hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hash_algorithm))
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(signature, data)
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, data, hash_algorithm)
        else:
            return False
    except Exception:  # InvalidSignature, or parameters that do not fit the key
        return False
    return True


def _may_sign_crls(issuer: Certificate) -> bool:
    from cryptography import x509

    try:
        usage = issuer.x509.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    except Exception:  # an issuer whose keyUsage cannot be read proves nothing
        return False
    return bool(usage.crl_sign)


def _reason(entry: Any) -> str | None:
    from cryptography import x509

    try:
        value = entry.extensions.get_extension_for_class(x509.CRLReason).value
    except x509.ExtensionNotFound:
        return None
    except Exception:  # an unreadable reason reads as unspecified
        return None
    name: str = value.reason.value
    return _REASON_NAMES.get(name, name)


_REASON_NAMES: Final = {
    "unspecified": "unspecified",
    "keyCompromise": "keyCompromise",
    "cACompromise": "cACompromise",
    "affiliationChanged": "affiliationChanged",
    "superseded": "superseded",
    "cessationOfOperation": "cessationOfOperation",
    "certificateHold": "certificateHold",
    "removeFromCRL": "removeFromCRL",
    "privilegeWithdrawn": "privilegeWithdrawn",
    "aACompromise": "aACompromise",
}


def _crl_listings(
    cert: Certificate, issuer: Certificate, crls: Sequence[CrlFacts], at: dt.datetime
) -> list[Listing]:
    found: list[Listing] = []
    wanted = None
    key = None
    for facts in crls:
        if facts.unusable is not None or facts.this_update > at:
            continue
        stale = facts.next_update is not None and facts.next_update < at
        if not stale and facts.no_good is None:
            continue  # a current, usable CRL: pyhanko judged it (deltas, scopes, holds released)
        if any(ext.oid.dotted_string in (_DELTA, _IDP) for ext in facts.crl.extensions):
            continue  # a delta or scoped CRL says something only together with others: pyhanko's part
        if wanted is None:
            try:
                wanted = name_key(cert.x509.issuer.public_bytes())
            except Exception:  # a certificate only asn1crypto reads: pyhanko judges its CRLs
                return found
        if facts.issuer != wanted:
            continue
        crl: x509.CertificateRevocationList = facts.crl
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is None or entry.revocation_date_utc >= at:
            continue  # revoked from its revocationDate on, as pyhanko reads it
        if key is None:
            key = _issuer_key(issuer)
            if key is None or not _may_sign_crls(issuer):
                return found
        algorithm = crl.signature_hash_algorithm if not _is_eddsa(key) else None
        if not _verifies(key, crl.signature, crl.tbs_certlist_bytes, algorithm, _padding(crl)):
            continue
        reason = _reason(entry)
        if reason == "removeFromCRL":
            found.append(_crl_listing("removed", facts, entry, reason, stale))
            continue
        if reason == "certificateHold" and stale:
            found.append(_crl_listing("hold", facts, entry, reason, stale))
            continue
        found.append(_crl_listing("revoked", facts, entry, reason, stale))
    return found


def _crl_listing(
    kind: Literal["revoked", "hold", "removed"], facts: CrlFacts, entry: Any, reason: str | None, stale: bool
) -> Listing:
    return Listing(
        kind=kind,
        source="crl",
        reason=reason,
        revocation_time=entry.revocation_date_utc,
        this_update=facts.this_update,
        next_update=facts.next_update,
        stale=stale,
        der=facts.der,
    )


def _is_eddsa(key: Any) -> bool:
    from cryptography.hazmat.primitives.asymmetric import ed448, ed25519

    return isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey))


def _padding(signed: Any) -> Any:
    try:
        return signed.signature_algorithm_parameters
    except Exception:  # no parameters cryptography understands: PKCS#1 v1.5 or the key decides
        return None


def _ocsp_listings(
    cert: Certificate, issuer: Certificate, ocsps: Sequence[OcspFacts], at: dt.datetime
) -> list[Listing]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509 import ocsp

    found: list[Listing] = []
    if not ocsps:
        return found
    issuer_key = _issuer_key(issuer)
    if issuer_key is None:
        return found
    try:
        issuer_x509 = issuer.x509
        issuer_name = issuer_x509.subject.public_bytes()
        spki = issuer_x509.public_key().public_bytes(encoding=_der(), format=_spki_format())
    except Exception:  # an issuer cryptography cannot describe: pyhanko judges its responses
        return found
    for facts in ocsps:
        if facts.unusable is not None:
            continue
        response: ocsp.OCSPResponse = facts.response
        for single in response.responses:
            if (
                single.serial_number != cert.serial_number
                or single.certificate_status != ocsp.OCSPCertStatus.REVOKED
            ):
                continue
            digest = hashes.Hash(single.hash_algorithm)
            digest.update(issuer_name)
            if digest.finalize() != single.issuer_name_hash:
                continue
            if single.issuer_key_hash != _key_hash(spki, single.hash_algorithm):
                continue
            if single.this_update_utc > at or (
                single.revocation_time_utc and single.revocation_time_utc >= at
            ):
                continue
            stale = single.next_update_utc is not None and single.next_update_utc < at
            if not stale:
                continue  # a current response: pyhanko judged it
            if not _ocsp_authentic(response, issuer, issuer_key, x509):
                continue
            reason = single.revocation_reason.value if single.revocation_reason is not None else None
            reason = _REASON_NAMES.get(reason, reason) if reason else None
            kind: Literal["revoked", "hold"] = "hold" if reason == "certificateHold" and stale else "revoked"
            found.append(
                Listing(
                    kind=kind,
                    source="ocsp",
                    reason=reason,
                    revocation_time=single.revocation_time_utc,
                    this_update=single.this_update_utc,
                    next_update=single.next_update_utc,
                    stale=stale,
                    der=facts.der,
                )
            )
    return found


def _der() -> Any:
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


def _spki_format() -> Any:
    from cryptography.hazmat.primitives.serialization import PublicFormat

    return PublicFormat.SubjectPublicKeyInfo


def _key_hash(spki: bytes, algorithm: Any) -> bytes | None:
    """The hash of the subjectPublicKey BIT STRING's value (RFC 6960 4.1.1 issuerKeyHash)."""
    from asn1crypto import keys
    from cryptography.hazmat.primitives import hashes

    try:
        key_bits = keys.PublicKeyInfo.load(spki)["public_key"].contents[1:]
        digest = hashes.Hash(algorithm)
        digest.update(key_bits)
        return digest.finalize()
    except Exception:  # an algorithm or key that cannot be hashed matches nothing
        return None


def _delegated_responder_key(responder: Any, issuer: Certificate, x509: Any) -> Any:
    """The key of a responder certificate the issuer issued with id-kp-OCSPSigning (RFC 6960 4.2.2.2)."""
    try:
        if responder.issuer.public_bytes() != issuer.x509.subject.public_bytes():
            return None
        responder.verify_directly_issued_by(issuer.x509)
        usage = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if not any(purpose.dotted_string == _OCSP_SIGNING for purpose in usage):
            return None
        return responder.public_key()
    except Exception:  # not issued by the issuer, or no OCSP-signing purpose: it signs nothing here
        return None


def _ocsp_authentic(response: Any, issuer: Certificate, issuer_key: Any, x509: Any) -> bool:
    """Signed by the issuer, or by a responder certificate the issuer issued for OCSP signing."""
    signers = [issuer_key]
    for responder in response.certificates:
        key = _delegated_responder_key(responder, issuer, x509)
        if key is not None:
            signers.append(key)
    algorithm = response.signature_hash_algorithm
    for key in signers:
        if _verifies(
            key, response.signature, response.tbs_response_bytes, None if _is_eddsa(key) else algorithm, None
        ):
            return True
    return False
