"""The certificate view: a frozen, readable model of an X.509 certificate.

:class:`Certificate` wraps the DER bytes and exposes what people and programs ask of a certificate:
names, serial, validity, fingerprints, key, extensions.  It is the one certificate type passed around
inside caiso-pki; ``Certificate.x509`` gives the underlying ``cryptography`` object and
``Certificate.asn1`` the ``asn1crypto`` one (used by path validation).

A few certificates in the wild (and in NIST PKITS) cannot be parsed by ``cryptography``: DSA keys that
inherit parameters from their issuer, negative serial numbers.  Those still load: names, serial,
validity, fingerprints and algorithms come from ``asn1crypto``, and only extension views raise
:class:`UnsupportedCertificateError` for them.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import warnings
from typing import TYPE_CHECKING, Any

import attrs

from caiso_pki.errors import InvalidTimeError, MalformedInputError
from caiso_pki.oids import oid_name

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509

__all__ = [
    "Certificate",
    "DistinguishedName",
    "PolicyInformation",
    "SubjectAltNames",
    "UnsupportedCertificateError",
    "UserNotice",
    "ensure_aware",
]


class UnsupportedCertificateError(MalformedInputError):
    """``cryptography`` cannot parse this certificate, so the requested view is not available."""


def ensure_aware(at: dt.datetime | None, *, what: str = "time") -> dt.datetime:
    """Return ``at`` in UTC (now when ``None``); refuse naive datetimes, which are ambiguous."""
    if at is None:
        return dt.datetime.now(dt.UTC)
    if not isinstance(at, dt.datetime):
        raise InvalidTimeError(f"{what}: expected a datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidTimeError(f"{what} {at.isoformat()} is naive; pass a timezone-aware datetime (UTC)")
    return at.astimezone(dt.UTC)


@attrs.frozen
class DistinguishedName:
    """A distinguished name: its RFC 4514 string and (OID, name, value) attributes in order."""

    rfc4514: str
    attributes: tuple[tuple[str, str, str], ...] = attrs.field(repr=False)

    @classmethod
    def from_cryptography(cls, name: x509.Name) -> DistinguishedName:
        """Build the view from a ``cryptography`` Name."""
        attributes = tuple(
            (attr.oid.dotted_string, oid_name(attr.oid), _text(attr.value)) for attr in name
        )
        return cls(rfc4514=name.rfc4514_string(), attributes=attributes)

    @classmethod
    def from_asn1(cls, name: asn1_x509.Name) -> DistinguishedName:
        """Build the view from an ``asn1crypto`` Name (fallback for certificates cryptography refuses)."""
        attributes: list[tuple[str, str, str]] = []
        for rdn in name.chosen:
            for atv in rdn:
                dotted = atv["type"].dotted
                value = atv["value"].native
                attributes.append((dotted, oid_name(dotted), str(value)))
        text = ",".join(f"{_short(o)}={_escape(v)}" for o, _, v in reversed(attributes))
        return cls(rfc4514=text, attributes=tuple(attributes))

    def get(self, attribute: str) -> list[str]:
        """All values of ``attribute`` (a name such as ``"organizationalUnitName"``/``"OU"`` or a dotted OID)."""
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the RFC 4514 string and each attribute."""
        return {
            "rfc4514": self.rfc4514,
            "attributes": [{"oid": o, "name": n, "value": v} for o, n, v in self.attributes],
        }


_ALIASES = {
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
_SHORT = {
    "2.5.4.3": "CN",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.6": "C",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}


def _short(dotted: str) -> str:
    return _SHORT.get(dotted, dotted)


def _escape(value: str) -> str:
    out = "".join("\\" + ch if ch in ',+"\\<>;=' else ch for ch in value)
    if out.startswith((" ", "#")):
        out = "\\" + out
    if out.endswith(" "):
        out = out[:-1] + "\\ "
    return out


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.hex()


@attrs.frozen
class SubjectAltNames:
    """Subject alternative names grouped by type."""

    dns: tuple[str, ...] = ()
    ip: tuple[str, ...] = ()
    uri: tuple[str, ...] = ()
    email: tuple[str, ...] = ()
    directory: tuple[str, ...] = ()
    other: tuple[str, ...] = ()

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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "oid": self.oid,
            "name": self.name,
            "cps_uris": list(self.cps_uris),
            "user_notices": [attrs.asdict(notice) for notice in self.user_notices],
        }


_KU_NAMES = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
)


def _parse_cryptography(der: bytes) -> x509.Certificate | None:
    from cryptography import x509 as cx509
    from cryptography.utils import CryptographyDeprecationWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            cert = cx509.load_der_x509_certificate(der)
            cert.serial_number  # noqa: B018 -- negative serials only warn here; force the parse
    except ValueError:
        return None
    return cert


@attrs.frozen(eq=False, hash=False)
class Certificate:
    """A parsed X.509 certificate: DER bytes plus a readable, JSON-ready view.

    Build one with :func:`caiso_pki.load_certificate`, :meth:`from_der` or :meth:`from_cryptography`.
    Two ``Certificate`` objects are equal when their DER bytes are equal.
    """

    der: bytes = attrs.field(repr=False)
    _x509: x509.Certificate | None = attrs.field(repr=False, default=None, alias="x509_obj")
    source_name: str | None = attrs.field(repr=False, default=None)

    # -- construction ----------------------------------------------------------------------------

    @classmethod
    def from_der(cls, der: bytes, *, source_name: str | None = None) -> Certificate:
        """Parse DER bytes; fall back to asn1crypto when cryptography refuses the encoding."""
        name = source_name or "<certificate bytes>"
        if not isinstance(der, (bytes, bytearray)):
            raise MalformedInputError(f"{name}: expected DER bytes, got {type(der).__name__}")
        der = bytes(der)
        parsed = _parse_cryptography(der)
        if parsed is None:
            from asn1crypto import x509 as asn1_x509

            try:
                fallback = asn1_x509.Certificate.load(der, strict=True)
                fallback["tbs_certificate"]["subject"].native  # noqa: B018 -- force lazy parse
                fallback["tbs_certificate"]["validity"].native  # noqa: B018
                fallback["tbs_certificate"]["serial_number"].native  # noqa: B018
            except Exception as exc:  # asn1crypto raises ValueError, TypeError and others on garbage
                raise MalformedInputError(f"{name}: not a valid X.509 certificate") from exc
        return cls(der, x509_obj=parsed, source_name=source_name)

    @classmethod
    def from_cryptography(cls, cert: x509.Certificate) -> Certificate:
        """Wrap a ``cryptography`` certificate."""
        from cryptography.hazmat.primitives.serialization import Encoding

        return cls(cert.public_bytes(Encoding.DER), x509_obj=cert)

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

    # -- underlying objects ----------------------------------------------------------------------

    @property
    def x509(self) -> x509.Certificate:
        """The ``cryptography`` certificate; raises :class:`UnsupportedCertificateError` if unparseable."""
        if self._x509 is None:
            raise UnsupportedCertificateError(
                f"certificate {self.subject.rfc4514!r} ({self.source_name or 'bytes'}) cannot be parsed by "
                "cryptography (for example DSA parameter inheritance); only the basic view is available"
            )
        return self._x509

    @property
    def parsed_by_cryptography(self) -> bool:
        """False for the rare certificates only asn1crypto can read."""
        return self._x509 is not None

    @functools.cached_property
    def asn1(self) -> asn1_x509.Certificate:
        """The ``asn1crypto`` certificate, as used by pyhanko-certvalidator."""
        from asn1crypto import x509 as asn1_x509

        return asn1_x509.Certificate.load(self.der)

    @functools.cached_property
    def pem(self) -> str:
        """PEM text of the certificate."""
        import base64
        import textwrap

        body = "\n".join(textwrap.wrap(base64.b64encode(self.der).decode("ascii"), 64))
        return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"

    # -- names, serial, validity -----------------------------------------------------------------

    @functools.cached_property
    def subject(self) -> DistinguishedName:
        """The subject name."""
        if self._x509 is not None:
            return DistinguishedName.from_cryptography(self._x509.subject)
        return DistinguishedName.from_asn1(self.asn1.subject)

    @functools.cached_property
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
        serial = self.serial_number
        text = format(abs(serial), "X")
        if len(text) % 2:
            text = "0" + text
        return ("-" if serial < 0 else "") + text

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
        """Whole days from ``at`` (default now) until ``not_after``; negative once expired."""
        when = ensure_aware(at, what="at")
        return (self.not_after - when) // dt.timedelta(days=1)

    def is_valid_at(self, at: dt.datetime | None = None) -> bool:
        """True when ``at`` (default now) lies inside the validity period."""
        when = ensure_aware(at, what="at")
        return self.not_before <= when <= self.not_after

    @property
    def is_self_issued(self) -> bool:
        """Subject and issuer are the same name (a root or a self-issued CA certificate)."""
        return self.subject.rfc4514 == self.issuer.rfc4514

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
    def key_algorithm(self) -> str:
        """``"RSA"``, ``"EC"``, ``"DSA"``, ``"Ed25519"``, ``"Ed448"`` or the key OID."""
        algo = self.asn1.public_key.algorithm
        return {"rsa": "RSA", "ec": "EC", "dsa": "DSA", "ed25519": "Ed25519", "ed448": "Ed448"}.get(algo, algo)

    @functools.cached_property
    def key_size(self) -> int | None:
        """Key size in bits (the curve size for EC); ``None`` when unknown (inherited DSA parameters)."""
        try:
            return int(self.asn1.public_key.bit_size)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None

    @functools.cached_property
    def key_curve(self) -> str | None:
        """Named curve of an EC key (``"secp256r1"``), else ``None``."""
        if self.key_algorithm != "EC":
            return None
        curve = self.asn1.public_key.curve
        return str(curve[1])

    @functools.cached_property
    def signature_algorithm_oid(self) -> str:
        """Dotted OID of the signature algorithm."""
        return str(self.asn1["signature_algorithm"]["algorithm"].dotted)

    @property
    def signature_algorithm(self) -> str:
        """Friendly name of the signature algorithm (``"sha256WithRSAEncryption"``)."""
        return oid_name(self.signature_algorithm_oid)

    # -- extensions ------------------------------------------------------------------------------

    def _extension(self, oid: x509.ObjectIdentifier) -> Any:
        from cryptography import x509 as cx509

        try:
            return self.x509.extensions.get_extension_for_oid(oid).value
        except cx509.ExtensionNotFound:
            return None
        except ValueError as exc:
            raise MalformedInputError(
                f"certificate {self.subject.rfc4514!r}: malformed extension {oid_name(oid)}: {exc}"
            ) from exc

    @functools.cached_property
    def extension_oids(self) -> tuple[tuple[str, bool], ...]:
        """Every extension present as (dotted OID, critical) pairs, in certificate order."""
        return tuple((ext.oid.dotted_string, ext.critical) for ext in self.x509.extensions)

    @functools.cached_property
    def is_ca(self) -> bool:
        """The basicConstraints cA flag (False when the extension is absent)."""
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.BASIC_CONSTRAINTS)
        return bool(value and value.ca)

    @functools.cached_property
    def path_length(self) -> int | None:
        """basicConstraints pathLenConstraint, or ``None``."""
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.BASIC_CONSTRAINTS)
        return value.path_length if value is not None else None

    @functools.cached_property
    def key_usage(self) -> tuple[str, ...]:
        """Key usage bits by RFC 5280 name (``"digitalSignature"``, ``"keyCertSign"`` ...)."""
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
    def extended_key_usage(self) -> tuple[str, ...]:
        """Extended key usage purposes as dotted OIDs (see :func:`caiso_pki.oids.oid_name`)."""
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.EXTENDED_KEY_USAGE)
        return tuple(oid.dotted_string for oid in value) if value is not None else ()

    @functools.cached_property
    def subject_alt_names(self) -> SubjectAltNames:
        """Subject alternative names by type (empty when absent)."""
        from cryptography import x509 as cx509
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        if value is None:
            return SubjectAltNames()
        groups: dict[str, list[str]] = {"dns": [], "ip": [], "uri": [], "email": [], "directory": [], "other": []}
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
            else:
                groups["other"].append(str(general.value))
        return SubjectAltNames(**{key: tuple(items) for key, items in groups.items()})

    @functools.cached_property
    def policies(self) -> tuple[PolicyInformation, ...]:
        """Certificate policies with their CPS-pointer and user-notice qualifiers."""
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
                PolicyInformation(oid=info.policy_identifier.dotted_string, cps_uris=tuple(cps), user_notices=tuple(notices))
            )
        return tuple(result)

    @property
    def policy_oids(self) -> tuple[str, ...]:
        """Just the dotted policy OIDs."""
        return tuple(policy.oid for policy in self.policies)

    @functools.cached_property
    def subject_key_identifier(self) -> str | None:
        """SKI as lower-case hex, or ``None``."""
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.SUBJECT_KEY_IDENTIFIER)
        return value.digest.hex() if value is not None else None

    @functools.cached_property
    def authority_key_identifier(self) -> str | None:
        """AKI keyIdentifier as lower-case hex, or ``None``."""
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
        if value is None or value.key_identifier is None:
            return None
        return bytes(value.key_identifier).hex()

    @functools.cached_property
    def crl_distribution_points(self) -> tuple[str, ...]:
        """URLs from the CRL distribution points extension."""
        from cryptography import x509 as cx509
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.CRL_DISTRIBUTION_POINTS)
        urls: list[str] = []
        for point in value or ():
            for general in point.full_name or ():
                if isinstance(general, cx509.UniformResourceIdentifier):
                    urls.append(general.value)
        return tuple(urls)

    def _access(self, method: x509.ObjectIdentifier) -> tuple[str, ...]:
        from cryptography import x509 as cx509
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
        return tuple(
            desc.access_location.value
            for desc in value or ()
            if desc.access_method == method and isinstance(desc.access_location, cx509.UniformResourceIdentifier)
        )

    @functools.cached_property
    def ocsp_urls(self) -> tuple[str, ...]:
        """AIA OCSP responder URLs."""
        from cryptography.x509.oid import AuthorityInformationAccessOID

        return self._access(AuthorityInformationAccessOID.OCSP)

    @functools.cached_property
    def ca_issuers_urls(self) -> tuple[str, ...]:
        """AIA caIssuers URLs."""
        from cryptography.x509.oid import AuthorityInformationAccessOID

        return self._access(AuthorityInformationAccessOID.CA_ISSUERS)

    # -- output ----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description of the certificate (datetimes as ISO 8601 UTC strings)."""
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
            "key_curve": self.key_curve,
            "signature_algorithm": self.signature_algorithm,
            "is_ca": self.is_ca,
            "path_length": self.path_length,
            "key_usage": list(self.key_usage),
            "extended_key_usage": [{"oid": oid, "name": oid_name(oid)} for oid in self.extended_key_usage],
            "subject_alt_names": self.subject_alt_names.to_dict(),
            "policies": [policy.to_dict() for policy in self.policies],
            "subject_key_identifier": self.subject_key_identifier,
            "authority_key_identifier": self.authority_key_identifier,
            "crl_distribution_points": list(self.crl_distribution_points),
            "ocsp_urls": list(self.ocsp_urls),
            "ca_issuers_urls": list(self.ca_issuers_urls),
        }


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
