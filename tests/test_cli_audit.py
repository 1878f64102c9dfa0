"""caiso-pki audit on the 1,000-certificate folder of tests/test_audit.py: totals, formats, exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.test_audit import INVALID, PLANTED, TOTAL, Planted, plant

from caiso_pki.cli import main


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
    result = runner.invoke(main, _args(planted, "--revocation", "off", "--format", "csv"))
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
