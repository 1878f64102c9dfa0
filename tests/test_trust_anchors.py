"""Trust anchors are held to what they assert, not to how their CA issued them (choices.md).

The real-world check: every root of the ``certifi`` bundle (Mozilla's list of TLS roots) is accepted as
the trust anchor of its own one-certificate chain, in both profiles, at a time inside its validity.
Before the rules about issued certificates were lifted from anchors, seven were refused: six with
serial number 0 (Go Daddy and Starfield G2, Starfield Services G2, SECOM RootCA2, the two HARICA 2015
roots) and TWCA Global Root CA, which has no subjectKeyIdentifier.  The minted controls of
``tests/_rule_cases.py`` (``valid/anchor-*``, ``valid/lone-root-serial-zero``) break each such rule
on purpose; this file is the same property on the roots people actually trust.

certifi is a test dependency only: the library never trusts it, or any list, by default.
"""

from __future__ import annotations

import datetime as dt
import warnings

import certifi
import pytest

from caiso_pki import load_certificates, testing
from caiso_pki.certificate import Certificate
from caiso_pki.validation import validate_chain


def _bundle() -> list[Certificate]:
    with warnings.catch_warnings():
        # cryptography warns about the serial-number-0 roots the bundle holds (and this test is about)
        warnings.simplefilter("ignore", DeprecationWarning)
        return load_certificates(certifi.where())


ROOTS = _bundle()


def _inside(cert: Certificate) -> dt.datetime:
    return cert.not_before + (cert.not_after - cert.not_before) / 2


def test_the_bundle_is_a_real_one() -> None:
    assert len(ROOTS) >= 100
    assert all(root.is_self_issued for root in ROOTS)


@pytest.mark.parametrize("profile", ["rfc5280", "webpki"])
def test_every_certifi_root_is_accepted_as_its_own_anchor(profile: str) -> None:
    refused = []
    for root in ROOTS:
        result = validate_chain(root, [], trust=[root], at=_inside(root), revocation="off", profile=profile)
        if not result.valid:
            refused.append((root.subject.rfc4514, [(f.code, f.message) for f in result.failures]))
    assert not refused, refused


@pytest.mark.parametrize("profile", ["rfc5280", "webpki"])
def test_certifi_roots_are_never_trusted_by_default(profile: str) -> None:
    """A certifi root is not valid against a trust list that does not hold it (nor against none)."""
    demo = testing.DemoPki.create(key_spec="ec-p256")
    for root in ROOTS[:10]:
        for trust in ([], [demo.root.certificate]):
            result = validate_chain(
                root, [], trust=trust, at=_inside(root), revocation="off", profile=profile
            )
            assert not result.valid and result.codes[0] == "untrusted-root", (
                root.subject.rfc4514,
                result.failures,
            )
