"""``caiso-pki store``: init, add, remove, list, expiring, export and diff through the real CLI."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from _cli import run_cli
from caiso_pki import testing
from caiso_pki.cli import main
from caiso_pki.errors import InvalidTimeError
from caiso_pki.pkcs12 import load_pkcs12
from caiso_pki.truststore import TrustStore
from caiso_pki.truststore_io import system_bundle


@pytest.fixture(scope="module")
def pki() -> testing.DemoPki:
    return testing.DemoPki.create()


@pytest.fixture(scope="module")
def files(pki: testing.DemoPki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("demo")
    return pki.write(directory)


def run(store: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["store", "--store", str(store), *args], catch_exceptions=False)


@pytest.fixture
def populated(tmp_path: Path, files: dict[str, Path]) -> Path:
    store = tmp_path / "trust"
    assert run(store, "init").exit_code == 0
    caiso = run(
        store, "add", str(files["caiso-root.pem"]), str(files["caiso-issuing.pem"]), "--label", "caiso"
    )
    assert caiso.exit_code == 0, caiso.output
    rig = run(
        store, "add", str(files["entrust-root.pem"]), str(files["entrust-intermediate.pem"]), "-l", "rig"
    )
    assert rig.exit_code == 0, rig.output
    retired = run(
        store, "add", str(files["cybertrust-root.pem"]), "--label", "caiso", "--distrust-after", "2024-11-01",
        "--note", "Verizon Cybertrust, end of life",
    )  # fmt: skip
    assert retired.exit_code == 0, retired.output
    return store


def test_init_add_list(populated: Path, pki: testing.DemoPki) -> None:
    result = run(populated, "list", "--json")
    assert result.exit_code == 0
    entries = json.loads(result.stdout)["entries"]
    assert [e["subject"].split(",")[0] for e in entries] == [
        "CN=Demo CAISO Root CA",
        "CN=Demo CAISO Issuing CA 1",
        "CN=Demo Entrust Private Root",
        "CN=Demo Entrust Private Intermediate",
        "CN=Demo Cybertrust Global Root",
    ]
    assert [e["role"] for e in entries] == ["anchor", "intermediate", "anchor", "intermediate", "anchor"]
    assert entries[4]["distrust_after"] == "2024-11-01T00:00:00Z"
    assert entries[4]["notes"] == "Verizon Cybertrust, end of life"
    text = run(populated, "list", "--label", "rig")
    assert text.exit_code == 0
    assert len(text.stdout.splitlines()) == 2 and "Demo Entrust Private Root" in text.stdout
    assert TrustStore.open(populated).get(pki.root.certificate.fingerprint_sha256).labels == {"caiso"}


def test_add_twice_is_reported_and_init_twice_is_an_error(populated: Path, files: dict[str, Path]) -> None:
    again = run(populated, "add", str(files["caiso-root.pem"]))
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("already present ")
    assert run(populated, "add", str(files["caiso-root.pem"]), "-l", "ecn", "--replace").exit_code == 0
    assert run(populated, "init").exit_code == 2
    bad_date = run(populated, "add", str(files["caiso-root.pem"]), "--replace", "--distrust-after", "soon")
    assert bad_date.exit_code == 2 and "--distrust-after 'soon'" in bad_date.stderr


def test_remove_by_prefix(populated: Path, pki: testing.DemoPki) -> None:
    fingerprint = pki.entrust_root.certificate.fingerprint_sha256
    result = run(populated, "remove", fingerprint[:12], "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["removed"][0]["fingerprint_sha256"] == fingerprint
    assert pki.entrust_root.certificate not in TrustStore.open(populated)
    missing = run(populated, "remove", fingerprint[:12])
    assert missing.exit_code == 2 and "no entry" in missing.stderr


def test_expiring_reports_retired_and_exits_on_request(populated: Path, pki: testing.DemoPki) -> None:
    at = pki.now.isoformat()
    result = run(populated, "expiring", "--at", at, "--json")
    assert result.exit_code == 0
    findings = json.loads(result.stdout)["findings"]
    assert [(f["reason"], f["subject"].split(",")[0]) for f in findings] == [
        ("retired", "CN=Demo Cybertrust Global Root")
    ]
    assert run(populated, "expiring", "--at", at, "--exit-code").exit_code == 1
    assert run(populated, "expiring", "--at", at, "--label", "rig", "--exit-code").exit_code == 0
    # 21 years ahead everything has expired or is retired
    far = run(populated, "expiring", "--within", "7800", "--at", at, "--json")
    assert len(json.loads(far.stdout)["findings"]) == 5


@pytest.mark.openssl
def test_export_formats(
    populated: Path, tmp_path: Path, files: dict[str, Path], pki: testing.DemoPki, openssl_bin: str
) -> None:
    capath = tmp_path / "capath"
    result = run(populated, "export", "--format", "openssl-dir", str(capath), "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["written"]) == 4  # retired root left out
    leaf = tmp_path / "leaf.pem"
    leaf.write_text(pki.issuing_ca.issue("api-client", "c1", reuse_key=True).certificate.pem)
    verify = subprocess.run(
        [openssl_bin, "verify", "-CApath", str(capath), str(leaf)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    password_file = tmp_path / "pw"
    password_file.write_text("changeit\n")
    p12 = tmp_path / "trust.p12"
    exported = run(populated, "export", "--format", "pkcs12", str(p12), "--password-file", str(password_file))
    assert exported.exit_code == 0, exported.output
    info = subprocess.run(
        [openssl_bin, "pkcs12", "-info", "-nokeys", "-in", str(p12), "-passin", "pass:changeit"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert info.returncode == 0 and info.stdout.count("BEGIN CERTIFICATE") == 4
    for fmt in ("pem", "pkcs7"):
        out = tmp_path / f"bundle.{fmt}"
        assert run(populated, "export", "--format", fmt, "-l", "rig", str(out)).exit_code == 0
        assert len(system_bundle(out)) == 2
    der = run(populated, "export", "--format", "der", "--include-retired", str(tmp_path / "der"))
    assert der.exit_code == 0 and len(list((tmp_path / "der").glob("*.der"))) == 5


def test_diff_against_store_bundle_and_system(
    populated: Path, tmp_path: Path, files: dict[str, Path]
) -> None:
    other = tmp_path / "other"
    assert run(other, "init").exit_code == 0
    assert run(other, "add", str(files["caiso-root.pem"]), "-l", "caiso", "-l", "ecn").exit_code == 0
    assert run(other, "add", str(files["cybertrust-issuing.pem"])).exit_code == 0
    result = run(populated, "diff", str(other), "--json")
    assert result.exit_code == 0, result.output
    diff = json.loads(result.stdout)
    assert [e["subject"].split(",")[0] for e in diff["added"]] == ["CN=Demo Cybertrust Issuing CA"]
    assert len(diff["removed"]) == 4
    assert diff["changed"][0]["labels"] == {"before": ["caiso"], "after": ["caiso", "ecn"]}
    text = run(populated, "diff", str(other))
    lines = text.stdout.splitlines()
    assert sum(line.startswith("- ") for line in lines) == 4
    assert any(line.startswith("~ ") and "labels" in line for line in lines)
    bundle = run(populated, "diff", str(files["caiso-chain.pem"]), "--json")
    assert len(json.loads(bundle.stdout)["removed"]) == 4
    system = run(populated, "diff", "@system", "--json")
    assert system.exit_code == 0 and len(json.loads(system.stdout)["added"]) > 50
    assert run(populated, "diff", str(tmp_path / "nothing")).exit_code == 2


def test_corrupt_store_is_reported_not_emptied(populated: Path) -> None:
    manifest = populated / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"role": "anchor"', '"role": "root"', 1))
    result = run(populated, "list")
    assert result.exit_code == 2
    assert "role 'root'" in result.stderr and "entry 0" in result.stderr


def test_store_directory_is_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAISO_PKI_STORE", raising=False)
    result = CliRunner().invoke(main, ["store", "list"])
    assert result.exit_code == 2 and "--store" in result.output
    monkeypatch.setenv("CAISO_PKI_STORE", str(tmp_path / "env-store"))
    assert CliRunner().invoke(main, ["store", "init"]).exit_code == 0
    assert (tmp_path / "env-store" / "manifest.json").is_file()


def test_console_script_runs(populated: Path, console_script: str) -> None:
    completed = subprocess.run(
        [console_script, "store", "--store", str(populated), "list", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert len(json.loads(completed.stdout)["entries"]) == 5


# -- issue 13 ------------------------------------------------------------------------------------


def test_files_sharing_certificates_add_the_rest_in_one_write(tmp_path: Path, files: dict[str, Path]) -> None:
    # issue 13 defect 6: "store add root.pem fullchain.pem" failed with status 2 and added nothing
    store = tmp_path / "trust"
    assert run(store, "init").exit_code == 0
    fullchain = tmp_path / "fullchain.pem"
    fullchain.write_bytes(files["caiso-issuing.pem"].read_bytes() + files["caiso-root.pem"].read_bytes())
    root = str(files["caiso-root.pem"])
    result = run(store, "add", root, str(fullchain), root, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [entry["role"] for entry in data["added"]] == ["anchor", "intermediate"]
    assert len(data["already_present"]) == 2  # the root again in fullchain.pem, then root.pem again
    assert len(TrustStore.open(store)) == 2
    text = run(store, "add", str(fullchain))
    assert text.exit_code == 0, text.output
    assert [line.split()[:2] for line in text.stdout.splitlines()] == [["already", "present"]] * 2


def test_end_entity_certificates_need_an_explicit_anchor_role(tmp_path: Path, pki: testing.DemoPki) -> None:
    # issue 13 defect 15: the default role stored an end-entity certificate as an intermediate
    store = tmp_path / "trust"
    assert run(store, "init").exit_code == 0
    leaf = tmp_path / "leaf.pem"
    issued = pki.issuing_ca.issue("rig", "rig-0001.example.com")
    leaf.write_text(issued.pem_bundle())  # leaf + issuing CA: refused as a whole, nothing added
    for role in ([], ["--role", "intermediate"]):
        refused = run(store, "add", str(leaf), *role)
        assert refused.exit_code == 2, refused.output
        assert "is an end-entity certificate, not a CA" in refused.stderr
        assert "--role anchor to pin this one as a trust anchor" in refused.stderr
        assert refused.stderr.startswith(f"error: {leaf}: ")  # issue 22: the file is named
        assert "role='anchor'" not in refused.stderr
        assert len(TrustStore.open(store)) == 0
    single = tmp_path / "single.pem"
    single.write_text(issued.certificate.pem)
    pinned = run(store, "add", str(single), "--role", "anchor", "--json")
    assert pinned.exit_code == 0, pinned.output
    assert json.loads(pinned.stdout)["added"][0]["role"] == "anchor"


def test_store_add_and_diff_read_pipes_and_stdin(tmp_path: Path, files: dict[str, Path]) -> None:
    # issue 13 defect 8: store add from a pipe said "is empty"
    store = tmp_path / "trust"
    assert run_cli(["store", "--store", store, "init"]).returncode == 0
    root = files["caiso-root.pem"].read_bytes()
    added = run_cli(["store", "--store", store, "add", "/dev/stdin"], stdin=root)
    assert added.returncode == 0, added.output
    assert added.out.startswith("added ")
    again = run_cli(["store", "--store", store, "add", "-"], stdin=root)
    assert again.returncode == 0 and again.out.startswith("already present ")
    diff = run_cli(["store", "--store", store, "diff", "-"], stdin=files["caiso-issuing.pem"].read_bytes())
    assert diff.returncode == 0, diff.output
    assert diff.out.startswith("+ ") and "Demo CAISO Issuing CA 1" in diff.out


def test_messages_name_cli_options_not_the_python_api(tmp_path: Path) -> None:
    # issue 13 defect 10: "run TrustStore.init" instead of the command
    result = run(tmp_path / "nowhere", "list")
    assert result.exit_code == 2
    assert "create one with: caiso-pki store --store DIR init" in result.stderr
    assert "TrustStore" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["expiring", "--within", "3000000"],
        ["expiring", "--at", "9999-12-31T23:59:59"],
        ["expiring", "--at", "0001-01-01"],
        ["add", "-", "--distrust-after", "9999-12-31"],
    ],
)
def test_dates_out_of_range_are_bad_input(populated: Path, args: list[str]) -> None:
    # issue 13 defect 12: store expiring --within 3000000 raised OverflowError
    result = run_cli(["store", "--store", populated, *args])
    assert result.returncode == 2, result.output
    assert result.err.startswith("error: ") and "Traceback" not in result.output
    assert "--within" in result.err or "--at" in result.err or "--distrust-after" in result.err


def test_expiring_api_refuses_what_it_cannot_compute(populated: Path) -> None:
    # issue 13 defect 12: OverflowError and TypeError from TrustStore.expiring
    current = TrustStore.open(populated)
    with pytest.raises(InvalidTimeError, match="past year 9999"):
        current.expiring(dt.timedelta(days=999999999))
    with pytest.raises(InvalidTimeError, match="timedelta"):
        current.expiring(90)  # type: ignore[arg-type]


def test_export_password_file_is_its_first_line(populated: Path, tmp_path: Path) -> None:
    # issue 13 defect 2: store export --password-file used the whole file
    password = tmp_path / "pw.txt"
    password.write_bytes(b"\xef\xbb\xbfexport pw\r\nnot this\n")
    out = tmp_path / "trust.p12"
    result = run(populated, "export", "--format", "pkcs12", str(out), "--password-file", str(password))
    assert result.exit_code == 0, result.output
    trusted = len(TrustStore.open(populated).trusted())  # retired entries are left out of exports
    assert len(load_pkcs12(out, password="export pw").chain) == trusted
    stdout = run_cli(["store", "--store", populated, "export", "-"])
    assert stdout.returncode == 0 and stdout.out.count("BEGIN CERTIFICATE") == trusted
