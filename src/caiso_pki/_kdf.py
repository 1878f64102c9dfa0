"""Password-based key derivation on untrusted input: the iteration count is checked before any work.

An encrypted private key or a PKCS#12 file names its own PBKDF2 (or PKCS#12-PBE) iteration count, and
whoever made the file chose it.  A hostile file asking for 2**31 rounds would make a load spin for
minutes, so the key and PKCS#12 loaders read the count first and refuse anything over
:data:`MAX_KDF_ITERATIONS`.
"""

from __future__ import annotations

from typing import Final

from caiso_pki._encoding import ASN1_ERRORS
from caiso_pki.errors import UnsupportedAlgorithmError

__all__ = ["MAX_KDF_ITERATIONS", "check_key_kdf_cost", "is_encrypted_der_key", "kdf_iterations"]

#: Key-derivation iteration counts above this are refused before any work is done: a hostile encrypted
#: key or PFX could otherwise make a load spin for minutes (PBKDF2 at 2**31 rounds).  Real files use
#: 2,048 (OpenSSL) to 600,000 (OWASP 2023); 10 million takes about a second.
MAX_KDF_ITERATIONS: Final = 10_000_000


def is_encrypted_der_key(der: bytes) -> bool:
    """True when DER bytes are a PKCS#8 EncryptedPrivateKeyInfo."""
    from asn1crypto import keys

    try:
        info = keys.EncryptedPrivateKeyInfo.load(der, strict=True)
        info["encryption_algorithm"]["algorithm"].native  # noqa: B018 -- force the lazy parse
        info["encrypted_data"].native  # noqa: B018
    except ASN1_ERRORS:
        return False
    return True


def kdf_iterations(algorithm: object) -> int:
    """The iteration count of a PBES1/PBES2/PKCS#12-PBE AlgorithmIdentifier (asn1crypto), or 0."""
    from asn1crypto import algos

    if not isinstance(algorithm, algos.EncryptionAlgorithm):
        return 0
    try:
        return int(algorithm.kdf_iterations)
    except ASN1_ERRORS:  # not a password-based scheme, or damaged parameters (the loader will say so)
        return 0


def check_key_kdf_cost(der: bytes, name: str) -> None:
    """Refuse an encrypted PKCS#8 key whose derivation asks for more than :data:`MAX_KDF_ITERATIONS`."""
    from asn1crypto import keys

    try:
        info = keys.EncryptedPrivateKeyInfo.load(der, strict=True)
        iterations = kdf_iterations(info["encryption_algorithm"])
    except ASN1_ERRORS:
        return
    if iterations > MAX_KDF_ITERATIONS:
        raise UnsupportedAlgorithmError(
            f"{name}: the key's password derivation asks for {iterations} iterations "
            f"(more than {MAX_KDF_ITERATIONS}); refusing a file that would take minutes to open"
        )
