"""Diagnose a mutual-TLS connection to a CAISO application, step by step, before an API call fails.

When a call to an ISO application fails, what an engineer sees is a bare handshake failure or an HTTP
403, with no hint whether the fault lies with the client certificate, the chain it sends, the server's
chain or the TLS version.  :func:`connect` makes one connection and reports each of those as its own
check (pass, fail or n/a, with a one-line reason), then the first failure and what to do about it::

    from caiso_pki import ClientCredential, TrustStore, connect

    report = connect(
        "https://api.example.com/caiso/resource",
        client=ClientCredential.from_pkcs12("api-client.pfx", password=password),
        trust=TrustStore.open("trust/"),
    )
    print(report.checklist())

The steps, in order (:data:`CHECK_NAMES` lists the checks' stable names):

1. **the client credential**, offline: the key matches the certificate (``client-key``), it is within
   its validity and not about to expire (``client-validity``), its extendedKeyUsage allows clientAuth
   (``client-eku``), the chain it will send reaches an anchor in ``trust`` *with only the certificates
   sent* (``client-chain``; the server has no copy of your intermediates), and, with ``cps=``, it lints
   clean against that CPS profile (``client-cps``);
2. **TCP and TLS** (``tls``): connect time, negotiated protocol and cipher; below TLS 1.2 fails (the
   handshake offers nothing older);
3. **the server's chain as sent** (``server-chain``): validated with caiso-pki's validator for
   serverAuth, the server name and the chosen validation ``profile``, *during* the handshake, before
   anything of ours is sent.  When it fails, the handshake is aborted there: no client certificate is
   presented and no HTTP request is sent, and steps 4 and 5 are reported as ``not-run`` with the reason
   (``continue_after_untrusted_server=True`` goes on anyway, for diagnosis only);
4. **the client certificate request** (``client-auth``): whether the server asked for one, the CA names
   of its CertificateRequest, whether our chain matches one, and whether the server accepted what we
   sent.  Under TLS 1.3 the server's verdict comes *after* the handshake, so :func:`connect` reads on
   until it sees the alert, a session ticket or data;
5. **HTTP** (``http``, https URLs only): a GET (or HEAD) on the URL's path over the same connection,
   of which only the status line is read; 401 and 403 mean "authenticated, but not authorised for this
   application: ask your UAA".  GET is the default because every server answers it (``openssl s_server
   -www`` answers nothing else).

Why pyOpenSSL: Python 3.11's :mod:`ssl` gives the peer's chain only after OpenSSL has verified it
(``getpeercert`` returns the leaf alone, and the unverified chain API arrived in 3.13), and never the
acceptable CA names of the server's CertificateRequest.  pyOpenSSL, maintained by the Python
Cryptographic Authority with ``cryptography`` and long used by urllib3 and Twisted, exposes
``SSL_get_peer_cert_chain``, ``SSL_get_client_CA_list`` and the handshake state callback that tells
whether a CertificateRequest arrived.  It is the optional ``connect`` extra
(``pip install 'caiso-pki[connect]'``; the ``cli`` extra includes it too; pyOpenSSL 26.3 or newer,
the first to return the CA names as ``cryptography`` objects) and is imported only when
:func:`connect` runs.

OpenSSL verifies nothing here (no trust is loaded into it at all, so the operating system's list is never
consulted): the chain the server sent is validated by caiso-pki against ``trust`` only, from OpenSSL's
verify callback, and the report never says the server passed unless that validation did.  Any
check that cannot be completed fails, with the reason.  Revocation is not checked (use
``caiso-pki verify --fetch`` on the server's chain for that).
"""

from __future__ import annotations

import datetime as dt
import html
import ipaddress
import math
import os
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Final, Literal, Protocol, TypeAlias, cast

import attrs

from caiso_pki import oids
from caiso_pki._key_holder import KeyHolder
from caiso_pki._text import printable
from caiso_pki._time import iso
from caiso_pki.certificate import Certificate, certificate_summary
from caiso_pki.errors import CaisoPkiError, MalformedInputError
from caiso_pki.truststore import TrustEntry, TrustStore

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
    from rich.console import RenderableType

    from caiso_pki._source import Password
    from caiso_pki._tls_probe import Probe
    from caiso_pki.profiles.cps import CpsProfile
    from caiso_pki.types import (
        CertificateInput,
        CertificatesInput,
        JsonDict,
        PrivateKeyInput,
        SourceInput,
        TrustInput,
    )
    from caiso_pki.validation import Profile, ValidationResult, Validator

__all__ = [
    "CHECK_NAMES",
    "CheckStatus",
    "ClientCredential",
    "ConnectUnavailableError",
    "ConnectionCheck",
    "ConnectionReport",
    "CredentialLike",
    "HttpMethod",
    "connect",
]

CheckStatus: TypeAlias = Literal["pass", "fail", "n/a", "not-run"]
HttpMethod: TypeAlias = Literal["HEAD", "GET"]

#: Every check of a report, in the order they appear, with the step each belongs to and its title.
_CHECKS: Final[tuple[tuple[str, int, str], ...]] = (
    ("client-key", 1, "key matches certificate"),
    ("client-validity", 1, "client certificate validity"),
    ("client-eku", 1, "clientAuth usage"),
    ("client-chain", 1, "client chain to an anchor"),
    ("client-cps", 1, "CPS profile"),
    ("tls", 2, "TCP and TLS"),
    ("server-chain", 3, "server certificate chain"),
    ("client-auth", 4, "client certificate request"),
    ("http", 5, "HTTP"),
)
#: The stable names of the checks, in report order.
CHECK_NAMES: Final = tuple(name for name, _, _ in _CHECKS)
_STEP: Final = {name: step for name, step, _ in _CHECKS}
_TITLE: Final = {name: title for name, _, title in _CHECKS}

_METHODS: Final = ("HEAD", "GET")
#: Why steps 4 and 5 did not run after the server's chain failed (nothing more was sent).
_STOPPED: Final = "not run: the server's chain failed verification (step 3), so the connection was closed"
#: A client certificate that expires within this many days passes with "renew now" in its reason.
EXPIRING_DAYS: Final = 30
_UAA: Final = "authenticated, but not authorised for this application: ask your UAA"

_Outcome: TypeAlias = tuple[CheckStatus, str, str | None]


class ConnectUnavailableError(CaisoPkiError):
    """pyOpenSSL is not installed; ``pip install 'caiso-pki[connect]'`` provides it."""


# -- what callers pass ----------------------------------------------------------------------------


class CredentialLike(Protocol):
    """Anything holding a certificate, its key and its chain: :class:`ClientCredential`,
    :class:`~caiso_pki.pkcs12.Pkcs12Bundle`, :class:`~caiso_pki.testing.IssuedCertificate`."""

    @property
    def certificate(self) -> Certificate | None: ...

    @property
    def key(self) -> PrivateKeyTypes | None: ...

    @property
    def chain(self) -> Sequence[Certificate]: ...


def _certificate_tuple(values: Iterable[Certificate]) -> tuple[Certificate, ...]:
    from caiso_pki._convert import instances

    return instances(values, Certificate, "chain", "Certificate objects")


def _the_certificate(value: Certificate) -> Certificate:
    from caiso_pki._convert import instance

    return instance(value, Certificate, "certificate", "a Certificate (load it with load_certificate)")


@attrs.frozen
class ClientCredential(KeyHolder):
    """The client certificate, its private key and the chain sent with it (the leaf's issuer first).

    Build one from a PFX with :meth:`from_pkcs12` or from PEM/DER files with :meth:`load`.  The key
    never appears in ``repr``.  A key that does not belong to the certificate is accepted here and by
    :meth:`load` (the report's ``client-key`` check says so); :meth:`from_pkcs12` refuses one, as
    :func:`~caiso_pki.pkcs12.load_pkcs12` does.
    """

    certificate: Certificate = attrs.field(converter=_the_certificate)
    key: PrivateKeyTypes = attrs.field(repr=False)
    chain: tuple[Certificate, ...] = attrs.field(default=(), converter=_certificate_tuple)

    @classmethod
    def from_pkcs12(cls, source: SourceInput, *, password: Password = None) -> ClientCredential:
        """The key, certificate and chain of a PKCS#12 / PFX file; a wrong password raises
        :class:`~caiso_pki.errors.PasswordError`."""
        from caiso_pki.pkcs12 import load_pkcs12

        bundle = load_pkcs12(source, password=password)
        name = _source_name(source)
        if bundle.certificate is None or bundle.key is None:
            missing = "certificate" if bundle.certificate is None else "private key"
            raise MalformedInputError(
                f"{name}: the PKCS#12 holds no {missing}; export the client certificate with its private key"
            )
        return cls(bundle.certificate, bundle.key, bundle.chain)

    @classmethod
    def load(
        cls,
        certificate: CertificateInput,
        key: PrivateKeyInput,
        *,
        chain: CertificatesInput = (),
        key_password: Password = None,
    ) -> ClientCredential:
        """A credential from a certificate (a PEM file may hold the chain after the leaf), a key
        (``key_password`` when encrypted) and optionally more chain certificates."""
        from caiso_pki.pkcs12 import certificates_from, order_chain, private_key_from

        certificates = certificates_from(certificate, "certificate")
        if not certificates:
            raise MalformedInputError("<certificate>: no certificate given")
        leaf = certificates[0]
        extra = [c for c in (*certificates[1:], *certificates_from(chain, "chain")) if c != leaf]
        return cls(leaf, private_key_from(key, key_password), order_chain(leaf, extra))


def _source_name(source: object) -> str:
    name = getattr(source, "name", None)  # NamedBytes read by the command line
    if isinstance(name, str):
        return name
    if isinstance(source, (str, os.PathLike)) and "-----BEGIN" not in str(source):
        return os.fspath(source)
    return "<PKCS#12 bytes>"


def _credential(client: ClientCredential | CredentialLike | None) -> ClientCredential | None:
    if client is None or isinstance(client, ClientCredential):
        return client
    certificate = getattr(client, "certificate", None)
    key = getattr(client, "key", None)
    if not isinstance(certificate, Certificate) or key is None:
        raise MalformedInputError(
            f"client: {type(client).__name__} has no certificate and private key; pass a ClientCredential "
            "(ClientCredential.from_pkcs12 or ClientCredential.load)"
        )
    from caiso_pki.pkcs12 import order_chain

    chain = [cert for cert in getattr(client, "chain", ()) if cert != certificate]
    return ClientCredential(certificate, key, order_chain(certificate, chain))


def _trust_store(trust: TrustInput | None) -> TrustStore:
    """One store from what callers pass; certificates given directly are anchors, as for the validator."""
    if trust is None:
        raise MalformedInputError(
            "trust: pass a TrustStore or the CAISO root certificates; the OS trust list is never used"
        )
    if isinstance(trust, TrustStore):
        return trust
    from caiso_pki.pkcs12 import certificates_from

    single = isinstance(trust, (bytes, bytearray, memoryview, str, os.PathLike, Certificate, TrustEntry))
    items = cast(
        "Iterable[TrustEntry | CertificateInput]",
        [trust] if single or not isinstance(trust, Iterable) else trust,
    )
    store = TrustStore()
    for item in items:
        if isinstance(item, TrustEntry):
            store = store.add(item, replace=True)
            continue
        for cert in certificates_from(item, "trust"):
            store = store.add(cert, role="anchor", replace=True)
    if not store.entries:
        raise MalformedInputError("trust: no certificates given; the OS trust list is never used")
    return store


@attrs.frozen
class _Target:
    """Where to connect: host, port, and for an https URL the path to ask for."""

    text: str
    host: str
    port: int
    https: bool
    path: str


def _target(value: str) -> _Target:
    if not isinstance(value, str) or not value.strip():
        raise MalformedInputError("connect: give an https:// URL or HOST:PORT")
    text = value.strip()
    shown = printable(text)
    if "://" in text:
        try:
            parts = urllib.parse.urlsplit(text)
            port = parts.port
        except ValueError as exc:
            raise MalformedInputError(f"{shown}: not a valid URL ({exc})") from exc
        if parts.scheme.lower() != "https":
            raise MalformedInputError(
                f"{shown}: use an https:// URL or HOST:PORT (the {parts.scheme or 'empty'} scheme is not TLS)"
            )
        if parts.username is not None or parts.password is not None:
            raise MalformedInputError("the URL holds a user name or password; remove it (it is never sent)")
        host = parts.hostname or ""
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        target = _Target(
            text,
            host,
            443 if port is None else port,
            True,
            urllib.parse.quote(path, safe="/%?=&:@!$'()*+,;~-._"),
        )
    else:
        host, sep, port_text = text.rpartition(":")
        if not sep or not port_text.isdigit():
            raise MalformedInputError(f"{shown}: give HOST:PORT (e.g. 127.0.0.1:8443) or an https:// URL")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        target = _Target(text, host, int(port_text), False, "")
    if not target.host or any(ch.isspace() for ch in target.host):
        raise MalformedInputError(f"{shown}: no usable host name")
    if not 0 < target.port < 65536:
        raise MalformedInputError(f"{shown}: port {target.port} is outside 1-65535")
    return target


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


# -- the report ------------------------------------------------------------------------------------


@attrs.frozen
class ConnectionCheck:
    """One check of a :class:`ConnectionReport`: its step (1-5), stable ``name``, status and reason.

    ``advice`` says what to do when the check failed (or, for a passing check, what to watch).
    """

    step: int
    name: str
    title: str
    status: CheckStatus
    reason: str
    advice: str | None = None

    @property
    def failed(self) -> bool:
        """True when the status is ``"fail"``."""
        return self.status == "fail"

    def to_dict(self) -> JsonDict:
        """JSON-ready form."""
        return {
            "step": self.step,
            "name": self.name,
            "title": self.title,
            "status": self.status,
            "reason": self.reason,
            "advice": self.advice,
        }


def _check(name: str, outcome: _Outcome) -> ConnectionCheck:
    status, reason, advice = outcome
    return ConnectionCheck(_STEP[name], name, _TITLE[name], status, reason, advice)


def _guarded(name: str, compute: Callable[[], _Outcome]) -> ConnectionCheck:
    """Run one check; one that raises fails with the reason (fail closed), it never passes."""
    try:
        return _check(name, compute())
    except Exception as exc:  # any error inside a check is that check's failure (fail closed)
        return _check(
            name,
            (
                "fail",
                f"the check could not be completed ({type(exc).__name__}: {exc})",
                "this is a bug in caiso-pki or an input it cannot read; please report it",
            ),
        )


@attrs.frozen
class ConnectionReport:
    """What :func:`connect` found: every check in order, what was negotiated, and the verdict.

    ``checks`` always holds the checks of :data:`CHECK_NAMES`, in that order.  ``server_chain`` is the
    chain as the server sent it (leaf first), ``server_validation`` the validator's result for it;
    ``acceptable_ca_names`` are the CA names (RFC 4514) of the server's CertificateRequest.
    """

    target: str
    host: str
    port: int
    server_name: str
    profile: Profile
    at: dt.datetime
    checks: tuple[ConnectionCheck, ...]
    client_certificate: Certificate | None = None
    connect_seconds: float | None = None
    tls_version: str | None = None
    cipher: str | None = None
    server_chain: tuple[Certificate, ...] = ()
    server_validation: ValidationResult | None = None
    client_certificate_requested: bool | None = None
    acceptable_ca_names: tuple[str, ...] = ()
    http_method: HttpMethod | None = None
    http_status: int | None = None
    http_reason: str | None = None
    #: whether our certificate was presented to the server (never after its chain failed, by default)
    client_certificate_sent: bool = False
    #: True when the connection was closed at the server's certificate because its chain failed
    stopped_untrusted_server: bool = False

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        failure = self.first_failure
        where = f" first_failure={failure.name!r}" if failure else ""
        return f"<ConnectionReport {self.target!r} verdict={self.verdict!r}{where}>"

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not any(check.failed for check in self.checks)

    @property
    def verdict(self) -> Literal["pass", "fail"]:
        """``"pass"`` when no check failed, else ``"fail"``."""
        return "pass" if self.ok else "fail"

    @property
    def first_failure(self) -> ConnectionCheck | None:
        """The first failing check, in step order (``None`` when all passed)."""
        return next((check for check in self.checks if check.failed), None)

    @property
    def next_step(self) -> str:
        """What to do next: the first failure's advice, or that nothing needs doing."""
        failure = self.first_failure
        if failure is None:
            return "nothing: the connection works as far as these checks go"
        return failure.advice or failure.reason

    def check(self, name: str) -> ConnectionCheck:
        """The check called ``name`` (one of :data:`CHECK_NAMES`)."""
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)

    def summary(self) -> str:
        """One line: ``PASS: ...`` or ``FAIL at step N (title): reason``."""
        failure = self.first_failure
        if failure is None:
            return "PASS: no check failed"
        return f"FAIL at step {failure.step} ({failure.title}): {failure.reason}"

    def checklist(self) -> str:
        """The report as plain text: one line per check, then the verdict and what to do next.

        Every line is escaped for a terminal (names come from certificates other people made).
        """
        width = max(len(check.title) for check in self.checks)
        lines = [f"connect {self.target} (server name {self.server_name}, profile {self.profile})"]
        for check in self.checks:
            mark = f"[{check.status.replace('-', ' ')}]"
            lines.append(f"{mark:<6} {check.step}. {check.title:<{width}}  {check.reason}")
        lines.append(self.summary())
        if not self.ok:
            lines.append(f"next: {self.next_step}")
        return "\n".join(printable(line) for line in lines)

    def to_dict(self) -> JsonDict:
        """JSON-ready form (``docs/schemas/connect-report.schema.json`` describes it)."""
        failure = self.first_failure
        client = self.client_certificate
        return {
            "target": self.target,
            "host": self.host,
            "port": self.port,
            "server_name": self.server_name,
            "profile": self.profile,
            "at": iso(self.at),
            "verdict": self.verdict,
            "first_failure": {"step": failure.step, "name": failure.name} if failure else None,
            "next_step": self.next_step,
            "checks": [check.to_dict() for check in self.checks],
            "client_certificate": certificate_summary(client) if client is not None else None,
            "tls": {
                "connect_ms": round(self.connect_seconds * 1000, 3)
                if self.connect_seconds is not None
                else None,
                "version": self.tls_version,
                "cipher": self.cipher,
            },
            "server_chain": [certificate_summary(cert) for cert in self.server_chain],
            "server_validation": self.server_validation.to_dict() if self.server_validation else None,
            "client_auth": {
                "requested": self.client_certificate_requested,
                "acceptable_ca_names": list(self.acceptable_ca_names),
                "certificate_sent": self.client_certificate_sent,
            },
            "stopped_untrusted_server": self.stopped_untrusted_server,
            "http": {"method": self.http_method, "status": self.http_status, "reason": self.http_reason},
        }

    def _repr_html_(self) -> str:
        colours = {
            "pass": ("#1a7f37", "#dafbe1"),
            "fail": ("#cf222e", "#ffebe9"),
            "n/a": ("#57606a", "#eaeef2"),
            "not-run": ("#57606a", "#fff8c5"),
        }

        def badge(status: str) -> str:
            fg, bg = colours.get(status, colours["n/a"])
            return (
                f'<span style="padding:0 7px;border-radius:10px;font-size:11px;font-weight:600;'
                f'color:{fg};background:{bg}">{html.escape(status)}</span>'
            )

        rows = "".join(
            f"<tr><td>{badge(c.status)}</td><td>{c.step}</td><td>{html.escape(c.title)}</td>"
            f"<td>{html.escape(c.reason)}</td></tr>"
            for c in self.checks
        )
        advice = "" if self.ok else f"<p><strong>next:</strong> {html.escape(self.next_step)}</p>"
        return (
            '<div class="caiso-pki" style="font-family:sans-serif;font-size:13px;border:1px solid #d0d7de;'
            'border-radius:6px;padding:10px 12px;max-width:980px">'
            f"<div><strong>connect {html.escape(self.target)}</strong> {badge(self.verdict)}</div>"
            '<table style="border-collapse:collapse;width:100%"><thead><tr><th></th><th>step</th>'
            f"<th>check</th><th>reason</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<p>{html.escape(self.summary())}</p>{advice}</div>"
        )

    def __rich__(self) -> RenderableType:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        styles = {"pass": "green", "fail": "bold red", "n/a": "dim", "not-run": "yellow"}
        table = Table(title=f"connect {self.target}", header_style="bold")
        for column in ("", "step", "check", "reason"):
            table.add_column(column, overflow="fold")
        for c in self.checks:
            table.add_row(Text(c.status, style=styles[c.status]), str(c.step), c.title, Text(c.reason))
        parts: list[RenderableType] = [table, Text(self.summary(), style=styles[self.verdict])]
        if not self.ok:
            parts.append(Text(f"next: {self.next_step}"))
        return Group(*parts)


# -- step 1: the client credential -------------------------------------------------------------------


def _spki(public_key: object) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)  # type: ignore[attr-defined,no-any-return]


def _key_matches(cred: ClientCredential) -> bool:
    return _spki(cred.key.public_key()) == _spki(cred.certificate.x509.public_key())


def _name(cert: Certificate) -> str:
    return cert.subject.common_name or cert.subject.rfc4514 or "(empty subject)"


def _client_checks(
    cred: ClientCredential | None,
    validator: Validator,
    cps: CpsProfile | None,
    now: dt.datetime,
    *,
    trust: _TrustSource,
    server_untrusted: bool,
) -> list[ConnectionCheck]:
    """Step 1.  ``server_untrusted``: the server's chain did not reach ``trust`` either (step 3), which
    tells a wrong trust input from a chain that lacks intermediates."""
    if cred is None:
        none: _Outcome = ("n/a", "no client certificate given", None)
        return [_check(name, none) for name in CHECK_NAMES[:5]]
    credential: ClientCredential = cred
    leaf = credential.certificate

    def key() -> _Outcome:
        if _key_matches(credential):
            return ("pass", f"the private key belongs to {leaf.subject.rfc4514}", None)
        return (
            "fail",
            f"the private key does not belong to {leaf.subject.rfc4514}",
            "export the PFX again from the machine that made the CSR, with its private key",
        )

    def validity() -> _Outcome:
        until = leaf.not_after.date().isoformat()
        if now < leaf.not_before:
            return ("fail", f"not valid before {iso(leaf.not_before)}", "check the system clock, or wait")
        if now > leaf.not_after:
            return (
                "fail",
                f"expired on {until}",
                "request a renewal certificate from your UAA (caiso-pki csr renew) and install it",
            )
        days = (leaf.not_after - now).days
        if days < EXPIRING_DAYS:
            return ("pass", f"valid until {until}, but expires in {days} days: renew now", None)
        return ("pass", f"valid until {until} ({days} days left)", None)

    def eku() -> _Outcome:
        purposes = leaf.extended_key_usage
        if not purposes:
            return ("pass", "no extendedKeyUsage extension: any purpose, clientAuth included", None)
        if oids.CLIENT_AUTH in purposes or oids.ANY_EXTENDED_KEY_USAGE in purposes:
            return ("pass", "extendedKeyUsage includes clientAuth", None)
        from caiso_pki.oids import oid_name

        named = ", ".join(oid_name(oid) for oid in purposes)
        return (
            "fail",
            f"extendedKeyUsage is {named}, without clientAuth",
            "this certificate is not for TLS clients: use your API or RIG client certificate",
        )

    def chain() -> _Outcome:
        result = validator.validate(leaf, credential.chain)
        if result.valid:
            return (
                "pass",
                f"{_path_text(result)} (from the {1 + len(credential.chain)} certificates sent)",
                None,
            )
        failure = result.failures[0]
        if failure.code in ("no-path", "untrusted-root"):
            top = _top_of(leaf, credential.chain)
            if not top.is_self_issued:
                missing = top.issuer.rfc4514
                reason = f"the chain sent stops at {_name(top)}: its issuer {missing} is not in {trust.what}"
                if trust.holds_intermediate(missing):
                    return (
                        "fail",
                        f"the chain sent stops at {_name(top)}: its issuer {missing} is missing",
                        "add the intermediate certificate(s) to the PFX "
                        "(export it with all certificates in the certification path)",
                    )
                if server_untrusted:
                    return (
                        "fail",
                        reason,
                        f"neither your chain nor the server's reaches an anchor in {trust.what}: the trust "
                        f"input is wrong or incomplete; give the CAISO root certificates ({trust.option})",
                    )
                return (
                    "fail",
                    reason,
                    f"if {missing} is a root, add it to the trust input ({trust.option}); if it is an "
                    "intermediate CA, export the PFX with all certificates in the certification path",
                )
            return (
                "fail",
                f"{failure.code}: {failure.message}",
                f"your chain ends at {_name(top)}, which is not an anchor in {trust.what}: give the right "
                f"CAISO root ({trust.option}), or use the certificate CAISO issued you",
            )
        return (
            "fail",
            f"{failure.code}: {failure.message}",
            f"your certificate must chain to a CAISO root in {trust.what}, with the intermediates sent",
        )

    def lint() -> _Outcome:
        if cps is None:
            return ("n/a", "no CPS profile given", None)
        from caiso_pki.lint import Severity, lint_chain

        findings = lint_chain([*reversed(credential.chain), leaf], cps)  # a path: anchor side first
        errors = [f for f in findings if f.severity is Severity.ERROR]
        if errors:
            first = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            return (
                "fail",
                f"{first.code}: {first.message}{more}",
                f"the certificate breaks the {cps.name} profile: caiso-pki lint shows every finding",
            )
        others = f"; {len(findings)} warning or notice findings" if findings else ""
        return ("pass", f"no errors against {cps.name}{others}", None)

    return [
        _guarded("client-key", key),
        _guarded("client-validity", validity),
        _guarded("client-eku", eku),
        _guarded("client-chain", chain),
        _guarded("client-cps", lint),
    ]


def _top_of(leaf: Certificate, chain: Sequence[Certificate]) -> Certificate:
    """The last certificate of the chain as it links up from ``leaf`` (by names)."""
    current = leaf
    for cert in chain:
        if cert.subject.rfc4514 == current.issuer.rfc4514 and cert != current:
            current = cert
    return current


def _path_text(result: ValidationResult) -> str:
    return " <- ".join(_name(cert) for cert in reversed(result.path))


def _validator(trust: TrustStore, usage: str, profile: Profile) -> Validator:
    """The one place connect builds a validator: for ``usage``, against ``trust`` only, revocation off."""
    from caiso_pki.validation import Validator

    return Validator(trust=trust, extended_key_usage=usage, revocation="off", profile=profile)


def _wire() -> Callable[..., Probe]:
    """The probe, imported before anything touches the network; without pyOpenSSL, say how to get it."""
    try:
        from caiso_pki._tls_probe import probe
    except ImportError as exc:  # pyOpenSSL missing, or too old for this cryptography
        raise ConnectUnavailableError(
            f"caiso_pki.connection needs pyOpenSSL 26.3 or newer ({exc}): pip install 'caiso-pki[connect]'"
        ) from exc
    return probe


# -- the checks of steps 2 to 5 ---------------------------------------------------------------------


def _tcp_outcome(observed: Probe, host: str, port: int, timeout: float) -> _Outcome:
    where = f"{host} port {port}"
    if observed.tcp_failure == "resolve":
        return (
            "fail",
            f"cannot resolve {host} ({observed.tcp_detail})",
            "check the host name in the URL and your DNS (or hosts file, or proxy settings)",
        )
    if observed.tcp_failure == "refused":
        return (
            "fail",
            f"connection refused by {where}: nothing listens there",
            "check the host and port in the URL; a firewall may also reject the connection",
        )
    if observed.tcp_failure == "timeout":
        return (
            "fail",
            f"no TCP connection to {where} within {timeout:g} s",
            "a firewall drops the packets: check that CAISO has your public IP address on its allow-list",
        )
    return (
        "fail",
        f"cannot connect to {where} ({observed.tcp_detail})",
        "check the network path (routes, firewall, proxy) to the application",
    )


def _tls_check(observed: Probe, host: str, port: int, timeout: float) -> _Outcome:
    if observed.tcp_failure is not None:
        return _tcp_outcome(observed, host, port, timeout)
    ms = f"{(observed.connect_seconds or 0) * 1000:.1f} ms"
    if observed.stopped_untrusted:
        version = observed.version_name or "TLS"
        return (
            "pass",
            f"connected in {ms}; {version} handshake stopped at the server's certificate (step 3)",
            None,
        )
    if observed.handshake_timeout:
        return (
            "fail",
            f"TCP connected in {ms}, but no TLS answer within {timeout:g} s",
            "the port does not speak TLS, or a firewall or proxy holds the connection: check host and port",
        )
    if observed.version is None:
        reason = observed.handshake_error or "the TLS handshake did not start"
        if "protocol version" in reason or "unsupported protocol" in reason:
            return (
                "fail",
                f"no TLS version in common ({reason}): the server does not accept TLS 1.2 or 1.3",
                "CAISO applications require TLS 1.2 or newer; the server (or a proxy in the way) offers only "
                "older versions: report it to the application's operator",
            )
        return (
            "fail",
            f"TCP connected in {ms}, but the TLS handshake failed: {reason}",
            "check that the URL is the application's TLS endpoint, and that no proxy intercepts it",
        )
    negotiated = f"{observed.version_name} with {observed.cipher or 'an unknown cipher'}"
    if observed.older_than_tls1_2:
        return (
            "fail",
            f"negotiated {observed.version_name}, below TLS 1.2",
            "CAISO applications require TLS 1.2 or newer",
        )
    if observed.handshake_error is not None and not observed.certificate_requested:
        return (
            "fail",
            f"{negotiated}, then the handshake failed: {observed.handshake_error}",
            "the server refused the TLS parameters offered (TLS 1.2 or 1.3, current cipher suites): "
            "report it to the application's operator",
        )
    extra = (
        "; the handshake then failed over the client certificate (step 4)" if observed.handshake_error else ""
    )
    return ("pass", f"connected in {ms}; {negotiated}{extra}", None)


def _server_check(
    observed: Probe,
    validated: list[ValidationResult],
    server_name: str,
    trust: _TrustSource,
) -> tuple[ConnectionCheck, ValidationResult | None]:
    box: list[ValidationResult] = []

    def compute() -> _Outcome:
        if observed.server_check_error is not None:
            return (
                "fail",
                f"the server's chain could not be checked ({observed.server_check_error})",
                "report it to the application's operator; nothing of yours was sent",
            )
        if observed.peer_chain_error is not None:
            return ("fail", f"the server's certificate cannot be read: {observed.peer_chain_error}", None)
        if not observed.peer_chain:
            if observed.version is None:
                return ("n/a", "no TLS handshake, so no server certificate", None)
            return ("fail", "the server sent no certificate", "the server must present a certificate")
        if not validated:
            return ("fail", "the server's chain was not validated", "report it: this is a bug in caiso-pki")
        result = validated[0]
        box.append(result)
        if result.valid:
            supplied = [cert for cert in result.path[1:-1] if cert not in observed.peer_chain]
            note = ""
            if supplied:
                names = ", ".join(_name(cert) for cert in supplied)
                note = f"; the server did not send {names}, your trust store supplied it"
            return ("pass", f"valid for {server_name}: {_path_text(result)}{note}", None)
        failure = result.failures[0]
        top = observed.peer_chain[-1]
        wanted = top.subject.rfc4514 if top.is_self_issued else top.issuer.rfc4514
        wrong_trust = (
            f"the trust input is wrong or incomplete: {trust.what} holds no root for this server's chain "
            f"(it needs {wanted}); give the right CAISO root ({trust.option}); never switch verification off"
        )
        advice = {
            "expired": "the server's certificate has expired: "
            "tell the application's operator (CAISO service desk)",
            "name-mismatch": f"the certificate does not name {server_name}: use the host name it was issued "
            "for (or --server-name), or report it to the operator",
            "no-path": wrong_trust,
            "untrusted-root": wrong_trust,
        }.get(
            failure.code,
            "the server's certificate chain is not valid: report it to the application's operator",
        )
        sent = "; nothing of yours was sent" if observed.stopped_untrusted else ""
        return ("fail", f"{failure.code}: {failure.message}{sent}", advice)

    check = _guarded("server-chain", compute)
    return check, (box[0] if box else None)


def _matches(cred: ClientCredential, names: Sequence[x509.Name]) -> bool:
    wanted = {name.public_bytes() for name in names} | {name.rfc4514_string().casefold() for name in names}
    for cert in (cred.certificate, *cred.chain):
        for name in (cert.x509.issuer, cert.x509.subject if cert is not cred.certificate else None):
            if name is not None and (
                name.public_bytes() in wanted or name.rfc4514_string().casefold() in wanted
            ):
                return True
    return False


#: What to do when the server refuses our certificate, by the TLS alert it sent.
_REFUSALS: Final = {
    "unknown ca": "the server does not trust the CA that issued your certificate, or it needs intermediates "
    "you did not send (step 1): use your CAISO-issued certificate with its whole chain",
    "certificate expired": "your certificate has expired: install the renewed one",
    "certificate revoked": "your certificate is revoked: request a new one from your UAA",
    "unsupported certificate": "the server does not accept this kind of certificate (check its key usage "
    "and extended key usage for TLS clients)",
}
_OTHER_CA: Final = (
    "use a certificate issued by one of the CAs the server accepts (for CAISO: the CAISO issuing CA)"
)


def _refusal_advice(rejection: str, match: bool | None) -> str:
    if match is False:
        return _OTHER_CA
    for alert, advice in _REFUSALS.items():
        if alert in rejection:
            return advice
    return (
        "the server does not accept this certificate: check step 1 (validity, chain sent) and that your UAA "
        "has registered it for this application"
    )


def _client_auth_check(observed: Probe, cred: ClientCredential | None, key_ok: bool) -> _Outcome:
    if observed.stopped_untrusted:
        return ("not-run", f"{_STOPPED} before a client certificate was sent", None)
    if observed.version is None:
        return ("n/a", "no TLS handshake", None)
    if not observed.certificate_requested:
        if observed.handshake_error is not None:
            return ("n/a", "the handshake failed before the server could ask for a client certificate", None)
        if cred is not None:
            return ("pass", "the server did not ask for a client certificate (ours was not sent)", None)
        return ("pass", "the server did not ask for a client certificate", None)
    names = tuple(name.rfc4514_string() for name in observed.ca_names)
    accepts = f"it accepts certificates from: {'; '.join(names)}" if names else "it named no acceptable CAs"
    rejection = observed.handshake_error or observed.post_error
    if not observed.credential_sent:
        why = "none was given"
        if cred is not None and not key_ok:
            why = "ours was not sent: its key does not match (step 1)"
        elif cred is not None and observed.credential_error:
            why = f"ours could not be loaded ({observed.credential_error})"
        if rejection is None and observed.confirmed is not None:
            return (
                "pass",
                f"the server asked for a client certificate ({why}) and went on without one",
                None,
            )
        refused = f"; it refused the connection ({rejection})" if rejection else ""
        return (
            "fail",
            f"the server asked for a client certificate and {why}{refused}; {accepts}",
            "pass your client certificate and key (--p12 with the PFX CAISO issued you)",
        )
    assert cred is not None  # credential_sent implies a credential
    issuer = cred.certificate.issuer.rfc4514
    match = _matches(cred, observed.ca_names) if observed.ca_names else None
    if rejection is not None:
        detail = f"; {accepts}, ours is issued by {issuer}" if match is False else f"; {accepts}"
        refused = f"the server refused our certificate ({rejection}){detail}"
        return ("fail", refused, _refusal_advice(rejection, match))
    if match is False and observed.confirmed is None:
        return (
            "fail",
            f"our chain matches none of the CAs the server accepts ({'; '.join(names)}); "
            f"ours is issued by {issuer}",
            _OTHER_CA,
        )
    if observed.confirmed is None:
        return (
            "n/a",
            "the server asked for a client certificate and ours was sent, but it did not say whether it "
            "accepted it (it sent nothing after the handshake)",
            "give an https:// URL so the HTTP step can confirm",
        )
    listed = f" ({accepts})" if names else ""
    return (
        "pass",
        f"the server asked for a client certificate{listed}; ours was accepted: {observed.confirmed}",
        None,
    )


def _http_check(observed: Probe, target: _Target, method: HttpMethod | None) -> _Outcome:
    if not target.https:
        return ("n/a", "HOST:PORT target, no HTTP request", None)
    if method is None:
        return ("n/a", "HTTP request switched off", None)
    if observed.stopped_untrusted:
        return ("not-run", f"{_STOPPED}; no request was sent", None)
    if not observed.handshake_done or observed.post_error is not None:
        return ("n/a", "not attempted: the TLS connection did not succeed", None)
    if observed.http_error is not None:
        return (
            "fail",
            f"{method} {target.path}: {observed.http_error}",
            "check the URL and the application's status",
        )
    if observed.http_status is None:
        return ("n/a", "not attempted: no usable TLS connection", None)
    status = observed.http_status
    answer = f"{method} {target.path} -> {status} {observed.http_reason or ''}".rstrip()
    if status in (401, 403):
        return (
            "fail",
            f"{answer}: {_UAA}",
            "ask your UAA to grant your certificate access to this application",
        )
    if method == "HEAD" and status in (405, 501):
        return ("pass", f"{answer}: the application answered (it does not take HEAD; try GET)", None)
    if status < 400:
        return ("pass", answer, None)
    if status < 500:
        return ("fail", f"{answer}: the application refused the request", "check the URL's path")
    return (
        "fail",
        f"{answer}: the application failed",
        "try again later, or report it to the application's operator",
    )


# -- the entry point ---------------------------------------------------------------------------------


def connect(
    url_or_host_port: str,
    *,
    client: ClientCredential | CredentialLike | None,
    trust: TrustInput,
    server_name: str | None = None,
    profile: Profile = "rfc5280",
    cps: CpsProfile | str | os.PathLike[str] | None = None,
    http_method: HttpMethod | None = "GET",
    timeout: float = 10.0,
    continue_after_untrusted_server: bool = False,
) -> ConnectionReport:
    """Connect to ``url_or_host_port`` with ``client`` and report every step (see the module docs).

    ``url_or_host_port`` is an ``https://`` URL or ``HOST:PORT`` (no HTTP step).  ``client`` is a
    :class:`ClientCredential` (or anything with ``certificate``, ``key`` and ``chain``), or ``None`` to
    connect without one.  ``trust`` is a :class:`~caiso_pki.truststore.TrustStore` or certificates
    (anchors); nothing else is trusted.  ``server_name`` (default: the URL's host) is sent as SNI and
    must match the server's certificate.  ``profile`` is the validation profile for the server's chain;
    ``cps`` a CPS profile to lint the client certificate against.  ``http_method`` (``"GET"``,
    ``"HEAD"`` or ``None``) is the request of step 5.  Each network operation is bounded by ``timeout``
    seconds.

    The server's chain is validated during the handshake: when it fails, the connection is closed
    before ``client``'s certificate is presented or any request is sent, and steps 4 and 5 are
    ``not-run``.  ``continue_after_untrusted_server=True`` presents the certificate and sends the request
    all the same, to diagnose a server you have decided to talk to anyway; never use it otherwise.

    Raises only for bad input (a :class:`~caiso_pki.errors.CaisoPkiError` naming it) and
    :class:`ConnectUnavailableError` without pyOpenSSL; what goes wrong on the wire is in the report.
    """
    target = _target(url_or_host_port)
    if http_method is not None and http_method not in _METHODS:
        raise MalformedInputError(f"http_method {printable(repr(http_method))}: use GET, HEAD or None")
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise MalformedInputError(f"timeout {printable(repr(timeout))}: give a positive number of seconds")
    if not isinstance(continue_after_untrusted_server, bool):
        raise MalformedInputError("continue_after_untrusted_server: expected True or False")
    from caiso_pki._hostname import check_server_name

    name = server_name if server_name is not None else target.host
    ascii_name = check_server_name(name, what="server_name" if server_name is not None else "host")
    source = _TrustSource.of(trust)
    store = _trust_store(trust)
    cred = _credential(client)
    cps_profile = None
    if cps is not None:
        from caiso_pki.profiles.cps import load_cps_profile

        cps_profile = load_cps_profile(cps)
    # The client's chain must reach an anchor with only what it sends: the server has no copy of our
    # intermediates.  The server's chain may use the store's intermediates, as the caller's TLS client would.
    client_validator = _validator(store.filter(role="anchor"), "clientAuth", "rfc5280")
    server_validator = _validator(store, "serverAuth", profile)
    probe = _wire()
    now = dt.datetime.now(dt.UTC)

    key_ok = cred is not None and _key_matches_safely(cred)
    host = f"[{ascii_name}]" if ":" in ascii_name else ascii_name
    host_header = host if target.port == 443 else f"{host}:{target.port}"
    sni = None if _is_ip(ascii_name) else ascii_name.encode("ascii")
    validated: list[ValidationResult] = []

    def server_check(chain: tuple[Certificate, ...]) -> bool:
        if not chain:
            return False
        leaf, *intermediates = chain
        result = server_validator.validate(leaf, intermediates, server_name=name)
        validated.append(result)
        return result.valid

    observed: Probe = probe(
        target.host,
        target.port,
        credential=cred if key_ok else None,
        sni=sni,
        http_path=target.path if target.https else None,
        http_host=host_header,
        method=http_method,
        timeout=float(timeout),
        server_check=server_check,
        continue_after_untrusted_server=continue_after_untrusted_server,
    )
    server, validation = _server_check(observed, validated, name, source)
    untrusted = validation is not None and any(
        failure.code in ("no-path", "untrusted-root") for failure in validation.failures
    )
    checks = _client_checks(
        cred, client_validator, cps_profile, now, trust=source, server_untrusted=untrusted
    )
    checks.append(_guarded("tls", lambda: _tls_check(observed, target.host, target.port, float(timeout))))
    checks.append(server)
    checks.append(_guarded("client-auth", lambda: _client_auth_check(observed, cred, key_ok)))
    checks.append(_guarded("http", lambda: _http_check(observed, target, http_method)))
    return ConnectionReport(
        target=target.text,
        host=target.host,
        port=target.port,
        server_name=name,
        profile=profile,
        at=now,
        checks=tuple(checks),
        client_certificate=cred.certificate if cred is not None else None,
        connect_seconds=observed.connect_seconds,
        tls_version=observed.version_name,
        cipher=observed.cipher,
        server_chain=observed.peer_chain,
        server_validation=validation,
        client_certificate_requested=observed.certificate_requested if observed.version is not None else None,
        acceptable_ca_names=tuple(n.rfc4514_string() for n in observed.ca_names),
        http_method=http_method if target.https else None,
        http_status=observed.http_status,
        http_reason=observed.http_reason,
        client_certificate_sent=bool(observed.credential_sent and observed.certificate_requested),
        stopped_untrusted_server=observed.stopped_untrusted,
    )


def _key_matches_safely(cred: ClientCredential) -> bool:
    try:
        return _key_matches(cred)
    except Exception:  # a key that cannot be compared is not sent (the client-key check says why)
        return False


@attrs.frozen
class _TrustSource:
    """How the report names the trust input in its advice: ``what`` it is and the ``option`` to fix it."""

    what: str
    option: str
    store: TrustStore | None = None

    @classmethod
    def of(cls, trust: object) -> _TrustSource:
        from caiso_pki._text import display_path

        option = "--trust FILE or --store DIR; trust= in the API"
        if isinstance(trust, TrustStore):
            where = (
                f"the trust store {display_path(trust.directory)}" if trust.directory else "the trust store"
            )
            return cls(where, option, trust)
        from caiso_pki._source import NamedBytes

        if isinstance(trust, NamedBytes):  # read by the command line
            return cls(f"the trust file {trust.name}", option)
        if isinstance(trust, (str, os.PathLike)) and "-----BEGIN" not in str(trust):
            return cls(f"the trust file {display_path(trust)}", option)
        return cls("the trust certificates given", option)

    def holds_intermediate(self, subject: str) -> bool:
        """Whether the trust input has a non-anchor certificate named ``subject`` (an intermediate)."""
        if self.store is None:
            return False
        return any(
            entry.role != "anchor" and entry.certificate.subject.rfc4514 == subject for entry in self.store
        )
