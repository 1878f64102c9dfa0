"""caiso-pki audit on the 1,000-certificate folder of tests/test_audit.py: totals, formats, exit codes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.test_audit import INVALID, PLANTED, TOTAL, Planted, plant

from _cli import Run, run_cli
from _hostile import hostile_leaf
from caiso_pki import TrustStore, audit_paths, testing
from caiso_pki.cli import main
from caiso_pki.errors import InvalidTimeError


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    return plant(tmp_path_factory.mktemp("cli-audit"))


def _args(planted: Planted, *extra: str) -> list[str]:
    crls = [arg for path in planted.crl_files for arg in ("--crl", str(path))]
    at = planted.at.isoformat().replace("+00:00", "Z")
    return ["audit", str(planted.folder), "--store", str(planted.store_dir), "--at", at, *crls, *extra]


def test_json_totals_match_what_was_planted(planted: Planted) -> None:
    result = CliRunner().invoke(main, _args(planted, "--revocation", "hard-fail", "--format", "json"))
    assert result.exit_code == 1, result.output  # some certificates are invalid
    data = json.loads(result.stdout)
    invalid = sum(PLANTED[kind] for kind in INVALID)
    assert data["totals"] == {"total": TOTAL, "valid": TOTAL - invalid, "invalid": invalid}
    assert data["by_code"] == {code: PLANTED[kind] for kind, code in INVALID.items()}
    assert data["expiring"] == {"30": 7, "60": 13, "90": 18}
    assert data["expired"] == PLANTED["expired"]
    assert len(data["skipped"]) == 2


def test_text_with_profile_and_out_file(planted: Planted, tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    result = CliRunner().invoke(
        main, _args(planted, "--revocation", "hard-fail", "--profile", "caiso-demo", "--out", str(out))
    )
    assert result.exit_code == 1, result.output
    assert "report written to" in result.stderr
    text = out.read_text()
    assert f"{TOTAL} certificates" in text
    assert "revoked" in text and "bad-signature" in text and "distrusted-anchor" in text
    assert "lint (caiso-demo)" in text and "CPS-VALIDITY-MAX" in text
    assert "README.txt" in text  # the skipped file is named


def test_csv_and_html(planted: Planted, tmp_path: Path) -> None:
    runner = CliRunner()
    at = planted.at.isoformat().replace("+00:00", "Z")
    args = ["audit", str(planted.folder), "--store", str(planted.store_dir), "--at", at]
    result = runner.invoke(main, [*args, "--revocation", "off", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == TOTAL
    codes = {row["codes"] for row in rows}
    assert "revoked" not in codes  # revocation off
    page = tmp_path / "audit.html"
    result = runner.invoke(main, _args(planted, "--format", "html", "--out", str(page)))
    assert result.exit_code == 1
    assert page.read_text().startswith("<!DOCTYPE html>")


def test_clean_folder_exits_zero(planted: Planted) -> None:
    folder = planted.folder / "good" / "00"
    at = planted.at.isoformat()
    issuing = str(planted.folder / "issuing-ca")
    result = CliRunner().invoke(
        main, ["audit", str(folder), issuing, "--store", str(planted.store_dir), "--at", at]
    )
    assert result.exit_code == 0, result.output
    assert "invalid  0" in result.stdout


def test_bad_input_exits_two(planted: Planted, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["audit", str(planted.folder), "--store", str(tmp_path / "no-store")])
    assert result.exit_code == 2
    assert "error:" in result.stderr
    result = runner.invoke(
        main,
        ["audit", str(planted.folder), "--store", str(planted.store_dir), "--profile", "no-such-profile"],
    )
    assert result.exit_code == 2
    result = runner.invoke(
        main, ["audit", str(planted.folder), "--store", str(planted.store_dir), "--at", "soon"]
    )
    assert result.exit_code == 2


def test_subprocess_no_progress_on_pipes(planted: Planted) -> None:
    # stderr is a pipe here: no progress bar may leak into it, and stdout is the report alone.
    folder = planted.folder / "revoked"
    command = [sys.executable, "-m", "caiso_pki", *_args(planted, "--revocation", "hard-fail")[:1]]
    command += [str(folder), str(planted.folder / "issuing-ca"), "--store", str(planted.store_dir)]
    command += ["--crl", str(planted.crl_files[0]), "--crl", str(planted.crl_files[1]), "--format", "json"]
    command += ["--revocation", "hard-fail", "--at", planted.at.isoformat()]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    data = json.loads(done.stdout)
    assert data["by_code"] == {"revoked": PLANTED["revoked"]}


# -- issue 13 ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A store and a folder holding a non-UTF-8 file name and a certificate with a hostile CN."""
    pki = testing.DemoPki.create()
    out = tmp_path_factory.mktemp("audit-hostile")
    store = out / "store"
    TrustStore.init(store).add_all(pki.trust_anchors).save()
    folder = out / "certs"
    folder.mkdir()
    rig = pki.issuing_ca.issue("rig", "rig-0001.example.com")
    (folder / os.fsdecode(b"caf\xe9.pem")).write_text(rig.pem_bundle())
    (folder / "newline.pem").write_text(hostile_leaf(pki, "newline").pem_bundle())
    (folder / "escape.pem").write_text(hostile_leaf(pki, "escape").pem_bundle())
    stranger = testing.DemoPki.create()  # not in the store: listed as invalid in the text report
    (folder / os.fsdecode(b"stranger-\xff.pem")).write_text(hostile_leaf(stranger, "newline").certificate.pem)
    empty = out / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no certificate here\n")
    return {"store": store, "folder": folder, "empty": empty, "out": out}


def _audit(small: dict[str, Path], *args: str | Path) -> Run:
    return run_cli(["audit", *args, "--store", small["store"], "--revocation", "off"])


@pytest.mark.parametrize("fmt", ["text", "json", "csv", "html"])
def test_non_utf8_names_and_hostile_subjects(small: dict[str, Path], fmt: str) -> None:
    # issue 13 defect 4: a UnicodeEncodeError traceback for html/csv; JSON wrote a lone surrogate
    # issue 13 defect 1: a CN with a newline split the report's lines
    report = small["out"] / f"report.{fmt}"
    result = _audit(small, small["folder"], "--format", fmt, "--out", report)
    assert result.returncode == 1, result.output  # the stranger's certificate does not validate
    data = report.read_bytes()
    text = data.decode("utf-8")  # valid UTF-8: no lone surrogate
    assert b"\x1b" not in data
    if fmt == "json":
        paths = [entry["path"] for entry in json.loads(text)["entries"]]
        assert {path.rsplit("/", 1)[-1] for path in paths} >= {"caf\\xe9.pem", "stranger-\\xff.pem"}
        return
    assert "stranger-\\xff.pem" in text and "line1\\nFAKE: VALID" in text
    assert not any(line.startswith("FAKE") for line in text.splitlines())
    if fmt != "text":  # the text report lists only invalid certificates
        assert "caf\\xe9.pem" in text and "x\\x1b[31mRED" in text


def test_missing_path_is_bad_input_and_finding_nothing_is_negative(small: dict[str, Path]) -> None:
    # issue 13 defect 5: "audit /nonexistent --store S" exited 0 (0 certificates, 1 skipped)
    missing = _audit(small, small["out"] / "nonexistent")
    assert missing.returncode == 2, missing.output
    assert missing.err == f"error: {small['out'] / 'nonexistent'}: no such file or directory\n"
    nothing = _audit(small, small["empty"])
    assert nothing.returncode == 1, nothing.output
    assert f"no certificate found under {small['empty']}" in nothing.out


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59", "9000-01-01"])
def test_audit_time_out_of_range_is_bad_input(small: dict[str, Path], at: str) -> None:
    # issue 13 defect 12: audit --at 9999-12-31T23:59:59 raised OverflowError
    result = _audit(small, small["folder"], "--at", at)
    assert result.returncode == 2, result.output
    assert result.err == f"error: --at '{at}': choose a time between 1950-01-01 and 9000-01-01\n"


def test_audit_paths_refuses_a_time_too_close_to_year_9999(small: dict[str, Path]) -> None:
    with pytest.raises(InvalidTimeError, match="past year 9999"):
        audit_paths(
            [small["folder"]],
            trust=TrustStore.open(small["store"]),
            at=dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
        )
