"""Certificate signatures (RFC 5280 6.1.3 (a)(1)) and the algorithm policy that judges them.

:func:`verify` checks that a certificate's signature verifies under a public key, with
``cryptography``: RSA PKCS#1 v1.5 and RSASSA-PSS (parameters from the signature algorithm; a key
restricted to PSS must carry the same parameters), DSA (parameters from the key, or inherited from
the issuer's key as RFC 3279 2.3.2 allows), ECDSA, Ed25519 and Ed448.  Anything else is
``"unsupported"``, never ``"ok"``.  Verdicts are remembered in a :class:`SignatureCache` keyed by the
two certificates, so path building and path validation verify each signature once per Validator.

:func:`weakness` is the :class:`~caiso_pki.validation.AlgorithmPolicy` applied to one signature: a
weak hash, or a signing RSA or DSA key below the policy's size (rounded up to whole octets, as the key
sizes of RFC 3279 are counted).
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

from caiso_pki.certificate import Certificate

if TYPE_CHECKING:
    from asn1crypto import keys as asn1_keys

    from caiso_pki.validation.options import AlgorithmPolicy

__all__ = ["DEFAULT_MAX_SIGNATURES", "SignatureCache", "Verdict", "verify", "verify_data", "weakness"]

#: Default bound on remembered signature checks of one Validator.
DEFAULT_MAX_SIGNATURES: Final = 65_536

Verdict: TypeAlias = Literal["ok", "bad", "unsupported"]


class SignatureCache:
    """Signature verdicts already reached, keyed by a digest of the key and the signed certificate.

    Thread-safe; the oldest half is dropped when full.
    """

    def __init__(self, max_entries: int = DEFAULT_MAX_SIGNATURES) -> None:
        self._lock = threading.Lock()
        self._results: dict[bytes, Verdict] = {}
        self._max = max_entries

    def __len__(self) -> int:
        return len(self._results)

    def get(self, key: bytes) -> Verdict | None:
        """The remembered verdict, or ``None``."""
        with self._lock:
            return self._results.get(key)

    def put(self, key: bytes, verdict: Verdict) -> None:
        """Remember a verdict."""
        with self._lock:
            if len(self._results) >= self._max:
                for stale in list(self._results)[: max(1, self._max // 2)]:
                    del self._results[stale]
            self._results[key] = verdict

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._results.clear()

    @staticmethod
    def key(key_der: bytes, subject: Certificate) -> bytes:
        """The cache key of ``subject``'s signature under the public key ``key_der`` (SPKI DER)."""
        digest = hashlib.blake2b(digest_size=20)
        digest.update(len(key_der).to_bytes(4, "big"))
        digest.update(key_der)
        digest.update(subject.der)
        return digest.digest()

    @staticmethod
    def data_key(key_der: bytes, algorithm_der: bytes, signature: bytes, data: bytes) -> bytes:
        """The cache key of a signature over ``data`` (a CRL or an OCSP response)."""
        digest = hashlib.blake2b(digest_size=20)
        for part in (key_der, algorithm_der, signature, data):
            digest.update(len(part).to_bytes(4, "big"))
            digest.update(part)
        return digest.digest()


def verify(
    key: asn1_keys.PublicKeyInfo,
    subject: Certificate,
    cache: SignatureCache | None = None,
    *,
    issuer: Certificate | None = None,
) -> Verdict:
    """Whether ``subject``'s signature verifies under ``key`` (an asn1crypto SubjectPublicKeyInfo).

    ``issuer``, when given, is the certificate whose subjectPublicKeyInfo ``key`` is, unchanged: the
    key ``cryptography`` parsed with it is used instead of loading ``key`` again (the same parser, and
    ``cryptography.hazmat.primitives.serialization`` stays unimported on the common path).  Raises
    (asn1crypto's ``ValueError``) when the signature itself does not decode.
    """
    cache_key = None
    if cache is not None:
        cache_key = SignatureCache.key(key.dump(), subject)
        known = cache.get(cache_key)
        if known is not None:
            return known
    verdict = _verify(key, subject, issuer)
    if cache is not None and cache_key is not None:
        cache.put(cache_key, verdict)
    return verdict


def _verify(key: asn1_keys.PublicKeyInfo, subject: Certificate, issuer: Certificate | None) -> Verdict:
    asn1 = subject.asn1
    # a signature BIT STRING that does not decode raises: the certificate is malformed, not badly signed
    signature = asn1["signature_value"].native
    return verify_data(
        key, asn1["signature_algorithm"], signature, asn1["tbs_certificate"].dump(), issuer=issuer
    )


def verify_data(
    key: asn1_keys.PublicKeyInfo,
    algorithm: Any,
    signature: bytes,
    data: bytes,
    *,
    issuer: Certificate | None = None,
) -> Verdict:
    """Whether ``signature`` (made with ``algorithm``, an asn1crypto SignedDigestAlgorithm) over ``data``
    verifies under ``key`` (``issuer``: as for :func:`verify`)."""
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

    try:
        name = algorithm.signature_algo
    except (ValueError, KeyError):
        return "unsupported"  # an algorithm asn1crypto does not know
    try:
        return _check(name, algorithm, key, signature, data, issuer=issuer)
    except InvalidSignature:
        return "bad"
    except UnsupportedAlgorithm:
        return "unsupported"
    except (TypeError, ValueError, KeyError):
        # a key that does not fit the algorithm (an ECDSA signature on an RSA issuer), or parameters
        # that do not decode: not a signature by this key
        return "bad"


def _public_key(key: Any, issuer: Certificate | None) -> Any:
    """``key`` as a ``cryptography`` public key: the one parsed with ``issuer`` when ``key`` is its
    unchanged RSA, DSA, EC or EdDSA key, else loaded from the key's DER."""
    if issuer is not None and issuer.parsed_by_cryptography and key.algorithm != "rsassa_pss":
        return issuer.x509.public_key()
    from cryptography.hazmat.primitives import serialization

    return serialization.load_der_public_key(key.dump())


def _check(
    name: str, algorithm: Any, key: Any, signature: bytes, data: bytes, *, issuer: Certificate | None
) -> Verdict:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

    if name == "dsa" and key["algorithm"]["parameters"].native is None:
        return "unsupported"  # no parameters, none inherited: it cannot be verified
    if key.algorithm == "rsassa_pss":
        if name != "rsassa_pss":
            return "bad"
        restricted = key["algorithm"]["parameters"].native
        if restricted is not None and restricted != algorithm["parameters"].native:
            return "bad"  # the key allows PSS with other parameters only (RFC 4055 3.1)
        key = key.copy()
        key["algorithm"] = {"algorithm": "rsa"}
    public = _public_key(key, issuer)
    if name in ("ed25519", "ed448"):
        if not isinstance(public, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            return "bad"
        public.verify(signature, data)
        return "ok"
    hash_name = algorithm.hash_algo
    if name == "rsassa_pss":
        params = algorithm["parameters"]
        digest = _hash(params["hash_algorithm"]["algorithm"].native)
        mgf = params["mask_gen_algorithm"]
        if mgf["algorithm"].native != "mgf1":
            return "unsupported"
        mgf_hash = _hash(mgf["parameters"]["algorithm"].native)
        if digest is None or mgf_hash is None or params["trailer_field"].native != "trailer_field_bc":
            return "unsupported"
        if not isinstance(public, rsa.RSAPublicKey):
            return "bad"
        salt = params["salt_length"].native
        public.verify(signature, data, padding.PSS(padding.MGF1(mgf_hash), salt), digest)
        return "ok"
    digest = _hash(hash_name)
    if digest is None:
        return "unsupported"
    if name == "rsassa_pkcs1v15":
        if not isinstance(public, rsa.RSAPublicKey):
            return "bad"
        public.verify(signature, data, padding.PKCS1v15(), digest)
    elif name == "ecdsa":
        if not isinstance(public, ec.EllipticCurvePublicKey):
            return "bad"
        public.verify(signature, data, ec.ECDSA(digest))
    elif name == "dsa":
        if not isinstance(public, dsa.DSAPublicKey):
            return "bad"
        public.verify(signature, data, digest)
    else:
        return "unsupported"
    return "ok"


_HASHES: Final = {
    "md5": "MD5",
    "sha1": "SHA1",
    "sha224": "SHA224",
    "sha256": "SHA256",
    "sha384": "SHA384",
    "sha512": "SHA512",
    "sha512_224": "SHA512_224",
    "sha512_256": "SHA512_256",
    "sha3_224": "SHA3_224",
    "sha3_256": "SHA3_256",
    "sha3_384": "SHA3_384",
    "sha3_512": "SHA3_512",
}


def _hash(name: str | None) -> Any:
    from cryptography.hazmat.primitives import hashes

    attribute = _HASHES.get(str(name))
    return getattr(hashes, attribute)() if attribute is not None else None


def weakness(algorithm: Any, key: asn1_keys.PublicKeyInfo, policy: AlgorithmPolicy) -> str | None:
    """Why the algorithm policy refuses this signature (its hash, or the size of the key), or ``None``."""
    try:
        name = algorithm.signature_algo
    except (ValueError, KeyError):
        name = str(algorithm["algorithm"].native)
    if name.startswith("rsa") or name == "dsa":
        threshold = policy.min_rsa_bits if name.startswith("rsa") else policy.min_dsa_bits
        bits = _octet_bits(key)
        if bits is not None and bits < threshold:
            return f"the signing key of {bits} bits is smaller than the policy's {threshold} for {name}"
    try:
        hash_name = algorithm.hash_algo
    except (ValueError, KeyError):
        hash_name = None
    if hash_name is not None and hash_name in policy.weak_hashes:
        return f"the signature uses the weak hash {hash_name}"
    return None


def _octet_bits(key: Any) -> int | None:
    try:
        return int(key.bit_size)
    except Exception:  # a key whose size cannot be read: the signature check decides
        return None
