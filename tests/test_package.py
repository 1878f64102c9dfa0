"""The package surface: lazy imports, __all__, py.typed, the console script."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import caiso_pki

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


def _type_checking_names(module: Any) -> dict[str, Any]:
    """What a module imports under ``if TYPE_CHECKING:``, imported for real (to resolve annotations)."""
    import ast

    names: dict[str, Any] = {}
    source = Path(module.__file__).read_text("utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for statement in node.body:  # imports, and aliases defined from them
                code = compile(ast.Module(body=[statement], type_ignores=[]), module.__file__, "exec")
                try:
                    exec(code, {**vars(module), **names}, names)
                except (ImportError, NameError):
                    names.update(_aliases_from(statement))
    return names


def _aliases_from(statement: Any) -> dict[str, Any]:
    """Names another caiso_pki module defines for type checkers only (``PrivateKey`` in keys.py)."""
    import ast

    found: dict[str, Any] = {}
    if isinstance(statement, ast.ImportFrom) and (statement.module or "").startswith("caiso_pki"):
        other = _type_checking_names(importlib.import_module(statement.module or ""))
        for alias in statement.names:
            if alias.name in other:
                found[alias.asname or alias.name] = other[alias.name]
    return found  # anything else: an optional dependency (matplotlib ...) that is not installed


def _public_callables() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for name in sorted(set(caiso_pki.__all__) - {"__version__"}):
        obj = getattr(caiso_pki, name)
        if isinstance(obj, type):
            for attribute, raw in vars(obj).items():
                if attribute.startswith("_") and attribute != "__init__":
                    continue
                member = getattr(raw, "__func__", raw)
                member = member.fget if isinstance(member, property) else member
                if callable(member) and hasattr(member, "__code__"):
                    found.append((f"{name}.{attribute}", member))
        elif callable(obj) and hasattr(obj, "__code__"):
            found.append((name, obj))
    return found


def _resolve_string_aliases(namespace: dict[str, Any]) -> None:
    """caiso_pki.types spells aliases that name models as strings (the models are imported for type
    checkers only); evaluate them, in dependency order, the way a type checker reads them."""
    import caiso_pki.types

    own = {**vars(caiso_pki.types), **_type_checking_names(caiso_pki.types)}
    pending = {name for name in caiso_pki.types.__all__ if isinstance(own.get(name), str)}
    pending -= {"JsonValue", "JsonDict"}  # recursive; typing resolves them itself
    while pending:
        done = set()
        for name in pending:
            try:
                own[name] = eval(own[name], own)
            except TypeError:
                continue  # refers to an alias still a string: next round
            done.add(name)
        assert done, f"aliases that never resolve: {sorted(pending)}"
        pending -= done
    for name in caiso_pki.types.__all__:
        if namespace.get(name) is vars(caiso_pki.types).get(name):
            namespace[name] = own[name]


def _has_any(annotation: Any) -> bool:
    import typing

    if annotation is typing.Any:
        return True
    return any(_has_any(argument) for argument in typing.get_args(annotation))


PUBLIC_CALLABLES = _public_callables()


@pytest.mark.parametrize(("name", "function"), PUBLIC_CALLABLES, ids=[name for name, _ in PUBLIC_CALLABLES])
def test_no_public_signature_says_any(name: str, function: Any) -> None:
    """Every parameter and return annotation of the public API resolves, and none is (or holds) Any."""
    import inspect
    import typing

    import caiso_pki.types

    function = inspect.unwrap(function)  # contextmanager, lru_cache ...
    module = inspect.getmodule(function)
    namespace = {
        **vars(caiso_pki.types),
        **_type_checking_names(caiso_pki.types),
        **(_type_checking_names(module) if module is not None else {}),
        **function.__globals__,
    }
    _resolve_string_aliases(namespace)
    hints = typing.get_type_hints(function, globalns=namespace)
    offenders = {parameter: hint for parameter, hint in hints.items() if _has_any(hint)}
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
