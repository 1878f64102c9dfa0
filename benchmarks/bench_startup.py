"""Benchmark: ``caiso-pki verify`` of a three-certificate chain, end to end, against Python importing
``cryptography.x509`` (target: at most 2.0x).

Both are fresh processes of the same interpreter with their bytecode cached (``compileall`` first, and
``PYTHONDONTWRITEBYTECODE`` removed from the children's environment), run interleaved so a change in
the machine's load touches both.  The figures are the minimum and the median wall time of each, and
of their CPU time (user + system of the child), which a loaded machine stretches less.

The script runs :func:`caiso_pki.__main__.console`, which raises the cyclic collector's thresholds and
freezes the heap when the command returns (its process only); the reference runs with Python's
defaults, as any ``python -c`` does.

``verify`` reads the demo chain from files written once (``DemoPki.write``), validates with revocation
off by default (soft-fail, no data given) and prints its text report, as a user's shell would.  The
reference is what any tool that reads a certificate with ``cryptography`` pays before doing anything.

The floor, measured in the same loop: importing ``attrs``, ``asn1crypto.x509`` and ``click``
beside ``cryptography.x509``, which every run of the command needs whatever caiso-pki does.
"""

from __future__ import annotations

import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 25
SRC = Path(__file__).resolve().parent.parent / "src"


def _child_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["NO_COLOR"] = "1"
    return env


def _run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _script() -> str:
    found = shutil.which("caiso-pki", path=str(Path(sys.executable).parent)) or shutil.which("caiso-pki")
    if found is None:
        raise SystemExit("bench_startup: the caiso-pki command is not installed (pip install -e '.[cli]')")
    return found


def _demo(folder: Path) -> list[str]:
    from caiso_pki import testing

    pki = testing.DemoPki.create()
    issued = pki.issuing_ca.issue("rig", "rig-0001.example.com")
    leaf = folder / "rig.pem"
    leaf.write_text(issued.certificate.pem)
    (folder / "issuing.pem").write_text(pki.issuing_ca.certificate.pem)
    (folder / "root.pem").write_text(pki.root.certificate.pem)
    return ["verify", str(leaf), "--chain", str(folder / "issuing.pem"), "--trust", str(folder / "root.pem")]


def run() -> dict[str, float]:
    """Wall and CPU milliseconds of each, and the ratios."""
    env = _child_env()
    compileall.compile_dir(str(SRC), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        verify = [_script(), *_demo(Path(tmp))]
        check = subprocess.run(verify, env=env, capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise SystemExit(f"bench_startup: verify failed: {check.stdout}{check.stderr}")
        reference = [sys.executable, "-c", "import cryptography.x509"]
        floor = [sys.executable, "-c", "import cryptography.x509, attrs, asn1crypto.x509, click"]
        commands = {"verify": verify, "reference": reference, "floor": floor}
        for command in commands.values():  # warm the page cache and the bytecode of every module
            _run(command, env)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(RUNS):
            for name, command in commands.items():
                wall, cpu = _run(command, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
    ms = 1e3
    return {
        "caiso-pki verify, wall (ms, min)": min(walls["verify"]) * ms,
        "caiso-pki verify, wall (ms, median)": statistics.median(walls["verify"]) * ms,
        "python -c 'import cryptography.x509', wall (ms, min)": min(walls["reference"]) * ms,
        "python -c 'import cryptography.x509', wall (ms, median)": statistics.median(walls["reference"]) * ms,
        "ratio verify / import cryptography.x509, wall min (<= 2.0)": min(walls["verify"])
        / min(walls["reference"]),
        "ratio verify / import cryptography.x509, wall median": statistics.median(walls["verify"])
        / statistics.median(walls["reference"]),
        "ratio verify / import cryptography.x509, CPU min": min(cpus["verify"]) / min(cpus["reference"]),
        "floor: + attrs, asn1crypto.x509, click, wall (ms, min)": min(walls["floor"]) * ms,
        "ratio floor / import cryptography.x509, wall min": min(walls["floor"]) / min(walls["reference"]),
    }


if __name__ == "__main__":
    for label, value in run().items():
        print(f"{label:64s} {value:10.2f}")
