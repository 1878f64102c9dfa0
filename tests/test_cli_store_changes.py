"""``caiso-pki store add`` with PKCS#12 files and labels on existing entries, ``store edit``, and
``store export`` that keeps an existing file unless ``--force``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import attrs
import pytest

from _cli import Run, run_cli
from caiso_pki import export_pkcs12, testing
from caiso_pki.truststore import TrustStore

PASSWORD = "store-add-pfx-password"


@attrs.frozen
class Files:
    pki: testing.DemoPki
    d: Path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    d = tmp_path_factory.mktemp("store-changes")
    pki = testing.DemoPki.create()
    client = pki.issuing_ca.issue("api-client", "api-client.example.com")
    export_pkcs12(
        client.key,
        client.certificate,
        chain=[*client.chain, pki.root.certificate],
        password=PASSWORD,
        path=d / "client.pfx",
    )
    (d / "password.txt").write_text(PASSWORD + "\n")
    (d / "root.pem").write_text(pki.root.certificate.pem)
    return Files(pki, d)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    TrustStore.init(tmp_path / "trust")
    return tmp_path / "trust"


def store_cli(store: Path, *args: str | os.PathLike[str], env: dict[str, str] | None = None) -> Run:
    return run_cli(["store", "--store", store, *args], env=env)


def entries(store: Path) -> dict[str, dict[str, object]]:
    return {entry.certificate.subject.common_name or "": entry.to_dict() for entry in TrustStore.open(store)}


# -- PKCS#12 ------------------------------------------------------------------------------------------


def test_a_protected_pfx_without_a_password_names_the_options(files: Files, store: Path) -> None:
    run = store_cli(store, "add", files.d / "client.pfx")
    assert run.returncode == 2
    assert run.err.startswith(f"error: {files.d / 'client.pfx'}: the PKCS#12 is password-protected")
    assert "--password-file or --password-env" in run.err
    assert len(TrustStore.open(store)) == 0


def test_a_client_pfx_refuses_its_leaf_naming_the_file_and_the_way_out(files: Files, store: Path) -> None:
    run = store_cli(store, "add", files.d / "client.pfx", "--password-file", files.d / "password.txt")
    assert run.returncode == 2
    assert f"{files.d / 'client.pfx'}: 'CN=api-client.example.com" in run.err
    assert "--ca-only" in run.err and "--role anchor" in run.err
    assert len(TrustStore.open(store)) == 0  # nothing written


@pytest.mark.parametrize("how", ["file", "env"])
def test_ca_only_takes_the_cas_of_a_client_pfx(files: Files, store: Path, how: str) -> None:
    source = (
        ["--password-file", files.d / "password.txt"] if how == "file" else ["--password-env", "PFX_PASSWORD"]
    )
    run = store_cli(
        store, "add", files.d / "client.pfx", "--ca-only", *source, env={"PFX_PASSWORD": PASSWORD}
    )
    assert run.returncode == 0, run.output
    assert "skipped end-entity" in run.out and "api-client.example.com" in run.out
    stored = entries(store)
    assert set(stored) == {"Demo CAISO Issuing CA 1", "Demo CAISO Root CA"}
    assert stored["Demo CAISO Root CA"]["role"] == "anchor"


def test_an_empty_password_pfx_is_read_only_when_the_empty_password_is_given(
    files: Files, store: Path, tmp_path: Path
) -> None:
    from caiso_pki.truststore_io import to_pkcs12

    export = tmp_path / "trust.p12"
    export.write_bytes(to_pkcs12(TrustStore().add(files.pki.root.certificate), password=""))
    assert store_cli(store, "add", export).returncode == 2  # its MAC uses the empty password
    run = store_cli(store, "add", export, "--password-env", "EMPTY", env={"EMPTY": ""})
    assert run.returncode == 0, run.output
    empty_mac = tmp_path / "empty-mac.p12"
    issued = files.pki.issuing_ca
    import subprocess

    subprocess.run(
        [
            "openssl",
            "pkcs12",
            "-export",
            "-nokeys",
            "-in",
            os.fspath(files.d / "root.pem"),
            "-out",
            os.fspath(empty_mac),
            "-passout",
            "pass:",
        ],
        check=True,
        capture_output=True,
    )
    other = tmp_path / "other"
    TrustStore.init(other)
    assert store_cli(other, "add", empty_mac).returncode == 2  # never tried on its own
    (tmp_path / "empty.txt").write_text("\n")
    run = store_cli(other, "add", empty_mac, "--password-file", tmp_path / "empty.txt")
    assert run.returncode == 0, run.output
    assert issued.certificate not in TrustStore.open(other).certificates()
    assert len(TrustStore.open(other)) == 1


# -- labels and metadata of existing entries ----------------------------------------------------------


def test_a_label_on_an_existing_entry_is_added(files: Files, store: Path) -> None:
    assert store_cli(store, "add", files.d / "root.pem", "--label", "caiso").returncode == 0
    run = store_cli(store, "add", files.d / "root.pem", "--label", "z")
    assert run.returncode == 0, run.output
    assert run.out.startswith("labels added ")
    assert entries(store)["Demo CAISO Root CA"]["labels"] == ["caiso", "z"]
    again = store_cli(store, "add", files.d / "root.pem", "--label", "z")
    assert again.out.startswith("already present ")


def test_replace_reports_replaced(files: Files, store: Path) -> None:
    assert store_cli(store, "add", files.d / "root.pem", "--label", "old").returncode == 0
    run = store_cli(store, "add", files.d / "root.pem", "--replace", "--label", "new", "--json")
    assert run.returncode == 0, run.output
    data = json.loads(run.out)
    assert len(data["replaced"]) == 1 and data["added"] == []
    assert entries(store)["Demo CAISO Root CA"]["labels"] == ["new"]


def test_another_note_on_an_existing_entry_is_refused_with_the_way(files: Files, store: Path) -> None:
    assert store_cli(store, "add", files.d / "root.pem", "--note", "first").returncode == 0
    run = store_cli(store, "add", files.d / "root.pem", "--note", "second")
    assert run.returncode == 2
    assert "caiso-pki store edit" in run.err and "--note" in run.err
    assert entries(store)["Demo CAISO Root CA"]["notes"] == "first"


def test_store_edit_changes_labels_note_and_distrust_date(files: Files, store: Path) -> None:
    assert store_cli(store, "add", files.d / "root.pem", "--label", "caiso").returncode == 0
    fingerprint = files.pki.root.certificate.fingerprint_sha256[:12]
    run = store_cli(
        store,
        "edit",
        fingerprint,
        "--add-label",
        "rig",
        "--remove-label",
        "caiso",
        "--note",
        "RIG root",
        "--distrust-after",
        "2030-01-01",
    )
    assert run.returncode == 0, run.output
    entry = entries(store)["Demo CAISO Root CA"]
    assert entry["labels"] == ["rig"] and entry["notes"] == "RIG root"
    assert str(entry["distrust_after"]).startswith("2030-01-01")
    cleared = store_cli(store, "edit", fingerprint, "--no-distrust-after")
    assert cleared.returncode == 0
    assert entries(store)["Demo CAISO Root CA"]["distrust_after"] is None


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ([], "nothing to change"),
        (["--remove-label", "absent"], "has no label absent"),
        (["--distrust-after", "2030-01-01", "--no-distrust-after"], "exclude each other"),
    ],
)
def test_store_edit_refuses_what_cannot_be_done(
    files: Files, store: Path, args: list[str], fragment: str
) -> None:
    assert store_cli(store, "add", files.d / "root.pem").returncode == 0
    run = store_cli(store, "edit", files.pki.root.certificate.fingerprint_sha256[:12], *args)
    assert run.returncode == 2
    assert fragment in run.err


# -- export keeps an existing file ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pem", "pkcs7", "der", "openssl-dir"])
def test_export_keeps_what_exists_unless_force(files: Files, store: Path, tmp_path: Path, fmt: str) -> None:
    assert store_cli(store, "add", files.d / "root.pem").returncode == 0
    if fmt in ("der", "openssl-dir"):
        out = tmp_path / "out-dir"
        assert store_cli(store, "export", "--format", fmt, out).returncode == 0
        before = {path.name: path.read_bytes() for path in out.iterdir()}
        run = store_cli(store, "export", "--format", fmt, out)
        assert run.returncode == 2 and "already holds an export" in run.err and "--force" in run.err
        assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    else:
        out = tmp_path / "x.pem"
        out.write_text("precious\n")
        run = store_cli(store, "export", "--format", fmt, out)
        assert run.returncode == 2 and "already exists; use --force" in run.err
        assert out.read_text() == "precious\n"
    assert store_cli(store, "export", "--format", fmt, out, "--force").returncode == 0
