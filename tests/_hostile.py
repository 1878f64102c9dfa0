"""Certificates a hostile or careless peer might hand over, built with the public test PKI.

Names with terminal escapes, line breaks, a right-to-left override and a BMPString of NUL-padded text;
a certificate whose CRL distribution point extension is malformed.  All are properly signed, so they
load; only their content is hostile.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtensionOID, NameOID

from caiso_pki import testing
from caiso_pki.certificate import Certificate

#: A common name with an ANSI colour sequence, a newline, a bidi override and a NUL.
ESCAPE_CN = "x\x1b[31mRED\x1b[0m"
NEWLINE_CN = "line1\nFAKE: VALID"
BIDI_CN = "evil\u202emoc.elpmaxe"
#: UTF-16 text encoded once more as BMPString: every other character is U+0000 (a real-world bug).
BMP_NUL_CN = "\x00b\x00m\x00p"

HOSTILE_NAMES = {"escape": ESCAPE_CN, "newline": NEWLINE_CN, "bidi": BIDI_CN, "bmp-nul": BMP_NUL_CN}


def hostile_leaf(pki: testing.DemoPki, kind: str) -> testing.IssuedCertificate:
    """A RIG leaf from the demo issuing CA whose subject CN is ``HOSTILE_NAMES[kind]``."""
    value = HOSTILE_NAMES[kind]
    attribute = (
        x509.NameAttribute(NameOID.COMMON_NAME, value, _type=x509.name._ASN1Type.BMPString)
        if kind == "bmp-nul"
        else x509.NameAttribute(NameOID.COMMON_NAME, value)
    )
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Demo Participant"),
            attribute,
        ]
    )
    return pki.issuing_ca.issue("rig", subject=subject, dns_names=["rig-0001.example.com"])


def malformed_crl_dp_leaf(pki: testing.DemoPki) -> Certificate:
    """A signed RIG leaf whose cRLDistributionPoints value is truncated DER; every other field is sound."""
    ca = pki.issuing_ca
    sound = ca.issue("rig", "bad-cdp.example.com").certificate.x509
    builder = (
        x509.CertificateBuilder()
        .subject_name(sound.subject)
        .issuer_name(sound.issuer)
        .public_key(sound.public_key())
        .serial_number(sound.serial_number)
        .not_valid_before(sound.not_valid_before_utc)
        .not_valid_after(sound.not_valid_after_utc)
    )
    for extension in sound.extensions:
        if extension.oid == ExtensionOID.CRL_DISTRIBUTION_POINTS:
            broken = x509.UnrecognizedExtension(extension.oid, b"\x30\x03\x02\x01")
            builder = builder.add_extension(broken, critical=False)
        else:
            builder = builder.add_extension(extension.value, critical=extension.critical)
    return Certificate.from_cryptography(builder.sign(ca.key, hashes.SHA256()))
