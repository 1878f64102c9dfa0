"""``caiso-pki demo``: the whole job on the built-in demo PKI, start to finish, with a readable report."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import click

from caiso_pki._text import display_path, path_text
from caiso_pki.cli._common import DIRECTORY, EXIT_NEGATIVE, echo_json, echo_lines, handle_errors
from caiso_pki.errors import CaisoPkiError

__all__ = ["demo"]


def _prepare(directory: Path, *, force: bool) -> Path:
    """``directory``, created if missing.

    An existing directory that is not empty is refused without ``force``: it may hold an earlier demo,
    whose CA and RIG private keys would otherwise be overwritten silently.
    """
    name = display_path(directory)
    try:
        if directory.is_dir() and any(directory.iterdir()) and not force:
            raise CaisoPkiError(
                f"demo --dir {name}: the directory is not empty (it may hold an earlier demo's private "
                "keys); use --force to overwrite its files, or choose a new directory"
            )
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CaisoPkiError(f"demo --dir {name}: cannot create the directory: {exc.strerror or exc}") from exc
    return directory


@click.command()
@click.option(
    "--dir",
    "directory",
    type=DIRECTORY,
    default=None,
    help="Keep the demo files (CA keys included) in this directory (default: a temporary one, deleted).",
)
@click.option("--force", is_flag=True, help="Write into a --dir that is not empty, replacing its files.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@handle_errors
def demo(directory: Path | None, force: bool, as_json: bool) -> None:
    """Create the demo PKI, request and issue a RIG certificate, and validate it under the CPS policy.

    Steps: build a CAISO-shaped demo hierarchy; generate a RIG device key and a CSR to the RIG request
    profile; have the demo issuing CA issue the certificate; validate the chain to the demo root with
    explicit Basic Assurance policy, clientAuth EKU and a CRL check; lint it against the demo CPS
    profile; and show that a certificate chaining to the retired (Cybertrust-shaped) root is refused.
    Without --dir the files (demo CA keys included) go to a temporary directory that is deleted before
    the command ends; --dir keeps them.  Exit status 0 when the RIG chain is valid, 1 when it is not,
    2 on bad input (a --dir that cannot be created, or one that is not empty without --force).

    \b
    Example:
      caiso-pki demo --dir demo-files
    """
    if directory is not None:
        _run(_prepare(directory, force=force), force=force, as_json=as_json, kept=True)
        return
    with tempfile.TemporaryDirectory(prefix="caiso-pki-demo-") as scratch:
        _run(Path(scratch), force=False, as_json=as_json, kept=False)


def _run(out: Path, *, force: bool, as_json: bool, kept: bool) -> None:
    """The demo's steps, writing into ``out``; the exit status says whether the RIG chain is valid."""
    from caiso_pki import (
        PolicyRequirement,
        TrustStore,
        build_csr,
        check_csr,
        generate_private_key,
        lint_chain,
        save_private_key,
        validate_chain,
    )
    from caiso_pki._atomic import atomic_write_bytes
    from caiso_pki.oids import DEMO_BASIC_ASSURANCE_POLICY
    from caiso_pki.testing import CYBERTRUST_END_OF_LIFE, DemoPki

    steps: list[tuple[str, str]] = []

    pki = DemoPki.create()
    pki.write(out / "pki", overwrite=force)
    steps.append(
        ("Created demo PKI", f"{pki.root.name} -> {pki.issuing_ca.name}; Entrust-shaped and retired roots")
    )

    key = generate_private_key("ec-p256")
    save_private_key(key, out / "rig.key", overwrite=force)
    subject = "CN=rig-0001.demo-participant.example,O=Demo Participant,C=US"
    csr = build_csr(key, subject, dns_names=["rig-0001.demo-participant.example"], profile="rig")
    atomic_write_bytes(out / "rig.csr", csr.pem.encode(), overwrite=force)
    problems = check_csr(csr, "rig")
    steps.append(("Built RIG key and CSR", f"{subject} (profile 'rig': {len(problems)} finding(s))"))

    issued = pki.issuing_ca.issue_from_csr(csr, kind="rig")
    leaf = issued.certificate
    atomic_write_bytes(out / "rig.pem", leaf.pem.encode(), overwrite=force)
    steps.append(
        ("Issued RIG certificate", f"serial {leaf.serial_hex}, valid until {leaf.not_after:%Y-%m-%d}")
    )

    store = (
        TrustStore()
        .add(pki.root.certificate, labels={"caiso"}, source="demo")
        .add(pki.entrust_root.certificate, labels={"rig"}, source="demo")
        .add(
            pki.retired_root.certificate,
            labels={"retired"},
            source="demo",
            distrust_after=CYBERTRUST_END_OF_LIFE,
            notes="Verizon Cybertrust-shaped root: end of life November 2024",
        )
    )
    policy = PolicyRequirement({DEMO_BASIC_ASSURANCE_POLICY}, require_explicit=True)
    result = validate_chain(
        leaf,
        issued.chain,
        trust=store,
        at=pki.now,
        extended_key_usage={"clientAuth"},
        policy=policy,
        revocation="require",
        crls=[pki.root.crl(), pki.issuing_ca.crl()],
    )
    findings = lint_chain(result.path, "caiso-demo") if result.valid else ()
    steps.append(("Validated chain", "VALID" if result.valid else "INVALID"))
    steps.append(("Linted chain against CPS profile 'caiso-demo'", f"{len(findings)} finding(s)"))

    retired_leaf = pki.retired_issuing_ca.issue("rig", "rig-legacy.demo-participant.example")
    retired = validate_chain(
        retired_leaf.certificate, retired_leaf.chain, trust=store, at=pki.now, revocation="off"
    )
    steps.append(
        (
            "Checked a certificate under the retired root",
            "refused: " + ", ".join(f.code for f in retired.failures)
            if not retired.valid
            else "ACCEPTED (unexpected)",
        )
    )

    if as_json:
        echo_json(
            {
                "directory": path_text(out) if kept else None,
                "steps": [{"step": step, "detail": detail} for step, detail in steps],
                "validation": result.to_dict(),
                "findings": [finding.to_dict() for finding in findings],
                "retired_root_refused": not retired.valid,
                "generated_at": dt.datetime.now(dt.UTC).isoformat(),
            }
        )
    else:
        _render(out if kept else None, steps, result, findings)
    if not result.valid or retired.valid:
        raise SystemExit(EXIT_NEGATIVE)


def _render(out: Path | None, steps: list[tuple[str, str]], result: object, findings: object) -> None:
    from caiso_pki.validation import ValidationResult

    assert isinstance(result, ValidationResult)
    where = (
        f"files in {display_path(out)}"
        if out is not None
        else "files deleted at the end; use --dir DIR to keep them"
    )
    lines = [f"caiso-pki demo  ({where})", ""]
    lines += [f"  {number}. {step}: {detail}" for number, (step, detail) in enumerate(steps, start=1)]
    lines += ["", "Chain (anchor -> leaf):"]
    statuses = {status.index: status for status in result.revocation}
    for index, cert in enumerate(result.path):
        role = "root" if index == 0 else ("leaf" if index == len(result.path) - 1 else "issuing CA")
        status = statuses.get(index)
        if index == 0:
            note = "trust anchor"
        elif status is not None and status.status != "not-checked":
            note = f"revocation {status.status} ({status.source or 'n/a'})"
        else:
            note = "revocation not checked"
        lines.append(
            f"  {'   ' * index}└─ [{role}] {cert.subject.rfc4514}  (until {cert.not_after:%Y-%m-%d}; {note})"
        )
    lines.append("")
    if result.valid:
        policies = ", ".join(sorted(result.valid_policies)) or "none"
        lines.append(f"Result: the chain is VALID (valid policies: {policies})")
    else:
        lines.append("Result: the chain is INVALID")
        lines += [f"  - {failure.code}: {failure.message}" for failure in result.failures]
    echo_lines(lines)
