"""Private keys: the key specifications caiso-pki supports, generating, loading and saving keys.

A :class:`KeySpec` names one of the five key shapes CAISO participants use (RSA 2048/3072/4096, EC
P-256/P-384).  :func:`save_private_key` writes PKCS#8 PEM with mode 0600 through a temporary file,
fsync and rename, so a crash never leaves a half-written key behind.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from caiso_pki._convert import kind_of
from caiso_pki._encoding import KEY_LABELS, describe_labels, is_pem, is_rust_panic, split_pem
from caiso_pki._kdf import check_key_kdf_cost, is_encrypted_der_key
from caiso_pki._key_usage import KEY_USAGE_NAMES, key_usage_name
from caiso_pki._source import Password, password_bytes, read_source
from caiso_pki.errors import CaisoPkiError, MalformedInputError, PasswordError, UnsupportedAlgorithmError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes

    from caiso_pki.certificate import Certificate
    from caiso_pki.types import SourceInput

    PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

__all__ = [
    "KEY_USAGE_NAMES",
    "SUPPORTED_KEY_SPECS",
    "KeySpec",
    "generate_private_key",
    "is_signing_key",
    "key_matches_certificate",
    "key_usage_fits",
    "key_usage_name",
    "load_private_key",
    "private_key_pem",
    "save_private_key",
]

_CURVE_BITS: Final = {"p256": 256, "p384": 384}


def _spec_field(value: object, what: str, kind: type) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise UnsupportedAlgorithmError(f"KeySpec {what}: expected {kind.__name__}, got {kind_of(value)}")
    return value


_CURVE_ALIASES: Final = {
    "p256": "p256",
    "p-256": "p256",
    "secp256r1": "p256",
    "prime256v1": "p256",
    "p384": "p384",
    "p-384": "p384",
    "secp384r1": "p384",
}
_RSA_SIZES: Final = (2048, 3072, 4096)


@attrs.frozen(order=True, cache_hash=True)
class KeySpec:
    """A key type and size: ``rsa-2048``, ``rsa-3072``, ``rsa-4096``, ``ec-p256`` or ``ec-p384``.

    Build one with :meth:`parse` (``KeySpec.parse("ec-p256")``) or :meth:`of_key` (from an existing key);
    ``str(spec)`` gives the canonical string back.
    """

    algorithm: Literal["rsa", "ec"]
    #: RSA modulus size in bits, or the curve size for EC
    bits: int
    #: ``"p256"``/``"p384"`` for EC, ``None`` for RSA
    curve: str | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        _spec_field(self.algorithm, "algorithm", str)
        _spec_field(self.bits, "bits", int)
        if self.curve is not None:
            _spec_field(self.curve, "curve", str)
        if self.algorithm == "rsa":
            if self.bits not in _RSA_SIZES or self.curve is not None:
                raise UnsupportedAlgorithmError(
                    f"RSA key size {self.bits} is not supported; use 2048, 3072 or 4096"
                )
        elif self.algorithm == "ec":
            if self.curve not in _CURVE_BITS or _CURVE_BITS[self.curve] != self.bits:
                raise UnsupportedAlgorithmError(
                    f"EC curve {self.curve!r} ({self.bits} bits) is not supported; use p256 or p384"
                )
        else:
            raise UnsupportedAlgorithmError(
                f"key algorithm {self.algorithm!r} is not supported; use rsa or ec"
            )

    def __str__(self) -> str:
        return f"rsa-{self.bits}" if self.algorithm == "rsa" else f"ec-{self.curve}"

    @classmethod
    def parse(cls, value: str | KeySpec) -> KeySpec:
        """Parse ``"rsa-2048"``, ``"RSA2048"``, ``"ec-p256"``, ``"ec-secp384r1"``, ``"p-256"`` and similar."""
        if isinstance(value, KeySpec):
            return value
        if not isinstance(value, str):
            raise UnsupportedAlgorithmError(
                f"key spec must be a string like 'ec-p256', got {type(value).__name__}"
            )
        return _parse_spec(value.strip().lower())

    @classmethod
    def of_key(cls, key: PrivateKeyTypes | PublicKeyTypes) -> KeySpec:
        """The spec of an existing private or public key; other shapes raise UnsupportedAlgorithmError."""
        kind = _key_kind(type(key))
        if kind in {"rsa-private", "rsa-public"}:
            return _rsa_spec(key.key_size)  # type: ignore[union-attr]
        if kind in {"ec-private", "ec-public"}:
            name = key.curve.name  # type: ignore[union-attr]
            spec = _EC_SPECS.get(name)
            if spec is None:
                raise UnsupportedAlgorithmError(f"EC curve {name} is not supported; use P-256 or P-384")
            return spec
        raise UnsupportedAlgorithmError(f"{type(key).__name__} keys are not supported; use RSA or EC")

    @property
    def hash_name(self) -> str:
        """The signature hash caiso-pki uses with this key: ``"sha384"`` for P-384, else ``"sha256"``."""
        return "sha384" if self.curve == "p384" else "sha256"


_KINDS: Final[dict[type, str]] = {}


def _key_kind(key_type: type) -> str:
    """``"rsa-private"``, ``"ec-public"`` ... for a key class (cached by type: ABC checks are slow)."""
    kind = _KINDS.get(key_type)
    if kind is not None:
        return kind
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    kind = "other"
    for base, name in (
        (rsa.RSAPrivateKey, "rsa-private"),
        (rsa.RSAPublicKey, "rsa-public"),
        (ec.EllipticCurvePrivateKey, "ec-private"),
        (ec.EllipticCurvePublicKey, "ec-public"),
    ):
        if issubclass(key_type, base):
            kind = name
            break
    _KINDS[key_type] = kind
    return kind


@functools.lru_cache(maxsize=16)
def _rsa_spec(bits: int) -> KeySpec:
    return KeySpec("rsa", bits)


def _is_private_key(key: object) -> bool:
    """True for any private key object cryptography can serialise (Ed25519 and DSA included)."""
    from cryptography.hazmat.primitives.asymmetric import dsa, ed448, ed25519, x448, x25519

    kinds = (
        dsa.DSAPrivateKey,
        ed25519.Ed25519PrivateKey,
        ed448.Ed448PrivateKey,
        x25519.X25519PrivateKey,
        x448.X448PrivateKey,
    )
    return isinstance(key, kinds)


def is_signing_key(key: object) -> bool:
    """True for an RSA or EC private key (the keys caiso-pki signs CSRs with)."""
    return _key_kind(type(key)) in ("rsa-private", "ec-private")


@functools.lru_cache(maxsize=64)
def _parse_spec(text: str) -> KeySpec:
    compact = text.replace("_", "-")
    for prefix in ("rsa-", "rsa"):
        if compact.startswith(prefix) and compact[len(prefix) :].isdigit():
            return KeySpec("rsa", int(compact[len(prefix) :]))
    for prefix in ("ec-", "ecdsa-", "ec", ""):
        if compact.startswith(prefix):
            curve = _CURVE_ALIASES.get(compact[len(prefix) :])
            if curve is not None:
                return KeySpec("ec", _CURVE_BITS[curve], curve=curve)
    raise UnsupportedAlgorithmError(f"unknown key spec {text!r}; use one of {', '.join(SUPPORTED_KEY_SPECS)}")


_EC_SPECS: Final = {
    "secp256r1": KeySpec("ec", 256, curve="p256"),
    "secp384r1": KeySpec("ec", 384, curve="p384"),
}

#: Every key spec caiso-pki can generate, in the canonical string form.
SUPPORTED_KEY_SPECS: Final = ("rsa-2048", "rsa-3072", "rsa-4096", "ec-p256", "ec-p384")


def generate_private_key(spec: KeySpec | str) -> PrivateKey:
    """Generate a new RSA (public exponent 65537) or EC private key for ``spec``."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    key_spec = KeySpec.parse(spec)
    if key_spec.algorithm == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=key_spec.bits)
    curve: ec.EllipticCurve = ec.SECP256R1() if key_spec.curve == "p256" else ec.SECP384R1()
    return ec.generate_private_key(curve)


def private_key_pem(key: PrivateKeyTypes, *, password: str | bytes | None = None) -> bytes:
    """PKCS#8 PEM of ``key``, encrypted (PBES2, AES-256-CBC) when ``password`` is given."""
    from cryptography.hazmat.primitives import serialization

    from caiso_pki._convert import secret as secret_bytes

    if not is_signing_key(key) and not _is_private_key(key):
        raise UnsupportedAlgorithmError(
            f"key: expected a private key (generate_private_key or load_private_key), got "
            f"{type(key).__name__ if key is not None else 'None'}"
        )
    try:
        secret = secret_bytes(password, "password")
    except CaisoPkiError as exc:
        raise PasswordError(str(exc)) from exc
    if secret is None:
        encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
    else:
        if not secret:
            raise PasswordError(
                "an empty password cannot protect a key; pass password=None for no encryption"
            )
        encryption = serialization.BestAvailableEncryption(secret)
    try:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    except (TypeError, ValueError) as exc:
        raise UnsupportedAlgorithmError(f"cannot serialise a {type(key).__name__} as PKCS#8") from exc


def save_private_key(
    key: PrivateKeyTypes,
    path: str | os.PathLike[str],
    *,
    password: str | bytes | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``key`` as PKCS#8 PEM to ``path`` with mode 0600, atomically; return the path.

    The key is encrypted when ``password`` is given.  The file is written to a temporary file in the
    same directory, flushed with fsync and renamed into place, so ``path`` holds either nothing (or its
    old content) or the complete key, never a fragment.  An existing file is kept unless ``overwrite``.
    """
    from caiso_pki._atomic import atomic_write_bytes
    from caiso_pki._convert import path as checked_path

    data = private_key_pem(key, password=password)
    return atomic_write_bytes(
        checked_path(path, "path"),
        data,
        mode=0o600,
        overwrite=overwrite,
        error=CaisoPkiError,
        what="the private key",
    )


def load_private_key(source: SourceInput, *, password: Password = None) -> PrivateKeyTypes:
    """Load a private key: PKCS#1, PKCS#8 or SEC1, PEM or DER, encrypted or not.

    Raises :class:`PasswordError` when the key is encrypted and the password is missing or wrong,
    or when a password is given for an unencrypted key.
    """
    from cryptography.exceptions import InternalError, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    data, name = read_source(source, what="private key")
    secret = password_bytes(password, name)
    if is_pem(data):
        blocks = split_pem(data, name)
        keys = [block for block in blocks if block.label in KEY_LABELS]
        if not keys:
            raise MalformedInputError(f"{name}: holds {describe_labels(blocks)}, no private key")
        if len(keys) > 1:
            raise MalformedInputError(f"{name}: holds {len(keys)} private keys, expected one")
        block = keys[0]
        encrypted = block.label == "ENCRYPTED PRIVATE KEY" or b"Proc-Type: 4,ENCRYPTED" in block.text
        if not encrypted and block.der:
            encrypted = is_encrypted_der_key(block.der)
        loader = serialization.load_pem_private_key
        payload = block.text
    else:
        encrypted = is_encrypted_der_key(data)
        loader = serialization.load_der_private_key
        payload = data
    if encrypted and secret is None:
        raise PasswordError(f"{name}: the private key is encrypted; a password is required")
    if encrypted:
        check_key_kdf_cost(block.der if payload is not data else data, name)

    def attempt(password: bytes | None) -> PrivateKeyTypes:
        try:
            return loader(payload, password=password)
        except UnsupportedAlgorithm as exc:
            raise UnsupportedAlgorithmError(
                f"{name}: unsupported private key algorithm or encryption"
            ) from exc
        except (ValueError, InternalError) as exc:
            if password is not None:
                raise PasswordError(f"{name}: wrong password for the private key (or damaged key)") from exc
            raise MalformedInputError(f"{name}: not a valid private key") from exc
        except BaseException as exc:
            if is_rust_panic(exc):
                raise MalformedInputError(f"{name}: not a valid private key") from exc
            raise

    try:
        # An unencrypted key is read without the password, so damage is reported as damage.
        key = attempt(secret if encrypted else None)
    except TypeError as exc:
        # cryptography found encryption the structural check missed (unusual legacy PEM headers).
        if secret is None:
            raise PasswordError(f"{name}: the private key is encrypted; a password is required") from exc
        encrypted = True
        try:
            key = attempt(secret)
        except TypeError as again:
            raise MalformedInputError(f"{name}: not a valid private key") from again
    if not encrypted and secret is not None:
        raise PasswordError(f"{name}: a password was given but the private key is not encrypted")
    return key


def key_matches_certificate(key: PrivateKeyTypes, certificate: Certificate) -> bool:
    """True when ``key`` is the private half of ``certificate``'s public key."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    def spki(public: PublicKeyTypes) -> bytes:
        return public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)

    try:
        return spki(key.public_key()) == spki(certificate.x509.public_key())
    except (ValueError, TypeError, CaisoPkiError):
        return False


#: usages that only make sense for one key algorithm: RSA encrypts keys, EC agrees on them
_KU_ONLY_FOR: Final = {"keyEncipherment": "rsa", "dataEncipherment": "rsa", "keyAgreement": "ec"}


def key_usage_fits(usage: str, spec: KeySpec) -> bool:
    """False for a usage the key's algorithm cannot do (keyEncipherment with EC, keyAgreement with RSA)."""
    only = _KU_ONLY_FOR.get(usage)
    return only is None or only == spec.algorithm
