"""Validation options, checked and converted once at the boundary.

:class:`~caiso_pki.validation.Validator` runs these converters when it is built, so a bad option fails
right there with a :class:`~caiso_pki.errors.MalformedInputError` naming the option and the value, and
everything inside can trust its inputs.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, cast

import attrs

from caiso_pki._key_usage import KEY_USAGE_BITS
from caiso_pki.certificate import Certificate, ensure_aware, load_certificates
from caiso_pki.errors import InvalidTimeError, MalformedInputError, UnknownOidError
from caiso_pki.oids import parse_oid
from caiso_pki.policy import PolicyRequirement
from caiso_pki.types import (
    CertificateHolder,
    CertificateInput,
    CertificatesInput,
    CrlsInput,
    OcspsInput,
    TrustInput,
)

if TYPE_CHECKING:
    from asn1crypto import crl as asn1_crl
    from asn1crypto import ocsp as asn1_ocsp

    from caiso_pki.truststore import TrustEntry, TrustStore

__all__ = [
    "AlgorithmPolicy",
    "Anchor",
    "PathBudget",
    "Profile",
    "ProgressCallback",
    "RevocationMode",
    "TrustSet",
]

RevocationMode: TypeAlias = Literal["off", "soft-fail", "hard-fail", "require"]
Profile: TypeAlias = Literal["rfc5280", "webpki"]
#: ``progress(done, total)``, called after each leaf of a batch.
ProgressCallback: TypeAlias = Callable[[int, int], None]

MODES: Final = ("off", "soft-fail", "hard-fail", "require")
PROFILES: Final = ("rfc5280", "webpki")

# The RFC 5280 spelling people see in openssl and cryptography -> asn1crypto's snake_case name.
KU_ASN1: Final[dict[str, str]] = {name: asn1 for name, _, asn1 in KEY_USAGE_BITS} | {
    "contentCommitment": "non_repudiation"
}
_KU_BY_LOWER: Final = {name.lower(): asn1 for name, asn1 in KU_ASN1.items()} | {
    asn1: asn1 for asn1 in KU_ASN1.values()
}


def _lower_set(values: Iterable[str], what: str) -> frozenset[str]:
    from caiso_pki._convert import texts

    return frozenset(value.lower() for value in texts(values, f"AlgorithmPolicy {what}"))


def _weak_hashes(values: Iterable[str]) -> frozenset[str]:
    return _lower_set(values, "weak_hashes")


def _curves(values: Iterable[str]) -> frozenset[str]:
    return _lower_set(values, "curves")


def _bits(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 16384:
        raise MalformedInputError(
            f"AlgorithmPolicy {attribute.name}: expected 0 to 16384 bits, got {value!r}"
        )


@attrs.frozen(kw_only=True)
class AlgorithmPolicy:
    """Which signature hashes, key types and key sizes validation accepts.

    The default refuses MD2, MD5 and SHA-1 signatures, RSA keys under 2048 bits, DSA keys, and elliptic
    curves other than P-256, P-384 and P-521 (the curves Go, BoringSSL and the CA/Browser Forum accept).
    It applies to the keys that sign (checked as each signature is verified) and to every
    certificate's own key, the leaf's included.  Test suites built on older algorithms (NIST PKITS) pass
    a laxer policy explicitly, for example ``AlgorithmPolicy(weak_hashes={"md2", "md5"},
    min_rsa_bits=1024, allow_dsa=True, min_dsa_bits=1024)``.
    """

    weak_hashes: frozenset[str] = attrs.field(
        default=frozenset({"md2", "md5", "sha1"}), converter=_weak_hashes
    )
    min_rsa_bits: int = attrs.field(default=2048, validator=_bits)
    min_dsa_bits: int = attrs.field(default=2048, validator=_bits)
    allow_dsa: bool = False
    curves: frozenset[str] = attrs.field(
        default=frozenset({"secp256r1", "secp384r1", "secp521r1"}), converter=_curves
    )


STRICT_ALGORITHMS: Final = AlgorithmPolicy()


def _within(limit: int) -> Callable[[object, attrs.Attribute[int], int], None]:
    def check(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
            raise MalformedInputError(
                f"PathBudget {attribute.name}: expected an integer from 1 to {limit}, got {value!r}"
            )

    return check


@attrs.frozen(kw_only=True)
class PathBudget:
    """Bounds on path building, so a peer presenting a hostile pile of certificates cannot cost minutes.

    ``max_depth``: intermediates in one candidate path (cryptography's verifier allows 8 by default);
    ``max_signature_checks``: signature verifications while building (Go's ``crypto/x509`` stops at
    100); ``max_candidates``: issuer candidates considered in all; ``max_paths``: complete candidate
    paths handed to RFC 5280 validation.  When one runs out before a valid path is found, the result
    fails with the code ``path-building-limit``.
    """

    max_depth: int = attrs.field(default=8, validator=_within(64))
    max_signature_checks: int = attrs.field(default=100, validator=_within(10_000))
    max_candidates: int = attrs.field(default=1000, validator=_within(1_000_000))
    max_paths: int = attrs.field(default=8, validator=_within(1000))


# -- certificates and trust ----------------------------------------------------------------------


def certificates(item: CertificateInput, what: str) -> list[Certificate]:
    """The certificates one input holds (a file or PEM text may hold several)."""
    if isinstance(item, Certificate):
        return [item]
    if isinstance(item, (bytes, bytearray, memoryview, str, os.PathLike)):
        return load_certificates(item)
    from cryptography import x509

    if isinstance(item, x509.Certificate):
        return [Certificate.from_cryptography(item)]
    if isinstance(item, CertificateHolder) and isinstance(item.certificate, Certificate):
        return [item.certificate]
    raise MalformedInputError(
        f"<{what} {type(item).__name__}>: expected a Certificate, a cryptography certificate, bytes, "
        "PEM text or a path"
    )


def certificate_list(items: CertificatesInput | None, what: str) -> list[Certificate]:
    """Every certificate of one input or of an iterable of inputs."""
    if items is None:
        return []
    if isinstance(items, (bytes, bytearray, memoryview, str, os.PathLike, Certificate)):
        return certificates(items, what)
    if not isinstance(items, Iterable):
        return certificates(items, what)
    result: list[Certificate] = []
    for item in items:
        result.extend(certificates(item, what))
    return result


@attrs.frozen
class Anchor:
    """A trust anchor: its certificate, and the trust-store entry's ``distrust_after`` and labels."""

    certificate: Certificate
    distrust_after: dt.datetime | None = None
    label: str | None = None


@attrs.frozen(repr=False)
class TrustSet:
    """The anchors and extra intermediates of a ``trust=`` option, converted once."""

    anchors: tuple[Anchor, ...]
    intermediates: tuple[Certificate, ...] = ()

    def __repr__(self) -> str:
        return f"<TrustSet {len(self.anchors)} anchors, {len(self.intermediates)} intermediates>"

    @functools.cached_property
    def anchor_ders(self) -> frozenset[bytes]:
        """The DER of every anchor certificate."""
        return frozenset(anchor.certificate.der for anchor in self.anchors)


def trust_set(trust: TrustInput | TrustSet | None) -> TrustSet:
    """Anchors and extra intermediates from a TrustStore, trust entries, or certificates.

    A trust entry's ``role`` (``"intermediate"`` offers it to path building only) and
    ``distrust_after`` are honoured.  ``None`` is refused: the operating system's list is never used.
    """
    if isinstance(trust, TrustSet):
        return trust
    if trust is None:
        raise MalformedInputError("trust: pass a TrustStore or certificates; the OS trust list is never used")
    # A TrustStore or TrustEntry exists only once caiso_pki.truststore is imported: a caller passing
    # certificates does not pay for importing it.
    store_module = sys.modules.get("caiso_pki.truststore")
    store_type: tuple[type, ...] = (store_module.TrustStore,) if store_module is not None else ()
    entry_type: tuple[type, ...] = (store_module.TrustEntry,) if store_module is not None else ()
    items: Iterable[TrustEntry | CertificateInput]
    if isinstance(trust, store_type):
        items = cast("TrustStore", trust).entries
    elif isinstance(trust, (bytes, bytearray, memoryview, str, os.PathLike, Certificate, *entry_type)):
        items = [cast("CertificateInput", trust)]
    elif isinstance(trust, Iterable):
        items = cast("Iterable[TrustEntry | CertificateInput]", trust)
    else:
        items = [cast("CertificateInput", trust)]
    anchors: list[Anchor] = []
    extra: list[Certificate] = []
    for item in items:
        if isinstance(item, entry_type):
            entry = cast("TrustEntry", item)
            if entry.role == "intermediate":
                extra.append(entry.certificate)
                continue
            label = ",".join(sorted(entry.labels)) or None
            anchors.append(Anchor(entry.certificate, entry.distrust_after, label))
            continue
        anchors.extend(Anchor(cert) for cert in certificates(item, "trust anchor"))
    return TrustSet(tuple(anchors), tuple(extra))


# -- revocation data given offline -----------------------------------------------------------------


def crl_ders(crls: CrlsInput | None) -> tuple[bytes, ...]:
    """The DER of every CRL given (PEM files may hold several), each checked to decode.

    A CRL that does not decode raises :class:`~caiso_pki.errors.MalformedInputError` naming its
    input (the file, ``<stdin>``, ``<CRL bytes>`` ...).
    """
    from caiso_pki._encoding import is_pem, split_pem
    from caiso_pki._source import read_source

    if crls is None:
        return ()
    single = isinstance(crls, (bytes, bytearray, memoryview, str, os.PathLike))
    single = single or hasattr(crls, "public_bytes")
    items = [crls] if single or not isinstance(crls, Iterable) else list(crls)
    result: list[bytes] = []
    for position, item in enumerate(items):
        public_bytes = getattr(item, "public_bytes", None)
        if callable(public_bytes):  # a cryptography CertificateRevocationList
            from cryptography.hazmat.primitives.serialization import Encoding

            result.append(public_bytes(Encoding.DER))
            continue
        dump = getattr(item, "dump", None)
        if callable(dump):  # an asn1crypto CertificateList
            result.append(dump())
            continue
        data, name = read_source(item, what="CRL")  # type: ignore[arg-type]
        name = getattr(item, "name", None) or (name if not name.startswith("<") else f"crls[{position}]")
        if is_pem(data):
            blocks = [block for block in split_pem(data, name) if block.label == "X509 CRL"]
            if not blocks:
                raise MalformedInputError(f"{name}: holds no X509 CRL block")
            ders = [block.der for block in blocks]
        else:
            ders = [data]
        for der in ders:
            _check_crl(der, name)
        result.extend(ders)
    return tuple(result)


def _check_crl(der: bytes, name: str) -> None:
    from asn1crypto import crl as asn1_crl

    try:
        parsed = asn1_crl.CertificateList.load(der, strict=True)
        parsed["tbs_cert_list"]["issuer"].native  # noqa: B018 -- force the lazy parse now
        parsed["tbs_cert_list"]["this_update"].native  # noqa: B018
    except Exception as exc:  # asn1crypto raises ValueError, TypeError, KeyError ... on garbage
        raise MalformedInputError(f"{name}: not a valid DER X.509 CRL") from exc


def parse_crls(ders: Iterable[bytes]) -> list[asn1_crl.CertificateList]:
    """asn1crypto CRLs, each fully decoded now so damage shows here, not mid-validation."""
    from asn1crypto import crl as asn1_crl

    loaded = []
    for position, der in enumerate(ders):
        try:
            parsed = asn1_crl.CertificateList.load(der, strict=True)
            parsed["tbs_cert_list"]["issuer"].native  # noqa: B018 -- force the lazy parse now
            parsed["tbs_cert_list"]["this_update"].native  # noqa: B018
        except Exception as exc:  # asn1crypto raises ValueError, TypeError, KeyError ... on garbage
            raise MalformedInputError(f"crls[{position}]: not a valid DER X.509 CRL") from exc
        loaded.append(parsed)
    return loaded


def ocsp_ders(responses: OcspsInput | None) -> tuple[bytes, ...]:
    """The DER of every OCSP response given, each checked to decode."""
    if responses is None:
        return ()
    single = isinstance(responses, (bytes, bytearray, memoryview, str, os.PathLike)) or hasattr(
        responses, "public_bytes"
    )
    items = [responses] if single or not isinstance(responses, Iterable) else list(responses)
    if not items:
        return ()
    from asn1crypto import ocsp as asn1_ocsp

    from caiso_pki._source import read_source

    result: list[bytes] = []
    for item in items:
        public_bytes = getattr(item, "public_bytes", None)
        if callable(public_bytes):  # a cryptography OCSPResponse
            from cryptography.hazmat.primitives.serialization import Encoding

            data, name = public_bytes(Encoding.DER), "<OCSP response>"
        elif callable(dump := getattr(item, "dump", None)):
            data, name = dump(), "<OCSP response>"
        else:
            data, name = read_source(item, what="OCSP response")  # type: ignore[arg-type]
        try:
            parsed = asn1_ocsp.OCSPResponse.load(data, strict=True)
            parsed["response_status"].native  # noqa: B018 -- force the lazy parse now
        except Exception as exc:  # asn1crypto raises many exception types on garbage
            raise MalformedInputError(f"{name}: not a valid DER OCSP response") from exc
        result.append(bytes(data))
    return tuple(result)


def parse_ocsps(ders: Iterable[bytes]) -> list[asn1_ocsp.OCSPResponse]:
    """asn1crypto OCSP responses (already checked by :func:`ocsp_ders`)."""
    from asn1crypto import ocsp as asn1_ocsp

    return [asn1_ocsp.OCSPResponse.load(der) for der in ders]


# -- usages and policies ---------------------------------------------------------------------------


def key_usage_names(key_usage: Iterable[str] | str | None) -> frozenset[str]:
    """asn1crypto names of the requested keyUsage bits (``"digitalSignature"`` -> ``digital_signature``)."""
    from caiso_pki._convert import texts

    if key_usage is None:
        return frozenset()
    result = set()
    for name in texts(key_usage, "key_usage"):
        asn1 = _KU_BY_LOWER.get(name.replace("_", "").lower()) or _KU_BY_LOWER.get(name)
        if asn1 is None:
            raise MalformedInputError(f"key_usage: unknown key usage {name!r}; use one of {sorted(KU_ASN1)}")
        result.add(asn1)
    return frozenset(result)


def eku_oids(extended_key_usage: Iterable[str] | str | None) -> frozenset[str]:
    """Dotted OIDs of the requested purposes (names such as ``"clientAuth"`` or dotted OIDs)."""
    from caiso_pki._convert import texts

    if extended_key_usage is None:
        return frozenset()
    names = texts(extended_key_usage, "extended_key_usage")
    try:
        return frozenset(parse_oid(str(name)) for name in names)
    except UnknownOidError as exc:
        raise MalformedInputError(f"extended_key_usage: {exc}") from exc


# -- attrs validators for Validator fields ----------------------------------------------------------


def check_policy(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``policy`` is a PolicyRequirement or None."""
    if value is not None and not isinstance(value, PolicyRequirement):
        raise MalformedInputError(f"policy: expected a PolicyRequirement, got {type(value).__name__}")


def check_max_path_length(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``max_path_length`` is None or a non-negative integer."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedInputError(f"max_path_length {value!r} must be zero or more")


def check_mode(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``revocation`` is one of the four modes."""
    if value not in MODES:
        raise MalformedInputError(f"revocation mode {value!r}: use one of {', '.join(MODES)}")


def check_profile(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``profile`` is ``"rfc5280"`` or ``"webpki"``."""
    if value not in PROFILES:
        raise MalformedInputError(f"profile {value!r}: use one of {', '.join(PROFILES)}")


def to_timeout(value: float) -> float:
    """Seconds, positive and finite."""
    try:
        seconds = float(value)
    except (TypeError, ValueError) as exc:
        raise MalformedInputError(f"timeout: expected seconds, got {value!r}") from exc
    if not math.isfinite(seconds) or seconds <= 0 or seconds > 86400:
        raise MalformedInputError(f"timeout: expected 0 < seconds <= 86400, got {value!r}")
    return seconds


def to_fetch(value: bool) -> bool:
    """``fetch`` accepts real booleans only (``fetch="no"`` is a mistake, not True)."""
    if not isinstance(value, bool):
        raise MalformedInputError(f"fetch: expected True or False, got {value!r}")
    return value


def check_algorithms(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``algorithm_policy`` is an AlgorithmPolicy."""
    if not isinstance(value, AlgorithmPolicy):
        raise MalformedInputError(
            f"algorithm_policy: expected an AlgorithmPolicy, got {type(value).__name__}"
        )


def check_budget(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``path_budget`` is a PathBudget."""
    if not isinstance(value, PathBudget):
        raise MalformedInputError(f"path_budget: expected a PathBudget, got {type(value).__name__}")


def waived_codes(codes: Iterable[str] | None) -> frozenset[str]:
    """Structural rule codes a caller chooses not to enforce (each must be one of the waivable rules)."""
    from caiso_pki._convert import texts
    from caiso_pki.validation.rules import WAIVABLE

    if codes is None:
        return frozenset()
    given = frozenset(texts(codes, "waive"))
    unknown = sorted(str(code) for code in given if code not in WAIVABLE)
    if unknown:
        raise MalformedInputError(
            f"waive: {', '.join(map(repr, unknown))} cannot be waived; use codes of the structural rules: "
            f"{', '.join(sorted(WAIVABLE))}"
        )
    return given


def validation_time(at: dt.datetime | None) -> dt.datetime:
    """``at`` in UTC (now when None); naive or unrepresentable times are refused."""
    when = ensure_aware(at, what="at")
    try:
        when + dt.timedelta(days=2)
        when - dt.timedelta(days=2)
    except OverflowError as exc:
        raise InvalidTimeError(f"at {when.isoformat()}: too close to the ends of the calendar") from exc
    return when


def server_name_text(server_name: object) -> str | None:
    """``server_name`` checked: a DNS name (U-labels or A-labels) or an IP literal, or None.

    The name is kept as given; matching compares it as IDNA2008 A-labels.
    """
    if server_name is None:
        return None
    import ipaddress

    from caiso_pki.validation.names import a_label

    if not isinstance(server_name, str) or not server_name.strip():
        raise MalformedInputError(f"server_name: expected a host name or IP address, got {server_name!r}")
    text = server_name.strip().rstrip(".")
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        if a_label(text) is None:
            raise MalformedInputError(
                f"server_name {server_name!r}: not a valid DNS name (IDNA2008) nor an IP address"
            ) from None
    return server_name
