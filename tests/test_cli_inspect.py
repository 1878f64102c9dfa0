"""``caiso-pki inspect``: every input kind, passwords, bad input, agreement with ``openssl x509 -text``."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from _cli import run_cli, run_in_pty
from _hostile import HOSTILE_NAMES, hostile_leaf, malformed_crl_dp_leaf
from caiso_pki import testing
from caiso_pki.certificate import load_certificate, load_certificates
from caiso_pki.cli import main
from caiso_pki.cli.inspect import _Renderer
from caiso_pki.csr import load_csr
from conftest import OPENSSL_PASSWORD, OpensslMaterial


def _invoke(*args: str | Path, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["inspect", *map(str, args)], input=input, env=env)


def _json(*args: str | Path, **kwargs: Any) -> dict[str, Any]:
    result = _invoke(*args, "--json", **kwargs)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


# -- agreement with openssl -----------------------------------------------------------------------

_OPENSSL_KU = {
    "Digital Signature": "digitalSignature",
    "Non Repudiation": "nonRepudiation",
    "Key Encipherment": "keyEncipherment",
    "Data Encipherment": "dataEncipherment",
    "Key Agreement": "keyAgreement",
    "Certificate Sign": "keyCertSign",
    "CRL Sign": "cRLSign",
    "Encipher Only": "encipherOnly",
    "Decipher Only": "decipherOnly",
}
_OPENSSL_EKU = {
    "TLS Web Server Authentication": "1.3.6.1.5.5.7.3.1",
    "TLS Web Client Authentication": "1.3.6.1.5.5.7.3.2",
    "Code Signing": "1.3.6.1.5.5.7.3.3",
    "E-mail Protection": "1.3.6.1.5.5.7.3.4",
    "Time Stamping": "1.3.6.1.5.5.7.3.8",
    "OCSP Signing": "1.3.6.1.5.5.7.3.9",
    "Microsoft Smartcard Login": "1.3.6.1.4.1.311.20.2.2",
}


def _openssl(path: Path, *args: str) -> str:
    return subprocess.run(
        ["openssl", "x509", "-in", str(path), "-noout", *args], capture_output=True, check=True, text=True
    ).stdout


def _openssl_extensions(text: str) -> dict[str, list[str]]:
    """Extension name -> value lines, from the X509v3 extensions block of ``openssl x509 -text``."""
    block = text.split("X509v3 extensions:\n", 1)[1].split("\n    Signature Algorithm:", 1)[0]
    sections: dict[str, list[str]] = {}
    current = ""
    for line in block.splitlines():
        if re.match(r"^ {12}\S", line):
            current = line.strip().removesuffix("critical").strip().rstrip(":")
            sections[current] = []
        elif line.strip():
            sections[current].append(line.strip())
    return sections


def _openssl_date(text: str) -> str:
    parsed = dt.datetime.strptime(" ".join(text.split()), "%b %d %H:%M:%S %Y GMT")
    return parsed.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("attribute", ["selfsigned_pem", "leaf_pem", "leaf_der", "ca_pem", "ec_pem"])
def test_inspect_json_agrees_with_openssl(
    openssl_material: OpensslMaterial, attribute: str, console_script: str
) -> None:
    path: Path = getattr(openssl_material, attribute)
    pem = openssl_material.leaf_pem if attribute == "leaf_der" else path
    # The real console script, as a user runs it.
    proc = subprocess.run(
        [console_script, "inspect", "--json", str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    (cert,) = json.loads(proc.stdout)["certificates"]
    text = _openssl(pem, "-text")

    # Serial: -serial and the colon-hex form in -text.
    assert cert["serial"] == _openssl(pem, "-serial").strip().split("=", 1)[1]
    # -text prints small serials as "4097 (0x1001)" and others as colon hex on the next line.
    small = re.search(r"Serial Number: (\d+) \(0x([0-9a-f]+)\)", text)
    colon = re.search(r"Serial Number:\s*\n\s*([0-9a-f:]+)", text)
    assert small is not None or colon is not None
    shown = small.group(2) if small is not None else colon.group(1)  # type: ignore[union-attr]
    assert int(cert["serial"], 16) == int(shown.replace(":", ""), 16)

    # Validity: -dates and -text.
    dates = dict(line.split("=", 1) for line in _openssl(pem, "-dates").splitlines())
    assert cert["not_before"] == _openssl_date(dates["notBefore"])
    assert cert["not_after"] == _openssl_date(dates["notAfter"])
    assert f"Not After : {dates['notAfter']}" in text

    extensions = _openssl_extensions(text)
    # SANs.
    expected_sans: dict[str, list[str]] = {"dns": [], "ip": [], "email": [], "uri": []}
    for item in " ".join(extensions.get("X509v3 Subject Alternative Name", [])).split(", "):
        if not item:
            continue
        kind, _, value = item.partition(":")
        if kind == "DNS":
            expected_sans["dns"].append(value)
        elif kind == "IP Address":
            expected_sans["ip"].append(str(ipaddress.ip_address(value)))
        elif kind == "email":
            expected_sans["email"].append(value)
        elif kind == "URI":
            expected_sans["uri"].append(value)
        else:
            pytest.fail(f"unexpected SAN type in openssl output: {item}")
    sans = cert["subject_alt_names"]
    assert {key: sans[key] for key in expected_sans} == expected_sans

    # Key usage and extended key usage.
    ku_lines = extensions.get("X509v3 Key Usage", [])
    expected_ku = [_OPENSSL_KU[name] for name in ", ".join(ku_lines).split(", ") if name]
    assert cert["key_usage"] == expected_ku
    eku_lines = extensions.get("X509v3 Extended Key Usage", [])
    expected_eku = [_OPENSSL_EKU.get(name, name) for name in ", ".join(eku_lines).split(", ") if name]
    assert [purpose["oid"] for purpose in cert["extended_key_usage"]] == expected_eku

    # Policies and their CPS pointers.
    policy_lines = extensions.get("X509v3 Certificate Policies", [])
    expected_policies = [line.split("Policy: ", 1)[1] for line in policy_lines if line.startswith("Policy: ")]
    assert [policy["oid"] for policy in cert["policies"]] == expected_policies
    expected_cps = [line.split("CPS: ", 1)[1] for line in policy_lines if line.startswith("CPS: ")]
    assert [uri for policy in cert["policies"] for uri in policy["cps_uris"]] == expected_cps
    explicit = [line.split(": ", 1)[1] for line in policy_lines if line.startswith("Explicit Text: ")]
    assert [n["explicit_text"] for p in cert["policies"] for n in p["user_notices"]] == explicit

    # CRL distribution points and AIA.
    crl_lines = extensions.get("X509v3 CRL Distribution Points", [])
    assert cert["crl_distribution_points"] == [line[4:] for line in crl_lines if line.startswith("URI:")]
    aia = extensions.get("Authority Information Access", [])
    assert cert["ocsp_urls"] == [line.split(" - URI:", 1)[1] for line in aia if line.startswith("OCSP")]
    assert cert["ca_issuers_urls"] == [
        line.split(" - URI:", 1)[1] for line in aia if line.startswith("CA Issuers")
    ]

    # Basic constraints and key identifiers.
    basic = " ".join(extensions.get("X509v3 Basic Constraints", []))
    assert cert["is_ca"] == ("CA:TRUE" in basic)
    ski = extensions.get("X509v3 Subject Key Identifier", [None])[0]
    assert cert["subject_key_identifier"] == (ski.replace(":", "").lower() if ski else None)
    assert len(cert["extensions"]) == len(extensions)

    if attribute == "selfsigned_pem":  # the full extension set really is there
        assert expected_sans["ip"] == ["127.0.0.1", "2001:db8::1"]
        assert expected_policies == ["2.999.2008.1.1", "2.999.2008.1.2"]
        assert expected_cps == ["https://pki.example.com/cps"]
        assert "1.3.6.1.4.1.311.20.2.2" in expected_eku


# -- every kind of input --------------------------------------------------------------------------


def test_text_output_for_a_certificate(openssl_material: OpensslMaterial) -> None:
    result = _invoke(openssl_material.leaf_pem)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in (
        "CN=rig-0001.example.com,OU=Metering,OU=RIG,O=Demo Participant,C=US",
        "A1B2C3D4E5F60718",
        "RSA 2048",
        "digitalSignature, keyEncipherment",
        "serverAuth (1.3.6.1.5.5.7.3.1)",
        "DNS:alt.example.com",
        "IP:2001:db8::1",
        "demoBasicAssurance (2.999.2008.1.1)",
        "https://pki.example.com/cps",
        "Demo Basic Assurance",
        "http://127.0.0.1:8080/ocsp",
        load_certificate(openssl_material.leaf_pem).fingerprint_sha256,
    ):
        assert expected in out, expected


@pytest.mark.parametrize("attribute", ["bundle_pem", "chain_p7b", "chain_p7c"])
def test_many_certificates(openssl_material: OpensslMaterial, attribute: str) -> None:
    path = getattr(openssl_material, attribute)
    data = _json(path)
    assert data["kind"] == ("certificate" if attribute == "bundle_pem" else "pkcs7")
    assert data["certificates"] == [cert.to_dict() for cert in load_certificates(openssl_material.bundle_pem)]
    text = _invoke(path).stdout
    assert "Certificate 1 of 2" in text and "Certificate 2 of 2" in text
    assert "CN=OpenSSL Test CA,O=OpenSSL Test,C=US  (self-issued)" in text


def test_csr(openssl_material: OpensslMaterial) -> None:
    data = _json(openssl_material.leaf_csr)
    assert data["kind"] == "csr"
    assert data["csr"] == json.loads(json.dumps(load_csr(openssl_material.leaf_csr).to_dict()))
    text = _invoke(openssl_material.leaf_csr).stdout
    assert "Certificate signing request" in text
    assert "CN=rig-0001.example.com" in text


@pytest.mark.parametrize("attribute", ["crl_pem", "crl_der"])
def test_crl_agrees_with_openssl(openssl_material: OpensslMaterial, attribute: str) -> None:
    data = _json(getattr(openssl_material, attribute))
    assert data["kind"] == "crl"
    crl = data["crl"]
    out = subprocess.run(
        [
            "openssl",
            "crl",
            "-in",
            str(openssl_material.crl_pem),
            "-noout",
            "-lastupdate",
            "-nextupdate",
            "-crlnumber",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    fields = dict(line.split("=", 1) for line in out.splitlines())
    assert crl["this_update"] == _openssl_date(fields["lastUpdate"])
    assert crl["next_update"] == _openssl_date(fields["nextUpdate"])
    assert crl["number"] == int(fields["crlNumber"], 16)
    assert crl["issuer"]["rfc4514"] == "CN=OpenSSL Test CA,O=OpenSSL Test,C=US"
    leaf = load_certificate(openssl_material.leaf_pem)
    (entry,) = crl["revoked"]
    assert entry["serial"] == leaf.serial_hex
    assert entry["reason"] == "keyCompromise"
    assert crl["revoked_count"] == 1
    text = subprocess.run(
        ["openssl", "crl", "-in", str(openssl_material.crl_pem), "-noout", "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    revoked_on = re.search(r"Revocation Date: (.+ GMT)", text)
    assert revoked_on is not None
    assert entry["date"] == _openssl_date(revoked_on.group(1))
    rendered = _invoke(getattr(openssl_material, attribute)).stdout
    assert "Certificate revocation list" in rendered and "keyCompromise" in rendered
    assert leaf.serial_hex in rendered


def test_pkcs12_with_password_file_env_and_prompt(openssl_material: OpensslMaterial, tmp_path: Path) -> None:
    password_file = tmp_path / "pw.txt"
    password_file.write_text(OPENSSL_PASSWORD + "\n")
    data = _json(openssl_material.leaf_p12, "--password-file", password_file)
    assert data["kind"] == "pkcs12"
    assert data["friendly_name"] == "openssl leaf"
    assert data["private_key"] == {"algorithm": "RSA", "size": 2048, "curve": None}
    assert [cert["serial"] for cert in data["certificates"]] == [
        load_certificate(openssl_material.leaf_pem).serial_hex,
        load_certificate(openssl_material.ca_pem).serial_hex,
    ]
    assert (
        _json(openssl_material.leaf_p12, "--password-env", "P12_PW", env={"P12_PW": OPENSSL_PASSWORD}) == data
    )

    prompted = run_in_pty(["inspect", openssl_material.leaf_p12], answers=[OPENSSL_PASSWORD])
    assert prompted.returncode == 0, prompted.output
    assert "PKCS#12 password" in prompted.output
    assert OPENSSL_PASSWORD not in prompted.output  # hidden input is not echoed
    assert "openssl leaf" in prompted.out and "Certificate 2 of 2" in prompted.out


@pytest.mark.parametrize("attribute", ["leaf_p12", "rsa_pkcs8_enc_pem", "ec_sec1_enc_pem"])
def test_no_terminal_for_the_password_prompt_is_a_clear_error(
    openssl_material: OpensslMaterial, attribute: str
) -> None:
    # issue 13 defect 7: GetPassWarning and "Aborted!" with status 1 before
    path = getattr(openssl_material, attribute)
    result = run_cli(["inspect", path])
    assert result.returncode == 2, result.output
    what = "PKCS#12 password" if attribute == "leaf_p12" else "key password"
    assert result.err == (
        f"error: {path}: it needs a {what} and there is no terminal to ask for it; "
        "use --password-file or --password-env\n"
    )
    assert "Warning" not in result.output and "Aborted" not in result.output


def test_pkcs12_wrong_password_exits_2_without_echoing_it(openssl_material: OpensslMaterial) -> None:
    result = _invoke(openssl_material.leaf_p12, "--password-env", "P12_PW", env={"P12_PW": "guess-1234"})
    assert result.exit_code == 2
    assert "wrong PKCS#12 password" in result.stderr
    assert str(openssl_material.leaf_p12) in result.stderr
    assert "guess-1234" not in result.output


def test_password_is_never_a_plain_argument(openssl_material: OpensslMaterial) -> None:
    result = _invoke(openssl_material.leaf_p12, "--password", OPENSSL_PASSWORD)
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_missing_password_env_var_is_a_usage_error(openssl_material: OpensslMaterial) -> None:
    result = _invoke(openssl_material.leaf_p12, "--password-env", "CAISO_PKI_NO_SUCH_VAR", env={})
    assert result.exit_code == 2
    assert "CAISO_PKI_NO_SUCH_VAR" in result.output


@pytest.mark.parametrize(
    ("attribute", "algorithm", "size", "encrypted"),
    [
        ("rsa_pkcs1_pem", "RSA", 2048, False),
        ("rsa_pkcs8_enc_der", "RSA", 2048, True),
        ("ec_sec1_der", "EC", 256, False),
        ("ec_pkcs8_enc_pem", "EC", 256, True),
    ],
)
def test_private_key_description_has_no_secrets(
    openssl_material: OpensslMaterial,
    tmp_path: Path,
    attribute: str,
    algorithm: str,
    size: int,
    encrypted: bool,
) -> None:
    password_file = tmp_path / "pw"
    password_file.write_text(OPENSSL_PASSWORD)
    args: list[str | Path] = [getattr(openssl_material, attribute)]
    if encrypted:
        args += ["--password-file", password_file]
    data = _json(*args)
    assert data["kind"] == "private-key"
    assert data["private_key"]["algorithm"] == algorithm
    assert data["private_key"]["size"] == size
    assert data["private_key"]["encrypted"] is encrypted
    text = _invoke(*args).output
    assert "PRIVATE KEY" not in text and OPENSSL_PASSWORD not in text
    if encrypted:  # without a password source the hidden prompt asks for it, on a terminal
        prompted = run_in_pty(["inspect", getattr(openssl_material, attribute)], answers=[OPENSSL_PASSWORD])
        assert prompted.returncode == 0, prompted.output
        assert "Key password" in prompted.output and "Encrypted" in prompted.out
        assert OPENSSL_PASSWORD not in prompted.output


def _bad_inputs(m: OpensslMaterial, tmp_path: Path) -> dict[str, Path]:
    cases = {
        "empty": b"",
        "garbage": bytes(range(256)) * 3,
        "text": b"hello, not a certificate\n",
        "truncated-pem": m.leaf_pem.read_bytes()[:400],
        "truncated-der": m.leaf_der.read_bytes()[:-30],
        "label-mismatch": m.leaf_pem.read_bytes().replace(b"END CERTIFICATE", b"END X509 CRL"),
    }
    paths = {}
    for name, data in cases.items():
        path = tmp_path / f"{name}.bin"
        path.write_bytes(data)
        paths[name] = path
    paths["missing"] = tmp_path / "missing.pem"
    paths["directory"] = tmp_path
    return paths


@pytest.mark.parametrize(
    "case",
    ["empty", "garbage", "text", "truncated-pem", "truncated-der", "label-mismatch", "missing", "directory"],
)
@pytest.mark.parametrize("as_json", [False, True])
def test_bad_input_exits_2_naming_the_file(
    openssl_material: OpensslMaterial, tmp_path: Path, case: str, as_json: bool
) -> None:
    path = _bad_inputs(openssl_material, tmp_path)[case]
    result = _invoke(path, *(["--json"] if as_json else []))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert str(path) in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_fallback_certificate_is_described(pkits: Path) -> None:
    path = pkits / "certs" / "DSAParametersInheritedCACert.crt"
    data = _json(path)
    (cert,) = data["certificates"]
    assert cert["key_algorithm"] == "DSA" and cert["is_ca"] is True
    assert "asn1crypto fallback" in _invoke(path).stdout


def test_plain_text_renderer_without_rich(capsys: pytest.CaptureFixture[str]) -> None:
    renderer = _Renderer()
    renderer._console = None  # what happens when rich is not installed
    renderer.section("Title", [("Subject", "CN=x [bold]not markup[/bold]"), ("Serial", "01")])
    out = capsys.readouterr().out
    assert out.splitlines()[:3] == ["Title", "  Subject  CN=x [bold]not markup[/bold]", "  Serial   01"]


def test_rich_output_does_not_interpret_markup_in_values(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "[red]evil[/red]")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    from cryptography.hazmat.primitives.serialization import Encoding

    path = tmp_path / "markup.pem"
    path.write_bytes(cert.public_bytes(Encoding.PEM))
    result = _invoke(path)
    assert result.exit_code == 0, result.output
    assert "CN=[red]evil[/red]" in result.stdout


# -- issue 13: hostile names, pipes, malformed extensions, OCSP responses ---------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pki = testing.DemoPki.create()
    out = tmp_path_factory.mktemp("hostile")
    paths = {}
    for kind in HOSTILE_NAMES:
        paths[kind] = out / f"{kind}.pem"
        paths[kind].write_text(hostile_leaf(pki, kind).certificate.pem)
    paths["bad-cdp"] = out / "bad-cdp.pem"
    paths["bad-cdp"].write_text(malformed_crl_dp_leaf(pki).pem)
    good = pki.issuing_ca.issue("rig", "rig-0001.example.com").certificate
    revoked = pki.issuing_ca.issue("rig", "rig-0002.example.com").certificate
    pki.issuing_ca.revoke(revoked)
    paths["good"] = out / "good.pem"
    paths["good"].write_text(good.pem)
    paths["ocsp-good"] = out / "good.ocsp"
    paths["ocsp-good"].write_bytes(pki.issuing_ca.ocsp_response(cert=good))
    paths["ocsp-revoked"] = out / "revoked.ocsp"
    paths["ocsp-revoked"].write_bytes(pki.issuing_ca.ocsp_response(cert=revoked))
    paths["ocsp-unauthorized"] = out / "unknown.ocsp"
    paths["ocsp-unauthorized"].write_bytes(
        pki.issuing_ca.ocsp_response(cert=pki.entrust_intermediate.issue("rig").certificate)
    )
    return paths


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        ("escape", "CN=x\\x1b[31mRED\\x1b[0m"),
        ("newline", "CN=line1\\nFAKE: VALID"),
        ("bidi", "CN=evil\\u202emoc.elpmaxe"),
    ],
)
def test_control_and_bidi_characters_are_escaped_in_text_and_exact_in_json(
    hostile: dict[str, Path], kind: str, shown: str
) -> None:
    # issue 13 defect 1: the CN was written raw (an ANSI sequence, a forged line, a bidi override)
    text = run_in_pty(["inspect", hostile[kind]])  # a real terminal: rich renders the table
    assert text.returncode == 0, text.output
    plain = _invoke(hostile[kind])
    assert plain.exit_code == 0, plain.output
    for output in (text.out, plain.stdout):
        assert shown in output
        assert not any(char in output for char in ("\x1b[31m", "\u202e", "line1\n"))
    data = _json(hostile[kind])
    assert data["certificates"][0]["subject"]["attributes"][-1]["value"] == HOSTILE_NAMES[kind]


def test_pipes_fifos_and_stdin_are_read_once(hostile: dict[str, Path], tmp_path: Path) -> None:
    # issue 13 defect 8: "<(cat x.pem)", "cat x.pem | inspect /dev/stdin" said "is empty"
    pem = hostile["good"].read_bytes()
    for args in (["inspect", "/dev/stdin"], ["inspect", "-"], ["inspect", "--json", "-"]):
        result = run_cli(args, stdin=pem)
        assert result.returncode == 0, result.output
        assert "rig-0001.example.com" in result.out
    fifo = tmp_path / "cert.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(pem,))
    writer.start()
    result = run_cli(["inspect", fifo])
    writer.join()
    assert result.returncode == 0, result.output
    assert "rig-0001.example.com" in result.out


def test_malformed_extension_is_named_and_every_other_field_shown(hostile: dict[str, Path]) -> None:
    # issue 13 defect 14: "cannot read basic constraints" for a malformed CRL distribution point
    result = _invoke(hostile["bad-cdp"])
    assert result.exit_code == 0, result.output
    assert "CRL distribution    unreadable: the cRLDistributionPoints extension is malformed" in result.stdout
    assert "basic constraints" not in result.output
    for field in (
        "CA                  no",
        "Key usage",
        "Subject alt name    DNS:bad-cdp.example.com",
        "OCSP",
    ):
        assert field in result.stdout
    data = _json(hostile["bad-cdp"])["certificates"][0]
    assert data["is_ca"] is False and data["subject_alt_names"]["dns"] == ["bad-cdp.example.com"]
    assert data["crl_distribution_points"] == []
    assert [(item["view"], item["extension"]) for item in data["unreadable"]] == [
        ("crl_distribution_points", "cRLDistributionPoints")
    ]
    assert "CRL distribution points" in data["unreadable"][0]["error"]


def test_ocsp_responses_are_described(hostile: dict[str, Path]) -> None:
    # issue 13 defect 16: inspect refused OCSP responses that verify --ocsp takes
    good = load_certificate(hostile["good"])
    data = _json(hostile["ocsp-good"])
    assert data["kind"] == "ocsp-response"
    response = data["ocsp_response"]
    assert response["status"] == "successful"
    assert response["responder"]["key_hash"]
    assert response["produced_at"].endswith("Z")
    [answer] = response["responses"]
    assert answer["serial"] == good.serial_hex and answer["status"] == "good"
    assert answer["this_update"] < answer["next_update"]
    revoked = _json(hostile["ocsp-revoked"])["ocsp_response"]["responses"][0]
    assert revoked["status"] == "revoked" and revoked["revocation_time"]
    assert _json(hostile["ocsp-unauthorized"])["ocsp_response"] == {
        "status": "unauthorized",
        "responder": None,
        "produced_at": None,
        "signature_algorithm": None,
        "certificates": 0,
        "responses": [],
    }
    text = _invoke(hostile["ocsp-revoked"])
    assert text.exit_code == 0, text.output
    for expected in ("OCSP response", "Status", "successful", "Produced at", "revoked at", "Next update"):
        assert expected in text.stdout
