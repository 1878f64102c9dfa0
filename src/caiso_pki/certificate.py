"""The certificate view: a frozen, readable model of an X.509 certificate, and its loaders.

:class:`Certificate` wraps the DER bytes and exposes what people and programs ask of a certificate:
names, serial, validity, fingerprints, key, extensions.  It is the one certificate type passed around
inside caiso-pki; ``Certificate.x509`` gives the underlying ``cryptography`` object and
``Certificate.asn1`` the ``asn1crypto`` one (used by path validation).  :func:`load_certificates` and
:func:`load_certificate` read PEM, DER and PKCS#7 into it.

The values a certificate holds have their own modules, re-exported here: names
(:class:`~caiso_pki.name.DistinguishedName`), subject alternative names
(:class:`~caiso_pki.general_names.SubjectAltNames`) and policies
(:class:`~caiso_pki.policy.PolicyInformation`).

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
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

import attrs
from cryptography.x509.oid import SignatureAlgorithmOID

from caiso_pki import oids
from caiso_pki._certificate_der import check_asn1, faithful_asn1, parse_cryptography, spki_algorithm_oid
from caiso_pki._encoding import ASN1_ERRORS, certificate_ders, der_element_length, is_rust_panic
from caiso_pki._key_usage import names_from_asn1, names_from_cryptography
from caiso_pki._source import read_source
from caiso_pki._time import ensure_aware, iso
from caiso_pki.errors import CaisoPkiError, MalformedInputError
from caiso_pki.general_names import SubjectAltNames
from caiso_pki.name import DistinguishedName
from caiso_pki.oids import oid_name
from caiso_pki.policy import PolicyInformation, UserNotice

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509 as cx509
    from rich.console import RenderableType

    from caiso_pki.types import JsonDict, SourceInput

__all__ = [
    "Certificate",
    "DistinguishedName",
    "PolicyInformation",
    "SubjectAltNames",
    "TrailingDataError",
    "UnsupportedCertificateError",
    "UserNotice",
    "certificate_summary",
    "ensure_aware",
    "load_certificate",
    "load_certificates",
    "serial_to_hex",
]

_T = TypeVar("_T")


class UnsupportedCertificateError(MalformedInputError):
    """``cryptography`` cannot parse this certificate, so the requested view is not available."""


class TrailingDataError(MalformedInputError):
    """A DER certificate followed by bytes that are not part of it."""


def serial_to_hex(serial: int) -> str:
    """A serial number in upper-case hex with an even number of digits, as ``openssl -serial`` prints it.

    Negative serials (invalid, but found in the wild and in PKITS) keep their sign: ``-01``.
    """
    text = format(abs(serial), "X")
    if len(text) % 2:
        text = "0" + text
    return ("-" if serial < 0 else "") + text


@contextmanager
def _reading(label: str, what: str) -> Iterator[None]:
    """Turn a dependency's parse error while reading ``what`` into :class:`MalformedInputError`."""
    from cryptography import x509 as cx509

    try:
        yield
    except CaisoPkiError:
        raise
    except (*ASN1_ERRORS, cx509.DuplicateExtension, cx509.UnsupportedGeneralNameType) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MalformedInputError(f"{label}: cannot read {what}: {reason}") from exc
    except BaseException as exc:
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


#: Key algorithm OIDs asn1crypto (and so path validation) knows, with asn1crypto's name for each.
_KEY_ALGORITHM_OIDS: Final = {
    oids.RSA_ENCRYPTION: "rsa",
    oids.RSASSA_PSS: "rsassa_pss",
    oids.EC_PUBLIC_KEY: "ec",
    oids.DSA: "dsa",
    oids.ED25519: "ed25519",
    oids.ED448: "ed448",
    oids.X25519: "x25519",
    oids.X448: "x448",
}
#: Signature algorithms caiso-pki can verify (RSA PKCS#1 v1.5 and PSS, ECDSA, EdDSA, DSA).
_SUPPORTED_SIGNATURES: Final = frozenset(
    oid.dotted_string
    for oid in (
        SignatureAlgorithmOID.RSA_WITH_MD5,
        SignatureAlgorithmOID.RSA_WITH_SHA1,
        SignatureAlgorithmOID.RSASSA_PSS,
        SignatureAlgorithmOID.RSA_WITH_SHA256,
        SignatureAlgorithmOID.RSA_WITH_SHA384,
        SignatureAlgorithmOID.RSA_WITH_SHA512,
        SignatureAlgorithmOID.RSA_WITH_SHA224,
        SignatureAlgorithmOID.ECDSA_WITH_SHA1,
        SignatureAlgorithmOID.ECDSA_WITH_SHA224,
        SignatureAlgorithmOID.ECDSA_WITH_SHA256,
        SignatureAlgorithmOID.ECDSA_WITH_SHA384,
        SignatureAlgorithmOID.ECDSA_WITH_SHA512,
        SignatureAlgorithmOID.ED25519,
        SignatureAlgorithmOID.ED448,
        SignatureAlgorithmOID.DSA_WITH_SHA1,
        SignatureAlgorithmOID.DSA_WITH_SHA224,
        SignatureAlgorithmOID.DSA_WITH_SHA256,
    )
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


#: Threads whose asn1crypto parse of one certificate is kept (see :attr:`Certificate.asn1`).
_MAX_ASN1_THREADS: Final = 64


@attrs.frozen(eq=False, hash=False)
class Certificate:
    """A parsed X.509 certificate: DER bytes plus a readable, JSON-ready view.

    Build one with :func:`caiso_pki.load_certificate`, :meth:`from_der` or :meth:`from_cryptography`.
    Two ``Certificate`` objects are equal when their DER bytes are equal.
    """

    der: bytes = attrs.field(repr=False)
    _x509: cx509.Certificate | None = attrs.field(repr=False, default=None, alias="x509_obj", kw_only=True)
    source_name: str | None = attrs.field(repr=False, default=None, kw_only=True)
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
        length = der_element_length(der)
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
        parsed = parse_cryptography(der)
        try:
            check_asn1(der, full=parsed is None)
        except ASN1_ERRORS as exc:
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

    def __reduce__(self) -> tuple[Callable[[bytes, str | None], Certificate], tuple[bytes, str | None]]:
        """Pickle the DER and the source name only; unpickling parses the DER again.

        The ``cryptography`` object refuses pickling, and the parsed views are caches: the copy
        rebuilds them on first use, as a freshly loaded certificate does.
        """
        return _unpickle_certificate, (self.der, self.source_name)

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
            found = faithful_asn1(self.der)
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

        Raises :class:`~caiso_pki.errors.InvalidTimeError` for a naive datetime.
        """
        when = ensure_aware(at, what="at")
        return (self.not_after - when) // dt.timedelta(days=1)

    def is_valid_at(self, at: dt.datetime | None = None) -> bool:
        """True when ``at`` (default now) lies inside the validity period (both ends inclusive).

        Compared as :meth:`validity_at` does, at the whole second.  Raises
        :class:`~caiso_pki.errors.InvalidTimeError` for a naive datetime.
        """
        return self.validity_at(at) == "valid"

    def validity_at(self, at: dt.datetime | None = None) -> Literal["not-yet-valid", "valid", "expired"]:
        """Where ``at`` (default now) falls against the validity period, compared at the whole second.

        Certificate times have a granularity of one second (RFC 5280 4.1.2.5.1 and 4.1.2.5.2: seconds
        present, no fractions), and the period runs "from notBefore through notAfter, inclusive": the
        second notAfter names is inside it whole.  So ``at`` is truncated to its second first: 5 ms
        after a notAfter of 00:00:00 is still valid, 00:00:00.999 is before a notBefore of 00:00:01.
        Raises :class:`~caiso_pki.errors.InvalidTimeError` for a naive datetime.
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
        except (*ASN1_ERRORS, UnboundLocalError):  # asn1crypto trips on curves it does not know
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
        except (*ASN1_ERRORS, cx509.DuplicateExtension, cx509.UnsupportedGeneralNameType):
            return None
        except BaseException as exc:
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
            return names_from_asn1(asn1_value.native) if asn1_value is not None else ()
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.KEY_USAGE)
        return names_from_cryptography(value) if value is not None else ()

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
            return SubjectAltNames.from_asn1(self._asn1_extension("subject_alt_name"))
        from cryptography.x509.oid import ExtensionOID

        return SubjectAltNames.from_cryptography(self._extension(ExtensionOID.SUBJECT_ALTERNATIVE_NAME))

    @functools.cached_property
    @_view("certificate policies")
    def policies(self) -> tuple[PolicyInformation, ...]:
        """Certificate policies with their CPS-pointer and user-notice qualifiers."""
        if self._asn1_views:
            value = self._asn1_extension("certificate_policies")
            return tuple(PolicyInformation.from_asn1(info) for info in value or ())
        from cryptography.x509.oid import ExtensionOID

        policies = self._extension(ExtensionOID.CERTIFICATE_POLICIES)
        return tuple(PolicyInformation.from_cryptography(info) for info in policies or ())

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
                    urls.extend(SubjectAltNames.from_asn1(name.chosen).uri)
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
        return tuple(url for method, url in self._access_descriptions if method == oids.AIA_OCSP)

    @property
    def ca_issuers_urls(self) -> tuple[str, ...]:
        """AIA caIssuers URLs."""
        return tuple(url for method, url in self._access_descriptions if method == oids.AIA_CA_ISSUERS)

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
            "not_before": iso(self.not_before),
            "not_after": iso(self.not_after),
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


def _unpickle_certificate(der: bytes, source_name: str | None) -> Certificate:
    """The certificate a pickle holds (see :meth:`Certificate.__reduce__`), parsed as it was first."""
    return Certificate(der, x509_obj=parse_cryptography(der), source_name=source_name)


#: The views that read an extension (attribute, extension OID) for :meth:`Certificate.unreadable`.
_EXTENSION_VIEWS: Final = (
    ("extension_oids", ""),
    ("key_curve", ""),
    ("_basic_constraints", oids.BASIC_CONSTRAINTS),
    ("key_usage", oids.KEY_USAGE),
    ("extended_key_usage", oids.EXTENDED_KEY_USAGE),
    ("subject_alt_names", oids.SUBJECT_ALT_NAME),
    ("policies", oids.CERTIFICATE_POLICIES),
    ("subject_key_identifier", oids.SUBJECT_KEY_IDENTIFIER),
    ("authority_key_identifier", oids.AUTHORITY_KEY_IDENTIFIER),
    ("crl_distribution_points", oids.CRL_DISTRIBUTION_POINTS),
    ("_access_descriptions", oids.AUTHORITY_INFO_ACCESS),
)


def certificate_summary(cert: Certificate) -> JsonDict:
    """The short JSON form of a certificate that reports list: names, serial, validity, fingerprint.

    Audit entries, connection reports and validation paths all show a certificate this way, so a
    program reading one report reads the others; :meth:`Certificate.to_dict` is the full form.
    """
    return {
        "subject": cert.subject.rfc4514,
        "issuer": cert.issuer.rfc4514,
        "serial": cert.serial_hex,
        "not_before": iso(cert.not_before),
        "not_after": iso(cert.not_after),
        "fingerprint_sha256": cert.fingerprint_sha256,
    }


# -- loading -------------------------------------------------------------------------------------


def load_certificates(source: SourceInput) -> list[Certificate]:
    """Load every certificate in ``source``: PEM (one or many blocks), DER, or PKCS#7 in PEM or DER.

    Non-certificate PEM blocks beside certificates (a key in a combined file) are skipped; a source with
    no certificate at all raises :class:`MalformedInputError` saying what it held instead.
    """
    data, name = read_source(source, what="certificate")
    return [Certificate.from_der(der, source_name=name) for der in certificate_ders(data, name)]


def load_certificate(source: SourceInput) -> Certificate:
    """Load exactly one certificate; raise :class:`MalformedInputError` when there are none or several."""
    data, name = read_source(source, what="certificate")
    certs = [Certificate.from_der(der, source_name=name) for der in certificate_ders(data, name)]
    if len(certs) != 1:
        raise MalformedInputError(f"{name}: expected exactly one certificate, found {len(certs)}")
    return certs[0]
