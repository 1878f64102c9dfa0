"""Subject names: keywords, RFC 4514 text, validation against RFC 5280."""

from __future__ import annotations

import attrs
import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from caiso_pki import Subject
from caiso_pki.errors import InvalidSubjectError


def test_keywords_and_short_names_agree() -> None:
    long = Subject(
        common_name="rig-01.example.com",
        organization="Example Power",
        organizational_units=("Metering", "RIG"),
        locality="Folsom",
        state="CA",
        country="US",
        email="ops@example.com",
        serial_number="A-1234",
    )
    short = Subject.of(
        CN="rig-01.example.com",
        O="Example Power",
        OU=["Metering", "RIG"],
        L="Folsom",
        ST="CA",
        C="US",
        emailAddress="ops@example.com",
        serialNumber="A-1234",
    )
    assert long == short
    assert hash(long) == hash(short)
    assert long.rfc4514 == (
        "emailAddress=ops@example.com,serialNumber=A-1234,CN=rig-01.example.com,OU=RIG,OU=Metering,"
        "O=Example Power,L=Folsom,ST=CA,C=US"
    )
    assert Subject.parse(long.rfc4514) == long


def test_frozen() -> None:
    subject = Subject(common_name="x")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        subject.common_name = "y"  # type: ignore[misc]


def test_parse_is_case_insensitive_and_handles_escapes() -> None:
    subject = Subject.parse(r"cn=Smith\, John,o=Example \2B Co,E=js@example.com,c=us")
    assert subject.common_name == "Smith, John"
    assert subject.organization == "Example + Co"
    assert subject.email == "js@example.com"
    assert subject.country == "US"


def test_encoding_order_and_x509_name() -> None:
    subject = Subject.of(CN="host.example.com", O="Org", C="US", DC="example")
    name = subject.x509_name
    assert [attr.oid for attr in name] == [
        NameOID.DOMAIN_COMPONENT,
        NameOID.COUNTRY_NAME,
        NameOID.ORGANIZATION_NAME,
        NameOID.COMMON_NAME,
    ]
    assert subject.x509_name is name  # cached
    assert Subject.from_name(name) == subject


def test_extra_attributes_by_oid_and_name() -> None:
    subject = Subject(common_name="x", extra={"2.5.4.12": "Engineer", "UID": "jdoe"})
    assert subject.get("title") == ("Engineer",)
    assert subject.get("0.9.2342.19200300.100.1.1") == ("jdoe",)
    assert "2.5.4.12=Engineer" in subject.rfc4514


@pytest.mark.parametrize(
    ("build", "attribute"),
    [
        (lambda: Subject(common_name="x", country="USA"), "C"),
        (lambda: Subject(common_name="x", country="U1"), "C"),
        (lambda: Subject(common_name="a" * 65), "CN"),
        (lambda: Subject(organization="o" * 65), "O"),
        (lambda: Subject(organizational_units=["u" * 65]), "OU"),
        (lambda: Subject(locality="l" * 129), "L"),
        (lambda: Subject(state="s" * 129), "ST"),
        (lambda: Subject(common_name="bad\x00name"), "CN"),
        (lambda: Subject(organization="line\nbreak"), "O"),
        (lambda: Subject(common_name="  padded "), "CN"),
        (lambda: Subject(common_name=""), "CN"),
        (lambda: Subject(email="not-an-address"), "emailAddress"),
        (lambda: Subject(email="a" * 250 + "@x.com"), "emailAddress"),
        (lambda: Subject(serial_number="under_score"), "serialNumber"),
        (lambda: Subject(common_name="x", extra={"1.2.3.4": "bell\x07"}), "1.2.3.4"),
        (lambda: Subject(common_name="x", extra={"not an oid": "v"}), "not an oid"),
        (lambda: Subject(common_name="x", extra={"2.5.4.3": "second CN"}), "CN"),
        (lambda: Subject.parse("CN=x,C=USA"), "C"),
        (lambda: Subject.parse("CN=x,FOO=bar"), "FOO"),
        (lambda: Subject.parse("CN=a,CN=b"), "CN"),
        (lambda: Subject.parse("CN=x,2.5.4.12=#0c03616263"), "title"),
    ],
)
def test_invalid_subject_names_attribute(build: object, attribute: str) -> None:
    with pytest.raises(InvalidSubjectError) as info:
        build()  # type: ignore[operator]
    assert attribute in str(info.value)


@pytest.mark.parametrize("text", ["", "CN", "CN=x,", "CN=x+O=y", ",", "CN=\\C3"])
def test_unparseable_text(text: str) -> None:
    with pytest.raises(InvalidSubjectError):
        Subject.parse(text)


def test_empty_subject_refused() -> None:
    with pytest.raises(InvalidSubjectError, match="empty"):
        Subject()


def test_from_name_refuses_multivalued_rdn() -> None:
    name = x509.Name(
        [
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "a"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "b"),
                ]
            )
        ]
    )
    with pytest.raises(InvalidSubjectError, match="multi-valued"):
        Subject.from_name(name)


_value = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), min_size=1, max_size=64
).filter(lambda v: v == v.strip() and v.strip() != "")


@given(
    cn=_value.filter(lambda v: len(v.encode("utf-8")) <= 64), org=_value, units=st.lists(_value, max_size=3)
)
def test_rfc4514_round_trip(cn: str, org: str, units: list[str]) -> None:
    subject = Subject(common_name=cn, organization=org, organizational_units=units, country="US")
    assert Subject.parse(subject.rfc4514) == subject
    # and cryptography reads our text the same way
    assert x509.Name.from_rfc4514_string(subject.rfc4514) == subject.x509_name


def test_common_name_bound_counts_utf8_bytes() -> None:
    # Found by the round-trip property: 24 characters but 65 UTF-8 bytes; cryptography refuses it.
    with pytest.raises(InvalidSubjectError, match="CN: value is 65 bytes"):
        Subject(common_name="000\xa0" + "\u0800" * 20)


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200b", "\ufeff", "\u00ad"])
def test_invisible_formatting_characters_are_refused(char: str) -> None:
    # issue 13 defect 1: U+202E (right-to-left override) was accepted in a subject
    with pytest.raises(InvalidSubjectError, match=f"U\\+{ord(char):04X}"):
        Subject.parse(f"CN=evil{char}moc.elpmaxe,O=Example,C=US")
