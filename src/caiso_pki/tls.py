"""Ready :class:`ssl.SSLContext` objects for mutual TLS with CAISO applications (and for test servers).

::

    from caiso_pki import TrustStore, client_ssl_context
    store = TrustStore.open("trust/")
    ctx = client_ssl_context("api-client.pem", "api-client.key", trust=store, labels={"caiso"})

    import httpx
    httpx.Client(verify=ctx).get("https://caiso-app.example.com/")

    import requests
    session = requests.Session()
    session.mount("https://", requests_adapter(ctx))

Every context requires TLS 1.2 or newer and verifies the peer (``CERT_REQUIRED``; clients also check
the host name).  Trust comes **only** from what you pass: a :class:`~caiso_pki.truststore.TrustStore`
(optionally narrowed by ``labels``), certificates, or a bundle; the operating system store is never
loaded.

``distrust_after``: the ``ssl`` module cannot enforce "certificates issued after this date are not
trusted".  Entries whose ``distrust_after`` has passed (at ``at``, default now) are therefore left out
of the context entirely; ``include_retired=True`` keeps them, without the date check.  This is
effective for retired *anchors* (a chain cannot end anywhere else); for a retired *intermediate* it
only stops the store from supplying it: a peer that sends that intermediate itself still chains to a
trusted root.  Distrust the root, or validate the peer chain with :func:`caiso_pki.validate_chain`
(which checks ``distrust_after`` against each certificate's issue date) for a date-exact decision.

Trust anchors that are not self-signed (pinning an issuing CA rather than its root) switch on OpenSSL's
partial-chain mode; then only the anchors are loaded, so intermediates in the store do not silently
become anchors too, and the peer must send its intermediates.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import shutil
import ssl
import tempfile
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from caiso_pki.errors import CaisoPkiError, MalformedInputError, TrustStoreError
from caiso_pki.pkcs12 import certificates_from, check_key_matches, order_chain, private_key_from
from caiso_pki.truststore import trust_material

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
    from requests.adapters import HTTPAdapter  # type: ignore[import-untyped,unused-ignore]
    from urllib3.util.retry import Retry  # type: ignore[import-not-found,unused-ignore]

    from caiso_pki._source import Password
    from caiso_pki.types import CertificateInput, CertificatesInput, PrivateKeyInput, TrustInput

__all__ = ["client_ssl_context", "load_trust", "requests_adapter", "server_ssl_context"]


def load_trust(
    ctx: ssl.SSLContext,
    trust: TrustInput,
    *,
    labels: Iterable[str] | None = None,
    at: dt.datetime | None = None,
    include_retired: bool = False,
) -> int:
    """Load trust into ``ctx`` through ``cadata`` (no files); return how many certificates were loaded."""
    store = trust_material(trust, labels=labels, at=at, include_retired=include_retired).dedupe()
    anchors = store.anchors()
    if not anchors:
        wanted = f" with labels {sorted(labels)}" if labels is not None else ""
        raise TrustStoreError(
            f"no usable trust anchors{wanted} (retired entries are excluded); the context would trust nothing"
        )
    if all(cert.is_self_issued for cert in anchors):
        certificates = [*anchors, *store.intermediates()]
    else:
        ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        certificates = list(anchors)
    try:
        ctx.load_verify_locations(cadata="".join(cert.pem for cert in certificates))
    except ssl.SSLError as exc:
        raise TrustStoreError(f"OpenSSL refused the trust certificates: {exc.reason or exc}") from exc
    return len(certificates)


@contextlib.contextmanager
def _private_files(cert_pem: bytes, key_pem: bytes) -> Iterator[tuple[str, str]]:
    """Two 0600 files in a fresh 0700 directory, removed when the block ends (ssl only reads files)."""
    directory = tempfile.mkdtemp(prefix="caiso-pki-tls-")
    try:
        paths = []
        for name, data in (("cert.pem", cert_pem), ("key.pem", key_pem)):
            path = os.path.join(directory, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            paths.append(path)
        yield paths[0], paths[1]
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _load_identity(
    ctx: ssl.SSLContext,
    cert: CertificateInput,
    key: PrivateKeyInput,
    chain: CertificatesInput,
    key_password: Password,
) -> None:
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, PrivateFormat

    certificates = certificates_from(cert, "certificate")
    if not certificates:
        raise MalformedInputError("<certificate>: no certificate given")
    leaf, bundled = certificates[0], certificates[1:]
    private_key: PrivateKeyTypes = private_key_from(key, key_password)
    check_key_matches(private_key, leaf)
    extra = order_chain(leaf, [c for c in (*bundled, *certificates_from(chain, "chain")) if c != leaf])
    # The key reaches the disk only encrypted under a one-time password, and only for an instant.
    one_time = secrets.token_urlsafe(32)
    key_pem = private_key.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(one_time.encode("ascii"))
    )
    cert_pem = "".join(c.pem for c in (leaf, *extra)).encode("ascii")
    with _private_files(cert_pem, key_pem) as (cert_path, key_path):
        try:
            ctx.load_cert_chain(cert_path, key_path, password=one_time)
        except ssl.SSLError as exc:
            raise MalformedInputError(f"OpenSSL refused the certificate or key: {exc.reason or exc}") from exc


def _base_context(protocol: int) -> ssl.SSLContext:
    ctx = ssl.SSLContext(protocol)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_COMPRESSION
    return ctx


def client_ssl_context(
    cert: CertificateInput | None,
    key: PrivateKeyInput | None,
    *,
    trust: TrustInput,
    labels: Iterable[str] | None = None,
    chain: CertificatesInput = (),
    key_password: Password = None,
    at: dt.datetime | None = None,
    include_retired: bool = False,
) -> ssl.SSLContext:
    """A client context presenting ``cert``/``key`` and trusting only ``trust`` (narrowed by ``labels``).

    ``cert`` may be a :class:`Certificate`, a cryptography certificate, bytes, PEM text or a path (a
    PEM file may hold the chain after the leaf); ``key`` a key object, PEM or DER bytes, PEM text or a
    path, decrypted with ``key_password``.  Pass ``cert=None, key=None`` for a server that does not
    ask for a certificate.
    Host names are checked: pass ``server_hostname`` when wrapping a socket (httpx and requests do).

    With httpx, hand the context over as it is: ``httpx.Client(verify=ctx)``; with requests, mount
    :func:`requests_adapter`.
    """
    try:
        ctx = _base_context(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
        load_trust(ctx, trust, labels=labels, at=at, include_retired=include_retired)
        if cert is not None or key is not None:
            if cert is None or key is None:
                raise MalformedInputError(
                    "client_ssl_context: give both the certificate and its key, or neither"
                )
            _load_identity(ctx, cert, key, chain, key_password)
    except CaisoPkiError:
        raise
    except (ssl.SSLError, ValueError, OSError) as exc:
        raise MalformedInputError(f"cannot build the client TLS context: {exc}") from exc
    return ctx


def server_ssl_context(
    cert: CertificateInput,
    key: PrivateKeyInput,
    *,
    trust: TrustInput | None = None,
    chain: CertificatesInput = (),
    labels: Iterable[str] | None = None,
    key_password: Password = None,
    at: dt.datetime | None = None,
    include_retired: bool = False,
) -> ssl.SSLContext:
    """A server context presenting ``cert``/``key``; with ``trust``, client certificates are required.

    Clients must present a certificate that chains to ``trust`` (narrowed by ``labels``; retired
    entries excluded as for :func:`client_ssl_context`).  Without ``trust`` no client certificate is
    asked for.
    """
    try:
        ctx = _base_context(ssl.PROTOCOL_TLS_SERVER)
        _load_identity(ctx, cert, key, chain, key_password)
        if trust is not None:
            ctx.verify_mode = ssl.CERT_REQUIRED
            load_trust(ctx, trust, labels=labels, at=at, include_retired=include_retired)
        else:
            ctx.verify_mode = ssl.CERT_NONE
    except CaisoPkiError:
        raise
    except (ssl.SSLError, ValueError, OSError) as exc:
        raise MalformedInputError(f"cannot build the server TLS context: {exc}") from exc
    return ctx


def _context(ctx: object) -> ssl.SSLContext:
    """``ctx`` when it is an ``ssl.SSLContext``: a path or ``True`` would make the HTTP client trust a
    bundle or the OS list instead."""
    from caiso_pki._convert import instance

    return instance(ctx, ssl.SSLContext, "ctx", "an ssl.SSLContext (from client_ssl_context)")


def requests_adapter(
    ctx: ssl.SSLContext,
    *,
    pool_connections: int = 10,
    pool_maxsize: int = 10,
    max_retries: int | Retry = 0,
    pool_block: bool = False,
) -> HTTPAdapter:
    """A ``requests`` transport adapter that uses ``ctx`` for every HTTPS connection.

    It exists because requests, unlike httpx (``httpx.Client(verify=ctx)``), has no way to take an
    ``ssl.SSLContext``: its ``verify`` is a flag or a bundle path, so the context has to reach urllib3
    through a transport adapter.  Mount it: ``session.mount("https://", requests_adapter(ctx))``.
    The adapter ignores the session's ``verify`` and ``cert`` settings: trust and the client
    certificate come from ``ctx`` alone (requests would otherwise load the certifi bundle into it).
    The keywords are ``HTTPAdapter``'s own.  Needs ``requests`` installed (not a dependency).
    """
    _context(ctx)
    try:
        from requests.adapters import HTTPAdapter
    except ImportError as exc:
        raise CaisoPkiError("requests is not installed: pip install requests") from exc

    class SSLContextAdapter(HTTPAdapter):
        """HTTPAdapter whose connection pools use one caller-supplied SSLContext."""

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["ssl_context"] = ctx
            super().init_poolmanager(*args, **kwargs)

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            kwargs["ssl_context"] = ctx
            return super().proxy_manager_for(proxy, **kwargs)

        def send(  # noqa: PLR0917 -- the signature of HTTPAdapter.send
            self,
            request: Any,
            stream: bool = False,
            timeout: Any = None,
            verify: Any = True,
            cert: Any = None,
            proxies: Any = None,
        ) -> Any:
            # A string ``verify`` or a ``cert`` would be loaded into ctx by urllib3; never let them.
            return super().send(
                request, stream=stream, timeout=timeout, verify=True, cert=None, proxies=proxies
            )

        def cert_verify(self, conn: Any, url: str, verify: object, cert: object) -> None:
            conn.cert_reqs = "CERT_REQUIRED"
            conn.ca_certs = None
            conn.ca_cert_dir = None
            conn.cert_file = None
            conn.key_file = None

    return SSLContextAdapter(
        pool_connections=pool_connections,
        pool_maxsize=pool_maxsize,
        max_retries=max_retries,
        pool_block=pool_block,
    )
