"""What the synchronous path imports: neither asyncio nor pyhanko-certvalidator, unless there is I/O.

Validation without revocation data (no CRL or OCSP response given, no fetching) runs without an event
loop, so a script or ``caiso-pki verify`` pays for neither; with CRLs to judge, pyhanko-certvalidator
is imported, and asyncio with it (pyhanko imports it at import time).  Each case runs in a fresh
interpreter so nothing another test imported counts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from caiso_pki import testing


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pki = testing.DemoPki.create()
    folder = tmp_path_factory.mktemp("startup")
    leaf = pki.issuing_ca.issue("rig", "rig-0042.example.com")
    paths = {
        "leaf": folder / "leaf.pem",
        "chain": folder / "chain.pem",
        "root": folder / "root.pem",
        "crl": folder / "issuing.crl",
    }
    paths["leaf"].write_text(leaf.certificate.pem)
    paths["chain"].write_text(pki.issuing_ca.certificate.pem)
    paths["root"].write_text(pki.root.certificate.pem)
    paths["crl"].write_bytes(pki.issuing_ca.crl())
    return paths


_REPORT = (
    "import sys, atexit\n"
    "atexit.register(lambda: print('LOADED', 'asyncio' in sys.modules, "
    "'pyhanko_certvalidator' in sys.modules, file=sys.stderr))\n"
)

CASES = {
    "validate_chain": "import caiso_pki as c; assert c.validate_chain(LEAF, CHAIN, trust=ROOT).valid",
    "Validator.validate": (
        "import caiso_pki as c; v = c.Validator(trust=ROOT)\n"
        "for _ in range(3): assert v.validate(LEAF, CHAIN).valid"
    ),
    "validate_many": "import caiso_pki as c; assert all(c.validate_many([LEAF, LEAF], CHAIN, trust=ROOT))",
    "verify": "from caiso_pki.cli import main; main(['verify', LEAF, '--chain', CHAIN, '--trust', ROOT])",
}


def _loaded(code: str, files: dict[str, Path]) -> tuple[bool, bool]:
    source = _REPORT + code
    for name in ("leaf", "chain", "root", "crl"):
        source = source.replace(name.upper(), repr(str(files[name])))
    proc = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    line = next(line for line in proc.stderr.splitlines() if line.startswith("LOADED"))
    _, asyncio_loaded, pyhanko_loaded = line.split()
    return asyncio_loaded == "True", pyhanko_loaded == "True"


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_synchronous_path_imports_neither_asyncio_nor_pyhanko(name: str, files: dict[str, Path]) -> None:
    assert _loaded(CASES[name], files) == (False, False)


def test_crls_to_judge_bring_pyhanko_and_with_it_asyncio(files: dict[str, Path]) -> None:
    code = "import caiso_pki as c; assert c.validate_chain(LEAF, CHAIN, trust=ROOT, crls=[CRL]).valid"
    assert _loaded(code, files) == (True, True)
