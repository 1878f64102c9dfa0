"""One minted certificate per failure code: the case table of ``tests/test_rules.py``.

Each :class:`Case` is a chain built with the public test PKI (``caiso_pki.testing``) that breaks exactly
one rule, and the failure codes (with the index of the certificate concerned, 0 = the anchor) that a
validation of it must report: exactly those, through every entry point.  Defects cryptography's builder
refuses are minted with :meth:`CertificateAuthority.resign <caiso_pki.testing.CertificateAuthority.resign>`,
which edits the to-be-signed certificate with asn1crypto (or as raw DER) and signs it again, so only the
defect is wrong with the certificate.

The tables are built once per test module (:func:`build_tables`); minting takes about half a second
(EC keys throughout, which are quick to make).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import attrs
from asn1crypto import core, keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from caiso_pki import testing
from caiso_pki._forge import raw_extension
from caiso_pki.certificate import Certificate
from caiso_pki.truststore import TrustStore

AKI = "2.5.29.35"
SKI = "2.5.29.14"
KU = "2.5.29.15"
SAN = "2.5.29.17"
BC = "2.5.29.19"
NC = "2.5.29.30"
PC = "2.5.29.36"
EKU = "2.5.29.37"
AIA = "1.3.6.1.5.5.7.1.1"
UNKNOWN = "1.3.6.1.4.1.99999.7"

SECOND = dt.timedelta(seconds=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@attrs.frozen
class Case:
    """A chain that breaks one rule, the options to validate it with, and the expected failures.

    ``failures`` holds ``(code, index)`` pairs, in the order the result lists them; ``trust`` is the
    anchors (certificates) or a trust store; ``usage`` is the CLI's ``--usage`` (``"server"``: keyUsage
    digitalSignature and EKU serverAuth); ``sibling`` is a valid leaf of the same issuer and shape,
    validated first so that the fleet and the Validator hold a template the defect must not be
    answered from; ``max_path_length`` is the Validator option (``caiso-pki verify`` has no flag for
    it, so such cases skip the CLI entry point).
    """

    failures: tuple[tuple[str, int | None], ...]
    leaf: Certificate
    chain: tuple[Certificate, ...]
    trust: tuple[Certificate, ...] | TrustStore
    at: dt.datetime
    profile: str = "rfc5280"
    usage: str | None = None
    server_name: str | None = None
    policy: str | None = None
    revocation: str = "off"
    crls: tuple[bytes, ...] = ()
    sibling: Certificate | None = None
    max_path_length: int | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.failures)

    @property
    def indices(self) -> tuple[int | None, ...]:
        return tuple(index for _, index in self.failures)

    def options(self) -> dict[str, Any]:
        """Keyword options of ``validate_chain``/``Validator``/``validate_many`` for this case."""
        options: dict[str, Any] = {
            "trust": self.trust,
            "revocation": self.revocation,
            "profile": self.profile,
        }
        if self.usage == "server":
            options |= {"extended_key_usage": {"serverAuth"}, "key_usage": {"digitalSignature"}}
        if self.policy is not None:
            from caiso_pki.policy import PolicyRequirement

            options["policy"] = PolicyRequirement(acceptable={self.policy}, require_explicit=True)
        if self.crls:
            options["crls"] = list(self.crls)
        if self.max_path_length is not None:
            options["max_path_length"] = self.max_path_length
        return options


# -- edits of the to-be-signed certificate (for CertificateAuthority.resign) -------------------------

Edit = Callable[[Any], "bytes | None"]


def edits(*steps: Edit) -> Edit:
    """One edit that applies ``steps`` in order."""

    def edit(tbs: Any) -> None:
        for step in steps:
            step(tbs)

    return edit


def _extensions(tbs: Any) -> list[Any]:
    return list(tbs["extensions"]) if tbs["extensions"].native is not None else []


def drop(oid: str) -> Edit:
    """Remove every extension ``oid``."""

    def edit(tbs: Any) -> None:
        tbs["extensions"] = [e for e in _extensions(tbs) if e["extn_id"].dotted != oid]

    return edit


def critical(oid: str, value: bool = True) -> Edit:
    """Mark extension ``oid`` critical (or not)."""

    def edit(tbs: Any) -> None:
        found = [e for e in _extensions(tbs) if e["extn_id"].dotted == oid]
        assert found, f"no extension {oid} to flip"
        for extension in found:
            extension["critical"] = value

    return edit


def append(oid: str, value: bytes, *, is_critical: bool = False) -> Edit:
    """Add an extension ``oid`` holding ``value`` (raw DER, not checked)."""

    def edit(tbs: Any) -> None:
        tbs["extensions"] = [*_extensions(tbs), raw_extension(oid, value, critical=is_critical)]

    return edit


def replace(oid: str, value: bytes) -> Edit:
    """Replace the value of extension ``oid`` (keeping its position and criticality) with raw DER."""

    def edit(tbs: Any) -> None:
        out = []
        for extension in _extensions(tbs):
            if extension["extn_id"].dotted == oid:
                out.append(raw_extension(oid, value, critical=bool(extension["critical"].native)))
            else:
                out.append(extension)
        tbs["extensions"] = out

    return edit


def repeat(oid: str) -> Edit:
    """Append a second, identical copy of extension ``oid``."""

    def edit(tbs: Any) -> None:
        found = next(e for e in _extensions(tbs) if e["extn_id"].dotted == oid)
        tbs["extensions"] = [*_extensions(tbs), found.copy()]

    return edit


def serial(contents: bytes) -> Edit:
    """Set the serial number's INTEGER contents octets exactly (zero, negative, 21 octets)."""

    def edit(tbs: Any) -> None:
        tbs["serial_number"] = core.Integer(contents=contents)

    return edit


def validity(field: str, kind: str, contents: bytes) -> Edit:
    """Set ``not_before``/``not_after`` to a UTCTime/GeneralizedTime with these exact contents."""

    def edit(tbs: Any) -> None:
        value = (core.UTCTime if kind == "utc_time" else core.GeneralizedTime)(contents=contents)
        tbs["validity"][field] = asn1_x509.Time(name=kind, value=value)

    return edit


def times(not_before: dt.datetime, not_after: dt.datetime) -> Edit:
    """Set both validity times (UTCTime, as cryptography writes them before 2050)."""

    def edit(tbs: Any) -> None:
        tbs["validity"] = {"not_before": {"utc_time": not_before}, "not_after": {"utc_time": not_after}}

    return edit


def spki(der: bytes) -> Edit:
    """Set the subjectPublicKeyInfo to ``der``."""

    def edit(tbs: Any) -> None:
        tbs["subject_public_key_info"] = keys.PublicKeyInfo.load(der)

    return edit


def signature_algorithm(name: str) -> Edit:
    """Name another signature algorithm (``resign`` then signs with it, when the key can)."""

    def edit(tbs: Any) -> None:
        tbs["signature"] = {"algorithm": name}

    return edit


def issuer_name(der: bytes) -> Edit:
    """Set the issuer name to ``der``."""

    def edit(tbs: Any) -> None:
        tbs["issuer"] = asn1_x509.Name.load(der)

    return edit


def signature_algorithm_der(der: bytes) -> Edit:
    """Set the to-be-signed signature field to the AlgorithmIdentifier ``der`` exactly (``resign`` copies it
    to the outer signatureAlgorithm and signs as the OID says)."""
    from asn1crypto import algos

    def edit(tbs: Any) -> None:
        tbs["signature"] = algos.SignedDigestAlgorithm.load(der)

    return edit


def tbs_fields(transform: Callable[[list[bytes]], list[bytes]]) -> Edit:
    """Rewrite the to-be-signed certificate as its fields' raw TLVs (version first, when present)."""

    def edit(tbs: Any) -> bytes:
        contents, fields = tbs.contents, []
        at = 0
        while at < len(contents):
            first = contents[at + 1]
            head = 2 + (first & 0x7F if first & 0x80 else 0)
            size = int.from_bytes(contents[at + 2 : at + head], "big") if first & 0x80 else first
            fields.append(contents[at : at + head + size])
            at += head + size
        return _tlv(0x30, b"".join(transform(fields)))

    return edit


def version(raw: bytes | None) -> Edit:
    """Set the version field to the raw TLV ``raw`` (``None``: leave it out, as v1 is encoded)."""

    def transform(fields: list[bytes]) -> list[bytes]:
        rest = fields[1:] if fields[0][0] == 0xA0 else fields
        return [raw, *rest] if raw is not None else rest

    return tbs_fields(transform)


def assemble(cert: Certificate, *, outer: bytes | None = None, unused_bits: int | None = None) -> Certificate:
    """``cert`` with its outer signatureAlgorithm replaced by ``outer`` (raw DER), or its signature BIT
    STRING claiming ``unused_bits`` unused bits; the to-be-signed part and signature octets are kept."""
    parsed = asn1_x509.Certificate.load(cert.der)
    tbs = parsed["tbs_certificate"].dump()
    algorithm = outer if outer is not None else parsed["signature_algorithm"].dump()
    bits = parsed["signature_value"].contents
    if unused_bits is not None:
        bits = bytes([unused_bits]) + bits[1:]
    return Certificate.from_der(_tlv(0x30, tbs + algorithm + _tlv(0x03, bits)))


def oid_der(dotted: str) -> bytes:
    return core.ObjectIdentifier(dotted).dump()


#: ecdsa-with-SHA256 with NULL parameters: the algorithm that signed, spelt as RFC 5758 3.2 forbids
#: (an outer signatureAlgorithm that still verifies, yet is not the inner one byte for byte).
ECDSA_SHA256_WITH_NULL = bytes.fromhex("300c06082a8648ce3d0403020500")


def ext(value: x509.ExtensionType) -> bytes:
    """The DER of a cryptography extension value."""
    return value.public_bytes()


def san_der(*names: tuple[int, bytes]) -> bytes:
    """A subjectAltName of raw ``(tag, contents)`` GeneralNames (0x82 dNSName, 0x87 iPAddress ...)."""
    body = b"".join(_tlv(tag, contents) for tag, contents in names)
    return _tlv(0x30, body)


def _tlv(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


# -- keys the builder cannot take as they are -------------------------------------------------------

_P256: dict[str, int] = {
    "p": 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
    "b": 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
    "gx": 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    "gy": 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
    "n": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
}


def gost_spki() -> bytes:
    """A subjectPublicKeyInfo of a GOST R 34.10-2012 256-bit key (an algorithm nothing here verifies)."""

    def tlv(tag: int, body: bytes) -> bytes:
        return bytes([tag, len(body)]) + body

    algorithm = tlv(
        0x30,
        core.ObjectIdentifier("1.2.643.7.1.1.1.1").dump()
        + tlv(0x30, core.ObjectIdentifier("1.2.643.7.1.2.1.1.1").dump()),
    )
    key = tlv(0x03, b"\x00" + core.OctetString(bytes(range(64))).dump())
    return tlv(0x30, algorithm + key)


def explicit_p256_spki(key: ec.EllipticCurvePublicKey) -> bytes:
    """``key`` (a P-256 key) with the curve spelt out as explicit parameters (RFC 3279 ECParameters)."""
    from cryptography.hazmat.primitives import serialization

    point = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    p = _P256["p"]
    base = b"\x04" + _P256["gx"].to_bytes(32, "big") + _P256["gy"].to_bytes(32, "big")
    domain = keys.SpecifiedECDomain(
        {
            "version": "ecdpVer1",
            "field_id": {"field_type": "prime_field", "parameters": core.Integer(p)},
            "curve": {"a": (p - 3).to_bytes(32, "big"), "b": _P256["b"].to_bytes(32, "big")},
            "base": base,
            "order": _P256["n"],
            "cofactor": 1,
        }
    )
    info = keys.PublicKeyInfo(
        {
            "algorithm": {
                "algorithm": "ec",
                "parameters": keys.ECDomainParameters(name="specified", value=domain),
            },
            "public_key": point,
        }
    )
    dumped: bytes = info.dump()
    return dumped


def rsa_spki(modulus: int, exponent: int) -> bytes:
    """A subjectPublicKeyInfo of the RSA key (modulus, exponent), whatever their values."""
    info = keys.PublicKeyInfo(
        {
            "algorithm": {"algorithm": "rsa"},
            "public_key": keys.RSAPublicKey({"modulus": modulus, "public_exponent": exponent}),
        }
    )
    dumped: bytes = info.dump()
    return dumped


def rsa_public_key(bits: int) -> rsa.RSAPublicKey:
    """An RSA public key of exactly ``bits`` bits (no private key: it is only a leaf's subject key)."""
    modulus = (1 << (bits - 1)) | (0x1234567 << 8) | 1
    return rsa.RSAPublicNumbers(65537, modulus).public_key()


# -- the table ----------------------------------------------------------------------------------------


def build_tables() -> tuple[dict[str, Case], dict[str, Case]]:
    """(one case per rule, the escape and control cases), by name; names say the code and sub-case.

    The second table holds what must come back clean: valid chains the rules must not trip over (IDN
    SANs, IP literals, one-label wildcards, anchors whose name constraints permit the leaf) and
    server names given as U-labels and A-labels.
    """
    pki = testing.DemoPki.create(key_spec="ec-p256")
    now = pki.now
    at = now + dt.timedelta(minutes=1)
    root, issuing = pki.root, pki.issuing_ca
    root_key = root.key.public_key()
    anchors = (root.certificate,)
    chain = issuing.chain
    cases: dict[str, Case] = {}

    def sibling(ca: testing.CertificateAuthority = issuing, kind: Any = "rig", **kw: Any) -> Certificate:
        return ca.issue(kind, reuse_key=True, **kw).certificate

    def leaf(
        name: str,
        failures: Sequence[tuple[str, int | None]],
        cert: Certificate,
        *,
        ca: testing.CertificateAuthority = issuing,
        kind: Any = "rig",
        **options: Any,
    ) -> None:
        """A case whose defect is in the leaf, issued by ``ca`` (chain and anchors from ``ca``)."""
        options.setdefault("at", at)
        options.setdefault("chain", ca.chain)
        options.setdefault("trust", (ca_root(ca),))
        options.setdefault("sibling", sibling(ca, kind))
        cases[name] = Case(failures=tuple(failures), leaf=cert, **options)

    def ca_root(ca: testing.CertificateAuthority) -> Certificate:
        return ca.root

    def broken_leaf(edit: Edit, *, ca: testing.CertificateAuthority = issuing, **kw: Any) -> Certificate:
        return ca.resign(ca.issue(kw.pop("kind", "rig"), reuse_key=True, **kw), edit)

    # -- structural rules on the leaf ----------------------------------------------------------------
    leaf("invalid-serial-number/zero", [("invalid-serial-number", 2)], broken_leaf(serial(b"\x00")))
    leaf("invalid-serial-number/negative", [("invalid-serial-number", 2)], broken_leaf(serial(b"\xfe\x01")))
    leaf(
        "invalid-serial-number/21-octets",
        [("invalid-serial-number", 2)],
        broken_leaf(serial(b"\x01" + bytes(range(1, 21)))),
    )
    leaf("duplicate-extension", [("duplicate-extension", 2)], broken_leaf(repeat(SAN)))
    leaf(
        "invalid-time-encoding/generalized-fraction",
        [("invalid-time-encoding", 2)],
        broken_leaf(validity("not_after", "general_time", b"20400101000000.5Z")),
    )
    leaf(
        "invalid-time-encoding/utc-without-seconds",
        [("invalid-time-encoding", 2)],
        broken_leaf(validity("not_after", "utc_time", b"4001010000Z")),
    )
    leaf(
        "missing-authority-key-id",
        [("missing-authority-key-id", 2)],
        issuing.issue("rig", reuse_key=True, omit_extensions=["authorityKeyIdentifier"]).certificate,
    )
    leaf("critical-authority-key-id", [("critical-authority-key-id", 2)], broken_leaf(critical(AKI)))
    leaf("critical-subject-key-id", [("critical-subject-key-id", 2)], broken_leaf(critical(SKI)))
    leaf(
        "critical-authority-info-access", [("critical-authority-info-access", 2)], broken_leaf(critical(AIA))
    )
    leaf(
        "key-cert-sign-without-ca",
        [("key-cert-sign-without-ca", 2)],
        issuing.issue(
            "rig",
            reuse_key=True,
            key_usage=x509.KeyUsage(True, False, False, False, False, True, False, False, False),
        ).certificate,
    )
    leaf(
        "subject-alt-name-not-critical",
        [("subject-alt-name-not-critical", 2)],
        issuing.issue(
            "rig", reuse_key=True, subject=x509.Name([]), dns_names=["rig-0001.example.com"]
        ).certificate,
    )
    # x509-limbo webpki::ku::ee-rsa-without-any-usages: a keyUsage with no bit set
    leaf("empty-key-usage", [("empty-key-usage", 2)], broken_leaf(replace(KU, b"\x03\x01\x00")))
    leaf(
        "empty-extended-key-usage",
        [("empty-extended-key-usage", 2)],
        broken_leaf(replace(EKU, b"\x30\x00")),
    )
    leaf(
        "name-constraints-in-end-entity",
        [("name-constraints-in-end-entity", 2)],
        issuing.issue(
            "rig",
            reuse_key=True,
            extra_extensions=[
                (
                    x509.NameConstraints(
                        permitted_subtrees=[x509.DNSName("example.com")], excluded_subtrees=None
                    ),
                    True,
                )
            ],
        ).certificate,
    )
    leaf(
        "invalid-dns-name/underscore",
        [("invalid-dns-name", 2)],
        broken_leaf(replace(SAN, san_der((0x82, b"rig_0001.example.com")))),
    )
    leaf(
        "invalid-dns-name/non-ascii",
        [("invalid-dns-name", 2)],
        broken_leaf(replace(SAN, san_der((0x82, "rég-0001.example.com".encode())))),
    )
    leaf(
        "invalid-dns-name/emoji",
        [("invalid-dns-name", 2)],
        broken_leaf(replace(SAN, san_der((0x82, "\N{PILE OF POO}.example.com".encode())))),
    )
    leaf(
        "weak-key/rsa-512",
        [("weak-key", 2)],
        issuing.issue("rig", public_key=rsa_public_key(512)).certificate,
    )
    leaf(
        "weak-key/rsa-2047",
        [("weak-key", 2)],
        issuing.issue("rig", public_key=rsa_public_key(2047)).certificate,
    )
    leaf(
        "weak-key/p-192",
        [("weak-key", 2)],
        issuing.issue("rig", key=ec.generate_private_key(ec.SECP192R1())).certificate,
    )
    leaf(
        "weak-key/dsa",
        [("weak-key", 2)],
        issuing.issue("rig", key=dsa.generate_private_key(2048)).certificate,
    )
    leaf(
        "unsupported-algorithm/gost-key",
        [("unsupported-algorithm", 2)],
        broken_leaf(spki(gost_spki())),
    )
    leaf(
        "explicit-curve-parameters",
        [("explicit-curve-parameters", 2)],
        broken_leaf(spki(explicit_p256_spki(ec.generate_private_key(ec.SECP256R1()).public_key()))),
    )
    # -- the strictness gaps the fast-path differential found (docs/choices.md, "Malformed certificates")
    leaf(
        "invalid-version/v2-with-extensions",
        [("invalid-version", 2)],
        broken_leaf(version(b"\xa0\x03\x02\x01\x01")),
    )
    leaf("invalid-version/v4", [("invalid-version", 2)], broken_leaf(version(b"\xa0\x03\x02\x01\x03")))
    leaf(
        "invalid-version/v1-explicit", [("invalid-version", 2)], broken_leaf(version(b"\xa0\x03\x02\x01\x00"))
    )
    leaf("invalid-version/v1-with-extensions", [("invalid-version", 2)], broken_leaf(version(None)))
    # a point whose last bit is zero, so that one unused bit leaves the same (valid) point
    point = next(
        p
        for p in (
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
            for _ in range(64)
        )
        if not p[-1] & 1
    )
    ec_algorithm = _tlv(0x30, oid_der("1.2.840.10045.2.1") + oid_der("1.2.840.10045.3.1.7"))
    modulus = rsa_public_key(2048).public_numbers().n
    leaf(
        "invalid-public-key/ec-point-not-on-curve",
        [("invalid-public-key", 2)],
        broken_leaf(spki(_tlv(0x30, ec_algorithm + _tlv(0x03, b"\x00\x04" + bytes(range(1, 65)))))),
    )
    leaf(
        "invalid-public-key/key-unused-bits",
        [("invalid-public-key", 2)],
        broken_leaf(spki(_tlv(0x30, ec_algorithm + _tlv(0x03, b"\x01" + point)))),
    )
    leaf(
        "invalid-public-key/rsa-exponent-1",
        [("invalid-public-key", 2)],
        broken_leaf(spki(rsa_spki(modulus, 1))),
    )
    leaf(
        "invalid-public-key/rsa-parameters-absent",
        [("invalid-public-key", 2)],
        broken_leaf(
            spki(
                _tlv(
                    0x30,
                    _tlv(0x30, oid_der("1.2.840.113549.1.1.1"))
                    + _tlv(
                        0x03,
                        b"\x00"
                        + keys.PublicKeyInfo.load(rsa_spki(modulus, 65537))["public_key"].contents[1:],
                    ),
                )
            )
        ),
    )
    leaf("empty-subject-alt-name", [("empty-subject-alt-name", 2)], broken_leaf(replace(SAN, b"\x30\x00")))
    leaf(
        "invalid-rfc822-name/nul",
        [("invalid-rfc822-name", 2)],
        broken_leaf(replace(SAN, san_der((0x82, b"rig-0001.example.com"), (0x81, b"alice\x00@example.com")))),
    )
    leaf(
        "invalid-signature-algorithm/ecdsa-with-null",
        [("invalid-signature-algorithm", 2)],
        broken_leaf(signature_algorithm_der(_tlv(0x30, oid_der("1.2.840.10045.4.3.2") + b"\x05\x00"))),
    )
    good_leaf = issuing.issue("rig", reuse_key=True).certificate
    leaf(
        "signature-algorithm-mismatch",
        [("signature-algorithm-mismatch", 2)],
        assemble(good_leaf, outer=ECDSA_SHA256_WITH_NULL),
    )
    # One unused bit, on a signature whose last bit is zero: the octets still verify, so only the
    # encoding is wrong (cryptography and asn1crypto read the octets as they are).
    even = next(
        c for c in (issuing.issue("rig", reuse_key=True).certificate for _ in range(64)) if not c.der[-1] & 1
    )
    leaf(
        "invalid-signature-value/unused-bits", [("invalid-signature-value", 2)], assemble(even, unused_bits=1)
    )

    leaf(
        "malformed-extension/subject-alt-name",
        [("malformed-extension", 2)],
        broken_leaf(replace(SAN, b"\x30\x05\x82\x03ab")),
    )
    leaf(
        "malformed-extension/authority-info-access",
        [("malformed-extension", 2)],
        broken_leaf(replace(AIA, b"\x30\x06\x30\x04\x06\x02\x2b")),
    )

    # -- structural rules on an intermediate -------------------------------------------------------

    def intermediate(
        name: str,
        failures: Sequence[tuple[str, int | None]],
        edit: Edit | None = None,
        **kw: Any,
    ) -> None:
        """A case whose defect is in an intermediate under the root (re-signed by the root after ``edit``)."""
        kw.setdefault("key_spec", "ec-p256")
        ca = root.issue_intermediate(f"Demo {name} CA", **kw)
        if edit is not None:
            ca.certificate = root.resign(ca.certificate, edit)
        cases[name] = Case(
            failures=tuple(failures),
            leaf=ca.issue("rig", reuse_key=True).certificate,
            chain=(ca.certificate,),
            trust=anchors,
            at=at,
            sibling=sibling(ca),
        )

    intermediate(
        "missing-subject-key-id", [("missing-subject-key-id", 1)], omit_extensions=["subjectKeyIdentifier"]
    )
    intermediate(
        "basic-constraints-not-critical", [("basic-constraints-not-critical", 1)], critical(BC, False)
    )
    intermediate(
        "name-constraints-not-critical",
        [("name-constraints-not-critical", 1)],
        extra_extensions=[
            (
                x509.NameConstraints(
                    permitted_subtrees=[x509.DNSName("example.com")], excluded_subtrees=None
                ),
                False,
            )
        ],
    )
    intermediate(
        "policy-constraints-not-critical",
        [("policy-constraints-not-critical", 1)],
        extra_extensions=[
            (x509.PolicyConstraints(require_explicit_policy=None, inhibit_policy_mapping=4), False)
        ],
    )
    intermediate(
        "malformed-name-constraints",
        [("malformed-name-constraints", 1)],
        extra_extensions=[
            (
                x509.NameConstraints(
                    permitted_subtrees=None, excluded_subtrees=[x509.DNSName("bad_name.example")]
                ),
                True,
            )
        ],
    )
    intermediate(
        "not-a-ca/intermediate",
        [("not-a-ca", 1)],
        is_ca=False,
        key_usage=x509.KeyUsage(True, False, False, False, False, False, True, False, False),
    )
    intermediate(
        "key-usage/intermediate-without-key-cert-sign",
        [("key-usage", 1)],
        key_usage=x509.KeyUsage(True, False, False, False, False, False, True, False, False),
    )
    intermediate(
        "critical-extension/intermediate",
        [("critical-extension", 1)],
        extra_extensions=[(x509.UnrecognizedExtension(x509.ObjectIdentifier(UNKNOWN), b"\x05\x00"), True)],
    )
    intermediate(
        "expired/intermediate",
        [("expired", 1)],
        not_before=now - 400 * DAY,
        not_after=now - DAY,
    )

    # A CA with an empty subject (and a critical SAN, so that only the CA rule is broken).
    empty_ca = root.issue_intermediate("Demo Empty Subject CA", key_spec="ec-p256")
    empty_ca.certificate = root.resign(
        empty_ca.certificate,
        edits(
            _set_subject(b"\x30\x00"),
            append(SAN, ext(x509.SubjectAlternativeName([x509.DNSName("ca.example.com")])), is_critical=True),
        ),
    )
    cases["ca-empty-subject"] = Case(
        failures=(("ca-empty-subject", 1),),
        leaf=empty_ca.issue("rig", reuse_key=True).certificate,
        chain=(empty_ca.certificate,),
        trust=anchors,
        at=at,
    )

    # -- rules on the anchor ------------------------------------------------------------------------

    def anchor(
        name: str,
        failures: Sequence[tuple[str, int | None]],
        edit: Edit,
        *,
        profile: str = "rfc5280",
        table: dict[str, Case] = cases,
    ) -> None:
        """A case whose defect is in a root (re-signed by itself after ``edit``) above the issuing CA."""
        broken = root.resign(root.certificate, edit)
        table[name] = Case(
            failures=tuple(failures),
            leaf=issuing.issue("server" if profile == "webpki" else "rig", reuse_key=True).certificate,
            chain=chain,
            trust=(broken,),
            at=at,
            profile=profile,
        )

    no_cert_sign = ext(x509.KeyUsage(True, False, False, False, False, False, True, False, False))
    anchor("key-usage/anchor", [("key-usage", 0)], replace(KU, no_cert_sign))
    anchor(
        "not-a-ca/anchor",
        [("not-a-ca", 0)],
        edits(drop(KU), replace(BC, ext(x509.BasicConstraints(ca=False, path_length=None)))),
    )
    anchor("not-a-ca/anchor-without-basic-constraints", [("not-a-ca", 0)], edits(drop(KU), drop(BC)))
    anchor(
        "critical-extension/anchor",
        [("critical-extension", 0)],
        append(UNKNOWN, b"\x05\x00", is_critical=True),
    )
    anchor("expired/anchor", [("expired", 0)], times(now - 400 * DAY, now - DAY))
    anchor("not-yet-valid/anchor", [("not-yet-valid", 0)], times(now + DAY, now + 400 * DAY))
    anchor(
        "name-constraints/anchor",
        [("name-constraints", 2)],
        append(
            NC,
            ext(
                x509.NameConstraints(
                    permitted_subtrees=[x509.DNSName("other.example")], excluded_subtrees=None
                )
            ),
            is_critical=True,
        ),
    )

    # -- webpki -----------------------------------------------------------------------------------------

    def web(name: str, failures: Sequence[tuple[str, int | None]], cert: Certificate) -> None:
        cases[name] = Case(
            failures=tuple(failures), leaf=cert, chain=chain, trust=anchors, at=at, profile="webpki"
        )

    def server(common_name: str = "www.example.com", **kw: Any) -> Certificate:
        return issuing.issue("server", common_name, reuse_key=True, **kw).certificate

    web(
        "webpki-server-auth/client-auth-only",
        [("webpki-server-auth", 2)],
        server(extended_key_usage=["clientAuth"]),
    )
    web(
        "webpki-server-auth/any-eku-only",
        [("webpki-server-auth", 2), ("webpki-forbidden-eku", 2)],
        server(extended_key_usage=["2.5.29.37.0"]),
    )
    web("webpki-server-auth/no-eku", [("webpki-server-auth", 2)], server(extended_key_usage=[]))
    web("webpki-leaf-is-ca", [("webpki-leaf-is-ca", 2)], server(is_ca=True))
    web(
        "webpki-cn-not-in-san/case",
        [("webpki-cn-not-in-san", 2)],
        server("WWW.example.com", dns_names=["www.example.com"]),
    )
    web(
        "webpki-cn-not-in-san/ip-spelling",
        [("webpki-cn-not-in-san", 2)],
        server("2001:0db8::1", dns_names=[], ip_addresses=["2001:db8::1"]),
    )
    web("webpki-wildcard/public-suffix", [("webpki-wildcard", 2)], server("*.com", dns_names=["*.com"]))
    web("webpki-wildcard/co-uk", [("webpki-wildcard", 2)], server("*.co.uk", dns_names=["*.co.uk"]))
    # A partial wildcard label is not a DNS name in the preferred syntax either (RFC 5280 4.2.1.6).
    web(
        "webpki-wildcard/partial-label",
        [("invalid-dns-name", 2), ("webpki-wildcard", 2)],
        broken_leaf(
            edits(replace(SAN, san_der((0x82, b"f*.example.com")))),
            kind="server",
            common_name="www.example.com",
            dns_names=["www.example.com"],
            subject=x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Demo Participant")]),
        ),
    )
    web("webpki-key/rsa-2049", [("webpki-key", 2)], server(public_key=rsa_public_key(2049)))
    web("webpki-key/ed25519", [("webpki-key", 2)], server(key=ed25519.Ed25519PrivateKey.generate()))
    # x509-limbo webpki::eku::ee-anyeku and ee-codesigning-with-serverauth: serverAuth is there, but so
    # is a purpose CABF BR 7.1.2.7.10 forbids.
    web(
        "webpki-forbidden-eku/any-eku-beside-server-auth",
        [("webpki-forbidden-eku", 2)],
        server(extended_key_usage=["serverAuth", "2.5.29.37.0"]),
    )
    web(
        "webpki-forbidden-eku/code-signing-beside-server-auth",
        [("webpki-forbidden-eku", 2)],
        server(extended_key_usage=["serverAuth", "codeSigning"]),
    )
    # x509-limbo webpki::eku::ee-critical-eku
    web(
        "webpki-critical-eku",
        [("webpki-critical-eku", 2)],
        issuing.resign(issuing.issue("server", "www.example.com", reuse_key=True), critical(EKU)),
    )
    # x509-limbo webpki::san::exact-localhost-ip-san and leftmost-wildcard-san keep the builder's
    # default subject CN=example.com beside SANs that do not hold it: CABF BR 7.1.4.3 refuses such a
    # CN (docs/choices.md, "The commonName under webpki"); without a CN both leaves are valid (the
    # controls "valid/webpki-ip-san-without-cn" and "valid/webpki-wildcard-san-without-cn").
    web(
        "webpki-cn-not-in-san/dns-cn-beside-ip-san",
        [("webpki-cn-not-in-san", 2)],
        server("example.com", dns_names=[], ip_addresses=["127.0.0.1"]),
    )
    web(
        "webpki-cn-not-in-san/apex-cn-beside-wildcard-san",
        [("webpki-cn-not-in-san", 2)],
        server("example.com", dns_names=["*.example.com"]),
    )
    anchor(
        "webpki-root-eku",
        [("webpki-root-eku", 0)],
        append(EKU, ext(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]))),
        profile="webpki",
    )
    root_subject = root.certificate.x509.subject
    anchor(
        "webpki-root-aki",
        [("webpki-root-aki", 0)],
        append(
            AKI,
            ext(
                x509.AuthorityKeyIdentifier(
                    root.certificate.x509.extensions.get_extension_for_class(
                        x509.SubjectKeyIdentifier
                    ).value.digest,
                    [x509.DirectoryName(root_subject)],
                    root.certificate.serial_number,
                )
            ),
        ),
        profile="webpki",
    )
    # x509-limbo webpki::aki::root-with-aki-missing-keyidentifier and root-with-aki-ski-mismatch
    anchor(
        "webpki-root-aki-key-id/missing",
        [("webpki-root-aki-key-id", 0)],
        append(AKI, ext(x509.AuthorityKeyIdentifier(None, None, None))),
        profile="webpki",
    )
    anchor(
        "webpki-root-aki-key-id/differs-from-ski",
        [("webpki-root-aki-key-id", 0)],
        append(
            AKI,
            ext(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    ec.generate_private_key(ec.SECP256R1()).public_key()
                )
            ),
        ),
        profile="webpki",
    )
    # x509-limbo rfc5280::mismatching-signature-algorithm: a root whose two algorithm fields differ says
    # two things about itself; refused as the anchor too (docs/choices.md, "Malformed certificates")
    broken_root = assemble(root.certificate, outer=ECDSA_SHA256_WITH_NULL)
    cases["signature-algorithm-mismatch/anchor"] = Case(
        failures=(("signature-algorithm-mismatch", 0),),
        leaf=issuing.issue("rig", reuse_key=True).certificate,
        chain=chain,
        trust=(broken_root,),
        at=at,
    )
    anchor(
        "invalid-version/anchor-v2-with-extensions",
        [("invalid-version", 0)],
        version(b"\xa0\x03\x02\x01\x01"),
    )
    rsa_ca = root.issue_intermediate("Demo RSA Server CA", key_spec="rsa-2048")
    rsa_server = rsa_ca.issue("server", "www.example.com", reuse_key=True)
    cases["webpki-signature-algorithm/rsa-without-null"] = Case(
        failures=(("webpki-signature-algorithm", 2),),
        leaf=rsa_ca.resign(rsa_server, signature_algorithm_der(_tlv(0x30, oid_der("1.2.840.113549.1.1.11")))),
        chain=(rsa_ca.certificate,),
        trust=anchors,
        at=at,
        profile="webpki",
    )
    # What stays checked on an anchor (docs/choices.md, "Trust anchors"): how its constraints are
    # marked, here basicConstraints not critical.
    anchor(
        "basic-constraints-not-critical/anchor",
        [("basic-constraints-not-critical", 0)],
        critical(BC, False),
    )
    # so is how its key identifiers are marked (x509-limbo's rfc5280::ski::critical-ski and
    # rfc5280::aki::critical-aki put the critical extension in the root); their presence is not checked
    anchor("critical-subject-key-id/anchor", [("critical-subject-key-id", 0)], critical(SKI))
    anchor(
        "critical-authority-key-id/anchor",
        [("critical-authority-key-id", 0)],
        append(AKI, ext(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key)), is_critical=True),
    )

    # -- path validation --------------------------------------------------------------------------------
    good = issuing.issue("rig", reuse_key=True).certificate
    leaf(
        "expired/leaf-one-second",
        [("expired", 2)],
        good,
        at=good.not_after + SECOND,
        sibling=sibling(validity=400 * DAY),
    )
    leaf(
        "not-yet-valid/leaf-one-second",
        [("not-yet-valid", 2)],
        good,
        at=good.not_before - SECOND,
        sibling=sibling(not_before=now - 2 * HOUR),
    )
    # Validity is compared at the whole second the times are encoded in: 1 ms before a notBefore is
    # the second before it (x509-limbo rfc5280::validity::notbefore-fractional); 5 ms after a notAfter
    # is still its second (limbo's notafter-fractional: the control
    # "valid/trusted-leaf-not-after-fractional-second" and tests/test_validity_second.py).
    leaf(
        "not-yet-valid/not-before-fractional-second",
        [("not-yet-valid", 2)],
        good,
        at=good.not_before - dt.timedelta(milliseconds=1),
        sibling=sibling(not_before=now - 2 * HOUR),
    )
    trusted = issuing.issue("rig", reuse_key=True, not_before=now - 400 * DAY, validity=30 * DAY).certificate
    cases["expired/trusted-leaf"] = Case(
        failures=(("expired", 0),), leaf=trusted, chain=(), trust=(trusted,), at=at
    )
    leaf(
        "bad-signature",
        [("bad-signature", 2)],
        issuing.issue("rig", reuse_key=True, signing_key=ec.generate_private_key(ec.SECP256R1())).certificate,
    )
    leaf(
        "weak-algorithm/sha1",
        [("weak-algorithm", 2)],
        broken_leaf(signature_algorithm("sha1_ecdsa")),
    )
    leaf(
        "unsupported-algorithm",
        [("unsupported-algorithm", 2)],
        broken_leaf(signature_algorithm("1.3.6.1.4.1.99999.1.1")),
    )
    # Eight unused bits in the signature BIT STRING (at most seven are allowed): the certificate loads,
    # but its signature cannot be decoded when path validation reads it.
    unreadable = bytearray(issuing.issue("rig", reuse_key=True).certificate.der)
    unreadable[
        len(unreadable) - len(asn1_x509.Certificate.load(bytes(unreadable))["signature_value"].contents)
    ] = 8
    leaf("malformed/signature-bit-string", [("malformed", 2)], Certificate.from_der(bytes(unreadable)))
    leaf("no-path", [("no-path", 0)], good, chain=())
    leaf(
        "untrusted-root",
        [("untrusted-root", 0)],
        good,
        chain=(*chain, root.certificate),
        trust=(pki.entrust_root.certificate,),
    )
    leaf(
        "key-usage/leaf",
        [("key-usage", 2)],
        issuing.issue(
            "server",
            reuse_key=True,
            key_usage=x509.KeyUsage(False, False, True, False, False, False, False, False, False),
        ).certificate,
        usage="server",
        kind="server",
    )
    leaf(
        "extended-key-usage/leaf",
        [("extended-key-usage", 2)],
        issuing.issue("api-client", reuse_key=True).certificate,
        usage="server",
        kind="server",
    )
    leaf("name-mismatch", [("name-mismatch", 2)], good, server_name="other.example.com")
    leaf(
        "policy",
        [("policy", 2)],
        issuing.issue("rig", reuse_key=True, policies=()).certificate,
        policy="2.999.2008.1.1",
    )
    leaf(
        "critical-extension/leaf",
        [("critical-extension", 2)],
        issuing.issue(
            "rig",
            reuse_key=True,
            extra_extensions=[
                (x509.UnrecognizedExtension(x509.ObjectIdentifier(UNKNOWN), b"\x05\x00"), True)
            ],
        ).certificate,
    )

    # The leaf's issuer name and the CA's subject differ only in a multi-valued RDN that repeats an
    # attribute type: same normalised key for path building, different names under RFC 5280 7.1.
    twin = root.issue_intermediate("Demo Twin Name CA", key_spec="ec-p256")
    twin_leaf = twin.issue("rig", reuse_key=True).certificate
    doubled = x509.Name(
        [
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "US")]),
            x509.RelativeDistinguishedName(
                [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Demo California ISO")]
            ),
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "Demo Twin Name CA"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "Demo Twin"),
                ]
            ),
        ]
    )
    cases["name-chaining"] = Case(
        failures=(("name-chaining", 2),),
        leaf=twin.resign(twin_leaf, issuer_name(doubled.public_bytes())),
        chain=(twin.certificate,),
        trust=anchors,
        at=at,
    )

    sub = issuing.issue_intermediate("Demo Sub CA Below PathLen 0", key_spec="ec-p256")
    cases["path-length-exceeded"] = Case(
        failures=(("path-length-exceeded", 2),),
        leaf=sub.issue("rig", reuse_key=True).certificate,
        chain=sub.chain,
        trust=anchors,
        at=at,
    )
    # The Validator's max_path_length counts intermediates as pathLenConstraint does: the issuing CA
    # counts, a self-issued one does not (the control "valid/max-path-length-self-issued-not-counted").
    leaf("path-length-exceeded/max-path-length", [("path-length-exceeded", None)], good, max_path_length=0)
    rollover = issuing.issue_intermediate(
        issuing.name, organization="Demo California ISO", slug="demo-issuing-rollover", key_spec="ec-p256"
    )
    assert rollover.certificate.is_self_issued

    # A CA certificate that another root cross-signs, without authorityKeyIdentifier: refused as an
    # intermediate (RFC 5280 4.2.1.1), accepted as a trust anchor (the control
    # "valid/anchor-cross-signed-without-authority-key-id").
    cross_signed = pki.entrust_root.resign(
        root.certificate, issuer_name(pki.entrust_root.certificate.x509.subject.public_bytes())
    )
    leaf(
        "missing-authority-key-id/cross-signed-intermediate",
        [("missing-authority-key-id", 1)],
        good,
        chain=(issuing.certificate, cross_signed),
        trust=(pki.entrust_root.certificate,),
    )

    server_ca = root.issue_intermediate(
        "Demo Client Only CA",
        key_spec="ec-p256",
        extra_extensions=[(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)],
    )
    cases["extended-key-usage/intermediate"] = Case(
        failures=(("extended-key-usage", 1),),
        leaf=server_ca.issue("server", reuse_key=True).certificate,
        chain=(server_ca.certificate,),
        trust=anchors,
        at=at,
        usage="server",
    )

    narrow_ok = root.issue_intermediate(
        "Demo Example-Only CA",
        key_spec="ec-p256",
        extra_extensions=[
            (x509.NameConstraints(permitted_subtrees=[x509.DNSName("example")], excluded_subtrees=None), True)
        ],
    )
    narrow = root.issue_intermediate(
        "Demo Narrow CA",
        key_spec="ec-p256",
        extra_extensions=[
            (
                x509.NameConstraints(
                    permitted_subtrees=[x509.DNSName("other.example")], excluded_subtrees=None
                ),
                True,
            )
        ],
    )
    cases["name-constraints/intermediate"] = Case(
        failures=(("name-constraints", 2),),
        leaf=narrow.issue("rig", reuse_key=True).certificate,
        chain=(narrow.certificate,),
        trust=anchors,
        at=at,
    )
    upn = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
    other_name_ca = root.issue_intermediate(
        "Demo OtherName Constrained CA",
        key_spec="ec-p256",
        extra_extensions=[
            (
                x509.NameConstraints(
                    permitted_subtrees=[x509.OtherName(upn, b"\x0c\x0bexample.com")], excluded_subtrees=None
                ),
                True,
            )
        ],
    )
    # A constraint over otherName constrains otherName SANs only; caiso-pki cannot evaluate one, so a
    # leaf that has an otherName under it is refused (fail closed).  Without one, the leaf is valid
    # (the control "valid/other-name-constraint-applies-to-nothing").
    upn_san = x509.SubjectAlternativeName(
        [x509.DNSName("rig-0001.example.com"), x509.OtherName(upn, b"\x0c\x0bexample.com")]
    )
    cases["name-constraints/other-name"] = Case(
        failures=(("name-constraints", 2),),
        leaf=other_name_ca.issue(
            "rig", dns_names=[], extra_extensions=[(upn_san, False)], reuse_key=True
        ).certificate,
        chain=(other_name_ca.certificate,),
        trust=anchors,
        at=at,
    )
    other_name_untouched = other_name_ca.issue("rig", reuse_key=True).certificate

    # -- revocation and trust-store entries --------------------------------------------------------
    revoked = issuing.issue("rig", reuse_key=True, omit_extensions=["authorityInfoAccess"]).certificate
    issuing.revoke(revoked)
    leaf(
        "revoked",
        [("revoked", 2)],
        revoked,
        revocation="soft-fail",
        crls=(issuing.crl(), root.crl()),
    )
    leaf(
        "revocation-unavailable",
        [("revocation-unavailable", 2)],
        good,
        revocation="require",
        crls=(root.crl(),),
    )
    retired = pki.retired_issuing_ca
    cases["distrusted-anchor"] = Case(
        failures=(("distrusted-anchor", 0),),
        leaf=retired.issue("rig", reuse_key=True).certificate,
        chain=retired.chain,
        trust=TrustStore().add(pki.retired_root.certificate, distrust_after=testing.CYBERTRUST_END_OF_LIFE),
        at=at,
    )

    # -- path building ---------------------------------------------------------------------------------
    cases["path-building-limit/distinct-keys"] = _same_subject_pile(pki, at, distinct_keys=True)
    cases["path-building-limit/one-key"] = _same_subject_pile(pki, at, distinct_keys=False)

    # -- what must come back clean --------------------------------------------------------------------
    clean: dict[str, Case] = {}

    def control(
        name: str, cert: Certificate, failures: Sequence[tuple[str, int | None]] = (), **kw: Any
    ) -> None:
        kw.setdefault("chain", chain)
        kw.setdefault("trust", anchors)
        kw.setdefault("at", at)
        clean[name] = Case(failures=tuple(failures), leaf=cert, **kw)

    fass_de = issuing.issue("rig", "xn--fa-hia.de", reuse_key=True).certificate
    control("valid/rig", good)
    control(
        "valid/other-name-constraint-applies-to-nothing",
        other_name_untouched,
        chain=(other_name_ca.certificate,),
    )
    control("valid/webpki-server", server(), profile="webpki")
    control(
        "valid/webpki-cn-ip", server("127.0.0.1", dns_names=[], ip_addresses=["127.0.0.1"]), profile="webpki"
    )
    control(
        "valid/webpki-wildcard-one-label",
        server("*.example.com", dns_names=["*.example.com"]),
        profile="webpki",
    )
    control("idn/a-label-san", fass_de)
    control("idn/server-name-a-label", fass_de, server_name="xn--fa-hia.de")
    control("idn/server-name-u-label", fass_de, server_name="faß.de")
    control("idn/server-name-upper-case-a-label", fass_de, server_name="XN--FA-HIA.DE")
    control(
        "idn/server-name-idna2003-mapping-is-no-match",
        fass_de,
        [("name-mismatch", 2)],
        server_name="fass.de",
    )
    buecher = issuing.issue("rig", "xn--bcher-kva.example", reuse_key=True).certificate
    control("idn/server-name-u-label-bücher", buecher, server_name="bücher.example")
    control("idn/server-name-a-label-bücher", buecher, server_name="xn--bcher-kva.example")
    under_nc = narrow_ok.issue("rig", "xn--bcher-kva.example", reuse_key=True).certificate
    control("idn/a-label-under-name-constraints", under_nc, chain=(narrow_ok.certificate,))
    ip_leaf = issuing.issue("rig", "host", dns_names=[], ip_addresses=["127.0.0.1", "::1"], reuse_key=True)
    control("server-name/ipv4", ip_leaf.certificate, server_name="127.0.0.1")
    control("server-name/ipv6-bracketed", ip_leaf.certificate, server_name="[::1]")
    control(
        "server-name/ip-is-no-dns-match", ip_leaf.certificate, [("name-mismatch", 2)], server_name="localhost"
    )
    control(
        "escape/malformed-san",
        cases["malformed-extension/subject-alt-name"].leaf,
        [("malformed-extension", 2)],
        server_name="rig-0001.example.com",
    )
    control(
        "escape/malformed-aia",
        cases["malformed-extension/authority-info-access"].leaf,
        [("malformed-extension", 2)],
        revocation="soft-fail",
    )
    control(
        "escape/emoji-san",
        cases["invalid-dns-name/emoji"].leaf,
        [("invalid-dns-name", 2), ("name-mismatch", 2)],
        server_name="rig-0001.example.com",
    )
    anchor(
        "valid/anchor-name-constraints-permit",
        [],
        append(
            NC,
            ext(
                x509.NameConstraints(permitted_subtrees=[x509.DNSName("example.com")], excluded_subtrees=None)
            ),
            is_critical=True,
        ),
        table=clean,
    )

    # -- trust anchors: the rules about how a CA issues a certificate are not applied to them ---------
    for name, edit in (
        ("serial-zero", serial(b"\x00")),
        ("negative-serial", serial(b"\xfe\x01")),
        ("without-subject-key-id", drop(SKI)),
        ("generalized-time-fraction", validity("not_after", "general_time", b"20400101000000.5Z")),
    ):
        anchor(f"valid/anchor-{name}", [], edit, table=clean)
    # the shape of tests/test_trust_anchors.py: a root validated with itself as the only anchor
    lone_root = root.resign(root.certificate, serial(b"\x00"))
    control("valid/lone-root-serial-zero", lone_root, chain=(), trust=(lone_root,))
    control(
        "valid/anchor-cross-signed-without-authority-key-id",
        good,
        chain=(issuing.certificate,),
        trust=(cross_signed,),
    )
    anchor(
        "valid/webpki-root-aki-equal-to-ski",
        [],
        append(AKI, ext(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key))),
        profile="webpki",
        table=clean,
    )

    # -- the webpki leaf rules: what they leave alone ---------------------------------------------------
    no_cn = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Demo Participant")])
    control(
        "valid/webpki-ip-san-without-cn",
        server(subject=no_cn, dns_names=[], ip_addresses=["127.0.0.1"]),
        profile="webpki",
        server_name="127.0.0.1",
    )
    control(
        "valid/webpki-wildcard-san-without-cn",
        server(subject=no_cn, dns_names=["*.example.com"]),
        profile="webpki",
        server_name="foo.example.com",
    )
    control(
        "valid/webpki-server-and-client-auth",
        server(extended_key_usage=["serverAuth", "clientAuth"]),
        profile="webpki",
    )

    # RFC 4055 5: sha256WithRSAEncryption parameters "MUST be NULL. Implementations MUST accept the
    # parameters being absent as well as present": accepted in rfc5280 (webpki refuses it, above)
    control(
        "valid/rsa-signature-parameters-absent",
        cases["webpki-signature-algorithm/rsa-without-null"].leaf,
        chain=(rsa_ca.certificate,),
    )
    control("valid/webpki-rsa-server", rsa_server.certificate, chain=(rsa_ca.certificate,), profile="webpki")

    # -- validity at the whole second, max_path_length as pathLenConstraint ----------------------------
    # (the same at the end of a chain is tests/test_validity_second.py: pyhanko, tests/test_pkix.py's
    # second opinion, compares instants and would refuse it)
    control(
        "valid/trusted-leaf-not-after-fractional-second",
        trusted,
        chain=(),
        trust=(trusted,),
        at=trusted.not_after + dt.timedelta(milliseconds=5),
    )
    control(
        "valid/max-path-length-self-issued-not-counted",
        rollover.issue("rig", reuse_key=True).certificate,
        chain=(rollover.certificate, issuing.certificate),
        max_path_length=1,
    )
    return cases, clean


def _set_subject(der: bytes) -> Edit:
    def edit(tbs: Any) -> None:
        tbs["subject"] = asn1_x509.Name.load(der)

    return edit


def _same_subject_pile(pki: testing.DemoPki, at: dt.datetime, *, distinct_keys: bool) -> Case:
    """100 CA certificates sharing one subject, each signed by the one before; none leads to an anchor."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Demo Hostile"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Demo Same Subject CA"),
        ]
    )
    first = ec.generate_private_key(ec.SECP256R1())
    keys_ = [first] + [
        ec.generate_private_key(ec.SECP256R1()) if distinct_keys else first for _ in range(100)
    ]
    pile: list[Certificate] = []
    for position in range(1, len(keys_)):
        key, parent = keys_[position], keys_[position - 1]
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(position)
            .not_valid_before(pki.now - DAY)
            .not_valid_after(pki.now + 365 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(parent.public_key()), critical=False
            )
        )
        from cryptography.hazmat.primitives import hashes

        pile.append(Certificate.from_cryptography(builder.sign(parent, hashes.SHA256())))
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    from cryptography.hazmat.primitives import hashes

    leaf_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "victim.example.com")]))
        .issuer_name(name)
        .public_key(leaf_key.public_key())
        .serial_number(4242)
        .not_valid_before(pki.now - DAY)
        .not_valid_after(pki.now + 30 * DAY)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("victim.example.com")]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(keys_[-1].public_key()), critical=False
        )
        .sign(keys_[-1], hashes.SHA256())
    )
    return Case(
        failures=(("path-building-limit", None),),
        leaf=Certificate.from_cryptography(leaf_cert),
        chain=tuple(reversed(pile)),
        trust=(pki.root.certificate,),
        at=at,
    )


__all__ = ["Case", "build_tables"]
