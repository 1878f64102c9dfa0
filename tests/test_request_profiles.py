"""Request profiles: every rule broken once, built-in data, and loading user TOML files."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from tests.conftest import run_openssl

import caiso_pki
from caiso_pki import RequestProfile, build_csr, check_csr, generate_private_key, load_request_profile
from caiso_pki.errors import ProfileError, ProfileViolationError
from caiso_pki.profiles import request as request_module
from caiso_pki.profiles.request import RequestFinding, builtin_request_profiles

EC_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_KEY = rsa.generate_private_key(65537, 2048)
EKU = {"serverAuth": ExtendedKeyUsageOID.SERVER_AUTH, "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH}
KU_FIELDS = {
    "digitalSignature": "digital_signature",
    "nonRepudiation": "content_commitment",
    "keyEncipherment": "key_encipherment",
    "dataEncipherment": "data_encipherment",
    "keyAgreement": "key_agreement",
    "keyCertSign": "key_cert_sign",
    "cRLSign": "crl_sign",
}


def foreign_csr(
    *,
    key: Any = EC_KEY,
    name: str | x509.Name = "CN=rig-01.example.com,O=Example Power,C=US",
    dns: tuple[str, ...] = ("rig-01.example.com",),
    ips: tuple[str, ...] = (),
    uris: tuple[str, ...] = (),
    emails: tuple[str, ...] = (),
    directory: tuple[str, ...] = (),
    ku: tuple[str, ...] | None = ("digitalSignature",),
    eku: tuple[str, ...] | None = ("serverAuth", "clientAuth"),
    ca: bool = False,
) -> x509.CertificateSigningRequest:
    """A CSR made with cryptography's builder directly (not by caiso-pki), like a device would."""
    import ipaddress

    subject = name if isinstance(name, x509.Name) else x509.Name.from_rfc4514_string(name)
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    general: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
    general += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    general += [x509.UniformResourceIdentifier(u) for u in uris]
    general += [x509.RFC822Name(e) for e in emails]
    general += [x509.DirectoryName(x509.Name.from_rfc4514_string(d)) for d in directory]
    if general:
        builder = builder.add_extension(x509.SubjectAlternativeName(general), critical=False)
    if ku is not None:
        flags = dict.fromkeys(KU_FIELDS.values(), False) | {KU_FIELDS[u]: True for u in ku}
        builder = builder.add_extension(
            x509.KeyUsage(**flags, encipher_only=False, decipher_only=False), True
        )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([EKU[e] for e in eku]), critical=False)
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, algorithm)


def codes(findings: tuple[RequestFinding, ...]) -> set[str]:
    return {finding.code for finding in findings}


def test_conforming_foreign_csrs_have_no_findings() -> None:
    assert check_csr(foreign_csr(), "rig") == ()
    assert check_csr(foreign_csr(ku=("digitalSignature", "keyEncipherment"), key=RSA_KEY), "dpg") == ()
    assert check_csr(foreign_csr(dns=(), ips=("192.0.2.1",)), "iccp") == ()
    assert (
        check_csr(foreign_csr(dns=(), eku=("clientAuth",), name="CN=svc-account,O=Example"), "api-client")
        == ()
    )
    assert (
        check_csr(
            foreign_csr(dns=(), emails=("jo@example.com",), eku=("clientAuth",), name="CN=Jo,O=X,C=US"),
            "ui-client",
        )
        == ()
    )


BREAKS: list[tuple[str, str, Callable[[], Any], str]] = [
    # (id, profile, request maker, expected code)
    ("rsa-1024", "rig", lambda: foreign_csr(key=rsa.generate_private_key(65537, 1024)), "REQ-KEY-SPEC"),
    ("ed25519", "rig", lambda: foreign_csr(key=ed25519.Ed25519PrivateKey.generate()), "REQ-KEY-SPEC"),
    ("no-O", "rig", lambda: foreign_csr(name="CN=rig-01.example.com,C=US"), "REQ-SUBJECT-MISSING"),
    (
        "email-in-subject",
        "rig",
        lambda: foreign_csr(name="CN=rig-01.example.com,O=X,C=US,1.2.840.113549.1.9.1=a@example.com"),
        "REQ-SUBJECT-FORBIDDEN",
    ),
    ("country-CA", "rig", lambda: foreign_csr(name="CN=rig-01.example.com,O=X,C=CA"), "REQ-SUBJECT-VALUE"),
    (
        "control-char",
        "rig",
        lambda: foreign_csr(
            name=x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "rig\x07"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "X"),
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                ]
            ),
            dns=("rig",),
        ),
        "REQ-SUBJECT-INVALID",
    ),
    ("no-dns", "rig", lambda: foreign_csr(dns=(), ips=("192.0.2.1",)), "REQ-SAN-MISSING"),
    ("uri", "rig", lambda: foreign_csr(uris=("https://x.example.com/",)), "REQ-SAN-FORBIDDEN"),
    ("email-san", "rig", lambda: foreign_csr(emails=("a@example.com",)), "REQ-SAN-FORBIDDEN"),
    (
        "dns-for-person",
        "ui-client",
        lambda: foreign_csr(name="CN=Jo,O=X", eku=("clientAuth",)),
        "REQ-SAN-FORBIDDEN",
    ),
    (
        "ip-for-api",
        "api-client",
        lambda: foreign_csr(name="CN=svc,O=X", dns=(), ips=("192.0.2.9",), eku=("clientAuth",)),
        "REQ-SAN-FORBIDDEN",
    ),
    ("directory-name", "rig", lambda: foreign_csr(directory=("CN=other",)), "REQ-SAN-FORBIDDEN"),
    ("wildcard", "rig", lambda: foreign_csr(dns=("rig-01.example.com", "*.example.com")), "REQ-SAN-WILDCARD"),
    (
        "bad-dns",
        "rig",
        lambda: foreign_csr(dns=("rig-01.example.com", "under_score.example.com")),
        "REQ-SAN-SYNTAX",
    ),
    ("cn-not-in-dns", "rig", lambda: foreign_csr(dns=("other.example.com",)), "REQ-SAN-CN-NOT-IN-DNS"),
    (
        "too-many-sans",
        "rig",
        lambda: foreign_csr(dns=("rig-01.example.com", *(f"n{i}.example.com" for i in range(10)))),
        "REQ-SAN-COUNT",
    ),
    ("no-sans-iccp", "iccp", lambda: foreign_csr(dns=()), "REQ-SAN-COUNT"),
    ("no-ku", "rig", lambda: foreign_csr(ku=None), "REQ-KU-ABSENT"),
    ("ku-missing", "rig", lambda: foreign_csr(ku=("keyAgreement",)), "REQ-KU-MISSING"),
    ("rsa-without-keyEncipherment", "rig", lambda: foreign_csr(key=RSA_KEY), "REQ-KU-MISSING"),
    ("ku-extra", "rig", lambda: foreign_csr(ku=("digitalSignature", "keyCertSign")), "REQ-KU-EXTRA"),
    (
        "ec-keyEncipherment",
        "rig",
        lambda: foreign_csr(ku=("digitalSignature", "keyEncipherment")),
        "REQ-KU-KEY-TYPE",
    ),
    ("no-eku", "rig", lambda: foreign_csr(eku=None), "REQ-EKU-ABSENT"),
    ("eku-missing", "rig", lambda: foreign_csr(eku=("serverAuth",)), "REQ-EKU-MISSING"),
    (
        "eku-extra",
        "api-client",
        lambda: foreign_csr(name="CN=svc,O=X", dns=(), eku=("clientAuth", "serverAuth")),
        "REQ-EKU-EXTRA",
    ),
    ("ca", "rig", lambda: foreign_csr(ca=True), "REQ-CA-REQUESTED"),
]


@pytest.mark.parametrize(("profile", "make", "code"), [b[1:] for b in BREAKS], ids=[b[0] for b in BREAKS])
def test_each_rule_broken(profile: str, make: Callable[[], Any], code: str) -> None:
    findings = check_csr(make(), profile)
    assert code in codes(findings)
    finding = next(f for f in findings if f.code == code)
    assert finding.rule.startswith(f"{profile}: ")
    assert finding.field
    assert finding.severity == ("warning" if code.endswith("-ABSENT") else "error")
    assert finding.to_dict()["code"] == code


def test_tampered_signature_rule() -> None:
    der = bytearray(caiso_pki.Csr(foreign_csr()).der)
    index = der.find(b"rig-01.example.com")
    der[index] = ord("R")
    findings = check_csr(bytes(der), "rig")
    assert "REQ-SIGNATURE" in codes(findings)


def test_sha1_signature_rule(tmp_path: Path) -> None:
    run_openssl("genrsa", "-out", tmp_path / "k.pem", "2048")
    run_openssl(
        "req", "-new", "-key", tmp_path / "k.pem", "-sha1", "-out", tmp_path / "sha1.csr",
        "-subj", "/C=US/O=X/CN=rig-01.example.com",
        "-addext", "subjectAltName=DNS:rig-01.example.com",
        "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
        "-addext", "extendedKeyUsage=serverAuth,clientAuth",
    )  # fmt: skip
    assert codes(check_csr(tmp_path / "sha1.csr", "rig")) == {"REQ-SIGNATURE-HASH"}


def test_every_finding_code_has_a_breaking_test() -> None:
    source = Path(request_module.__file__).read_text()
    defined = set(re.findall(r'"(REQ-[A-Z0-9-]+)"', source))
    covered = {b[3] for b in BREAKS} | {"REQ-SIGNATURE", "REQ-SIGNATURE-HASH"}
    assert defined == covered


def test_build_csr_checks_before_signing_and_uses_profile_usages() -> None:
    key = generate_private_key("rsa-2048")
    csr = build_csr(key, "CN=svc,O=Example", profile="api-client")
    assert csr.key_usage == ("digitalSignature", "keyEncipherment")
    assert csr.extended_key_usage == (ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string,)
    with pytest.raises(ProfileViolationError) as info:
        build_csr(
            key, "CN=svc,O=Example", extended_key_usage=["clientAuth", "serverAuth"], profile="api-client"
        )
    assert codes(info.value.findings) == {"REQ-EKU-EXTRA"}


# -- built-in data ---------------------------------------------------------------------------------


def test_builtin_profiles() -> None:
    profiles = builtin_request_profiles()
    assert set(profiles) == {"rig", "dpg", "iccp", "api-client", "ui-client"}
    for name, profile in profiles.items():
        assert isinstance(profile, RequestProfile)
        assert profile.name == name
        assert load_request_profile(name) is load_request_profile(name)  # parsed once
        assert profile.to_dict()["name"] == name
    assert profiles["dpg"].san.max == 25
    assert profiles["dpg"].extended_key_usage == profiles["rig"].extended_key_usage  # inherited
    assert profiles["iccp"].san.cn_in_dns is False


def test_builtin_toml_says_these_are_project_defaults() -> None:
    text = (Path(request_module.__file__).parent / "request_profiles.toml").read_text()
    assert "caiso-pki project's defaults, NOT values published by CAISO" in text


# -- user files ------------------------------------------------------------------------------------


def test_user_profile_extends_builtin(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text('extends = "rig"\nkey_specs = ["ec-p384"]\n\n[san]\nmax = 2\n')
    profile = load_request_profile(path)
    assert profile.name == "site"
    assert profile.source == str(path)
    assert [str(s) for s in profile.key_specs] == ["ec-p384"]
    assert profile.san.max == 2
    assert profile.san.dns == "required"  # inherited from rig
    assert codes(check_csr(foreign_csr(), profile)) == {"REQ-KEY-SPEC"}
    assert codes(check_csr(foreign_csr(), str(path))) == {"REQ-KEY-SPEC"}
    key = generate_private_key("ec-p384")
    csr = build_csr(key, "CN=rig-01.example.com,O=X,C=US", dns_names=["rig-01.example.com"], profile=path)
    assert csr.key_usage == ("digitalSignature",)


def test_file_with_several_profiles(tmp_path: Path) -> None:
    path = tmp_path / "many.toml"
    path.write_text(
        '[profiles.base]\nextends = "api-client"\n[profiles.base.subject]\nrequired = ["CN", "O", "OU"]\n\n'
        '[profiles.strict]\nextends = "base"\nkey_specs = ["rsa-3072"]\n'
    )
    strict = load_request_profile(path, name="strict")
    assert strict.name == "strict"
    assert [str(s) for s in strict.key_specs] == ["rsa-3072"]
    assert "2.5.4.11" in strict.required_subject
    assert strict.extended_key_usage == (ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string,)
    with pytest.raises(ProfileError, match="pass name="):
        load_request_profile(path)
    with pytest.raises(ProfileError, match="no profile 'nope'"):
        load_request_profile(path, name="nope")


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ('extends = "rig"\nkey_spec = ["ec-p256"]\n', ["line 2", "'key_spec'", "unknown key"]),
        ('extends = "rig"\n\n[san]\ndnss = "required"\n', ["line 4", "'san.dnss'", "unknown key"]),
        ('[usage]\nextended_key_usage = ["serverAuth", "1.2.x"]\n',
         ["line 2", "'usage.extended_key_usage'", "'1.2.x'"]),
        ('[usage]\nextended_key_usage = ["notAPurpose"]\n', ["'usage.extended_key_usage'", "notAPurpose"]),
        ('[usage]\nkey_usage = ["signEverything"]\n', ["'usage.key_usage'", "signEverything"]),
        ('[san]\nmax = "ten"\n', ["line 2", "'san.max'", "integer", "string"]),
        ("[san]\ncn_in_dns = 1\n", ["'san.cn_in_dns'", "boolean"]),
        ('key_specs = "ec-p256"\n', ["line 1", "'key_specs'", "list of strings"]),
        ('key_specs = ["rsa-1024"]\n', ["'key_specs'", "rsa-1024"]),
        ('[san]\ndns = "sometimes"\n', ["'san.dns'", "'sometimes'"]),
        ('[subject]\nrequired = ["CN", "NOPE"]\n', ["'subject.required'", "NOPE"]),
        ('[subject.values]\nC = "US"\n', ["'subject.values.C'", "list of strings"]),
        ("subject = 3\n", ["'subject'", "table"]),
        ('description = "x"\nkey_specs = ]\n', ["not valid TOML", "line 2"]),
        ('extends = "nope"\n', ["'extends'", "unknown profile 'nope'"]),
        ("[san]\nmin = 5\nmax = 2\n", ["'san.min'", "larger than max"]),
        ('[profiles.a]\nextends = "b"\n[profiles.b]\nextends = "a"\n', ["circular extends"]),
        ('[profiles.x.san]\nfoo = 1\n', ["line 2", "'profiles.x.san.foo'"]),
    ],
)  # fmt: skip
def test_bad_profile_files(tmp_path: Path, content: str, fragments: list[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(ProfileError) as info:
        load_request_profile(path, name="a" if "[profiles.a]" in content else None)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_unknown_names_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="built-in profiles: rig, dpg"):
        load_request_profile("rgi")
    with pytest.raises(ProfileError, match="no such profile file"):
        load_request_profile(tmp_path / "absent.toml")
    with pytest.raises(ProfileError, match="unknown request profile"):
        check_csr(foreign_csr(), "nonexistent")


CONFORMING = [
    ("rig", foreign_csr),
    ("rig", lambda: foreign_csr(eku=None, ku=None)),
    ("dpg", lambda: foreign_csr(key=RSA_KEY, ku=("digitalSignature", "keyEncipherment"))),
    ("iccp", lambda: foreign_csr(dns=(), ips=("192.0.2.1",))),
    (
        "ui-client",
        lambda: foreign_csr(name="CN=Jo,O=X,C=US", dns=(), emails=("jo@example.com",), eku=("clientAuth",)),
    ),
]


@pytest.mark.parametrize(
    ("profile", "make"),
    [b[1:3] for b in BREAKS] + CONFORMING,
    ids=[b[0] for b in BREAKS] + [f"ok-{i}" for i in range(len(CONFORMING))],
)
def test_fast_accept_path_agrees_with_full_check(profile: str, make: Callable[[], Any]) -> None:
    # build_csr's fast path (RequestProfile.conforms) must never accept what check() reports as an error
    from caiso_pki.csr import request_content

    content = request_content(make())
    resolved = load_request_profile(profile)
    errors = [finding for finding in resolved.check(content) if finding.severity == "error"]
    assert resolved.conforms(content) is (not errors)
