"""Shared fixtures, built with the public test PKI (``caiso_pki.testing``)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import settings

from caiso_pki import testing

REPO_ROOT = Path(__file__).resolve().parents[1]

# No hypothesis deadline anywhere: it is wall-clock time per example (200 ms unless set), which a loaded
# machine stretches (``pytest -n auto`` beside another run).  The fuzz tests bound CPU time instead.
settings.register_profile("default", deadline=None)
settings.load_profile("default")


def pkits_dir() -> Path:
    """Where the NIST PKITS data lives: $CAISO_PKI_PKITS_DIR or ../shared/conformance/pkits."""
    default = REPO_ROOT.parent / "shared" / "conformance" / "pkits"
    return Path(os.environ.get("CAISO_PKI_PKITS_DIR", default))


@pytest.fixture(scope="session")
def pkits() -> Path:
    """The PKITS directory; a missing directory fails the test (the suite requires the data)."""
    path = pkits_dir()
    if not (path / "pkits.json").is_file():
        pytest.fail(f"NIST PKITS data not found at {path}; set CAISO_PKI_PKITS_DIR")
    return path


@pytest.fixture(scope="session")
def demo_pki() -> testing.DemoPki:
    """One demo PKI for the whole session (read-only use: do not revoke in it)."""
    return testing.DemoPki.create()


@pytest.fixture
def fresh_pki() -> testing.DemoPki:
    """A demo PKI of the test's own, safe to revoke in."""
    return testing.DemoPki.create()


@pytest.fixture(scope="session")
def openssl_bin() -> str:
    """Path of the openssl command line tool (required for interop tests)."""
    path = shutil.which("openssl")
    if path is None:
        pytest.fail("the openssl command line tool is required for the interop tests")
    return path


# -- openssl-made material (loaders, certificate model, inspect) ------------------------------------

OPENSSL_PASSWORD = "openssl-test-password"

#: The extfile for the openssl-made RSA leaf: every extension ``inspect`` is compared on.
OPENSSL_LEAF_EXTENSIONS = """\
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth, 1.3.6.1.4.1.311.20.2.2
subjectAltName = DNS:rig-0001.example.com, DNS:alt.example.com, IP:127.0.0.1, IP:2001:db8::1, \
email:ops@example.com, URI:https://participant.example.com/id
certificatePolicies = @policy_basic, 2.999.2008.1.2
crlDistributionPoints = URI:http://127.0.0.1:8080/issuing.crl
authorityInfoAccess = OCSP;URI:http://127.0.0.1:8080/ocsp, caIssuers;URI:http://127.0.0.1:8080/issuing.cer
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[policy_basic]
policyIdentifier = 2.999.2008.1.1
CPS.1 = "https://pki.example.com/cps"
userNotice.1 = @notice

[notice]
explicitText = "Demo Basic Assurance"
organization = "Demo California ISO"
noticeNumbers = 1, 2

[ca_ext]
basicConstraints = critical, CA:TRUE, pathlen:1
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""

_OPENSSL_CA_CONFIG = """\
[ca]
default_ca = demo

[demo]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
crlnumber = {dir}/crlnumber
certificate = {dir}/ca.pem
private_key = {dir}/ca-key.pem
default_md = sha256
default_crl_days = 7
policy = anything

[anything]
commonName = supplied

[crl_ext]
authorityKeyIdentifier = keyid
"""


class OpensslMaterial:
    """Paths of files made by the ``openssl`` command line tool (see the ``openssl_material`` fixture)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.password = OPENSSL_PASSWORD

    def __getattr__(self, name: str) -> Path:
        # Every file the fixture makes is an attribute: material.leaf_pem -> <dir>/leaf.pem
        stem, _, ext = name.rpartition("_")
        path = self.dir / f"{stem.replace('_', '-')}.{ext}"
        if not path.exists():
            raise AttributeError(name)
        return path


def run_openssl(*args: str | os.PathLike[str], cwd: Path | None = None, stdin: bytes | None = None) -> bytes:
    """Run ``openssl`` with ``args``; fail the test with its stderr when it exits non-zero."""
    proc = subprocess.run(
        ["openssl", *map(str, args)], cwd=cwd, input=stdin, capture_output=True, check=False
    )
    if proc.returncode != 0:
        pytest.fail(f"openssl {' '.join(map(str, args))} failed:\n{proc.stderr.decode(errors='replace')}")
    return proc.stdout


@pytest.fixture(scope="session")
def openssl_material(tmp_path_factory: pytest.TempPathFactory, openssl_bin: str) -> OpensslMaterial:
    """Certificates, keys, a CSR, a CRL, PKCS#7 and PKCS#12 files, all made with the openssl CLI.

    Files (attribute -> file): ``ca_pem`` CA certificate, ``leaf_pem``/``leaf_der`` the RSA leaf with
    every extension in OPENSSL_LEAF_EXTENSIONS, ``ec_pem`` an EC P-256 self-signed certificate,
    ``selfsigned_pem`` the same extensions on an ``openssl req -x509`` certificate, ``bundle_pem``
    leaf + CA, ``chain_p7b`` (PEM) and ``chain_p7c`` (DER) from ``crl2pkcs7 -nocrl``,
    ``leaf_csr``, ``crl_pem``/``crl_der`` (one revoked entry, reason keyCompromise), ``leaf_p12``
    (password = password, friendly name "openssl leaf"), and keys: ``rsa_pkcs1_pem``, ``rsa_pkcs1_der``,
    ``rsa_pkcs1_enc_pem``, ``rsa_pkcs8_pem``, ``rsa_pkcs8_der``, ``rsa_pkcs8_enc_pem``,
    ``rsa_pkcs8_enc_der``, ``ec_sec1_pem``, ``ec_sec1_der``, ``ec_sec1_enc_pem``, ``ec_pkcs8_pem``,
    ``ec_pkcs8_enc_pem``.
    """
    d = tmp_path_factory.mktemp("openssl")

    def openssl(command: str) -> None:
        run_openssl(*shlex.split(command), cwd=d)

    pw = f"pass:{OPENSSL_PASSWORD}"
    (d / "ext.cnf").write_text(OPENSSL_LEAF_EXTENSIONS)
    (d / "req.cnf").write_text(
        "[req]\ndistinguished_name = dn\nprompt = no\n\n[dn]\nC = US\nO = Demo Participant\n"
        "CN = api-client.example.com\n\n" + OPENSSL_LEAF_EXTENSIONS
    )
    # CA: RSA-2048, self-signed.
    openssl("genrsa -out ca-key.pem 2048")
    openssl(
        "req -x509 -new -key ca-key.pem -subj '/C=US/O=OpenSSL Test/CN=OpenSSL Test CA' -days 3650 -sha256 "
        "-set_serial 0x1001 -config req.cnf -extensions ca_ext -out ca.pem"
    )
    # RSA leaf signed by the CA, with the full extension set.
    openssl("genrsa -out leaf-key.pem 2048")
    openssl(
        "req -new -key leaf-key.pem -out leaf.csr "
        "-subj '/C=US/O=Demo Participant/OU=RIG/OU=Metering/CN=rig-0001.example.com'"
    )
    openssl(
        "x509 -req -in leaf.csr -CA ca.pem -CAkey ca-key.pem -set_serial 0x00A1B2C3D4E5F60718 -days 397 "
        "-sha256 -extfile ext.cnf -extensions leaf -out leaf.pem"
    )
    openssl("x509 -in leaf.pem -outform DER -out leaf.der")
    # The same extensions on a self-signed `openssl req -x509` certificate (the inspect comparison).
    openssl(
        "req -x509 -new -key leaf-key.pem -config req.cnf -extensions leaf -set_serial 0x7EADBEEF0123456789 "
        "-days 90 -sha256 -out selfsigned.pem"
    )
    # EC self-signed certificate.
    openssl("ecparam -name prime256v1 -genkey -noout -out ec-sec1.pem")
    openssl(
        "req -x509 -new -key ec-sec1.pem -subj '/C=US/O=OpenSSL Test/CN=ec.example.com' -days 30 -sha384 "
        "-addext subjectAltName=DNS:ec.example.com -addext keyUsage=critical,digitalSignature -out ec.pem"
    )
    (d / "bundle.pem").write_bytes((d / "leaf.pem").read_bytes() + (d / "ca.pem").read_bytes())
    openssl("crl2pkcs7 -nocrl -certfile bundle.pem -out chain.p7b")
    openssl("crl2pkcs7 -nocrl -certfile bundle.pem -outform DER -out chain.p7c")
    # Keys in every container.
    openssl("rsa -in leaf-key.pem -traditional -out rsa-pkcs1.pem")
    openssl("rsa -in leaf-key.pem -traditional -outform DER -out rsa-pkcs1.der")
    openssl(f"rsa -in leaf-key.pem -traditional -aes256 -passout {pw} -out rsa-pkcs1-enc.pem")
    openssl("pkcs8 -topk8 -nocrypt -in leaf-key.pem -out rsa-pkcs8.pem")
    openssl("pkcs8 -topk8 -nocrypt -in leaf-key.pem -outform DER -out rsa-pkcs8.der")
    openssl(f"pkcs8 -topk8 -v2 aes-256-cbc -in leaf-key.pem -passout {pw} -out rsa-pkcs8-enc.pem")
    openssl(
        f"pkcs8 -topk8 -v2 aes-256-cbc -in leaf-key.pem -passout {pw} -outform DER -out rsa-pkcs8-enc.der"
    )
    openssl("ec -in ec-sec1.pem -outform DER -out ec-sec1.der")
    openssl(f"ec -in ec-sec1.pem -aes256 -passout {pw} -out ec-sec1-enc.pem")
    openssl("pkcs8 -topk8 -nocrypt -in ec-sec1.pem -out ec-pkcs8.pem")
    openssl(f"pkcs8 -topk8 -v2 aes-256-cbc -in ec-sec1.pem -passout {pw} -out ec-pkcs8-enc.pem")
    # PKCS#12 with key, leaf and the CA as an extra certificate.
    openssl(
        "pkcs12 -export -inkey leaf-key.pem -in leaf.pem -certfile ca.pem -name 'openssl leaf' "
        f"-passout {pw} -out leaf.p12"
    )
    # A CRL from `openssl ca` with one revoked certificate.
    (d / "index.txt").write_text("")
    (d / "serial").write_text("2000\n")
    (d / "crlnumber").write_text("0100\n")
    (d / "ca.cnf").write_text(_OPENSSL_CA_CONFIG.format(dir=d))
    openssl("ca -config ca.cnf -revoke leaf.pem -crl_reason keyCompromise")
    openssl("ca -config ca.cnf -gencrl -crlexts crl_ext -out crl.pem")
    openssl("crl -in crl.pem -outform DER -out crl.der")
    return OpensslMaterial(d)


@pytest.fixture(scope="session")
def console_script() -> str:
    """The installed ``caiso-pki`` console script of the running interpreter's environment.

    Tests run it by path: CI calls ``.venv/bin/python -m pytest`` without activating the venv, so the
    script is not on ``PATH``.
    """
    import sys

    script = Path(sys.executable).with_name("caiso-pki")
    if not script.is_file():
        pytest.fail(f"console script {script} is missing; install the package with pip install -e '.[test]'")
    return str(script)
