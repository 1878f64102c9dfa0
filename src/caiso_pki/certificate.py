"""The certificate view: a frozen, readable model of an X.509 certificate.

:class:`Certificate` wraps the DER bytes and exposes what people and programs ask of a certificate:
names, serial, validity, fingerprints, key, extensions.  It is the one certificate type passed around
inside caiso-pki; ``Certificate.x509`` gives the underlying ``cryptography`` object and
``Certificate.asn1`` the ``asn1crypto`` one (used by path validation).

A few certificates in the wild (and in NIST PKITS) cannot be parsed by ``cryptography``, such as DSA
keys that inherit their parameters from the issuer.  Those still load: every view is read from
``asn1crypto`` instead, and only ``Certificate.x509`` raises :class:`UnsupportedCertificateError`.

Loading checks the basic view (names, serial, validity, algorithms) eagerly, so a loaded certificate
always has a working ``repr``; extension views are parsed on first use and raise
:class:`~caiso_pki.errors.MalformedInputError` (never a dependency's exception) when damaged.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal, TypeVar

import attrs

from caiso_pki._io import ASN1_ERRORS
from caiso_pki.errors import CaisoPkiError, InvalidTimeError, MalformedInputError
from caiso_pki.oids import oid_name

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509 as cx509
    from rich.console import RenderableType

    from caiso_pki.types import JsonDict

__all__ = [
    "Certificate",
    "DistinguishedName",
    "PolicyInformation",
    "SubjectAltNames",
    "TrailingDataError",
    "UnsupportedCertificateError",
    "UserNotice",
    "ensure_aware",
    "serial_to_hex",
]

_T = TypeVar("_T")

#: What asn1crypto and cryptography raise on damaged input (neither has one base exception for it).
_PARSE_ERRORS: Final = ASN1_ERRORS


class UnsupportedCertificateError(MalformedInputError):
    """``cryptography`` cannot parse this certificate, so the requested view is not available."""


class TrailingDataError(MalformedInputError):
    """A DER certificate followed by bytes that are not part of it."""


def ensure_aware(at: dt.datetime | None, *, what: str = "time") -> dt.datetime:
    """Return ``at`` in UTC (now when ``None``); refuse naive datetimes, which are ambiguous."""
    if at is None:
        return dt.datetime.now(dt.UTC)
    if not isinstance(at, dt.datetime):
        raise InvalidTimeError(f"{what}: expected a datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidTimeError(f"{what} {at.isoformat()} is naive; pass a timezone-aware datetime (UTC)")
    return at.astimezone(dt.UTC)


def serial_to_hex(serial: int) -> str:
    """A serial number in upper-case hex with an even number of digits, as ``openssl -serial`` prints it.

    Negative serials (invalid, but found in the wild and in PKITS) keep their sign: ``-01``.
    """
    text = format(abs(serial), "X")
    if len(text) % 2:
        text = "0" + text
    return ("-" if serial < 0 else "") + text


@attrs.frozen
class DistinguishedName:
    """A distinguished name: its RFC 4514 string and (OID, name, value) attributes in order."""

    rfc4514: str
    attributes: tuple[tuple[str, str, str], ...] = attrs.field(repr=False)

    @classmethod
    def from_cryptography(cls, name: cx509.Name) -> DistinguishedName:
        """Build the view from a ``cryptography`` Name."""
        attributes = tuple((attr.oid.dotted_string, oid_name(attr.oid), _text(attr.value)) for attr in name)
        return cls(rfc4514=name.rfc4514_string(), attributes=attributes)

    @classmethod
    def from_asn1(cls, name: asn1_x509.Name) -> DistinguishedName:
        """Build the view from an ``asn1crypto`` Name (fallback for certificates cryptography refuses).

        The RFC 4514 string follows cryptography's form: RDNs last-first, multi-valued RDNs joined by ``+``.
        """
        attributes: list[tuple[str, str, str]] = []
        rdns: list[str] = []
        for rdn in name.chosen:
            parts = []
            for atv in rdn:
                dotted = str(atv["type"].dotted)
                value = _text(_asn1_text(atv["value"]))
                attributes.append((dotted, oid_name(dotted), value))
                parts.append(f"{_short(dotted)}={_escape(value)}")
            rdns.append("+".join(parts))
        return cls(rfc4514=",".join(reversed(rdns)), attributes=tuple(attributes))

    def get(self, attribute: str) -> list[str]:
        """All values of ``attribute``: a name (``"organizationalUnitName"``, ``"OU"``) or a dotted OID."""
        key = _ALIASES.get(attribute.upper(), attribute)
        return [value for dotted, name, value in self.attributes if key in (dotted, name)]

    def _first(self, attribute: str) -> str | None:
        values = self.get(attribute)
        return values[0] if values else None

    @property
    def common_name(self) -> str | None:
        """The first CN, or ``None``."""
        return self._first("commonName")

    @property
    def organization(self) -> str | None:
        """The first O, or ``None``."""
        return self._first("organizationName")

    @property
    def organizational_units(self) -> list[str]:
        """Every OU, in order."""
        return self.get("organizationalUnitName")

    @property
    def country(self) -> str | None:
        """The C attribute, or ``None``."""
        return self._first("countryName")

    def __str__(self) -> str:
        return self.rfc4514

    def to_dict(self) -> JsonDict:
        """JSON-ready form: the RFC 4514 string and each attribute."""
        return {
            "rfc4514": self.rfc4514,
            "attributes": [{"oid": o, "name": n, "value": v} for o, n, v in self.attributes],
        }


_ALIASES: Final = {
    "CN": "commonName",
    "O": "organizationName",
    "OU": "organizationalUnitName",
    "L": "localityName",
    "ST": "stateOrProvinceName",
    "C": "countryName",
    "E": "emailAddress",
    "EMAIL": "emailAddress",
    "DC": "domainComponent",
    "UID": "userId",
    "SERIALNUMBER": "serialNumber",
}
_SHORT: Final = {
    "2.5.4.3": "CN",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.6": "C",
    "2.5.4.9": "STREET",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}


def _short(dotted: str) -> str:
    return _SHORT.get(dotted, dotted)


def _escape(value: str) -> str:
    out = "".join("\\" + ch if ch in ',+"\\<>;=' else ch for ch in value)
    if out.startswith((" ", "#")):
        out = "\\" + out
    if out.endswith(" ") and len(out) > 1:
        out = out[:-1] + "\\ "
    return out


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.hex()


def _asn1_text(value: Any) -> str | bytes:
    native = value.native
    if isinstance(native, (str, bytes)):
        return native
    return str(native)


@contextmanager
def _reading(label: str, what: str) -> Iterator[None]:
    """Turn a dependency's parse error while reading ``what`` into :class:`MalformedInputError`."""
    from cryptography import x509 as cx509

    try:
        yield
    except CaisoPkiError:
        raise
    except (*_PARSE_ERRORS, cx509.DuplicateExtension, cx509.UnsupportedGeneralNameType) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MalformedInputError(f"{label}: cannot read {what}: {reason}") from exc
    except BaseException as exc:
        from caiso_pki._io import is_rust_panic

        if is_rust_panic(exc):
            raise MalformedInputError(f"{label}: cannot read {what}") from exc
        raise


def _view(what: str) -> Callable[[Callable[[Certificate], _T]], Callable[[Certificate], _T]]:
    """Decorate a view so any parse error from a dependency becomes :class:`MalformedInputError`."""

    def decorate(func: Callable[[Certificate], _T]) -> Callable[[Certificate], _T]:
        @functools.wraps(func)
        def wrapper(self: Certificate) -> _T:
            with _reading(self._label, what):
                return func(self)

        return wrapper

    return decorate


@attrs.frozen
class SubjectAltNames:
    """Subject alternative names grouped by type."""

    dns: tuple[str, ...] = ()
    ip: tuple[str, ...] = ()
    uri: tuple[str, ...] = ()
    email: tuple[str, ...] = ()
    directory: tuple[str, ...] = ()
    other: tuple[str, ...] = ()

    @classmethod
    def from_cryptography(cls, value: cx509.SubjectAlternativeName | None) -> SubjectAltNames:
        """Group a ``cryptography`` SubjectAlternativeName (or ``None``) by name type."""
        from cryptography import x509 as cx509

        if value is None:
            return cls()
        groups: dict[str, list[str]] = {
            key: [] for key in ("dns", "ip", "uri", "email", "directory", "other")
        }
        for general in value:
            if isinstance(general, cx509.DNSName):
                groups["dns"].append(general.value)
            elif isinstance(general, cx509.IPAddress):
                groups["ip"].append(str(general.value))
            elif isinstance(general, cx509.UniformResourceIdentifier):
                groups["uri"].append(general.value)
            elif isinstance(general, cx509.RFC822Name):
                groups["email"].append(general.value)
            elif isinstance(general, cx509.DirectoryName):
                groups["directory"].append(general.value.rfc4514_string())
            elif isinstance(general, cx509.OtherName):
                groups["other"].append(f"{general.type_id.dotted_string}:{general.value.hex()}")
            elif isinstance(general, cx509.RegisteredID):
                groups["other"].append(general.value.dotted_string)
            else:
                groups["other"].append(str(general.value))
        return cls(**{key: tuple(items) for key, items in groups.items()})

    def __bool__(self) -> bool:
        return any((self.dns, self.ip, self.uri, self.email, self.directory, self.other))

    def to_dict(self) -> dict[str, list[str]]:
        """JSON-ready form."""
        return {field.name: list(getattr(self, field.name)) for field in attrs.fields(SubjectAltNames)}


@attrs.frozen
class UserNotice:
    """A policy user-notice qualifier."""

    explicit_text: str | None = None
    organization: str | None = None
    notice_numbers: tuple[int, ...] = ()


@attrs.frozen
class PolicyInformation:
    """One certificate policy: its OID and CPS-pointer and user-notice qualifiers."""

    oid: str
    cps_uris: tuple[str, ...] = ()
    user_notices: tuple[UserNotice, ...] = ()

    @property
    def name(self) -> str:
        """Friendly name from the OID registry (the dotted OID when unknown)."""
        return oid_name(self.oid)

    def to_dict(self) -> JsonDict:
        """JSON-ready form."""
        return {
            "oid": self.oid,
            "name": self.name,
            "cps_uris": list(self.cps_uris),
            "user_notices": [
                {
                    "explicit_text": notice.explicit_text,
                    "organization": notice.organization,
                    "notice_numbers": list(notice.notice_numbers),
                }
                for notice in self.user_notices
            ],
        }


_KU_NAMES: Final = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
)
#: asn1crypto's key usage bit names -> RFC 5280 names, in RFC order.
_ASN1_KU_NAMES: Final = (
    ("digital_signature", "digitalSignature"),
    ("non_repudiation", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
    ("encipher_only", "encipherOnly"),
    ("decipher_only", "decipherOnly"),
)
#: Key algorithm OIDs asn1crypto (and so path validation) knows, with asn1crypto's name for each.
_KEY_ALGORITHM_OIDS: Final = {
    "1.2.840.113549.1.1.1": "rsa",
    "1.2.840.113549.1.1.10": "rsassa_pss",
    "1.2.840.10045.2.1": "ec",
    "1.2.840.10040.4.1": "dsa",
    "1.3.101.112": "ed25519",
    "1.3.101.113": "ed448",
    "1.3.101.110": "x25519",
    "1.3.101.111": "x448",
}
#: Signature algorithms caiso-pki can verify (RSA PKCS#1 v1.5 and PSS, ECDSA, EdDSA, DSA).
_SUPPORTED_SIGNATURES: Final = frozenset(
    {
        "1.2.840.113549.1.1.4",
        "1.2.840.113549.1.1.5",
        "1.2.840.113549.1.1.10",
        "1.2.840.113549.1.1.11",
        "1.2.840.113549.1.1.12",
        "1.2.840.113549.1.1.13",
        "1.2.840.113549.1.1.14",
        "1.2.840.10045.4.1",
        "1.2.840.10045.4.3.1",
        "1.2.840.10045.4.3.2",
        "1.2.840.10045.4.3.3",
        "1.2.840.10045.4.3.4",
        "1.3.101.112",
        "1.3.101.113",
        "1.2.840.10040.4.3",
        "2.16.840.1.101.3.4.3.1",
        "2.16.840.1.101.3.4.3.2",
    }
)
_KEY_ALGORITHMS: Final = {
    "rsa": "RSA",
    "rsassa_pss": "RSASSA-PSS",
    "ec": "EC",
    "dsa": "DSA",
    "ed25519": "Ed25519",
    "ed448": "Ed448",
    "x25519": "X25519",
    "x448": "X448",
}


_FAITHFUL_CLASS: Any = None
#: Threads whose asn1crypto parse of one certificate is kept (see :attr:`Certificate.asn1`).
_MAX_ASN1_THREADS: Final = 64


def _faithful_asn1(der: bytes) -> asn1_x509.Certificate:
    """An asn1crypto certificate that dumps as exactly ``der`` (see :attr:`Certificate.asn1`)."""
    global _FAITHFUL_CLASS  # noqa: PLW0603 -- built once, on first use, to keep asn1crypto lazy
    if _FAITHFUL_CLASS is None:
        from asn1crypto import x509 as asn1_x509

        class FaithfulCertificate(asn1_x509.Certificate):  # type: ignore[misc]
            _caiso_der: bytes | None = None

            def dump(self, force: bool = False) -> bytes:
                if not force and self._caiso_der is not None:
                    return self._caiso_der
                result: bytes = super().dump(force)
                return result

        _FAITHFUL_CLASS = FaithfulCertificate
    parsed: asn1_x509.Certificate = _FAITHFUL_CLASS.load(der)
    parsed._caiso_der = der
    return parsed


def _parse_cryptography(der: bytes) -> cx509.Certificate | None:
    from cryptography import x509 as cx509
    from cryptography.utils import CryptographyDeprecationWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            cert = cx509.load_der_x509_certificate(der)
            # Force the lazy parts of the basic view, so damage is found at load time.
            cert.serial_number  # noqa: B018
            cert.subject  # noqa: B018
            cert.issuer  # noqa: B018
            cert.not_valid_before_utc  # noqa: B018
            cert.not_valid_after_utc  # noqa: B018
            cert.signature_algorithm_oid  # noqa: B018
    except (*_PARSE_ERRORS, cx509.InvalidVersion):  # InvalidVersion is not a ValueError
        return None
    except BaseException as exc:
        from caiso_pki._io import is_rust_panic

        if is_rust_panic(exc):
            return None
        raise
    return cert


_GENERIC_SPKI: Any = None


def spki_algorithm_oid(spki_der: bytes) -> str:
    """The dotted key algorithm OID of a SubjectPublicKeyInfo, read without interpreting the key.

    asn1crypto picks the key's parser from the algorithm and raises ``KeyError`` for an algorithm it
    does not know (GOST, vendor OIDs), so the algorithm is read with a generic structure instead.
    """
    global _GENERIC_SPKI  # noqa: PLW0603 -- built once, on first use, to keep asn1crypto lazy
    if _GENERIC_SPKI is None:
        from asn1crypto import core

        class _Algorithm(core.Sequence):  # type: ignore[misc]
            _fields: ClassVar = [
                ("algorithm", core.ObjectIdentifier),
                ("parameters", core.Any, {"optional": True}),
            ]

        class _Spki(core.Sequence):  # type: ignore[misc]
            _fields: ClassVar = [("algorithm", _Algorithm), ("public_key", core.BitString)]

        _GENERIC_SPKI = _Spki
    return str(_GENERIC_SPKI.load(spki_der)["algorithm"]["algorithm"].dotted)


def _check_asn1(der: bytes, *, full: bool) -> None:
    """Parse with asn1crypto what path validation and the key views use; raise on damage.

    ``full=False`` when cryptography has already read the names, serial and validity: re-reading the
    names with asn1crypto costs most of a load, so only the framing and algorithms are checked then.
    """
    from asn1crypto import x509 as asn1_x509

    cert = asn1_x509.Certificate.load(der, strict=True)
    tbs = cert["tbs_certificate"]
    if full:
        tbs["serial_number"].native  # noqa: B018
        tbs["subject"].native  # noqa: B018
        tbs["issuer"].native  # noqa: B018
        tbs["validity"].native  # noqa: B018
    spki_algorithm_oid(tbs["subject_public_key_info"].dump())
    cert["signature_algorithm"]["algorithm"].dotted  # noqa: B018


def _der_length(data: bytes) -> int | None:
    """The length of the DER element at the start of ``data`` (tag, length and contents), if it is one."""
    if len(data) < 2 or data[0] & 0x1F == 0x1F:  # no room, or a multi-byte tag (never a certificate)
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 8 or len(data) < 2 + count:
        return None
    return 2 + count + int.from_bytes(data[2 : 2 + count], "big")


@attrs.frozen(eq=False, hash=False)
class Certificate:
    """A parsed X.509 certificate: DER bytes plus a readable, JSON-ready view.

    Build one with :func:`caiso_pki.load_certificate`, :meth:`from_der` or :meth:`from_cryptography`.
    Two ``Certificate`` objects are equal when their DER bytes are equal.
    """

    der: bytes = attrs.field(repr=False)
    _x509: cx509.Certificate | None = attrs.field(repr=False, default=None, alias="x509_obj")
    source_name: str | None = attrs.field(repr=False, default=None)
    _asn1_by_thread: dict[int, asn1_x509.Certificate] = attrs.field(
        init=False, factory=dict, repr=False, eq=False, hash=False
    )

    # -- construction ----------------------------------------------------------------------------

    @classmethod
    def from_der(cls, der: bytes, *, source_name: str | None = None) -> Certificate:
        """Parse DER bytes; fall back to asn1crypto when cryptography refuses the encoding.

        Raises :class:`MalformedInputError` naming ``source_name`` when neither can read the names,
        serial, validity and algorithms.
        """
        name = source_name or "<certificate bytes>"
        if not isinstance(der, (bytes, bytearray, memoryview)):
            raise MalformedInputError(f"{name}: expected DER bytes, got {type(der).__name__}")
        der = bytes(der)
        length = _der_length(der)
        if length is not None and 0 < length < len(der) and der[:1] == b"\x30":
            try:
                cls.from_der(der[:length], source_name=source_name)
            except MalformedInputError:
                pass
            else:
                raise TrailingDataError(
                    f"{name}: trailing data after the certificate ({len(der) - length} bytes after the "
                    f"{length}-byte certificate); remove it or convert the file with openssl x509"
                )
        parsed = _parse_cryptography(der)
        try:
            _check_asn1(der, full=parsed is None)
        except _PARSE_ERRORS as exc:
            raise MalformedInputError(f"{name}: not a valid X.509 certificate") from exc
        return cls(der, x509_obj=parsed, source_name=source_name)

    @classmethod
    def from_cryptography(cls, cert: cx509.Certificate, *, source_name: str | None = None) -> Certificate:
        """Wrap a ``cryptography`` certificate."""
        from cryptography.hazmat.primitives.serialization import Encoding

        return cls(cert.public_bytes(Encoding.DER), x509_obj=cert, source_name=source_name)

    # -- identity --------------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Certificate):
            return NotImplemented
        return self.der == other.der

    def __hash__(self) -> int:
        return hash(self.der)

    def __repr__(self) -> str:
        return (
            f"<Certificate subject={self.subject.rfc4514!r} serial={self.serial_hex} "
            f"not_after={self.not_after.date().isoformat()}>"
        )

    def _repr_html_(self) -> str:
        from caiso_pki.display import certificate_html

        return certificate_html(self)

    def __rich__(self) -> RenderableType:
        from caiso_pki.display import certificate_rich

        return certificate_rich(self)

    @property
    def _label(self) -> str:
        return self.source_name or "<certificate bytes>"

    # -- underlying objects ----------------------------------------------------------------------

    @property
    def x509(self) -> cx509.Certificate:
        """The ``cryptography`` certificate; raises :class:`UnsupportedCertificateError` if unparseable."""
        if self._x509 is None:
            raise UnsupportedCertificateError(
                f"{self._label}: certificate {self.subject.rfc4514!r} cannot be parsed by cryptography "
                "(for example DSA parameter inheritance); use the Certificate views instead"
            )
        return self._x509

    @property
    def parsed_by_cryptography(self) -> bool:
        """False for the rare certificates only asn1crypto can read."""
        return self._x509 is not None

    @property
    def asn1(self) -> asn1_x509.Certificate:
        """The ``asn1crypto`` certificate, one per thread (parsed on first use in each thread).

        asn1crypto parses lazily and caches what it parsed inside the object, which is not safe when
        two threads read the same object for the first time: one can see another's half-built list
        of fields.  A Validator shares its anchors and intermediates between threads, so each thread
        gets its own parse of them.  Its ``dump()`` returns the original DER: asn1crypto re-encodes a
        certificate whose encoding is not canonical (PKITS's subject unique IDs) the first time it is
        dumped, and that would rewrite the to-be-signed bytes, and fail the signature check next time.
        """
        parsed = self._asn1_by_thread
        ident = threading.get_ident()
        found = parsed.get(ident)
        if found is None:
            found = _faithful_asn1(self.der)
            if len(parsed) >= _MAX_ASN1_THREADS:
                parsed.clear()  # threads that ended left their parses behind
            parsed[ident] = found
        return found

    @functools.cached_property
    def pem(self) -> str:
        """PEM text of the certificate."""
        import base64
        import textwrap

        body = "\n".join(textwrap.wrap(base64.b64encode(self.der).decode("ascii"), 64))
        return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"

    # -- names, serial, validity -----------------------------------------------------------------

    @functools.cached_property
    @_view("subject")
    def subject(self) -> DistinguishedName:
        """The subject name."""
        if self._x509 is not None:
            return DistinguishedName.from_cryptography(self._x509.subject)
        return DistinguishedName.from_asn1(self.asn1.subject)

    @functools.cached_property
    @_view("issuer")
    def issuer(self) -> DistinguishedName:
        """The issuer name."""
        if self._x509 is not None:
            return DistinguishedName.from_cryptography(self._x509.issuer)
        return DistinguishedName.from_asn1(self.asn1.issuer)

    @functools.cached_property
    def serial_number(self) -> int:
        """The serial number as an integer (may be negative in broken certificates)."""
        if self._x509 is not None:
            from cryptography.utils import CryptographyDeprecationWarning

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                return self._x509.serial_number
        return int(self.asn1.serial_number)

    @property
    def serial_hex(self) -> str:
        """The serial number in upper-case hex, as ``openssl x509 -serial`` prints it."""
        return serial_to_hex(self.serial_number)

    @functools.cached_property
    def not_before(self) -> dt.datetime:
        """Start of validity, timezone-aware UTC."""
        if self._x509 is not None:
            return self._x509.not_valid_before_utc
        value: dt.datetime = self.asn1["tbs_certificate"]["validity"]["not_before"].native
        return value.astimezone(dt.UTC)

    @functools.cached_property
    def not_after(self) -> dt.datetime:
        """End of validity, timezone-aware UTC."""
        if self._x509 is not None:
            return self._x509.not_valid_after_utc
        value: dt.datetime = self.asn1["tbs_certificate"]["validity"]["not_after"].native
        return value.astimezone(dt.UTC)

    def days_remaining(self, at: dt.datetime | None = None) -> int:
        """Whole days from ``at`` (default now) until ``not_after``; negative once expired.

        Raises :class:`InvalidTimeError` for a naive datetime.
        """
        when = ensure_aware(at, what="at")
        return (self.not_after - when) // dt.timedelta(days=1)

    def is_valid_at(self, at: dt.datetime | None = None) -> bool:
        """True when ``at`` (default now) lies inside the validity period (both ends inclusive).

        Compared as :meth:`validity_at` does, at the whole second.  Raises :class:`InvalidTimeError`
        for a naive datetime.
        """
        return self.validity_at(at) == "valid"

    def validity_at(self, at: dt.datetime | None = None) -> Literal["not-yet-valid", "valid", "expired"]:
        """Where ``at`` (default now) falls against the validity period, compared at the whole second.

        Certificate times have a granularity of one second (RFC 5280 4.1.2.5.1 and 4.1.2.5.2: seconds
        present, no fractions), and the period runs "from notBefore through notAfter, inclusive": the
        second notAfter names is inside it whole.  So ``at`` is truncated to its second first: 5 ms
        after a notAfter of 00:00:00 is still valid, 00:00:00.999 is before a notBefore of 00:00:01.
        Raises :class:`InvalidTimeError` for a naive datetime.
        """
        when = ensure_aware(at, what="at").replace(microsecond=0)
        if when < self.not_before:
            return "not-yet-valid"
        if when > self.not_after:
            return "expired"
        return "valid"

    @property
    def is_self_issued(self) -> bool:
        """Subject and issuer are the same name (a root or a self-issued CA certificate)."""
        return self.subject.attributes == self.issuer.attributes

    # -- fingerprints and keys -------------------------------------------------------------------

    @functools.cached_property
    def fingerprint_sha256(self) -> str:
        """SHA-256 of the DER, lower-case hex without separators."""
        return hashlib.sha256(self.der).hexdigest()

    @functools.cached_property
    def fingerprint_sha1(self) -> str:
        """SHA-1 of the DER, lower-case hex (for matching older tools; not a security property)."""
        return hashlib.sha1(self.der, usedforsecurity=False).hexdigest()

    @functools.cached_property
    @_view("key algorithm")
    def key_algorithm(self) -> str:
        """``"RSA"``, ``"EC"``, ``"DSA"``, ``"Ed25519"``, ``"Ed448"`` (...) or the key algorithm OID."""
        dotted = self.key_algorithm_oid
        native = _KEY_ALGORITHM_OIDS.get(dotted)
        return _KEY_ALGORITHMS[native] if native is not None else oid_name(dotted)

    @functools.cached_property
    @_view("key algorithm")
    def key_algorithm_oid(self) -> str:
        """Dotted OID of the public key algorithm (read even when caiso-pki cannot use the key)."""
        return spki_algorithm_oid(self.asn1["tbs_certificate"]["subject_public_key_info"].dump())

    @functools.cached_property
    def unsupported(self) -> tuple[str, ...]:
        """What caiso-pki cannot handle in this certificate, one phrase each; empty when it can use it all.

        ``("public key algorithm GOST R 34.10-2001: not supported", ...)``.  Such a certificate can be
        described (``caiso-pki inspect``), but a chain that needs its key or signature does not validate.
        """
        problems = []
        if self.key_algorithm_oid not in _KEY_ALGORITHM_OIDS:
            problems.append(f"public key algorithm {oid_name(self.key_algorithm_oid)}: not supported")
        if self.signature_algorithm_oid not in _SUPPORTED_SIGNATURES:
            problems.append(f"signature algorithm {self.signature_algorithm}: not supported")
        return tuple(problems)

    @functools.cached_property
    def key_size(self) -> int | None:
        """Key size in bits (the curve size for EC); ``None`` when unknown (inherited DSA parameters)."""
        if self._x509 is not None:
            from cryptography.exceptions import UnsupportedAlgorithm
            from cryptography.hazmat.primitives.asymmetric import ed448, ed25519

            try:
                key = self._x509.public_key()
            except (ValueError, UnsupportedAlgorithm):
                key = None
            if isinstance(key, ed25519.Ed25519PublicKey):
                return 256
            if isinstance(key, ed448.Ed448PublicKey):
                return 456
            size = getattr(key, "key_size", None)
            if isinstance(size, int):
                return size
        try:
            return int(self.asn1.public_key.bit_size)
        except (*_PARSE_ERRORS, UnboundLocalError):  # asn1crypto trips on curves it does not know
            return None

    @functools.cached_property
    @_view("key curve")
    def key_curve(self) -> str | None:
        """Named curve of an EC key (``"secp256r1"``, or ``"explicit"``), else ``None``."""
        if self.key_algorithm != "EC":
            return None
        kind, value = self.asn1.public_key.curve
        return str(value) if kind == "named" else "explicit"

    @functools.cached_property
    def signature_algorithm_oid(self) -> str:
        """Dotted OID of the signature algorithm."""
        return str(self.asn1["signature_algorithm"]["algorithm"].dotted)

    @property
    def signature_algorithm(self) -> str:
        """Friendly name of the signature algorithm (``"sha256WithRSAEncryption"``)."""
        return oid_name(self.signature_algorithm_oid)

    # -- extensions ------------------------------------------------------------------------------
    # Each view reads the cryptography object; for the rare certificate only asn1crypto can parse,
    # the same view is read from asn1crypto instead.

    @functools.cached_property
    def _crypto_extensions(self) -> cx509.Extensions | None:
        """cryptography's extensions, or ``None`` when it cannot parse them all.

        cryptography parses every extension at once, so one malformed extension would make every
        extension view fail (and blame whichever view was asked first).  Then the views read each
        extension on its own from asn1crypto instead, and only the malformed one raises, by name.
        """
        if self._x509 is None:
            return None
        from cryptography import x509 as cx509

        try:
            return self._x509.extensions
        except (*_PARSE_ERRORS, cx509.DuplicateExtension, cx509.UnsupportedGeneralNameType):
            return None
        except BaseException as exc:
            from caiso_pki._io import is_rust_panic

            if is_rust_panic(exc):
                return None
            raise

    @property
    def _asn1_views(self) -> bool:
        """Whether the extension views read asn1crypto (cryptography cannot read the extensions)."""
        return self._crypto_extensions is None

    def _extension(self, oid: cx509.ObjectIdentifier) -> Any:
        from cryptography import x509 as cx509

        extensions = self._crypto_extensions
        if extensions is None:  # pragma: no cover - the views check _asn1_views first
            raise MalformedInputError(f"{self._label}: cannot read the extensions")
        try:
            return extensions.get_extension_for_oid(oid).value
        except cx509.ExtensionNotFound:
            return None

    def _asn1_extension(self, name: str) -> Any:
        """The parsed value of the extension asn1crypto calls ``name``, or ``None``; only it is parsed.

        An extension that appears twice is malformed (RFC 5280 4.2): which copy counts is ambiguous.
        """
        found = [ext for ext in self.asn1["tbs_certificate"]["extensions"] if ext["extn_id"].native == name]
        if len(found) > 1:
            what = name.replace("_", " ")
            raise MalformedInputError(f"{self._label}: the {what} extension appears {len(found)} times")
        return found[0]["extn_value"].parsed if found else None

    @functools.cached_property
    @_view("extensions")
    def extension_oids(self) -> tuple[tuple[str, bool], ...]:
        """Every extension present as (dotted OID, critical) pairs, in certificate order."""
        extensions = self._crypto_extensions
        if extensions is not None:
            return tuple((ext.oid.dotted_string, ext.critical) for ext in extensions)
        listed = tuple(
            (str(ext["extn_id"].dotted), bool(ext["critical"].native))
            for ext in self.asn1["tbs_certificate"]["extensions"]
        )
        repeated = sorted({oid for oid, _ in listed if sum(1 for other, _ in listed if other == oid) > 1})
        if repeated:
            raise MalformedInputError(
                f"{self._label}: extension {', '.join(map(oid_name, repeated))} appears more than once"
            )
        return listed

    @functools.cached_property
    @_view("basic constraints")
    def _basic_constraints(self) -> tuple[bool, int | None] | None:
        if self._asn1_views:
            asn1_value = self._asn1_extension("basic_constraints")
            if asn1_value is None:
                return None
            native = asn1_value.native
            return bool(native["ca"]), native["path_len_constraint"]
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.BASIC_CONSTRAINTS)
        return None if value is None else (bool(value.ca), value.path_length)

    @property
    def is_ca(self) -> bool:
        """The basicConstraints cA flag (False when the extension is absent)."""
        constraints = self._basic_constraints
        return bool(constraints and constraints[0])

    @property
    def path_length(self) -> int | None:
        """basicConstraints pathLenConstraint, or ``None``."""
        constraints = self._basic_constraints
        return constraints[1] if constraints is not None else None

    @functools.cached_property
    @_view("key usage")
    def key_usage(self) -> tuple[str, ...]:
        """Key usage bits by RFC 5280 name (``"digitalSignature"``, ``"keyCertSign"`` ...)."""
        if self._asn1_views:
            asn1_value = self._asn1_extension("key_usage")
            bits = set(asn1_value.native) if asn1_value is not None else set()
            return tuple(name for bit, name in _ASN1_KU_NAMES if bit in bits)
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.KEY_USAGE)
        if value is None:
            return ()
        names = [name for attr, name in _KU_NAMES if getattr(value, attr)]
        if value.key_agreement:
            if value.encipher_only:
                names.append("encipherOnly")
            if value.decipher_only:
                names.append("decipherOnly")
        return tuple(names)

    @functools.cached_property
    @_view("extended key usage")
    def extended_key_usage(self) -> tuple[str, ...]:
        """Extended key usage purposes as dotted OIDs (see :func:`caiso_pki.oids.oid_name`)."""
        if self._asn1_views:
            asn1_value = self._asn1_extension("extended_key_usage")
            return tuple(str(purpose.dotted) for purpose in asn1_value) if asn1_value is not None else ()
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.EXTENDED_KEY_USAGE)
        return tuple(oid.dotted_string for oid in value) if value is not None else ()

    @functools.cached_property
    @_view("subject alternative names")
    def subject_alt_names(self) -> SubjectAltNames:
        """Subject alternative names by type (empty when absent)."""
        if self._asn1_views:
            return _asn1_general_names(self._asn1_extension("subject_alt_name"))
        from cryptography.x509.oid import ExtensionOID

        return SubjectAltNames.from_cryptography(self._extension(ExtensionOID.SUBJECT_ALTERNATIVE_NAME))

    @functools.cached_property
    @_view("certificate policies")
    def policies(self) -> tuple[PolicyInformation, ...]:
        """Certificate policies with their CPS-pointer and user-notice qualifiers."""
        if self._asn1_views:
            return _asn1_policies(self._asn1_extension("certificate_policies"))
        from cryptography import x509 as cx509
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.CERTIFICATE_POLICIES)
        if value is None:
            return ()
        result = []
        for info in value:
            cps: list[str] = []
            notices: list[UserNotice] = []
            for qualifier in info.policy_qualifiers or ():
                if isinstance(qualifier, str):
                    cps.append(qualifier)
                elif isinstance(qualifier, cx509.UserNotice):
                    ref = qualifier.notice_reference
                    notices.append(
                        UserNotice(
                            explicit_text=qualifier.explicit_text,
                            organization=ref.organization if ref else None,
                            notice_numbers=tuple(ref.notice_numbers) if ref else (),
                        )
                    )
            result.append(
                PolicyInformation(
                    oid=info.policy_identifier.dotted_string, cps_uris=tuple(cps), user_notices=tuple(notices)
                )
            )
        return tuple(result)

    @property
    def policy_oids(self) -> tuple[str, ...]:
        """Just the dotted policy OIDs."""
        return tuple(policy.oid for policy in self.policies)

    @functools.cached_property
    @_view("subject key identifier")
    def subject_key_identifier(self) -> str | None:
        """SKI as lower-case hex, or ``None``."""
        if self._asn1_views:
            asn1_value = self._asn1_extension("key_identifier")
            return bytes(asn1_value.native).hex() if asn1_value is not None else None
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.SUBJECT_KEY_IDENTIFIER)
        return value.digest.hex() if value is not None else None

    @functools.cached_property
    @_view("authority key identifier")
    def authority_key_identifier(self) -> str | None:
        """AKI keyIdentifier as lower-case hex, or ``None``."""
        if self._asn1_views:
            asn1_value = self._asn1_extension("authority_key_identifier")
            key_id = asn1_value["key_identifier"].native if asn1_value is not None else None
            return bytes(key_id).hex() if key_id is not None else None
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
        if value is None or value.key_identifier is None:
            return None
        return bytes(value.key_identifier).hex()

    @functools.cached_property
    @_view("CRL distribution points")
    def crl_distribution_points(self) -> tuple[str, ...]:
        """URLs from the CRL distribution points extension."""
        if self._asn1_views:
            asn1_value = self._asn1_extension("crl_distribution_points")
            urls: list[str] = []
            for point in asn1_value or ():
                name = point["distribution_point"]
                if getattr(name, "name", None) == "full_name":
                    urls.extend(_asn1_general_names(name.chosen).uri)
            return tuple(urls)
        from cryptography import x509 as cx509
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.CRL_DISTRIBUTION_POINTS)
        return tuple(
            general.value
            for point in value or ()
            for general in point.full_name or ()
            if isinstance(general, cx509.UniformResourceIdentifier)
        )

    @functools.cached_property
    @_view("authority information access")
    def _access_descriptions(self) -> tuple[tuple[str, str], ...]:
        """(access method dotted OID, URL) pairs from authorityInfoAccess."""
        if self._asn1_views:
            asn1_value = self._asn1_extension("authority_information_access")
            return tuple(
                (str(desc["access_method"].dotted), str(desc["access_location"].native))
                for desc in asn1_value or ()
                if desc["access_location"].name == "uniform_resource_identifier"
            )
        from cryptography import x509 as cx509
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
        return tuple(
            (desc.access_method.dotted_string, desc.access_location.value)
            for desc in value or ()
            if isinstance(desc.access_location, cx509.UniformResourceIdentifier)
        )

    @property
    def ocsp_urls(self) -> tuple[str, ...]:
        """AIA OCSP responder URLs."""
        return tuple(url for method, url in self._access_descriptions if method == _AIA_OCSP)

    @property
    def ca_issuers_urls(self) -> tuple[str, ...]:
        """AIA caIssuers URLs."""
        return tuple(url for method, url in self._access_descriptions if method == _AIA_CA_ISSUERS)

    # -- output ----------------------------------------------------------------------------------

    def unreadable(self) -> tuple[tuple[str, str, str], ...]:
        """(view, extension name, message) for every view a malformed extension makes unreadable.

        Empty for a sound certificate.  Each malformed extension is named, so a report can show every
        readable field and mark just the broken ones (``caiso-pki inspect`` does).
        """
        problems = []
        for view, oid in _EXTENSION_VIEWS:
            try:
                getattr(self, view)
            except MalformedInputError as exc:
                problems.append((view, oid_name(oid) if oid else "extensions", str(exc)))
        return tuple(problems)

    def to_dict(self) -> JsonDict:
        """JSON-ready description of the certificate (datetimes as ISO 8601 UTC strings).

        A view that a malformed extension makes unreadable is ``null`` (an empty list for list views)
        and is listed under ``"unreadable"`` with the extension's name and the reason.
        """
        broken = {view for view, _, _ in self.unreadable()}

        def view(name: str, default: Any = None) -> Any:
            return default if name in broken else getattr(self, name)

        eku = view("extended_key_usage", ())
        sans = view("subject_alt_names")
        policies = view("policies", ())
        access_broken = "_access_descriptions" in broken
        return {
            "subject": self.subject.to_dict(),
            "issuer": self.issuer.to_dict(),
            "serial": self.serial_hex,
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
            "fingerprint_sha256": self.fingerprint_sha256,
            "fingerprint_sha1": self.fingerprint_sha1,
            "key_algorithm": self.key_algorithm,
            "key_size": self.key_size,
            "key_curve": view("key_curve"),
            "signature_algorithm": self.signature_algorithm,
            "signature_algorithm_oid": self.signature_algorithm_oid,
            "unsupported": list(self.unsupported),
            "is_ca": None if "_basic_constraints" in broken else self.is_ca,
            "path_length": None if "_basic_constraints" in broken else self.path_length,
            "key_usage": list(view("key_usage", ())),
            "extended_key_usage": [{"oid": oid, "name": oid_name(oid)} for oid in eku],
            "subject_alt_names": sans.to_dict() if sans is not None else None,
            "policies": [policy.to_dict() for policy in policies],
            "subject_key_identifier": view("subject_key_identifier"),
            "authority_key_identifier": view("authority_key_identifier"),
            "crl_distribution_points": list(view("crl_distribution_points", ())),
            "ocsp_urls": [] if access_broken else list(self.ocsp_urls),
            "ca_issuers_urls": [] if access_broken else list(self.ca_issuers_urls),
            "extensions": [
                {"oid": oid, "name": oid_name(oid), "critical": critical}
                for oid, critical in view("extension_oids", ())
            ],
            "unreadable": [
                {"view": name.lstrip("_"), "extension": extension, "error": message}
                for name, extension, message in self.unreadable()
            ],
        }


#: The views that read an extension (attribute, extension OID) for :meth:`Certificate.unreadable`.
_EXTENSION_VIEWS: Final = (
    ("extension_oids", ""),
    ("key_curve", ""),
    ("_basic_constraints", "2.5.29.19"),
    ("key_usage", "2.5.29.15"),
    ("extended_key_usage", "2.5.29.37"),
    ("subject_alt_names", "2.5.29.17"),
    ("policies", "2.5.29.32"),
    ("subject_key_identifier", "2.5.29.14"),
    ("authority_key_identifier", "2.5.29.35"),
    ("crl_distribution_points", "2.5.29.31"),
    ("_access_descriptions", "1.3.6.1.5.5.7.1.1"),
)


_AIA_OCSP: Final = "1.3.6.1.5.5.7.48.1"
_AIA_CA_ISSUERS: Final = "1.3.6.1.5.5.7.48.2"
_ASN1_GENERAL_NAME_GROUPS: Final = {
    "dns_name": "dns",
    "ip_address": "ip",
    "uniform_resource_identifier": "uri",
    "rfc822_name": "email",
    "directory_name": "directory",
}


def _asn1_general_names(names: Any) -> SubjectAltNames:
    groups: dict[str, list[str]] = {key: [] for key in ("dns", "ip", "uri", "email", "directory", "other")}
    for general in names or ():
        group = _ASN1_GENERAL_NAME_GROUPS.get(general.name, "other")
        if group == "directory":
            groups[group].append(DistinguishedName.from_asn1(general.chosen).rfc4514)
        else:
            groups[group].append(str(general.chosen.native))
    return SubjectAltNames(**{key: tuple(items) for key, items in groups.items()})


def _asn1_policies(value: Any) -> tuple[PolicyInformation, ...]:
    result = []
    for info in value or ():
        cps: list[str] = []
        notices: list[UserNotice] = []
        for qualifier in info["policy_qualifiers"] or ():
            kind = qualifier["policy_qualifier_id"].native
            native = qualifier["qualifier"].native
            if kind == "certification_practice_statement":
                cps.append(str(native))
            elif kind == "user_notice":
                ref = native.get("notice_ref") or {}
                notices.append(
                    UserNotice(
                        explicit_text=native.get("explicit_text"),
                        organization=ref.get("organization"),
                        notice_numbers=tuple(ref.get("notice_numbers") or ()),
                    )
                )
        result.append(
            PolicyInformation(
                oid=str(info["policy_identifier"].dotted), cps_uris=tuple(cps), user_notices=tuple(notices)
            )
        )
    return tuple(result)


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
