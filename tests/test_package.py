"""The package surface: lazy imports, __all__, py.typed, the console script."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import caiso_pki
from _public_api import has_any, hints, public_callables

HEAVY = [
    "pyhanko_certvalidator",
    "aiohttp",
    "click",
    "rich",
    "http.client",
    "caiso_pki.validation",
    "asn1crypto",
]


def test_import_is_light() -> None:
    code = f"import sys, caiso_pki; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_loading_a_certificate_does_not_pull_the_validation_engine(demo_pki: object, tmp_path: Path) -> None:
    from caiso_pki import testing

    assert isinstance(demo_pki, testing.DemoPki)
    path = tmp_path / "root.pem"
    path.write_text(demo_pki.root.certificate.pem)
    code = (
        "import sys, caiso_pki; c = caiso_pki.load_certificate(sys.argv[1]); c.to_dict(); "
        "print('pyhanko_certvalidator' in sys.modules, 'click' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


@pytest.mark.parametrize("name", sorted(set(caiso_pki.__all__) - {"__version__"}))
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(caiso_pki, name)
    assert value is not None
    module = importlib.import_module(caiso_pki._EXPORTS[name])
    assert getattr(module, name) is value


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError):
        caiso_pki.does_not_exist


def test_py_typed_is_shipped() -> None:
    assert (Path(caiso_pki.__file__).parent / "py.typed").is_file()


def test_console_script_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "caiso_pki", "--help"], capture_output=True, text=True, check=True
    )
    assert "demo" in out.stdout


def test_all_matches_the_export_table() -> None:
    assert set(caiso_pki.__all__) == {"__version__", *caiso_pki._EXPORTS}


def test_ci_runs_the_oldest_versions_pyproject_admits() -> None:
    """.ci/oldest.txt pins exactly the lower bounds of pyproject.toml, and .ci/run and nox use it."""
    import re
    import tomllib

    root = Path(__file__).resolve().parent.parent
    pins = dict(
        re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", line).groups()  # type: ignore[union-attr]
        for line in (root / ".ci" / "oldest.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    dependencies = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    bounds = {}
    for spec in dependencies:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)(,<[0-9.]+)?", spec)
        if match:
            bounds[match[1]] = match[2]
    for name, version in pins.items():
        assert name in bounds, name
        assert version.startswith(bounds[name]), (name, version, bounds[name])
    assert ".ci/oldest.txt" in (root / ".ci" / "run").read_text()
    assert ".ci/oldest.txt" in (root / "noxfile.py").read_text()


PUBLIC_CALLABLES = public_callables()


@pytest.mark.parametrize(("name", "function"), PUBLIC_CALLABLES, ids=[name for name, _ in PUBLIC_CALLABLES])
def test_no_public_signature_says_any(name: str, function: Any) -> None:
    """Every parameter and return annotation of the public API resolves, and none is (or holds) Any."""
    offenders = {parameter: hint for parameter, hint in hints(function).items() if has_any(hint)}
    assert not offenders, f"{name}: {offenders}"


def test_the_type_checking_view_lists_every_export() -> None:
    """__init__.pyi is the one table: its imports are __all__, and each name is its module's object."""
    import ast

    stub = ast.parse((Path(caiso_pki.__file__).parent / "__init__.pyi").read_text("utf-8"))
    imported = {
        alias.asname or alias.name: node.module
        for node in stub.body
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("caiso_pki")
        for alias in node.names
    }
    assert set(imported) == set(caiso_pki.__all__) - {"__version__"}
    for name, module in imported.items():
        assert getattr(caiso_pki, name) is getattr(importlib.import_module(module or ""), name), name
