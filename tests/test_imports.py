"""The import graph of ``caiso_pki``: no cycle anywhere, lazy imports included.

Every ``import`` and ``from ... import`` in ``src/caiso_pki`` counts, at module level or inside a
function, except those under ``if TYPE_CHECKING:`` (types only, never run) and those inside the display
hooks (``_repr_html_``, ``__rich__``, ``_repr_pretty_``), which render a value with the display layer on
request and are the one sanctioned way up the layers.  A cycle is a strongly connected component of
more than one module; a deliberately added one makes :func:`test_the_walker_sees_a_planted_cycle` see it.
A package's lazily re-exported names (its ``__init__.pyi`` stub, or an ``_EXPORTS`` table) count as
imports of the modules that define them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "caiso_pki"
DISPLAY_HOOKS = frozenset({"_repr_html_", "__rich__", "_repr_pretty_", "_repr_markdown_"})


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _exports(tree: ast.Module) -> dict[str, str]:
    """A package's ``_EXPORTS`` table (name -> defining module), read from its source or its stub."""
    stubbed = {
        alias.asname or alias.name: node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE)
        for alias in node.names
    }
    if stubbed:
        return {name: module or "" for name, module in stubbed.items()}
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == "_EXPORTS" and isinstance(node.value, ast.Dict):
            return {
                key.value: value.value
                for key, value in zip(node.value.keys, node.value.values, strict=True)
                if isinstance(key, ast.Constant) and isinstance(value, ast.Constant)
            }
    return {}


class _Imports(ast.NodeVisitor):
    def __init__(
        self, module: str, is_package: bool, known: set[str], exports: dict[str, dict[str, str]]
    ) -> None:
        self.module = module
        self.is_package = is_package
        self.known = known
        self.exports = exports
        self.found: set[str] = set()

    def _add(self, name: str) -> None:
        # the longest known module the name refers to (``caiso_pki.validation.engine`` or a package)
        while name and name not in self.known:
            name = name.rpartition(".")[0]
        if name and name != self.module:
            self.found.add(name)

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name in DISPLAY_HOOKS:
            return
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.startswith(PACKAGE):
                self._add(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        target = _resolve(self.module, node, self.is_package)
        if not target.startswith(PACKAGE):
            return
        for alias in node.names:
            full = f"{target}.{alias.name}"
            # a name a package re-exports lazily (its _EXPORTS table) comes from the defining module
            self._add(full if full in self.known else self.exports.get(target, {}).get(alias.name, target))


def import_graph(root: Path = SRC) -> dict[str, set[str]]:
    """module -> the caiso_pki modules it imports (lazy imports included)."""
    files = {path: _module_name(path, root) for path in (root / PACKAGE).rglob("*.py")}
    known = set(files.values())
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in files}
    exports = {
        files[path]: _exports(ast.parse(stub.read_text(encoding="utf-8")) if stub.exists() else tree)
        for path, tree in trees.items()
        if path.name == "__init__.py"
        for stub in [path.with_suffix(".pyi")]
    }
    graph: dict[str, set[str]] = {}
    for path, module in files.items():
        visitor = _Imports(module, path.name == "__init__.py", known, exports)
        visitor.visit(trees[path])
        graph[module] = visitor.found
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for successor in graph.get(node, ()):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_cycle_anywhere() -> None:
    found = cycles(import_graph())
    assert not found, found


def test_the_walker_sees_a_planted_cycle(tmp_path: Path) -> None:
    """A cycle added on purpose (validation.names importing validation.pkix, lazily) is found."""
    package = tmp_path / PACKAGE
    for path in (SRC / PACKAGE).rglob("*.py"):
        target = package / path.relative_to(SRC / PACKAGE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    names = package / "validation" / "names.py"
    names.write_text(
        names.read_text(encoding="utf-8")
        + "\n\ndef _planted() -> None:\n    from caiso_pki.validation import pkix\n",
        encoding="utf-8",
    )
    found = [c for c in cycles(import_graph(tmp_path)) if f"{PACKAGE}.validation.names" in c]
    assert found and f"{PACKAGE}.validation.pkix" in found[0], found


@pytest.mark.parametrize("module", ["caiso_pki.validation.engine", "caiso_pki.validation.validator"])
def test_the_walker_reads_lazy_imports(module: str) -> None:
    graph = import_graph()
    assert graph[module], module
