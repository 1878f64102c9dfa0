"""Revocation evidence that means what it says (issue 21): stale CRLs, holds, section 5 defects, OCSP.

Each case mints the CRL or OCSP response it needs (cryptography's builders, signed by the demo CA) and
validates a leaf offline in every checking mode, and over HTTP on 127.0.0.1 for the fetched forms:

* an authentic CRL that lists the leaf proves ``revoked``, fresh or stale, in every mode;
* a stale CRL that does not list it proves nothing; a stale ``certificateHold`` proves nothing;
* a CRL whose cRLNumber is critical, or that has an unknown critical extension, is never proof of
  "good": the status is ``unknown``, with the reason in a warning;
* OCSP the same: a stale "revoked" answer proves it; a stale "good" and a response with an unknown
  critical extension prove nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ObjectIdentifier

from caiso_pki import ValidationResult, testing, validate_chain
from caiso_pki._revocation_server import RevocationServer

MODES = ("soft-fail", "hard-fail", "require")
UNKNOWN = ObjectIdentifier("1.3.6.1.4.1.99999.42")
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def pki() -> testing.DemoPki:
    return testing.DemoPki.create()


@pytest.fixture(scope="module")
def leaves(pki: testing.DemoPki) -> dict[str, testing.IssuedCertificate]:
    ca = pki.issuing_ca
    return {
        "good": ca.issue("rig", "good.example.com", reuse_key=True, omit_extensions=["authorityInfoAccess"]),
        "revoked": ca.issue(
            "rig", "revoked.example.com", reuse_key=True, omit_extensions=["authorityInfoAccess"]
        ),
        "held": ca.issue("rig", "held.example.com", reuse_key=True, omit_extensions=["authorityInfoAccess"]),
    }


def _crl(
    pki: testing.DemoPki,
    entries: dict[int, str],
    *,
    this_update: dt.datetime,
    next_update: dt.datetime,
    number_critical: bool = False,
    unknown_critical: bool = False,
) -> bytes:
    ca = pki.issuing_ca
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.x509.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(7), critical=number_critical)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
    )
    if unknown_critical:
        builder = builder.add_extension(x509.UnrecognizedExtension(UNKNOWN, b"\x05\x00"), critical=True)
    for serial, reason in entries.items():
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(this_update - DAY)
            .add_extension(x509.CRLReason(x509.ReasonFlags[reason]), critical=False)
            .build()
        )
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _ocsp(
    pki: testing.DemoPki,
    leaf: testing.IssuedCertificate,
    *,
    revoked: bool,
    this_update: dt.datetime,
    next_update: dt.datetime,
    unknown_critical: bool = False,
) -> bytes:
    ca = pki.issuing_ca
    builder = ocsp.OCSPResponseBuilder().add_response(
        cert=leaf.certificate.x509,
        issuer=ca.certificate.x509,
        algorithm=hashes.SHA1(),
        cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
        this_update=this_update,
        next_update=next_update,
        revocation_time=this_update - DAY if revoked else None,
        revocation_reason=x509.ReasonFlags.key_compromise if revoked else None,
    )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, ca.certificate.x509)
    if unknown_critical:
        builder = builder.add_extension(x509.UnrecognizedExtension(UNKNOWN, b"\x05\x00"), critical=True)
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _validate(
    pki: testing.DemoPki, leaf: testing.IssuedCertificate, mode: str, **options: Any
) -> ValidationResult:
    root_crl = pki.root.crl()
    crls = [root_crl, *options.pop("crls", [])]
    return validate_chain(
        leaf.certificate,
        leaf.chain,
        trust=pki.trust_anchors,
        at=pki.now,
        revocation=mode,
        crls=crls,
        **options,
    )


def _leaf_status(result: ValidationResult) -> str:
    return result.revocation[-1].status


# -- stale CRLs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_stale_crl_that_lists_the_leaf_proves_revoked(pki: testing.DemoPki, leaves: Any, mode: str) -> None:
    leaf = leaves["revoked"]
    crl = _crl(
        pki,
        {leaf.certificate.serial_number: "key_compromise"},
        this_update=pki.now - 10 * DAY,
        next_update=pki.now - 3 * DAY,
    )
    result = _validate(pki, leaf, mode, crls=[crl])
    assert result.codes == ("revoked",)
    assert result.failures[0].index == 2
    assert _leaf_status(result) == "revoked"
    assert "past its nextUpdate" in result.failures[0].message
    assert "keyCompromise" in result.failures[0].message


@pytest.mark.parametrize("mode", MODES)
def test_a_stale_crl_that_does_not_list_the_leaf_proves_nothing(
    pki: testing.DemoPki, leaves: Any, mode: str
) -> None:
    crl = _crl(pki, {}, this_update=pki.now - 10 * DAY, next_update=pki.now - 3 * DAY)
    result = _validate(pki, leaves["good"], mode, crls=[crl])
    assert _leaf_status(result) == "unknown"
    if mode == "soft-fail":
        assert result.valid
    else:
        assert result.codes == ("revocation-unavailable",)


@pytest.mark.parametrize("mode", MODES)
def test_a_stale_hold_proves_nothing(pki: testing.DemoPki, leaves: Any, mode: str) -> None:
    leaf = leaves["held"]
    crl = _crl(
        pki,
        {leaf.certificate.serial_number: "certificate_hold"},
        this_update=pki.now - 10 * DAY,
        next_update=pki.now - 3 * DAY,
    )
    result = _validate(pki, leaf, mode, crls=[crl])
    assert "revoked" not in result.codes
    assert _leaf_status(result) == "unknown"
    assert any("certificateHold" in warning for warning in result.warnings), result.warnings
    assert result.valid is (mode == "soft-fail")


def test_a_current_hold_is_revoked(pki: testing.DemoPki, leaves: Any) -> None:
    leaf = leaves["held"]
    crl = _crl(
        pki,
        {leaf.certificate.serial_number: "certificate_hold"},
        this_update=pki.now - DAY,
        next_update=pki.now + 6 * DAY,
    )
    result = _validate(pki, leaf, "soft-fail", crls=[crl])
    assert result.codes == ("revoked",)
    assert result.revocation[-1].reason == "certificateHold"


def test_remove_from_crl_in_a_full_crl_proves_nothing(pki: testing.DemoPki, leaves: Any) -> None:
    leaf = leaves["held"]
    crl = _crl(
        pki,
        {leaf.certificate.serial_number: "remove_from_crl"},
        this_update=pki.now - 10 * DAY,
        next_update=pki.now - 3 * DAY,
    )
    result = _validate(pki, leaf, "hard-fail", crls=[crl])
    assert result.codes == ("revocation-unavailable",)
    assert any("removeFromCRL" in warning for warning in result.warnings), result.warnings


def test_a_forged_stale_crl_proves_nothing(pki: testing.DemoPki, leaves: Any) -> None:
    """A stale CRL signed by another key is no evidence at all, even when it lists the leaf."""
    other = testing.DemoPki.create()
    leaf = leaves["revoked"]
    forged = _crl(
        other,
        {leaf.certificate.serial_number: "key_compromise"},
        this_update=pki.now - 10 * DAY,
        next_update=pki.now - 3 * DAY,
    )
    result = _validate(pki, leaf, "soft-fail", crls=[forged])
    assert "revoked" not in result.codes
    assert _leaf_status(result) == "unknown"


# -- section 5 defects --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("defect", ["number_critical", "unknown_critical"])
def test_a_defective_crl_is_never_proof_of_good(
    pki: testing.DemoPki, leaves: Any, mode: str, defect: str
) -> None:
    crl = _crl(pki, {}, this_update=pki.now - DAY, next_update=pki.now + 6 * DAY, **{defect: True})
    result = _validate(pki, leaves["good"], mode, crls=[crl])
    assert _leaf_status(result) == "unknown"
    reason = "critical" if defect == "number_critical" else "1.3.6.1.4.1.99999.42"
    assert any(reason in warning for warning in result.warnings), result.warnings
    assert result.valid is (mode == "soft-fail")
    if mode != "soft-fail":
        assert result.codes == ("revocation-unavailable",)
        assert reason in result.failures[0].message


def test_a_defective_crl_that_lists_the_leaf_still_proves_revoked(pki: testing.DemoPki, leaves: Any) -> None:
    """A critical cRLNumber cannot prove "good", but the CA's listing is still the CA's word."""
    leaf = leaves["revoked"]
    crl = _crl(
        pki,
        {leaf.certificate.serial_number: "key_compromise"},
        this_update=pki.now - DAY,
        next_update=pki.now + 6 * DAY,
        number_critical=True,
    )
    assert _validate(pki, leaf, "soft-fail", crls=[crl]).codes == ("revoked",)


def test_an_unknown_critical_extension_makes_even_a_listing_unusable(
    pki: testing.DemoPki, leaves: Any
) -> None:
    """RFC 5280 5.2: such a CRL MUST NOT be used to determine any status."""
    leaf = leaves["revoked"]
    crl = _crl(
        pki,
        {leaf.certificate.serial_number: "key_compromise"},
        this_update=pki.now - DAY,
        next_update=pki.now + 6 * DAY,
        unknown_critical=True,
    )
    result = _validate(pki, leaf, "hard-fail", crls=[crl])
    assert result.codes == ("revocation-unavailable",)
    assert _leaf_status(result) == "unknown"


# -- OCSP --------------------------------------------------------------------------------------------


def _with_ocsp(pki: testing.DemoPki, leaf: Any, mode: str, response: bytes) -> ValidationResult:
    return validate_chain(
        leaf.certificate,
        leaf.chain,
        trust=pki.trust_anchors,
        at=pki.now,
        revocation=mode,
        crls=[pki.root.crl()],
        ocsp_responses=[response],
    )


@pytest.mark.parametrize("mode", MODES)
def test_a_stale_ocsp_revoked_answer_proves_revoked(pki: testing.DemoPki, leaves: Any, mode: str) -> None:
    leaf = leaves["revoked"]
    response = _ocsp(pki, leaf, revoked=True, this_update=pki.now - 10 * DAY, next_update=pki.now - 3 * DAY)
    result = _with_ocsp(pki, leaf, mode, response)
    assert result.codes == ("revoked",)
    assert result.revocation[-1].source == "ocsp"


@pytest.mark.parametrize("mode", MODES)
def test_a_stale_ocsp_good_answer_proves_nothing(pki: testing.DemoPki, leaves: Any, mode: str) -> None:
    leaf = leaves["good"]
    response = _ocsp(pki, leaf, revoked=False, this_update=pki.now - 10 * DAY, next_update=pki.now - 3 * DAY)
    result = _with_ocsp(pki, leaf, mode, response)
    assert _leaf_status(result) == "unknown"
    assert result.valid is (mode == "soft-fail")


@pytest.mark.parametrize("mode", MODES)
def test_an_ocsp_response_with_an_unknown_critical_extension_proves_nothing(
    pki: testing.DemoPki, leaves: Any, mode: str
) -> None:
    leaf = leaves["good"]
    response = _ocsp(
        pki, leaf, revoked=False, this_update=pki.now - DAY, next_update=pki.now + DAY, unknown_critical=True
    )
    result = _with_ocsp(pki, leaf, mode, response)
    assert _leaf_status(result) == "unknown"
    assert any("1.3.6.1.4.1.99999.42" in warning for warning in result.warnings), result.warnings
    assert result.valid is (mode == "soft-fail")


# -- fetched over HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[tuple[RevocationServer, testing.DemoPki]]:
    with RevocationServer() as server:
        pki = testing.DemoPki.create(base_url=server.base_url)
        server.serve(pki)
        yield server, pki


@pytest.mark.parametrize("mode", MODES)
def test_a_fetched_stale_crl_that_lists_the_leaf_proves_revoked(
    served: tuple[RevocationServer, testing.DemoPki], mode: str
) -> None:
    server, pki = served
    leaf = pki.issuing_ca.issue("rig", omit_extensions=["authorityInfoAccess"])
    stale = _crl(
        pki,
        {leaf.certificate.serial_number: "key_compromise"},
        this_update=pki.now - 10 * DAY,
        next_update=pki.now - 3 * DAY,
    )
    server.override("/crl/caiso-issuing.crl", stale, content_type="application/pkix-crl")
    result = validate_chain(
        leaf.certificate,
        leaf.chain,
        trust=pki.trust_anchors,
        at=pki.now,
        revocation=mode,
        fetch=True,
        timeout=5,
    )
    assert result.codes == ("revoked",), result.failures


@pytest.mark.parametrize("mode", MODES)
def test_a_fetched_crl_with_a_critical_number_is_no_proof(
    served: tuple[RevocationServer, testing.DemoPki], mode: str
) -> None:
    server, pki = served
    leaf = pki.issuing_ca.issue("rig", omit_extensions=["authorityInfoAccess"])
    crl = _crl(pki, {}, this_update=pki.now - DAY, next_update=pki.now + 6 * DAY, number_critical=True)
    server.override("/crl/caiso-issuing.crl", crl, content_type="application/pkix-crl")
    result = validate_chain(
        leaf.certificate,
        leaf.chain,
        trust=pki.trust_anchors,
        at=pki.now,
        revocation=mode,
        fetch=True,
        timeout=5,
    )
    assert _leaf_status(result) == "unknown"
    assert any("critical" in warning for warning in result.warnings), result.warnings
    assert result.valid is (mode == "soft-fail")
