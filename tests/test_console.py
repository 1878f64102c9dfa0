"""The ``caiso-pki`` script's process settings: its own, never those of a program that calls ``main``.

:func:`caiso_pki.__main__.console` (the script and ``python -m caiso_pki``) raises the cyclic collector's
thresholds and freezes the heap when the command returns, so the interpreter's shutdown does not walk
it again.  A program that imports the CLI and calls :func:`~caiso_pki.cli.main` keeps its own settings.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from _cli import console_script, run_cli
from caiso_pki import testing
from caiso_pki.__main__ import GC_THRESHOLDS
from caiso_pki.cli import main


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pki = testing.DemoPki.create()
    folder = tmp_path_factory.mktemp("console")
    paths = {name: folder / f"{name}.pem" for name in ("leaf", "issuing", "root")}
    paths["leaf"].write_text(pki.issuing_ca.issue("rig", "rig-0077.example.com").certificate.pem)
    paths["issuing"].write_text(pki.issuing_ca.certificate.pem)
    paths["root"].write_text(pki.root.certificate.pem)
    return paths


def _verify_args(chain: dict[str, Path]) -> list[str]:
    return ["verify", str(chain["leaf"]), "--chain", str(chain["issuing"]), "--trust", str(chain["root"])]


def test_main_called_by_a_program_leaves_its_collector_alone(chain: dict[str, Path]) -> None:
    thresholds, frozen, enabled = gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()
    with pytest.raises(SystemExit) as exited:
        main(_verify_args(chain))
    assert exited.value.code == 0
    assert (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()) == (thresholds, frozen, enabled)


_REPORT = (
    "import atexit, gc, sys\n"
    "atexit.register(lambda: print('GC', *gc.get_threshold(), gc.get_freeze_count() > 0, file=sys.stderr))\n"
    "from caiso_pki.__main__ import console\n"
    "sys.argv = ['caiso-pki', *sys.argv[1:]]\n"
    "console()\n"
)


@pytest.mark.parametrize("expect_valid", [True, False])
def test_console_sets_its_process_collector_and_keeps_the_exit_status(
    chain: dict[str, Path], expect_valid: bool
) -> None:
    args = _verify_args(chain)
    if not expect_valid:
        args += ["--at", "2001-01-01T00:00:00Z"]  # before every certificate of the chain was valid
    proc = subprocess.run(
        [sys.executable, "-c", _REPORT, *args], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == (0 if expect_valid else 1), proc.stderr
    line = next(line for line in proc.stderr.splitlines() if line.startswith("GC "))
    _, *thresholds, frozen = line.split()
    assert tuple(map(int, thresholds)) == GC_THRESHOLDS
    assert frozen == "True"
    assert proc.stdout.startswith("VALID" if expect_valid else "NOT VALID")


def test_the_script_and_python_m_both_run_console(chain: dict[str, Path]) -> None:
    script = Path(console_script()).read_text()
    assert "import console" in script
    proc = subprocess.run(
        [sys.executable, "-m", "caiso_pki", *_verify_args(chain), "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["valid"] is True


def test_everything_printed_reaches_a_pipe_before_the_process_ends(chain: dict[str, Path]) -> None:
    """The freeze at the end must not cost output: the whole JSON report arrives and parses."""
    run = run_cli([*_verify_args(chain), "--json"])
    assert run.returncode == 0, run.err
    report = json.loads(run.out)
    assert len(report["path"]) == 3
