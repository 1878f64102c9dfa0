"""Fuzzing validation: certificates with mutated extensions on the path, and nothing may escape.

Each example takes the demo chain (root, issuing CA, RIG leaf), picks the leaf or the issuing CA, and
rewrites one of its extensions (or adds one) with bytes that hypothesis mutates from the real value:
flipped bytes, truncation, appended garbage, a wrong tag, a repeat, a different criticality.  The
certificate is re-signed by its issuer, so only the extension is wrong.  Validation (through a
long-lived Validator and a fresh one) must give a result, never raise, never answer ``internal``.
"""

from __future__ import annotations

import datetime as dt
import functools

from hypothesis import given
from hypothesis import strategies as st

from caiso_pki import _forge, testing
from caiso_pki.certificate import Certificate
from caiso_pki.errors import CaisoPkiError
from caiso_pki.validation import Validator

from ._harness import exercise, fuzz_settings

OIDS = (
    "2.5.29.14",  # subjectKeyIdentifier
    "2.5.29.15",  # keyUsage
    "2.5.29.17",  # subjectAltName
    "2.5.29.19",  # basicConstraints
    "2.5.29.30",  # nameConstraints
    "2.5.29.31",  # cRLDistributionPoints
    "2.5.29.32",  # certificatePolicies
    "2.5.29.35",  # authorityKeyIdentifier
    "2.5.29.36",  # policyConstraints
    "2.5.29.37",  # extendedKeyUsage
    "1.3.6.1.5.5.7.1.1",  # authorityInfoAccess
)


@functools.cache
def _pki() -> tuple[testing.DemoPki, testing.IssuedCertificate, Validator]:
    pki = testing.DemoPki.create()
    leaf = pki.issuing_ca.issue("rig", "fuzz.example.com", reuse_key=True)
    validator = Validator(trust=[pki.root.certificate], revocation="soft-fail", crls=[pki.root.crl()])
    return pki, leaf, validator


def _mutate(value: bytes, data: st.DataObject) -> bytes:
    how = data.draw(st.sampled_from(["flip", "truncate", "append", "retag", "empty", "random"]))
    if how == "flip" and value:
        position = data.draw(st.integers(0, len(value) - 1))
        return (
            value[:position]
            + bytes([value[position] ^ data.draw(st.integers(1, 255))])
            + value[position + 1 :]
        )
    if how == "truncate" and value:
        return value[: data.draw(st.integers(0, len(value) - 1))]
    if how == "append":
        return value + data.draw(st.binary(min_size=1, max_size=16))
    if how == "retag" and value:
        return bytes([data.draw(st.integers(0, 255))]) + value[1:]
    if how == "empty":
        return b""
    return data.draw(st.binary(max_size=64))


def _edit(target: Certificate, data: st.DataObject) -> object:
    oid = data.draw(st.sampled_from(OIDS))
    repeat = data.draw(st.booleans())
    critical = data.draw(st.booleans())

    def edit(tbs: object) -> None:
        extensions = tbs["extensions"]  # type: ignore[index]
        current = next((ext for ext in extensions if ext["extn_id"].dotted == oid), None)
        original = current["extn_value"].contents if current is not None else b"\x30\x00"
        mutated = _forge.raw_extension(oid, _mutate(bytes(original), data), critical=critical)
        if current is not None and not repeat:
            extensions[[ext["extn_id"].dotted for ext in extensions].index(oid)] = mutated
        else:
            extensions.append(mutated)

    return edit


@fuzz_settings(scale=1)
@given(data=st.data())
def test_mutated_extensions_never_escape(data: st.DataObject) -> None:
    pki, leaf, validator = _pki()
    on_leaf = data.draw(st.booleans())
    at = pki.now + dt.timedelta(minutes=1)

    def mint() -> tuple[Certificate, list[Certificate]]:
        if on_leaf:
            broken = pki.issuing_ca.resign(leaf, _edit(leaf.certificate, data))  # type: ignore[arg-type]
            return broken, [pki.issuing_ca.certificate]
        issuing = pki.issuing_ca.certificate
        return leaf.certificate, [pki.root.resign(issuing, _edit(issuing, data))]  # type: ignore[arg-type]

    try:
        broken, chain = mint()
    except (ValueError, CaisoPkiError):
        broken, chain = pki.issuing_ca.certificate, []  # the edit made no certificate: validate the CA alone

    def validate() -> None:
        # A loaded certificate raises nothing, not even a CaisoPkiError: every defect is a failure code.
        for validator_ in (validator, Validator(trust=[pki.root.certificate], revocation="off")):
            try:
                result = validator_.validate(broken, chain, at=at)
            except CaisoPkiError as exc:
                raise AssertionError(f"validation raised {type(exc).__name__}: {exc}") from exc
            assert "internal" not in result.codes, result.failures
            result.to_dict()

    exercise("validate mutated extension", validate)
