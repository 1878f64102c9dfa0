"""docs/security.md's revocation contract, sentence by sentence, against real CRLs, OCSP and HTTP.

Each numbered sentence between the ``revocation-contract`` markers has one test here, found by its
number in :data:`SENTENCES`; a sentence without a test (or a test for a sentence that is gone) fails
:func:`test_every_sentence_has_a_test`.  Data is minted with the test PKI and served by a real HTTP
server on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp

from caiso_pki import testing
from caiso_pki._revocation_server import RevocationServer
from caiso_pki.errors import MalformedInputError
from caiso_pki.validation import ValidationResult, Validator

DOC = Path(__file__).resolve().parent.parent / "docs" / "security.md"
AIA = "authorityInfoAccess"
CRL_DP = "cRLDistributionPoints"
MODES = ("soft-fail", "hard-fail", "require")


def _contract() -> dict[int, str]:
    text = DOC.read_text("utf-8")
    body = text.split("<!-- revocation-contract -->", 1)[1].split("<!-- /revocation-contract -->", 1)[0]
    return {int(m[1]): m[2].strip() for m in re.finditer(r"^(\d+)\. (.+)$", body, re.M)}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[RevocationServer, testing.DemoPki]]:
    with RevocationServer() as server:
        pki = testing.DemoPki.create(base_url=server.base_url)
        server.serve(pki)
        yield server, pki


def _check(
    pki: testing.DemoPki, leaf: testing.IssuedCertificate, mode: str, **options: Any
) -> ValidationResult:
    validator = Validator(trust=[pki.root.certificate], revocation=mode, **options)  # type: ignore[arg-type]
    return validator.validate(leaf.certificate, leaf.chain)


def _crl(
    ca: testing.CertificateAuthority, *, key: Any = None, number: bool = True, extra: Any = None
) -> bytes:
    now = ca.pki.now - dt.timedelta(minutes=5)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.x509.subject)
        .last_update(now)
        .next_update(now + dt.timedelta(days=7))
    )
    if number:
        builder = builder.add_extension(x509.CRLNumber(7), critical=False)
    if extra is not None:
        builder = builder.add_extension(extra, critical=True)
    return builder.sign(key or ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _no_crl_sign_ca(pki: testing.DemoPki) -> testing.CertificateAuthority:
    usage = x509.KeyUsage(True, False, False, False, False, True, False, False, False)
    return pki.root.issue_intermediate("No CRL Sign CA", key_usage=usage)


# -- one test per sentence ---------------------------------------------------------------------------


def sentence_1(served: tuple[RevocationServer, testing.DemoPki]) -> None:
    _, pki = served
    leaf = pki.issuing_ca.issue("rig")
    result = _check(pki, leaf, "require", crls=[pki.root.crl(), pki.issuing_ca.crl()])
    assert result.valid, result.failures
    assert [s.status for s in result.revocation] == ["not-checked", "good", "good"]


def sentence_2(served: tuple[RevocationServer, testing.DemoPki]) -> None:
    pki = testing.DemoPki.create()
    leaf = pki.issuing_ca.issue("rig", omit_extensions=[CRL_DP, AIA])
    pki.issuing_ca.revoke(leaf)
    for mode in MODES:
        result = _check(pki, leaf, mode, crls=[pki.root.crl(), pki.issuing_ca.crl()])
        assert result.codes == ("revoked",), (mode, result.failures)
    # and an OCSP answer handed in is consulted for a leaf that names no responder
    quiet = pki.issuing_ca.issue("rig", omit_extensions=[CRL_DP, AIA])
    answer = pki.issuing_ca.ocsp_response(cert=quiet.certificate)
    result = _check(pki, quiet, "require", crls=[pki.root.crl()], ocsp_responses=[answer])
    assert result.valid, result.failures
    assert result.revocation[2].source == "ocsp"


def sentence_3(served: tuple[RevocationServer, testing.DemoPki]) -> None:
    server, pki = served
    leaf = pki.issuing_ca.issue("rig", "fetched.example.com", omit_extensions=[AIA])
    before = len(server.requests)
    result = _check(pki, leaf, "require", fetch=True, timeout=5)
    assert result.valid, result.failures
    assert result.revocation[2].url == pki.issuing_ca.crl_url
    assert "/crl/caiso-issuing.crl" in server.requests[before:]


def sentence_4(served: tuple[RevocationServer, testing.DemoPki]) -> None:
    pki = testing.DemoPki.create()
    leaf = pki.issuing_ca.issue("rig")
    forged = _crl(pki.issuing_ca, key=ec.generate_private_key(ec.SECP256R1()))
    stale = pki.issuing_ca.crl(at=pki.now - dt.timedelta(days=10), next_update=dt.timedelta(days=1))
    for crl in (forged, stale):
        result = _check(pki, leaf, "soft-fail", crls=[pki.root.crl(), crl])
        assert result.revocation[2].status == "unknown", result.revocation
    result = _check(pki, leaf, "soft-fail", crls=[pki.root.crl(), pki.issuing_ca.crl()])
    assert result.revocation[2].status == "good"


UNUSABLE: dict[
    str, tuple[Callable[[testing.DemoPki], tuple[testing.IssuedCertificate, dict[str, Any]]], str]
] = {}


def _case(name: str, words: str) -> Callable[[Any], Any]:
    def register(make: Any) -> Any:
        UNUSABLE[name] = (make, words)
        return make

    return register


@_case("bad signature", "signature")
def _bad_signature(pki: testing.DemoPki) -> tuple[testing.IssuedCertificate, dict[str, Any]]:
    crl = _crl(pki.issuing_ca, key=ec.generate_private_key(ec.SECP256R1()))
    return pki.issuing_ca.issue("rig", omit_extensions=[AIA]), {"crls": [pki.root.crl(), crl]}


@_case("stale", "")
def _stale(pki: testing.DemoPki) -> tuple[testing.IssuedCertificate, dict[str, Any]]:
    crl = pki.issuing_ca.crl(at=pki.now - dt.timedelta(days=10), next_update=dt.timedelta(days=1))
    return pki.issuing_ca.issue("rig", omit_extensions=[AIA]), {"crls": [pki.root.crl(), crl]}


@_case("no CRL number", "CRL number")
def _numberless(pki: testing.DemoPki) -> tuple[testing.IssuedCertificate, dict[str, Any]]:
    crl = _crl(pki.issuing_ca, number=False)
    return pki.issuing_ca.issue("rig", omit_extensions=[AIA]), {"crls": [pki.root.crl(), crl]}


@_case("unknown critical extension", "")
def _critical(pki: testing.DemoPki) -> tuple[testing.IssuedCertificate, dict[str, Any]]:
    unknown = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00")
    crl = _crl(pki.issuing_ca, extra=unknown)
    return pki.issuing_ca.issue("rig", omit_extensions=[AIA]), {"crls": [pki.root.crl(), crl]}


@_case("issuer without cRLSign", "")
def _no_crl_sign(pki: testing.DemoPki) -> tuple[testing.IssuedCertificate, dict[str, Any]]:
    ca = _no_crl_sign_ca(pki)
    return ca.issue("rig", omit_extensions=[AIA]), {"crls": [pki.root.crl(), ca.crl()]}


@_case("OCSP error status", "unauthorized")
def _unauthorized(pki: testing.DemoPki) -> tuple[testing.IssuedCertificate, dict[str, Any]]:
    answer = ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    der = answer.public_bytes(serialization.Encoding.DER)
    leaf = pki.issuing_ca.issue("rig", omit_extensions=[CRL_DP])
    return leaf, {"crls": [pki.root.crl()], "ocsp_responses": [der]}


@_case("cannot be fetched", "refused")
def _unreachable(pki: testing.DemoPki) -> tuple[testing.IssuedCertificate, dict[str, Any]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    closed = testing.DemoPki.create(base_url=f"http://127.0.0.1:{port}")
    leaf = closed.issuing_ca.issue("rig", omit_extensions=[AIA])
    # the root of the closed PKI is different: validate against it
    return leaf, {
        "trust": [closed.root.certificate],
        "crls": [closed.root.crl()],
        "fetch": True,
        "timeout": 3,
    }


def sentence_5(served: tuple[RevocationServer, testing.DemoPki]) -> None:
    for name, (make, _) in UNUSABLE.items():
        pki = testing.DemoPki.create()
        leaf, options = make(pki)
        trust = options.pop("trust", [pki.root.certificate])
        result = Validator(trust=trust, revocation="hard-fail", **options).validate(
            leaf.certificate, leaf.chain
        )
        leaf_index = len(result.path) - 1
        assert result.revocation[leaf_index].status == "unknown", (name, result.revocation)
        assert [f.code for f in result.failures if f.index == leaf_index] == ["revocation-unavailable"], (
            name,
            result.failures,
        )


def sentence_6(served: tuple[RevocationServer, testing.DemoPki]) -> None:
    for name, (make, words) in UNUSABLE.items():
        pki = testing.DemoPki.create()
        leaf, options = make(pki)
        trust = options.pop("trust", [pki.root.certificate])
        result = Validator(trust=trust, revocation="soft-fail", **options).validate(
            leaf.certificate, leaf.chain
        )
        subject = leaf.certificate.subject.rfc4514
        mine = [w for w in result.warnings if subject in w]
        assert mine and all("unusable" in w for w in mine), (name, result.warnings)
        if words:
            assert any(words in w for w in mine), (name, mine)


def sentence_7(served: tuple[RevocationServer, testing.DemoPki]) -> None:
    pki = testing.DemoPki.create()
    leaf = pki.issuing_ca.issue("rig")
    good_answer = pki.issuing_ca.ocsp_response(cert=leaf.certificate)
    pki.issuing_ca.revoke(leaf)
    for mode in MODES:
        result = _check(
            pki, leaf, mode, crls=[pki.root.crl(), pki.issuing_ca.crl()], ocsp_responses=[good_answer]
        )
        assert result.codes == ("revoked",), (mode, result.failures)
    # past its nextUpdate, a CRL that lists the certificate still proves it, in every mode
    stale = pki.issuing_ca.crl(at=pki.now - dt.timedelta(days=30), next_update=dt.timedelta(days=7))
    for mode in MODES:
        result = _check(pki, leaf, mode, crls=[pki.root.crl(), stale])
        assert result.codes == ("revoked",), (mode, result.failures)
    # a stale hold proves nothing
    held = pki.issuing_ca.issue("rig", "held.example.com", omit_extensions=[CRL_DP, AIA])
    pki.issuing_ca.revoke(held, reason="certificateHold", at=pki.now - dt.timedelta(days=40))
    stale = pki.issuing_ca.crl(at=pki.now - dt.timedelta(days=30), next_update=dt.timedelta(days=7))
    result = _check(pki, held, "soft-fail", crls=[pki.root.crl(), stale])
    assert result.valid and result.revocation[2].status == "unknown", result.failures


def sentence_8(served: tuple[RevocationServer, testing.DemoPki]) -> None:
    pki = testing.DemoPki.create()
    leaf, options = _bad_signature(pki)
    result = _check(pki, leaf, "soft-fail", **options)
    assert result.valid, result.failures
    assert result.revocation[2].status == "unknown"
    assert result.warnings


def sentence_9(served: tuple[RevocationServer, testing.DemoPki]) -> None:
    pki = testing.DemoPki.create()
    unusable, options = _bad_signature(pki)
    assert _check(pki, unusable, "hard-fail", **options).codes == ("revocation-unavailable",)
    names = pki.issuing_ca.issue("rig")  # names a CRL and an OCSP location; no data given for it
    result = _check(pki, names, "hard-fail", crls=[pki.root.crl()])
    assert result.codes == ("revocation-unavailable",), result.failures
    silent = pki.issuing_ca.issue("rig", omit_extensions=[CRL_DP, AIA])
    result = _check(pki, silent, "hard-fail", crls=[pki.root.crl()])
    assert result.valid, result.failures
    assert any("no revocation information" in w for w in result.warnings), result.warnings


def sentence_10(served: tuple[RevocationServer, testing.DemoPki]) -> None:
    pki = testing.DemoPki.create()
    silent = pki.issuing_ca.issue("rig", omit_extensions=[CRL_DP, AIA])
    result = _check(pki, silent, "require", crls=[pki.root.crl()])
    assert result.codes == ("revocation-unavailable",), result.failures
    assert result.failures[0].index == 2


def sentence_11(served: tuple[RevocationServer, testing.DemoPki]) -> None:
    pki = testing.DemoPki.create()
    leaf = pki.issuing_ca.issue("rig")
    pki.issuing_ca.revoke(leaf)
    result = _check(pki, leaf, "off")
    assert result.valid
    assert {s.status for s in result.revocation} == {"not-checked"}
    for contradiction in ({"crls": [pki.issuing_ca.crl()]}, {"fetch": True}):
        with pytest.raises(MalformedInputError, match="revocation='off' with"):
            _check(pki, leaf, "off", **contradiction)
    with pytest.raises(MalformedInputError, match="revocation='require' with neither"):
        _check(pki, leaf, "require")


def sentence_12(served: tuple[RevocationServer, testing.DemoPki]) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # accepts (the kernel does) and never answers
        pki = testing.DemoPki.create(base_url=f"http://127.0.0.1:{listener.getsockname()[1]}")
        leaf = pki.issuing_ca.issue("rig")
        seen: list[str] = []
        result = _check(pki, leaf, "soft-fail", fetch=True, timeout=1, on_fetch=seen.append)
    assert result.valid, result.failures
    assert [s.status for s in result.revocation] == ["not-checked", "unknown", "unknown"]
    for subject in (pki.issuing_ca.certificate.subject.rfc4514, leaf.certificate.subject.rfc4514):
        assert any(subject in w and "1 s deadline" in w for w in result.warnings), result.warnings
    # the CA's and the leaf's fetches were under way together, not one after the other
    assert any("caiso-root" in url for url in seen) and any("caiso-issuing" in url for url in seen), seen


SENTENCES: dict[int, Callable[[tuple[RevocationServer, testing.DemoPki]], None]] = {
    number: globals()[f"sentence_{number}"] for number in range(1, 13)
}


def test_every_sentence_has_a_test() -> None:
    assert set(_contract()) == set(SENTENCES)


@pytest.mark.parametrize("number", sorted(SENTENCES))
def test_sentence(number: int, served: tuple[RevocationServer, testing.DemoPki]) -> None:
    assert number in _contract(), f"sentence {number} is no longer in docs/security.md"
    SENTENCES[number](served)
