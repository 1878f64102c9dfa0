"""The OID registry: friendly names and strict parsing of dotted OIDs and registry names."""

from __future__ import annotations

import re

import pytest
from cryptography import x509

from caiso_pki.errors import MalformedInputError, UnknownOidError
from caiso_pki.oids import ANY_POLICY, DEMO_BASIC_ASSURANCE_POLICY, OID_NAMES, oid_name, parse_oid


@pytest.mark.parametrize(
    ("text", "dotted"),
    [
        ("2.5.29.32.0", ANY_POLICY),
        (" 1.3.6.1.5.5.7.3.2 ", "1.3.6.1.5.5.7.3.2"),
        ("anyPolicy", ANY_POLICY),
        ("ANYPOLICY", ANY_POLICY),
        ("any", ANY_POLICY),
        ("clientAuth", "1.3.6.1.5.5.7.3.2"),
        ("serverauth", "1.3.6.1.5.5.7.3.1"),
        ("OCSPSigning", "1.3.6.1.5.5.7.3.9"),
        ("ocspSigning", "1.3.6.1.5.5.7.3.9"),
        ("smartcardLogon", "1.3.6.1.4.1.311.20.2.2"),
        ("demoBasicAssurance", DEMO_BASIC_ASSURANCE_POLICY),
        ("commonName", "2.5.4.3"),
        ("0.9.2342.19200300.100.1.25", "0.9.2342.19200300.100.1.25"),
        ("1.39", "1.39"),
        ("2.100.3", "2.100.3"),
        ("2.999.123456789012345678901234567890", "2.999.123456789012345678901234567890"),
    ],
)
def test_parse_oid_accepts_dotted_and_names(text: str, dotted: str) -> None:
    oid = parse_oid(text)
    assert type(oid) is str
    assert oid == dotted


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "1",
        "3.1",
        "1.40",
        "0.40.1",
        "1.2.",
        ".1.2",
        "1..2",
        "01.2",
        "1.02",
        "1.2.a",
        "1,2,3",
        "-1.2",
        "noSuchPolicy",
        "2.5.29.32.0\n1.2",
        "1.2.3 4",
    ],
)
def test_parse_oid_rejects_everything_else(text: str) -> None:
    with pytest.raises(UnknownOidError) as info:
        parse_oid(text)
    assert repr(text) in str(info.value)
    assert isinstance(info.value, MalformedInputError)


@pytest.mark.parametrize("value", [5, None, b"1.2.3", 1.5])
def test_parse_oid_rejects_non_strings(value: object) -> None:
    with pytest.raises(UnknownOidError):
        parse_oid(value)  # type: ignore[arg-type]


def test_parse_oid_huge_input_is_refused_with_a_short_message() -> None:
    # Regression: the whole 5000-character input was echoed into the error message.
    with pytest.raises(UnknownOidError) as info:
        parse_oid("1.2." + "9" * 5000)
    assert "1.2.999" in str(info.value)
    assert len(str(info.value)) < 200


def test_parse_oid_gives_the_dotted_string_of_an_object_identifier() -> None:
    oid = x509.ObjectIdentifier("1.2.3")
    assert parse_oid(oid) == "1.2.3"


def test_parse_oid_returns_no_dependency_type() -> None:
    """The public function answers with text; the cryptography object stays private."""
    import typing

    from caiso_pki.oids import _object_identifier

    assert typing.get_type_hints(parse_oid)["return"] is str
    assert _object_identifier("clientAuth") == x509.ObjectIdentifier("1.3.6.1.5.5.7.3.2")


def test_oid_name() -> None:
    assert oid_name(ANY_POLICY) == "anyPolicy"
    assert oid_name(x509.ObjectIdentifier("2.5.29.15")) == "keyUsage"
    assert oid_name("1.2.840.113549.1.1.11") == "sha256WithRSAEncryption"
    assert oid_name("1.2.3.4.5") == "1.2.3.4.5"


def test_registry_is_consistent() -> None:
    dotted = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")
    names = [name.lower() for name in OID_NAMES.values()]
    assert len(names) == len(set(names)), "registry names must be unique (case-insensitively)"
    for oid, name in OID_NAMES.items():
        assert dotted.match(oid), oid
        assert parse_oid(name) == oid
        assert parse_oid(oid) == oid


def test_demo_policy_lives_under_the_example_arc() -> None:
    assert DEMO_BASIC_ASSURANCE_POLICY.startswith("2.999.")
    assert oid_name(DEMO_BASIC_ASSURANCE_POLICY) == "demoBasicAssurance"
