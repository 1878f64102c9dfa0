"""What ``audit`` does with inputs that are not plain certificate files, and its new options.

Unreadable files (truncated PEM, binary junk, an empty file, a PFX without its password, a FIFO or a
dangling link in a folder) are each listed with the reason and make the audit incomplete (exit 1);
readable files of another kind (a key) are listed but do not count.  ``audit_paths`` takes one path as
one path.  ``--trust``, ``--usage``, ``--policy``, ``--password-file`` and ``--force`` work.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import attrs
import pytest

from _cli import run_cli
from caiso_pki import audit_paths, export_pkcs12, testing
from caiso_pki.errors import CaisoPkiError, MalformedInputError
from caiso_pki.oids import DEMO_BASIC_ASSURANCE_POLICY

PASSWORD = "audit-pfx-password"


@attrs.frozen
class Fleet:
    pki: testing.DemoPki
    d: Path

    @property
    def folder(self) -> Path:
        return self.d / "fleet"

    @property
    def roots(self) -> Path:
        return self.d / "roots.pem"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    d = tmp_path_factory.mktemp("audit-inputs")
    pki = testing.DemoPki.create()
    folder = d / "fleet"
    folder.mkdir()
    good = pki.issuing_ca.issue("rig", "rig-good.example.com")
    (folder / "good.pem").write_text(good.pem_bundle())
    (folder / "truncated.pem").write_text(good.certificate.pem[:300])
    (folder / "junk.bin").write_bytes(bytes(range(256)) * 4)
    (folder / "empty.pem").write_bytes(b"")
    pfx_leaf = pki.issuing_ca.issue("rig", "rig-in-pfx.example.com")
    export_pkcs12(
        pfx_leaf.key, pfx_leaf.certificate, chain=pfx_leaf.chain, password=PASSWORD, path=folder / "id.pfx"
    )
    (folder / "rig.key").write_bytes(good.key_pem())
    os.mkfifo(folder / "a-fifo")
    (folder / "dangling.pem").symlink_to(folder / "gone.pem")
    (d / "roots.pem").write_text("".join(cert.pem for cert in pki.trust_anchors))
    (d / "password.txt").write_text(PASSWORD + "\n")
    return Fleet(pki, d)


UNREADABLE = {"truncated.pem", "junk.bin", "empty.pem", "id.pfx", "a-fifo", "dangling.pem"}


def test_every_unreadable_input_is_listed_and_the_audit_is_incomplete(fleet: Fleet) -> None:
    report = audit_paths(fleet.folder, trust=fleet.roots, revocation="off")
    listed = {Path(skip.path).name: skip for skip in report.skipped}
    assert {name for name, skip in listed.items() if skip.unreadable} == UNREADABLE
    assert not listed["rig.key"].unreadable  # a key: listed, not a failure
    assert "dangling symbolic link" in listed["dangling.pem"].reason
    assert "FIFO" in listed["a-fifo"].reason
    assert "password" in listed["id.pfx"].reason
    assert report.totals == {"total": 2, "valid": 2, "invalid": 0}  # good.pem: leaf and its issuer
    assert not report.complete and not report.clean


def test_a_pfx_is_read_with_its_password(fleet: Fleet) -> None:
    report = audit_paths(fleet.folder, trust=fleet.roots, revocation="off", password=PASSWORD)
    names = {entry.certificate.subject.common_name for entry in report.entries}
    assert "rig-in-pfx.example.com" in names
    assert "id.pfx" not in {Path(skip.path).name for skip in report.unreadable}


def test_cli_exits_1_and_lists_each_unreadable_file(fleet: Fleet) -> None:
    run = run_cli(["audit", fleet.folder, "--trust", fleet.roots, "--revocation", "off"])
    assert run.returncode == 1, run.output
    assert "6 unreadable" in run.out and "unreadable (the audit is incomplete):" in run.out
    for name in UNREADABLE:
        assert name in run.out
    data = json.loads(
        run_cli(
            ["audit", fleet.folder, "--trust", fleet.roots, "--revocation", "off", "--format", "json"]
        ).out
    )
    assert data["complete"] is False
    assert {Path(skip["path"]).name for skip in data["skipped"] if skip["unreadable"]} == UNREADABLE


def test_cli_password_file_reads_the_pfx(fleet: Fleet) -> None:
    run = run_cli(
        [
            "audit",
            fleet.folder / "id.pfx",
            fleet.folder / "good.pem",
            "--trust",
            fleet.roots,
            "--revocation",
            "off",
            "--password-file",
            fleet.d / "password.txt",
        ]
    )
    assert run.returncode == 0, run.output
    assert "4 certificates from 2 files" in run.out


def test_one_string_is_one_path(fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = audit_paths(str(fleet.folder / "good.pem"), trust=fleet.roots, revocation="off")
    assert report.paths == (str(fleet.folder / "good.pem"),) and report.totals["total"] == 2
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    with pytest.raises(MalformedInputError, match=r"a\.: no such file or directory"):
        audit_paths("a.", trust=fleet.roots)


@pytest.mark.parametrize(
    ("paths", "fragment"),
    [
        (None, "paths: expected a path"),
        ([123], r"paths\[0\]: expected a path"),
        (b"x", "paths: expected"),
        ([], "paths: give"),
    ],
)
def test_bad_paths_name_the_parameter(fleet: Fleet, paths: object, fragment: str) -> None:
    with pytest.raises(CaisoPkiError, match=fragment):
        audit_paths(paths, trust=fleet.roots)  # type: ignore[arg-type]


def test_cli_trust_usage_and_policy(fleet: Fleet) -> None:
    base = ["audit", fleet.folder / "good.pem", "--trust", fleet.roots, "--revocation", "off"]
    assert run_cli([*base, "--usage", "client"]).returncode == 0
    assert run_cli([*base, "--usage", "nobody"]).returncode == 2
    policy = run_cli([*base, "--policy", DEMO_BASIC_ASSURANCE_POLICY, "--explicit-policy"])
    assert policy.returncode == 0, policy.output
    other = run_cli([*base, "--policy", "1.2.3.4", "--explicit-policy"])
    assert other.returncode == 1
    bad = run_cli([*base, "--policy", "notanoid"])
    assert bad.returncode == 2 and bad.err.startswith("error: --policy: OID 'notanoid'")
    neither = run_cli(["audit", fleet.folder / "good.pem"])
    assert neither.returncode == 2 and "exactly one of --store DIR or --trust FILE" in neither.err


def test_cli_out_is_kept_without_force(fleet: Fleet, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text("precious\n")
    base = ["audit", fleet.folder / "good.pem", "--trust", fleet.roots, "--revocation", "off", "--out", out]
    run = run_cli(base)
    assert run.returncode == 2 and "already exists; use --force" in run.err
    assert out.read_text() == "precious\n"
    assert run_cli([*base, "--force"]).returncode == 0
    assert "2 certificates" in out.read_text()
