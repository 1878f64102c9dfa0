"""Revocation against a real HTTP server on 127.0.0.1, in every mode: no answer but proof reads "good".

docs/security.md promises, for every certificate below the anchor:

* ``good`` only from a verified, current CRL or OCSP answer;
* a revoked answer fails the chain in every mode but ``off``;
* an unusable answer (forged, stale, without a CRL number, an OCSP error status, unreachable) leaves the
  certificate ``unknown`` with a warning naming the defect; ``soft-fail`` accepts that, ``hard-fail``
  and ``require`` fail with ``revocation-unavailable``;
* ``off`` checks nothing: every status is ``not-checked``.

Each case is a leaf whose only revocation pointer (a CRL distribution point, or an OCSP responder)
leads to the server, which answers with the case's data; the issuing CA's own CRL from the root is
served honestly.  The same table runs with the CRLs given offline instead of fetched.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp

from caiso_pki import testing
from caiso_pki._revocation_server import RevocationServer
from caiso_pki.errors import MalformedInputError
from caiso_pki.validation import ValidationResult, validate_chain

AIA = "authorityInfoAccess"
CRL_DP = "cRLDistributionPoints"
MODES = ("off", "soft-fail", "hard-fail", "require")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[RevocationServer, testing.DemoPki]]:
    with RevocationServer() as server:
        pki = testing.DemoPki.create(base_url=server.base_url)
        server.serve(pki)
        yield server, pki


def _forged_crl(ca: testing.CertificateAuthority) -> bytes:
    """A CRL with the CA's name, listing nothing, signed by another key."""
    other = ec.generate_private_key(ec.SECP256R1())
    now = ca.pki.now - dt.timedelta(minutes=5)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.x509.subject)
        .last_update(now)
        .next_update(now + dt.timedelta(days=7))
        .add_extension(x509.CRLNumber(99), critical=False)
    )
    return builder.sign(other, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _numberless_crl(ca: testing.CertificateAuthority) -> bytes:
    """A correctly signed CRL of the CA without the (mandatory) CRL number."""
    now = ca.pki.now - dt.timedelta(minutes=5)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.x509.subject)
        .last_update(now)
        .next_update(now + dt.timedelta(days=7))
    )
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _stale_crl(ca: testing.CertificateAuthority) -> bytes:
    return ca.crl(at=ca.pki.now - dt.timedelta(days=10), next_update=dt.timedelta(days=1))


def _ocsp_for(ca: testing.CertificateAuthority, leaf: testing.IssuedCertificate, **kwargs: Any) -> bytes:
    return ca.ocsp_response(cert=leaf.certificate, **kwargs)


def _forged_ocsp(ca: testing.CertificateAuthority, leaf: testing.IssuedCertificate) -> bytes:
    """A good answer for the leaf whose signature does not verify (its last byte flipped)."""
    good = bytearray(_ocsp_for(ca, leaf))
    good[-1] ^= 0x01
    return bytes(good)


def _unauthorized(_ca: testing.CertificateAuthority, _leaf: testing.IssuedCertificate) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(
        serialization.Encoding.DER
    )


def _stale_ocsp(ca: testing.CertificateAuthority, leaf: testing.IssuedCertificate) -> bytes:
    return _ocsp_for(ca, leaf, at=ca.pki.now - dt.timedelta(days=10), next_update=dt.timedelta(days=1))


Answer = Callable[[testing.CertificateAuthority, testing.IssuedCertificate], bytes]

#: case -> (source, what the server answers for the leaf (None: the honest answer), the defect's words)
CASES: dict[str, tuple[str, Answer | None, str]] = {
    "crl-revoked": ("crl", None, "revoked"),
    "crl-forged": ("crl", lambda ca, _leaf: _forged_crl(ca), "signature"),
    "crl-stale": ("crl", lambda ca, _leaf: _stale_crl(ca), ""),
    "crl-no-number": ("crl", lambda ca, _leaf: _numberless_crl(ca), "CRL number"),
    "crl-unreachable": ("crl", None, "refused"),
    "ocsp-revoked": ("ocsp", None, "revoked"),
    "ocsp-forged": ("ocsp", _forged_ocsp, ""),
    "ocsp-stale": ("ocsp", _stale_ocsp, ""),
    "ocsp-unauthorized": ("ocsp", _unauthorized, "unauthorized"),
    "ocsp-unreachable": ("ocsp", None, "refused"),
}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _setup(
    case: str, served: tuple[RevocationServer, testing.DemoPki]
) -> tuple[testing.IssuedCertificate, testing.DemoPki]:
    server, pki = served
    source, answer, _ = CASES[case]
    if case.endswith("unreachable"):
        pki = testing.DemoPki.create(base_url=f"http://127.0.0.1:{_closed_port()}")
    ca = pki.issuing_ca
    omit = [AIA] if source == "crl" else [CRL_DP]
    leaf = ca.issue("rig", f"{case}.example.com", omit_extensions=omit)
    if case.endswith("revoked"):
        ca.revoke(leaf)
    # each case gets its own answer at the CA's URL (the other cases' leaves are not asked about)
    server.overrides.clear()
    if answer is not None:
        path = "/crl/caiso-issuing.crl" if source == "crl" else "/ocsp/caiso-issuing"
        content = "application/pkix-crl" if source == "crl" else "application/ocsp-response"
        server.override(path, answer(ca, leaf), content_type=content)
    return leaf, pki


def _validate(leaf: testing.IssuedCertificate, pki: testing.DemoPki, mode: str) -> ValidationResult:
    return validate_chain(
        leaf.certificate,
        leaf.chain,
        trust=[pki.root.certificate],
        revocation=mode,  # type: ignore[arg-type]
        fetch=mode != "off",  # "off" with fetch=True is refused as contradictory (test_off_refuses_data)
        timeout=5,
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_fetched_answers(served: tuple[RevocationServer, testing.DemoPki], case: str, mode: str) -> None:
    leaf, pki = _setup(case, served)
    try:
        result = _validate(leaf, pki, mode)
    finally:
        served[0].overrides.clear()
    statuses = [status.status for status in result.revocation]
    assert "good" not in statuses[2:], result.revocation  # the leaf is never "good" here
    words = CASES[case][2]
    leaf_failures = [f for f in result.failures if f.index == 2]
    if mode == "off":
        assert result.valid, result.failures
        assert set(statuses) == {"not-checked"}
        return
    if case.endswith("revoked"):
        assert not result.valid
        assert [f.code for f in leaf_failures] == ["revoked"]
        assert statuses[2] == "revoked"
        return
    assert statuses[2] == "unknown", result.revocation
    leaf_warnings = [w for w in result.warnings if leaf.certificate.subject.rfc4514 in w]
    assert leaf_warnings, result.warnings
    assert all("unusable" in w for w in leaf_warnings), leaf_warnings
    if words:
        assert any(words in w for w in leaf_warnings), leaf_warnings
    if mode == "soft-fail":
        assert result.valid, result.failures
    else:
        assert not result.valid
        assert [f.code for f in leaf_failures] == ["revocation-unavailable"], result.failures
        if words:
            assert words in leaf_failures[0].message


def test_an_honest_answer_is_good_in_every_checking_mode(
    served: tuple[RevocationServer, testing.DemoPki],
) -> None:
    _server, pki = served
    for omit in ([AIA], [CRL_DP]):
        leaf = pki.issuing_ca.issue("rig", "honest.example.com", omit_extensions=omit)
        for mode in MODES[1:]:
            result = _validate(leaf, pki, mode)
            assert result.valid, result.failures
            assert [s.status for s in result.revocation] == ["not-checked", "good", "good"]
            assert result.revocation[2].source == ("crl" if omit == [AIA] else "ocsp")


# -- the same CRL defects given offline --------------------------------------------------------------

OFFLINE: dict[str, Callable[[testing.CertificateAuthority], bytes] | None] = {
    "revoked": None,
    "forged": _forged_crl,
    "stale": _stale_crl,
    "no-number": _numberless_crl,
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(OFFLINE))
def test_offline_crls_without_distribution_points(case: str, mode: str) -> None:
    # The leaf names no CRL distribution point and no OCSP responder: the CRLs handed in are still
    # consulted for it, by issuer.
    pki = testing.DemoPki.create()
    ca = pki.issuing_ca
    leaf = ca.issue("rig", omit_extensions=[CRL_DP, AIA])
    make = OFFLINE[case]
    if make is None:
        ca.revoke(leaf)
        leaf_crl = ca.crl()
    else:
        leaf_crl = make(ca)
    result = validate_chain(
        leaf.certificate,
        leaf.chain,
        trust=[pki.root.certificate],
        revocation=mode,  # type: ignore[arg-type]
        crls=[pki.root.crl(), leaf_crl] if mode != "off" else (),
    )
    statuses = [status.status for status in result.revocation]
    if mode == "off":
        assert result.valid and set(statuses) == {"not-checked"}
        return
    assert statuses[1] == "good"
    assert statuses[2] != "good"
    if case == "revoked":
        assert result.codes == ("revoked",)
        assert result.failures[0].index == 2
        return
    assert statuses[2] == "unknown"
    assert any("unusable" in w for w in result.warnings), result.warnings
    if mode == "soft-fail":
        assert result.valid, result.failures
    elif mode == "hard-fail":
        assert result.codes == ("revocation-unavailable",), result.failures
    else:
        assert result.codes == ("revocation-unavailable",), result.failures


def test_a_good_ocsp_answer_does_not_hide_a_crl_that_says_revoked() -> None:
    pki = testing.DemoPki.create()
    ca = pki.issuing_ca
    leaf = ca.issue("rig")
    good_answer = ca.ocsp_response(cert=leaf.certificate)
    ca.revoke(leaf)
    result = validate_chain(
        leaf.certificate,
        leaf.chain,
        trust=[pki.root.certificate],
        revocation="soft-fail",
        crls=[pki.root.crl(), ca.crl()],
        ocsp_responses=[good_answer],
    )
    assert result.codes == ("revoked",)
    assert result.revocation[2].status == "revoked"


@pytest.mark.parametrize("data", [{"crls": None}, {"fetch": True}, {"ocsp_responses": None}])
def test_off_refuses_revocation_data(data: dict[str, object]) -> None:
    """revocation='off' with CRLs, OCSP responses or fetching cannot be meant: refused, naming both."""
    pki = testing.DemoPki.create()
    leaf = pki.issuing_ca.issue("rig")
    given = {
        "crls": [pki.issuing_ca.crl()],
        "ocsp_responses": [pki.issuing_ca.ocsp_response(cert=leaf.certificate)],
    }
    options = {key: given[key] if value is None else value for key, value in data.items()}
    with pytest.raises(MalformedInputError, match=r"revocation='off' with (crls|fetch=True|ocsp_responses)"):
        validate_chain(
            leaf.certificate, leaf.chain, trust=[pki.root.certificate], revocation="off", **options
        )
