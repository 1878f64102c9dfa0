"""How certificates, CSRs, validation results, lint findings and trust stores look to people.

Three renderings of the same objects, each built only from the public API:

* **HTML** for Jupyter (``_repr_html_`` on the classes delegates here): self-contained fragments with
  inline styles, no scripts and no external assets, every value escaped with :func:`html.escape`;
* **rich** renderables for terminals (``__rich__`` on the classes delegates here); ``rich`` comes with
  the ``cli`` extra and is imported only when one of these functions runs;
* an **expiry timeline** picture (:func:`plot_expiry`) drawn with matplotlib, from the ``plot`` extra.

>>> from caiso_pki import testing, validate_chain
>>> pki = testing.DemoPki.create()
>>> rig = pki.issuing_ca.issue("rig", "rig-0001.example.com")
>>> result = validate_chain(rig.certificate, rig.chain, trust=pki.trust_anchors, revocation="off")
>>> "VALID" in validation_html(result)
True
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Final, TypeGuard

from caiso_pki._text import printable
from caiso_pki._time import ensure_aware
from caiso_pki.certificate import Certificate
from caiso_pki.errors import MalformedInputError, PlotUnavailableError
from caiso_pki.oids import oid_name

if TYPE_CHECKING:
    from matplotlib.figure import Figure  # type: ignore[import-not-found,unused-ignore]
    from rich.console import RenderableType
    from rich.text import Text

    from caiso_pki.csr import Csr
    from caiso_pki.lint import ChainCheck, Finding
    from caiso_pki.truststore import TrustEntry, TrustStore
    from caiso_pki.types import TimelineInput
    from caiso_pki.validation import ValidationResult

__all__ = [
    "EXPIRING_DAYS",
    "PlotUnavailableError",
    "certificate_html",
    "certificate_rich",
    "chain_check_html",
    "chain_check_rich",
    "csr_html",
    "csr_rich",
    "expiry_status",
    "expiry_timeline_html",
    "findings_html",
    "findings_rich",
    "plot_expiry",
    "truststore_html",
    "truststore_rich",
    "validation_html",
    "validation_rich",
]

#: Certificates that expire within this many days are shown as "expiring".
EXPIRING_DAYS: Final = 90


# -- shared pieces -----------------------------------------------------------------------------------

_FONT: Final = (
    "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
    "font-size:13px;line-height:1.45;color:#1f2328;background:#ffffff;"
)
_BOX: Final = f"{_FONT}border:1px solid #d0d7de;border-radius:6px;padding:10px 12px;max-width:980px;"
_TABLE: Final = "border-collapse:collapse;width:100%;margin:4px 0;"
_TH: Final = (
    "text-align:left;vertical-align:top;padding:3px 10px 3px 0;color:#57606a;font-weight:600;"
    "white-space:nowrap;border-bottom:1px solid #eaeef2;"
)
_TD: Final = "text-align:left;vertical-align:top;padding:3px 10px 3px 0;border-bottom:1px solid #eaeef2;"
_MONO: Final = "font-family:SFMono-Regular,Consolas,'Liberation Mono',Menlo,monospace;font-size:12px;"
_MUTED: Final = "color:#57606a;"

# status -> (text colour, background)
_COLOURS: Final[dict[str, tuple[str, str]]] = {
    "ok": ("#1a7f37", "#dafbe1"),
    "valid": ("#1a7f37", "#dafbe1"),
    "good": ("#1a7f37", "#dafbe1"),
    "info": ("#0969da", "#ddf4ff"),
    "notice": ("#0969da", "#ddf4ff"),
    "not-checked": ("#57606a", "#eaeef2"),
    "unknown": ("#9a6700", "#fff8c5"),
    "expiring": ("#9a6700", "#fff8c5"),
    "warning": ("#9a6700", "#fff8c5"),
    "not-yet-valid": ("#9a6700", "#fff8c5"),
    "error": ("#cf222e", "#ffebe9"),
    "invalid": ("#cf222e", "#ffebe9"),
    "failed": ("#cf222e", "#ffebe9"),
    "expired": ("#cf222e", "#ffebe9"),
    "revoked": ("#cf222e", "#ffebe9"),
    "retired": ("#6e7781", "#eaeef2"),
}

# status -> rich style
_RICH: Final[dict[str, str]] = {
    "ok": "green",
    "valid": "bold green",
    "good": "green",
    "info": "blue",
    "notice": "blue",
    "not-checked": "dim",
    "unknown": "yellow",
    "expiring": "yellow",
    "warning": "yellow",
    "not-yet-valid": "yellow",
    "error": "bold red",
    "invalid": "bold red",
    "failed": "red",
    "expired": "red",
    "revoked": "bold red",
    "retired": "dim",
}


def _e(value: object) -> str:
    """A value for HTML: control and bidi characters escaped (a browser would reorder or hide text at
    them), then HTML-escaped.  Every HTML renderer here uses it."""
    return html.escape(printable(value), quote=True)


def _t(value: object, style: str = "") -> Text:
    """A value for rich: escaped like text output (no terminal codes, no line breaks), never markup."""
    from rich.text import Text

    return Text(printable(value), style=style)


def _t_lines(values: Sequence[str], style: str = "") -> Text:
    """Several values for rich, one per line (each escaped, so only our own line breaks remain)."""
    from rich.text import Text

    return Text("\n".join(printable(value) for value in values), style=style)


def _badge(text: str, status: str | None = None) -> str:
    fg, bg = _COLOURS.get(status or text, ("#57606a", "#eaeef2"))
    return (
        f'<span style="display:inline-block;padding:0 7px;border-radius:10px;font-size:11px;'
        f'font-weight:600;color:{fg};background:{bg};border:1px solid {fg}33;white-space:nowrap">'
        f"{_e(text)}</span>"
    )


def _mono(value: object) -> str:
    return f'<span style="{_MONO}">{_e(value)}</span>'


def _rows(rows: Iterable[tuple[str, str]]) -> str:
    """A two-column table; values are HTML already (escaped by the caller)."""
    body = "".join(
        f'<tr><th style="{_TH}">{_e(name)}</th><td style="{_TD}">{value}</td></tr>' for name, value in rows
    )
    return f'<table style="{_TABLE}">{body}</table>'


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table with a header row; cell values are HTML already."""
    head = "".join(f'<th style="{_TH}">{_e(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_TD}">{cell}</td>' for cell in row) + "</tr>" for row in rows
    )
    return f'<table style="{_TABLE}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _title(kind: str, name: str, *badges: str) -> str:
    return (
        f'<div style="margin-bottom:6px"><span style="{_MUTED}font-size:11px;text-transform:uppercase;'
        f'letter-spacing:.05em">{_e(kind)}</span> <strong style="font-size:14px">{_e(name)}</strong> '
        + " ".join(badges)
        + "</div>"
    )


def _box(inner: str) -> str:
    return f'<div class="caiso-pki" style="{_BOX}">{inner}</div>'


def _lines(values: Iterable[str], *, mono: bool = False) -> str:
    items = [_mono(v) if mono else _e(v) for v in values]
    return "<br>".join(items) if items else f'<span style="{_MUTED}">none</span>'


def _when(value: dt.datetime) -> str:
    """A time for people to read in a table (``2025-06-01 12:00:00Z``); JSON uses ISO 8601 instead."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _name(cert: Certificate) -> str:
    return cert.subject.common_name or cert.subject.rfc4514 or "(empty subject)"


def expiry_status(
    not_after: dt.datetime, *, at: dt.datetime | None = None, not_before: dt.datetime | None = None
) -> str:
    """``"expired"``, ``"not-yet-valid"``, ``"expiring"`` (within :data:`EXPIRING_DAYS`) or ``"ok"``."""
    when = ensure_aware(at, what="at")
    if not_after < when:
        return "expired"
    if not_before is not None and not_before > when:
        return "not-yet-valid"
    if not_after - when <= dt.timedelta(days=EXPIRING_DAYS):
        return "expiring"
    return "ok"


def _cert_status(cert: Certificate, at: dt.datetime | None) -> str:
    return expiry_status(cert.not_after, at=at, not_before=cert.not_before)


def _key_text(cert: Certificate) -> str:
    try:
        detail = cert.key_curve or (f"{cert.key_size} bits" if cert.key_size else "")
        return f"{cert.key_algorithm} {detail}".strip()
    except MalformedInputError:
        return "unavailable"


def _extension_views(cert: Certificate) -> list[tuple[str, list[str], bool]]:
    """(title, values, monospace) for the extension-based views; damaged views say so."""
    views: list[tuple[str, list[str], bool]] = []

    def add(title: str, get: object, mono: bool = False) -> None:
        try:
            values = get() if callable(get) else []
        except MalformedInputError:
            values = ["unavailable (cannot be parsed)"]
        views.append((title, [str(v) for v in values], mono))

    def sans() -> list[str]:
        names = cert.subject_alt_names
        return (
            [f"DNS:{v}" for v in names.dns]
            + [f"IP:{v}" for v in names.ip]
            + [f"URI:{v}" for v in names.uri]
            + [f"email:{v}" for v in names.email]
            + [f"DirName:{v}" for v in names.directory]
            + list(names.other)
        )

    def basic() -> list[str]:
        if not cert.is_ca:
            return ["end entity (cA=FALSE)"]
        limit = "" if cert.path_length is None else f", pathLen {cert.path_length}"
        return [f"CA{limit}"]

    def policies() -> list[str]:
        lines = []
        for policy in cert.policies:
            named = oid_name(policy.oid)
            text = policy.oid if named == policy.oid else f"{named} ({policy.oid})"
            lines.append(text + "".join(f" · CPS {uri}" for uri in policy.cps_uris))
        return lines

    add("Basic constraints", basic)
    add("Key usage", lambda: list(cert.key_usage))
    add("Extended key usage", lambda: [oid_name(oid) for oid in cert.extended_key_usage])
    add("Subject alt names", sans)
    add("Policies", policies)
    add("CRL distribution", lambda: list(cert.crl_distribution_points), True)
    add("OCSP", lambda: list(cert.ocsp_urls), True)
    add("CA issuers", lambda: list(cert.ca_issuers_urls), True)
    add("Subject key id", lambda: [k for k in [cert.subject_key_identifier] if k], True)
    add("Authority key id", lambda: [k for k in [cert.authority_key_identifier] if k], True)
    return views


# -- certificates ------------------------------------------------------------------------------------


def certificate_html(cert: Certificate, *, at: dt.datetime | None = None) -> str:
    """An HTML card for one certificate: names, validity (with its status at ``at``), key, extensions."""
    when = ensure_aware(at, what="at")
    status = _cert_status(cert, when)
    days = cert.days_remaining(when)
    rows = [
        ("Subject", _mono(cert.subject.rfc4514)),
        ("Issuer", _mono(cert.issuer.rfc4514)),
        ("Serial", _mono(cert.serial_hex)),
        (
            "Validity",
            f"{_e(_when(cert.not_before))} → {_e(_when(cert.not_after))} "
            f'<span style="{_MUTED}">({days} days left)</span> {_badge(status)}',
        ),
        ("Key", _e(_key_text(cert))),
        ("Signature", _e(cert.signature_algorithm)),
    ]
    rows += [(title, _lines(values, mono=mono)) for title, values, mono in _extension_views(cert)]
    rows.append(("SHA-256", _mono(cert.fingerprint_sha256)))
    kind = "CA certificate" if _is_ca(cert) else "certificate"
    return _box(_title(kind, _name(cert), _badge(status)) + _rows(rows))


def _is_ca(cert: Certificate) -> bool:
    try:
        return cert.is_ca
    except MalformedInputError:
        return False


def certificate_rich(cert: Certificate, *, at: dt.datetime | None = None) -> RenderableType:
    """A rich panel for one certificate (same content as :func:`certificate_html`)."""
    from rich.panel import Panel
    from rich.table import Table

    when = ensure_aware(at, what="at")
    status = _cert_status(cert, when)
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    validity = _t(f"{_when(cert.not_before)} → {_when(cert.not_after)} ({cert.days_remaining(when)} days) ")
    validity.append(status, style=_RICH[status])
    for name, value in (
        ("Subject", _t(cert.subject.rfc4514)),
        ("Issuer", _t(cert.issuer.rfc4514)),
        ("Serial", _t(cert.serial_hex)),
        ("Validity", validity),
        ("Key", _t(_key_text(cert))),
        ("Signature", _t(cert.signature_algorithm)),
    ):
        table.add_row(name, value)
    for title, values, _mono_flag in _extension_views(cert):
        table.add_row(title, _t_lines(values) if values else _t("none", style="dim"))
    table.add_row("SHA-256", _t(cert.fingerprint_sha256))
    return Panel(table, title=_t(_name(cert), style="bold"), title_align="left", expand=False)


# -- CSRs --------------------------------------------------------------------------------------------


def _csr_rows(csr: Csr) -> list[tuple[str, list[str]]]:
    description = csr.describe()
    key = description.key_algorithm
    if description.key_curve:
        key += f" {description.key_curve}"
    elif description.key_size:
        key += f" {description.key_size} bits"
    sans = description.subject_alt_names
    san_lines = (
        [f"DNS:{v}" for v in sans.dns]
        + [f"IP:{v}" for v in sans.ip]
        + [f"URI:{v}" for v in sans.uri]
        + [f"email:{v}" for v in sans.email]
    )
    eku = description.extended_key_usage
    return [
        ("Subject", [description.subject.rfc4514]),
        ("Key", [key]),
        ("Signature", [description.signature_algorithm]),
        ("Subject alt names", san_lines),
        ("Key usage", list(description.key_usage or ())),
        ("Extended key usage", [oid_name(oid) for oid in eku or ()]),
        ("CA requested", ["yes" if description.is_ca else "no"]),
        (
            "Extensions",
            [
                f"{name}{' (critical)' if critical else ''}"
                for _, name, critical in description.requested_extensions
            ],
        ),
    ]


def csr_html(csr: Csr) -> str:
    """An HTML card for a CSR: subject, key, requested names and usages, and the signature check."""
    signed = csr.signature_valid
    badge = _badge("signature ok", "ok") if signed else _badge("signature BAD", "error")
    rows = [(name, _lines(values)) for name, values in _csr_rows(csr)]
    return _box(
        _title("certificate request", csr.subject.common_name or csr.subject.rfc4514, badge) + _rows(rows)
    )


def csr_rich(csr: Csr) -> RenderableType:
    """A rich panel for a CSR (same content as :func:`csr_html`)."""
    from rich.panel import Panel
    from rich.table import Table

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    for name, values in _csr_rows(csr):
        table.add_row(name, _t_lines(values) if values else _t("none", style="dim"))
    signed = (
        _t("signature ok", style="green") if csr.signature_valid else _t("signature BAD", style="bold red")
    )
    table.add_row("Self-signature", signed)
    title = _t(f"CSR {csr.subject.common_name or csr.subject.rfc4514}", style="bold")
    return Panel(table, title=title, title_align="left", expand=False)


# -- validation results ------------------------------------------------------------------------------


def _anchored(result: ValidationResult) -> bool:
    return result.anchored


def _role(result: ValidationResult, index: int) -> str:
    last = len(result.path) - 1
    if index == 0:
        return "trust anchor" if _anchored(result) else "top of chain (not trusted)"
    return "leaf" if index == last else "intermediate"


def _chain_items(result: ValidationResult) -> list[tuple[Certificate, str, list[str], list[str]]]:
    """(certificate, status, failure codes, revocation notes) for each certificate, anchor first."""
    items = []
    for index, cert in enumerate(result.path):
        codes = [f.code for f in result.failures if f.index == index]
        notes = []
        for status in result.revocation:
            if status.index != index or status.status == "not-checked":
                continue
            note = f"revocation {status.status}"
            if status.source:
                note += f" via {status.source.upper()}"
            if status.reason:
                note += f" ({status.reason})"
            if status.revocation_time:
                note += f" since {_when(status.revocation_time)}"
            notes.append(note)
        state = "failed" if codes else ("ok" if _anchored(result) or index else "unknown")
        items.append((cert, state, codes, notes))
    return items


def _policy_text(oid: str) -> str:
    named = oid_name(oid)
    return oid if named == oid else f"{named} ({oid})"


def validation_html(result: ValidationResult) -> str:
    """The chain drawn anchor to leaf with each certificate's status, then failures, revocation, policies."""
    verdict = _badge("VALID", "valid") if result.valid else _badge("NOT VALID", "invalid")
    parts = [_title("chain validation", f"at {_when(result.at)}", verdict)]
    if not result.path:
        parts.append(f'<div style="{_MUTED}">no certificate path could be built</div>')
    for index, (cert, state, codes, notes) in enumerate(_chain_items(result)):
        indent = 22 * index
        if index:
            parts.append(
                f'<div style="margin-left:{indent - 12}px;color:#8c959f;font-size:12px;line-height:1.1">'
                "└─▶ issued</div>"
            )
        border = _COLOURS[state][0]
        status_badges = [_badge(code, "error") for code in codes] or [
            _badge("ok" if state == "ok" else state)
        ]
        status_badges += [_badge(note, "revoked" if "revoked" in note else "not-checked") for note in notes]
        expiry = _cert_status(cert, result.at)
        parts.append(
            f'<div class="caiso-pki-chain-item" style="margin-left:{indent}px;border-left:4px solid {border};'
            f'padding:4px 10px;margin-top:2px;margin-bottom:2px;background:#f6f8fa;border-radius:4px">'
            f'<div><span style="{_MUTED}font-size:11px;text-transform:uppercase">'
            f"{_e(_role(result, index))}</span> "
            f"<strong>{_e(_name(cert))}</strong> {' '.join(status_badges)}</div>"
            f'<div style="{_MUTED}font-size:12px">{_mono(cert.subject.rfc4514)}</div>'
            f'<div style="{_MUTED}font-size:12px">serial {_mono(cert.serial_hex[:20])} · '
            f"valid {_e(_when(cert.not_before)[:10])} → {_e(_when(cert.not_after)[:10])} "
            f"{'' if expiry == 'ok' else _badge(expiry)}</div>"
            "</div>"
        )
    if result.failures:
        rows = [
            (
                _badge(f.code, "error"),
                _e("—" if f.index is None else f"[{f.index}] {f.subject or ''}".strip()),
                _e(f.message),
            )
            for f in result.failures
        ]
        parts.append(
            "<h4 style='margin:10px 0 2px'>Failures</h4>" + _table(("code", "certificate", "message"), rows)
        )
    if result.warnings:
        parts.append(
            "<h4 style='margin:10px 0 2px'>Warnings</h4><ul style='margin:2px 0'>"
            + "".join(f"<li>{_e(w)}</li>" for w in result.warnings)
            + "</ul>"
        )
    if any(s.status != "not-checked" for s in result.revocation):
        rev_rows = [
            (
                _e(f"[{s.index}]"),
                _e(s.subject),
                _badge(s.status),
                _e(s.source.upper() if s.source else "—"),
                _mono((s.url or "offline") if s.source else "—"),
            )
            for s in result.revocation
        ]
        parts.append(
            "<h4 style='margin:10px 0 2px'>Revocation</h4>"
            + _table(("#", "subject", "status", "source", "from"), rev_rows)
        )
    policies = sorted(result.valid_policies)
    parts.append(
        "<h4 style='margin:10px 0 2px'>Valid policies</h4>"
        + (
            _lines([_policy_text(oid) for oid in policies])
            if policies
            else f'<span style="{_MUTED}">none</span>'
        )
    )
    return _box("".join(parts))


def validation_rich(result: ValidationResult) -> RenderableType:
    """A rich tree of the chain (anchor to leaf) with statuses, then failures, warnings and policies."""
    from rich.console import Group
    from rich.tree import Tree

    verdict = _t("VALID", style=_RICH["valid"]) if result.valid else _t("NOT VALID", style=_RICH["invalid"])
    verdict.append(f" at {_when(result.at)}", style="dim")
    tree = Tree(verdict)
    node = tree
    for index, (cert, state, codes, notes) in enumerate(_chain_items(result)):
        label = _t(f"[{_role(result, index)}] ", style="dim")
        label.append(printable(_name(cert)), style="bold")
        label.append(f"  until {_when(cert.not_after)[:10]}  ", style="dim")
        label.append(printable(", ".join(codes) if codes else state), style=_RICH.get(state, ""))
        for note in notes:
            label.append(printable(f"; {note}"), style="red" if "revoked" in note else "dim")
        node = node.add(label)
    parts: list[RenderableType] = [tree]
    for failure in result.failures:
        where = f"[{failure.index}] " if failure.index is not None else ""
        line = _t(f"  ✗ {failure.code} ", style="bold red")
        line.append(printable(f"{where}{failure.message}"))
        parts.append(line)
    parts.extend(_t(f"  ! {warning}", style="yellow") for warning in result.warnings)
    if result.valid_policies:
        parts.append(
            _t(
                "valid policies: " + ", ".join(_policy_text(o) for o in sorted(result.valid_policies)),
                style="dim",
            )
        )
    return Group(*parts)


# -- lint findings -----------------------------------------------------------------------------------


def findings_html(findings: Iterable[Finding]) -> str:
    """A table of lint findings (severity, code, certificate, message, citation), worst first.

    The certificate column shows each finding's ``certificate_index``, counted from the leaf (0).
    """
    items = sorted(findings, key=lambda f: -f.severity.rank)
    if not items:
        return _box(_title("lint", "no findings", _badge("clean", "ok")))
    counts: dict[str, int] = {}
    for finding in items:
        counts[finding.severity.value] = counts.get(finding.severity.value, 0) + 1
    badges = [_badge(f"{n} {sev}", sev) for sev, n in counts.items()]
    rows = []
    for f in items:
        where = "—" if f.certificate_index is None else f"[{f.certificate_index}]"
        if f.certificate_subject:
            where += f" {f.certificate_subject}"
        cite = "—"
        if f.citation is not None:
            cite = _e(str(f.citation))
            if f.citation.url:
                cite = f'<a href="{_e(f.citation.url)}">{cite}</a>'
        rows.append((_badge(f.severity.value), _mono(f.code), _e(where), _e(f.message), cite))
    return _box(
        _title("lint", f"{len(items)} finding{'s' if len(items) != 1 else ''}", *badges)
        + _table(("severity", "code", "certificate", "message", "citation"), rows)
    )


def findings_rich(findings: Iterable[Finding]) -> RenderableType:
    """A rich table of lint findings, worst first."""
    from rich.table import Table

    items = sorted(findings, key=lambda f: -f.severity.rank)
    if not items:
        return _t("no findings", style="green")
    table = Table(show_lines=False, header_style="bold")
    for column in ("severity", "code", "where", "message", "citation"):
        table.add_column(column, overflow="fold")
    for f in items:
        where = "" if f.certificate_index is None else f"[{f.certificate_index}]"
        table.add_row(
            _t(f.severity.value, style=_RICH.get(f.severity.value, "")),
            _t(f.code),
            _t(where),
            _t(f.message),
            _t(f.citation) if f.citation else _t(""),
        )
    return table


def chain_check_html(check: ChainCheck) -> str:
    """:func:`caiso_pki.check_chain`'s answer: the validation drawing, then the CPS findings."""
    verdict = _badge("OK", "ok") if check.ok else _badge("NOT OK", "invalid")
    header = _title("CPS chain check", f"kind {check.kind}", verdict)
    return _box(header + validation_html(check.validation) + findings_html(check.findings))


def chain_check_rich(check: ChainCheck) -> RenderableType:
    """A rich rendering of :func:`caiso_pki.check_chain`'s answer."""
    from rich.console import Group

    verdict = _t(f"CPS chain check ({check.kind}): ", style="bold")
    verdict.append("OK" if check.ok else "NOT OK", style=_RICH["valid" if check.ok else "invalid"])
    return Group(verdict, validation_rich(check.validation), findings_rich(check.findings))


# -- trust stores ------------------------------------------------------------------------------------


def _entry_status(entry: TrustEntry, at: dt.datetime) -> str:
    if entry.is_retired(at):
        return "retired"
    return _cert_status(entry.certificate, at)


def truststore_html(store: TrustStore, *, at: dt.datetime | None = None) -> str:
    """A table of the store's entries: labels, role, expiry, distrust date and status at ``at``."""
    when = ensure_aware(at, what="at")
    rows = []
    counts: dict[str, int] = {}
    for entry in store.entries:
        status = _entry_status(entry, when)
        counts[status] = counts.get(status, 0) + 1
        cert = entry.certificate
        distrust = "—"
        if entry.distrust_after is not None:
            distrust = _e(_when(entry.distrust_after)[:10])
        rows.append(
            (
                _e(", ".join(sorted(entry.labels)) or "—"),
                f"<strong>{_e(_name(cert))}</strong><br>{_mono(cert.subject.rfc4514)}",
                _e(entry.role),
                f"{_e(_when(cert.not_after)[:10])} "
                f"<span style='{_MUTED}'>({cert.days_remaining(when)} d)</span>",
                distrust,
                _badge(status),
                _mono(entry.fingerprint[:16]),
            )
        )
    where = f" · {store.directory}" if store.directory else ""
    badges = [_badge(f"{n} {status}", status) for status, n in sorted(counts.items())]
    title = _title("trust store", f"{len(store.entries)} entries{where}", *badges)
    table = _table(("labels", "subject", "role", "expires", "distrust after", "status", "SHA-256"), rows)
    return _box(title + table)


def truststore_rich(store: TrustStore, *, at: dt.datetime | None = None) -> RenderableType:
    """A rich table of the store's entries (same columns as :func:`truststore_html`)."""
    from rich.table import Table

    when = ensure_aware(at, what="at")
    table = Table(
        title=f"trust store: {len(store.entries)} entries", header_style="bold", title_justify="left"
    )
    for column in ("labels", "subject", "role", "expires", "distrust after", "status", "SHA-256"):
        table.add_column(column, overflow="fold")
    for entry in store.entries:
        status = _entry_status(entry, when)
        cert = entry.certificate
        table.add_row(
            _t(", ".join(sorted(entry.labels))),
            _t(_name(cert)),
            _t(entry.role),
            _t(f"{_when(cert.not_after)[:10]} ({cert.days_remaining(when)} d)"),
            _t(_when(entry.distrust_after)[:10] if entry.distrust_after else ""),
            _t(status, style=_RICH.get(status, "")),
            _t(entry.fingerprint[:16]),
        )
    return table


# -- expiry timeline ---------------------------------------------------------------------------------

_BAR_COLOURS: Final[dict[str, str]] = {
    "ok": "#2da44e",
    "expiring": "#d4a72c",
    "expired": "#cf222e",
    "not-yet-valid": "#8c959f",
    "retired": "#8c959f",
}


def _timeline_items(
    items: TimelineInput, at: dt.datetime
) -> list[tuple[str, Certificate, dt.datetime | None, str]]:
    """(label, certificate, distrust_after, status) for certificates, trust entries or a store.

    A store and its entries are recognised by what they hold (``entries``; ``certificate``, ``labels``
    and ``distrust_after``), so the display layer does not import the trust-store modules above it.
    """
    entries = getattr(items, "entries", None)
    if isinstance(items, Certificate) or _is_entry(items):
        sequence: Iterable[object] = [items]
    elif isinstance(entries, tuple):
        sequence = entries
    elif isinstance(items, Iterable):
        sequence = items
    else:
        raise MalformedInputError(
            f"<{type(items).__name__}>: plot_expiry takes certificates, trust entries or a TrustStore"
        )
    result: list[tuple[str, Certificate, dt.datetime | None, str]] = []
    for item in sequence:
        if _is_entry(item):
            label = _name(item.certificate)
            if item.labels:
                label += f"  [{', '.join(sorted(item.labels))}]"
            result.append((label, item.certificate, item.distrust_after, _entry_status(item, at)))
            continue
        cert = item if isinstance(item, Certificate) else getattr(item, "certificate", None)
        if not isinstance(cert, Certificate):
            raise MalformedInputError(
                f"<{type(item).__name__}>: plot_expiry takes certificates, trust entries or a TrustStore"
            )
        result.append((_name(cert), cert, None, _cert_status(cert, at)))
    return result


def _is_entry(item: object) -> TypeGuard[TrustEntry]:
    """Whether ``item`` is a trust entry (a certificate with labels and a distrust date)."""
    return isinstance(getattr(item, "certificate", None), Certificate) and all(
        hasattr(item, name) for name in ("labels", "distrust_after", "is_retired")
    )


def _plot_label(text: str) -> str:
    """A name for a matplotlib label: escaped as text output, and ``$`` quoted (it starts mathtext,
    which refuses malformed input with an error)."""
    return printable(text).replace("$", r"\$")


def plot_expiry(items: TimelineInput, *, at: dt.datetime | None = None, title: str | None = None) -> Figure:
    """An expiry timeline: one bar per certificate from notBefore to notAfter, coloured by status at ``at``.

    ``items`` is a :class:`~caiso_pki.truststore.TrustStore`, trust entries, certificates or anything
    with a ``.certificate`` (a fleet's issued certificates).  A vertical line marks ``at`` (default now);
    a black tick marks each entry's ``distrust_after``.  Returns a ``matplotlib.figure.Figure`` (no
    pyplot state is touched); save it with ``fig.savefig("expiry.png")``.  Needs the ``plot`` extra;
    without matplotlib raises :class:`PlotUnavailableError`.
    """
    when = ensure_aware(at, what="at")
    try:
        from matplotlib import dates as mdates  # type: ignore[import-not-found,unused-ignore]
        from matplotlib.figure import Figure  # type: ignore[import-not-found,unused-ignore]
        from matplotlib.patches import Patch  # type: ignore[import-not-found,unused-ignore]
        from matplotlib.ticker import Formatter  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        raise PlotUnavailableError("plot_expiry needs matplotlib: pip install 'caiso-pki[plot]'") from exc
    # matplotlib leaves these two untyped; give them the types they have.
    date2num: Callable[[dt.datetime], float] = mdates.date2num
    year_format: Callable[[str], Formatter] = mdates.DateFormatter
    rows = _timeline_items(items, when)
    rows.sort(key=lambda row: row[1].not_after, reverse=True)
    height = 1.2 + 0.38 * max(len(rows), 1)
    fig = Figure(figsize=(10, height), layout="constrained")
    ax = fig.add_subplot()
    for y, (_label, cert, distrust, status) in enumerate(rows):
        start = date2num(cert.not_before)
        end = date2num(cert.not_after)
        ax.barh(y, end - start, left=start, height=0.6, color=_BAR_COLOURS.get(status, "#8c959f"))
        if distrust is not None:
            ax.plot([date2num(distrust)] * 2, [y - 0.4, y + 0.4], color="black", linewidth=2.5)
    ax.axvline(date2num(when), color="#0969da", linestyle="--", linewidth=1)
    ax.text(
        date2num(when),
        1.0,
        " now",
        color="#0969da",
        fontsize=8,
        va="bottom",
        transform=ax.get_xaxis_transform(),
    )
    ax.set_yticks(range(len(rows)), [_plot_label(row[0]) for row in rows])
    ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(year_format("%Y"))
    ax.grid(axis="x", color="#eaeef2")
    ax.set_axisbelow(True)
    if rows:
        earliest = min(row[1].not_before for row in rows)
        latest = max(row[1].not_after for row in rows)
        span = max((latest - earliest) * 0.03, dt.timedelta(days=30))
        ax.set_xlim(date2num(min(earliest, when) - span), date2num(max(latest, when) + span))
    present = sorted({row[3] for row in rows})
    handles = [Patch(color=_BAR_COLOURS.get(s, "#8c959f"), label=s) for s in present]
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.set_title(title or f"Certificate expiry as of {when.date().isoformat()}", fontsize=11, loc="left")
    return fig


def expiry_timeline_html(
    items: TimelineInput, *, at: dt.datetime | None = None, title: str | None = None
) -> str:
    """:func:`plot_expiry` as an inline ``<img>`` (base64 SVG), or ``""`` when matplotlib is missing.

    For HTML reports (``caiso-pki audit --format html``) that should include the picture when they can
    and still work without the ``plot`` extra.
    """
    try:
        fig = plot_expiry(items, at=at, title=title)
    except PlotUnavailableError:
        return ""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<img alt="{_e(title or "certificate expiry timeline")}" style="max-width:100%" '
        f'src="data:image/svg+xml;base64,{encoded}">'
    )
