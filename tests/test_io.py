"""Loaders: real openssl-made inputs load; every kind of damaged input raises a CaisoPkiError naming it."""

from __future__ import annotations

import contextlib
import random
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caiso_pki import _encoding, _source, kinds
from caiso_pki._encoding import split_pem
from caiso_pki._source import MAX_INPUT_BYTES, first_line_secret, read_source
from caiso_pki.certificate import Certificate, load_certificate, load_certificates
from caiso_pki.csr import load_csr
from caiso_pki.errors import CaisoPkiError, MalformedInputError, PasswordError
from caiso_pki.keys import load_private_key
from caiso_pki.kinds import file_kind
from caiso_pki.pkcs12 import load_pkcs12
from caiso_pki.revocation_data import load_crl
from conftest import OPENSSL_PASSWORD, OpensslMaterial, run_openssl

# -- real inputs ----------------------------------------------------------------------------------


def _openssl_serials(path: Path) -> list[str]:
    text = path.read_text()
    serials = []
    for block in text.split("-----END CERTIFICATE-----")[:-1]:
        pem = block + "-----END CERTIFICATE-----\n"
        out = subprocess.run(
            ["openssl", "x509", "-noout", "-serial"], input=pem.encode(), capture_output=True, check=True
        ).stdout
        serials.append(out.decode().strip().split("=", 1)[1])
    return serials


@pytest.mark.parametrize("attribute", ["bundle_pem", "chain_p7b", "chain_p7c"])
def test_bundle_and_pkcs7_load_in_order(openssl_material: OpensslMaterial, attribute: str) -> None:
    certs = load_certificates(getattr(openssl_material, attribute))
    expected = _openssl_serials(openssl_material.bundle_pem)
    assert [cert.serial_hex for cert in certs] == expected
    assert certs == load_certificates(openssl_material.bundle_pem)
    assert certs[0].source_name == str(getattr(openssl_material, attribute))


def test_pkcs7_der_is_really_der(openssl_material: OpensslMaterial) -> None:
    data = openssl_material.chain_p7c.read_bytes()
    assert data[:1] == b"\x30" and b"-----BEGIN" not in data
    assert file_kind(data) == "pkcs7"
    assert file_kind(openssl_material.chain_p7b) == "pkcs7"


def test_der_and_pem_load_the_same_certificate(openssl_material: OpensslMaterial) -> None:
    from_der = load_certificate(openssl_material.leaf_der)
    from_pem = load_certificate(openssl_material.leaf_pem)
    from_text = load_certificate(openssl_material.leaf_pem.read_text())
    from_bytes = load_certificate(bytearray(openssl_material.leaf_der.read_bytes()))
    from_str_path = load_certificate(str(openssl_material.leaf_pem))
    assert from_der == from_pem == from_text == from_bytes == from_str_path
    assert from_der.der == openssl_material.leaf_der.read_bytes()
    assert from_text.source_name == "<certificate text>"
    assert from_bytes.source_name == "<certificate bytes>"


def test_pem_with_key_and_certificate_loads_the_certificate(
    openssl_material: OpensslMaterial, tmp_path: Path
) -> None:
    combined = tmp_path / "combined.pem"
    combined.write_bytes(openssl_material.rsa_pkcs8_pem.read_bytes() + openssl_material.leaf_pem.read_bytes())
    assert load_certificate(combined) == load_certificate(openssl_material.leaf_pem)
    assert isinstance(load_private_key(combined), rsa.RSAPrivateKey)


KEY_FILES = [
    "rsa_pkcs1_pem",
    "rsa_pkcs1_der",
    "rsa_pkcs1_enc_pem",
    "rsa_pkcs8_pem",
    "rsa_pkcs8_der",
    "rsa_pkcs8_enc_pem",
    "rsa_pkcs8_enc_der",
    "ec_sec1_pem",
    "ec_sec1_der",
    "ec_sec1_enc_pem",
    "ec_pkcs8_pem",
    "ec_pkcs8_enc_pem",
]


def _public_der(key: Any) -> bytes:
    return bytes(
        key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


@pytest.mark.parametrize("attribute", KEY_FILES)
def test_openssl_keys_load(openssl_material: OpensslMaterial, attribute: str) -> None:
    path: Path = getattr(openssl_material, attribute)
    password = OPENSSL_PASSWORD if "_enc_" in attribute else None
    key = load_private_key(path, password=password)
    cert_file = openssl_material.leaf_pem if attribute.startswith("rsa") else openssl_material.ec_pem
    expected_type = rsa.RSAPrivateKey if attribute.startswith("rsa") else ec.EllipticCurvePrivateKey
    assert isinstance(key, expected_type)
    cert = load_certificate(cert_file)
    assert _public_der(key) == cert.x509.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # Also as bytes, and with the password as bytes.
    secret = password.encode() if password else None
    assert _public_der(load_private_key(path.read_bytes(), password=secret)) == _public_der(key)
    if password is None:
        assert file_kind(path) == "private-key"


def test_csr_crl_and_pkcs12_load(openssl_material: OpensslMaterial) -> None:
    csr = load_csr(openssl_material.leaf_csr)
    assert csr.subject.common_name == "rig-0001.example.com"
    assert file_kind(openssl_material.leaf_csr) == "csr"
    assert load_csr(csr.der) == csr

    leaf = load_certificate(openssl_material.leaf_pem)
    for path in (openssl_material.crl_pem, openssl_material.crl_der):
        crl = load_crl(path)
        assert [entry.serial_number for entry in crl] == [leaf.serial_number]
        assert crl.issuer.rfc4514_string() == leaf.issuer.rfc4514
        assert file_kind(path) == "crl"

    bundle = load_pkcs12(openssl_material.leaf_p12, password=OPENSSL_PASSWORD)
    assert bundle.certificate == leaf
    assert bundle.chain == (load_certificate(openssl_material.ca_pem),)
    assert bundle.friendly_name == "openssl leaf"
    assert bundle.key is not None
    assert _public_der(bundle.key) == _public_der(load_private_key(openssl_material.leaf_key_pem))
    assert "RSAPrivateKey" not in repr(bundle) and "key=" not in repr(bundle)
    assert file_kind(openssl_material.leaf_p12) == "pkcs12"


def test_detect_kind_on_der_inputs(openssl_material: OpensslMaterial) -> None:
    # Regression: file_kind used asn1crypto.core.ParseError, which does not exist, so every DER probe
    # raised AttributeError.
    assert file_kind(openssl_material.leaf_der) == "certificate"
    assert file_kind(openssl_material.crl_der) == "crl"
    assert file_kind(load_csr(openssl_material.leaf_csr).der) == "csr"
    assert file_kind(openssl_material.rsa_pkcs8_enc_der) == "private-key"
    assert file_kind(openssl_material.ec_sec1_der) == "private-key"
    assert file_kind(random.Random(7).randbytes(300)) == "unknown"
    assert file_kind(b"-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n") == "unknown"


# -- malformed inputs -----------------------------------------------------------------------------

Loader = Callable[[Any], object]
LOADERS: dict[str, Loader] = {
    "certs": load_certificates,
    "cert": load_certificate,
    "key": load_private_key,
    "key+pw": lambda source: load_private_key(source, password="not-the-password"),
    "key+right-pw": lambda source: load_private_key(source, password=OPENSSL_PASSWORD),
    "csr": load_csr,
    "crl": load_crl,
    "p12": lambda source: load_pkcs12(source, password=OPENSSL_PASSWORD),
    "p12-wrong": lambda source: load_pkcs12(source, password="not-the-password"),
    "p12-none": lambda source: load_pkcs12(source, password=None),
    "p12-int-pw": lambda source: load_pkcs12(source, password=1234),  # type: ignore[arg-type]
    "p12-nul-pw": lambda source: load_pkcs12(source, password="open\x00sesame"),
    "detect": file_kind,
}


def _pem_body_damaged(m: OpensslMaterial) -> bytes:
    lines = m.leaf_pem.read_bytes().splitlines(keepends=True)
    lines[3] = b"!!!!" + lines[3][4:]
    return b"".join(lines)


def _pem_truncated(m: OpensslMaterial) -> bytes:
    data = m.leaf_pem.read_bytes()
    return data[: len(data) // 2]


def _label_mismatch(m: OpensslMaterial) -> bytes:
    return m.leaf_pem.read_bytes().replace(b"END CERTIFICATE", b"END X509 CRL")


def _empty_pem_block(m: OpensslMaterial) -> bytes:
    return b"-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n"


def _pem_garbage_body(m: OpensslMaterial) -> bytes:
    return b"-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n"


def _trailing_garbage(m: OpensslMaterial) -> bytes:
    return m.leaf_der.read_bytes() + b"\x00garbage"


def _truncated_der(m: OpensslMaterial) -> bytes:
    return m.leaf_der.read_bytes()[:-40]


def _random(m: OpensslMaterial) -> bytes:
    return random.Random(2024).randbytes(700)


def _random_sequence(m: OpensslMaterial) -> bytes:
    body = random.Random(5).randbytes(200)
    return b"\x30\x81\xc8" + body


def _pkcs7_without_certs(m: OpensslMaterial) -> Path:
    out = m.dir / "crl-only.p7b"
    if not out.exists():
        run_openssl("crl2pkcs7", "-in", m.crl_pem, "-out", out)
    return out


def _pkcs7_without_certs_der(m: OpensslMaterial) -> Path:
    out = m.dir / "crl-only.p7c"
    if not out.exists():
        run_openssl("crl2pkcs7", "-in", m.crl_pem, "-outform", "DER", "-out", out)
    return out


def _two_certs(m: OpensslMaterial) -> Path:
    return m.bundle_pem


def _directory(m: OpensslMaterial) -> Path:
    return m.dir


def _missing(m: OpensslMaterial) -> Path:
    return m.dir / "does-not-exist.pem"


def _oversize_file(m: OpensslMaterial) -> Path:
    path = m.dir / "huge.der"
    if not path.exists():
        with path.open("wb") as handle:  # sparse: no disk use
            handle.truncate(MAX_INPUT_BYTES + 10)
    return path


def _p12_garbage(m: OpensslMaterial) -> bytes:
    data = bytearray(m.leaf_p12.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 30] = bytes(30)
    return bytes(data)


def _der_key_garbage(m: OpensslMaterial) -> bytes:
    data = bytearray(m.rsa_pkcs8_der.read_bytes())
    data[40:80] = bytes(40)
    return bytes(data)


def _bitstring_name(der: bytes) -> bytes:
    """Re-tag the countryName value "US" as a BIT STRING (cryptography raises TypeError on such names)."""
    assert der.count(b"\x13\x02US") == 1
    return der.replace(b"\x13\x02US", b"\x03\x02US")


def _short_iv(m: OpensslMaterial) -> bytes:
    return re.sub(
        rb"DEK-Info: AES-256-CBC,[0-9A-F]+",
        b"DEK-Info: AES-256-CBC," + b"AB" * 15,
        m.rsa_pkcs1_enc_pem.read_bytes(),
    )


def _whitespace(m: OpensslMaterial) -> bytes:
    return b" \n\t\r\n   \n"


CaseSource = Callable[[OpensslMaterial], Any]

#: (id, loader, source builder, expected error class, name the message must contain or None = path)
MALFORMED: list[tuple[str, str, CaseSource, type[CaisoPkiError], str | None]] = [
    ("empty-bytes", "certs", lambda m: b"", MalformedInputError, "<certificate bytes>"),
    ("empty-file", "certs", lambda m: _write(m, "empty.pem", b""), MalformedInputError, None),
    ("whitespace-only", "cert", lambda m: _write(m, "ws.pem", _whitespace(m)), MalformedInputError, None),
    (
        "truncated-pem",
        "certs",
        lambda m: _write(m, "trunc.pem", _pem_truncated(m)),
        MalformedInputError,
        None,
    ),
    (
        "truncated-pem-text",
        "certs",
        lambda m: _pem_truncated(m).decode(),
        MalformedInputError,
        "<certificate text>",
    ),
    ("bad-base64", "certs", _pem_body_damaged, MalformedInputError, "<certificate bytes>"),
    ("label-mismatch", "certs", _label_mismatch, MalformedInputError, "<certificate bytes>"),
    ("empty-pem-block", "certs", _empty_pem_block, MalformedInputError, "<certificate bytes>"),
    ("pem-garbage-der", "certs", _pem_garbage_body, MalformedInputError, "<certificate bytes>"),
    (
        "der-trailing-garbage",
        "certs",
        lambda m: _write(m, "trail.der", _trailing_garbage(m)),
        MalformedInputError,
        None,
    ),
    ("truncated-der", "certs", _truncated_der, MalformedInputError, "<certificate bytes>"),
    ("random-bytes", "certs", _random, MalformedInputError, "<certificate bytes>"),
    ("random-sequence", "certs", _random_sequence, MalformedInputError, "<certificate bytes>"),
    ("key-pem-for-cert", "cert", lambda m: m.rsa_pkcs8_pem, MalformedInputError, None),
    ("key-der-for-cert", "cert", lambda m: m.rsa_pkcs8_der, MalformedInputError, None),
    ("csr-for-cert", "cert", lambda m: m.leaf_csr, MalformedInputError, None),
    ("crl-for-cert", "certs", lambda m: m.crl_der, MalformedInputError, None),
    ("two-certs-for-one", "cert", _two_certs, MalformedInputError, None),
    ("cert-pem-for-key", "key", lambda m: m.leaf_pem, MalformedInputError, None),
    ("cert-der-for-key", "key", lambda m: m.leaf_der, MalformedInputError, None),
    (
        "two-keys",
        "key",
        lambda m: _write(m, "2keys.pem", m.rsa_pkcs8_pem.read_bytes() * 2),
        MalformedInputError,
        None,
    ),
    ("wrong-password-pkcs8", "key+pw", lambda m: m.rsa_pkcs8_enc_pem, PasswordError, None),
    ("wrong-password-pkcs8-der", "key+pw", lambda m: m.rsa_pkcs8_enc_der, PasswordError, None),
    ("wrong-password-pkcs1", "key+pw", lambda m: m.rsa_pkcs1_enc_pem, PasswordError, None),
    ("wrong-password-sec1", "key+pw", lambda m: m.ec_sec1_enc_pem, PasswordError, None),
    ("missing-password", "key", lambda m: m.rsa_pkcs8_enc_pem, PasswordError, None),
    ("missing-password-der", "key", lambda m: m.rsa_pkcs8_enc_der, PasswordError, None),
    ("missing-password-pkcs1", "key", lambda m: m.rsa_pkcs1_enc_pem, PasswordError, None),
    ("password-for-plain-key", "key+pw", lambda m: m.rsa_pkcs8_pem, PasswordError, None),
    ("password-for-plain-der", "key+pw", lambda m: m.ec_sec1_der, PasswordError, None),
    # Regression: with a password, garbage was reported as "wrong password".
    ("garbage-key-with-password", "key+pw", _der_key_garbage, MalformedInputError, "<private key bytes>"),
    ("random-key-with-password", "key+right-pw", _random, MalformedInputError, "<private key bytes>"),
    ("wrong-p12-password", "p12-wrong", lambda m: m.leaf_p12, PasswordError, None),
    ("missing-p12-password", "p12-none", lambda m: m.leaf_p12, PasswordError, None),
    ("p12-password-not-text", "p12-int-pw", lambda m: m.leaf_p12, PasswordError, None),
    ("garbage-p12", "p12", _random, MalformedInputError, "<PKCS#12 bytes>"),
    ("damaged-p12", "p12", _p12_garbage, CaisoPkiError, "<PKCS#12 bytes>"),
    ("cert-for-p12", "p12", lambda m: m.leaf_der, MalformedInputError, None),
    ("directory", "certs", _directory, MalformedInputError, None),
    ("directory-key", "key", _directory, MalformedInputError, None),
    ("missing-file", "certs", _missing, MalformedInputError, None),
    ("missing-file-p12", "p12", _missing, MalformedInputError, None),
    ("nul-in-path", "cert", lambda m: "cert\x00.pem", MalformedInputError, "cert\\x00.pem"),
    (
        "oversize-bytes",
        "certs",
        lambda m: b"0" * (MAX_INPUT_BYTES + 1),
        MalformedInputError,
        "<certificate bytes>",
    ),
    ("oversize-file", "certs", _oversize_file, MalformedInputError, None),
    # Regression: /dev/zero was read whole (unbounded memory).
    ("endless-device", "certs", lambda m: Path("/dev/zero"), MalformedInputError, "/dev/zero"),
    ("pkcs7-no-certs", "certs", _pkcs7_without_certs, MalformedInputError, None),
    ("pkcs7-der-no-certs", "certs", _pkcs7_without_certs_der, MalformedInputError, None),
    ("int-source", "certs", lambda m: 42, MalformedInputError, "<certificate int>"),
    ("none-source", "key", lambda m: None, MalformedInputError, "<private key NoneType>"),
    ("csr-garbage", "csr", _random, MalformedInputError, "<CSR bytes>"),
    ("csr-truncated", "csr", lambda m: m.leaf_csr.read_bytes()[:300], MalformedInputError, "<CSR bytes>"),
    ("cert-for-csr", "csr", lambda m: m.leaf_pem, MalformedInputError, None),
    ("crl-garbage", "crl", _random, MalformedInputError, "<CRL bytes>"),
    ("crl-truncated", "crl", lambda m: m.crl_der.read_bytes()[:-10], MalformedInputError, "<CRL bytes>"),
    ("cert-for-crl", "crl", lambda m: m.leaf_der, MalformedInputError, None),
    ("detect-damaged-pem", "detect", _label_mismatch, MalformedInputError, "<input bytes>"),
    # Regressions from fuzzing: a BIT STRING name attribute made cryptography raise TypeError ...
    (
        "csr-bitstring-name",
        "csr",
        lambda m: _bitstring_name(load_csr(m.leaf_csr).der),
        MalformedInputError,
        "<CSR bytes>",
    ),
    (
        "crl-bitstring-name",
        "crl",
        lambda m: _bitstring_name(m.crl_der.read_bytes()),
        MalformedInputError,
        "<CRL bytes>",
    ),
    # ... and a NUL in a PKCS#12 password made its Rust code panic (pyo3 PanicException, a BaseException).
    ("p12-password-with-nul", "p12-nul-pw", lambda m: m.leaf_p12, PasswordError, None),
    # ... and so did a legacy encrypted PEM key whose DEK-Info IV is too short.
    ("pem-key-short-iv", "key+right-pw", _short_iv, MalformedInputError, "<private key bytes>"),
    ("detect-empty", "detect", lambda m: b"  ", MalformedInputError, "<input bytes>"),
]


def _write(m: OpensslMaterial, name: str, data: bytes) -> Path:
    path = m.dir / "malformed" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("loader", "builder", "error", "name"),
    [
        pytest.param(loader, builder, error, name, id=case_id)
        for case_id, loader, builder, error, name in MALFORMED
    ],
)
def test_malformed_input_raises_our_error_naming_the_input(
    openssl_material: OpensslMaterial,
    loader: str,
    builder: CaseSource,
    error: type[CaisoPkiError],
    name: str | None,
) -> None:
    source = builder(openssl_material)
    # pytest.raises(CaisoPkiError) lets any other exception type escape and fail the test.
    with pytest.raises(CaisoPkiError) as info:
        LOADERS[loader](source)
    assert isinstance(info.value, error), f"{type(info.value).__name__}: {info.value}"
    message = str(info.value)
    expected_name = name if name is not None else str(source)
    assert expected_name in message
    assert OPENSSL_PASSWORD not in message and "not-the-password" not in message
    assert "not-the-password" not in message


def test_at_least_twenty_kinds_of_malformed_input() -> None:
    assert len({case[0] for case in MALFORMED}) >= 20


def test_error_causes_are_chained(openssl_material: OpensslMaterial) -> None:
    with pytest.raises(PasswordError) as info:
        load_private_key(openssl_material.rsa_pkcs8_enc_pem, password="wrong")
    assert info.value.__cause__ is not None
    with pytest.raises(MalformedInputError) as missing:
        load_certificate(openssl_material.dir / "nope.pem")
    assert isinstance(missing.value.__cause__, FileNotFoundError)


def test_split_pem_blocks_and_headers(openssl_material: OpensslMaterial) -> None:
    blocks = split_pem(openssl_material.bundle_pem.read_bytes(), "bundle")
    assert [block.label for block in blocks] == ["CERTIFICATE", "CERTIFICATE"]
    assert blocks[0].der == openssl_material.leaf_der.read_bytes()
    # Legacy encrypted PEM keeps its RFC 1421 headers for cryptography to read.
    (legacy,) = split_pem(openssl_material.rsa_pkcs1_enc_pem.read_bytes(), "legacy")
    assert legacy.label == "RSA PRIVATE KEY" and legacy.der == b"" and b"Proc-Type" in legacy.text


def test_read_source_names(openssl_material: OpensslMaterial) -> None:
    assert read_source(b"x", what="CRL") == (b"x", "<CRL bytes>")
    assert read_source(memoryview(b"x"))[1] == "<input bytes>"
    data, name = read_source(openssl_material.leaf_pem)
    assert name == str(openssl_material.leaf_pem) and data == openssl_material.leaf_pem.read_bytes()


def test_certificate_with_bitstring_name_loads_or_raises_our_error(openssl_material: OpensslMaterial) -> None:
    # The subject's C=US stays; the issuer's becomes a BIT STRING (cryptography: TypeError).
    der = openssl_material.leaf_der.read_bytes()
    damaged = _bitstring_name(der.replace(b"\x13\x02US", b"\x13\x02XX", 1))
    with contextlib.suppress(MalformedInputError):
        for cert in load_certificates(damaged):
            assert cert.to_dict()["serial"] == "A1B2C3D4E5F60718"


def test_duplicate_extension_is_our_error(openssl_material: OpensslMaterial) -> None:
    # Regression: cryptography's DuplicateExtension (not a ValueError) escaped the extension views.
    parsed = asn1_x509.Certificate.load(openssl_material.leaf_der.read_bytes())
    extensions = parsed["tbs_certificate"]["extensions"]
    extensions.append(extensions[0].copy())
    der = parsed.dump(force=True)
    cert = Certificate.from_der(der, source_name="dup.der")
    assert cert.subject.common_name == "rig-0001.example.com"
    with pytest.raises(MalformedInputError, match=r"dup\.der"):
        _ = cert.extension_oids
    with pytest.raises(MalformedInputError, match=r"dup\.der.*basic constraints"):
        _ = cert.is_ca
    # Only the repeated extension is unreadable (issue 13 defect 14): the other views still work.
    assert cert.key_usage == ("digitalSignature", "keyEncipherment")
    assert [view for view, _, _ in cert.unreadable()] == ["extension_oids", "_basic_constraints"]


# -- property tests -------------------------------------------------------------------------------

FUZZ_LOADERS: dict[str, Callable[[bytes, bool], object]] = {
    "load_certificates": lambda data, _pw: [cert.to_dict() for cert in load_certificates(data)],
    "load_private_key": lambda data, pw: load_private_key(data, password=OPENSSL_PASSWORD if pw else None),
    "load_csr": lambda data, _pw: load_csr(data).subject,
    "load_crl": lambda data, _pw: list(load_crl(data)),
    "load_pkcs12": lambda data, pw: load_pkcs12(data, password=OPENSSL_PASSWORD if pw else None),
    "file_kind": lambda data, _pw: file_kind(data),
}


def _seeds(m: OpensslMaterial) -> list[bytes]:
    names = [
        "leaf_der",
        "leaf_pem",
        "ca_pem",
        "ec_pem",
        "chain_p7b",
        "chain_p7c",
        "leaf_csr",
        "crl_der",
        "crl_pem",
        "leaf_p12",
        "rsa_pkcs8_der",
        "rsa_pkcs8_enc_pem",
        "rsa_pkcs1_enc_pem",
        "ec_sec1_der",
        "ec_pkcs8_enc_pem",
    ]
    return [getattr(m, name).read_bytes() for name in names]


@st.composite
def _mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    if draw(st.booleans()) and draw(st.booleans()):
        return draw(st.binary(min_size=0, max_size=600))
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        operation = draw(st.sampled_from(["set", "insert", "delete", "truncate"]))
        position = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if operation == "set" and data:
            data[position] = draw(st.integers(min_value=0, max_value=255))
        elif operation == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif operation == "delete":
            del data[position : position + draw(st.integers(min_value=1, max_value=16))]
        else:
            del data[position:]
    return bytes(data)


@pytest.mark.parametrize("loader", sorted(FUZZ_LOADERS))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_and_mutated_inputs_load_or_raise_our_error(
    openssl_material: OpensslMaterial, loader: str, data: st.DataObject
) -> None:
    payload = data.draw(_mutated(_seeds(openssl_material)), label="payload")
    with_password = data.draw(st.booleans(), label="with_password")
    with contextlib.suppress(CaisoPkiError):
        FUZZ_LOADERS[loader](payload, with_password)


@pytest.mark.parametrize("module", [kinds, _source, _encoding])
def test_module_exports_exist(module: Any) -> None:
    for name in module.__all__:
        assert hasattr(module, name), name


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"plain\n", "plain"),
        (b"\xef\xbb\xbfwith a BOM\r\n", "with a BOM"),
        (b"no newline", "no newline"),
        (b"first\nsecond\n", "first"),
        (b" spaces kept \n", " spaces kept "),
        (b"two CRs\r\r\n", "two CRs\r"),  # only the CR of a CRLF goes
        (b"caf\xc3\xa9\n", "caf\u00e9"),
    ],
)
def test_first_line_secret(data: bytes, expected: str) -> None:
    assert first_line_secret(data, "pw.txt") == expected
    assert first_line_secret(data, "pw.txt", allow_empty=True) == expected


@pytest.mark.parametrize("data", [b"\n", b"", b"\xef\xbb\xbf\r\n", b"\r\nsecond line\n"])
def test_an_empty_first_line_is_the_empty_password_only_when_allowed(data: bytes) -> None:
    with pytest.raises(PasswordError, match=r"^pw\.txt: the first line of the password file is empty"):
        first_line_secret(data, "pw.txt")
    assert first_line_secret(data, "pw.txt", allow_empty=True) == ""


def test_a_first_line_that_is_not_utf8_is_refused_naming_the_file() -> None:
    with pytest.raises(PasswordError, match=r"^pw\.txt: the password file is not UTF-8 text \(byte 4"):
        first_line_secret(b"caf\xe9\n", "pw.txt", allow_empty=True)
