"""Requested subject names: the :class:`Subject` value, built from keywords or an RFC 4514 string.

A Subject is validated when it is made (country is two letters, every value within its RFC 5280
upper bound, no control characters and no invisible formatting characters such as the bidi override
U+202E, which make a name read differently from what it is), so a CSR built from one never carries a
name a CA would refuse for its form.  Anything wrong raises
:class:`~caiso_pki.errors.InvalidSubjectError` naming the attribute.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from caiso_pki import oids
from caiso_pki.errors import InvalidSubjectError, UnknownOidError

if TYPE_CHECKING:
    from cryptography import x509

__all__ = ["Subject", "attribute_oid", "validate_attribute"]

#: short and long attribute names -> dotted OID (upper-cased keys)
_NAMES: Final[dict[str, str]] = {
    "CN": oids.COMMON_NAME,
    "COMMONNAME": oids.COMMON_NAME,
    "O": oids.ORGANIZATION_NAME,
    "ORGANIZATIONNAME": oids.ORGANIZATION_NAME,
    "OU": oids.ORGANIZATIONAL_UNIT_NAME,
    "ORGANIZATIONALUNITNAME": oids.ORGANIZATIONAL_UNIT_NAME,
    "L": oids.LOCALITY_NAME,
    "LOCALITYNAME": oids.LOCALITY_NAME,
    "ST": oids.STATE_OR_PROVINCE_NAME,
    "S": oids.STATE_OR_PROVINCE_NAME,
    "STATEORPROVINCENAME": oids.STATE_OR_PROVINCE_NAME,
    "C": oids.COUNTRY_NAME,
    "COUNTRYNAME": oids.COUNTRY_NAME,
    "E": oids.EMAIL_ADDRESS,
    "EMAIL": oids.EMAIL_ADDRESS,
    "EMAILADDRESS": oids.EMAIL_ADDRESS,
    "SERIALNUMBER": oids.SERIAL_NUMBER,
    "DC": oids.DOMAIN_COMPONENT,
    "DOMAINCOMPONENT": oids.DOMAIN_COMPONENT,
    "UID": oids.USER_ID,
    "USERID": oids.USER_ID,
    "TITLE": oids.TITLE,
    "GIVENNAME": oids.GIVEN_NAME,
    "GN": oids.GIVEN_NAME,
    "SN": oids.SURNAME,
    "SURNAME": oids.SURNAME,
}
#: dotted OID -> the short label used in messages and RFC 4514 output
_LABELS: Final[dict[str, str]] = {
    oids.COMMON_NAME: "CN",
    oids.ORGANIZATION_NAME: "O",
    oids.ORGANIZATIONAL_UNIT_NAME: "OU",
    oids.LOCALITY_NAME: "L",
    oids.STATE_OR_PROVINCE_NAME: "ST",
    oids.COUNTRY_NAME: "C",
    oids.EMAIL_ADDRESS: "emailAddress",
    oids.SERIAL_NUMBER: "serialNumber",
    oids.DOMAIN_COMPONENT: "DC",
    oids.USER_ID: "UID",
    oids.TITLE: "title",
    oids.GIVEN_NAME: "givenName",
    oids.SURNAME: "SN",
}

#: RFC 5280 Appendix A upper bounds (characters); attributes not listed are held to ub-name.
_UPPER_BOUNDS: Final[dict[str, int]] = {
    oids.COMMON_NAME: 64,
    oids.ORGANIZATION_NAME: 64,
    oids.ORGANIZATIONAL_UNIT_NAME: 64,
    oids.LOCALITY_NAME: 128,
    oids.STATE_OR_PROVINCE_NAME: 128,
    oids.COUNTRY_NAME: 2,
    oids.EMAIL_ADDRESS: 255,
    oids.SERIAL_NUMBER: 64,
    oids.TITLE: 64,
    oids.PSEUDONYM: 128,
    oids.DOMAIN_COMPONENT: 63,  # one DNS label (RFC 4519 / RFC 1035)
}
_UB_NAME: Final = 32768
_PRINTABLE: Final = re.compile(r"^[A-Za-z0-9 '()+,\-./:=?]*$")
_EMAIL: Final = re.compile(r"^[!-?A-~]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
#: attributes that ASN.1 restricts to PrintableString / IA5String
_PRINTABLE_ONLY: Final = frozenset({oids.COUNTRY_NAME, oids.SERIAL_NUMBER, oids.DN_QUALIFIER})
_IA5_ONLY: Final = frozenset({oids.EMAIL_ADDRESS, oids.DOMAIN_COMPONENT})
_NAMED_FIELDS: Final = frozenset(
    {
        oids.COMMON_NAME,
        oids.ORGANIZATION_NAME,
        oids.ORGANIZATIONAL_UNIT_NAME,
        oids.LOCALITY_NAME,
        oids.STATE_OR_PROVINCE_NAME,
        oids.COUNTRY_NAME,
        oids.EMAIL_ADDRESS,
        oids.SERIAL_NUMBER,
    }
)


def attribute_oid(name: str) -> str:
    """Dotted OID for an attribute name (``"CN"``, ``"organizationName"``) or a dotted OID / registry name."""
    dotted = _NAMES.get(name.strip().upper().replace("_", ""))
    if dotted is not None:
        return dotted
    from caiso_pki.oids import parse_oid

    return parse_oid(name)


def _label(dotted: str) -> str:
    return _LABELS.get(dotted, dotted)


def validate_attribute(dotted: str, value: object) -> str | None:
    """Return why ``value`` is not acceptable for attribute ``dotted``, or ``None`` when it is."""
    if not isinstance(value, str):
        return f"value must be text, got {type(value).__name__}"
    if not value or not value.strip():
        return "value is empty"
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Zl", "Zp"):
            return f"value contains the control character U+{ord(char):04X}"
        if category == "Cf":  # bidi overrides and isolates, zero-width characters: they hide the text
            return f"value contains the invisible formatting character U+{ord(char):04X} ({_char_name(char)})"
    if value != value.strip():
        return "value has leading or trailing spaces"
    bound = _UPPER_BOUNDS.get(dotted, _UB_NAME)
    if len(value) > bound:
        return f"value is {len(value)} characters, longer than the RFC 5280 upper bound of {bound}"
    if dotted == oids.COMMON_NAME and len(value.encode("utf-8")) > bound:
        # cryptography (and many CAs) count the CN bound in UTF-8 bytes, not characters
        size = len(value.encode("utf-8"))
        return f"value is {size} bytes in UTF-8, longer than the CN limit of {bound} bytes"
    if dotted == oids.COUNTRY_NAME:
        if len(value) != 2 or not value.isascii() or not value.isalpha() or not value.isupper():
            return f"country must be a two-letter ISO 3166 code such as 'US', got {value!r}"
    elif dotted in _PRINTABLE_ONLY and not _PRINTABLE.match(value):
        return "value must use PrintableString characters only (letters, digits, space and '()+,-./:=?)"
    elif dotted == oids.EMAIL_ADDRESS and not _EMAIL.match(value):
        return f"{value!r} is not an ASCII e-mail address like 'ops@example.com'"
    elif dotted in _IA5_ONLY and not value.isascii():
        return "value must be ASCII (IA5String)"
    return None


def _char_name(char: str) -> str:
    return unicodedata.name(char, "unnamed").lower()


def _check(dotted: str, value: object) -> None:
    problem = validate_attribute(dotted, value)
    if problem is not None:
        raise InvalidSubjectError(f"subject attribute {_label(dotted)}: {problem}")


def _to_units(value: str | Iterable[str] | None) -> tuple[str, ...]:
    from caiso_pki._convert import texts

    return () if value is None else texts(value, "organizational_units")


def _to_country(value: str | None) -> str | None:
    return value.upper() if isinstance(value, str) and len(value) == 2 else value


def _to_extra(value: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, (Mapping, Iterable)) or isinstance(value, (str, bytes)):
        raise InvalidSubjectError(
            f"extra: expected a mapping or a list of (OID, value) pairs, got {type(value).__name__}"
        )
    pairs = value.items() if isinstance(value, Mapping) else value
    result: list[tuple[str, str]] = []
    for pair in pairs:
        try:
            name, text = pair
        except (TypeError, ValueError) as exc:
            raise InvalidSubjectError(
                f"subject extra attribute {pair!r}: expected an (OID, value) pair"
            ) from exc
        try:
            dotted = attribute_oid(str(name))
        except UnknownOidError as exc:
            raise InvalidSubjectError(
                f"subject attribute {name!r}: unknown attribute name or bad OID"
            ) from exc
        result.append((dotted, text))
    return tuple(result)


@attrs.frozen(kw_only=True, cache_hash=True)
class Subject:
    """A requested subject distinguished name, validated against RFC 5280.

    Build it with keywords (``Subject(common_name="rig-01.example.com", organization="Example Power",
    country="US")``), with short names (``Subject.of(CN="rig-01.example.com", O="Example Power",
    C="US")``) or from text (``Subject.parse("CN=rig-01.example.com,O=Example Power,C=US")``).
    ``extra`` holds any other attribute as ``(OID or name, value)`` pairs.
    """

    common_name: str | None = None
    organization: str | None = None
    organizational_units: tuple[str, ...] = attrs.field(default=(), converter=_to_units)
    locality: str | None = None
    state: str | None = None
    country: str | None = attrs.field(default=None, converter=_to_country)
    email: str | None = None
    serial_number: str | None = None
    extra: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_to_extra)

    def __attrs_post_init__(self) -> None:
        # not self.attributes: that cache hashes self, and the cached hash is not set up yet here
        for dotted, value in _attributes.__wrapped__(self):
            _check(dotted, value)
        for dotted, _ in self.extra:
            if dotted in _NAMED_FIELDS:
                raise InvalidSubjectError(
                    f"subject attribute {_label(dotted)}: set it with its own keyword, not in extra"
                )
        if not _attributes.__wrapped__(self):
            raise InvalidSubjectError("subject is empty: give at least one attribute (usually CN)")

    @classmethod
    def of(cls, **attributes: str | Iterable[str]) -> Subject:
        """Build from short or long attribute names: ``Subject.of(CN="x", O="y", OU=["a", "b"], C="US")``.

        Names that are not one of the keyword fields (``DC``, ``UID``, ``title``, a dotted OID written as
        ``**{"2.5.4.12": "Engineer"}``) go to ``extra``.
        """
        fields: dict[str, Any] = {}
        extra: list[tuple[str, str]] = []
        for name, value in attributes.items():
            try:
                dotted = attribute_oid(name)
            except UnknownOidError as exc:
                raise InvalidSubjectError(
                    f"subject attribute {name!r}: unknown attribute name or bad OID"
                ) from exc
            field = _FIELD_OF.get(dotted)
            if field == "organizational_units":
                fields[field] = value
            elif field is not None:
                if not isinstance(value, str):
                    raise InvalidSubjectError(f"subject attribute {_label(dotted)}: expected one text value")
                fields[field] = value
            else:
                extra.extend((dotted, item) for item in _to_units(value))
        return cls(**fields, extra=tuple(extra))

    @classmethod
    def parse(cls, text: str) -> Subject:
        """Parse an RFC 4514 string (most specific first: ``"CN=x,OU=a,O=y,C=US"``)."""
        if not isinstance(text, str):
            raise InvalidSubjectError(f"subject must be an RFC 4514 string, got {type(text).__name__}")
        return _parse_cached(text)

    @classmethod
    def from_name(cls, name: x509.Name) -> Subject:
        """Build from a ``cryptography`` Name; refuses multi-valued RDNs and repeated single attributes."""
        fields: dict[str, Any] = {}
        units: list[str] = []
        extra: list[tuple[str, str]] = []
        for rdn in name.rdns:
            if len(rdn) != 1:
                raise InvalidSubjectError(
                    f"subject {name.rfc4514_string()!r}: multi-valued RDNs ('+') are not supported"
                )
            attr = next(iter(rdn))
            dotted = attr.oid.dotted_string
            value = attr.value
            if not isinstance(value, str):
                raise InvalidSubjectError(f"subject attribute {_label(dotted)}: value must be text")
            field = _FIELD_OF.get(dotted)
            if field == "organizational_units":
                units.append(value)
            elif field is not None:
                if field in fields:
                    raise InvalidSubjectError(f"subject attribute {_label(dotted)} appears more than once")
                fields[field] = value
            else:
                extra.append((dotted, value))
        return cls(**fields, organizational_units=tuple(units), extra=tuple(extra))

    @property
    def attributes(self) -> tuple[tuple[str, str], ...]:
        """(dotted OID, value) pairs in encoding order: DC, C, ST, L, O, OU, CN, serialNumber, E, extra."""
        return _attributes(self)

    @property
    def x509_name(self) -> x509.Name:
        """The ``cryptography`` Name (cached; the same object every time)."""
        return _x509_name(self)

    @property
    def rfc4514(self) -> str:
        """RFC 4514 text, most specific attribute first."""
        return self.x509_name.rfc4514_string(_rfc4514_names())

    def get(self, attribute: str) -> tuple[str, ...]:
        """Every value of ``attribute`` (a short/long name or dotted OID)."""
        dotted = attribute_oid(attribute)
        return tuple(value for oid, value in self.attributes if oid == dotted)

    def __str__(self) -> str:
        return self.rfc4514


_FIELD_OF: Final[dict[str, str]] = {
    oids.COMMON_NAME: "common_name",
    oids.ORGANIZATION_NAME: "organization",
    oids.ORGANIZATIONAL_UNIT_NAME: "organizational_units",
    oids.LOCALITY_NAME: "locality",
    oids.STATE_OR_PROVINCE_NAME: "state",
    oids.COUNTRY_NAME: "country",
    oids.EMAIL_ADDRESS: "email",
    oids.SERIAL_NUMBER: "serial_number",
}


@functools.lru_cache(maxsize=256)
def _attributes(subject: Subject) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = [
        (oid, value) for oid, value in subject.extra if oid == oids.DOMAIN_COMPONENT
    ]
    for dotted, value in (
        (oids.COUNTRY_NAME, subject.country),
        (oids.STATE_OR_PROVINCE_NAME, subject.state),
        (oids.LOCALITY_NAME, subject.locality),
        (oids.ORGANIZATION_NAME, subject.organization),
    ):
        if value is not None:
            pairs.append((dotted, value))
    pairs.extend((oids.ORGANIZATIONAL_UNIT_NAME, unit) for unit in subject.organizational_units)
    for dotted, value in (
        (oids.COMMON_NAME, subject.common_name),
        (oids.SERIAL_NUMBER, subject.serial_number),
        (oids.EMAIL_ADDRESS, subject.email),
    ):
        if value is not None:
            pairs.append((dotted, value))
    pairs.extend((oid, value) for oid, value in subject.extra if oid != oids.DOMAIN_COMPONENT)
    return tuple(pairs)


@functools.lru_cache(maxsize=256)
def _x509_name(subject: Subject) -> x509.Name:
    from cryptography import x509

    return x509.Name(
        [x509.NameAttribute(x509.ObjectIdentifier(dotted), value) for dotted, value in subject.attributes]
    )


_RDN_PART: Final = re.compile(r"((?:[^,+\\]|\\.)*)([,+]|$)", re.DOTALL)


_HEX_ESCAPE: Final = re.compile(r"(?:\\[0-9A-Fa-f]{2})+|\\(.)", re.DOTALL)


def _unescape(value: str, text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1)
        raw = bytes.fromhex(match.group(0).replace("\\", ""))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidSubjectError(f"subject {text!r}: hex escape is not valid UTF-8") from exc

    return _HEX_ESCAPE.sub(replace, value)


@functools.lru_cache(maxsize=256)
def _parse_cached(text: str) -> Subject:
    if not text.strip():
        raise InvalidSubjectError("subject string is empty")
    # Our own small RFC 4514 reader: attribute types match case-insensitively (openssl writes
    # "emailAddress", users type "E"), and values are checked by Subject with messages naming the
    # attribute rather than by cryptography's generic errors.
    pairs: list[tuple[str, str]] = []
    last = ""
    for match in _RDN_PART.finditer(text):
        part, separator = match.group(1), match.group(2)
        if not part and not separator:
            break
        last = separator
        if separator == "+":
            raise InvalidSubjectError(f"subject {text!r}: multi-valued RDNs ('+') are not supported")
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise InvalidSubjectError(f"subject {text!r}: {part.strip()!r} is not an attribute=value pair")
        try:
            dotted = attribute_oid(key)
        except UnknownOidError as exc:
            raise InvalidSubjectError(f"subject {text!r}: unknown attribute {key.strip()!r}") from exc
        value = value.strip()
        if value.startswith("#"):
            raise InvalidSubjectError(
                f"subject {text!r}: attribute {_label(dotted)} uses a '#' BER value; write it as text"
            )
        if value.endswith("\\") and not value.endswith("\\\\"):
            value += " "  # "\\ " escapes a trailing space that strip() removed
        pairs.append((dotted, _unescape(value, text)))
    if last == ",":
        raise InvalidSubjectError(f"subject {text!r} ends with a ','")
    fields: dict[str, Any] = {}
    units: list[str] = []
    extra: list[tuple[str, str]] = []
    # RFC 4514 text lists the most specific attribute first; store encoding (ASN.1) order.
    for dotted, value in reversed(pairs):
        field = _FIELD_OF.get(dotted)
        if field == "organizational_units":
            units.append(value)
        elif field is not None:
            if field in fields:
                raise InvalidSubjectError(f"subject attribute {_label(dotted)} appears more than once")
            fields[field] = value
        else:
            extra.append((dotted, value))
    return Subject(**fields, organizational_units=tuple(units), extra=tuple(extra))


@functools.cache
def _rfc4514_names() -> dict[x509.ObjectIdentifier, str]:
    from cryptography.x509.oid import NameOID

    return {NameOID.EMAIL_ADDRESS: "emailAddress", NameOID.SERIAL_NUMBER: "serialNumber"}
