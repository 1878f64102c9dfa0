"""Seed inputs for the fuzzers: valid certificates, keys, CSRs, CRLs, PKCS#7 and PKCS#12 files.

Everything is made in-process with the public test PKI and ``cryptography``, so the hypothesis tests
and the atheris harness (which runs without pytest) mutate the same material.  Seeds are small on
purpose (EC keys for leaves, one RSA-2048 CA) to keep every parse cheap.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID

from caiso_pki import testing

#: The password of every encrypted seed (keys and PKCS#12).
PASSWORD: Final = b"fuzz-seed-password"

PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER


def _key_bytes(
    key: ec.EllipticCurvePrivateKey | object,
    encoding: serialization.Encoding,
    form: serialization.PrivateFormat,
    password: bytes | None,
) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return key.private_bytes(encoding, form, encryption)  # type: ignore[attr-defined,no-any-return]


@functools.cache
def seeds() -> dict[str, tuple[bytes, ...]]:
    """Valid inputs by kind: certificate, pkcs7, csr, crl, key, encrypted-key, pkcs12, subject, oid."""
    pki = testing.DemoPki.create(now=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    ca = pki.issuing_ca
    leaf = ca.issue(
        "rig",
        "rig-0001.example.com",
        dns_names=("rig-0001.example.com",),
        ip_addresses=("127.0.0.1",),
        emails=("ops@example.com",),
    )
    client = ca.issue("api-client", "api.example.com", key_spec="ec-p384")
    ca.revoke(client.certificate)
    rig = pki.entrust_intermediate.issue("rig", "rig-0002.example.com")
    certs = (leaf.certificate, client.certificate, ca.certificate, pki.root.certificate, rig.certificate)

    certificate = (
        *(cert.der for cert in certs),
        leaf.certificate.pem.encode(),
        leaf.pem_bundle().encode(),
        rig.pem_bundle().encode(),
    )
    xcerts = [cert.x509 for cert in (leaf.certificate, ca.certificate)]
    p7 = (
        pkcs7.serialize_certificates(xcerts, DER),
        pkcs7.serialize_certificates(xcerts, PEM),
    )

    leaf_key = leaf.key
    assert isinstance(leaf_key, ec.EllipticCurvePrivateKey)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Demo Participant"),
                    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "RIG"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "rig-0001.example.com"),
                ]
            )
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("rig-0001.example.com")]), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .sign(leaf_key, hashes.SHA256())
    )
    crl_der = ca.crl()
    crl = x509.load_der_x509_crl(crl_der)

    rsa_key = ca.key
    pkcs8 = serialization.PrivateFormat.PKCS8
    trad = serialization.PrivateFormat.TraditionalOpenSSL
    keys = (
        _key_bytes(leaf_key, DER, pkcs8, None),
        _key_bytes(leaf_key, PEM, pkcs8, None),
        _key_bytes(leaf_key, PEM, trad, None),
        _key_bytes(leaf_key, DER, trad, None),
        _key_bytes(rsa_key, DER, trad, None),
        _key_bytes(rsa_key, PEM, pkcs8, None),
    )
    encrypted_keys = (
        _key_bytes(leaf_key, PEM, pkcs8, PASSWORD),
        _key_bytes(leaf_key, DER, pkcs8, PASSWORD),
        _key_bytes(leaf_key, PEM, trad, PASSWORD),
        _key_bytes(rsa_key, DER, pkcs8, PASSWORD),
    )
    p12 = (
        pkcs12.serialize_key_and_certificates(
            b"fuzz leaf",
            leaf_key,
            leaf.certificate.x509,
            [ca.certificate.x509],
            serialization.BestAvailableEncryption(PASSWORD),
        ),
        pkcs12.serialize_key_and_certificates(
            None,
            None,
            None,
            [ca.certificate.x509, pki.root.certificate.x509],
            serialization.BestAvailableEncryption(PASSWORD),
        ),
        pkcs12.serialize_key_and_certificates(
            b"legacy",
            leaf_key,
            leaf.certificate.x509,
            None,
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(2048)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())
            .build(PASSWORD),
        ),
    )
    return {
        "certificate": certificate,
        "pkcs7": p7,
        "csr": (csr.public_bytes(DER), csr.public_bytes(PEM)),
        "crl": (crl_der, crl.public_bytes(PEM)),
        "key": keys,
        "encrypted-key": encrypted_keys,
        "pkcs12": p12,
    }


#: RFC 4514 subjects that parse, for mutation.
SUBJECTS: Final = (
    "CN=rig-0001.example.com,OU=RIG,O=Demo Participant,C=US",
    "CN=api.example.com,OU=API,OU=Metering,O=Demo Participant,L=Folsom,ST=California,C=US",
    "emailAddress=ops@example.com,CN=Jane Operator,O=Demo\\, Inc.,C=US",
    "CN=\\#hash\\+plus\\;semi,O=Esc\\<aped\\>,C=US",
    "UID=jdoe,DC=example,DC=com",
    "CN=caf\\C3\\A9,serialNumber=42,title=Ops,C=US",
    "2.5.4.3=dotted,O=X",
)

#: OID strings that parse, for mutation.
OIDS: Final = (
    "2.5.29.32.0",
    "1.3.6.1.5.5.7.3.2",
    "2.999.2008.1.1",
    "anyPolicy",
    "clientAuth",
    "serverAuth",
    "1.2.840.113549.1.1.11",
    "0.9.2342.19200300.100.1.25",
    "2.16.840.1.114027.200.3.10.7.2",
)
