"""Inputs the fuzzers found that once escaped as a non-CaisoPkiError or hung; each must now fail cleanly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from caiso_pki import load_certificate, load_crl, load_csr
from caiso_pki.errors import MalformedInputError, ProfileError, UnknownOidError
from caiso_pki.oids import parse_oid
from caiso_pki.profiles.request import load_request_profile

from ._corpus import seeds


@pytest.mark.parametrize(
    "text",
    [
        "1." + "9" * 5000,  # ValueError from int(): more than sys.get_int_max_str_digits() digits
        "0." + "4" * 4301,
        "1.40",
    ],
)
def test_parse_oid_refuses_huge_second_arc(text: str) -> None:
    with pytest.raises(UnknownOidError, match="second arc"):
        parse_oid(text)


def test_parse_oid_accepts_large_arcs_under_2() -> None:
    assert parse_oid("2.999.2008.1.1") == "2.999.2008.1.1"
    assert parse_oid("1.39") == "1.39"


def _deep_toml() -> str:
    return "a = " + "[" * 100_000 + "]" * 100_000 + "\n"


def test_request_profile_deeply_nested_toml(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(_deep_toml())
    with pytest.raises(ProfileError, match="nest too deeply"):
        load_request_profile(path)


def test_request_profile_long_extends_chain(tmp_path: Path) -> None:
    """3,000 chained ``extends`` once overflowed the recursion limit (RecursionError escaped)."""
    n = 3000
    tables = "".join(f'[profiles.p{i}]\nextends = "p{i + 1}"\n' for i in range(n))
    path = tmp_path / "chain.toml"
    path.write_text(tables + f'[profiles.p{n}]\nextends = "rig"\n')
    with pytest.raises(ProfileError, match="extends chain is longer"):
        load_request_profile(path, name="p0")


def test_request_profile_short_extends_chain_still_loads(tmp_path: Path) -> None:
    tables = "".join(f'[profiles.p{i}]\nextends = "p{i + 1}"\n' for i in range(5))
    path = tmp_path / "chain.toml"
    path.write_text(tables + '[profiles.p5]\nextends = "rig"\n')
    assert load_request_profile(path, name="p0").name == "p0"


@pytest.mark.parametrize(
    ("kind", "old", "loader"),
    [
        ("csr", b"\x02\x01\x00", load_csr),
        ("crl", b"\x02\x01\x01", load_crl),
    ],
)
def test_unknown_version_is_malformed_input(kind: str, old: bytes, loader: Any) -> None:
    """cryptography's InvalidVersion is not a ValueError; it once escaped load_csr and load_crl."""
    data = bytearray(seeds()[kind][0])
    data[data.index(old) + 2] = 7
    with pytest.raises(MalformedInputError):
        loader(bytes(data))


def test_unknown_certificate_version_falls_back_to_asn1crypto() -> None:
    """A v4 certificate once leaked InvalidVersion; now it loads via asn1crypto and .x509 refuses."""
    data = bytearray(seeds()["certificate"][0])
    data[data.index(b"\xa0\x03\x02\x01\x02") + 4] = 3
    cert = load_certificate(bytes(data))
    assert cert.subject.common_name == "rig-0001.example.com"
    with pytest.raises(MalformedInputError):
        cert.x509


def test_truststore_manifest_deeply_nested_json(tmp_path: Path) -> None:
    """json.loads of 2,000 nested arrays once leaked RecursionError from TrustStore.open."""
    from caiso_pki.errors import TrustStoreCorruptError
    from caiso_pki.truststore import MANIFEST_NAME, TrustStore

    TrustStore.init(tmp_path)
    (tmp_path / MANIFEST_NAME).write_text("[" * 100_000)
    with pytest.raises(TrustStoreCorruptError, match="nest too deeply"):
        TrustStore.open(tmp_path)


@pytest.mark.parametrize("path", ["/\x00", "dir/\x00.toml"])
def test_profile_paths_with_nul_byte(path: str) -> None:
    """Path.read_text raises ValueError for an embedded NUL; it once escaped both profile loaders."""
    from caiso_pki.profiles.cps import load_cps_profile

    with pytest.raises(ProfileError):
        load_request_profile(path)
    with pytest.raises(ProfileError):
        load_cps_profile(path)


def test_cps_profile_deeply_nested_toml() -> None:
    from caiso_pki.profiles.cps import load_cps_profile

    with pytest.raises(ProfileError, match="nest too deeply"):
        load_cps_profile(_deep_toml())


def test_encrypted_key_with_huge_kdf_iteration_count_is_refused_fast() -> None:
    """PBKDF2 at 2**31-1 rounds once made load_private_key spin for minutes (about 4 at 1.2 s/10M)."""
    from asn1crypto import keys

    from caiso_pki import load_private_key
    from caiso_pki.errors import UnsupportedAlgorithmError

    from ._corpus import PASSWORD
    from ._harness import time_bound

    info = keys.EncryptedPrivateKeyInfo.load(seeds()["encrypted-key"][1])
    params = info["encryption_algorithm"]["parameters"]["key_derivation_func"]["parameters"]
    params["iteration_count"] = 2**31 - 1
    with time_bound(20), pytest.raises(UnsupportedAlgorithmError, match="iterations"):
        load_private_key(info.dump(force=True), password=PASSWORD)


@pytest.mark.parametrize("index", [0, 1, 2])
def test_pkcs12_with_huge_mac_iteration_count_is_refused_fast(index: int) -> None:
    from asn1crypto import pkcs12

    from caiso_pki import load_pkcs12
    from caiso_pki.errors import UnsupportedAlgorithmError

    from ._corpus import PASSWORD
    from ._harness import time_bound

    pfx = pkcs12.Pfx.load(seeds()["pkcs12"][index])
    pfx["mac_data"]["iterations"] = 2**31 - 1
    with time_bound(20), pytest.raises(UnsupportedAlgorithmError, match="iterations"):
        load_pkcs12(pfx.dump(force=True), password=PASSWORD)
    assert load_pkcs12(seeds()["pkcs12"][index], password=PASSWORD) is not None
