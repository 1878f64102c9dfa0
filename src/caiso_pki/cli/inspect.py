"""``caiso-pki inspect FILE``: describe a certificate (one or many), CSR, CRL, OCSP response, PKCS#7,
PKCS#12 or key file.

The format is detected from the content, which is read once (so a pipe or ``-`` for standard input
works).  Text output is a readable table per object (rich when it is installed, plain lines otherwise),
every value escaped so names cannot drive the terminal; ``--json`` prints one JSON document with exact
values, built from :meth:`Certificate.to_dict`, :meth:`Csr.to_dict`, :func:`describe_crl` and
:func:`describe_ocsp_response`.  A certificate with a malformed extension is still described: every
readable field is shown and the malformed extension is named.  Passwords for PKCS#12 files and
encrypted keys come from ``--password-file``, ``--password-env VAR`` or a hidden prompt (only on a
terminal), never from a plain argument.  Unreadable or unrecognised input exits with status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

import click

from caiso_pki._text import printable
from caiso_pki._time import iso
from caiso_pki.cli._common import (
    INPUT_FILE,
    STDIN_HELP,
    echo_json,
    handle_errors,
    read_password,
    rich_console,
)
from caiso_pki.errors import MalformedInputError, PasswordError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
    from cryptography.x509 import ocsp

    from caiso_pki._source import NamedBytes
    from caiso_pki.certificate import Certificate
    from caiso_pki.csr import Csr
    from caiso_pki.pkcs12 import Pkcs12Bundle

__all__ = ["describe_crl", "describe_ocsp_response", "describe_private_key", "inspect_cmd"]

Rows = list[tuple[str, str]]

_UNKNOWN_KIND: Final = "not a certificate, CSR, CRL, OCSP response, PKCS#7, PKCS#12 or private key file"


def describe_crl(crl: x509.CertificateRevocationList) -> dict[str, Any]:
    """JSON-ready description of a CRL: issuer, this/next update, number and every revoked entry.

    ``crl`` should come from :func:`caiso_pki.load_crl`, which has already read every entry, so this
    cannot fail on a damaged entry.
    """
    from cryptography import x509 as cx509

    from caiso_pki.certificate import serial_to_hex
    from caiso_pki.name import DistinguishedName
    from caiso_pki.oids import oid_name

    def extension(kind: type[cx509.ExtensionType], extensions: cx509.Extensions) -> Any:
        try:
            return extensions.get_extension_for_class(kind).value
        except cx509.ExtensionNotFound:
            return None

    number = extension(cx509.CRLNumber, crl.extensions)
    delta = extension(cx509.DeltaCRLIndicator, crl.extensions)
    aki = extension(cx509.AuthorityKeyIdentifier, crl.extensions)
    revoked = []
    for entry in crl:
        reason = extension(cx509.CRLReason, entry.extensions)
        invalidity = extension(cx509.InvalidityDate, entry.extensions)
        revoked.append(
            {
                "serial": serial_to_hex(entry.serial_number),
                "date": iso(entry.revocation_date_utc),
                "reason": reason.reason.value if reason is not None else None,
                "invalidity_date": iso(invalidity.invalidity_date_utc) if invalidity is not None else None,
            }
        )
    return {
        "issuer": DistinguishedName.from_cryptography(crl.issuer).to_dict(),
        "this_update": iso(crl.last_update_utc),
        "next_update": iso(crl.next_update_utc),
        "number": number.crl_number if number is not None else None,
        "delta_crl_base": delta.crl_number if delta is not None else None,
        "authority_key_identifier": (
            aki.key_identifier.hex() if aki is not None and aki.key_identifier is not None else None
        ),
        "signature_algorithm": oid_name(crl.signature_algorithm_oid),
        "revoked_count": len(revoked),
        "revoked": revoked,
    }


def describe_ocsp_response(response: ocsp.OCSPResponse) -> dict[str, Any]:
    """JSON-ready description of an OCSP response: status, responder, produced-at and each answer.

    ``response`` should come from :func:`caiso_pki.load_ocsp_response`, which has already
    read every field, so this cannot fail on damage.  A response whose status is not ``successful``
    carries nothing else: only ``status`` is set then.
    """
    from cryptography.x509 import ocsp as cx_ocsp

    from caiso_pki.certificate import serial_to_hex
    from caiso_pki.name import DistinguishedName
    from caiso_pki.oids import oid_name

    status = response.response_status.name.lower().replace("_", "-")
    data: dict[str, Any] = {
        "status": status,
        "responder": None,
        "produced_at": None,
        "signature_algorithm": None,
        "certificates": 0,
        "responses": [],
    }
    if response.response_status != cx_ocsp.OCSPResponseStatus.SUCCESSFUL:
        return data
    if response.responder_name is not None:
        responder = {"name": DistinguishedName.from_cryptography(response.responder_name).rfc4514}
    else:
        responder = {"key_hash": (response.responder_key_hash or b"").hex()}
    data.update(
        responder=responder,
        produced_at=iso(response.produced_at_utc),
        signature_algorithm=oid_name(response.signature_algorithm_oid),
        certificates=len(response.certificates),
    )
    for single in response.responses:
        revoked = single.certificate_status == cx_ocsp.OCSPCertStatus.REVOKED
        data["responses"].append(
            {
                "serial": serial_to_hex(single.serial_number),
                "status": single.certificate_status.name.lower(),
                "this_update": iso(single.this_update_utc),
                "next_update": iso(single.next_update_utc),
                "revocation_time": iso(single.revocation_time_utc) if revoked else None,
                "revocation_reason": (
                    single.revocation_reason.value if revoked and single.revocation_reason else None
                ),
                "hash_algorithm": single.hash_algorithm.name,
                "issuer_name_hash": single.issuer_name_hash.hex(),
                "issuer_key_hash": single.issuer_key_hash.hex(),
            }
        )
    return data


def describe_private_key(key: PrivateKeyTypes) -> dict[str, Any]:
    """Algorithm and size of a private key: nothing secret."""
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    if isinstance(key, rsa.RSAPrivateKey):
        return {"algorithm": "RSA", "size": key.key_size, "curve": None}
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {"algorithm": "EC", "size": key.key_size, "curve": key.curve.name}
    if isinstance(key, dsa.DSAPrivateKey):
        return {"algorithm": "DSA", "size": key.key_size, "curve": None}
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return {"algorithm": "Ed25519", "size": 256, "curve": None}
    if isinstance(key, ed448.Ed448PrivateKey):
        return {"algorithm": "Ed448", "size": 456, "curve": None}
    return {"algorithm": type(key).__name__, "size": None, "curve": None}


# -- text rendering -------------------------------------------------------------------------------


def _days_left(cert: Certificate) -> str:
    days = cert.days_remaining()
    if days < 0:
        return f"expired {-days} days ago"
    if not cert.is_valid_at():
        return "not yet valid"
    return f"{days} days left"


def _certificate_rows(cert: Certificate) -> Rows:
    """Every readable field of ``cert``; a field a malformed extension hides says so, naming it."""
    from caiso_pki.oids import oid_name

    broken = {view: (extension, message) for view, extension, message in cert.unreadable()}

    def unreadable(label: str, view: str) -> Rows | None:
        if view not in broken:
            return None
        extension, _ = broken[view]
        return [(label, f"unreadable: the {extension} extension is malformed")]

    rows: Rows = [
        ("Subject", cert.subject.rfc4514),
        ("Issuer", cert.issuer.rfc4514 + ("  (self-issued)" if cert.is_self_issued else "")),
        ("Serial", cert.serial_hex),
        ("Valid from", iso(cert.not_before) or ""),
        ("Valid until", f"{iso(cert.not_after)}  ({_days_left(cert)})"),
    ]
    key = cert.key_algorithm
    if "key_curve" not in broken and cert.key_curve:
        key += f" {cert.key_curve}"
    elif cert.key_size:
        key += f" {cert.key_size}"
    rows.append(("Key", key))
    rows.append(("Signature", cert.signature_algorithm))
    rows.append(("SHA-256", cert.fingerprint_sha256))
    rows.append(("SHA-1", cert.fingerprint_sha1))
    rows.extend(unreadable("CA", "_basic_constraints") or _ca_rows(cert))
    rows.extend(unreadable("Key usage", "key_usage") or _optional("Key usage", ", ".join(cert.key_usage)))
    rows.extend(
        unreadable("Extended key usage", "extended_key_usage")
        or _optional(
            "Extended key usage", ", ".join(_named(oid, oid_name(oid)) for oid in cert.extended_key_usage)
        )
    )
    rows.extend(unreadable("Subject alt name", "subject_alt_names") or _san_rows(cert))
    rows.extend(unreadable("Policy", "policies") or _policy_rows(cert))
    rows.extend(
        unreadable("Subject key id", "subject_key_identifier")
        or _optional("Subject key id", cert.subject_key_identifier)
    )
    rows.extend(
        unreadable("Authority key id", "authority_key_identifier")
        or _optional("Authority key id", cert.authority_key_identifier)
    )
    rows.extend(
        unreadable("CRL distribution", "crl_distribution_points")
        or [("CRL distribution", url) for url in cert.crl_distribution_points]
    )
    rows.extend(
        unreadable("Authority info", "_access_descriptions")
        or [("OCSP", url) for url in cert.ocsp_urls] + [("CA issuers", url) for url in cert.ca_issuers_urls]
    )
    if "extension_oids" in broken:
        rows.append(("Extensions", "unreadable: the extensions are malformed"))
    rows.extend(("Not supported", problem) for problem in cert.unsupported)
    if not cert.parsed_by_cryptography:
        rows.append(
            ("Note", "read with the asn1crypto fallback (cryptography cannot parse this certificate)")
        )
    return rows


def _optional(label: str, value: str | None) -> Rows:
    return [(label, value)] if value else []


def _ca_rows(cert: Certificate) -> Rows:
    if not cert.is_ca:
        return [("CA", "no")]
    path = "" if cert.path_length is None else f", path length {cert.path_length}"
    return [("CA", f"yes{path}")]


def _san_rows(cert: Certificate) -> Rows:
    sans = cert.subject_alt_names
    rows: Rows = []
    for label, values in (
        ("DNS", sans.dns),
        ("IP", sans.ip),
        ("email", sans.email),
        ("URI", sans.uri),
        ("DirName", sans.directory),
        ("other", sans.other),
    ):
        rows.extend(("Subject alt name", f"{label}:{value}") for value in values)
    return rows


def _policy_rows(cert: Certificate) -> Rows:
    rows: Rows = []
    for policy in cert.policies:
        rows.append(("Policy", _named(policy.oid, policy.name)))
        rows.extend(("  CPS", uri) for uri in policy.cps_uris)
        for notice in policy.user_notices:
            parts = [notice.explicit_text or ""]
            if notice.organization:
                numbers = ", ".join(str(n) for n in notice.notice_numbers)
                parts.append(f"({notice.organization} {numbers})")
            rows.append(("  User notice", " ".join(part for part in parts if part)))
    return rows


def _named(oid: str, name: str) -> str:
    return oid if name == oid else f"{name} ({oid})"


def _crl_rows(data: dict[str, Any]) -> Rows:
    rows: Rows = [
        ("Issuer", data["issuer"]["rfc4514"]),
        ("This update", data["this_update"]),
        ("Next update", data["next_update"] or "(none)"),
        ("CRL number", "(none)" if data["number"] is None else str(data["number"])),
    ]
    if data["delta_crl_base"] is not None:
        rows.append(("Delta CRL of", str(data["delta_crl_base"])))
    if data["authority_key_identifier"]:
        rows.append(("Authority key id", data["authority_key_identifier"]))
    rows.append(("Signature", data["signature_algorithm"]))
    rows.append(("Revoked", str(data["revoked_count"])))
    for entry in data["revoked"]:
        reason = f"  {entry['reason']}" if entry["reason"] else ""
        rows.append(("  " + entry["serial"], f"{entry['date']}{reason}"))
    return rows


def _ocsp_rows(data: dict[str, Any]) -> Rows:
    rows: Rows = [("Status", data["status"])]
    if data["status"] != "successful":
        return rows
    responder = data["responder"]
    rows.append(("Responder", responder.get("name") or f"key hash {responder.get('key_hash')}"))
    rows.append(("Produced at", data["produced_at"]))
    rows.append(("Signature", data["signature_algorithm"]))
    rows.append(("Certificates", str(data["certificates"])))
    for answer in data["responses"]:
        status = answer["status"]
        if answer["revocation_time"]:
            reason = f", {answer['revocation_reason']}" if answer["revocation_reason"] else ""
            status += f" at {answer['revocation_time']}{reason}"
        rows.append(("Certificate", f"serial {answer['serial']}"))
        rows.append(("  Status", status))
        rows.append(("  This update", answer["this_update"]))
        rows.append(("  Next update", answer["next_update"] or "(none)"))
    return rows


def _flatten(data: Any, prefix: str = "") -> Rows:
    """Rows from nested JSON-ready data (used for CSRs, whose dict comes from Csr.to_dict)."""
    rows: Rows = []
    if isinstance(data, dict):
        if set(data) >= {"rfc4514", "attributes"}:
            return [(prefix, str(data["rfc4514"]))]
        if set(data) == {"oid", "name"}:
            return [(prefix, _named(str(data["oid"]), str(data["name"])))]
        for key, value in data.items():
            label = key.replace("_", " ")
            rows.extend(_flatten(value, f"{prefix} {label}".strip()))
    elif isinstance(data, list):
        for item in data:
            rows.extend(_flatten(item, prefix))
    elif data is not None and data != "":
        rows.append((prefix, str(data)))
    return rows


def _key_rows(data: dict[str, Any]) -> Rows:
    text = str(data["algorithm"])
    if data.get("curve"):
        text += f" {data['curve']}"
    elif data.get("size"):
        text += f" {data['size']}"
    return [("Key", text)]


class _Renderer:
    """Prints titled sections of rows with rich when it is installed, plain text otherwise."""

    def __init__(self) -> None:
        self._console: Any = None
        stream = sys.stdout  # looked up now, so click's test runner capture works
        width = None if stream.isatty() else 200
        try:
            self._console = rich_console(file=stream, width=width, highlight=False, soft_wrap=False)
        except ImportError:  # the [cli] extra normally brings rich; plain text still works
            return

    def section(self, title: str, rows: Rows) -> None:
        """Print one titled table; every label and value is escaped (they come from the file)."""
        rows = [(printable(label), printable(value)) for label, value in rows]
        title = printable(title)
        if self._console is None:
            click.echo(title)
            width = max((len(label) for label, _ in rows), default=0)
            for label, value in rows:
                click.echo(f"  {label.ljust(width)}  {value}")
            click.echo()
            return
        from rich.table import Table
        from rich.text import Text

        table = Table(title=Text(title, style="bold"), title_justify="left", show_header=False, box=None)
        table.add_column(style="cyan", no_wrap=True)
        table.add_column(overflow="fold")
        for label, value in rows:
            table.add_row(Text(label), Text(value))
        self._console.print(table)
        self._console.print()


# -- the command ----------------------------------------------------------------------------------


def _password(
    password_file: NamedBytes | None, password_env: str | None, prompt: str, *, file: NamedBytes, pfx: bool
) -> str | None:
    return read_password(
        password_file=password_file,
        env_var=password_env,
        prompt=prompt,
        file_option="--password-file",
        allow_empty=pfx,
        needed_for=file.name,
    )


def _open_pkcs12(
    file: NamedBytes, password_file: NamedBytes | None, password_env: str | None
) -> Pkcs12Bundle:
    """The bundle, with the password given; without one, an unprotected bundle opens and a protected
    one asks (on a terminal only).  An empty password is never tried unless it is given."""
    from caiso_pki.pkcs12 import load_pkcs12

    if password_file is not None or password_env:
        return load_pkcs12(
            file, password=_password(password_file, password_env, "PKCS#12 password", file=file, pfx=True)
        )
    try:
        return load_pkcs12(file)
    except PasswordError:
        return load_pkcs12(file, password=_password(None, None, "PKCS#12 password", file=file, pfx=True))


@click.command("inspect")
@click.argument("file", type=INPUT_FILE)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
@click.option(
    "--password-file",
    type=INPUT_FILE,
    default=None,
    help=f"Read the PKCS#12 or private-key password from the first line of this file ({STDIN_HELP}).",
)
@click.option(
    "--password-env",
    metavar="VAR",
    default=None,
    help="Read the PKCS#12 or private-key password from environment variable VAR.",
)
@handle_errors
def inspect_cmd(
    file: NamedBytes, as_json: bool, password_file: NamedBytes | None, password_env: str | None
) -> None:
    """Describe FILE: certificate(s), CSR, CRL, OCSP response, PKCS#7 (.p7b/.p7c), PKCS#12 (.p12/.pfx)
    or private key.

    FILE may be - for stdin.  PEM or DER is detected from the content.  For a PKCS#12 file or an
    encrypted key without --password-file/--password-env, the password is asked for with a hidden
    prompt on the terminal; without a terminal that is an error (exit 2).

    \b
    Example:
      caiso-pki inspect demo-files/rig.pem
    """
    from caiso_pki.certificate import load_certificates
    from caiso_pki.csr import load_csr
    from caiso_pki.keys import load_private_key
    from caiso_pki.kinds import file_kind
    from caiso_pki.revocation_data import load_crl

    kind = file_kind(file)
    document: dict[str, Any] = {"file": file.name, "kind": kind}
    sections: list[tuple[str, Rows]] = []

    def add_certificates(certs: Sequence[Certificate]) -> None:
        document["certificates"] = [cert.to_dict() for cert in certs]
        for index, cert in enumerate(certs, start=1):
            title = f"Certificate {index} of {len(certs)}" if len(certs) > 1 else "Certificate"
            sections.append((title, _certificate_rows(cert)))

    if kind in ("certificate", "pkcs7"):
        add_certificates(load_certificates(file))
    elif kind == "csr":
        csr: Csr = load_csr(file)
        document["csr"] = csr.to_dict()
        sections.append(("Certificate signing request", _flatten(document["csr"])))
    elif kind == "crl":
        document["crl"] = describe_crl(load_crl(file))
        sections.append(("Certificate revocation list", _crl_rows(document["crl"])))
    elif kind == "ocsp-response":
        from caiso_pki.revocation_data import load_ocsp_response

        document["ocsp_response"] = describe_ocsp_response(load_ocsp_response(file))
        sections.append(("OCSP response", _ocsp_rows(document["ocsp_response"])))
    elif kind == "pkcs12":
        bundle = _open_pkcs12(file, password_file, password_env)
        key_data = describe_private_key(bundle.key) if bundle.key is not None else None
        document["friendly_name"] = bundle.friendly_name
        document["private_key"] = key_data
        certs = list(bundle.certificates)
        summary: Rows = [("Friendly name", bundle.friendly_name or "(none)")]
        summary.extend(_key_rows(key_data) if key_data else [("Key", "(none)")])
        summary.append(("Certificates", str(len(certs))))
        sections.append(("PKCS#12 bundle", summary))
        add_certificates(certs)
    elif kind == "private-key":
        document["private_key"] = _load_key_description(file, password_file, password_env, load_private_key)
        encrypted = "yes" if document["private_key"]["encrypted"] else "no"
        sections.append(("Private key", [*_key_rows(document["private_key"]), ("Encrypted", encrypted)]))
    else:
        raise MalformedInputError(f"{file.name}: {_UNKNOWN_KIND}")

    if as_json:
        echo_json(document)
        return
    renderer = _Renderer()
    for title, rows in sections:
        renderer.section(title, rows)


def _load_key_description(
    file: NamedBytes,
    password_file: NamedBytes | None,
    password_env: str | None,
    load_private_key: Callable[..., PrivateKeyTypes],
) -> dict[str, Any]:
    given = password_file is not None or password_env is not None
    encrypted = given
    if given:
        secret = _password(password_file, password_env, "Key password", file=file, pfx=False)
        key = load_private_key(file, password=secret)
    else:
        try:
            key = load_private_key(file)
        except PasswordError:
            encrypted = True
            secret = _password(None, None, "Key password", file=file, pfx=False)
            key = load_private_key(file, password=secret)
    return {**describe_private_key(key), "encrypted": encrypted}
