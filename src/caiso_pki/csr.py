"""Certificate signing requests: the :class:`Csr` value, loading, building, renewal and checking.

:func:`build_csr` turns a key and a subject into a signed PKCS#10 request (SHA-256, or SHA-384 for a
P-384 key).  Given a request ``profile`` it checks the request *before* signing and refuses, with every
violation listed, when it would not conform.  :func:`check_csr` runs the same rules on a CSR made
elsewhere (``openssl req -new``, a device's own generator); :func:`renewal_csr` repeats a certificate's
subject, SANs and EKU with the old key or a new one.  :func:`load_csr` reads a request from PEM or DER;
:attr:`Csr.signature_valid` says whether its self-signature verifies and :meth:`Csr.describe` what it
asks for.

Two checks, two questions: :func:`check_csr` asks "does this request fit the CAISO request profile
(RIG, DPG, ICCP, API or UI client) before I submit it?" and answers with
:class:`~caiso_pki.profiles.request.RequestFinding` values; :func:`caiso_pki.lint.lint_csr` asks "does
it meet the CPS profile's rules for the certificate it will become?" and answers with cited
:class:`~caiso_pki.lint.Finding` values.
"""

from __future__ import annotations

import functools
import ipaddress
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import attrs

from caiso_pki import oids
from caiso_pki._encoding import CSR_LABELS, is_rust_panic, one_block_der
from caiso_pki._key_holder import KeyHolder
from caiso_pki._key_usage import key_usage_extension, names_from_cryptography
from caiso_pki._source import read_source
from caiso_pki.errors import (
    InvalidSubjectError,
    MalformedInputError,
    ProfileViolationError,
    UnsupportedAlgorithmError,
)
from caiso_pki.general_names import SubjectAltNames
from caiso_pki.keys import KeySpec, generate_private_key, is_signing_key, key_usage_fits, key_usage_name
from caiso_pki.name import DistinguishedName
from caiso_pki.oids import _object_identifier, oid_name
from caiso_pki.profiles.request import (
    RequestContent,
    RequestProfile,
    builtin_request_profiles,
    dns_name_problem,
    load_request_profile,
)
from caiso_pki.subject import Subject, validate_attribute

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes, PrivateKeyTypes
    from rich.console import RenderableType

    from caiso_pki.certificate import Certificate
    from caiso_pki.keys import PrivateKey
    from caiso_pki.profiles.request import RequestFinding
    from caiso_pki.types import CsrInput, JsonDict, SourceInput

__all__ = [
    "Csr",
    "CsrDescription",
    "RenewalRequest",
    "build_csr",
    "check_csr",
    "load_csr",
    "renewal_csr",
    "request_content",
]


def _key_algorithm(key: object) -> str:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    for cls, label in (
        (rsa.RSAPublicKey, "RSA"),
        (ec.EllipticCurvePublicKey, "EC"),
        (dsa.DSAPublicKey, "DSA"),
        (ed25519.Ed25519PublicKey, "Ed25519"),
        (ed448.Ed448PublicKey, "Ed448"),
    ):
        if isinstance(key, cls):
            return label
    return type(key).__name__


@attrs.frozen
class CsrDescription:
    """What a CSR asks for, JSON-ready through :meth:`to_dict`."""

    subject: DistinguishedName
    key_algorithm: str
    key_size: int | None
    key_curve: str | None
    key_spec: str | None
    signature_algorithm: str
    signature_valid: bool
    subject_alt_names: SubjectAltNames
    key_usage: tuple[str, ...] | None
    extended_key_usage: tuple[str, ...] | None
    is_ca: bool
    requested_extensions: tuple[tuple[str, str, bool], ...]
    challenge_password: bool

    def to_dict(self) -> JsonDict:
        """JSON-ready form; extended key usages appear as friendly names with their OIDs."""
        return {
            "subject": self.subject.to_dict(),
            "key": {
                "algorithm": self.key_algorithm,
                "size": self.key_size,
                "curve": self.key_curve,
                "spec": self.key_spec,
            },
            "signature_algorithm": self.signature_algorithm,
            "signature_valid": self.signature_valid,
            "subject_alt_names": self.subject_alt_names.to_dict(),
            "key_usage": list(self.key_usage) if self.key_usage is not None else None,
            "extended_key_usage": (
                [{"oid": o, "name": oid_name(o)} for o in self.extended_key_usage]
                if self.extended_key_usage is not None
                else None
            ),
            "is_ca": self.is_ca,
            "requested_extensions": [
                {"oid": o, "name": n, "critical": c} for o, n, c in self.requested_extensions
            ],
            "challenge_password": self.challenge_password,
        }


@attrs.frozen(eq=False, hash=False)
class Csr:
    """A PKCS#10 certificate signing request: PEM, DER, the ``cryptography`` object and views of it."""

    x509: x509.CertificateSigningRequest = attrs.field(repr=False)

    @functools.cached_property
    def der(self) -> bytes:
        """DER encoding."""
        from cryptography.hazmat.primitives.serialization import Encoding

        return self.x509.public_bytes(Encoding.DER)

    @functools.cached_property
    def pem(self) -> str:
        """PEM text."""
        from cryptography.hazmat.primitives.serialization import Encoding

        return self.x509.public_bytes(Encoding.PEM).decode("ascii")

    @functools.cached_property
    def subject(self) -> DistinguishedName:
        """The requested subject name."""
        return DistinguishedName.from_cryptography(self.x509.subject)

    @property
    def public_key(self) -> CertificatePublicKeyTypes:
        """The public key the request carries."""
        return self.x509.public_key()

    @functools.cached_property
    def key_spec(self) -> KeySpec | None:
        """The key's :class:`KeySpec`; ``None`` for keys caiso-pki does not generate (RSA-1024, Ed25519)."""
        try:
            return KeySpec.of_key(self.public_key)
        except UnsupportedAlgorithmError:
            return None

    @functools.cached_property
    def signature_valid(self) -> bool:
        """True when the request's self-signature verifies with its own public key."""
        return _signature_valid(self.x509)

    def _extension(self, oid: cx509.ObjectIdentifier) -> Any:
        from cryptography import x509 as cx509

        try:
            return self.x509.extensions.get_extension_for_oid(oid).value
        except cx509.ExtensionNotFound:
            return None
        except ValueError as exc:
            raise MalformedInputError(
                f"CSR {self.subject.rfc4514!r}: malformed requested extensions: {exc}"
            ) from exc

    @functools.cached_property
    def subject_alt_names(self) -> SubjectAltNames:
        """Requested subject alternative names by type."""
        from cryptography.x509.oid import ExtensionOID

        return SubjectAltNames.from_cryptography(self._extension(ExtensionOID.SUBJECT_ALTERNATIVE_NAME))

    @functools.cached_property
    def key_usage(self) -> tuple[str, ...] | None:
        """Requested key usage names, or ``None`` when the request has no keyUsage extension."""
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.KEY_USAGE)
        return names_from_cryptography(value) if value is not None else None

    @functools.cached_property
    def extended_key_usage(self) -> tuple[str, ...] | None:
        """Requested extended key usages as dotted OIDs, or ``None`` when there is no such extension."""
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.EXTENDED_KEY_USAGE)
        return tuple(oid.dotted_string for oid in value) if value is not None else None

    @functools.cached_property
    def is_ca(self) -> bool:
        """True when the request asks for basicConstraints cA=TRUE."""
        from cryptography.x509.oid import ExtensionOID

        value = self._extension(ExtensionOID.BASIC_CONSTRAINTS)
        return bool(value is not None and value.ca)

    @functools.cached_property
    def requested_extensions(self) -> tuple[tuple[str, str, bool], ...]:
        """Every requested extension as (dotted OID, name, critical)."""
        try:
            return tuple((e.oid.dotted_string, oid_name(e.oid), e.critical) for e in self.x509.extensions)
        except ValueError as exc:
            raise MalformedInputError(
                f"CSR {self.subject.rfc4514!r}: malformed requested extensions: {exc}"
            ) from exc

    @functools.cached_property
    def signature_hash(self) -> str | None:
        """Name of the signature's hash (``"sha256"``), or ``None`` (Ed25519, unknown algorithms)."""
        from cryptography.exceptions import UnsupportedAlgorithm

        try:
            algorithm = self.x509.signature_hash_algorithm
        except (UnsupportedAlgorithm, ValueError):
            return None
        return algorithm.name if algorithm is not None else None

    def describe(self) -> CsrDescription:
        """A structured view: subject, key, SANs, requested extensions and whether the signature verifies."""
        from cryptography.x509.oid import AttributeOID

        key = self.public_key
        algorithm = _key_algorithm(key)
        size = getattr(key, "key_size", None)
        curve = getattr(getattr(key, "curve", None), "name", None)
        from cryptography import x509 as cx509

        try:
            self.x509.attributes.get_attribute_for_oid(AttributeOID.CHALLENGE_PASSWORD)
            challenge = True
        except (cx509.AttributeNotFound, ValueError):
            challenge = False
        return CsrDescription(
            subject=self.subject,
            key_algorithm=algorithm,
            key_size=size,
            key_curve=curve,
            key_spec=str(self.key_spec) if self.key_spec is not None else None,
            signature_algorithm=oid_name(self.x509.signature_algorithm_oid),
            signature_valid=self.signature_valid,
            subject_alt_names=self.subject_alt_names,
            key_usage=self.key_usage,
            extended_key_usage=self.extended_key_usage,
            is_ca=self.is_ca,
            requested_extensions=self.requested_extensions,
            challenge_password=challenge,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Csr):
            return NotImplemented
        return self.der == other.der

    def __hash__(self) -> int:
        return hash(self.der)

    def __reduce__(self) -> tuple[Callable[[bytes], Csr], tuple[bytes]]:
        """Pickle the DER only (the ``cryptography`` object refuses pickling); unpickling parses it again."""
        return _unpickle_csr, (self.der,)

    def __repr__(self) -> str:
        return f"<Csr subject={self.subject.rfc4514!r}>"

    def _repr_html_(self) -> str:
        from caiso_pki.display import csr_html

        return csr_html(self)

    def __rich__(self) -> RenderableType:
        from caiso_pki.display import csr_rich

        return csr_rich(self)

    def to_dict(self) -> JsonDict:
        """JSON-ready description (see :meth:`describe`)."""
        return self.describe().to_dict()


def _unpickle_csr(der: bytes) -> Csr:
    """The request a pickle holds (see :meth:`Csr.__reduce__`)."""
    from cryptography import x509 as cx509

    return Csr(cx509.load_der_x509_csr(der))


@attrs.frozen
class RenewalRequest(KeyHolder):
    """A renewal CSR and the private key that signed it (a new key when re-keyed).

    The key is left out of ``repr`` so the value can be logged safely.
    """

    csr: Csr
    key: PrivateKey = attrs.field(repr=False)
    rekeyed: bool = attrs.field(default=False, kw_only=True)


# -- helpers ---------------------------------------------------------------------------------------


def _signature_valid(csr: x509.CertificateSigningRequest) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    try:
        if csr.is_signature_valid:
            return True
    except Exception:  # cryptography raises assorted types for odd algorithms; retried by hand below
        valid = False
    # cryptography refuses legacy hashes (SHA-1) outright; verify those by hand so that a SHA-1 request
    # is reported as weak (REQ-SIGNATURE-HASH), not as forged.
    try:
        algorithm = csr.signature_hash_algorithm
        key = csr.public_key()
        if algorithm is None:
            return False
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(csr.signature, csr.tbs_certrequest_bytes, padding.PKCS1v15(), algorithm)
            valid = True
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(csr.signature, csr.tbs_certrequest_bytes, ec.ECDSA(algorithm))
            valid = True
        else:
            valid = False
    except InvalidSignature:
        valid = False
    except Exception:  # unsupported algorithm or parameters (RSA-PSS ...): cannot be shown valid
        valid = False
    return valid


def _key_usage_ext(names: Iterable[str]) -> x509.KeyUsage:
    return _key_usage_cached(frozenset(names))


@functools.lru_cache(maxsize=64)
def _key_usage_by_names(names: tuple[str, ...]) -> x509.KeyUsage:
    return _key_usage_cached(frozenset(names))


@functools.lru_cache(maxsize=64)
def _key_usage_cached(chosen: frozenset[str]) -> x509.KeyUsage:
    return key_usage_extension(chosen)


@functools.lru_cache(maxsize=64)
def _eku_extension(values: tuple[str, ...]) -> tuple[x509.ExtendedKeyUsage | None, tuple[str, ...]]:
    """The extension object (``None`` for no purposes) and the dotted OIDs, cached by the names given."""
    from cryptography import x509 as cx509

    oids = [_object_identifier(value) for value in values]
    return (cx509.ExtendedKeyUsage(oids) if oids else None), tuple(oid.dotted_string for oid in oids)


@functools.lru_cache(maxsize=64)
def _usage_names(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(key_usage_name(name) for name in values)


@functools.lru_cache(maxsize=4)
def _hash_cached(name: str) -> Any:
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA384() if name == "sha384" else hashes.SHA256()


def _hash_for(spec: KeySpec) -> Any:
    return _hash_cached(spec.hash_name)


def _as_subject(subject: Subject | str) -> Subject:
    if isinstance(subject, Subject):
        return subject
    if isinstance(subject, str):
        return Subject.parse(subject)
    raise InvalidSubjectError(
        f"subject must be a Subject or an RFC 4514 string, got {type(subject).__name__}"
    )


def _strings(values: Iterable[str] | str | None, what: str) -> tuple[str, ...]:
    from caiso_pki._convert import texts

    return () if values is None else texts(values, what)


def _ips(
    values: Iterable[str | ipaddress.IPv4Address | ipaddress.IPv6Address] | str | None,
) -> tuple[Any, ...]:
    from caiso_pki._convert import instances

    if values is None:
        return ()
    kinds = (str, ipaddress.IPv4Address, ipaddress.IPv6Address)
    items = (values,) if isinstance(values, str) else instances(values, kinds, "ip_addresses", "IP addresses")
    result = []
    for item in items:
        try:
            result.append(ipaddress.ip_address(item))
        except ValueError as exc:
            raise MalformedInputError(f"ip_addresses: {item!r} is not an IPv4 or IPv6 address") from exc
    return tuple(result)


def _validate_sans(
    dns: tuple[str, ...], uris: tuple[str, ...], emails: tuple[str, ...], *, dns_checked: bool
) -> None:
    if dns and not dns_checked:
        for name in dns:
            problem = dns_name_problem(name)
            if problem is not None:
                raise MalformedInputError(f"dns_names: {problem}")
    for uri in uris:
        if not uri.isascii() or not urlsplit(uri).scheme or any(c.isspace() for c in uri):
            raise MalformedInputError(f"uris: {uri!r} is not an absolute ASCII URI like 'https://host/path'")
    for email in emails:
        problem = validate_attribute(oids.EMAIL_ADDRESS, email)
        if problem is not None:
            raise MalformedInputError(f"emails: {problem}")


@functools.cache
def _builtin_profiles() -> dict[str, RequestProfile]:
    return builtin_request_profiles()


def _resolve_profile(profile: RequestProfile | str | os.PathLike[str] | None) -> RequestProfile | None:
    if profile is None:
        return None
    if isinstance(profile, RequestProfile):
        return profile
    builtin = _builtin_profiles().get(profile) if isinstance(profile, str) else None
    return builtin if builtin is not None else load_request_profile(profile)


def _raise_violations(profile: RequestProfile, findings: tuple[RequestFinding, ...]) -> None:
    errors = [finding for finding in findings if finding.severity == "error"]
    if errors:
        summary = "; ".join(f"{finding.code}: {finding.message}" for finding in errors)
        raise ProfileViolationError(
            f"the request breaks profile {profile.name!r} ({len(errors)} problem(s)): {summary}",
            findings=findings,
        )


def _sign(
    key: PrivateKey,
    spec: KeySpec,
    name: x509.Name,
    extensions: Iterable[tuple[x509.ExtensionType, bool]],
    challenge_password: str | None,
) -> Csr:
    from cryptography import x509 as cx509

    builder = cx509.CertificateSigningRequestBuilder().subject_name(name)
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    if challenge_password is not None:
        from cryptography.x509.oid import AttributeOID

        from caiso_pki._convert import text

        text(challenge_password, "challenge_password")
        if not challenge_password or not challenge_password.isascii() or not challenge_password.isprintable():
            raise MalformedInputError("challenge_password must be non-empty printable ASCII")
        builder = builder.add_attribute(AttributeOID.CHALLENGE_PASSWORD, challenge_password.encode("ascii"))
    try:
        return Csr(builder.sign(key, _hash_for(spec)))
    except (TypeError, ValueError) as exc:
        raise MalformedInputError(f"cannot sign the request: {exc}") from exc


# -- public API ------------------------------------------------------------------------------------


def _signing_key(key: PrivateKeyTypes) -> tuple[PrivateKey, KeySpec]:
    spec = KeySpec.of_key(key)
    if not is_signing_key(key):
        raise UnsupportedAlgorithmError(f"a private key is needed to sign a CSR, got {type(key).__name__}")
    return key, spec  # type: ignore[return-value]


def build_csr(
    key: PrivateKeyTypes,
    subject: Subject | str,
    *,
    dns_names: Iterable[str] | str = (),
    ip_addresses: Iterable[str | ipaddress.IPv4Address | ipaddress.IPv6Address] | str = (),
    uris: Iterable[str] | str = (),
    emails: Iterable[str] | str = (),
    key_usage: Iterable[str] | None = None,
    extended_key_usage: Iterable[str] | None = None,
    challenge_password: str | None = None,
    profile: RequestProfile | str | os.PathLike[str] | None = None,
) -> Csr:
    """Build and sign a PKCS#10 request for ``key`` (SHA-256; SHA-384 for a P-384 key).

    ``subject`` is a :class:`Subject` or an RFC 4514 string.  ``key_usage`` names RFC 5280 bits
    (``"digitalSignature"``); ``extended_key_usage`` takes names (``"clientAuth"``) or dotted OIDs.  With
    a ``profile`` (a :class:`RequestProfile`, a built-in name such as ``"rig"`` or a TOML path) the
    usages default to the profile's, and a request that breaks the profile is not signed:
    :class:`ProfileViolationError` carries every finding in ``.findings``.  Without a profile no
    keyUsage/extendedKeyUsage extension is added unless asked for.
    """
    from cryptography import x509 as cx509

    signing_key, spec = _signing_key(key)
    chosen = _as_subject(subject)
    dns = _strings(dns_names, "dns_names")
    ips = _ips(ip_addresses)
    uri_list = _strings(uris, "uris")
    email_list = _strings(emails, "emails")
    resolved = _resolve_profile(profile)
    if key_usage is None:
        ku = resolved.key_usage_for(spec) if resolved is not None else ()
    else:
        ku = _usage_names(_strings(key_usage, "key_usage"))
    if extended_key_usage is None:
        eku_values = resolved.extended_key_usage if resolved is not None else ()
    else:
        eku_values = _strings(extended_key_usage, "extended_key_usage")
    eku, eku_dotted = _eku_extension(tuple(eku_values))

    if resolved is not None:
        eku_requested = eku_dotted or None
        if not resolved._accepts(
            spec, chosen.attributes, (dns, ips, uri_list, email_list), ku or None, eku_requested
        ):
            content = RequestContent(
                key_spec=spec,
                key_label=str(spec),
                subject=chosen.attributes,
                dns=dns,
                ip=tuple(map(str, ips)),
                uri=uri_list,
                email=email_list,
                key_usage=ku or None,
                extended_key_usage=eku_requested,
                subject_checked=True,
            )
            _raise_violations(resolved, resolved.check(content))
    # with a profile, DNS syntax was already checked (REQ-SAN-SYNTAX is an error)
    if uri_list or email_list or (dns and resolved is None):
        _validate_sans(dns, uri_list, email_list, dns_checked=resolved is not None)

    extensions: list[tuple[cx509.ExtensionType, bool]] = []
    general: list[cx509.GeneralName] = [cx509.DNSName(name) for name in dns]
    general.extend(cx509.IPAddress(ip) for ip in ips)
    general.extend(cx509.UniformResourceIdentifier(uri) for uri in uri_list)
    general.extend(cx509.RFC822Name(email) for email in email_list)
    if general:
        extensions.append((cx509.SubjectAlternativeName(general), False))
    if ku:
        extensions.append((_key_usage_by_names(ku), True))
    if eku is not None:
        extensions.append((eku, False))
    return _sign(signing_key, spec, chosen.x509_name, extensions, challenge_password)


def load_csr(source: SourceInput) -> Csr:
    """Load a PKCS#10 certificate signing request from PEM or DER."""
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm

    data, name = read_source(source, what="CSR")
    der = one_block_der(data, name, CSR_LABELS, "CERTIFICATE REQUEST")
    try:
        parsed = x509.load_der_x509_csr(der)
        # Force every lazy parse so damage surfaces here, not in a later view.
        parsed.subject  # noqa: B018
        parsed.extensions  # noqa: B018
        list(parsed.attributes)
        parsed.signature_algorithm_oid  # noqa: B018
        parsed.public_key()
    except UnsupportedAlgorithm as exc:
        raise UnsupportedAlgorithmError(f"{name}: the CSR's key algorithm is not supported") from exc
    except (
        ValueError,
        TypeError,  # cryptography refuses some name attribute types (BIT STRING outside x500UniqueIdentifier)
        x509.InvalidVersion,
        x509.DuplicateExtension,
        x509.UnsupportedGeneralNameType,
    ) as exc:
        raise MalformedInputError(f"{name}: not a valid certificate signing request") from exc
    except BaseException as exc:
        if is_rust_panic(exc):
            raise MalformedInputError(f"{name}: not a valid certificate signing request") from exc
        raise
    return Csr(parsed)


def _as_csr(csr: CsrInput) -> Csr:
    if isinstance(csr, Csr):
        return csr
    from cryptography import x509 as cx509

    if isinstance(csr, cx509.CertificateSigningRequest):
        return Csr(csr)
    return load_csr(csr)


def request_content(csr: CsrInput) -> RequestContent:
    """What a parsed CSR asks for, in the form the profile rules read."""
    parsed = _as_csr(csr)
    spec = parsed.key_spec
    if spec is not None:
        label = str(spec)
    else:
        key = parsed.public_key
        size = getattr(key, "key_size", None)
        curve = getattr(getattr(key, "curve", None), "name", None)
        label = _key_algorithm(key) + (f"-{curve}" if curve else f"-{size}" if size else "")
    subject = tuple(
        (attr.oid.dotted_string, attr.value if isinstance(attr.value, str) else attr.value.hex())
        for attr in parsed.x509.subject
    )
    sans = parsed.subject_alt_names
    return RequestContent(
        key_spec=spec,
        key_label=label,
        subject=subject,
        dns=sans.dns,
        ip=sans.ip,
        uri=sans.uri,
        email=sans.email,
        other_sans=sans.directory + sans.other,
        key_usage=parsed.key_usage,
        extended_key_usage=parsed.extended_key_usage,
        is_ca=parsed.is_ca,
        signature_valid=parsed.signature_valid,
        signature_hash=parsed.signature_hash,
    )


def check_csr(csr: CsrInput, profile: RequestProfile | str | os.PathLike[str]) -> tuple[RequestFinding, ...]:
    """Does this CSR fit a CAISO request profile?  Every finding; empty when it conforms.

    Use it before you submit a request, on a CSR made anywhere (``openssl req``, a device's own
    generator): ``profile`` is a :class:`RequestProfile`, a built-in name (``"rig"``, ``"dpg"``,
    ``"iccp"``, ``"api-client"``, ``"ui-client"``) or a TOML path, and the findings are
    :class:`~caiso_pki.profiles.request.RequestFinding` values with ``REQ-...`` codes.  Besides the
    profile rules this reports a self-signature that does not verify (``REQ-SIGNATURE``), a SHA-1/MD5
    signature and a request for cA=TRUE.  :func:`build_csr` runs the same rules before it signs.

    Its companion :func:`caiso_pki.lint.lint_csr` answers another question: does the request meet the
    *CPS* profile's rules for the kind of certificate it will become, each finding citing the CPS
    section it breaks?  Run ``check_csr`` to submit a request CAISO accepts, ``lint_csr`` to audit it
    against the CPS.
    """
    resolved = load_request_profile(profile)
    return resolved.check(request_content(csr))


def _public_der(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(
        key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def renewal_csr(
    cert: Certificate | x509.Certificate | SourceInput,
    key: PrivateKeyTypes | None,
    *,
    new_key_spec: KeySpec | str | None = None,
) -> RenewalRequest:
    """A CSR to renew ``cert``: the same subject (byte for byte), SANs and EKU, and its key usages.

    Without ``new_key_spec`` the request is signed with ``key``, which must be the certificate's key.
    With ``new_key_spec`` (re-key) a fresh key is generated and returned in the result; ``key`` may be
    ``None`` then, and when given it must still match the certificate.  Key usages that the new key
    type cannot perform (keyEncipherment for EC) are dropped.
    """
    from cryptography import x509 as cx509
    from cryptography.x509.oid import ExtensionOID

    from caiso_pki.certificate import Certificate

    if isinstance(cert, Certificate):
        certificate = cert
    elif isinstance(cert, cx509.Certificate):
        certificate = Certificate.from_cryptography(cert)
    else:
        from caiso_pki.certificate import load_certificate

        certificate = load_certificate(cert)
    what = f"certificate {certificate.subject.rfc4514!r}"
    if key is not None:
        try:
            matches = _public_der(key.public_key()) == _public_der(certificate.x509.public_key())
        except (AttributeError, TypeError, ValueError) as exc:
            raise MalformedInputError(f"{what}: cannot compare the private key with the certificate") from exc
        if not matches:
            raise MalformedInputError(f"{what}: the private key given does not belong to this certificate")
    if new_key_spec is None:
        if key is None:
            raise MalformedInputError(
                f"{what}: renewal needs the certificate's key, or new_key_spec to re-key"
            )
        signing_key, spec = _signing_key(key)
    else:
        signing_key = generate_private_key(new_key_spec)
        spec = KeySpec.of_key(signing_key)

    extensions: list[tuple[cx509.ExtensionType, bool]] = []
    try:
        for extension in certificate.x509.extensions:
            if extension.oid in (ExtensionOID.SUBJECT_ALTERNATIVE_NAME, ExtensionOID.EXTENDED_KEY_USAGE):
                extensions.append((extension.value, extension.critical))
            elif extension.oid == ExtensionOID.KEY_USAGE:
                usages = [u for u in names_from_cryptography(extension.value) if key_usage_fits(u, spec)]
                if usages:
                    extensions.append((_key_usage_ext(usages), extension.critical))
    except ValueError as exc:
        raise MalformedInputError(f"{what}: malformed extensions: {exc}") from exc
    csr = _sign(signing_key, spec, certificate.x509.subject, extensions, None)
    return RenewalRequest(csr=csr, key=signing_key, rekeyed=new_key_spec is not None)
