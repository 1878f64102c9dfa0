"""Fleet audits: find every certificate under some paths, validate and lint each, and report totals.

:func:`audit_paths` walks files and folders, loads every certificate it finds (PEM, DER, PKCS#7;
files holding no certificate are skipped with a note), validates all of them at once with
:meth:`caiso_pki.Validator.validate_many` (CA certificates found along the way are offered as
intermediates), lints each against a CPS profile when one is given, and returns an
:class:`AuditReport`: totals by outcome and by failure code, lint findings by code, and what expires
within 30, 60 and 90 days.  The ``caiso-pki audit`` command is a thin layer over it; the renderers
(:func:`render_audit_text`, :func:`render_audit_csv`, :func:`render_audit_json`,
:func:`render_audit_html`) turn a report into text a person or a program reads.

Files that could not be read (damaged or truncated PEM, binary junk, empty files, a PKCS#12 without
its password, FIFOs and dangling symbolic links found in a folder) make the audit incomplete: they are
listed with their reasons and the report is not :attr:`AuditReport.clean`.  Readable files of another
kind (keys, CSRs, CRLs) are listed as not holding certificates and do not count against the audit.

File names are kept as text that encodes as UTF-8 (:func:`caiso_pki._text.path_text`: a byte that is
not UTF-8 is ``\\xNN`` and a backslash ``\\\\``), and the text, CSV and HTML renderers escape
control and bidi characters in every value (:func:`caiso_pki._text.printable`); JSON keeps the exact
values.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import attrs

from caiso_pki._source import NamedBytes
from caiso_pki._text import path_text, printable
from caiso_pki._time import ensure_aware, iso
from caiso_pki.certificate import Certificate, certificate_summary
from caiso_pki.errors import CaisoPkiError, InvalidTimeError, MalformedInputError, ProfileError

if TYPE_CHECKING:
    from caiso_pki._source import Password
    from caiso_pki.lint import Finding, FindingList
    from caiso_pki.policy import PolicyRequirement
    from caiso_pki.profiles.cps import CpsProfile, ProfileSource
    from caiso_pki.types import CertificatesInput, CrlsInput, JsonDict, TrustInput
    from caiso_pki.validation import AlgorithmPolicy, FleetCache, RevocationMode, ValidationResult

__all__ = [
    "EXPIRY_WINDOWS",
    "AuditEntry",
    "AuditReport",
    "SkippedFile",
    "audit_paths",
    "render_audit_csv",
    "render_audit_html",
    "render_audit_json",
    "render_audit_text",
]

#: The "expires within N days" windows every report counts.
EXPIRY_WINDOWS: Final = (30, 60, 90)
_CHUNK: Final = 250  # leaves per validate_many call, so progress moves

Outcome = Literal["valid", "invalid"]
#: What :func:`audit_paths` walks: paths of files and folders, or a file's content already read.
AuditInput = str | os.PathLike[str] | NamedBytes


@attrs.frozen
class SkippedFile:
    """A file the audit took no certificate from, and why.

    ``unreadable`` is True when the file could not be read (damage, junk, an empty file, a PKCS#12
    without its password, a FIFO or dangling link in a folder): the audit is then incomplete.  It is
    False for a readable file of another kind (a key, a CSR, a CRL), which is only listed.
    """

    path: str
    reason: str
    unreadable: bool = attrs.field(default=True, kw_only=True)

    def to_dict(self) -> dict[str, str | bool]:
        """JSON-ready form."""
        return {"path": self.path, "reason": self.reason, "unreadable": self.unreadable}


def _finding_list(findings: Iterable[Finding]) -> FindingList:
    """The findings as the linter returns them (lint is imported only when an audit holds findings)."""
    from caiso_pki.lint import FindingList

    return FindingList(findings)


@attrs.frozen
class AuditEntry:
    """One certificate found: where, its validation result and its lint findings.

    ``position`` is the certificate's place in its file (0 for the first); ``lint_error`` says why the
    certificate could not be linted (for example a kind the profile does not cover), if it could not.
    """

    path: str
    position: int
    certificate: Certificate
    result: ValidationResult
    findings: FindingList = attrs.field(factory=lambda: _finding_list(()), converter=_finding_list)
    lint_error: str | None = None

    @property
    def outcome(self) -> Outcome:
        """``"valid"`` or ``"invalid"`` (validation only; lint findings are counted separately)."""
        return "valid" if self.result.valid else "invalid"

    def days_remaining(self, at: dt.datetime) -> int:
        """Whole days from ``at`` until the certificate's notAfter (negative once expired)."""
        return (self.certificate.not_after - at) // dt.timedelta(days=1)

    def to_dict(self) -> JsonDict:
        """JSON-ready form."""
        return {
            "path": self.path,
            "position": self.position,
            **certificate_summary(self.certificate),
            "outcome": self.outcome,
            "codes": list(self.result.codes),
            "failures": [failure.to_dict() for failure in self.result.failures],
            "warnings": list(self.result.warnings),
            "findings": [finding.to_dict() for finding in self.findings],
            "lint_error": self.lint_error,
        }


@attrs.frozen
class AuditReport:
    """The outcome of :func:`audit_paths` (build one with it, render it with the ``render_audit_*``)."""

    at: dt.datetime
    paths: tuple[str, ...]
    entries: tuple[AuditEntry, ...]
    skipped: tuple[SkippedFile, ...] = ()
    profile: str | None = None
    files: int = 0

    @property
    def totals(self) -> dict[str, int]:
        """Certificates by outcome: ``{"total": n, "valid": n, "invalid": n}``."""
        valid = sum(1 for entry in self.entries if entry.result.valid)
        return {"total": len(self.entries), "valid": valid, "invalid": len(self.entries) - valid}

    @property
    def by_code(self) -> dict[str, int]:
        """How many certificates fail with each failure code (a certificate counts once per code)."""
        counts: Counter[str] = Counter()
        for entry in self.entries:
            counts.update(set(entry.result.codes))
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    @property
    def lint_by_code(self) -> dict[str, int]:
        """How many certificates have each lint finding code."""
        counts: Counter[str] = Counter()
        for entry in self.entries:
            counts.update({finding.code for finding in entry.findings})
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    @property
    def lint_by_severity(self) -> dict[str, int]:
        """How many findings of each severity (error, warning, notice, info)."""
        counts: Counter[str] = Counter(
            finding.severity.value for entry in self.entries for finding in entry.findings
        )
        return {name: counts[name] for name in ("error", "warning", "notice", "info") if counts[name]}

    def expiring(self, days: int) -> tuple[AuditEntry, ...]:
        """Entries not yet expired at :attr:`at` whose notAfter falls within ``days`` days, soonest first."""
        limit = _later(self.at, days)
        found = [entry for entry in self.entries if self.at < entry.certificate.not_after <= limit]
        return tuple(sorted(found, key=lambda entry: (entry.certificate.not_after, entry.path)))

    @property
    def expiry_windows(self) -> dict[int, int]:
        """``{30: n, 60: n, 90: n}``: certificates expiring within each window (cumulative)."""
        return {days: len(self.expiring(days)) for days in EXPIRY_WINDOWS}

    @property
    def expired(self) -> tuple[AuditEntry, ...]:
        """Entries whose notAfter has passed at :attr:`at`."""
        return tuple(entry for entry in self.entries if entry.certificate.not_after <= self.at)

    @property
    def unreadable(self) -> tuple[SkippedFile, ...]:
        """The files that could not be read: while there is one, the audit is incomplete."""
        return tuple(skip for skip in self.skipped if skip.unreadable)

    @property
    def complete(self) -> bool:
        """True when every file found could be read (files of another kind, such as keys, aside)."""
        return not self.unreadable

    @property
    def clean(self) -> bool:
        """True when the audit is complete, found certificates, every one validates and no lint finding
        is an error.

        An audit that found no certificate at all is not clean: it has shown nothing about the fleet;
        nor is one that could not read every file, which has not shown everything.
        """
        totals = self.totals
        return (
            self.complete
            and totals["total"] > 0
            and totals["invalid"] == 0
            and not self.lint_by_severity.get("error")
        )

    def to_dict(self) -> JsonDict:
        """JSON-ready form: totals first, then every entry and skipped file."""
        return {
            "at": iso(self.at),
            "paths": list(self.paths),
            "profile": self.profile,
            "files": self.files,
            "complete": self.complete,
            "totals": self.totals,
            "by_code": self.by_code,
            "lint_by_code": self.lint_by_code,
            "lint_by_severity": self.lint_by_severity,
            "expiring": {str(days): count for days, count in self.expiry_windows.items()},
            "expired": len(self.expired),
            "entries": [entry.to_dict() for entry in self.entries],
            "skipped": [skip.to_dict() for skip in self.skipped],
        }


# -- building a report ---------------------------------------------------------------------------


def _later(at: dt.datetime, days: int) -> dt.datetime:
    """``at`` plus ``days`` days; :class:`InvalidTimeError` when that is past year 9999."""
    try:
        return at + dt.timedelta(days=days)
    except OverflowError as exc:
        raise InvalidTimeError(
            f"audit time {iso(at)} plus {days} days is past year 9999; choose an earlier time"
        ) from exc


def _special(path: Path) -> str | None:
    """Why ``path`` (found in a folder) is not a file to read, or ``None`` for a regular file."""
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if stat.S_ISLNK(mode):
        try:
            target = path.stat()
        except OSError:
            return f"dangling symbolic link (to {path_text(os.readlink(path))})"
        mode = target.st_mode
    if stat.S_ISREG(mode):
        return None
    kind = (
        "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a regular file"
    )
    return f"{kind}, not a regular file (not opened)"


def _files(paths: Sequence[AuditInput]) -> tuple[list[Path | NamedBytes], list[SkippedFile]]:
    from caiso_pki._source import read_file

    files: list[Path | NamedBytes] = []
    skipped: list[SkippedFile] = []
    for given in paths:
        if isinstance(given, NamedBytes):  # content already read (standard input)
            files.append(given)
            continue
        path = Path(given)
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                if candidate.name.startswith(".") or candidate.is_dir():
                    continue
                problem = _special(candidate)
                if problem is None:
                    files.append(candidate)
                else:
                    skipped.append(SkippedFile(path_text(candidate), problem))
        elif path.is_file():
            files.append(path)
        elif path.exists():  # a FIFO or a device named on purpose: read once, like every input
            files.append(read_file(path, what="certificate file"))
        elif path.is_symlink():
            raise MalformedInputError(f"{printable(path_text(path))}: dangling symbolic link")
        else:
            raise MalformedInputError(f"{printable(path_text(path))}: no such file or directory")
    return files, skipped


#: Readable files that hold something other than certificates: listed, never counted as unreadable.
_OTHER_KINDS: Final = {
    "csr": "a certificate signing request",
    "crl": "a CRL",
    "ocsp-response": "an OCSP response",
    "private-key": "a private key",
}


def _read_one(path: Path | NamedBytes, password: Password) -> list[Certificate] | SkippedFile:
    """The certificates of one file, or why it gave none."""
    from caiso_pki._source import read_file
    from caiso_pki.certificate import load_certificates
    from caiso_pki.kinds import file_kind
    from caiso_pki.pkcs12 import load_pkcs12

    name = path.name if isinstance(path, NamedBytes) else path_text(path)
    try:
        data = path if isinstance(path, NamedBytes) else read_file(path, what="certificate file")
    except CaisoPkiError as exc:
        return SkippedFile(name, str(exc))
    try:
        return load_certificates(data)
    except CaisoPkiError as exc:
        failure = exc
    try:
        kind = file_kind(data)
    except CaisoPkiError as exc:
        return SkippedFile(name, str(exc))
    if kind in _OTHER_KINDS:
        return SkippedFile(name, f"holds {_OTHER_KINDS[kind]}, no certificate", unreadable=False)
    if kind == "pkcs12":
        if password is None:
            return SkippedFile(
                name, "a PKCS#12 (PFX) file: give its password (password=, or --password-file) to audit it"
            )
        try:
            bundle = load_pkcs12(data, password=password)
        except CaisoPkiError as exc:
            return SkippedFile(name, str(exc))
        return list(bundle.certificates)
    return SkippedFile(name, str(failure) if kind != "unknown" else f"{name}: {_UNKNOWN}")


_UNKNOWN: Final = "not a certificate, CSR, CRL, OCSP response, PKCS#7, PKCS#12 or key file"


def _load(
    files: Sequence[Path | NamedBytes], password: Password
) -> tuple[list[tuple[str, int, Certificate]], list[SkippedFile]]:
    found: list[tuple[str, int, Certificate]] = []
    skipped: list[SkippedFile] = []
    for path in files:
        name = path.name if isinstance(path, NamedBytes) else path_text(path)
        outcome = _read_one(path, password)
        if isinstance(outcome, SkippedFile):
            skipped.append(outcome)
        elif not outcome:
            skipped.append(SkippedFile(name, "no certificate in the file"))
        else:
            found.extend((name, position, cert) for position, cert in enumerate(outcome))
    return found, skipped


def _audit_inputs(paths: object) -> list[AuditInput]:
    """``paths`` as a list of inputs: one path (``str``, ``os.PathLike``) is one input, not its letters."""
    if isinstance(paths, (str, os.PathLike, NamedBytes)):
        items: list[object] = [paths]
    elif isinstance(paths, (bytes, bytearray)) or not isinstance(paths, Iterable):
        raise MalformedInputError(
            f"paths: expected a path or a list of paths (str or os.PathLike), got {type(paths).__name__}"
        )
    else:
        items = list(paths)
    for index, item in enumerate(items):
        if not isinstance(item, (str, os.PathLike, NamedBytes)):
            raise MalformedInputError(
                f"paths[{index}]: expected a path (str or os.PathLike), got {type(item).__name__}"
            )
        if isinstance(item, str) and not item:
            raise MalformedInputError(f"paths[{index}]: the path is empty")
    return items  # type: ignore[return-value]


def _lint(cert: Certificate, profile: CpsProfile | None) -> tuple[tuple[Finding, ...], str | None]:
    if profile is None:
        return (), None
    from caiso_pki.lint import lint_certificate

    try:
        return lint_certificate(cert, profile), None
    except ProfileError as exc:  # e.g. a kind this profile has no rules for
        return (), str(exc)


def audit_paths(
    paths: AuditInput | Iterable[AuditInput],
    *,
    trust: TrustInput,
    profile: CpsProfile | ProfileSource | None = None,
    at: dt.datetime | None = None,
    intermediates: CertificatesInput = (),
    key_usage: Iterable[str] | None = None,
    extended_key_usage: Iterable[str] | str | None = None,
    policy: PolicyRequirement | None = None,
    revocation: RevocationMode = "soft-fail",
    crls: CrlsInput = (),
    fetch: bool = False,
    timeout: float = 10.0,
    algorithm_policy: AlgorithmPolicy | None = None,
    cache: FleetCache | None = None,
    progress: Callable[[int, int], None] | None = None,
    password: Password = None,
) -> AuditReport:
    """Validate (and lint, with ``profile``) every certificate found under ``paths``.

    Folders are walked recursively (hidden files skipped); every certificate of every file is audited
    (a :class:`~caiso_pki._source.NamedBytes` in ``paths`` is a file's content, already read),
    and the CA certificates found are also offered as intermediates, with ``intermediates`` and those
    of ``trust`` (a :class:`~caiso_pki.truststore.TrustStore` or certificates).  The validation options
    mean what they mean for :func:`~caiso_pki.validation.validate_chain`; ``at`` defaults to now, once
    for the whole audit.  ``profile`` is a CPS profile (built-in name, path or
    :class:`~caiso_pki.profiles.cps.CpsProfile`); each certificate is linted as the kind it looks like.
    ``fetch=True`` also downloads the CRLs and OCSP answers the certificates name (each request bounded
    by ``timeout`` seconds; downloads are shared across the audit), so an audit needs no CRL files; the
    CRLs fetched are reported by :func:`~caiso_pki.monitoring.fleet_metrics` with their URL.
    ``progress(done, total)`` is called as certificates are validated.  ``paths`` may be one path.
    ``password`` opens the PKCS#12 (PFX) files found (an empty one is ``""``, never tried unless given);
    without it they are listed as unreadable.

    Raises :class:`~caiso_pki.errors.ProfileError` for a bad profile,
    :class:`~caiso_pki.errors.MalformedInputError` for bad options and for a path in ``paths`` that
    does not exist, and :class:`~caiso_pki.errors.InvalidTimeError` for an ``at`` too close to year 9999
    for the expiry windows.  Files found that hold no readable certificate, FIFOs and dangling links
    found in folders are reported in :attr:`AuditReport.skipped` (see :attr:`AuditReport.unreadable`),
    never raised.
    """
    from caiso_pki._convert import callable_or_none, instance
    from caiso_pki.profiles.cps import load_cps_profile
    from caiso_pki.validation import FleetCache, Validator
    from caiso_pki.validation.options import certificate_list as _certificate_list

    callable_or_none(progress, "progress")
    if cache is not None:
        instance(cache, FleetCache, "cache", "a FleetCache")
    when = ensure_aware(at, what="at")
    _later(when, max(EXPIRY_WINDOWS))
    loaded_profile = load_cps_profile(profile) if profile is not None else None
    named = _audit_inputs(paths)
    given = [path.name if isinstance(path, NamedBytes) else path_text(path) for path in named]
    if not given:
        raise MalformedInputError("paths: give at least one file or folder")
    files, skipped = _files(named)
    found, unreadable = _load(files, password)
    skipped.extend(unreadable)
    cas = {cert.der: cert for _, _, cert in found if _is_ca(cert)}
    pool = [*cas.values(), *_certificate_list(intermediates, "intermediate")]
    validator = Validator(
        trust=trust,
        key_usage=key_usage,
        extended_key_usage=extended_key_usage,
        policy=policy,
        revocation=revocation,
        crls=crls,
        fetch=fetch,
        timeout=timeout,
        algorithm_policy=algorithm_policy,
        fleet_cache=cache,
    )
    results: list[ValidationResult] = []
    total = len(found)
    for start in range(0, total, _CHUNK):
        chunk = [cert for _, _, cert in found[start : start + _CHUNK]]
        results.extend(validator.validate_many(chunk, pool, at=when))
        if progress is not None:
            progress(len(results), total)
    entries = []
    for (path, position, cert), result in zip(found, results, strict=True):
        findings, lint_error = _lint(cert, loaded_profile)
        entries.append(AuditEntry(path, position, cert, result, findings, lint_error))
    return AuditReport(
        at=when,
        paths=tuple(given),
        entries=tuple(entries),
        skipped=tuple(skipped),
        profile=loaded_profile.name if loaded_profile is not None else None,
        files=len(files),
    )


def _is_ca(cert: Certificate) -> bool:
    try:
        return cert.is_ca
    except CaisoPkiError:  # a certificate only asn1crypto reads: not offered as an intermediate
        return False


# -- rendering -----------------------------------------------------------------------------------


def render_audit_json(report: AuditReport) -> str:
    """The report as indented JSON (:meth:`AuditReport.to_dict`)."""
    return json.dumps(report.to_dict(), indent=2) + "\n"


_CSV_FIELDS: Final = (
    "path",
    "position",
    "subject",
    "issuer",
    "serial",
    "not_after",
    "days_remaining",
    "outcome",
    "codes",
    "lint_codes",
)


def render_audit_csv(report: AuditReport) -> str:
    """One row per certificate (codes and lint codes ``;``-separated), with a header row.

    Values are escaped with :func:`~caiso_pki._text.printable`: a CSV file is read by people in
    spreadsheets and terminals, so a name cannot add rows or carry terminal codes (JSON has exact values).
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_CSV_FIELDS)
    for entry in report.entries:
        cert = entry.certificate
        row: list[object] = [
            entry.path,
            entry.position,
            cert.subject.rfc4514,
            cert.issuer.rfc4514,
            cert.serial_hex,
            iso(cert.not_after),
            entry.days_remaining(report.at),
            entry.outcome,
            ";".join(entry.result.codes),
            ";".join(sorted({finding.code for finding in entry.findings})),
        ]
        writer.writerow([printable(value) for value in row])
    return out.getvalue()


def _name(entry: AuditEntry) -> str:
    subject = entry.certificate.subject
    return subject.common_name or subject.rfc4514


def render_audit_text(report: AuditReport, *, limit: int = 50) -> str:
    """A summary for a terminal: totals, failure codes, lint codes, expiry windows, then details.

    ``limit`` caps each detail list (invalid certificates, soonest expiries, skipped files).  Every line
    is escaped with :func:`~caiso_pki._text.printable`, so names cannot add lines or terminal codes.
    """
    totals = report.totals
    others = len(report.skipped) - len(report.unreadable)
    notes = [f"{len(report.unreadable)} unreadable"] if report.unreadable else []
    notes += [f"{others} without certificates"] if others else []
    lines = [
        f"audit at {iso(report.at)}: {totals['total']} certificates from {report.files} files"
        + (f" ({', '.join(notes)})" if notes else ""),
        f"  valid    {totals['valid']}",
        f"  invalid  {totals['invalid']}",
    ]
    if not totals["total"]:
        lines.append(f"no certificate found under {', '.join(report.paths)}")
    if report.by_code:
        lines.append("failures by code:")
        lines.extend(f"  {code:24s} {count}" for code, count in report.by_code.items())
    if report.profile is not None:
        severities = ", ".join(f"{count} {name}" for name, count in report.lint_by_severity.items())
        lines.append(f"lint ({report.profile}): {severities or 'no findings'}")
        lines.extend(f"  {code:24s} {count}" for code, count in report.lint_by_code.items())
    windows = ", ".join(f"{days} days: {count}" for days, count in report.expiry_windows.items())
    lines.append(f"expiring within {windows}; already expired: {len(report.expired)}")
    invalid = [entry for entry in report.entries if not entry.result.valid]
    if invalid:
        lines.append("invalid:")
        for entry in invalid[:limit]:
            lines.append(f"  {entry.path}: {_name(entry)}: {', '.join(entry.result.codes)}")
            # the revocation entry itself (who, when, why, and from which CRL or OCSP answer)
            lines.extend(
                f"    {failure.message}" for failure in entry.result.failures if failure.code == "revoked"
            )
        if len(invalid) > limit:
            lines.append(f"  ... and {len(invalid) - limit} more")
    soon = report.expiring(EXPIRY_WINDOWS[-1])
    if soon:
        lines.append(f"expiring within {EXPIRY_WINDOWS[-1]} days:")
        for entry in soon[:limit]:
            lines.append(
                f"  {entry.certificate.not_after.date().isoformat()} "
                f"({entry.days_remaining(report.at)} days) {entry.path}: {_name(entry)}"
            )
        if len(soon) > limit:
            lines.append(f"  ... and {len(soon) - limit} more")
    for title, group in (
        ("unreadable (the audit is incomplete):", report.unreadable),
        ("without certificates:", tuple(skip for skip in report.skipped if not skip.unreadable)),
    ):
        if group:
            lines.append(title)
            lines.extend(f"  {skip.path}: {skip.reason}" for skip in group[:limit])
            if len(group) > limit:
                lines.append(f"  ... and {len(group) - limit} more")
    return "".join(printable(line) + "\n" for line in lines)


_STYLE: Final = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
.valid { color: #1a7f37; } .invalid { color: #b42318; font-weight: bold; }
.num { text-align: right; } code { font-size: 0.9em; }
"""


def _h(value: object) -> str:
    """A value for HTML: control and bidi characters escaped first (they reorder or hide text in a
    browser), then HTML-escaped."""
    return html.escape(printable(value))


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, css: Sequence[str] = ()) -> str:
    head = "".join(f"<th>{_h(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            klass = css[index] if index < len(css) and css[index] else ""
            if klass == "outcome":
                klass = str(value)
            attr = f' class="{klass}"' if klass else ""
            cells.append(f"<td{attr}>{_h(value)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


_TIMELINE_ROWS: Final = 40


def _timeline(report: AuditReport) -> str:
    """The expiry timeline picture (``caiso-pki[plot]``), or nothing when matplotlib is missing."""
    from caiso_pki.display import expiry_timeline_html

    certificates = sorted({entry.certificate for entry in report.entries}, key=lambda cert: cert.not_after)
    shown = certificates[:_TIMELINE_ROWS]
    title = "Expiry timeline" + (
        f" ({len(shown)} soonest of {len(certificates)})" if len(shown) < len(certificates) else ""
    )
    picture = expiry_timeline_html(shown, at=report.at, title=title)
    return f'<div class="timeline">{picture}</div>' if picture else ""


def render_audit_html(report: AuditReport) -> str:
    """A self-contained HTML page (inline CSS, no scripts, nothing fetched) for the report.

    Sections: totals, failures by code, lint findings by code, expiry windows, every certificate
    (invalid ones first) and skipped files.  Every value is HTML-escaped.
    """
    totals = report.totals
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>caiso-pki audit {_h(iso(report.at))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Certificate audit</h1>",
        f"<p>At {_h(iso(report.at))}: {totals['total']} certificates from {report.files} files"
        f" under {_h(', '.join(report.paths))}"
        + (f"; CPS profile <code>{_h(report.profile)}</code>" if report.profile else "")
        + ".</p>",
        "<h2>Totals</h2>",
        _table(
            ("outcome", "certificates"),
            [("valid", totals["valid"]), ("invalid", totals["invalid"]), ("total", totals["total"])],
            css=("outcome", "num"),
        ),
        "<h2>Failures by code</h2>",
        _table(("code", "certificates"), report.by_code.items(), css=("", "num"))
        if report.by_code
        else "<p>None.</p>",
    ]
    if report.profile is not None:
        parts += [
            "<h2>Lint findings by code</h2>",
            _table(("code", "certificates"), report.lint_by_code.items(), css=("", "num"))
            if report.lint_by_code
            else "<p>None.</p>",
        ]
    parts += [
        "<h2>Expiry</h2>",
        _table(
            ("window", "certificates"),
            [
                *((f"within {days} days", count) for days, count in report.expiry_windows.items()),
                ("already expired", len(report.expired)),
            ],
            css=("", "num"),
        ),
        _timeline(report),
        "<h2>Certificates</h2>",
        _table(
            ("outcome", "subject", "file", "not after", "days left", "codes", "lint"),
            (
                (
                    entry.outcome,
                    entry.certificate.subject.rfc4514,
                    entry.path if entry.position == 0 else f"{entry.path} #{entry.position}",
                    entry.certificate.not_after.date().isoformat(),
                    entry.days_remaining(report.at),
                    ", ".join(entry.result.codes),
                    ", ".join(sorted({finding.code for finding in entry.findings})),
                )
                for entry in sorted(report.entries, key=lambda e: (e.result.valid, e.path, e.position))
            ),
            css=("outcome", "", "", "", "num"),
        ),
    ]
    if report.skipped:
        parts += [
            "<h2>Skipped files</h2>",
            _table(
                ("file", "unreadable", "reason"),
                ((skip.path, "yes" if skip.unreadable else "no", skip.reason) for skip in report.skipped),
            ),
        ]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
