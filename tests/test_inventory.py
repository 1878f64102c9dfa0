"""The inventory file: extra labels and PKCS#12 password sources by path (caiso_pki.inventory)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from caiso_pki.errors import MalformedInputError, PasswordError
from caiso_pki.inventory import Inventory, InventoryEntry, PasswordSource, load_inventory


def write(directory: Path, text: str) -> Path:
    path = directory / "inventory.toml"
    path.write_text(text)
    return path


def test_labels_and_passwords_by_file_folder_and_glob(tmp_path: Path) -> None:
    inventory = load_inventory(
        write(
            tmp_path,
            """
            [[file]]
            match = "rig/rig-0007.pem"
            labels = { device_id = "RIG-0007", owner = "telemetry" }

            [[file]]
            match = "api/"
            password_file = "secrets/api.pass"
            labels = { owner = "market-ops" }

            [[file]]
            match = "api/special-*.p12"
            password_env = "SPECIAL_PFX_PASSWORD"
            """,
        )
    )
    rig = tmp_path / "rig" / "rig-0007.pem"
    assert inventory.labels_for(rig) == {"device_id": "RIG-0007", "owner": "telemetry"}
    assert inventory.labels_for(tmp_path / "rig" / "rig-0008.pem") == {}
    assert inventory.labels_for(tmp_path / "api" / "deep" / "client.p12") == {"owner": "market-ops"}
    assert inventory.password_for(tmp_path / "api" / "client.p12") == PasswordSource(
        file=tmp_path / "secrets" / "api.pass"
    )
    assert inventory.password_for(tmp_path / "api" / "special-1.p12") == PasswordSource(
        env="SPECIAL_PFX_PASSWORD"
    )
    assert inventory.password_for(rig) is None
    assert inventory.label_names == ("device_id", "owner")


def test_relative_paths_are_compared_as_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inventory = load_inventory(write(tmp_path, '[[file]]\nmatch = "certs/a.pem"\nlabels = { owner = "x" }\n'))
    monkeypatch.chdir(tmp_path)
    assert inventory.labels_for("certs/a.pem") == {"owner": "x"}
    assert inventory.labels_for(Path("certs") / "b.pem") == {}


def test_later_entries_override_earlier_ones() -> None:
    inventory = Inventory(
        (
            InventoryEntry("/fleet/", {"owner": "a", "site": "north"}),
            InventoryEntry("/fleet/rig/*", {"owner": "b"}),
        )
    )
    assert inventory.labels_for("/fleet/rig/1.pem") == {"owner": "b", "site": "north"}
    assert inventory.labels_for("/fleetwood/1.pem") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[file]]\nlabels = { a = 'b' }\n", "'match' must be"),
        ("[[file]]\nmatch = 'x'\nlabel = { a = 'b' }\n", "unknown key(s) label"),
        ("[[file]]\nmatch = 'x'\nlabels = { 'device-id' = 'b' }\n", "not a Prometheus label name"),
        ("[[file]]\nmatch = 'x'\nlabels = { __name__ = 'b' }\n", "not a Prometheus label name"),
        ("[[file]]\nmatch = 'x'\nlabels = { path = 'b' }\n", "already used by the metrics"),
        ("[[file]]\nmatch = 'x'\nlabels = { owner = 3 }\n", "must be a string"),
        ("[[file]]\nmatch = 'x'\npassword_file = 'a'\npassword_env = 'B'\n", "not both"),
        ("[[file]]\nmatch = 'x'\npassword_env = 'not a name'\n", "environment variable name"),
        ("[files]\nmatch = 'x'\n", "unknown top-level key(s) files"),
        ("file = 'x'\n", "array of tables"),
        ("[[file]\n", "not valid TOML"),
        ("x = " + "[" * 5000 + "]" * 5000 + "\n", "nest too deeply"),  # tomllib would overflow the stack
    ],
)
def test_bad_inventories_name_the_file_and_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(MalformedInputError) as caught:
        load_inventory(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_unreadable_inventory(tmp_path: Path) -> None:
    with pytest.raises(MalformedInputError, match="cannot read the inventory"):
        load_inventory(tmp_path / "missing.toml")
    (tmp_path / "latin1.toml").write_bytes(b"# caf\xe9\n")
    with pytest.raises(MalformedInputError, match="not UTF-8"):
        load_inventory(tmp_path / "latin1.toml")


def test_password_file_first_line(tmp_path: Path) -> None:
    secret = tmp_path / "pass"
    secret.write_bytes(b"\xef\xbb\xbfcorrect horse\r\nsecond line\n")
    assert PasswordSource(file=secret).read() == "correct horse"
    secret.write_bytes(b"\n")
    assert PasswordSource(file=secret).read() == ""  # an empty PKCS#12 password, given on purpose
    secret.write_bytes(b"caf\xe9\n")
    with pytest.raises(PasswordError, match="not UTF-8"):
        PasswordSource(file=secret).read()
    with pytest.raises(PasswordError, match="cannot read"):
        PasswordSource(file=tmp_path / "missing").read()


def test_password_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAISO_PKI_TEST_INVENTORY_PW", "from-env")
    assert PasswordSource(env="CAISO_PKI_TEST_INVENTORY_PW").read() == "from-env"
    monkeypatch.setenv("CAISO_PKI_TEST_INVENTORY_PW", "")
    assert PasswordSource(env="CAISO_PKI_TEST_INVENTORY_PW").read() == ""
    monkeypatch.delenv("CAISO_PKI_TEST_INVENTORY_PW")
    with pytest.raises(PasswordError, match="CAISO_PKI_TEST_INVENTORY_PW is not set"):
        PasswordSource(env="CAISO_PKI_TEST_INVENTORY_PW").read()


@pytest.mark.parametrize(
    "data",
    [
        b"plain\n",
        b"\xef\xbb\xbfwith a BOM\r\n",
        b"no newline",
        b"two\nlines\n",
        b" spaces kept \n",
        b"two CRs\r\r\n",
        b"\n",
        b"",
        b"caf\xc3\xa9\n",
        b"latin-1 caf\xe9\n",
    ],
)
def test_a_password_file_reads_as_every_password_file_option_reads_it(tmp_path: Path, data: bytes) -> None:
    """One rule: the inventory's password file and the command line's --password-file of a PKCS#12
    (allow_empty) give the same password, or both refuse the file."""
    from caiso_pki._source import NamedBytes
    from caiso_pki.cli._common import read_password

    secret = tmp_path / "pass"
    secret.write_bytes(data)

    def outcome(read: Callable[[], str | None]) -> str | type[Exception] | None:
        try:
            return read()
        except PasswordError:
            return PasswordError

    from_cli = outcome(
        lambda: read_password(
            password_file=NamedBytes(data, str(secret)), env_var=None, prompt=None, allow_empty=True
        )
    )
    assert outcome(PasswordSource(file=secret).read) == from_cli


def test_a_password_source_never_shows_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "pass"
    secret.write_text("hunter2-very-secret\n")
    monkeypatch.setenv("CAISO_PKI_TEST_INVENTORY_PW", "hunter2-very-secret")
    for source in (PasswordSource(file=secret), PasswordSource(env="CAISO_PKI_TEST_INVENTORY_PW")):
        assert source.read() == "hunter2-very-secret"
        assert "hunter2" not in repr(source)
        assert "hunter2" not in source.description


def test_password_source_needs_exactly_one_origin() -> None:
    with pytest.raises(MalformedInputError):
        PasswordSource()
    with pytest.raises(MalformedInputError):
        PasswordSource(file=Path("a"), env="B")


def test_folder_match_uses_the_separator() -> None:
    entry = InventoryEntry(f"{os.sep}fleet{os.sep}", {"owner": "a"})
    assert entry.matches(f"{os.sep}fleet{os.sep}a.pem")
    assert not entry.matches(f"{os.sep}fleet-other{os.sep}a.pem")


def test_wrong_types_are_refused_naming_the_parameter() -> None:
    with pytest.raises(MalformedInputError, match=r"^file: the path is empty"):
        PasswordSource(file="")
    with pytest.raises(MalformedInputError, match=r"^PasswordSource\.env: expected text"):
        PasswordSource(env=7)  # type: ignore[arg-type]
    with pytest.raises(MalformedInputError, match=r"^entries\[0\]: expected InventoryEntry"):
        Inventory([{"match": "*.pem"}])  # type: ignore[list-item]
    with pytest.raises(MalformedInputError, match=r"^labels\['owner'\]: expected text"):
        InventoryEntry("/fleet/", {"owner": None})  # type: ignore[dict-item]
    with pytest.raises(MalformedInputError, match=r"^InventoryEntry\.password: expected a PasswordSource"):
        InventoryEntry("/fleet/", password="secret")  # type: ignore[arg-type]
    with pytest.raises(MalformedInputError, match=r"^path: expected a path"):
        Inventory().labels_for(None)  # type: ignore[arg-type]
    with pytest.raises(MalformedInputError, match=r"^source: expected a path"):
        load_inventory(None)  # type: ignore[arg-type]
    assert PasswordSource(file="relative.pass").file == Path("relative.pass")
