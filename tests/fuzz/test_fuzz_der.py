"""Property-based fuzzing of the DER/PEM loaders: load or raise a CaisoPkiError, nothing else, quickly."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import caiso_pki as io
from caiso_pki.certificate import Certificate

from ._corpus import PASSWORD, seeds
from ._harness import byte_inputs, exercise, fuzz_settings

SEEDS = seeds()
ALL_SEEDS = tuple(seed for group in SEEDS.values() for seed in group)


def _certificates_and_views(data: bytes | str) -> list[Certificate]:
    certs = io.load_certificates(data)
    for cert in certs:
        cert.to_dict()
        cert.asn1
    return certs


def _certificate_and_views(data: bytes) -> Certificate:
    cert = io.load_certificate(data)
    cert.to_dict()
    return cert


def _csr_and_views(data: bytes) -> object:
    csr = io.load_csr(data)
    csr.to_dict()
    return csr.pem


def _pkcs12_and_views(data: bytes, password: bytes | str | None) -> object:
    bundle = io.load_pkcs12(data, password=password)
    for cert in bundle.certificates:
        cert.to_dict()
    return bundle


@fuzz_settings(scale=3)
@given(data=byte_inputs(SEEDS["certificate"]))
def test_load_certificates(data: bytes) -> None:
    exercise("load_certificates", _certificates_and_views, data)


@fuzz_settings(scale=1)
@given(data=byte_inputs(SEEDS["certificate"]))
def test_load_certificate(data: bytes) -> None:
    exercise("load_certificate", _certificate_and_views, data)


@fuzz_settings(scale=1)
@given(data=byte_inputs(tuple(s for s in SEEDS["certificate"] if b"-----BEGIN" in s)))
def test_load_certificates_pem_text(data: bytes) -> None:
    """PEM given as ``str`` (the text path of read_source), including undecodable bytes."""
    text = data.decode("utf-8", "surrogateescape")
    assume("-----BEGIN" in text)  # any other str is a path
    exercise("load_certificates[str]", _certificates_and_views, text)


@fuzz_settings(scale=2)
@given(data=byte_inputs(SEEDS["pkcs7"]))
def test_load_pkcs7(data: bytes) -> None:
    exercise("pkcs7", _certificates_and_views, data)


@fuzz_settings(scale=2)
@given(data=byte_inputs(SEEDS["csr"]))
def test_load_csr(data: bytes) -> None:
    exercise("load_csr", _csr_and_views, data)


@fuzz_settings(scale=2)
@given(data=byte_inputs(SEEDS["crl"]))
def test_load_crl(data: bytes) -> None:
    exercise("load_crl", io.load_crl, data)


@fuzz_settings(scale=2)
@given(data=byte_inputs(SEEDS["key"]))
def test_load_private_key(data: bytes) -> None:
    exercise("load_private_key", io.load_private_key, data)


PASSWORDS = st.one_of(
    st.just(PASSWORD),
    st.just(PASSWORD.decode()),
    st.none(),
    st.binary(max_size=64),
    st.text(max_size=32),
)


@fuzz_settings(scale=2)
@given(data=byte_inputs(SEEDS["encrypted-key"] + SEEDS["key"]), password=PASSWORDS)
def test_load_private_key_with_password(data: bytes, password: bytes | str | None) -> None:
    exercise("load_private_key[password]", io.load_private_key, data, password=password)


@fuzz_settings(scale=2)
@given(data=byte_inputs(SEEDS["pkcs12"]), password=PASSWORDS)
def test_load_pkcs12(data: bytes, password: bytes | str | None) -> None:
    exercise("load_pkcs12", _pkcs12_and_views, data, password)


@fuzz_settings(scale=1)
@given(data=byte_inputs(ALL_SEEDS))
def test_file_kind(data: bytes) -> None:
    exercise("file_kind", io.file_kind, data)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This module's own directory for the input files (never the shared temporary one)."""
    return tmp_path_factory.mktemp("fuzz-der")


@fuzz_settings(scale=0.5)
@given(data=byte_inputs(ALL_SEEDS), loader=st.sampled_from(["cert", "csr", "crl", "key", "p12"]))
def test_loaders_from_files(scratch: Path, data: bytes, loader: str) -> None:
    """The same damage read from a file path (the path branch of read_source)."""
    path = scratch / "input.bin"
    path.write_bytes(data)
    calls = {
        "cert": lambda: _certificates_and_views(path),  # type: ignore[arg-type]
        "csr": lambda: io.load_csr(path),
        "crl": lambda: io.load_crl(path),
        "key": lambda: io.load_private_key(path),
        "p12": lambda: io.load_pkcs12(path, password=PASSWORD),
    }
    exercise(f"file:{loader}", calls[loader])
