"""A CAISO-shaped test PKI in one call, for our tests and for yours (in the spirit of ``trustme``).

>>> from caiso_pki import testing
>>> pki = testing.DemoPki.create()
>>> rig = pki.issuing_ca.issue("rig", "rig-0001.example.com")
>>> rig.certificate.issuer.common_name
'Demo CAISO Issuing CA 1'

Three names do the work:

* :class:`DemoPki`: :meth:`DemoPki.create` builds three hierarchies around one moment (``now``) and
  gives you their trust anchors (:attr:`DemoPki.trust_anchors`), a trust store as a participant would
  keep it (:meth:`DemoPki.trust_store`), and files on disk (:meth:`DemoPki.write`);
* :class:`CertificateAuthority`: each CA of it, which issues end-entity certificates from parameters
  (:meth:`CertificateAuthority.issue`) or from a CSR (:meth:`CertificateAuthority.issue_from_csr`),
  issues intermediates, revokes, and answers with CRLs and signed OCSP responses;
* :class:`IssuedCertificate`: what a CA hands back, the certificate with its key and chain, ready for
  a TLS context (``issued.pem_bundle()``, ``issued.key_pem()``) or for validation.

The hierarchies of :meth:`DemoPki.create`:

* ``root``: an offline root, "Demo CAISO Root CA";
* ``issuing_ca``: the issuing CA under it, asserting the demo Basic Assurance policy OID
  (:data:`~caiso_pki.oids.DEMO_BASIC_ASSURANCE_POLICY`) with a CPS-pointer qualifier
  (:data:`DEMO_CPS_URL`), and publishing a CRL distribution point, an AIA OCSP URL and a caIssuers URL
  under ``base_url``;
* ``entrust_root`` / ``entrust_intermediate``: a private hierarchy shaped like the Entrust private CAs
  that issue RIG certificates;
* ``retired_root`` / ``retired_issuing_ca``: a hierarchy shaped like the Verizon Cybertrust roots, which
  reached end of life in November 2024 (see :data:`CYBERTRUST_END_OF_LIFE`).

Everything the knobs of :meth:`CertificateAuthority.issue` produce is a real, signed certificate, so a
test can also build deliberately broken ones (expired, wrong EKU, missing policy, a CA:false
intermediate ...).  Defects cryptography's builder refuses to write (a repeated extension, a negative
serial, a flipped criticality) come from :meth:`CertificateAuthority.resign`, which edits the
to-be-signed part with asn1crypto and signs it again::

    def repeat_san(tbs):
        tbs["extensions"].append(tbs["extensions"][0])

    broken = pki.issuing_ca.resign(pki.issuing_ca.issue("rig"), repeat_san)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, cast

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificatePublicKeyTypes,
    PrivateKeyTypes,
)
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from caiso_pki._atomic import atomic_write_bytes
from caiso_pki._forge import (
    TbsEdit,
    resign,
    signing_hash,
)
from caiso_pki._key_holder import KeyHolder
from caiso_pki._time import ensure_aware
from caiso_pki.certificate import Certificate
from caiso_pki.errors import MalformedInputError, UnsupportedAlgorithmError
from caiso_pki.oids import ANY_POLICY, DEMO_BASIC_ASSURANCE_POLICY, _object_identifier, parse_oid

if TYPE_CHECKING:
    from caiso_pki.csr import Csr
    from caiso_pki.truststore import TrustStore

__all__ = [
    "CYBERTRUST_END_OF_LIFE",
    "DEMO_CPS_URL",
    "CertificateAuthority",
    "DemoPki",
    "IssuedCertificate",
    "LeafKind",
    "TbsEdit",
]

#: The day after which the (demo) Verizon Cybertrust roots issue nothing a store should trust.
CYBERTRUST_END_OF_LIFE: Final = dt.datetime(2024, 11, 1, tzinfo=dt.UTC)
#: CPS pointer the demo issuing CA puts in its policy qualifiers.
DEMO_CPS_URL: Final = "https://www.example.com/caiso-demo/cps-basic-assurance.pdf"

LeafKind = Literal["rig", "dpg", "iccp", "api-client", "ui-client", "server", "ocsp-responder"]

_EKU: Final[dict[str, tuple[x509.ObjectIdentifier, ...]]] = {
    "rig": (ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH),
    "dpg": (ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH),
    "iccp": (ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH),
    "api-client": (ExtendedKeyUsageOID.CLIENT_AUTH,),
    "ui-client": (ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION),
    "server": (ExtendedKeyUsageOID.SERVER_AUTH,),
    "ocsp-responder": (ExtendedKeyUsageOID.OCSP_SIGNING,),
}

_REASONS: Final[dict[str, x509.ReasonFlags]] = {flag.value: flag for flag in x509.ReasonFlags}
_KEY_CACHE: dict[str, list[PrivateKeyTypes]] = {}


def _new_key(spec: str) -> CertificateIssuerPrivateKeyTypes:
    spec = spec.lower()
    if spec.startswith("rsa-"):
        bits = int(spec[4:])
        if bits not in (1024, 2048, 3072, 4096):
            raise UnsupportedAlgorithmError(f"key spec {spec!r}: RSA size must be 2048, 3072 or 4096")
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    curves: dict[str, ec.EllipticCurve] = {"ec-p256": ec.SECP256R1(), "ec-p384": ec.SECP384R1()}
    if spec in curves:
        return ec.generate_private_key(curves[spec])
    raise UnsupportedAlgorithmError(f"key spec {spec!r}: use rsa-2048/3072/4096, ec-p256 or ec-p384")


def _name(value: x509.Name | str) -> x509.Name:
    if isinstance(value, x509.Name):
        return value
    try:
        return x509.Name.from_rfc4514_string(value)
    except ValueError as exc:
        raise MalformedInputError(f"subject {value!r} is not a valid RFC 4514 name: {exc}") from exc


def _policies_extension(oids: Sequence[str], cps_url: str | None) -> x509.CertificatePolicies:
    infos = []
    for oid in oids:
        qualifiers = [cps_url] if cps_url and oid != ANY_POLICY else None
        infos.append(x509.PolicyInformation(_object_identifier(oid), qualifiers))
    return x509.CertificatePolicies(infos)


def _key_usage(*, ca: bool, rsa_key: bool, kind: str | None = None) -> x509.KeyUsage:
    if ca:
        return x509.KeyUsage(True, False, False, False, False, True, True, False, False)
    if kind == "ocsp-responder":
        return x509.KeyUsage(True, False, False, False, False, False, False, False, False)
    return x509.KeyUsage(True, False, rsa_key, False, False, False, False, False, False)


@attrs.frozen
class IssuedCertificate(KeyHolder):
    """An end-entity (or intermediate) certificate, its private key when we made it, and its chain.

    ``chain`` holds the intermediates from the issuer up, without ``root``; a server presents
    :meth:`pem_bundle` (the certificate and its chain) with :meth:`key_pem`, and a client trusts
    ``root``.  Anything that takes a certificate input takes an ``IssuedCertificate`` too.
    """

    certificate: Certificate
    key: PrivateKeyTypes | None = attrs.field(repr=False)
    chain: tuple[Certificate, ...]
    root: Certificate

    def pem_bundle(self) -> str:
        """The certificate followed by its chain (root excluded), as PEM."""
        return "".join(cert.pem for cert in (self.certificate, *self.chain))

    def key_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (test material only)."""
        if self.key is None:
            raise MalformedInputError("this certificate was issued from a CSR; its key is not known here")
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


@attrs.define(eq=False, repr=False)
class CertificateAuthority(KeyHolder):
    """A test CA: its certificate and key, what it has issued and revoked, its CRL and OCSP answers.

    Get one from a :class:`DemoPki` (``pki.issuing_ca``) or from :meth:`issue_intermediate`.  Its CRL,
    OCSP and caIssuers URLs sit under the PKI's ``base_url``, and every certificate it issues points at
    them, so a test that serves :meth:`crl` and :meth:`ocsp_response` there gets real revocation checks.
    """

    name: str
    slug: str
    certificate: Certificate
    key: CertificateIssuerPrivateKeyTypes
    parent: CertificateAuthority | None
    pki: DemoPki
    policies: tuple[str, ...] = ()
    issued: dict[int, Certificate] = attrs.field(factory=dict)
    revoked: dict[int, tuple[dt.datetime, x509.ReasonFlags]] = attrs.field(factory=dict)

    def __repr__(self) -> str:
        return f"<CertificateAuthority {self.name!r}>"

    @property
    def crl_url(self) -> str:
        """Where this CA's CRL is published (under the PKI's ``base_url``)."""
        return f"{self.pki.base_url}/crl/{self.slug}.crl"

    @property
    def ocsp_url(self) -> str:
        """This CA's OCSP responder URL."""
        return f"{self.pki.base_url}/ocsp/{self.slug}"

    @property
    def ca_issuers_url(self) -> str:
        """Where this CA's own certificate is published (AIA caIssuers of what it issues)."""
        return f"{self.pki.base_url}/ca/{self.slug}.cer"

    @property
    def root(self) -> Certificate:
        """The self-signed root above this CA."""
        ca = self
        while ca.parent is not None:
            ca = ca.parent
        return ca.certificate

    @property
    def chain(self) -> tuple[Certificate, ...]:
        """This CA's certificate and its intermediates up to, not including, the root."""
        result: list[Certificate] = []
        ca: CertificateAuthority | None = self
        while ca is not None and ca.parent is not None:
            result.append(ca.certificate)
            ca = ca.parent
        return tuple(result)

    # -- issuing ---------------------------------------------------------------------------------

    def _sign(
        self,
        *,
        subject: x509.Name,
        public_key: CertificatePublicKeyTypes,
        not_before: dt.datetime,
        not_after: dt.datetime,
        extensions: list[tuple[x509.ExtensionType, bool]],
        omit: Iterable[str] = (),
        signing_key: CertificateIssuerPrivateKeyTypes | None = None,
        serial: int | None = None,
        issuer: x509.Name | None = None,
    ) -> Certificate:
        omitted = {parse_oid(oid) for oid in omit}
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer or self.certificate.x509.subject)
            .public_key(public_key)
            .serial_number(serial if serial is not None else x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
        )
        for extension, critical in extensions:
            if extension.oid.dotted_string not in omitted:
                builder = builder.add_extension(extension, critical=critical)
        key = signing_key or self.key
        cert = Certificate.from_cryptography(builder.sign(key, signing_hash(key)))
        self.issued[cert.serial_number] = cert
        return cert

    def _standard_extensions(
        self, public_key: CertificatePublicKeyTypes
    ) -> list[tuple[x509.ExtensionType, bool]]:
        return [
            (x509.SubjectKeyIdentifier.from_public_key(public_key), False),
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False),
            (
                x509.CRLDistributionPoints(
                    [x509.DistributionPoint([x509.UniformResourceIdentifier(self.crl_url)], None, None, None)]
                ),
                False,
            ),
            (
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            x509.oid.AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier(self.ocsp_url),
                        ),
                        x509.AccessDescription(
                            x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                            x509.UniformResourceIdentifier(self.ca_issuers_url),
                        ),
                    ]
                ),
                False,
            ),
        ]

    def issue(
        self,
        kind: LeafKind = "rig",
        common_name: str = "rig-0001.example.com",
        *,
        dns_names: Sequence[str] | None = None,
        ip_addresses: Sequence[str] = (),
        emails: Sequence[str] = (),
        key: PrivateKeyTypes | None = None,
        public_key: CertificatePublicKeyTypes | None = None,
        key_spec: str = "ec-p256",
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        validity: dt.timedelta = dt.timedelta(days=365),
        policies: Sequence[str] | None = None,
        key_usage: x509.KeyUsage | None = None,
        extended_key_usage: Sequence[str] | None = None,
        is_ca: bool = False,
        path_length: int | None = None,
        subject: x509.Name | str | None = None,
        organization: str = "Demo Participant",
        extra_extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
        omit_extensions: Sequence[str] = (),
        signing_key: CertificateIssuerPrivateKeyTypes | None = None,
        serial: int | None = None,
        reuse_key: bool = False,
    ) -> IssuedCertificate:
        """Issue an end-entity certificate of ``kind`` with sensible defaults and many override knobs.

        ``reuse_key=True`` takes a key shared by every leaf of that spec, which makes fleets of
        thousands of certificates cheap to mint (the CA's signature is what validation checks).
        """
        if public_key is None:
            if key is None:
                if reuse_key:
                    pool = _KEY_CACHE.setdefault(key_spec, [])
                    if not pool:
                        pool.append(_new_key(key_spec))
                    key = pool[0]
                else:
                    key = _new_key(key_spec)
            public_key = cast("CertificatePublicKeyTypes", key.public_key())
        start = (
            ensure_aware(not_before, what="not_before")
            if not_before
            else self.pki.now - dt.timedelta(hours=1)
        )
        end = ensure_aware(not_after, what="not_after") if not_after else start + validity
        if subject is None:
            attrs_list = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
            if organization:
                attrs_list.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
            attrs_list.append(x509.NameAttribute(NameOID.COUNTRY_NAME, "US"))
            subject_name = x509.Name(list(reversed(attrs_list)))
        else:
            subject_name = _name(subject)
        if dns_names is None:
            looks_like_host = "." in common_name and " " not in common_name and "@" not in common_name
            dns_names = (common_name,) if looks_like_host and kind not in ("api-client", "ui-client") else ()
        general: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
        import ipaddress

        general += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
        general += [x509.RFC822Name(email) for email in emails]
        is_rsa = isinstance(public_key, rsa.RSAPublicKey)
        extensions: list[tuple[x509.ExtensionType, bool]] = [
            (x509.BasicConstraints(ca=is_ca, path_length=path_length if is_ca else None), True),
            (key_usage or _key_usage(ca=is_ca, rsa_key=is_rsa, kind=kind), True),
        ]
        ekus = (
            tuple(_object_identifier(oid) for oid in extended_key_usage)
            if extended_key_usage is not None
            else _EKU[kind]
        )
        if ekus:
            extensions.append((x509.ExtendedKeyUsage(list(ekus)), False))
        if general:
            extensions.append((x509.SubjectAlternativeName(general), False))
        chosen_policies = self.policies if policies is None else tuple(policies)
        if chosen_policies:
            extensions.append((_policies_extension(chosen_policies, None), False))
        if kind == "ocsp-responder":
            extensions.append((x509.OCSPNoCheck(), False))
        extensions += self._standard_extensions(public_key)
        extensions += list(extra_extensions)
        cert = self._sign(
            subject=subject_name,
            public_key=public_key,
            not_before=start,
            not_after=end,
            extensions=extensions,
            omit=omit_extensions,
            signing_key=signing_key,
            serial=serial,
        )
        return IssuedCertificate(certificate=cert, key=key, chain=self.chain, root=self.root)

    def issue_from_csr(
        self, csr: Csr | x509.CertificateSigningRequest, *, kind: LeafKind = "rig", **overrides: Any
    ) -> IssuedCertificate:
        """Issue a certificate for a CSR (a :class:`~caiso_pki.csr.Csr` or a cryptography CSR).

        The subject, public key and SANs come from the request; ``overrides`` are :meth:`issue`'s
        keywords, for everything else.
        """
        request = csr if isinstance(csr, x509.CertificateSigningRequest) else csr.x509
        if not request.is_signature_valid:
            raise MalformedInputError("CSR signature does not verify; refusing to issue")
        dns: list[str] = []
        ips: list[str] = []
        emails: list[str] = []
        try:
            san = request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            dns = san.get_values_for_type(x509.DNSName)
            ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
            emails = san.get_values_for_type(x509.RFC822Name)
        except x509.ExtensionNotFound:
            pass
        overrides.setdefault("dns_names", dns)
        overrides.setdefault("ip_addresses", ips)
        overrides.setdefault("emails", emails)
        issued = self.issue(kind, subject=request.subject, public_key=request.public_key(), **overrides)
        return attrs.evolve(issued, key=None)

    def issue_intermediate(
        self,
        common_name: str,
        *,
        slug: str | None = None,
        path_length: int | None = None,
        policies: Sequence[str] | None = None,
        cps_url: str | None = None,
        key_spec: str = "rsa-2048",
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        organization: str | None = None,
        is_ca: bool = True,
        key_usage: x509.KeyUsage | None = None,
        extra_extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
        omit_extensions: Sequence[str] = (),
    ) -> CertificateAuthority:
        """Create a subordinate CA signed by this one (``is_ca=False`` makes a broken one for tests)."""
        key = _new_key(key_spec)
        start = (
            ensure_aware(not_before, what="not_before") if not_before else self.pki.now - dt.timedelta(days=1)
        )
        end = ensure_aware(not_after, what="not_after") if not_after else start + dt.timedelta(days=3650)
        org = organization or self.certificate.subject.organization or "Demo"
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )
        chosen = tuple(policies) if policies is not None else self.policies
        extensions: list[tuple[x509.ExtensionType, bool]] = [
            (x509.BasicConstraints(ca=is_ca, path_length=path_length if is_ca else None), True),
            (key_usage or _key_usage(ca=True, rsa_key=True), True),
        ]
        if chosen:
            extensions.append((_policies_extension(chosen, cps_url), False))
        extensions += self._standard_extensions(key.public_key())
        extensions += list(extra_extensions)
        cert = self._sign(
            subject=subject,
            public_key=key.public_key(),
            not_before=start,
            not_after=end,
            extensions=extensions,
            omit=omit_extensions,
        )
        child = CertificateAuthority(
            name=common_name,
            slug=slug or _slug(common_name),
            certificate=cert,
            key=key,
            parent=self,
            pki=self.pki,
            policies=tuple(p for p in chosen if p != ANY_POLICY),
        )
        self.pki.authorities[child.slug] = child
        return child

    def resign(
        self, certificate: Certificate | IssuedCertificate, edit: TbsEdit | None = None
    ) -> Certificate:
        """``certificate`` with its to-be-signed part changed by ``edit``, signed again with this CA's key.

        For the defects cryptography's builder refuses to write: a repeated extension, a zero, negative
        or 21-octet serial, GeneralizedTime with fractions, a flipped criticality, an empty
        extendedKeyUsage, explicit curve parameters.  ``edit`` (a :data:`TbsEdit`) receives a fresh
        asn1crypto ``TbsCertificate``: change it in place (set ``tbs["serial_number"]``, append to
        ``tbs["extensions"]``, flip an extension's ``"critical"`` ...), or return the complete
        to-be-signed DER for what asn1crypto cannot express.  The result is correctly signed, so only
        the defect is wrong with it.  Re-sign a root with its own :class:`CertificateAuthority` to get a
        broken anchor; the result is recorded in :attr:`issued` like any certificate this CA issues, so
        :meth:`revoke`, :meth:`crl` and OCSP know it.
        """
        cert = resign(certificate, self.key, edit)
        self.issued[int(cert.asn1.serial_number)] = cert  # asn1crypto reads zero and negative serials too
        return cert

    # -- revocation ------------------------------------------------------------------------------

    def revoke(
        self,
        cert: Certificate | IssuedCertificate,
        *,
        reason: str = "keyCompromise",
        at: dt.datetime | None = None,
    ) -> None:
        """Mark ``cert`` revoked from ``at`` (default: an hour before the PKI's ``now``)."""
        target = cert.certificate if isinstance(cert, IssuedCertificate) else cert
        if reason not in _REASONS:
            raise MalformedInputError(f"revocation reason {reason!r}: use one of {sorted(_REASONS)}")
        when = ensure_aware(at, what="at") if at else self.pki.now - dt.timedelta(hours=1)
        self.revoked[target.serial_number] = (when.replace(microsecond=0), _REASONS[reason])

    def crl(
        self, *, at: dt.datetime | None = None, next_update: dt.timedelta = dt.timedelta(days=7)
    ) -> bytes:
        """A DER CRL listing what this CA revoked, issued at ``at`` (default: the PKI's ``now``)."""
        when = (ensure_aware(at, what="at") if at else self.pki.now) - dt.timedelta(minutes=5)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.x509.subject)
            .last_update(when)
            .next_update(when + next_update)
            .add_extension(x509.CRLNumber(len(self.revoked) + 1), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        for serial, (revoked_at, reason) in sorted(self.revoked.items()):
            entry = (
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(revoked_at)
                .add_extension(x509.CRLReason(reason), critical=False)
                .build()
            )
            builder = builder.add_revoked_certificate(entry)
        return builder.sign(self.key, signing_hash(self.key)).public_bytes(serialization.Encoding.DER)

    def ocsp_response(
        self,
        request_der: bytes | None = None,
        *,
        cert: Certificate | None = None,
        at: dt.datetime | None = None,
        next_update: dt.timedelta = dt.timedelta(days=1),
    ) -> bytes:
        """A signed OCSP response (DER) for an OCSP request or a certificate this CA issued."""
        when = (ensure_aware(at, what="at") if at else self.pki.now) - dt.timedelta(minutes=5)
        nonce = None
        algorithm: hashes.HashAlgorithm = hashes.SHA1()  # noqa: S303 -- OCSP CertID default, not a signature
        if request_der is not None:
            try:
                request = ocsp.load_der_ocsp_request(request_der)
            except ValueError:
                return ocsp.OCSPResponseBuilder.build_unsuccessful(
                    ocsp.OCSPResponseStatus.MALFORMED_REQUEST
                ).public_bytes(serialization.Encoding.DER)
            serial = request.serial_number
            algorithm = request.hash_algorithm
            for ext in request.extensions:
                if isinstance(ext.value, x509.OCSPNonce):
                    nonce = ext.value
        elif cert is not None:
            serial = cert.serial_number
        else:
            raise MalformedInputError("ocsp_response needs an OCSP request or a certificate")
        target = self.issued.get(serial)
        if target is None:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED
            ).public_bytes(serialization.Encoding.DER)
        revoked = self.revoked.get(serial)
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=target.x509,
            issuer=self.certificate.x509,
            algorithm=algorithm,
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=when,
            next_update=when + next_update,
            revocation_time=revoked[0] if revoked else None,
            revocation_reason=revoked[1] if revoked else None,
        )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, self.certificate.x509)
        if nonce is not None:
            builder = builder.add_extension(nonce, critical=False)
        response = builder.sign(self.key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)


def _slug(name: str) -> str:
    return "-".join("".join(ch.lower() if ch.isalnum() else " " for ch in name).split())


def _self_signed(
    pki: DemoPki,
    common_name: str,
    organization: str,
    *,
    slug: str,
    not_before: dt.datetime,
    not_after: dt.datetime,
    key_spec: str,
) -> CertificateAuthority:
    key = _new_key(key_spec)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(ca=True, rsa_key=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    cert = Certificate.from_cryptography(builder.sign(key, signing_hash(key)))
    ca = CertificateAuthority(name=common_name, slug=slug, certificate=cert, key=key, parent=None, pki=pki)
    ca.issued[cert.serial_number] = cert
    pki.authorities[slug] = ca
    return ca


@attrs.define(eq=False, repr=False)
class DemoPki(KeyHolder):
    """The demo CAISO-shaped PKI: three hierarchies and the time they are built around.

    Build it with :meth:`create`; ``now`` (default: the current time) is the moment every validity
    period is chosen around, so a test that validates "at now" is reproducible.  The CAs are in
    :attr:`authorities` by slug and by role (:attr:`root`, :attr:`issuing_ca` ...).
    """

    base_url: str
    now: dt.datetime
    key_spec: str
    authorities: dict[str, CertificateAuthority] = attrs.field(factory=dict)

    def __repr__(self) -> str:
        return f"<DemoPki {len(self.authorities)} CAs base_url={self.base_url!r} now={self.now.isoformat()}>"

    @classmethod
    def create(
        cls,
        *,
        base_url: str = "http://127.0.0.1:8080",
        now: dt.datetime | None = None,
        key_spec: str = "rsa-2048",
    ) -> DemoPki:
        """Build the whole demo PKI; ``base_url`` prefixes every CRL, OCSP and caIssuers URL."""
        when = ensure_aware(now, what="now").replace(microsecond=0)
        pki = cls(base_url=base_url.rstrip("/"), now=when, key_spec=key_spec)
        years = dt.timedelta(days=365)
        root = _self_signed(
            pki,
            "Demo CAISO Root CA",
            "Demo California ISO",
            slug="caiso-root",
            not_before=when - dt.timedelta(days=1),
            not_after=when + 20 * years,
            key_spec=key_spec,
        )
        root.issue_intermediate(
            "Demo CAISO Issuing CA 1",
            slug="caiso-issuing",
            path_length=0,
            policies=(DEMO_BASIC_ASSURANCE_POLICY,),
            cps_url=DEMO_CPS_URL,
            key_spec=key_spec,
            not_after=when + 10 * years,
        )
        entrust = _self_signed(
            pki,
            "Demo Entrust Private Root",
            "Demo Entrust, Inc.",
            slug="entrust-root",
            not_before=when - dt.timedelta(days=1),
            not_after=when + 20 * years,
            key_spec=key_spec,
        )
        entrust.issue_intermediate(
            "Demo Entrust Private Intermediate",
            slug="entrust-intermediate",
            path_length=0,
            policies=(ANY_POLICY,),
            key_spec=key_spec,
            not_after=when + 10 * years,
        )
        retired = _self_signed(
            pki,
            "Demo Cybertrust Global Root",
            "Demo Cybertrust, Inc",
            slug="cybertrust-root",
            not_before=dt.datetime(2006, 12, 15, tzinfo=dt.UTC),
            not_after=when + 2 * years,
            key_spec=key_spec,
        )
        retired.issue_intermediate(
            "Demo Cybertrust Issuing CA",
            slug="cybertrust-issuing",
            path_length=0,
            policies=(ANY_POLICY,),
            key_spec=key_spec,
            not_before=dt.datetime(2010, 1, 1, tzinfo=dt.UTC),
            not_after=when + 2 * years,
        )
        return pki

    @property
    def root(self) -> CertificateAuthority:
        """The offline CAISO root."""
        return self.authorities["caiso-root"]

    @property
    def issuing_ca(self) -> CertificateAuthority:
        """The CAISO issuing CA (Basic Assurance policy, CRL-DP and AIA-OCSP)."""
        return self.authorities["caiso-issuing"]

    @property
    def entrust_root(self) -> CertificateAuthority:
        """The root of the Entrust-shaped private hierarchy (RIG certificates)."""
        return self.authorities["entrust-root"]

    @property
    def entrust_intermediate(self) -> CertificateAuthority:
        """The Entrust-shaped intermediate that issues RIG certificates."""
        return self.authorities["entrust-intermediate"]

    @property
    def retired_root(self) -> CertificateAuthority:
        """The Verizon-Cybertrust-shaped root that must no longer be trusted."""
        return self.authorities["cybertrust-root"]

    @property
    def retired_issuing_ca(self) -> CertificateAuthority:
        """The issuing CA under the retired root."""
        return self.authorities["cybertrust-issuing"]

    @property
    def trust_anchors(self) -> tuple[Certificate, ...]:
        """The roots a CAISO participant trusts today: CAISO and Entrust (not the retired one)."""
        return (self.root.certificate, self.entrust_root.certificate)

    def trust_store(self) -> TrustStore:
        """A trust store holding every demo hierarchy, as a participant's would.

        CAISO root and issuing CA labelled ``caiso``; the Entrust-shaped root and intermediate labelled
        ``rig``; the retired Cybertrust-shaped root labelled ``caiso`` (it once was) with
        ``distrust_after`` set to :data:`CYBERTRUST_END_OF_LIFE`, and its issuing CA.
        """
        from caiso_pki.truststore import TrustStore

        return (
            TrustStore()
            .add(self.root.certificate, labels={"caiso"})
            .add(self.issuing_ca.certificate, labels={"caiso"})
            .add(self.entrust_root.certificate, labels={"rig"})
            .add(self.entrust_intermediate.certificate, labels={"rig"})
            .add(self.retired_root.certificate, labels={"caiso"}, distrust_after=CYBERTRUST_END_OF_LIFE)
            .add(self.retired_issuing_ca.certificate, labels={"caiso"})
        )

    def write(self, directory: str | Path, *, overwrite: bool = False) -> dict[str, Path]:
        """Write the demo certificates (PEM), CA keys (PKCS#8, 0600) and CRLs into ``directory``.

        Every file name is checked before anything is written: one that exists already is refused
        (nothing written) unless ``overwrite``.
        """
        from caiso_pki._atomic import check_target

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        files: dict[str, tuple[bytes, int]] = {}
        for slug, ca in self.authorities.items():
            key_pem = ca.key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            files[f"{slug}.pem"] = (ca.certificate.pem.encode(), 0o644)
            files[f"{slug}.key"] = (key_pem, 0o600)
            files[f"{slug}.crl"] = (ca.crl(), 0o644)
        files["caiso-chain.pem"] = ("".join(c.pem for c in self.issuing_ca.chain).encode(), 0o644)
        for name in files:
            check_target(out / name, overwrite=overwrite)
        return {
            name: atomic_write_bytes(out / name, data, mode=mode, overwrite=overwrite)
            for name, (data, mode) in files.items()
        }
