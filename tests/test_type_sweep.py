"""Every public function and class of ``caiso_pki.__all__``, called with a wrong type in each parameter.

For each callable and each of its parameters, the parameter gets ``None``, an ``int``, a ``list`` of
``int`` and an empty ``str`` in turn while every other required parameter gets a sound value.  The call
may succeed (the value is acceptable there) or raise a :class:`~caiso_pki.errors.CaisoPkiError`; any
other exception, or a message that calls itself a bug, fails the case.  A callable added to
``__all__`` without an entry in :data:`SOUND` fails :func:`test_every_public_callable_is_swept`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import caiso_pki
from caiso_pki import testing
from caiso_pki.errors import CaisoPkiError

WRONG: dict[str, object] = {"None": None, "int": 7, "list-of-int": [1, 2], "empty-str": ""}

#: Public names that are not callables to sweep: exception classes are raised, not called with data
#: (a value named like one, such as the ReadError of the metrics, is swept).
NOT_SWEPT = frozenset(
    {"__version__", "FAILURE_CODES", "Fetcher", "FileKind"}  # a Protocol and a Literal: not callable
    | {
        name
        for name in caiso_pki.__all__
        if isinstance(getattr(caiso_pki, name), type) and issubclass(getattr(caiso_pki, name), BaseException)
    }
)


class Material:
    """Sound values, built once: a demo PKI, a key, a CSR, files on disk."""

    def __init__(self, d: Path) -> None:
        from caiso_pki import (
            build_csr,
            generate_private_key,
            lint_certificate,
            load_cps_profile,
            load_request_profile,
            validate_chain,
        )
        from caiso_pki.pkcs12 import export_pkcs12

        self.d = d
        self.pki = testing.DemoPki.create()
        self.issued = self.pki.issuing_ca.issue("api-client", "api.example.com")
        self.cert = self.issued.certificate
        self.key = self.issued.key
        self.root = self.pki.root.certificate
        self.trust = [self.root]
        self.chain = list(self.issued.chain)
        self.new_key = generate_private_key("ec-p256")
        self.csr = build_csr(
            self.new_key, "CN=rig-0001.example.com,O=Example,C=US", dns_names=["rig-0001.example.com"]
        )
        self.cert_path = d / "cert.pem"
        self.cert_path.write_text(self.cert.pem)
        self.pfx = export_pkcs12(self.key, self.cert, chain=self.chain, password="pw")
        self.crl = self.pki.issuing_ca.crl()
        self.cps = load_cps_profile("caiso-demo")
        self.request_profile = load_request_profile("rig")
        self.result = validate_chain(self.cert, self.chain, trust=self.trust, revocation="off")
        self.findings = lint_certificate(self.cert, self.cps)
        self.now = dt.datetime.now(dt.UTC)
        self._monitoring(d)

    def _monitoring(self, d: Path) -> None:
        """Sound values for the fleet-monitoring names: a report, a store on disk, an inventory."""
        from caiso_pki import FleetMonitor, TrustStore, audit_paths, connect, fleet_metrics

        self.report = audit_paths([self.cert_path], trust=self.trust, revocation="off")
        self.metrics = fleet_metrics(self.report)
        self.store_dir = d / "store"
        self.store = TrustStore.init(self.store_dir)
        self.store = TrustStore.from_certificates(self.trust).save(self.store_dir)
        # a real report of a refused connection: nothing listens on port 1 of the loopback address
        self.connection = connect("127.0.0.1:1", client=None, trust=self.trust, http_method=None, timeout=2.0)
        self.password_path = d / "pfx.pass"
        self.password_path.write_text("pw\n")
        self.inventory_path = d / "inventory.toml"
        self.inventory_path.write_text('[[file]]\nmatch = "cert.pem"\nlabels = { owner = "ops" }\n')
        self.monitor = FleetMonitor([self.cert_path])

    def ssl_context(self) -> object:
        from caiso_pki import client_ssl_context

        return client_ssl_context(self.cert, self.key, trust=self.trust, chain=self.chain)


_MATERIAL: dict[str, Material] = {}


@pytest.fixture(scope="module")
def m(tmp_path_factory: pytest.TempPathFactory) -> Material:
    if "m" not in _MATERIAL:
        _MATERIAL["m"] = Material(tmp_path_factory.mktemp("sweep"))
    return _MATERIAL["m"]


def _ocsp(m: Material) -> bytes:
    from cryptography.x509 import ocsp

    return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.INTERNAL_ERROR).public_bytes(
        __import__("cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.DER
    )


#: callable -> sound values of its required parameters (optional ones keep their defaults).
SOUND: dict[str, Callable[[Material], dict[str, Any]]] = {
    "AlgorithmPolicy": lambda m: {},
    "AuditReport": lambda m: {"at": m.now, "paths": ("x",), "entries": ()},
    "Certificate": lambda m: {"der": m.cert.der},
    "ChainCheck": lambda m: {"validation": m.result, "findings": (), "ok": True, "kind": "api-client"},
    "ClientCredential": lambda m: {"certificate": m.cert, "key": m.key},
    "ConnectionCheck": lambda m: {"step": 1, "name": "tls", "title": "t", "status": "pass", "reason": "r"},
    "ConnectionReport": lambda m: {
        "target": "h:1",
        "host": "h",
        "port": 1,
        "server_name": "h",
        "profile": "rfc5280",
        "at": m.now,
        "checks": (),
    },
    "CpsProfile": lambda m: {
        "name": "p",
        "title": "t",
        "description": "d",
        "source": "s",
        "kinds": {},
        "chain_rules": {},
        "documents": {},
    },
    "Csr": lambda m: {"x509": m.csr.x509},
    "CsrDescription": lambda m: {
        "subject": m.cert.subject,
        "key_algorithm": "EC",
        "key_size": 256,
        "key_curve": "secp256r1",
        "key_spec": "ec-p256",
        "signature_algorithm": "ecdsa-with-SHA256",
        "signature_valid": True,
        "subject_alt_names": m.cert.subject_alt_names,
        "key_usage": None,
        "extended_key_usage": None,
        "is_ca": None,
        "requested_extensions": (),
        "challenge_password": False,
    },
    "DistinguishedName": lambda m: {"rfc4514": "CN=x", "attributes": ()},
    "Finding": lambda m: {"code": "X", "severity": caiso_pki.Severity.ERROR, "message": "m"},
    "FindingList": lambda m: {},
    "FleetCache": lambda m: {},
    "HttpFetcher": lambda m: {},
    "KeySpec": lambda m: {"algorithm": "ec", "bits": 256, "curve": "p256"},
    "PathBudget": lambda m: {},
    "Pkcs12Bundle": lambda m: {"key": m.key, "certificate": m.cert},
    "PolicyInformation": lambda m: {"oid": "2.5.29.32.0"},
    "PolicyRequirement": lambda m: {},
    "RenewalRequest": lambda m: {"csr": m.csr, "key": m.new_key},
    "RequestFinding": lambda m: {"code": "X", "severity": "error", "message": "m", "field": "f", "rule": "r"},
    "RequestProfile": lambda m: {"name": "p"},
    "RevocationCache": lambda m: {},
    "RevocationStatus": lambda m: {"index": 0, "subject": "CN=x", "status": "good"},
    "Severity": lambda m: {"value": "error"},
    "StoreDiff": lambda m: {},
    "Subject": lambda m: {},
    "SubjectAltNames": lambda m: {},
    "TrustEntry": lambda m: {"certificate": m.root, "role": "anchor"},
    "TrustStore": lambda m: {},
    "UserNotice": lambda m: {},
    "Validator": lambda m: {"trust": m.trust},
    "ValidationFailure": lambda m: {"code": "expired", "message": "m"},
    "ValidationResult": lambda m: {"valid": False, "path": ()},
    "audit_paths": lambda m: {"paths": [m.cert_path], "trust": m.trust},
    "build_csr": lambda m: {"key": m.new_key, "subject": "CN=x.example.com"},
    "check_chain": lambda m: {"leaf": m.cert, "intermediates": m.chain, "trust": m.trust, "profile": m.cps},
    "check_csr": lambda m: {"csr": m.csr, "profile": "rig"},
    "client_ssl_context": lambda m: {"cert": m.cert, "key": m.key, "trust": m.trust},
    "connect": lambda m: {"url_or_host_port": "https://127.0.0.1:1/", "client": None, "trust": m.trust},
    "cps_kind": lambda m: {"cert": m.cert.der},
    "export_pkcs12": lambda m: {"key": m.key, "cert": m.cert, "password": "pw"},
    "findings_to_sarif": lambda m: {"findings": m.findings, "tool_version": "1", "artifact_uri": "x.pem"},
    "generate_private_key": lambda m: {"spec": "ec-p256"},
    "lint_certificate": lambda m: {"cert": m.cert, "profile": m.cps},
    "lint_chain": lambda m: {"path": [m.cert, *m.chain], "profile": m.cps},
    "lint_csr": lambda m: {"csr": m.csr, "profile": m.cps, "kind": "rig"},
    "load_certificate": lambda m: {"source": m.cert.pem},
    "load_certificates": lambda m: {"source": m.cert.pem},
    "load_cps_profile": lambda m: {"source": "caiso-demo"},
    "load_crl": lambda m: {"source": m.crl},
    "file_kind": lambda m: {"source": m.crl},
    "load_csr": lambda m: {"source": m.csr.pem},
    "load_ocsp_response": lambda m: {"source": _ocsp(m)},
    "load_pkcs12": lambda m: {"source": m.pfx, "password": "pw"},
    "load_private_key": lambda m: {"source": m.issued.key_pem()},
    "load_request_profile": lambda m: {"name_or_path": "rig"},
    "oid_name": lambda m: {"oid": "2.5.29.32.0"},
    "parse_oid": lambda m: {"value": "anyPolicy"},
    "renewal_csr": lambda m: {"cert": m.cert, "key": m.key},
    "requests_adapter": lambda m: {"ctx": m.ssl_context()},
    "save_private_key": lambda m: {"key": m.new_key, "path": m.d / "swept.key", "overwrite": True},
    "server_ssl_context": lambda m: {"cert": m.cert, "key": m.key},
    "validate_chain": lambda m: {"leaf": m.cert, "intermediates": m.chain, "trust": m.trust},
    "validate_chain_async": lambda m: {"leaf": m.cert, "intermediates": m.chain, "trust": m.trust},
    "validate_many": lambda m: {"leaves": [m.cert], "intermediates": m.chain, "trust": m.trust},
    "validate_many_async": lambda m: {"leaves": [m.cert], "intermediates": m.chain, "trust": m.trust},
    "worst_severity": lambda m: {"findings": m.findings},
    # fleet monitoring
    "CertificateSample": lambda m: {
        "subject": "CN=x",
        "issuer": "CN=y",
        "serial": "01",
        "kind": "rig",
        "not_before": m.now,
        "not_after": m.now,
        "valid": True,
    },
    "CrlFreshness": lambda m: {
        "issuer": "CN=y",
        "source": "y.crl",
        "this_update": m.now,
        "next_update": m.now,
    },
    "EndpointStatus": lambda m: {"endpoint": "127.0.0.1:1", "up": False},
    "Exporter": lambda m: {"monitor": m.monitor, "store": m.store_dir},
    "FleetMetrics": lambda m: {"at": m.now},
    "FleetMonitor": lambda m: {"paths": [m.cert_path]},
    "Inventory": lambda m: {},
    "PasswordSource": lambda m: {"file": m.password_path},
    "ReadError": lambda m: {"path": "x.pem", "reason": "r"},
    "SnapshotCollector": lambda m: {"source": m.metrics},
    "fleet_kind": lambda m: {"cert": m.cert},
    "endpoint_status": lambda m: {"report": m.connection, "store": m.store},
    "fleet_metrics": lambda m: {"report": m.report, "store": m.store},
    "load_inventory": lambda m: {"source": m.inventory_path},
    "render_prometheus": lambda m: {"metrics": m.metrics},
    "scan_fleet": lambda m: {"paths": [m.cert_path], "trust": m.store},
}

#: Parameters left out of the sweep, each with the reason.
SKIPPED_PARAMETERS: dict[tuple[str, str], str] = {
    ("connect", "timeout"): "a wrong timeout is refused, but None is the only value that would wait long",
    ("save_private_key", "overwrite"): "a non-bool overwrite is truthy and replaces the file, as intended",
    ("Severity", "names"): "Enum's functional API (Severity(value, names) makes a new enum), not an input",
    ("Severity", "module"): "Enum's functional API",
    ("Severity", "qualname"): "Enum's functional API",
    ("Severity", "type"): "Enum's functional API",
    ("Severity", "start"): "Enum's functional API",
    ("Severity", "boundary"): "Enum's functional API",
}


def _parameters(name: str) -> list[inspect.Parameter]:
    obj = getattr(caiso_pki, name)
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):  # pragma: no cover - every swept callable has one
        return []
    return [
        parameter
        for parameter in signature.parameters.values()
        if parameter.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]


def _cases() -> Iterator[Any]:
    for name in sorted(SOUND):
        for parameter in _parameters(name):
            if (name, parameter.name) in SKIPPED_PARAMETERS:
                continue
            for label in WRONG:
                yield pytest.param(name, parameter.name, label, id=f"{name}-{parameter.name}-{label}")


def test_every_public_callable_is_swept() -> None:
    public = {name for name in caiso_pki.__all__ if name not in NOT_SWEPT}
    assert public == set(SOUND)


def _call(name: str, kwargs: dict[str, Any], parameters: list[inspect.Parameter]) -> object:
    obj = getattr(caiso_pki, name)
    args = []
    keywords = {}
    for parameter in parameters:
        if parameter.name not in kwargs:
            continue
        if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
            args.append(kwargs[parameter.name])
        else:
            keywords[parameter.name] = kwargs[parameter.name]
    result = obj(*args, **keywords)
    if inspect.iscoroutine(result):
        return asyncio.run(result)
    return result


@pytest.mark.parametrize(("name", "parameter", "label"), list(_cases()))
def test_a_wrong_type_raises_only_a_caiso_pki_error(
    m: Material, name: str, parameter: str, label: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a wrong path must not write into the suite's working directory
    kwargs = SOUND[name](m)
    kwargs[parameter] = WRONG[label]
    message = ""
    try:
        _call(name, kwargs, _parameters(name))
    except CaisoPkiError as exc:
        message = str(exc)
    except Exception as exc:
        pytest.fail(f"{name}({parameter}={WRONG[label]!r}) raised {type(exc).__name__}: {exc}")
    finally:
        for leftover in tmp_path.iterdir():
            os.chmod(leftover, 0o700)
    assert "bug" not in message.lower(), message
