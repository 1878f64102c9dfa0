"""Leaves that each change one thing, under several chain shapes: the fast-path differential's inputs.

A :class:`Validator <caiso_pki.Validator>` answers a leaf from a *template* when an earlier valid leaf of
the same shape taught it the validated prefix; :func:`caiso_pki.validate_chain` never does.  The
differential (``tests/test_fastpath_differential.py``, ``tests/fuzz/test_fuzz_fastpath.py``) puts the
same leaves through both and requires the same answer.  This module makes those leaves and runs them.

* :data:`SHAPES` names the chain shapes: the issuing CA's key (RSA-2048, ECDSA P-256 and P-384,
  Ed25519), its extensions (certificatePolicies, nameConstraints, extendedKeyUsage) and the
  Validator's options (policy requirement, key usages, revocation with CRLs, a trust store entry with
  ``distrust_after``, a server name).  :func:`build_batch` mints one shape's PKI and leaves.
* :data:`KINDS` is the table of one-change mutations, by family: ``extension`` (added, removed, made
  critical or not, malformed, repeated, another value), ``san`` (types and values inside and outside the
  name constraints, and malformed ones), ``validity`` (edges to the second around ``at``), ``key``,
  ``sigalg`` and ``signature``, ``issuer`` (name bytes), ``aki``, ``ski``, ``serial``, ``version``,
  ``subject`` and ``revoked`` (on the issuer's CRL, each reason, dates around ``at``).  Every leaf is
  the shape's valid template leaf with a fresh serial number and exactly one mutation, signed again by
  the issuing CA (with :func:`caiso_pki._forge.resign`, or here for RSA-PSS and signature defects).
* :func:`plan` draws the mutations from a seeded generator: ``"ci"`` takes every kind that applies to
  the shape once, then random ones; ``"fuzz"`` draws them all at random.  A failure names the seed, the
  shape, the leaf's number and its mutation; the same seed gives the same mutations again (the keys,
  and so the signature bytes, are new on every run).
* :func:`run` validates every leaf three ways (one long-lived Validator's ``validate`` after two valid
  siblings, that Validator's ``validate_many``, and a fresh Validator's ``validate_many`` that learns
  from its first leaf) and once with ``validate_chain``, and reports per leaf whether each way was
  answered by the fast path (``Validator.cache.stats``) and what differed.

Only the public API is used: :mod:`caiso_pki`, :mod:`caiso_pki.testing` and the results' fields.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import os
import random
from collections.abc import Callable, Sequence
from typing import Any, Final

import attrs
from asn1crypto import algos, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa, x25519

import caiso_pki
from _rule_cases import (
    AIA,
    AKI,
    BC,
    EKU,
    KU,
    SAN,
    SKI,
    UNKNOWN,
    explicit_p256_spki,
    rsa_public_key,
    san_der,
    serial,
    validity,
)
from caiso_pki import Certificate, testing
from caiso_pki._forge import resign
from caiso_pki.oids import ANY_POLICY, DEMO_BASIC_ASSURANCE_POLICY

Edit = Callable[[Any], "bytes | None"]

#: The PKI's "now" and the validation time of every leaf (fixed, so edges are exact to the second).
NOW: Final = dt.datetime(2025, 6, 1, 12, 0, 0, tzinfo=dt.UTC)
AT: Final = NOW + dt.timedelta(minutes=10)
SECOND: Final = dt.timedelta(seconds=1)
#: ``distrust_after`` of the anchor in the ``trust-store-distrust-after`` shape.
DISTRUST_AFTER: Final = NOW - dt.timedelta(minutes=30)
#: The server name the ``p256-server-name`` shape asks for (its template leaf's first DNS name).
SERVER_NAME: Final = "rig-0001.example.com"

CP: Final = "2.5.29.32"
CRLDP: Final = "2.5.29.31"
NC: Final = "2.5.29.30"
OTHER_POLICY: Final = "2.999.1.2.3"

EXTENSION_NAMES: Final = {
    BC: "basic-constraints",
    KU: "key-usage",
    EKU: "extended-key-usage",
    SAN: "subject-alt-name",
    CP: "certificate-policies",
    SKI: "subject-key-id",
    AKI: "authority-key-id",
    CRLDP: "crl-distribution-points",
    AIA: "authority-info-access",
}

REASONS: Final = (
    "unspecified",
    "keyCompromise",
    "cACompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "certificateHold",
    "privilegeWithdrawn",
    "aACompromise",
    "removeFromCRL",
)


# -- chain shapes ---------------------------------------------------------------------------------------


@attrs.frozen
class ShapeSpec:
    """A chain shape: the issuing CA under the demo root and the options it is validated with.

    ``issuer_key`` and ``leaf_key`` (the template leaf's): ``"rsa-2048"``, ``"ec-p256"``, ``"ec-p384"``
    or ``"ed25519"``; ``crl``: ``None`` (no CRL for the issuing CA's leaves) or the revocation mode used
    with the CA's and the root's CRLs; ``revocation``: the mode when ``crl`` is ``None``.
    """

    name: str
    issuer_key: str
    leaf_key: str = "ec-p256"
    policies: bool = False
    policy_requirement: bool = False
    name_constraints: bool = False
    intermediate_eku: bool = False
    usage: bool = False
    crl: str | None = None
    revocation: str = "off"
    distrust_after: bool = False
    server_name: bool = False

    @property
    def templated(self) -> bool:
        """Whether the fast path can answer leaves of this shape at all (no name constraints above)."""
        return not self.name_constraints


SHAPES: Final[dict[str, ShapeSpec]] = {
    spec.name: spec
    for spec in (
        ShapeSpec("rsa2048-plain-rsa-leaf", "rsa-2048", leaf_key="rsa-2048"),
        ShapeSpec(
            "rsa2048-policies-usage-crl-require",
            "rsa-2048",
            policies=True,
            policy_requirement=True,
            usage=True,
            crl="require",
        ),
        ShapeSpec(
            "p256-policies-explicit-crl-soft-fail",
            "ec-p256",
            policies=True,
            policy_requirement=True,
            crl="soft-fail",
        ),
        ShapeSpec("p256-name-constraints", "ec-p256", name_constraints=True),
        ShapeSpec(
            "p256-intermediate-eku-usage",
            "ec-p256",
            intermediate_eku=True,
            usage=True,
            revocation="soft-fail",
        ),
        ShapeSpec("p256-server-name", "ec-p256", server_name=True),
        ShapeSpec(
            "p384-usage-crl-require-p384-leaf", "ec-p384", leaf_key="ec-p384", usage=True, crl="require"
        ),
        ShapeSpec("p384-policies-no-requirement", "ec-p384", policies=True),
        ShapeSpec("ed25519-crl-require-ed25519-leaf", "ed25519", leaf_key="ed25519", crl="require"),
        ShapeSpec(
            "ed25519-policies-soft-fail-no-leaf-crl",
            "ed25519",
            policies=True,
            policy_requirement=True,
            revocation="soft-fail",
        ),
        ShapeSpec("trust-store-distrust-after", "ec-p256", distrust_after=True),
    )
}


@attrs.define
class Context:
    """What the mutations of one shape need to know (names, keys and values of the minted PKI)."""

    spec: ShapeSpec
    issuer: testing.CertificateAuthority
    root: testing.CertificateAuthority
    template: Certificate
    extensions: tuple[tuple[str, bool, bytes], ...]  # the template leaf's (oid, critical, value)
    issuer_name: bytes
    root_name: bytes


def _new_issuer(pki: testing.DemoPki, spec: ShapeSpec) -> testing.CertificateAuthority:
    """The issuing CA of ``spec``, signed by the demo root."""
    extra: list[tuple[x509.ExtensionType, bool]] = []
    if spec.name_constraints:
        constraints = x509.NameConstraints(
            permitted_subtrees=[
                x509.DNSName("example.com"),
                x509.RFC822Name("example.com"),
                x509.IPAddress(ipaddress.ip_network("10.0.0.0/8")),
                x509.UniformResourceIdentifier(".example.com"),
            ],
            excluded_subtrees=[x509.DNSName("blocked.example.com")],
        )
        extra.append((constraints, True))
    if spec.intermediate_eku:
        extra.append((x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), False))
    policies = (DEMO_BASIC_ASSURANCE_POLICY,) if spec.policies else ()
    name = f"Demo {spec.name} CA"
    key_spec = "ec-p256" if spec.issuer_key == "ed25519" else spec.issuer_key
    ca = pki.root.issue_intermediate(
        name, path_length=0, policies=policies, key_spec=key_spec, extra_extensions=extra
    )
    if spec.issuer_key != "ed25519":
        return ca
    # testing.issue_intermediate makes RSA and EC keys only: give the CA an Ed25519 key instead.
    key = ed25519.Ed25519PrivateKey.generate()
    public = key.public_key()
    spki = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    ski = x509.SubjectKeyIdentifier.from_public_key(public).public_bytes()

    def swap_key(tbs: Any) -> None:
        from asn1crypto import keys

        tbs["subject_public_key_info"] = keys.PublicKeyInfo.load(spki)

    certificate = pki.root.resign(ca.certificate, _steps(swap_key, replace(SKI, ski)))
    ed_ca = testing.CertificateAuthority(
        name=name,
        slug=ca.slug,
        certificate=certificate,
        key=key,
        parent=pki.root,
        pki=pki,
        policies=ca.policies,
    )
    pki.authorities[ca.slug] = ed_ca
    return ed_ca


def _steps(*steps: Edit) -> Edit:
    """One edit that applies ``steps`` in order; a step that returns DER must be the last."""

    def edit(tbs: Any) -> bytes | None:
        result = None
        for step in steps:
            assert result is None, "a step that returns DER must come last"
            result = step(tbs)
        return result

    return edit


# Extension edits are made on the DER: asn1crypto re-encodes some malformed values it is handed (an
# OCTET STRING ending in 00 00, a length in the long form), so they are written here as given.
RawExtension = tuple[str, bool, bytes]  # (oid, critical, the DER inside extnValue)


def _children(der: bytes) -> tuple[int, list[bytes]]:
    """(tag, the raw TLVs inside) of the DER element ``der``."""
    tag, pos, end = _header(der, 0)
    found = []
    while pos < end:
        _, _, stop = _header(der, pos)
        found.append(der[pos:stop])
        pos = stop
    return tag, found


def _header(der: bytes, pos: int) -> tuple[int, int, int]:
    tag, first = der[pos], der[pos + 1]
    if first < 0x80:
        return tag, pos + 2, pos + 2 + first
    count = first & 0x7F
    size = int.from_bytes(der[pos + 2 : pos + 2 + count], "big")
    return tag, pos + 2 + count, pos + 2 + count + size


def raw_extensions(transform: Callable[[list[RawExtension]], list[RawExtension]]) -> Edit:
    """An edit that rewrites the extensions as raw ``(oid, critical, value)`` (none: no [3] field)."""

    def edit(tbs: Any) -> bytes:
        current = [
            (ext["extn_id"].dotted, bool(ext["critical"].native), bytes(ext["extn_value"].contents))
            for ext in (tbs["extensions"] if tbs["extensions"].native is not None else [])
        ]
        _, fields = _children(tbs.dump())
        if fields and fields[-1][0] == 0xA3:
            fields = fields[:-1]
        wanted = transform(current)
        if wanted:
            body = b"".join(
                _tlv(0x30, _oid_der(oid) + (b"\x01\x01\xff" if flag else b"") + _tlv(0x04, value))
                for oid, flag, value in wanted
            )
            fields.append(_tlv(0xA3, _tlv(0x30, body)))
        return _tlv(0x30, b"".join(fields))

    return edit


def drop(oid: str) -> Edit:
    """Remove extension ``oid``."""
    return raw_extensions(lambda exts: [ext for ext in exts if ext[0] != oid])


def critical(oid: str, flag: bool = True) -> Edit:
    """Mark extension ``oid`` critical (or not)."""
    return raw_extensions(lambda exts: [(o, flag if o == oid else c, v) for o, c, v in exts])


def append(oid: str, value: bytes, *, is_critical: bool = False) -> Edit:
    """Add extension ``oid`` holding ``value`` (raw DER, not checked) at the end."""
    return raw_extensions(lambda exts: [*exts, (oid, is_critical, value)])


def replace(oid: str, value: bytes) -> Edit:
    """Replace the value of extension ``oid`` with raw ``value`` (same position and criticality)."""
    return raw_extensions(lambda exts: [(o, c, value if o == oid else v) for o, c, v in exts])


def _template(ca: testing.CertificateAuthority, spec: ShapeSpec) -> Certificate:
    """The shape's valid leaf, as issued (signed with an EC key when the CA's is Ed25519, then re-signed)."""
    signing_key = ec.generate_private_key(ec.SECP256R1()) if spec.issuer_key == "ed25519" else None
    sans: dict[str, Any] = {"dns_names": [SERVER_NAME]}
    if spec.name_constraints:
        sans |= {"emails": ["ops@example.com"]}  # pyhanko has no containment check for iPAddress
    key: dict[str, Any] = {"key_spec": spec.leaf_key, "reuse_key": True}
    if spec.leaf_key == "ed25519":  # the test PKI makes RSA and EC keys only
        key = {"public_key": _leaf_ed25519_key()}
    issued = ca.issue(
        "rig",
        SERVER_NAME,
        **key,
        not_before=NOW - dt.timedelta(hours=1),
        validity=dt.timedelta(days=365),
        signing_key=signing_key,
        **sans,
    )
    return issued.certificate


@functools.cache
def _leaf_ed25519_key() -> ed25519.Ed25519PublicKey:
    return ed25519.Ed25519PrivateKey.generate().public_key()


def _extensions(cert: Certificate) -> tuple[tuple[str, bool, bytes], ...]:
    tbs = asn1_x509.Certificate.load(cert.der)["tbs_certificate"]
    return tuple(
        (ext["extn_id"].dotted, bool(ext["critical"].native), bytes(ext["extn_value"].contents))
        for ext in tbs["extensions"]
    )


# -- the mutation table -----------------------------------------------------------------------------------


@attrs.frozen
class Mutation:
    """One change to the template leaf.

    ``edit`` changes the to-be-signed certificate; ``signer`` says how it is signed: ``"issuer"``,
    ``"pss-sha256"`` or ``"pss-sha384"``, or with a defect (``"other-key"``, ``"root-key"``, ``"flip"``,
    ``"truncate"``, ``"unused-bits"``, ``"outer-differs"``, ``"high-s"``); ``revoke`` puts the leaf on its
    issuer's CRL with a reason and a revocation date.
    """

    family: str
    kind: str
    detail: str = ""
    edit: Edit | None = attrs.field(default=None, eq=False, repr=False)
    signer: str = "issuer"
    revoke: tuple[str, dt.datetime] | None = None


Factory = Callable[[Context, random.Random], Mutation]


@attrs.frozen
class Kind:
    """A row of :data:`KINDS`: a mutation kind, when it applies, and how to draw one."""

    name: str
    make: Factory = attrs.field(repr=False)
    applies: Callable[[Context], bool] = attrs.field(default=lambda ctx: True, repr=False)
    # whether the leaf keeps the template's shape, so the fast path looks its template up
    keeps_shape: bool | Callable[[Context], bool] = False

    @property
    def family(self) -> str:
        return self.name.split("/", 1)[0]

    def keeps(self, ctx: Context) -> bool:
        """Whether a leaf of this kind has the shape of ``ctx``'s template leaf."""
        return self.keeps_shape(ctx) if callable(self.keeps_shape) else self.keeps_shape


KINDS: dict[str, Kind] = {}


def _kind(
    name: str,
    *,
    applies: Callable[[Context], bool] | None = None,
    keeps_shape: bool | Callable[[Context], bool] = False,
) -> Callable[[Factory], Factory]:
    def register(make: Factory) -> Factory:
        assert name not in KINDS, name
        KINDS[name] = Kind(name, make, applies or (lambda ctx: True), keeps_shape)
        return make

    return register


def _mutation(name: str, detail: str = "", edit: Edit | None = None, **kw: Any) -> Mutation:
    return Mutation(name.split("/", 1)[0], name, detail, edit, **kw)


def _oid_der(dotted: str) -> bytes:
    dumped: bytes = core.ObjectIdentifier(dotted).dump()
    return dumped


def _tlv(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _long_form(tag: int, content: bytes, extra_zero: bool = False) -> bytes:
    """A TLV whose length is in the long form even when short (not DER)."""
    length = len(content).to_bytes(max(1, (len(content).bit_length() + 7) // 8), "big")
    if extra_zero:
        length = b"\x00" + length
    return bytes([tag, 0x80 | len(length)]) + length + content


def _label(rng: random.Random) -> str:
    return f"n{rng.randrange(10**6):06d}"


# -- control -------------------------------------------------------------------------------------------


@_kind("control/sibling", keeps_shape=True)
def _control(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation("control/sibling", "the template with a fresh serial number")


# -- extensions ------------------------------------------------------------------------------------------


def _has(oid: str) -> Callable[[Context], bool]:
    return lambda ctx: any(found == oid for found, _, _ in ctx.extensions)


def _value_of(ctx: Context, oid: str) -> bytes:
    return next(value for found, _, value in ctx.extensions if found == oid)


def _register_extension_kinds() -> None:
    for oid, name in EXTENSION_NAMES.items():

        def remove(ctx: Context, rng: random.Random, oid: str = oid, name: str = name) -> Mutation:
            return _mutation(f"extension/remove/{name}", "", drop(oid))

        def flip(ctx: Context, rng: random.Random, oid: str = oid, name: str = name) -> Mutation:
            now = next(flag for found, flag, _ in ctx.extensions if found == oid)
            return _mutation(f"extension/criticality/{name}", f"critical={not now}", critical(oid, not now))

        def malformed(ctx: Context, rng: random.Random, oid: str = oid, name: str = name) -> Mutation:
            value = _value_of(ctx, oid)
            variants = {
                "empty": b"",
                "null": b"\x05\x00",
                "truncated": value[:-1],
                "trailing-bytes": value + b"\x00\x00",
                "retagged": bytes([0x31 if value[0] != 0x31 else 0x30]) + value[1:],
                "garbage": bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12))),
                "length-one-too-long": bytes([value[0], value[1] + 1]) + value[2:]
                if value[1] < 0x7F
                else value + b"\x00",
            }
            if value[1] < 0x80:
                variants["indefinite-length"] = bytes([value[0], 0x80]) + value[2:] + b"\x00\x00"
            how = rng.choice(sorted(variants))
            return _mutation(f"extension/malformed/{name}", how, replace(oid, variants[how]))

        def repeat(ctx: Context, rng: random.Random, oid: str = oid, name: str = name) -> Mutation:
            value = _value_of(ctx, oid)
            flag = next(flag for found, flag, _ in ctx.extensions if found == oid)
            return _mutation(f"extension/repeat/{name}", "", append(oid, value, is_critical=flag))

        KINDS[f"extension/remove/{name}"] = Kind(f"extension/remove/{name}", remove, _has(oid))
        KINDS[f"extension/criticality/{name}"] = Kind(f"extension/criticality/{name}", flip, _has(oid))
        KINDS[f"extension/malformed/{name}"] = Kind(f"extension/malformed/{name}", malformed, _has(oid))
        KINDS[f"extension/repeat/{name}"] = Kind(f"extension/repeat/{name}", repeat, _has(oid))


_register_extension_kinds()

_ADDED: Final[dict[str, tuple[str, bytes, bool]]] = {
    "unknown-non-critical": (UNKNOWN, b"\x05\x00", False),
    "unknown-critical": (UNKNOWN, b"\x05\x00", True),
    "name-constraints": (
        NC,
        x509.NameConstraints(
            permitted_subtrees=[x509.DNSName("example.com")], excluded_subtrees=None
        ).public_bytes(),
        True,
    ),
    "policy-constraints": ("2.5.29.36", b"\x30\x03\x80\x01\x00", True),
    "inhibit-any-policy": ("2.5.29.54", b"\x02\x01\x00", True),
    "policy-mappings": (
        "2.5.29.33",
        _tlv(0x30, _tlv(0x30, _oid_der(DEMO_BASIC_ASSURANCE_POLICY) + _oid_der(OTHER_POLICY))),
        True,
    ),
    "ocsp-no-check": ("1.3.6.1.5.5.7.48.1.5", b"\x05\x00", False),
    "freshest-crl": (
        "2.5.29.46",
        x509.FreshestCRL(
            [
                x509.DistributionPoint(
                    [x509.UniformResourceIdentifier("http://127.0.0.1:8080/delta.crl")], None, None, None
                )
            ]
        ).public_bytes(),
        False,
    ),
    "precert-poison": ("1.3.6.1.4.1.11129.2.4.3", b"\x05\x00", True),
    "tls-feature": ("1.3.6.1.5.5.7.1.24", b"\x30\x03\x02\x01\x05", False),
    "subject-info-access": (
        "1.3.6.1.5.5.7.1.11",
        _tlv(0x30, _tlv(0x30, _oid_der("1.3.6.1.5.5.7.48.5") + _tlv(0x86, b"http://example.com/repo"))),
        False,
    ),
    "private-key-usage-period": ("2.5.29.16", _tlv(0x30, _tlv(0x80, b"20250101000000Z")), False),
    "issuer-alt-name": ("2.5.29.18", san_der((0x82, b"ca.example.com")), False),
    "subject-directory-attributes": (
        "2.5.29.9",
        _tlv(0x30, _tlv(0x30, _oid_der("1.3.6.1.5.5.7.9.4") + _tlv(0x31, _tlv(0x13, b"US")))),
        False,
    ),
}


def _register_added() -> None:
    for what, (oid, value, flag) in _ADDED.items():

        def add(
            ctx: Context,
            rng: random.Random,
            what: str = what,
            oid: str = oid,
            value: bytes = value,
            flag: bool = flag,
        ) -> Mutation:
            return _mutation(f"extension/add/{what}", oid, append(oid, value, is_critical=flag))

        KINDS[f"extension/add/{what}"] = Kind(f"extension/add/{what}", add)


_register_added()


def _ku(**bits: bool) -> bytes:
    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(*(bits.get(name, False) for name in names)).public_bytes()


_EKU_OIDS: Final = x509.oid.ExtendedKeyUsageOID

_VALUES: Final[dict[str, tuple[str, bytes]]] = {
    "key-usage-with-key-cert-sign": (KU, _ku(digital_signature=True, key_cert_sign=True)),
    "key-usage-key-encipherment-only": (KU, _ku(key_encipherment=True)),
    "key-usage-with-key-agreement": (KU, _ku(digital_signature=True, key_agreement=True)),
    "key-usage-crl-sign": (KU, _ku(digital_signature=True, crl_sign=True)),
    "eku-server-only": (EKU, x509.ExtendedKeyUsage([_EKU_OIDS.SERVER_AUTH]).public_bytes()),
    "eku-any": (EKU, x509.ExtendedKeyUsage([_EKU_OIDS.ANY_EXTENDED_KEY_USAGE]).public_bytes()),
    "eku-client-and-any": (
        EKU,
        x509.ExtendedKeyUsage([_EKU_OIDS.CLIENT_AUTH, _EKU_OIDS.ANY_EXTENDED_KEY_USAGE]).public_bytes(),
    ),
    "eku-empty": (EKU, b"\x30\x00"),
    "eku-ocsp-signing": (EKU, x509.ExtendedKeyUsage([_EKU_OIDS.OCSP_SIGNING]).public_bytes()),
    "eku-reordered": (
        EKU,
        x509.ExtendedKeyUsage([_EKU_OIDS.SERVER_AUTH, _EKU_OIDS.CLIENT_AUTH]).public_bytes(),
    ),
    "basic-constraints-ca": (BC, x509.BasicConstraints(ca=True, path_length=None).public_bytes()),
    "basic-constraints-ca-path-length-0": (BC, x509.BasicConstraints(ca=True, path_length=0).public_bytes()),
    "basic-constraints-explicit-false": (BC, b"\x30\x03\x01\x01\x00"),
    "policies-other": (
        CP,
        x509.CertificatePolicies(
            [x509.PolicyInformation(x509.ObjectIdentifier(OTHER_POLICY), None)]
        ).public_bytes(),
    ),
    "policies-any": (
        CP,
        x509.CertificatePolicies(
            [x509.PolicyInformation(x509.ObjectIdentifier(ANY_POLICY), None)]
        ).public_bytes(),
    ),
    "policies-demo-and-other": (
        CP,
        x509.CertificatePolicies(
            [
                x509.PolicyInformation(x509.ObjectIdentifier(DEMO_BASIC_ASSURANCE_POLICY), None),
                x509.PolicyInformation(x509.ObjectIdentifier(OTHER_POLICY), None),
            ]
        ).public_bytes(),
    ),
    "policies-demo-with-cps": (
        CP,
        x509.CertificatePolicies(
            [
                x509.PolicyInformation(
                    x509.ObjectIdentifier(DEMO_BASIC_ASSURANCE_POLICY), [testing.DEMO_CPS_URL]
                )
            ]
        ).public_bytes(),
    ),
    "crl-distribution-points-other-url": (
        CRLDP,
        x509.CRLDistributionPoints(
            [
                x509.DistributionPoint(
                    [x509.UniformResourceIdentifier("http://127.0.0.1:8080/crl/other.crl")], None, None, None
                )
            ]
        ).public_bytes(),
    ),
    "authority-info-access-ca-issuers-only": (
        AIA,
        x509.AuthorityInformationAccess(
            [
                x509.AccessDescription(
                    x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                    x509.UniformResourceIdentifier("http://127.0.0.1:8080/ca/issuing.cer"),
                )
            ]
        ).public_bytes(),
    ),
}


def _register_values() -> None:
    for what, (oid, value) in _VALUES.items():

        def change(
            ctx: Context, rng: random.Random, what: str = what, oid: str = oid, value: bytes = value
        ) -> Mutation:
            return _mutation(f"extension/value/{what}", "", replace(oid, value))

        KINDS[f"extension/value/{what}"] = Kind(f"extension/value/{what}", change, _has(oid))


_register_values()


@_kind("extension/order/reversed")
def _reversed(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation("extension/order/reversed", "", raw_extensions(lambda exts: exts[::-1]))


@_kind("extension/remove/all")
def _no_extensions(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation("extension/remove/all", "no extensions field", raw_extensions(lambda exts: []))


# -- subjectAltName ------------------------------------------------------------------------------------------


def _san(name: str, names: Sequence[tuple[int, bytes]], detail: str = "", keeps: bool = False) -> Mutation:
    return _mutation(name, detail or repr(names), replace(SAN, san_der(*names)))


def _san_kind(name: str, keeps_shape: bool = False) -> Callable[[Factory], Factory]:
    return _kind(name, applies=_has(SAN), keeps_shape=keeps_shape)


@_san_kind("san/dns-inside", keeps_shape=True)
def _dns_inside(ctx: Context, rng: random.Random) -> Mutation:
    value = f"{_label(rng)}.example.com".encode()
    return _san("san/dns-inside", [(0x82, value)])


@_san_kind("san/dns-outside", keeps_shape=True)
def _dns_outside(ctx: Context, rng: random.Random) -> Mutation:
    value = rng.choice([f"{_label(rng)}.example.org", f"{_label(rng)}.blocked.example.com", "examplexcom"])
    return _san("san/dns-outside", [(0x82, value.encode())])


@_san_kind("san/dns-wildcard", keeps_shape=True)
def _dns_wildcard(ctx: Context, rng: random.Random) -> Mutation:
    value = rng.choice(["*.example.com", f"*.{_label(rng)}.example.com", "*.example.org"])
    return _san("san/dns-wildcard", [(0x82, value.encode())])


@_san_kind("san/dns-apex-and-case", keeps_shape=True)
def _dns_case(ctx: Context, rng: random.Random) -> Mutation:
    value = rng.choice(
        ["example.com", "RIG-0001.EXAMPLE.COM", "Rig-0001.Example.Com", "xn--bcher-kva.example.com"]
    )
    return _san("san/dns-apex-and-case", [(0x82, value.encode())])


@_san_kind("san/dns-many", keeps_shape=True)
def _dns_many(ctx: Context, rng: random.Random) -> Mutation:
    count = rng.randrange(2, 60)
    names = [(0x82, f"{_label(rng)}.example.com".encode()) for _ in range(count)]
    return _san("san/dns-many", names, f"{count} dNSNames")


@_san_kind("san/dns-invalid")
def _dns_invalid(ctx: Context, rng: random.Random) -> Mutation:
    value = rng.choice(
        [
            b"rig_0001.example.com",
            b"rig-0001.example.com.",
            b"",
            b"*",
            b"a.*.example.com",
            b"-rig.example.com",
            "r\u00e9g.example.com".encode(),
            b"a" * 64 + b".example.com",
            b"rig..example.com",
            b"rig example.com",
        ]
    )
    return _san("san/dns-invalid", [(0x82, value)])


@_san_kind("san/email-inside", keeps_shape=True)
def _email_inside(ctx: Context, rng: random.Random) -> Mutation:
    value = rng.choice([f"{_label(rng)}@example.com", f"ops@{_label(rng)}.example.com"])
    return _san("san/email-inside", [(0x81, value.encode())])


@_san_kind("san/email-outside", keeps_shape=True)
def _email_outside(ctx: Context, rng: random.Random) -> Mutation:
    value = rng.choice([f"{_label(rng)}@example.org", "ops@examplexcom", "ops@blocked.example.com"])
    return _san("san/email-outside", [(0x81, value.encode())])


@_san_kind("san/email-odd", keeps_shape=True)
def _email_odd(ctx: Context, rng: random.Random) -> Mutation:
    value = rng.choice([b"example.com", b"a@b@example.com", b"@example.com", b"ops@", b"a@b..example.com"])
    return _san("san/email-odd", [(0x81, value)])


@_san_kind("san/email-undecodable-host", keeps_shape=True)
def _email_idna(ctx: Context, rng: random.Random) -> Mutation:
    value = rng.choice([b"ops@xn--zz.example.com", b"ops@xn--.example.com", b"ops@xn--a-ecp.example.com"])
    return _san("san/email-undecodable-host", [(0x81, value)])


@_san_kind("san/email-not-printable")
def _email_space(ctx: Context, rng: random.Random) -> Mutation:
    value = rng.choice([b"o ps@example.com", "\u00e9@example.com".encode(), b"ops@example.com\x00"])
    return _san("san/email-not-printable", [(0x81, value)])


@_san_kind("san/ip-inside", keeps_shape=True)
def _ip_inside(ctx: Context, rng: random.Random) -> Mutation:
    value = bytes([10, rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)])
    return _san("san/ip-inside", [(0x87, value)], str(ipaddress.ip_address(value)))


@_san_kind("san/ip-outside", keeps_shape=True)
def _ip_outside(ctx: Context, rng: random.Random) -> Mutation:
    value = rng.choice(
        [
            bytes([192, 168, rng.randrange(256), rng.randrange(1, 255)]),
            bytes([11, 0, 0, 1]),
            ipaddress.ip_address(f"2001:db8::{rng.randrange(1, 65535):x}").packed,
            ipaddress.ip_address("::ffff:10.0.0.1").packed,
        ]
    )
    return _san("san/ip-outside", [(0x87, value)], str(ipaddress.ip_address(value)))


@_san_kind("san/ip-bad-length")
def _ip_bad(ctx: Context, rng: random.Random) -> Mutation:
    value = rng.choice([b"\x0a\x00\x00", b"\x0a\x00\x00\x01\x00", b"\x0a\x00\x00\x00\xff\x00\x00\x00", b""])
    return _san("san/ip-bad-length", [(0x87, value)])


@_san_kind("san/uri-inside", keeps_shape=True)
def _uri_inside(ctx: Context, rng: random.Random) -> Mutation:
    value = f"https://{_label(rng)}.example.com/path?q=1"
    return _san("san/uri-inside", [(0x86, value.encode())])


@_san_kind("san/uri-outside", keeps_shape=True)
def _uri_outside(ctx: Context, rng: random.Random) -> Mutation:
    value = rng.choice([f"https://{_label(rng)}.example.org/", "https://example.com/", "https://10.0.0.1/"])
    return _san("san/uri-outside", [(0x86, value.encode())])


@_san_kind("san/uri-odd", keeps_shape=True)
def _uri_odd(ctx: Context, rng: random.Random) -> Mutation:
    value = rng.choice(
        [b"example.com", b"urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", b"https://x.example.com:8443/"]
    )
    return _san("san/uri-odd", [(0x86, value)])


@_san_kind("san/uri-undecodable", keeps_shape=True)
def _uri_bad(ctx: Context, rng: random.Random) -> Mutation:
    value = rng.choice(
        [
            b"http://[x/",
            b"https://x.example.com:port/",
            b"https://x.example.com:99999/",
            b"https://xn--zz.example.com/",
        ]
    )
    return _san("san/uri-undecodable", [(0x86, value)])


@_san_kind("san/mixed-inside", keeps_shape=True)
def _mixed(ctx: Context, rng: random.Random) -> Mutation:
    names = [
        (0x82, f"{_label(rng)}.example.com".encode()),
        (0x87, bytes([10, 1, 2, rng.randrange(1, 255)])),
        (0x81, b"ops@example.com"),
        (0x86, b"https://www.example.com/"),
    ]
    rng.shuffle(names)
    return _san("san/mixed-inside", names)


@_san_kind("san/other-name-types")
def _other_types(ctx: Context, rng: random.Random) -> Mutation:
    directory = _tlv(0xA4, x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "ops")]).public_bytes())
    upn = _tlv(0xA0, _oid_der("1.3.6.1.4.1.311.20.2.3") + _tlv(0xA0, _tlv(0x0C, b"ops@example.com")))
    registered = _tlv(0x88, _oid_der("1.2.3.4")[2:])
    which = rng.choice(["directoryName", "otherName", "registeredID"])
    value = {"directoryName": directory, "otherName": upn, "registeredID": registered}[which]
    body = _tlv(0x82, SERVER_NAME.encode()) + value
    return _mutation("san/other-name-types", which, replace(SAN, _tlv(0x30, body)))


@_san_kind("san/empty")
def _san_empty(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation("san/empty", "SEQUENCE {}", replace(SAN, b"\x30\x00"))


@_san_kind("san/trailing-bytes")
def _san_trailing(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation("san/trailing-bytes", "", replace(SAN, san_der((0x82, SERVER_NAME.encode())) + b"\x00"))


@_san_kind("san/non-minimal-length", keeps_shape=True)
def _san_long_form(ctx: Context, rng: random.Random) -> Mutation:
    name = SERVER_NAME.encode()
    variants = {
        "outer SEQUENCE length in long form": _long_form(0x30, _tlv(0x82, name)),
        "dNSName length in long form": _tlv(0x30, _long_form(0x82, name)),
        "outer length with a leading zero octet": _long_form(0x30, _tlv(0x82, name), extra_zero=True),
    }
    how = rng.choice(sorted(variants))
    return _mutation("san/non-minimal-length", how, replace(SAN, variants[how]))


# -- subjectKeyIdentifier and authorityKeyIdentifier ---------------------------------------------------------


@_kind("ski/other-value", applies=_has(SKI), keeps_shape=True)
def _ski_other(ctx: Context, rng: random.Random) -> Mutation:
    size = rng.choice([20, 20, 8, 32, 1])
    value = bytes(rng.randrange(256) for _ in range(size))
    return _mutation("ski/other-value", f"{size} octets", replace(SKI, _tlv(0x04, value)))


@_kind("ski/empty", applies=_has(SKI), keeps_shape=True)
def _ski_empty(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation("ski/empty", "OCTET STRING {}", replace(SKI, b"\x04\x00"))


@_kind("ski/non-minimal-length", applies=_has(SKI), keeps_shape=True)
def _ski_long_form(ctx: Context, rng: random.Random) -> Mutation:
    value = bytes(rng.randrange(256) for _ in range(20))
    return _mutation("ski/non-minimal-length", "0x81 0x14", replace(SKI, _long_form(0x04, value)))


def _issuer_ski(ctx: Context) -> bytes:
    value: bytes = ctx.issuer.certificate.x509.extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier
    ).value.digest
    return value


@_kind("aki/absent", applies=_has(AKI))
def _aki_absent(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation("aki/absent", "", drop(AKI))


@_kind("aki/wrong-key-id", applies=_has(AKI))
def _aki_wrong(ctx: Context, rng: random.Random) -> Mutation:
    value = x509.AuthorityKeyIdentifier(bytes(rng.randrange(256) for _ in range(20)), None, None)
    return _mutation("aki/wrong-key-id", "", replace(AKI, value.public_bytes()))


@_kind("aki/with-issuer-and-serial", applies=_has(AKI))
def _aki_full(ctx: Context, rng: random.Random) -> Mutation:
    right = rng.random() < 0.5
    number = ctx.issuer.certificate.serial_number if right else ctx.issuer.certificate.serial_number + 1
    value = x509.AuthorityKeyIdentifier(
        _issuer_ski(ctx), [x509.DirectoryName(ctx.issuer.certificate.x509.issuer)], number
    )
    detail = "the issuer's issuer and serial" if right else "a wrong authorityCertSerialNumber"
    return _mutation("aki/with-issuer-and-serial", detail, replace(AKI, value.public_bytes()))


@_kind("aki/issuer-and-serial-only", applies=_has(AKI))
def _aki_no_key_id(ctx: Context, rng: random.Random) -> Mutation:
    value = x509.AuthorityKeyIdentifier(
        None, [x509.DirectoryName(ctx.issuer.certificate.x509.issuer)], ctx.issuer.certificate.serial_number
    )
    return _mutation("aki/issuer-and-serial-only", "", replace(AKI, value.public_bytes()))


@_kind("aki/empty", applies=_has(AKI))
def _aki_empty(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation("aki/empty", "SEQUENCE {}", replace(AKI, b"\x30\x00"))


# -- validity ------------------------------------------------------------------------------------------------


def _utc(value: dt.datetime) -> bytes:
    return value.strftime("%y%m%d%H%M%SZ").encode()


def _generalized(value: dt.datetime) -> bytes:
    return value.strftime("%Y%m%d%H%M%SZ").encode()


def _edge(field: str, offset: int) -> Factory:
    def make(ctx: Context, rng: random.Random) -> Mutation:
        when = AT + offset * SECOND
        name = f"validity/{field.replace('_', '-')}=at{offset:+d}s".replace("+0s", "")
        return _mutation(name, when.isoformat(), validity(field, "utc_time", _utc(when)))

    return make


for _field in ("not_before", "not_after"):
    for _offset in (-1, 0, 1):
        _name = f"validity/{_field.replace('_', '-')}=at{_offset:+d}s".replace("+0s", "")
        KINDS[_name] = Kind(_name, _edge(_field, _offset), keeps_shape=True)


@_kind("validity/inside", keeps_shape=True)
def _inside(ctx: Context, rng: random.Random) -> Mutation:
    start = AT - rng.randrange(2, 10**7) * SECOND
    end = AT + rng.randrange(2, 10**8) * SECOND

    def edit(tbs: Any) -> None:
        tbs["validity"] = {"not_before": {"utc_time": start}, "not_after": {"utc_time": end}}

    return _mutation("validity/inside", f"{start.isoformat()} .. {end.isoformat()}", edit)


@_kind("validity/generalized-time-before-2050", keeps_shape=True)
def _generalized_before_2050(ctx: Context, rng: random.Random) -> Mutation:
    field = rng.choice(["not_before", "not_after"])
    when = ctx.template.not_before if field == "not_before" else ctx.template.not_after
    return _mutation(
        "validity/generalized-time-before-2050", field, validity(field, "general_time", _generalized(when))
    )


@_kind("validity/not-after-9999", keeps_shape=True)
def _forever(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation("validity/not-after-9999", "", validity("not_after", "general_time", b"99991231235959Z"))


@_kind("validity/outside-the-issuer", keeps_shape=True)
def _outside_issuer(ctx: Context, rng: random.Random) -> Mutation:
    issuer = ctx.issuer.certificate
    if rng.random() < 0.5:
        return _mutation(
            "validity/outside-the-issuer",
            "notBefore before the issuer's",
            validity("not_before", "utc_time", _utc(issuer.not_before - dt.timedelta(days=30))),
        )
    return _mutation(
        "validity/outside-the-issuer",
        "notAfter after the issuer's",
        validity("not_after", "general_time", _generalized(issuer.not_after + dt.timedelta(days=30 * 365))),
    )


@_kind("validity/inverted", keeps_shape=True)
def _inverted(ctx: Context, rng: random.Random) -> Mutation:
    def edit(tbs: Any) -> None:
        tbs["validity"] = {
            "not_before": {"utc_time": AT + dt.timedelta(days=1)},
            "not_after": {"utc_time": AT - dt.timedelta(days=1)},
        }

    return _mutation("validity/inverted", "notAfter a day before at, notBefore a day after", edit)


@_kind("validity/expired-or-not-yet-valid", keeps_shape=True)
def _far(ctx: Context, rng: random.Random) -> Mutation:
    if rng.random() < 0.5:
        return _mutation(
            "validity/expired-or-not-yet-valid",
            "expired in 1999 (UTCTime)",
            validity("not_after", "utc_time", b"991231235959Z"),
        )
    return _mutation(
        "validity/expired-or-not-yet-valid",
        "notBefore a year after at",
        validity("not_before", "utc_time", _utc(AT + dt.timedelta(days=365))),
    )


@_kind("validity/bad-encoding")
def _bad_time(ctx: Context, rng: random.Random) -> Mutation:
    field, kind, contents = rng.choice(
        [
            ("not_after", "general_time", b"20300101000000.5Z"),
            ("not_after", "utc_time", b"3001010000Z"),
            ("not_before", "utc_time", b"250101000000+0000"),
            ("not_before", "general_time", b"20250101000000"),
        ]
    )
    return _mutation("validity/bad-encoding", f"{field} {contents!r}", validity(field, kind, contents))


def _distrust_edge(offset: int) -> Factory:
    def make(ctx: Context, rng: random.Random) -> Mutation:
        when = DISTRUST_AFTER + offset * SECOND
        name = f"validity/not-before=distrust-after{offset:+d}s".replace("+0s", "")
        return _mutation(name, when.isoformat(), validity("not_before", "utc_time", _utc(when)))

    return make


for _offset in (-1, 0, 1):
    _name = f"validity/not-before=distrust-after{_offset:+d}s".replace("+0s", "")
    KINDS[_name] = Kind(_name, _distrust_edge(_offset), lambda ctx: ctx.spec.distrust_after, keeps_shape=True)


# -- the leaf's key ------------------------------------------------------------------------------------------


def _leaf_key_is(*specs: str) -> Callable[[Context], bool]:
    return lambda ctx: ctx.spec.leaf_key in specs


@functools.cache
def _public_key(spec: str) -> bytes:
    """A subjectPublicKeyInfo (DER) of ``spec``, made once per process."""
    curves: dict[str, ec.EllipticCurve] = {
        "p256": ec.SECP256R1(),
        "p384": ec.SECP384R1(),
        "p521": ec.SECP521R1(),
        "p224": ec.SECP224R1(),
        "p192": ec.SECP192R1(),
        "secp256k1": ec.SECP256K1(),
        "brainpoolP256r1": ec.BrainpoolP256R1(),
    }
    key: Any
    if spec.startswith("rsa-"):
        key = rsa_public_key(int(spec[4:]))
    elif spec in curves:
        key = ec.generate_private_key(curves[spec]).public_key()
    elif spec == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate().public_key()
    elif spec == "ed448":
        key = ed448.Ed448PrivateKey.generate().public_key()
    elif spec == "x25519":
        key = x25519.X25519PrivateKey.generate().public_key()
    elif spec == "explicit-p256":
        return explicit_p256_spki(ec.generate_private_key(ec.SECP256R1()).public_key())
    else:
        raise ValueError(spec)
    der: bytes = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return der


def _set_spki(der: bytes) -> Edit:
    def edit(tbs: Any) -> None:
        from asn1crypto import keys

        tbs["subject_public_key_info"] = keys.PublicKeyInfo.load(der)

    return edit


_KEYS: Final = (
    "rsa-1024",
    "rsa-2047",
    "rsa-2048",
    "rsa-3072",
    "rsa-4096",
    "p256",
    "p384",
    "p521",
    "p224",
    "p192",
    "secp256k1",
    "brainpoolP256r1",
    "ed25519",
    "ed448",
    "x25519",
    "explicit-p256",
)
#: The leaf key specs of :class:`ShapeSpec` by the names above: such a key keeps the template's shape.
_SAME_AS_LEAF: Final = {"rsa-2048": "rsa-2048", "p256": "ec-p256", "p384": "ec-p384", "ed25519": "ed25519"}

for _spec in _KEYS:

    def _make_key(ctx: Context, rng: random.Random, spec: str = _spec) -> Mutation:
        return _mutation(f"key/{spec}", "", _set_spki(_public_key(spec)))

    def _other_type(ctx: Context, spec: str = _spec) -> bool:
        return _SAME_AS_LEAF.get(spec) != ctx.spec.leaf_key  # same type: key/another-of-the-same-type

    KINDS[f"key/{_spec}"] = Kind(f"key/{_spec}", _make_key, _other_type)


def _rsa_spki(modulus: int, exponent: int) -> bytes:
    from asn1crypto import keys

    info = keys.PublicKeyInfo(
        {
            "algorithm": {"algorithm": "rsa"},
            "public_key": keys.RSAPublicKey({"modulus": modulus, "public_exponent": exponent}),
        }
    )
    dumped: bytes = info.dump()
    return dumped


@_kind("key/rsa-2048-odd-exponent", keeps_shape=_leaf_key_is("rsa-2048"))
def _odd_exponent(ctx: Context, rng: random.Random) -> Mutation:
    exponent = rng.choice([1, 3, 65536, 2**64 + 1])
    modulus = rsa_public_key(2048).public_numbers().n
    return _mutation("key/rsa-2048-odd-exponent", f"e={exponent}", _set_spki(_rsa_spki(modulus, exponent)))


@_kind("key/another-of-the-same-type", keeps_shape=True)
def _another_key(ctx: Context, rng: random.Random) -> Mutation:
    spec = ctx.spec.leaf_key
    key: Any
    if spec == "rsa-2048":
        key = rsa_public_key(2048) if rng.random() < 0.5 else _spare_rsa_key().public_key()
    elif spec == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate().public_key()
    else:
        key = ec.generate_private_key(ec.SECP384R1() if spec == "ec-p384" else ec.SECP256R1()).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return _mutation("key/another-of-the-same-type", spec, _set_spki(der))


@_kind("key/rsa-2048-malformed", applies=_leaf_key_is("rsa-2048"), keeps_shape=True)
def _rsa_malformed(ctx: Context, rng: random.Random) -> Mutation:
    modulus = rsa_public_key(2048).public_numbers().n.to_bytes(256, "big")
    integer = _tlv(0x02, b"\x00" + modulus)
    exponent = _tlv(0x02, b"\x01\x00\x01")
    variants = {
        "trailing bytes after the key": _tlv(0x30, integer + exponent) + b"\x00",
        "modulus with two leading zero octets": _tlv(0x30, _tlv(0x02, b"\x00\x00" + modulus) + exponent),
        "exponent with a leading zero octet": _tlv(0x30, integer + _tlv(0x02, b"\x00\x01\x00\x01")),
        "an extra INTEGER": _tlv(0x30, integer + exponent + _tlv(0x02, b"\x01")),
    }
    how = rng.choice(sorted(variants))
    algorithm = _tlv(0x30, _oid_der("1.2.840.113549.1.1.1") + b"\x05\x00")
    der = _tlv(0x30, algorithm + _tlv(0x03, b"\x00" + variants[how]))
    return _mutation("key/rsa-2048-malformed", how, _set_spki(der))


@_kind("key/rsa-2048-without-exponent", applies=_leaf_key_is("rsa-2048"), keeps_shape=True)
def _rsa_without_exponent(ctx: Context, rng: random.Random) -> Mutation:
    modulus = rsa_public_key(2048).public_numbers().n.to_bytes(256, "big")
    algorithm = _tlv(0x30, _oid_der("1.2.840.113549.1.1.1") + b"\x05\x00")
    der = _tlv(0x30, algorithm + _tlv(0x03, b"\x00" + _tlv(0x30, _tlv(0x02, b"\x00" + modulus))))
    return _mutation("key/rsa-2048-without-exponent", "RSAPublicKey holds the modulus only", _set_spki(der))


@_kind("key/ed25519-malformed", applies=_leaf_key_is("ed25519"), keeps_shape=True)
def _ed25519_malformed(ctx: Context, rng: random.Random) -> Mutation:
    size = rng.choice([0, 31, 33, 64])
    algorithm = _tlv(0x30, _oid_der("1.3.101.112"))
    der = _tlv(0x30, algorithm + _tlv(0x03, b"\x00" + bytes(rng.randrange(256) for _ in range(size))))
    return _mutation("key/ed25519-malformed", f"{size} octets", _set_spki(der))


@_kind("key/p256-not-on-curve", applies=_leaf_key_is("ec-p256"), keeps_shape=True)
def _bad_point(ctx: Context, rng: random.Random) -> Mutation:
    from asn1crypto import keys

    how = rng.choice(["random point", "compressed point", "infinity", "short point"])
    point = {
        "random point": b"\x04" + bytes(rng.randrange(256) for _ in range(64)),
        "compressed point": b"\x02" + bytes(rng.randrange(256) for _ in range(32)),
        "infinity": b"\x00",
        "short point": b"\x04" + bytes(rng.randrange(256) for _ in range(40)),
    }[how]
    algorithm = keys.PublicKeyInfo.load(_public_key("p256"))["algorithm"].dump()
    der = _tlv(0x30, algorithm + _tlv(0x03, b"\x00" + point))
    return _mutation("key/p256-not-on-curve", how, _set_spki(der))


# -- signature algorithm and signature -----------------------------------------------------------------------


_ALGORITHMS: Final[dict[str, bytes]] = {
    name: algos.SignedDigestAlgorithm({"algorithm": name}).dump()
    for name in (
        "sha256_rsa",
        "sha384_rsa",
        "sha512_rsa",
        "sha224_rsa",
        "sha1_rsa",
        "md5_rsa",
        "sha256_ecdsa",
        "sha384_ecdsa",
        "sha512_ecdsa",
        "sha224_ecdsa",
        "sha1_ecdsa",
        "ed25519",
        "ed448",
    )
}
_ALGORITHMS |= {
    "sha256_rsa-without-null": _tlv(0x30, _oid_der("1.2.840.113549.1.1.11")),
    "sha256_ecdsa-with-null": _tlv(0x30, _oid_der("1.2.840.10045.4.3.2") + b"\x05\x00"),
    "ed25519-with-null": _tlv(0x30, _oid_der("1.3.101.112") + b"\x05\x00"),
    "unknown-oid": _tlv(0x30, _oid_der("1.3.6.1.4.1.99999.1.1")),
}
_FOR_ISSUER: Final[dict[str, tuple[str, ...]]] = {
    "rsa": (
        "sha384_rsa",
        "sha512_rsa",
        "sha224_rsa",
        "sha1_rsa",
        "md5_rsa",
        "sha256_rsa-without-null",
        "sha256_ecdsa",
        "ed25519",
        "unknown-oid",
    ),
    "ec": (
        "sha384_ecdsa",
        "sha512_ecdsa",
        "sha256_ecdsa",
        "sha224_ecdsa",
        "sha1_ecdsa",
        "sha256_ecdsa-with-null",
        "sha256_rsa",
        "ed25519",
        "unknown-oid",
    ),
    "ed25519": ("ed25519-with-null", "ed448", "sha256_ecdsa", "sha256_rsa", "unknown-oid"),
}


def issuer_family(spec: ShapeSpec) -> str:
    return "rsa" if spec.issuer_key.startswith("rsa") else "ed25519" if spec.issuer_key == "ed25519" else "ec"


def _set_algorithm(der: bytes) -> Edit:
    def edit(tbs: Any) -> None:
        tbs["signature"] = algos.SignedDigestAlgorithm.load(der)

    return edit


def _register_algorithms() -> None:
    names = sorted({name for names in _FOR_ISSUER.values() for name in names})
    for name in names:

        def make(ctx: Context, rng: random.Random, name: str = name) -> Mutation:
            return _mutation(f"sigalg/{name}", "", _set_algorithm(_ALGORITHMS[name]))

        def applies(ctx: Context, name: str = name) -> bool:
            template = asn1_x509.Certificate.load(ctx.template.der)["signature_algorithm"].dump()
            return name in _FOR_ISSUER[issuer_family(ctx.spec)] and _ALGORITHMS[name] != template

        KINDS[f"sigalg/{name}"] = Kind(f"sigalg/{name}", make, applies)


_register_algorithms()


@_kind("sigalg/rsassa-pss", applies=lambda ctx: issuer_family(ctx.spec) == "rsa")
def _pss(ctx: Context, rng: random.Random) -> Mutation:
    hash_name = rng.choice(["sha256", "sha384"])
    return _mutation("sigalg/rsassa-pss", hash_name, signer=f"pss-{hash_name}")


@_kind("sigalg/outer-differs")
def _outer(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation(
        "sigalg/outer-differs", "outer signatureAlgorithm names another hash", signer="outer-differs"
    )


@_kind("signature/flipped-byte", keeps_shape=True)
def _flip(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation("signature/flipped-byte", "", signer="flip")


@_kind("signature/truncated", keeps_shape=True)
def _truncate(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation("signature/truncated", "", signer="truncate")


@_kind("signature/unused-bits")
def _unused(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation("signature/unused-bits", "", signer="unused-bits")


@_kind("signature/other-key", keeps_shape=True)
def _other_key(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation("signature/other-key", "a new key of the issuer's type", signer="other-key")


@_kind("signature/root-key", keeps_shape=True)
def _root_key(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation("signature/root-key", "", signer="root-key")


@_kind("signature/high-s", applies=lambda ctx: issuer_family(ctx.spec) == "ec", keeps_shape=True)
def _high_s(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation("signature/high-s", "ECDSA (r, n - s)", signer="high-s")


# -- names ---------------------------------------------------------------------------------------------------


Atv = tuple[str, int, bytes]  # (attribute type OID, string tag, contents)


def _name_der(*rdns: Sequence[Atv]) -> bytes:
    body = b"".join(
        _tlv(0x31, b"".join(_tlv(0x30, _oid_der(oid) + _tlv(tag, value)) for oid, tag, value in rdn))
        for rdn in rdns
    )
    return _tlv(0x30, body)


def _atvs(der: bytes) -> list[list[Atv]]:
    name = asn1_x509.Name.load(der)
    return [
        [(atv["type"].dotted, atv["value"].chosen.tag, bytes(atv["value"].chosen.contents)) for atv in rdn]
        for rdn in name.chosen
    ]


CN: Final = "2.5.4.3"
OU: Final = "2.5.4.11"
UTF8: Final = 0x0C
PRINTABLE: Final = 0x13


def _issuer_variants(ctx: Context) -> dict[str, bytes]:
    rdns = _atvs(ctx.issuer_name)

    def cn(change: Callable[[Atv], Atv]) -> bytes:
        return _name_der(*[[change(atv) if atv[0] == CN else atv for atv in rdn] for rdn in rdns])

    merged = [*rdns[:-2], [*rdns[-2], *rdns[-1]]]
    return {
        "printable-string": cn(lambda atv: (atv[0], PRINTABLE if atv[1] != PRINTABLE else UTF8, atv[2])),
        "case-changed": cn(lambda atv: (atv[0], atv[1], atv[2].lower())),
        "trailing-space": cn(lambda atv: (atv[0], atv[1], atv[2] + b" ")),
        "double-space": cn(lambda atv: (atv[0], atv[1], atv[2].replace(b" ", b"  ", 1))),
        "extra-rdn": _name_der(*rdns, [(OU, UTF8, b"Operations")]),
        "multi-valued-rdn": _name_der(*merged),
        "reordered": _name_der(*reversed(rdns)),
        "the-root's-name": ctx.root_name,
    }


def _register_issuer_names() -> None:
    for what in (
        "printable-string",
        "case-changed",
        "trailing-space",
        "double-space",
        "extra-rdn",
        "multi-valued-rdn",
        "reordered",
        "the-root's-name",
    ):

        def make(ctx: Context, rng: random.Random, what: str = what) -> Mutation:
            der = _issuer_variants(ctx)[what]

            def edit(tbs: Any) -> None:
                tbs["issuer"] = asn1_x509.Name.load(der)

            return _mutation(f"issuer/{what}", der.hex(), edit)

        KINDS[f"issuer/{what}"] = Kind(f"issuer/{what}", make)


_register_issuer_names()


def _subject(der: bytes) -> Edit:
    def edit(tbs: Any) -> None:
        tbs["subject"] = asn1_x509.Name.load(der)

    return edit


_C: Final = ("2.5.4.6", PRINTABLE, b"US")
_O: Final = ("2.5.4.10", UTF8, b"Demo Participant")


def _subject_variants(ctx: Context, rng: random.Random) -> dict[str, tuple[bytes, bool]]:
    """Subject names by kind, each with whether it keeps the leaf's shape."""
    label = _label(rng).encode()
    email = "1.2.840.113549.1.9.1"
    return {
        "other-common-name": (_name_der([_C], [_O], [(CN, UTF8, label + b".example.com")]), True),
        "printable-string": (_name_der([_C], [_O], [(CN, PRINTABLE, label + b".example.com")]), True),
        "utf8-accents": (_name_der([_C], [_O], [(CN, UTF8, "Jos\u00e9 Ni\u00f1o".encode())]), True),
        "bmp-string": (_name_der([_C], [_O], [(CN, 0x1E, "rig".encode("utf-16-be"))]), True),
        "teletex-string": (_name_der([_C], [_O], [(CN, 0x14, b"rig-teletex")]), True),
        "ia5-string-cn": (_name_der([_C], [_O], [(CN, 0x16, b"rig-ia5")]), True),
        "escaped-characters": (_name_der([_C], [_O], [(CN, UTF8, b'a,b+c="d"#e\\f<g>;h ')]), True),
        "leading-hash-and-space": (_name_der([_C], [_O], [(CN, UTF8, b"# rig")]), True),
        "multi-valued-rdn": (_name_der([_C], [_O, (CN, UTF8, label)]), True),
        "email-address-inside": (_name_der([_C], [_O], [(email, 0x16, b"ops@example.com")]), True),
        "email-address-outside": (_name_der([_C], [_O], [(email, 0x16, b"ops@example.org")]), True),
        "domain-components": (
            _name_der(
                [("0.9.2342.19200300.100.1.25", 0x16, b"com")],
                [("0.9.2342.19200300.100.1.25", 0x16, b"example")],
                [(CN, UTF8, label)],
            ),
            True,
        ),
        "unknown-attribute": (_name_der([_C], [_O], [("1.3.6.1.4.1.99999.9", UTF8, label)]), True),
        "long-common-name": (_name_der([_C], [_O], [(CN, UTF8, b"r" * 200)]), True),
        "empty-value": (_name_der([_C], [_O], [(CN, UTF8, b"")]), True),
        "printable-with-invalid-characters": (
            _name_der([_C], [_O], [(CN, PRINTABLE, b"rig_0001@example")]),
            True,
        ),
        "teletex-non-ascii": (_name_der([_C], [_O], [(CN, 0x14, b"r\xe9g")]), True),
        "not-normalisable": (
            rng.choice(
                [
                    _name_der([_C], [_O], [(email, 0x16, b"ops@xn--zz.example.com")]),
                    _name_der([("0.9.2342.19200300.100.1.25", 0x16, b"xn--zz")], [(CN, UTF8, label)]),
                    _name_der([_C], [_O], [(CN, UTF8, "rig\ue000".encode())]),
                    _name_der([_C], [_O], [(CN, UTF8, "rig\ufffd".encode())]),
                    _name_der([_C], [_O], [(CN, UTF8, "rig\u0378".encode())]),
                    _name_der([_C], [_O], [(CN, UTF8, "rig\ufdd0".encode())]),
                    _name_der([_C], [_O], [(CN, UTF8, "rig \u05d0".encode())]),
                ]
            ),
            True,
        ),
        "equals-the-issuer": (ctx.issuer_name, False),
        "the-issuer-case-changed": (
            _name_der(
                *[[(o, t, v.lower() if o == CN else v) for o, t, v in rdn] for rdn in _atvs(ctx.issuer_name)]
            ),
            True,
        ),
        "empty": (b"\x30\x00", False),
    }


_SUBJECTS: Final = (
    "other-common-name",
    "printable-string",
    "utf8-accents",
    "bmp-string",
    "teletex-string",
    "ia5-string-cn",
    "escaped-characters",
    "leading-hash-and-space",
    "multi-valued-rdn",
    "email-address-inside",
    "email-address-outside",
    "domain-components",
    "unknown-attribute",
    "long-common-name",
    "empty-value",
    "printable-with-invalid-characters",
    "teletex-non-ascii",
    "not-normalisable",
    "equals-the-issuer",
    "the-issuer-case-changed",
    "empty",
)


def _register_subjects() -> None:
    for what in _SUBJECTS:

        def make(ctx: Context, rng: random.Random, what: str = what) -> Mutation:
            der, _ = _subject_variants(ctx, rng)[what]
            return _mutation(f"subject/{what}", der.hex(), _subject(der))

        keeps = what != "empty"  # the fast path reads an empty subject as unusual
        KINDS[f"subject/{what}"] = Kind(f"subject/{what}", make, keeps_shape=keeps)


_register_subjects()


@_kind("subject/empty-with-critical-san", applies=_has(SAN))
def _empty_subject_critical_san(ctx: Context, rng: random.Random) -> Mutation:
    return _mutation("subject/empty-with-critical-san", "", _steps(_subject(b"\x30\x00"), critical(SAN)))


# -- version and unique identifiers --------------------------------------------------------------------------


def raw_fields(transform: Callable[[list[bytes]], list[bytes]]) -> Edit:
    """An edit that rewrites the to-be-signed certificate's fields as raw TLVs (version first)."""

    def edit(tbs: Any) -> bytes:
        _, fields = _children(tbs.dump())
        return _tlv(0x30, b"".join(transform(fields)))

    return edit


def _version(raw: bytes | None) -> Edit:
    def transform(fields: list[bytes]) -> list[bytes]:
        rest = fields[1:] if fields[0][0] == 0xA0 else fields
        return [raw, *rest] if raw is not None else rest

    return raw_fields(transform)


_VERSIONS: Final[dict[str, bytes | None]] = {
    "v1-with-extensions": None,
    "v1-explicit": b"\xa0\x03\x02\x01\x00",
    "v2": b"\xa0\x03\x02\x01\x01",
    "v4": b"\xa0\x03\x02\x01\x03",
}


def _register_versions() -> None:
    for what, raw in _VERSIONS.items():

        def make(ctx: Context, rng: random.Random, what: str = what, raw: bytes | None = raw) -> Mutation:
            return _mutation(f"version/{what}", raw.hex() if raw else "absent", _version(raw))

        KINDS[f"version/{what}"] = Kind(f"version/{what}", make, keeps_shape=True)  # not in the shape


_register_versions()


@_kind("version/unique-identifiers")
def _unique_ids(ctx: Context, rng: random.Random) -> Mutation:
    which = rng.choice(["issuerUniqueID", "subjectUniqueID", "both"])
    ids = {"issuerUniqueID": b"\x81\x02\x00\xab", "subjectUniqueID": b"\x82\x02\x00\xcd"}
    added = [ids[name] for name in ("issuerUniqueID", "subjectUniqueID") if which in (name, "both")]

    def transform(fields: list[bytes]) -> list[bytes]:
        at = len(fields) - 1 if fields[-1][0] == 0xA3 else len(fields)
        return [*fields[:at], *added, *fields[at:]]

    return _mutation("version/unique-identifiers", which, raw_fields(transform))


# -- serial numbers ------------------------------------------------------------------------------------------


_SERIALS: Final[dict[str, tuple[bytes, bool]]] = {
    "zero": (b"\x00", False),
    "negative": (b"\xfe\x01", False),
    "21-octets": (b"\x01" + bytes(range(1, 21)), False),
    "20-octets": (b"\x7f" + bytes(range(1, 20)), True),
    "one": (b"\x01", True),
    "high-bit-with-leading-zero": (b"\x00\x80\x01", True),
    "non-minimal-leading-zero": (b"\x00\x01", True),
    "non-minimal-leading-ff": (b"\xff\xfe", False),
}


def _register_serials() -> None:
    for what, (contents, keeps) in _SERIALS.items():

        def make(ctx: Context, rng: random.Random, what: str = what, contents: bytes = contents) -> Mutation:
            return _mutation(f"serial/{what}", contents.hex(), serial(contents))

        KINDS[f"serial/{what}"] = Kind(f"serial/{what}", make, keeps_shape=keeps)


_register_serials()


# -- revocation ----------------------------------------------------------------------------------------------


def _has_leaf_crl(ctx: Context) -> bool:
    return ctx.spec.crl is not None


def _register_revocations() -> None:
    for reason in REASONS:

        def make(ctx: Context, rng: random.Random, reason: str = reason) -> Mutation:
            return _mutation(
                f"revoked/{reason}", "an hour before at", revoke=(reason, AT - dt.timedelta(hours=1))
            )

        KINDS[f"revoked/{reason}"] = Kind(f"revoked/{reason}", make, _has_leaf_crl, keeps_shape=True)


_register_revocations()


@_kind("revoked/date-one-second-before-at", applies=_has_leaf_crl, keeps_shape=True)
def _revoked_before(ctx: Context, rng: random.Random) -> Mutation:
    reason = rng.choice(["keyCompromise", "superseded", "unspecified"])
    return _mutation("revoked/date-one-second-before-at", reason, revoke=(reason, AT - SECOND))


@_kind("revoked/date-at-or-after-at", applies=_has_leaf_crl, keeps_shape=True)
def _revoked_later(ctx: Context, rng: random.Random) -> Mutation:
    offset = rng.choice([0, 1, 86400])
    reason = rng.choice(["keyCompromise", "superseded", "unspecified"])
    return _mutation(
        "revoked/date-at-or-after-at", f"{reason} at at{offset:+d}s", revoke=(reason, AT + offset * SECOND)
    )


# -- plans, batches and the differential ---------------------------------------------------------------------


def applicable(ctx: Context) -> list[Kind]:
    """The kinds that apply to ``ctx``'s shape, in table order."""
    return [kind for kind in KINDS.values() if kind.applies(ctx)]


def plan(
    ctx: Context, rng: random.Random, *, mode: str, count: int = 0, kinds: Sequence[str] = ()
) -> list[Mutation]:
    """The mutations of a batch for ``ctx``'s shape.

    ``"ci"``: every applicable kind once, in table order, then ``count`` random draws; ``"fuzz"``:
    ``count`` random draws; ``"kinds"``: exactly ``kinds``, in order.  Random draws favour the kinds
    that keep the shape (three to one), so that templates are used often.
    """
    if mode == "kinds":
        return [KINDS[name].make(ctx, rng) for name in kinds]
    table = applicable(ctx)
    weights = [3 if kind.keeps(ctx) else 1 for kind in table]
    chosen = list(table) if mode == "ci" else []
    chosen += rng.choices(table, weights, k=count)
    return [kind.make(ctx, rng) for kind in chosen]


@attrs.frozen
class Leaf:
    """A minted leaf: its number in the batch, its mutation, the certificate."""

    number: int
    mutation: Mutation
    certificate: Certificate


@attrs.define
class Batch:
    """One shape's PKI, its two valid siblings, its mutated leaves and the Validator's options."""

    spec: ShapeSpec
    seed: int
    mode: str
    ctx: Context
    chain: tuple[Certificate, ...]
    siblings: tuple[Certificate, ...]
    leaves: list[Leaf]
    options: dict[str, Any]

    def where(self, leaf: Leaf) -> str:
        """How to find ``leaf`` again: the seed, the shape, its number and its mutation."""
        m = leaf.mutation
        return (
            f"seed={self.seed} mode={self.mode} shape={self.spec.name} leaf#{leaf.number} kind={m.kind}"
            f" detail={m.detail!r} serial={leaf.certificate.serial_hex}"
        )


def context(spec: ShapeSpec) -> Context:
    """A fresh demo PKI with ``spec``'s issuing CA and template leaf."""
    pki = testing.DemoPki.create(key_spec="ec-p256", now=NOW)
    issuer = _new_issuer(pki, spec)
    template = _template(issuer, spec)
    if spec.issuer_key == "ed25519":
        template = resign(template, issuer.key, _set_algorithm(_ALGORITHMS["ed25519"]))
    return Context(
        spec=spec,
        issuer=issuer,
        root=pki.root,
        template=template,
        extensions=_extensions(template),
        issuer_name=issuer.certificate.x509.subject.public_bytes(),
        root_name=pki.root.certificate.x509.subject.public_bytes(),
    )


def build_batch(
    spec: ShapeSpec, seed: int, *, mode: str = "ci", count: int = 0, kinds: Sequence[str] = ()
) -> Batch:
    """Mint ``spec``'s PKI, two valid siblings and the leaves :func:`plan` gives, and the CRLs."""
    rng = random.Random(f"{seed}/{mode}/{spec.name}")
    ctx = context(spec)
    mutations = plan(ctx, rng, mode=mode, count=count, kinds=kinds)
    used: set[int] = set()

    def fresh_serial() -> int:
        while True:
            number = rng.getrandbits(64) | (1 << 56)
            if number not in used:
                used.add(number)
                return number

    siblings = tuple(mint(ctx, _mutation("control/sibling"), fresh_serial()) for _ in range(2))
    leaves = [
        Leaf(number, mutation, mint(ctx, mutation, fresh_serial(), rng))
        for number, mutation in enumerate(mutations)
    ]
    for leaf in leaves:
        if leaf.mutation.revoke is not None:
            reason, when = leaf.mutation.revoke
            ctx.issuer.revoke(leaf.certificate, reason=reason, at=when)
    return Batch(spec, seed, mode, ctx, ctx.issuer.chain, siblings, leaves, _options(ctx))


def _options(ctx: Context) -> dict[str, Any]:
    spec = ctx.spec
    trust: Any = [ctx.root.certificate]
    if spec.distrust_after:
        trust = caiso_pki.TrustStore().add(
            ctx.root.certificate, labels={"caiso"}, distrust_after=DISTRUST_AFTER
        )
    options: dict[str, Any] = {"trust": trust, "revocation": spec.revocation}
    if spec.policy_requirement:
        options["policy"] = caiso_pki.PolicyRequirement(
            acceptable=frozenset({DEMO_BASIC_ASSURANCE_POLICY}), require_explicit=True
        )
    if spec.usage:
        options |= {"extended_key_usage": "clientAuth", "key_usage": ["digitalSignature"]}
    if spec.crl is not None:
        options |= {"revocation": spec.crl, "crls": [crl_of(ctx.issuer), ctx.root.crl(at=NOW)]}
    elif spec.revocation != "off":
        options["crls"] = [ctx.root.crl(at=NOW)]
    return options


def crl_of(ca: testing.CertificateAuthority) -> bytes:
    """``ca.crl()``, or the same CRL built here for an Ed25519 CA (the test PKI signs with a hash)."""
    if not isinstance(ca.key, ed25519.Ed25519PrivateKey):
        return ca.crl(at=NOW)
    when = NOW - dt.timedelta(minutes=5)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.x509.subject)
        .last_update(when)
        .next_update(when + dt.timedelta(days=7))
        .add_extension(x509.CRLNumber(len(ca.revoked) + 1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
    )
    for number, (revoked_at, reason) in sorted(ca.revoked.items()):
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(number)
            .revocation_date(revoked_at)
            .add_extension(x509.CRLReason(reason), critical=False)
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(ca.key, None).public_bytes(serialization.Encoding.DER)


def mint(ctx: Context, mutation: Mutation, number: int, rng: random.Random | None = None) -> Certificate:
    """The template leaf with serial ``number`` and ``mutation``, signed as the mutation says."""
    steps: list[Edit] = [serial(number.to_bytes((number.bit_length() + 8) // 8, "big"))]
    if mutation.edit is not None:
        steps.append(mutation.edit)
    edit = _steps(*steps)
    key: Any = ctx.issuer.key
    how = mutation.signer
    if how == "other-key":
        key = _other_key_like(key)
    elif how == "root-key":
        key = ctx.root.key
    if how.startswith("pss-"):
        return _pss_signed(ctx, edit, how[4:])
    cert = resign(ctx.template, key, edit)
    if how in ("issuer", "other-key", "root-key"):
        return cert
    return _defective(cert, how, ctx, rng or random.Random(number))


def _other_key_like(key: Any) -> Any:
    if isinstance(key, rsa.RSAPrivateKey):
        return _spare_rsa_key()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return ec.generate_private_key(key.curve)
    return ed25519.Ed25519PrivateKey.generate()


@functools.cache
def _spare_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _assemble(tbs: bytes, algorithm: bytes, signature: bytes, unused: int = 0) -> Certificate:
    der = _tlv(0x30, tbs + algorithm + _tlv(0x03, bytes([unused]) + signature))
    return Certificate.from_der(der, source_name="<mutated leaf>")


def _pss_signed(ctx: Context, edit: Edit, hash_name: str) -> Certificate:
    chosen = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384()}[hash_name]
    params = algos.RSASSAPSSParams(
        {
            "hash_algorithm": {"algorithm": hash_name},
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": hash_name}},
            "salt_length": chosen.digest_size,
        }
    )
    algorithm = algos.SignedDigestAlgorithm({"algorithm": "rsassa_pss", "parameters": params})
    tbs = asn1_x509.Certificate.load(ctx.template.der)["tbs_certificate"].copy()
    tbs["signature"] = algorithm
    tbs_der = edit(tbs) or tbs.dump()
    signature = ctx.issuer.key.sign(
        tbs_der, padding.PSS(mgf=padding.MGF1(chosen), salt_length=chosen.digest_size), chosen
    )
    return _assemble(tbs_der, algorithm.dump(), signature)


def _defective(cert: Certificate, how: str, ctx: Context, rng: random.Random) -> Certificate:
    """``cert`` with its signature (or outer algorithm) made defective as ``how`` says."""
    parsed = asn1_x509.Certificate.load(cert.der)
    tbs = parsed["tbs_certificate"].dump()
    algorithm = parsed["signature_algorithm"].dump()
    signature = bytes(parsed["signature_value"].contents[1:])
    if how == "flip":
        at = rng.randrange(len(signature))
        signature = signature[:at] + bytes([signature[at] ^ (1 << rng.randrange(8))]) + signature[at + 1 :]
        return _assemble(tbs, algorithm, signature)
    if how == "truncate":
        return _assemble(tbs, algorithm, signature[:-1])
    if how == "unused-bits":
        return _assemble(tbs, algorithm, signature, unused=rng.randrange(1, 8))
    if how == "outer-differs":
        family = issuer_family(ctx.spec)
        other = {"rsa": "sha512_rsa", "ec": "sha512_ecdsa", "ed25519": "ed448"}[family]
        return _assemble(tbs, _ALGORITHMS[other], signature)
    if how == "high-s":
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

        r, s = decode_dss_signature(signature)
        order = {
            256: 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
            384: int(
                "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
                16,
            ),
        }
        n = order[ctx.issuer.key.curve.key_size]
        return _assemble(tbs, algorithm, encode_dss_signature(r, n - s))
    raise ValueError(how)


# -- running the differential --------------------------------------------------------------------------------


@attrs.frozen
class Verdict:
    """What the differential found for one leaf.

    ``single``/``many``/``fresh``: whether ``Validator.validate``, the same Validator's
    ``validate_many`` and a fresh Validator's ``validate_many`` answered it from a template
    (``"fast"``) or by full validation (``"full"``); ``differences``: ``(way, category, what)`` for
    every way whose answer differs from ``validate_chain``'s, category ``"verdict"`` (``valid``,
    codes or indices), ``"messages"`` (only failure messages or warnings) or ``"result"`` (anything
    else: path, policies, revocation statuses).
    """

    leaf: Leaf
    keeps_shape: bool
    reference: caiso_pki.ValidationResult
    single: str
    many: str
    fresh: str
    differences: tuple[tuple[str, str, str], ...]


def difference(want: caiso_pki.ValidationResult, got: caiso_pki.ValidationResult) -> tuple[str, str] | None:
    """``(category, what)`` when ``got`` is not ``want`` (see :class:`Verdict`), else ``None``."""
    indices_want = [failure.index for failure in want.failures]
    indices_got = [failure.index for failure in got.failures]
    if got.valid != want.valid or got.codes != want.codes or indices_got != indices_want:
        return "verdict", (
            f"validate_chain: valid={want.valid} codes={list(want.codes)} indices={indices_want};"
            f" fast path: valid={got.valid} codes={list(got.codes)} indices={indices_got}"
        )
    dict_want, dict_got = want.to_dict(), got.to_dict()
    if dict_want == dict_got and want == got:
        return None
    fields = sorted(key for key in dict_want if dict_want[key] != dict_got.get(key))
    messages_only = set(fields) <= {"failures", "warnings"} and [
        {**failure, "message": None} for failure in dict_want["failures"]
    ] == [{**failure, "message": None} for failure in dict_got["failures"]]
    shown = "; ".join(f"{key}: {dict_want[key]!r} != {dict_got.get(key)!r}" for key in fields) or "attrs only"
    return ("messages" if messages_only else "result"), shown


def _route(cache: caiso_pki.FleetCache, before: tuple[int, int]) -> str:
    """``"fast"`` or ``"full"``: which counter of ``cache.stats`` one leaf moved since ``before``."""
    fast, full = cache.stats.fast - before[0], cache.stats.full - before[1]
    assert (fast, full) in ((1, 0), (0, 1)), (fast, full)  # each leaf is counted exactly once
    return "fast" if fast else "full"


def _counters(cache: caiso_pki.FleetCache) -> tuple[int, int]:
    return cache.stats.fast, cache.stats.full


def _routed(cache: caiso_pki.FleetCache, call: Callable[[Any], list[Any]]) -> tuple[list[Any], list[str]]:
    """``call(progress)``'s results, and for each leaf whether ``cache`` counted it as answered fast."""
    routes: list[str] = []
    last = [_counters(cache)]

    def progress(done: int, total: int) -> None:
        routes.append(_route(cache, last[0]))
        last[0] = _counters(cache)

    return call(progress), routes


def run(batch: Batch) -> list[Verdict]:
    """Every leaf of ``batch`` through the fast path (three ways) and through ``validate_chain``."""
    options, chain, at = batch.options, batch.chain, AT
    name = SERVER_NAME if batch.spec.server_name else None
    per_call: dict[str, Any] = {"server_name": name} if name is not None else {}
    validator = caiso_pki.Validator(**options)
    for sibling in batch.siblings:
        warm = validator.validate(sibling, chain, at=at, **per_call)
        assert warm.valid, (batch.spec.name, warm.failures)
    expected_templates = 1 if batch.spec.templated else 0
    assert validator.cache.stats.templates == expected_templates, (batch.spec.name, validator.cache.stats)

    singles: list[tuple[caiso_pki.ValidationResult, str]] = []
    for leaf in batch.leaves:
        before = _counters(validator.cache)
        result = validator.validate(leaf.certificate, chain, at=at, **per_call)
        singles.append((result, _route(validator.cache, before)))

    def many_call(target: caiso_pki.Validator, cache: caiso_pki.FleetCache, leaves: list[Certificate]) -> Any:
        return lambda progress: target.validate_many(
            leaves, chain, at=at, server_name=name, progress=progress
        )

    certificates = [leaf.certificate for leaf in batch.leaves]
    many, many_routes = _routed(validator.cache, many_call(validator, validator.cache, certificates))
    fresh_validator = caiso_pki.Validator(**options)
    fresh_cache = fresh_validator.cache
    fresh, fresh_routes = _routed(
        fresh_cache, many_call(fresh_validator, fresh_cache, [batch.siblings[0], *certificates])
    )
    fresh, fresh_routes = fresh[1:], fresh_routes[1:]

    verdicts = []
    for position, leaf in enumerate(batch.leaves):
        reference = caiso_pki.validate_chain(leaf.certificate, chain, at=at, **per_call, **options)
        found = []
        ways = (
            ("validate", singles[position][0]),
            ("validate_many", many[position]),
            ("fresh validate_many", fresh[position]),
        )
        for way, got in ways:
            diff = difference(reference, got)
            if diff is not None:
                found.append((way, *diff))
        verdicts.append(
            Verdict(
                leaf,
                KINDS[leaf.mutation.kind].keeps(batch.ctx),
                reference,
                singles[position][1],
                many_routes[position],
                fresh_routes[position],
                tuple(found),
            )
        )
    return verdicts


#: Differences between the fast path and full validation on the current code, by mutation kind.
KNOWN_DIFFERENCES: Final[dict[str, str]] = {}
# Seven differences this test found when it was written, all fixed since (each kind is still in the
# generator, so a regression shows): SAN and SKI lengths not in DER's minimal form (the fast path's DER
# walker took them), an rfc822Name or URI asn1crypto cannot decode (the full path called the extension
# malformed for asn1crypto's IDNA and URI parsing), a subject RFC 4518 cannot prepare (path building
# gave no-path), an RSA key without its exponent (the shape read the modulus only), and a revocationDate
# at or after the validation time (the fast path ignored the date).


def describe(batch: Batch, verdict: Verdict) -> str:
    """Where ``verdict``'s leaf comes from and how each way's answer differs (for assertion messages)."""
    lines = [batch.where(verdict.leaf)]
    for way, category, what in verdict.differences:
        lines.append(f"  {way}: {category}: {what}")
    dumped = dump_leaf(batch, verdict.leaf)
    if dumped:
        lines.append(f"  written to {dumped}")
    return "\n".join(lines)


def seed_from_environment(default: int | None) -> int:
    """``CAISO_PKI_FASTPATH_SEED`` when set, else ``default``, else a new random seed."""
    text = os.environ.get("CAISO_PKI_FASTPATH_SEED")
    if text:
        return int(text)
    if default is not None:
        return default
    return random.SystemRandom().randrange(2**32)


def dump_leaf(batch: Batch, leaf: Leaf) -> str | None:
    """Write ``leaf``, its chain and the root to ``$CAISO_PKI_FASTPATH_DUMP`` (if set); the file's path."""
    directory = os.environ.get("CAISO_PKI_FASTPATH_DUMP")
    if not directory:
        return None
    os.makedirs(directory, exist_ok=True)
    digest = hashlib.sha256(leaf.certificate.der).hexdigest()[:12]
    path = os.path.join(directory, f"{batch.spec.name}-{leaf.number}-{digest}.pem")
    with open(path, "w", encoding="ascii") as handle:
        handle.write(
            "".join(cert.pem for cert in (leaf.certificate, *batch.chain, batch.ctx.root.certificate))
        )
    return path


def split(verdicts: Sequence[Verdict]) -> dict[str, dict[str, int]]:
    """Per mutation kind: leaves, valid ones, and how many each way answered fast."""
    table: dict[str, dict[str, int]] = {}
    for verdict in verdicts:
        row = table.setdefault(
            verdict.leaf.mutation.kind,
            {
                "keeps_shape": int(verdict.keeps_shape),
                "leaves": 0,
                "valid": 0,
                "fast": 0,
                "many_fast": 0,
                "fresh_fast": 0,
                "differ": 0,
            },
        )
        row["leaves"] += 1
        row["valid"] += verdict.reference.valid
        row["fast"] += verdict.single == "fast"
        row["many_fast"] += verdict.many == "fast"
        row["fresh_fast"] += verdict.fresh == "fast"
        row["differ"] += bool(verdict.differences)
    return dict(sorted(table.items()))


def write_report(batch: Batch, verdicts: Sequence[Verdict]) -> None:
    """Write :func:`split` to ``$CAISO_PKI_FASTPATH_REPORT/<mode>-<shape>.json`` when that is set."""
    directory = os.environ.get("CAISO_PKI_FASTPATH_REPORT")
    if not directory:
        return
    import json

    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{batch.mode}-{batch.spec.name}.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"shape": batch.spec.name, "seed": batch.seed, "kinds": split(verdicts)}, handle, indent=1)


def print_report(directory: str) -> None:
    """Print the fast/full split of the reports in ``directory``: per shape, then per kind."""
    import glob
    import json

    reports = []
    for path in sorted(glob.glob(f"{directory}/*.json")):
        with open(path, encoding="utf-8") as handle:
            reports.append(json.load(handle))
    totals: dict[str, dict[str, int]] = {}
    print(f"{'shape':48} {'leaves':>7} {'valid':>6} {'fast':>6} {'many':>6} {'fresh':>6} {'differ':>6}")
    for report in reports:
        rows = report["kinds"].values()
        sums = {key: sum(row[key] for row in rows) for key in next(iter(rows))}
        print(
            f"{report['shape']:48} {sums['leaves']:7} {sums['valid']:6} {sums['fast']:6}"
            f" {sums['many_fast']:6} {sums['fresh_fast']:6} {sums['differ']:6}"
        )
        for kind, row in report["kinds"].items():
            total = totals.setdefault(kind, dict.fromkeys(row, 0))
            for key, value in row.items():
                total[key] += value
    print()
    print(f"{'kind':48} {'leaves':>7} {'valid':>6} {'fast':>6} {'many':>6} {'fresh':>6} {'differ':>6}")
    for kind, row in sorted(totals.items()):
        print(
            f"{kind:48} {row['leaves']:7} {row['valid']:6} {row['fast']:6} {row['many_fast']:6}"
            f" {row['fresh_fast']:6} {row['differ']:6}"
        )


if __name__ == "__main__":
    import sys

    print_report(sys.argv[1])


__all__ = [
    "AT",
    "KINDS",
    "KNOWN_DIFFERENCES",
    "SHAPES",
    "Batch",
    "Kind",
    "Leaf",
    "Mutation",
    "ShapeSpec",
    "Verdict",
    "applicable",
    "build_batch",
    "context",
    "describe",
    "difference",
    "plan",
    "print_report",
    "run",
    "split",
    "write_report",
]
