"""The public surface of caiso_pki as tests see it: its callables and their annotations, resolved.

Shared by tests/test_package.py (no ``Any`` in a signature) and tests/test_api_rules.py (the API rules).
Annotations are strings (``from __future__ import annotations``) and many name types imported only
under ``TYPE_CHECKING``; :func:`hints` imports those for real and resolves them the way a type checker
reads them.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from pathlib import Path
from typing import Any

import caiso_pki


def type_checking_names(module: Any) -> dict[str, Any]:
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
        other = type_checking_names(importlib.import_module(statement.module or ""))
        for alias in statement.names:
            if alias.name in other:
                found[alias.asname or alias.name] = other[alias.name]
    return found  # anything else: an optional dependency (matplotlib ...) that is not installed


def public_callables() -> list[tuple[str, Any]]:
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


def resolve_string_aliases(namespace: dict[str, Any]) -> None:
    """caiso_pki.types spells aliases that name models as strings (the models are imported for type
    checkers only); evaluate them, in dependency order, the way a type checker reads them."""
    import caiso_pki.types

    own = {**vars(caiso_pki.types), **type_checking_names(caiso_pki.types)}
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


def has_any(annotation: Any) -> bool:
    import typing

    if annotation is typing.Any:
        return True
    return any(has_any(argument) for argument in typing.get_args(annotation))


def hints(function: Any) -> dict[str, Any]:
    """``function``'s annotations, resolved (``return`` included), with caiso_pki's aliases expanded."""
    import caiso_pki.types

    function = inspect.unwrap(function)  # contextmanager, lru_cache ...
    module = inspect.getmodule(function)
    namespace = {
        **vars(caiso_pki.types),
        **type_checking_names(caiso_pki.types),
        **(type_checking_names(module) if module is not None else {}),
        **function.__globals__,
    }
    resolve_string_aliases(namespace)
    return typing.get_type_hints(function, globalns=namespace)


def field_hints(cls: type) -> dict[str, Any]:
    """An attrs class's field annotations, resolved like :func:`hints`."""
    import caiso_pki.types

    module = inspect.getmodule(cls)
    namespace = {
        **vars(caiso_pki.types),
        **type_checking_names(caiso_pki.types),
        **(type_checking_names(module) if module is not None else {}),
        **(vars(module) if module is not None else {}),
    }
    resolve_string_aliases(namespace)
    found: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__ != "builtins":
            found.update(typing.get_type_hints(klass, globalns=namespace, localns={}))
    return found
