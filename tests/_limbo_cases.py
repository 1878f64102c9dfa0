"""x509-limbo's testcases outside name constraints, re-minted: the table of ``tests/test_limbo.py``.

Sources (read, not copied): ``limbo/testcases/_core.py`` (the builder's defaults, as of x509-limbo
PR #62: a leaf's default subject is ``CN=example.com`` beside the default SAN ``example.com``),
``limbo/testcases/rfc5280/__init__.py``, ``rfc5280/{aki,ski,serial,san,eku,pc,validity,crl}.py``,
``limbo/testcases/webpki/__init__.py``, ``webpki/{aki,cn,eku,ku,san}.py``, ``limbo/testcases/pathlen.py``
and ``limbo/testcases/cve.py``.  The name-constraint families (``rfc5280::nc``, ``webpki::nc``) are
re-minted in ``tests/_nc_cases.py::build_limbo``.

:class:`Builder` re-implements limbo's certificate builder with its defaults: EC P-256 keys, validity
from the epoch to a thousand years later, a root ``CN=x509-limbo-root`` with basicConstraints (critical),
keyUsage keyCertSign and cRLSign (the CRL cases need the
latter: limbo's ``issuer-missing-crlsign`` takes it away, ``certificate-not-on-crl`` keeps the default), a SAN
``example.com`` and a subjectKeyIdentifier; intermediates named
``CN=x509-limbo-intermediate-pathlen-N,OU=<parent serial>`` with an authorityKeyIdentifier; leaves with a
subjectKeyIdentifier, authorityKeyIdentifier, keyUsage digitalSignature, extendedKeyUsage serverAuth and
SAN ``example.com``.  Each case is built as limbo builds it; the three cases limbo builds from saved
certificates (``assets/``) are re-minted from their descriptions (``minted_from`` says so).

How a case is run (:class:`LimboCase`): limbo's server validation is our validation with
``server_name`` = limbo's expected peer name, the requested ``extended_key_usage`` when limbo names one
(serverAuth), ``key_usage`` likewise, the ``webpki`` profile for ``webpki::`` cases and ``rfc5280``
otherwise, limbo's validation time (now when it gives none), and, when limbo gives CRLs, those CRLs with
``revocation="require"`` (limbo's CRL cases expect a chain to fail when no usable CRL speaks for it).
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
from collections.abc import Callable, Sequence
from typing import Any

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from _rule_cases import assemble, serial
from caiso_pki import _forge
from caiso_pki.certificate import Certificate

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
THOUSAND_YEARS = EPOCH + dt.timedelta(days=365 * 1000)
ROOT_NAME = "CN=x509-limbo-root"
PRIVATE_OID = x509.ObjectIdentifier("1.3.6.1.4.1.55738.666.1")
PRECERT_OID = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.4")
JAN_2024 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

#: A limbo default: pass ``DEFAULT`` (or nothing) for limbo's default value, ``None`` to leave it out.
DEFAULT: Any = object()


@attrs.frozen
class Pair:
    """A certificate and its private key (limbo's ``CertificatePair``)."""

    cert: x509.Certificate
    key: Any

    @property
    def ours(self) -> Certificate:
        return Certificate.from_cryptography(self.cert)


@attrs.frozen
class Ext:
    """An extension value and its criticality (limbo's ``ext(...)``)."""

    value: x509.ExtensionType
    critical: bool = False


@attrs.frozen
class LimboCase:
    """One limbo testcase re-minted: the chain, limbo's verdict and how limbo's harness runs it."""

    id: str
    succeeds: bool
    leaf: Certificate
    chain: tuple[Certificate, ...]
    trust: tuple[Certificate, ...]
    server_name: str | None = "example.com"
    at: dt.datetime | None = None
    extended_key_usage: frozenset[str] = frozenset()
    key_usage: frozenset[str] = frozenset()
    crls: tuple[bytes, ...] = ()
    features: tuple[str, ...] = ()
    minted_from: str | None = None

    @property
    def profile(self) -> str:
        return "webpki" if self.id.startswith("webpki::") else "rfc5280"

    def options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"trust": self.trust, "profile": self.profile, "revocation": "off"}
        if self.extended_key_usage:
            options["extended_key_usage"] = set(self.extended_key_usage)
        if self.key_usage:
            options["key_usage"] = set(self.key_usage)
        if self.crls:
            options |= {"crls": list(self.crls), "revocation": "require"}
        return options


def _ku(*, signature: bool = False, cert_sign: bool = False, crl_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(signature, False, False, False, False, cert_sign, crl_sign, False, False)


def _name(text: str) -> x509.Name:
    return x509.Name.from_rfc4514_string(text)


def _san(*names: x509.GeneralName, critical: bool = False) -> Ext:
    return Ext(x509.SubjectAlternativeName(list(names)), critical)


def _dns(name: str) -> x509.DNSName:
    return x509.DNSName(name)


@functools.cache
def _dsa_key() -> dsa.DSAPrivateKey:
    """One DSA key for the three DSA cases (limbo makes DSA-3072 keys; the size does not matter to them:
    the Baseline Requirements refuse DSA whatever its size)."""
    return dsa.generate_private_key(2048)


class Builder:
    """limbo's ``Builder`` with its defaults (``limbo/testcases/_core.py``), minting with cryptography."""

    def _sign(
        self,
        builder: x509.CertificateBuilder,
        extensions: Sequence[Ext | None],
        signer: Any,
        unchecked: Sequence[Ext] = (),
    ) -> x509.Certificate:
        for extension in extensions:
            if extension is not None:
                builder = builder.add_extension(extension.value, critical=extension.critical)
        for extension in unchecked:  # as limbo: past the builder's duplicate check
            builder._extensions.append(
                x509.Extension(extension.value.oid, extension.critical, extension.value)
            )
        if isinstance(signer, (dsa.DSAPrivateKey, ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
            return builder.sign(signer, hashes.SHA256())
        return builder.sign(signer, hashes.SHA256())

    def _ca(
        self,
        parent: Pair | None,
        *,
        issuer: x509.Name,
        subject: x509.Name | None,
        serial_number: int | None,
        not_before: dt.datetime,
        not_after: dt.datetime,
        key: Any,
        basic_constraints: Ext | None,
        key_usage: Ext | None,
        san: Any,
        aki: Any,
        ski: Any,
        name_constraints: Ext | None,
        extra: Ext | None,
    ) -> Pair:
        key = key or ec.generate_private_key(ec.SECP256R1())
        builder = x509.CertificateBuilder(
            issuer_name=issuer,
            subject_name=subject if subject is not None else issuer,
            public_key=key.public_key(),
            serial_number=serial_number if serial_number is not None else x509.random_serial_number(),
            not_valid_before=not_before,
            not_valid_after=not_after,
        )
        extensions: list[Ext | None] = [basic_constraints, key_usage]
        extensions.append(_san(_dns("example.com")) if san is DEFAULT else san)
        if aki is DEFAULT and parent is not None:
            parent_ski = parent.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            extensions.append(Ext(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(parent_ski)))
        elif aki is DEFAULT:
            extensions.append(Ext(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key())))
        else:
            extensions.append(aki)
        extensions.append(
            Ext(x509.SubjectKeyIdentifier.from_public_key(key.public_key())) if ski is DEFAULT else ski
        )
        extensions += [name_constraints, extra]
        return Pair(self._sign(builder, extensions, parent.key if parent is not None else key), key)

    def root_ca(
        self,
        *,
        issuer: x509.Name | None = None,
        subject: x509.Name | None = None,
        serial_number: int | None = None,
        not_before: dt.datetime = EPOCH,
        not_after: dt.datetime = THOUSAND_YEARS,
        key: Any = None,
        basic_constraints: Any = DEFAULT,
        key_usage: Any = DEFAULT,
        san: Any = DEFAULT,
        aki: Any = None,
        ski: Any = DEFAULT,
        name_constraints: Ext | None = None,
        extra: Ext | None = None,
    ) -> Pair:
        return self._ca(
            None,
            issuer=issuer or _name(ROOT_NAME),
            subject=subject,
            serial_number=serial_number,
            not_before=not_before,
            not_after=not_after,
            key=key,
            basic_constraints=Ext(x509.BasicConstraints(True, None), True)
            if basic_constraints is DEFAULT
            else basic_constraints,
            key_usage=Ext(_ku(cert_sign=True, crl_sign=True)) if key_usage is DEFAULT else key_usage,
            san=san,
            aki=aki,
            ski=ski,
            name_constraints=name_constraints,
            extra=extra,
        )

    def intermediate_ca(
        self,
        parent: Pair,
        *,
        pathlen: int | None = None,
        subject: x509.Name | None = None,
        not_before: dt.datetime = EPOCH,
        not_after: dt.datetime = THOUSAND_YEARS,
        key: Any = None,
        basic_constraints: Any = DEFAULT,
        key_usage: Any = DEFAULT,
        san: Any = DEFAULT,
        aki: Any = DEFAULT,
        ski: Any = DEFAULT,
        name_constraints: Ext | None = None,
        extra: Ext | None = None,
    ) -> Pair:
        if subject is None:
            # limbo puts the parent's serial in the subject, so that no chain is accidentally self-issued
            subject = _name(f"CN=x509-limbo-intermediate-pathlen-{pathlen},OU={parent.cert.serial_number}")
        return self._ca(
            parent,
            issuer=parent.cert.subject,
            subject=subject,
            serial_number=None,
            not_before=not_before,
            not_after=not_after,
            key=key,
            basic_constraints=Ext(x509.BasicConstraints(True, pathlen), True)
            if basic_constraints is DEFAULT
            else basic_constraints,
            key_usage=Ext(_ku(cert_sign=True)) if key_usage is DEFAULT else key_usage,
            san=san,
            aki=aki,
            ski=ski,
            name_constraints=name_constraints,
            extra=extra,
        )

    def leaf_cert(
        self,
        parent: Pair,
        *,
        issuer: x509.Name | None = None,
        subject: Any = DEFAULT,
        serial_number: int | None = None,
        not_before: dt.datetime = EPOCH,
        not_after: dt.datetime = THOUSAND_YEARS,
        key: Any = None,
        basic_constraints: Ext | None = None,
        key_usage: Any = DEFAULT,
        eku: Any = DEFAULT,
        san: Any = DEFAULT,
        aki: Any = DEFAULT,
        extra: Ext | None = None,
        unchecked: Sequence[Ext] = (),
        v1_without_extensions: bool = False,
    ) -> Pair:
        if subject is DEFAULT:
            subject = _name("CN=example.com")
        elif subject is None:
            subject = x509.Name([])
        key = key or ec.generate_private_key(ec.SECP256R1())
        builder = x509.CertificateBuilder(
            issuer_name=issuer if issuer is not None else parent.cert.subject,
            subject_name=subject,
            public_key=key.public_key(),
            serial_number=serial_number if serial_number is not None else x509.random_serial_number(),
            not_valid_before=not_before,
            not_valid_after=not_after,
        )
        extensions: list[Ext | None] = [
            Ext(x509.SubjectKeyIdentifier.from_public_key(key.public_key())),
            basic_constraints,
            Ext(x509.AuthorityKeyIdentifier.from_issuer_public_key(parent.key.public_key()))
            if aki is DEFAULT
            else aki,
            Ext(_ku(signature=True)) if key_usage is DEFAULT else key_usage,
            Ext(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])) if eku is DEFAULT else eku,
            _san(_dns("example.com")) if san is DEFAULT else san,
            extra,
        ]
        if v1_without_extensions:
            builder._version = x509.Version.v1
            extensions, unchecked = [], ()
        return Pair(self._sign(builder, extensions, parent.key, unchecked), key)

    def crl(
        self,
        signer: Pair,
        revoked: Sequence[tuple[int, dt.datetime, Ext | None]] = (),
        *,
        issuer: x509.Name | None = None,
        signing_key: Any = None,
        last_update: dt.datetime = EPOCH,
        next_update: dt.datetime = THOUSAND_YEARS,
        crl_number: Any = DEFAULT,
        extra: Ext | None = None,
    ) -> bytes:
        """A CRL as limbo's builder makes it: by ``signer`` (its name, an AKI of its key, CRLNumber 1)."""
        from cryptography.hazmat.primitives.serialization import Encoding

        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer or signer.cert.subject)
            .last_update(last_update)
            .next_update(next_update)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.key.public_key()), False)
        )
        number = Ext(x509.CRLNumber(1)) if crl_number is DEFAULT else crl_number
        if number is not None:
            builder = builder.add_extension(number.value, number.critical)
        if extra is not None:
            builder = builder.add_extension(extra.value, extra.critical)
        for number_, when, entry_extension in revoked:
            entry = x509.RevokedCertificateBuilder().serial_number(number_).revocation_date(when)
            if entry_extension is not None:
                entry = entry.add_extension(entry_extension.value, entry_extension.critical)
            builder = builder.add_revoked_certificate(entry.build())
        return builder.sign(signing_key or signer.key, hashes.SHA256()).public_bytes(Encoding.DER)


# -- the table ----------------------------------------------------------------------------------------

Table = dict[str, LimboCase]
Maker = Callable[[Builder], LimboCase]
MAKERS: dict[str, Maker] = {}


def case(limbo_id: str) -> Callable[[Maker], Maker]:
    def register(maker: Maker) -> Maker:
        assert limbo_id not in MAKERS, limbo_id
        MAKERS[limbo_id] = maker
        return maker

    return register


def _ours(*pairs: Pair | Certificate) -> tuple[Certificate, ...]:
    return tuple(p if isinstance(p, Certificate) else p.ours for p in pairs)


def direct(
    limbo_id: str,
    succeeds: bool,
    root: Pair,
    leaf: Pair | Certificate,
    *,
    chain: Sequence[Pair | Certificate] = (),
    **kw: Any,
) -> LimboCase:
    """limbo's ``trusted_certs(root).untrusted_intermediates(*chain).peer_certificate(leaf)``."""
    leaf_cert = leaf if isinstance(leaf, Certificate) else leaf.ours
    return LimboCase(limbo_id, succeeds, leaf_cert, _ours(*chain), _ours(root), **kw)


SERVER_AUTH = frozenset({"serverAuth"})


def build() -> Table:
    """Every re-minted case, by limbo id."""
    table: Table = {}
    for limbo_id, maker in MAKERS.items():
        made = maker(Builder())
        assert made.id == limbo_id, (made.id, limbo_id)
        table[limbo_id] = made
    return table


# -- rfc5280:: ----------------------------------------------------------------------------------------


@case("rfc5280::ee-empty-issuer")
def _ee_empty_issuer(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = b.leaf_cert(root, issuer=x509.Name([]), subject=_name("CN=empty-issuer"))
    return direct("rfc5280::ee-empty-issuer", False, root, leaf)


@case("rfc5280::ca-empty-subject")
def _ca_empty_subject(b: Builder) -> LimboCase:
    root = b.root_ca(subject=x509.Name([]))
    return direct("rfc5280::ca-empty-subject", False, root, b.leaf_cert(root))


def _unknown_critical() -> Ext:
    return Ext(x509.UnrecognizedExtension(PRIVATE_OID, b""), True)


@case("rfc5280::unknown-critical-extension-ee")
def _unknown_ee(b: Builder) -> LimboCase:
    root = b.root_ca()
    return direct(
        "rfc5280::unknown-critical-extension-ee", False, root, b.leaf_cert(root, extra=_unknown_critical())
    )


@case("rfc5280::unknown-critical-extension-root")
def _unknown_root(b: Builder) -> LimboCase:
    root = b.root_ca(extra=_unknown_critical())
    return direct("rfc5280::unknown-critical-extension-root", False, root, b.leaf_cert(root))


@case("rfc5280::unknown-critical-extension-intermediate")
def _unknown_intermediate(b: Builder) -> LimboCase:
    root = b.root_ca()
    ica = b.intermediate_ca(root, pathlen=0, extra=_unknown_critical())
    return direct(
        "rfc5280::unknown-critical-extension-intermediate", False, root, b.leaf_cert(ica), chain=[ica]
    )


@case("rfc5280::chain-untrusted-root")
def _untrusted_root(b: Builder) -> LimboCase:
    root = b.root_ca()
    ica = b.intermediate_ca(root, pathlen=0)
    unrelated = b.root_ca(issuer=_name("CN=x509-limbo-unrelated-root"))
    return direct("rfc5280::chain-untrusted-root", False, unrelated, b.leaf_cert(ica), chain=[root, ica])


@case("rfc5280::intermediate-ca-without-ca-bit")
def _ica_without_ca(b: Builder) -> LimboCase:
    root = b.root_ca()
    ica = b.intermediate_ca(root, basic_constraints=Ext(x509.BasicConstraints(False, None), True))
    return direct("rfc5280::intermediate-ca-without-ca-bit", False, root, b.leaf_cert(ica), chain=[ica])


@case("rfc5280::intermediate-ca-missing-basic-constraints")
def _ica_without_bc(b: Builder) -> LimboCase:
    root = b.root_ca()
    ica = b.intermediate_ca(root, basic_constraints=None)
    # limbo offers no intermediates here: the chain fails either way
    return direct("rfc5280::intermediate-ca-missing-basic-constraints", False, root, b.leaf_cert(ica))


@case("rfc5280::root-missing-basic-constraints")
def _root_without_bc(b: Builder) -> LimboCase:
    root = b.root_ca(basic_constraints=None)
    return direct("rfc5280::root-missing-basic-constraints", False, root, b.leaf_cert(root))


@case("rfc5280::root-non-critical-basic-constraints")
def _root_bc_not_critical(b: Builder) -> LimboCase:
    root = b.root_ca(basic_constraints=Ext(x509.BasicConstraints(True, None), False))
    return direct("rfc5280::root-non-critical-basic-constraints", False, root, b.leaf_cert(root))


@case("rfc5280::root-inconsistent-ca-extensions")
def _root_inconsistent(b: Builder) -> LimboCase:
    root = b.root_ca(key_usage=Ext(_ku()))
    return direct("rfc5280::root-inconsistent-ca-extensions", False, root, b.leaf_cert(root))


@case("rfc5280::ica-ku-keycertsign")
def _ica_ku(b: Builder) -> LimboCase:
    root = b.root_ca()
    ica = b.intermediate_ca(root, pathlen=0, key_usage=Ext(_ku()))
    return direct("rfc5280::ica-ku-keycertsign", False, root, b.leaf_cert(ica))


@case("rfc5280::leaf-ku-keycertsign")
def _leaf_ku(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = b.leaf_cert(
        root,
        basic_constraints=Ext(x509.BasicConstraints(False, None), True),
        key_usage=Ext(_ku(signature=True, cert_sign=True)),
    )
    return direct("rfc5280::leaf-ku-keycertsign", False, root, leaf)


def _aia(critical: bool) -> Ext:
    return Ext(
        x509.AuthorityInformationAccess(
            [x509.AccessDescription(x509.AuthorityInformationAccessOID.CA_ISSUERS, _dns("example.com"))]
        ),
        critical,
    )


@case("rfc5280::ee-aia")
def _ee_aia(b: Builder) -> LimboCase:
    root = b.root_ca()
    return direct("rfc5280::ee-aia", True, root, b.leaf_cert(root, extra=_aia(False)))


@case("rfc5280::ee-critical-aia-invalid")
def _ee_critical_aia(b: Builder) -> LimboCase:
    root = b.root_ca()
    return direct("rfc5280::ee-critical-aia-invalid", False, root, b.leaf_cert(root, extra=_aia(True)))


@case("rfc5280::duplicate-extensions")
def _duplicates(b: Builder) -> LimboCase:
    root = b.root_ca()
    twice = [_san(_dns("example.com")), _san(_dns("example.com"))]
    return direct("rfc5280::duplicate-extensions", False, root, b.leaf_cert(root, san=None, unchecked=twice))


@case("rfc5280::no-keyusage")
def _no_ku(b: Builder) -> LimboCase:
    root = b.root_ca()
    return direct("rfc5280::no-keyusage", True, root, b.leaf_cert(root, key_usage=None))


@case("rfc5280::no-basicconstraints")
def _no_bc(b: Builder) -> LimboCase:
    root = b.root_ca()
    return direct("rfc5280::no-basicconstraints", True, root, b.leaf_cert(root, basic_constraints=None))


@case("rfc5280::mismatching-signature-algorithm")
def _mismatching_signature(b: Builder) -> LimboCase:
    root = b.root_ca()
    ica = b.intermediate_ca(root)
    leaf = b.leaf_cert(ica, subject=_name("CN=cryptography.io"), san=_san(_dns("cryptography.io")))
    # the root's outer signatureAlgorithm names another algorithm than its to-be-signed signature field
    broken = assemble(root.ours, outer=bytes.fromhex("300a06082a8648ce3d040303"))
    return LimboCase(
        "rfc5280::mismatching-signature-algorithm",
        False,
        leaf.ours,
        (ica.ours,),
        (broken,),
        server_name="cryptography.io",
        minted_from="limbo's saved cryptography.io chain, its root edited so its two algorithm fields differ",
    )


@case("rfc5280::ca-as-leaf")
def _ca_as_leaf(b: Builder) -> LimboCase:
    root = b.root_ca()
    ica = b.intermediate_ca(root, san=_san(_dns("ca.example.com")))
    return direct("rfc5280::ca-as-leaf", True, root, ica, server_name="ca.example.com")


@case("rfc5280::ca-as-leaf-wrong-san")
def _ca_as_leaf_wrong_san(b: Builder) -> LimboCase:
    root = b.root_ca()
    ica = b.intermediate_ca(root, san=_san(_dns("ca.example.com")))
    return direct("rfc5280::ca-as-leaf-wrong-san", False, root, ica, server_name="some-other-ca.example.com")


@case("rfc5280::root-and-intermediate-swapped")
def _swapped(b: Builder) -> LimboCase:
    root = b.root_ca()
    ica = b.intermediate_ca(root)
    return direct("rfc5280::root-and-intermediate-swapped", True, ica, b.leaf_cert(ica), chain=[root])


# rfc5280::aki


@case("rfc5280::aki::critical-aki")
def _critical_aki(b: Builder) -> LimboCase:
    key = ec.generate_private_key(ec.SECP256R1())
    root = b.root_ca(
        key=key, aki=Ext(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), True)
    )
    return direct("rfc5280::aki::critical-aki", False, root, b.leaf_cert(root))


@case("rfc5280::aki::leaf-missing-aki")
def _leaf_missing_aki(b: Builder) -> LimboCase:
    root = b.root_ca()
    return direct("rfc5280::aki::leaf-missing-aki", False, root, b.leaf_cert(root, aki=None))


@case("rfc5280::aki::intermediate-missing-aki")
def _ica_missing_aki(b: Builder) -> LimboCase:
    root = b.root_ca()
    ica = b.intermediate_ca(root, pathlen=0, aki=None)
    return direct("rfc5280::aki::intermediate-missing-aki", False, root, b.leaf_cert(ica), chain=[ica])


@case("rfc5280::aki::self-signed-root-missing-aki")
def _root_missing_aki(b: Builder) -> LimboCase:
    root = b.root_ca(aki=None)
    return direct("rfc5280::aki::self-signed-root-missing-aki", True, root, b.leaf_cert(root))


@case("rfc5280::aki::cross-signed-root-missing-aki")
def _cross_signed_missing_aki(b: Builder) -> LimboCase:
    signer = b.root_ca()
    root = b.intermediate_ca(signer, pathlen=0, aki=None)
    return direct(
        "rfc5280::aki::cross-signed-root-missing-aki",
        False,
        root,
        b.leaf_cert(root),
        features=("pedantic-rfc5280",),
    )


# rfc5280::ski


@case("rfc5280::ski::critical-ski")
def _critical_ski(b: Builder) -> LimboCase:
    key = ec.generate_private_key(ec.SECP256R1())
    root = b.root_ca(key=key, ski=Ext(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), True))
    return direct("rfc5280::ski::critical-ski", False, root, b.leaf_cert(root))


@case("rfc5280::ski::root-missing-ski")
def _root_missing_ski(b: Builder) -> LimboCase:
    root = b.root_ca(ski=None)
    return direct("rfc5280::ski::root-missing-ski", False, root, b.leaf_cert(root))


@case("rfc5280::ski::intermediate-missing-ski")
def _ica_missing_ski(b: Builder) -> LimboCase:
    root = b.root_ca()
    ica = b.intermediate_ca(root, ski=None)
    return direct("rfc5280::ski::intermediate-missing-ski", False, root, b.leaf_cert(ica), chain=[ica])


# rfc5280::serial


@case("rfc5280::serial::serial-number-too-long")
def _serial_too_long(b: Builder) -> LimboCase:
    root = b.root_ca()
    # 22 octets (limbo: "many implementations are permissive of 21-octet encodings"); cryptography's
    # builder refuses serials over 159 bits, so the serial is written into the signed certificate
    leaf = _forge.resign(b.leaf_cert(root).ours, root.key, serial(b"\x7f" + bytes(range(1, 22))))
    return direct(
        "rfc5280::serial::serial-number-too-long", False, root, leaf, features=("pedantic-serial-number",)
    )


@case("rfc5280::serial::serial-number-zero")
def _serial_zero(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = b.leaf_cert(root, serial_number=1)
    zero = _forge.resign(leaf.ours, root.key, serial(b"\x00"))
    return direct(
        "rfc5280::serial::serial-number-zero", False, root, zero, features=("pedantic-serial-number",)
    )


@case("rfc5280::serial::serial-number-negative")
def _serial_negative(b: Builder) -> LimboCase:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("CN=gov.us")
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(dt.datetime(2016, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2017, 1, 1, tzinfo=dt.UTC))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(x509.SubjectAlternativeName([_dns("gov.us")]), False)
    )
    cert = Certificate.from_cryptography(builder.sign(key, hashes.SHA256()))
    negative = _forge.resign(cert, key, serial(b"\xfe\x01"))
    return LimboCase(
        "rfc5280::serial::serial-number-negative",
        False,
        negative,
        (),
        (negative,),
        server_name="gov.us",
        at=dt.datetime(2016, 9, 1, tzinfo=dt.UTC),
        features=("pedantic-serial-number",),
        minted_from="limbo's saved negative_serial.pem: a certificate for gov.us with a negative serial, "
        "trusted directly",
    )


# rfc5280::san


@case("rfc5280::san::malformed")
def _san_malformed(b: Builder) -> LimboCase:
    root = b.root_ca()
    bad = Ext(x509.UnrecognizedExtension(x509.ExtensionOID.SUBJECT_ALTERNATIVE_NAME, b"example.com"))
    return direct("rfc5280::san::malformed", False, root, b.leaf_cert(root, san=None, extra=bad))


@case("rfc5280::san::noncritical-with-empty-subject")
def _san_empty_subject(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = b.leaf_cert(root, subject=None, san=_san(_dns("example.com")))
    return direct("rfc5280::san::noncritical-with-empty-subject", False, root, leaf)


# rfc5280::eku


@case("rfc5280::eku::ee-wrong-eku")
def _ee_wrong_eku(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = b.leaf_cert(root, eku=Ext(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])))
    return direct("rfc5280::eku::ee-wrong-eku", False, root, leaf, extended_key_usage=SERVER_AUTH)


@case("rfc5280::eku::ee-without-eku")
def _ee_without_eku(b: Builder) -> LimboCase:
    root = b.root_ca()
    return direct("rfc5280::eku::ee-without-eku", True, root, b.leaf_cert(root, eku=None))


# rfc5280::pc


@case("rfc5280::pc::ica-noncritical-pc")
def _ica_noncritical_pc(b: Builder) -> LimboCase:
    root = b.root_ca()
    ica = b.intermediate_ca(root, extra=Ext(x509.PolicyConstraints(3, None), False))
    return direct(
        "rfc5280::pc::ica-noncritical-pc",
        False,
        root,
        b.leaf_cert(ica),
        chain=[ica],
        features=("has-policy-constraints",),
    )


# rfc5280::validity


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _three(
    b: Builder, root: tuple[str, str], ica: tuple[str, str], leaf: tuple[str, str]
) -> tuple[Pair, Pair, Pair]:
    r = b.root_ca(not_before=_time(root[0]), not_after=_time(root[1]))
    i = b.intermediate_ca(r, not_before=_time(ica[0]), not_after=_time(ica[1]))
    return r, i, b.leaf_cert(i, not_before=_time(leaf[0]), not_after=_time(leaf[1]))


for _limbo_id, _spans, _at, _ok in (
    (
        "rfc5280::validity::expired-root",
        (("2016-01-01", "2020-01-01"), ("2016-01-01", "2026-01-01"), ("2018-01-01", "2023-01-01")),
        "2022-01-01T00:00:00Z",
        False,
    ),
    (
        "rfc5280::validity::expired-intermediate",
        (("2016-01-01", "2026-01-01"), ("2016-01-01", "2020-01-01"), ("2018-01-01", "2023-01-01")),
        "2022-01-01T00:00:00Z",
        False,
    ),
    (
        "rfc5280::validity::expired-leaf",
        (("2016-01-01", "2026-01-01"), ("2016-01-01", "2026-01-01"), ("2018-01-01", "2021-01-01")),
        "2022-01-01T00:00:00Z",
        False,
    ),
    (
        "rfc5280::validity::notbefore-exact",
        (("2024-03-01", "2024-04-01"),) * 3,
        "2024-03-01T00:00:00Z",
        True,
    ),
    (
        "rfc5280::validity::notbefore-fractional",
        (("2024-03-01T00:00:01", "2024-04-01"),) * 3,
        "2024-03-01T00:00:00.999Z",
        False,
    ),
    (
        "rfc5280::validity::notafter-exact",
        (("2024-03-01", "2024-04-01"),) * 3,
        "2024-04-01T00:00:00Z",
        True,
    ),
    (
        "rfc5280::validity::notafter-fractional",
        (("2024-03-01", "2024-04-01"),) * 3,
        "2024-04-01T00:00:00.005Z",
        True,
    ),
):

    def _validity(
        b: Builder,
        limbo_id: str = _limbo_id,
        spans: Any = _spans,
        at: str = _at,
        ok: bool = _ok,
    ) -> LimboCase:
        full = [
            tuple(f"{t}T00:00:00+00:00" if "T" not in t else f"{t}+00:00" for t in span) for span in spans
        ]
        root, ica, leaf = _three(b, *full)  # type: ignore[arg-type]
        return direct(limbo_id, ok, root, leaf, chain=[ica], at=_time(at))

    case(_limbo_id)(_validity)


# rfc5280::crl (CRLs given to the validator; revocation required)


def _crl_leaf(b: Builder, root: Pair, host: str = "example.com", **kw: Any) -> Pair:
    if host != "example.com":
        kw |= {"subject": _name(f"CN={host}"), "san": _san(_dns(host))}
    return b.leaf_cert(root, **kw)


def _crl_case(
    limbo_id: str, ok: bool, root: Pair | Sequence[Pair], leaf: Pair, crls: Sequence[bytes], **kw: Any
) -> LimboCase:
    roots = (root,) if isinstance(root, Pair) else tuple(root)
    kw.setdefault("at", JAN_2024)
    return LimboCase(
        limbo_id, ok, leaf.ours, (), _ours(*roots), crls=tuple(crls), features=("has-crl",), **kw
    )


DAY = dt.timedelta(days=1)


@case("rfc5280::crl::revoked-certificate-with-crl")
def _crl_revoked(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = _crl_leaf(b, root, "revoked.example.com")
    crl = b.crl(root, [(leaf.cert.serial_number, JAN_2024 - DAY, None)])
    return _crl_case(
        "rfc5280::crl::revoked-certificate-with-crl",
        False,
        root,
        leaf,
        [crl],
        server_name="revoked.example.com",
    )


@case("rfc5280::crl::crlnumber-missing")
def _crl_number_missing(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = _crl_leaf(b, root, "missing-crlnumber.example.com")
    at = EPOCH + 2 * dt.timedelta(seconds=1)
    crl = b.crl(root, [(x509.random_serial_number(), EPOCH + dt.timedelta(seconds=1), None)], crl_number=None)
    return _crl_case(
        "rfc5280::crl::crlnumber-missing",
        False,
        root,
        leaf,
        [crl],
        at=at,
        server_name="missing-crlnumber.example.com",
    )


@case("rfc5280::crl::certificate-not-on-crl")
def _crl_not_on(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = _crl_leaf(b, root)
    revoked = [(x509.random_serial_number(), JAN_2024 - n * DAY, None) for n in (1, 2)]
    return _crl_case("rfc5280::crl::certificate-not-on-crl", True, root, leaf, [b.crl(root, revoked)])


@case("rfc5280::crl::certificate-serial-on-crl-different-issuer")
def _crl_other_issuer(b: Builder) -> LimboCase:
    root1 = b.root_ca(issuer=_name("CN=Root CA 1"))
    root2 = b.root_ca(issuer=_name("CN=Root CA 2"))
    leaf = _crl_leaf(b, root1)
    crl1 = b.crl(root1)
    crl2 = b.crl(root2, [(leaf.cert.serial_number, JAN_2024 - DAY, None)])
    return _crl_case(
        "rfc5280::crl::certificate-serial-on-crl-different-issuer", True, (root1, root2), leaf, [crl1, crl2]
    )


@case("rfc5280::crl::crlnumber-critical")
def _crl_number_critical(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = _crl_leaf(b, root, "crlnumber-critical.example.com")
    crl = b.crl(
        root,
        [(x509.random_serial_number(), EPOCH + dt.timedelta(seconds=1), None)],
        crl_number=Ext(x509.CRLNumber(12345), True),
    )
    return _crl_case(
        "rfc5280::crl::crlnumber-critical",
        False,
        root,
        leaf,
        [crl],
        at=EPOCH + 2 * dt.timedelta(seconds=1),
        server_name="crlnumber-critical.example.com",
    )


@case("rfc5280::crl::issuer-missing-crlsign")
def _crl_no_crlsign(b: Builder) -> LimboCase:
    root = b.root_ca(key_usage=Ext(_ku(cert_sign=True)))
    leaf = _crl_leaf(b, root, "issuer-missing-crlsign.example.com")
    crl = b.crl(root, [(x509.random_serial_number(), JAN_2024 - DAY, None)])
    return _crl_case(
        "rfc5280::crl::issuer-missing-crlsign",
        False,
        root,
        leaf,
        [crl],
        server_name="issuer-missing-crlsign.example.com",
    )


@case("rfc5280::crl::issuer-no-keyusage-extension")
def _crl_no_ku(b: Builder) -> LimboCase:
    root = b.root_ca(key_usage=None)
    leaf = _crl_leaf(b, root, "issuer-no-keyusage.example.com")
    crl = b.crl(root, [(x509.random_serial_number(), JAN_2024 - DAY, None)])
    return _crl_case(
        "rfc5280::crl::issuer-no-keyusage-extension",
        True,
        root,
        leaf,
        [crl],
        server_name="issuer-no-keyusage.example.com",
    )


@case("rfc5280::crl::issuer-valid-crlsign-and-keycertsign")
def _crl_crlsign(b: Builder) -> LimboCase:
    root = b.root_ca(key_usage=Ext(_ku(cert_sign=True, crl_sign=True)))
    leaf = _crl_leaf(b, root, "issuer-valid-crlsign.example.com")
    crl = b.crl(root, [(x509.random_serial_number(), JAN_2024 - DAY, None)])
    return _crl_case(
        "rfc5280::crl::issuer-valid-crlsign-and-keycertsign",
        True,
        root,
        leaf,
        [crl],
        server_name="issuer-valid-crlsign.example.com",
    )


@case("rfc5280::crl::crl-invalid-signature")
def _crl_bad_signature(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = _crl_leaf(b, root)
    crl = b.crl(
        root,
        [(x509.random_serial_number(), JAN_2024 - DAY, None)],
        signing_key=ec.generate_private_key(ec.SECP256R1()),
    )
    return _crl_case("rfc5280::crl::crl-invalid-signature", False, root, leaf, [crl], server_name=None)


@case("rfc5280::crl::crl-wrong-signing-key")
def _crl_wrong_key(b: Builder) -> LimboCase:
    root1 = b.root_ca(issuer=_name("CN=Root CA 1"))
    root2 = b.root_ca(issuer=_name("CN=Root CA 2"))
    leaf = _crl_leaf(b, root1)
    crl = b.crl(root2, [(x509.random_serial_number(), JAN_2024 - DAY, None)], issuer=root1.cert.subject)
    return _crl_case(
        "rfc5280::crl::crl-wrong-signing-key", False, (root1, root2), leaf, [crl], server_name=None
    )


@case("rfc5280::crl::crl-empty")
def _crl_empty(b: Builder) -> LimboCase:
    root = b.root_ca()
    return _crl_case(
        "rfc5280::crl::crl-empty", True, root, _crl_leaf(b, root), [b.crl(root)], server_name=None
    )


@case("rfc5280::crl::crl-very-large")
def _crl_large(b: Builder) -> LimboCase:
    root = b.root_ca()
    revoked = [(x509.random_serial_number(), EPOCH, None) for _ in range(10_000)]
    return _crl_case(
        "rfc5280::crl::crl-very-large",
        True,
        root,
        _crl_leaf(b, root),
        [b.crl(root, revoked)],
        server_name=None,
    )


for _limbo_id, _critical, _ok in (
    ("rfc5280::crl::crl-unknown-critical-extension", True, False),
    ("rfc5280::crl::crl-unknown-noncritical-extension", False, True),
):

    def _crl_extension(
        b: Builder, limbo_id: str = _limbo_id, critical: bool = _critical, ok: bool = _ok
    ) -> LimboCase:
        root = b.root_ca()
        crl = b.crl(
            root,
            [(x509.random_serial_number(), JAN_2024 - DAY, None)],
            extra=Ext(x509.UnrecognizedExtension(PRIVATE_OID, b""), critical),
        )
        return _crl_case(limbo_id, ok, root, _crl_leaf(b, root), [crl], server_name=None)

    case(_limbo_id)(_crl_extension)


for _limbo_id, _critical in (
    ("rfc5280::crl::entry-unknown-critical-extension", True),
    ("rfc5280::crl::entry-unknown-noncritical-extension", False),
):

    def _crl_entry(b: Builder, limbo_id: str = _limbo_id, critical: bool = _critical) -> LimboCase:
        root = b.root_ca()
        leaf = _crl_leaf(b, root)
        entry = Ext(x509.UnrecognizedExtension(PRIVATE_OID, b""), critical)
        crl = b.crl(root, [(leaf.cert.serial_number, JAN_2024 - DAY, entry)])
        return _crl_case(limbo_id, False, root, leaf, [crl], server_name=None)

    case(_limbo_id)(_crl_entry)


@case("rfc5280::crl::this-update-in-future")
def _crl_future(b: Builder) -> LimboCase:
    root = b.root_ca()
    crl = b.crl(root, last_update=JAN_2024 + DAY, next_update=JAN_2024 + 30 * DAY)
    return _crl_case(
        "rfc5280::crl::this-update-in-future", False, root, _crl_leaf(b, root), [crl], server_name=None
    )


@case("rfc5280::crl::next-update-in-past")
def _crl_past(b: Builder) -> LimboCase:
    root = b.root_ca()
    crl = b.crl(root, last_update=JAN_2024 - 60 * DAY, next_update=JAN_2024 - 30 * DAY)
    return _crl_case(
        "rfc5280::crl::next-update-in-past", False, root, _crl_leaf(b, root), [crl], server_name=None
    )


@case("rfc5280::crl::revocation-date-in-future")
def _crl_revoked_later(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = _crl_leaf(b, root)
    crl = b.crl(
        root,
        [(leaf.cert.serial_number, JAN_2024 + DAY, None)],
        last_update=JAN_2024 - DAY,
        next_update=JAN_2024 + 30 * DAY,
    )
    return _crl_case("rfc5280::crl::revocation-date-in-future", False, root, leaf, [crl], server_name=None)


@case("rfc5280::crl::revocation-date-before-not-before")
def _crl_revoked_before(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = _crl_leaf(b, root, not_before=JAN_2024 - 30 * DAY)
    crl = b.crl(
        root,
        [(leaf.cert.serial_number, JAN_2024 - 60 * DAY, None)],
        last_update=JAN_2024 - DAY,
        next_update=JAN_2024 + 30 * DAY,
    )
    return _crl_case(
        "rfc5280::crl::revocation-date-before-not-before", False, root, leaf, [crl], server_name=None
    )


@case("rfc5280::crl::crl-validity-no-overlap")
def _crl_no_overlap(b: Builder) -> LimboCase:
    root = b.root_ca()
    crl = b.crl(root, last_update=JAN_2024 - 365 * DAY, next_update=JAN_2024 - 180 * DAY)
    leaf = _crl_leaf(b, root, not_before=JAN_2024 - 30 * DAY, not_after=JAN_2024 + 30 * DAY)
    return _crl_case("rfc5280::crl::crl-validity-no-overlap", False, root, leaf, [crl], server_name=None)


# -- webpki:: -----------------------------------------------------------------------------------------


def _web_chain(b: Builder) -> tuple[Pair, Pair, Pair]:
    root = b.root_ca(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    ica = b.intermediate_ca(root)
    leaf = b.leaf_cert(ica, subject=_name("CN=cryptography.io"), san=_san(_dns("cryptography.io")))
    return root, ica, leaf


@case("webpki::cryptographydotio-chain")
def _cryptography_io(b: Builder) -> LimboCase:
    root, ica, leaf = _web_chain(b)
    return direct(
        "webpki::cryptographydotio-chain",
        True,
        root,
        leaf,
        chain=[ica],
        server_name="cryptography.io",
        at=_time("2023-07-10T00:00:00Z"),
        key_usage=frozenset({"digitalSignature"}),
        minted_from="limbo's saved cryptography.io chain: root -> intermediate -> leaf for cryptography.io",
    )


@case("webpki::cryptographydotio-chain-missing-intermediate")
def _cryptography_io_missing(b: Builder) -> LimboCase:
    root, _, leaf = _web_chain(b)
    return direct(
        "webpki::cryptographydotio-chain-missing-intermediate",
        False,
        root,
        leaf,
        server_name="cryptography.io",
        at=_time("2023-07-10T00:00:00Z"),
        key_usage=frozenset({"digitalSignature"}),
        minted_from="limbo's saved cryptography.io chain, without its intermediate",
    )


@case("webpki::malformed-aia")
def _malformed_aia(b: Builder) -> LimboCase:
    root = b.root_ca()
    bad = Ext(x509.UnrecognizedExtension(x509.ExtensionOID.AUTHORITY_INFORMATION_ACCESS, b"malformed"))
    return direct("webpki::malformed-aia", False, root, b.leaf_cert(root, extra=bad))


@case("webpki::forbidden-p192-spki-leaf")
def _p192(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = b.leaf_cert(root, key=ec.generate_private_key(ec.SECP192R1()))
    return direct("webpki::forbidden-p192-spki-leaf", False, root, leaf, features=("pedantic-webpki",))


@case("webpki::forbidden-dsa-spki-leaf")
def _dsa_leaf(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = b.leaf_cert(root, key=_dsa_key())
    return direct("webpki::forbidden-dsa-spki-leaf", False, root, leaf, features=("pedantic-webpki",))


@case("webpki::forbidden-signature-algorithm-in-root")
def _dsa_root(b: Builder) -> LimboCase:
    root = b.root_ca(key=_dsa_key())
    return direct("webpki::forbidden-signature-algorithm-in-root", False, root, b.leaf_cert(root))


@case("webpki::forbidden-signature-algorithm-in-leaf")
def _dsa_in_leaf(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = b.leaf_cert(root, key=_dsa_key())
    return direct(
        "webpki::forbidden-signature-algorithm-in-leaf", False, root, leaf, features=("pedantic-webpki",)
    )


@case("webpki::v1-cert")
def _v1(b: Builder) -> LimboCase:
    root = b.root_ca()
    return direct("webpki::v1-cert", False, root, b.leaf_cert(root, v1_without_extensions=True))


@case("webpki::ee-basicconstraints-ca")
def _ee_ca(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = b.leaf_cert(root, basic_constraints=Ext(x509.BasicConstraints(True, None), True))
    return direct("webpki::ee-basicconstraints-ca", False, root, leaf)


@case("webpki::ca-as-leaf")
def _web_ca_as_leaf(b: Builder) -> LimboCase:
    root = b.root_ca()
    ica = b.intermediate_ca(root, san=_san(_dns("ca.example.com")))
    return direct("webpki::ca-as-leaf", False, root, ica, server_name="ca.example.com")


# webpki::aki


def _aki_root(b: Builder, limbo_id: str, make: Callable[[Any], x509.AuthorityKeyIdentifier]) -> LimboCase:
    key = ec.generate_private_key(ec.SECP256R1())
    root = b.root_ca(key=key, aki=Ext(make(key)))
    return direct(limbo_id, False, root, b.leaf_cert(root))


def _aki_with(issuer: bool, number: bool) -> Callable[[Any], x509.AuthorityKeyIdentifier]:
    def make(key: Any) -> x509.AuthorityKeyIdentifier:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key())
        dirname = x509.DirectoryName(_name("CN=myCN"))
        if issuer and number:
            return x509.AuthorityKeyIdentifier(aki.key_identifier, [dirname], 1234)
        if issuer:
            aki._authority_cert_issuer = [dirname]
        if number:
            aki._authority_cert_serial_number = 1234
        return aki

    return make


for _limbo_id, _make in (
    (
        "webpki::aki::root-with-aki-missing-keyidentifier",
        lambda key: x509.AuthorityKeyIdentifier(None, None, None),
    ),
    ("webpki::aki::root-with-aki-authoritycertissuer", _aki_with(True, False)),
    ("webpki::aki::root-with-aki-authoritycertserialnumber", _aki_with(False, True)),
    ("webpki::aki::root-with-aki-all-fields", _aki_with(True, True)),
    (
        "webpki::aki::root-with-aki-ski-mismatch",
        lambda key: x509.AuthorityKeyIdentifier.from_issuer_public_key(
            ec.generate_private_key(ec.SECP256R1()).public_key()
        ),
    ),
):
    case(_limbo_id)(functools.partial(_aki_root, limbo_id=_limbo_id, make=_make))


# webpki::cn


for _limbo_id, _cn, _names, _peer in (
    ("webpki::cn::cabf-cn-ipv4-hex-mismatch", "0xC0A80101", ["ip:192.168.1.1"], "192.168.1.1"),
    ("webpki::cn::cabf-cn-ipv4-leading-zeros-mismatch", "192.168.001.001", ["ip:192.168.1.1"], "192.168.1.1"),
    (
        "webpki::cn::cabf-cn-ipv6-uppercase-mismatch",
        "2001:DB8::8A2E:370:7334",
        ["ip:2001:db8::8a2e:370:7334"],
        "2001:db8::8a2e:370:7334",
    ),
    (
        "webpki::cn::cabf-cn-ipv6-uncompressed-mismatch",
        "2001:0db8:0000:0000:0000:0000:0000:0001",
        ["ip:2001:db8::1"],
        "2001:db8::1",
    ),
    (
        "webpki::cn::cabf-cn-ipv6-non-rfc5952-mismatch",
        "2001:db8:0:0:1:0:0:1",
        ["ip:2001:db8::1:0:0:1"],
        "2001:db8::1:0:0:1",
    ),
    ("webpki::cn::cabf-cn-punycode-not-in-san", "xn--nxasmq6b.com", ["dns:xn--n3h.com"], "xn--n3h.com"),
    (
        "webpki::cn::cabf-cn-utf8-vs-punycode-mismatch",
        "test-\u6e2c\u8a66.com",
        ["dns:xn--test--wg5h0h.com"],
        "xn--test--wg5h0h.com",
    ),
    (
        "webpki::cn::cabf-cn-not-in-san",
        "notinsan.example.com",
        ["dns:valid.example.com", "dns:another.example.com"],
        "valid.example.com",
    ),
    ("webpki::cn::cabf-cn-case-mismatch", "Example.COM", ["dns:example.com"], "example.com"),
):

    def _cn_case(
        b: Builder, limbo_id: str = _limbo_id, cn: str = _cn, names: Any = _names, peer: str = _peer
    ) -> LimboCase:
        general: list[x509.GeneralName] = [
            x509.IPAddress(ipaddress.ip_address(n[3:])) if n.startswith("ip:") else _dns(n[4:]) for n in names
        ]
        root = b.root_ca()
        leaf = b.leaf_cert(
            root, subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]), san=_san(*general)
        )
        return direct(limbo_id, False, root, leaf, server_name=peer)

    case(_limbo_id)(_cn_case)


# webpki::eku


def _eku(*oids: x509.ObjectIdentifier, critical: bool = False) -> Ext:
    return Ext(x509.ExtendedKeyUsage(list(oids)), critical)


_SA, _CA = ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH
for _limbo_id, _value, _ok in (
    ("webpki::eku::ee-anyeku", _eku(_SA, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE), False),
    ("webpki::eku::ee-critical-eku", _eku(_SA, critical=True), False),
    ("webpki::eku::ee-without-eku", None, False),
    ("webpki::eku::ee-clientauth-only", _eku(_CA), False),
    ("webpki::eku::ee-precertificate-only", _eku(PRECERT_OID), False),
    ("webpki::eku::ee-precertificate-with-serverauth", _eku(_SA, PRECERT_OID), False),
    ("webpki::eku::ee-serverauth-with-additional", _eku(_SA, _CA), True),
    ("webpki::eku::ee-codesigning-with-serverauth", _eku(_SA, ExtendedKeyUsageOID.CODE_SIGNING), False),
    (
        "webpki::eku::ee-emailprotection-with-serverauth",
        _eku(_SA, ExtendedKeyUsageOID.EMAIL_PROTECTION),
        False,
    ),
    ("webpki::eku::ee-timestamping-with-serverauth", _eku(_SA, ExtendedKeyUsageOID.TIME_STAMPING), False),
    ("webpki::eku::ee-ocspsigning-with-serverauth", _eku(_SA, ExtendedKeyUsageOID.OCSP_SIGNING), False),
):

    def _eku_case(
        b: Builder, limbo_id: str = _limbo_id, value: Ext | None = _value, ok: bool = _ok
    ) -> LimboCase:
        root = b.root_ca()
        requested = frozenset() if limbo_id.endswith("ee-without-eku") else SERVER_AUTH
        return direct(
            limbo_id,
            ok,
            root,
            b.leaf_cert(root, eku=value),
            extended_key_usage=requested,
            features=("pedantic-webpki-eku",),
        )

    case(_limbo_id)(_eku_case)


@case("webpki::eku::root-has-eku")
def _root_eku(b: Builder) -> LimboCase:
    root = b.root_ca(extra=_eku(_SA))
    return direct(
        "webpki::eku::root-has-eku",
        False,
        root,
        b.leaf_cert(root),
        extended_key_usage=SERVER_AUTH,
        features=("pedantic-webpki-eku",),
    )


# webpki::ku


@case("webpki::ku::ee-rsa-without-any-usages")
def _rsa_no_usage(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = b.leaf_cert(
        root, key=rsa.generate_private_key(public_exponent=65537, key_size=2048), key_usage=Ext(_ku(), True)
    )
    return direct("webpki::ku::ee-rsa-without-any-usages", False, root, leaf)


# webpki::san


for _limbo_id, _names, _peer, _ok in (
    ("webpki::san::exact-dns-san", ["example.com"], "example.com", True),
    ("webpki::san::exact-localhost-ip-san", ["ip:127.0.0.1"], "127.0.0.1", True),
    ("webpki::san::mismatch-domain-san", ["example.com"], "example2.com", False),
    ("webpki::san::mismatch-subdomain-san", ["abc.example.com"], "def.example.com", False),
    ("webpki::san::mismatch-subdomain-apex-san", ["example.com"], "abc.example.com", False),
    ("webpki::san::mismatch-apex-subdomain-san", ["abc.example.com"], "example.com", False),
    ("webpki::san::public-suffix-wildcard-san", ["*.com"], "example.com", False),
    ("webpki::san::leftmost-wildcard-san", ["*.example.com"], "foo.example.com", True),
    ("webpki::san::wildcard-embedded-leftmost-san", ["ba*.example.com"], "baz.example.com", False),
    ("webpki::san::wildcard-not-in-leftmost-san", ["foo.*.example.com"], "foo.bar.example.com", False),
    ("webpki::san::wildcard-match-across-labels-san", ["*.example.com"], "foo.bar.example.com", False),
    (
        "webpki::san::wildcard-embedded-ulabel-san",
        ["xn--*-1b3c148a.example.com"],
        "xn--bliss-1b3c148a.example.com",
        False,
    ),
    ("webpki::san::unicode-emoji-san", ["\U0001f61c.example.com"], "xn--628h.example.com", False),
):

    def _san_case(
        b: Builder, limbo_id: str = _limbo_id, names: Any = _names, peer: str = _peer, ok: bool = _ok
    ) -> LimboCase:
        general: list[x509.GeneralName] = []
        for name in names:
            if name.startswith("ip:"):
                general.append(x509.IPAddress(ipaddress.ip_address(name[3:])))
            else:
                general.append(x509.DNSName._init_without_validation(name))
        root = b.root_ca()
        features = ("pedantic-public-suffix-wildcard",) if "public-suffix" in limbo_id else ()
        return direct(
            limbo_id, ok, root, b.leaf_cert(root, san=_san(*general)), server_name=peer, features=features
        )

    case(_limbo_id)(_san_case)


@case("webpki::san::no-san")
def _no_san(b: Builder) -> LimboCase:
    root = b.root_ca()
    return direct(
        "webpki::san::no-san", False, root, b.leaf_cert(root, subject=_name("CN=example.com"), san=None)
    )


@case("webpki::san::san-critical-with-nonempty-subject")
def _san_critical(b: Builder) -> LimboCase:
    root = b.root_ca()
    leaf = b.leaf_cert(root, subject=_name("CN=something-else"), san=_san(_dns("example.com"), critical=True))
    return direct("webpki::san::san-critical-with-nonempty-subject", False, root, leaf)


# -- pathlen:: ----------------------------------------------------------------------------------------


for _n in (0, 1, 2):

    def _pathlen_ee(b: Builder, n: int = _n) -> LimboCase:
        root = b.root_ca()
        ica = b.intermediate_ca(root, pathlen=n)
        return direct(f"pathlen::ee-with-intermediate-pathlen-{n}", True, root, b.leaf_cert(ica), chain=[ica])

    case(f"pathlen::ee-with-intermediate-pathlen-{_n}")(_pathlen_ee)


@case("pathlen::validation-ignores-pathlen-in-leaf")
def _pathlen_leaf(b: Builder) -> LimboCase:
    root = b.root_ca()
    first = b.intermediate_ca(root, pathlen=0)
    second = b.intermediate_ca(first, pathlen=0)
    return direct("pathlen::validation-ignores-pathlen-in-leaf", True, root, second, chain=[first])


def _pathlens(b: Builder, lens: Sequence[int], *, self_issued: bool = False) -> tuple[Pair, list[Pair]]:
    root = b.root_ca()
    cas: list[Pair] = []
    parent = root
    for position, n in enumerate(lens):
        subject = cas[0].cert.subject if self_issued and position == 1 else None
        parent = b.intermediate_ca(parent, pathlen=n, subject=subject)
        cas.append(parent)
    return root, cas


for _limbo_id, _lens, _ok, _self_issued in (
    ("pathlen::intermediate-violates-pathlen-0", (0, 0), False, False),
    ("pathlen::intermediate-pathlen-may-increase", (1, 2), True, False),
    ("pathlen::intermediate-pathlen-too-long", (1, 0, 0), False, False),
    ("pathlen::self-issued-certs-pathlen", (1, 1, 0), True, True),
):

    def _pathlen_case(
        b: Builder,
        limbo_id: str = _limbo_id,
        lens: Any = _lens,
        ok: bool = _ok,
        self_issued: bool = _self_issued,
    ) -> LimboCase:
        root, cas = _pathlens(b, lens, self_issued=self_issued)
        return direct(limbo_id, ok, root, b.leaf_cert(cas[-1]), chain=cas)

    case(_limbo_id)(_pathlen_case)


# -- cve:: --------------------------------------------------------------------------------------------


@case("cve::cve-2024-0567")
def _cve_2024_0567(b: Builder) -> LimboCase:
    """leaf -> A1 -> (A <-> B <-> C) -> Root A: a cycle of cross-signed CAs with a way out."""
    root = b.root_ca(subject=_name("CN=Root A"))
    keys = {
        "A": root.key,
        "B": ec.generate_private_key(ec.SECP256R1()),
        "C": ec.generate_private_key(ec.SECP256R1()),
    }

    def issue(subject: str, key: Any, issuer: str) -> Pair:
        signer = keys[issuer]
        cert = (
            x509.CertificateBuilder()
            .serial_number(x509.random_serial_number())
            .not_valid_before(EPOCH)
            .not_valid_after(THOUSAND_YEARS)
            .subject_name(_name(f"CN={subject}"))
            .issuer_name(_name(f"CN=Root {issuer}"))
            .add_extension(x509.BasicConstraints(True, None), critical=True)
            .add_extension(_ku(cert_sign=True), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .public_key(key.public_key())
            .sign(signer, hashes.SHA256())
        )
        return Pair(cert, key)

    a1 = issue("Intermediate A1", ec.generate_private_key(ec.SECP256R1()), "A")
    others = [
        issue("Root A", keys["A"], "B"),
        issue("Root A", keys["A"], "C"),
        issue("Intermediate B1", ec.generate_private_key(ec.SECP256R1()), "B"),
        issue("Root B", keys["B"], "A"),
        issue("Root B", keys["B"], "C"),
        issue("Intermediate C1", ec.generate_private_key(ec.SECP256R1()), "C"),
        issue("Root C", keys["C"], "A"),
        issue("Root C", keys["C"], "B"),
    ]
    leaf = b.leaf_cert(a1, subject=None, san=_san(_dns("cve-2024-0567.example.com"), critical=True))
    return direct(
        "cve::cve-2024-0567", True, root, leaf, chain=[a1, *others], server_name="cve-2024-0567.example.com"
    )


def _cve_61727(
    b: Builder, limbo_id: str, permitted: list[str], excluded: list[str] | None, peer: str
) -> LimboCase:
    root = b.root_ca()
    nc = x509.NameConstraints(
        permitted_subtrees=[_dns(n) for n in permitted] or None,
        excluded_subtrees=[_dns(n) for n in excluded] if excluded else None,
    )
    ica = b.intermediate_ca(root, name_constraints=Ext(nc, True), san=None)
    leaf = b.leaf_cert(ica, san=_san(_dns("*.example.com")))
    return direct(limbo_id, False, root, leaf, chain=[ica], server_name=peer)


case("cve::cve-2025-61727")(
    functools.partial(
        _cve_61727,
        limbo_id="cve::cve-2025-61727",
        permitted=["example.com"],
        excluded=["bar.example.com"],
        peer="bar.example.com",
    )
)
case("cve::cve-2025-61727-nc-permits-variant")(
    functools.partial(
        _cve_61727,
        limbo_id="cve::cve-2025-61727-nc-permits-variant",
        permitted=["foo.example.com"],
        excluded=None,
        peer="foo.example.com",
    )
)


#: Cases of the ported families not minted here, with the reason.
SKIPPED: dict[str, str] = {}

__all__ = ["MAKERS", "SKIPPED", "Builder", "LimboCase", "build"]
