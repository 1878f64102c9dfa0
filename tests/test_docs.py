"""Every code example in the documentation runs.

* Each ```` ```python ```` block of ``docs/**/*.md`` runs; the blocks of one page run in order in one
  namespace (later blocks use what earlier ones made), in a fresh temporary directory that first gets
  the demo files of the *follow-along* block of ``docs/guides/index.md`` (``root.pem``,
  ``issuing.pem``, ``rig.pem``, ``rig.key``, ``my-caiso.toml`` ...), the same files a reader makes by
  running that block.  A block preceded by ``<!-- no-test -->`` is skipped: only for code that needs
  the network or a user's real files.
* ``>>>`` examples in the package's docstrings run through :mod:`doctest` (the nox ``docs`` session
  also runs ``pytest --doctest-modules src/caiso_pki``).
"""

from __future__ import annotations

import doctest
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import caiso_pki

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SETUP_PAGE = DOCS / "guides" / "index.md"

_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)
_NO_TEST = re.compile(r"<!--\s*no-test\s*-->\s*$")


def python_blocks(text: str) -> Iterator[tuple[int, str, bool]]:
    """(line number, code, skipped) for every python block of a markdown text."""
    for match in _FENCE.finditer(text):
        if match["lang"] not in ("python", "py"):
            continue
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n ")
        skipped = bool(_NO_TEST.search(before))
        indent = len(match["indent"])
        body = "\n".join(row[indent:] for row in match["body"].splitlines())
        yield line, body, skipped


def setup_code() -> str:
    """The follow-along block every page's examples may rely on."""
    blocks = [code for _, code, skipped in python_blocks(SETUP_PAGE.read_text("utf-8")) if not skipped]
    assert blocks, f"{SETUP_PAGE} has no python block to set up the demo files"
    return blocks[0]


PAGES = sorted(DOCS.rglob("*.md"))
#: Pages with at least one runnable python example (the others have nothing to run).
EXAMPLE_PAGES = [
    page for page in PAGES if any(not skipped for _, _, skipped in python_blocks(page.read_text("utf-8")))
]


def test_the_guides_have_examples() -> None:
    assert len(EXAMPLE_PAGES) >= 8, [str(page.relative_to(DOCS)) for page in EXAMPLE_PAGES]


@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=[str(p.relative_to(DOCS)) for p in EXAMPLE_PAGES])
def test_markdown_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = list(python_blocks(page.read_text("utf-8")))
    runnable = [(line, code) for line, code, skipped in blocks if not skipped]
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    exec(compile(setup_code(), f"{SETUP_PAGE}:setup", "exec"), namespace)
    for line, code in runnable:
        try:
            exec(compile(code, f"{page}:{line}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"{page.relative_to(ROOT)} line {line}: example failed: {exc!r}") from exc


def test_block_extraction_honours_no_test_marker() -> None:
    text = (
        "intro\n\n<!-- no-test -->\n```python\nraise SystemExit\n```\n\n"
        "```python\nx = 1\n```\n```bash\nls\n```\n"
    )
    blocks = list(python_blocks(text))
    assert [(code, skipped) for _, code, skipped in blocks] == [("raise SystemExit", True), ("x = 1", False)]


def test_every_page_is_in_the_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text("utf-8")
    for page in PAGES:
        assert str(page.relative_to(DOCS)) in nav, f"{page} is not in mkdocs.yml nav"


def _modules_with_examples() -> list[str]:
    """Modules of the package whose source holds ``>>>`` examples (found without importing them)."""
    package = Path(caiso_pki.__file__).parent
    names = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "__main__.py" or ">>>" not in path.read_text("utf-8"):
            continue
        parts = path.relative_to(package.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.parametrize("module_name", _modules_with_examples())
def test_docstring_examples_run(module_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = [t for t in finder.find(module, module_name) if t.examples]
    if not tests:
        pytest.skip(f"{module_name} has no >>> examples")
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, (
        f"{module_name}: {result.failed} of {result.attempted} docstring examples failed"
    )


def test_api_reference_covers_every_public_module() -> None:
    """Each module that defines a public name has a ``::: module`` directive in docs/api/."""
    reference = "\n".join(p.read_text("utf-8") for p in (DOCS / "api").glob("*.md"))
    modules = set(caiso_pki._EXPORTS.values()) | {"caiso_pki.display"}
    missing = sorted(
        m for m in modules if f"::: {m}\n" not in reference and not reference.endswith(f"::: {m}")
    )
    assert not missing, f"modules without an API reference page: {missing}"


def test_the_failure_code_table_lists_every_code() -> None:
    """docs/api/validation.md shows the table generated from CODES (every code, its meaning, its source)."""
    import sys

    sys.path.insert(0, str(DOCS))
    import gen_cli

    from caiso_pki.validation import CODES

    page = (DOCS / "api" / "validation.md").read_text("utf-8")
    assert gen_cli.CODES_MARKER in page
    table = gen_cli.render(page)
    for code, info in CODES.items():
        assert f"| `{code}` | {info.meaning} | {info.source} |" in table


def test_the_api_reference_documents_no_private_module() -> None:
    """No ``::: caiso_pki._x`` (or ``caiso_pki.x._y``) directive: no reader is sent to a private module."""
    for page in (DOCS / "api").glob("*.md"):
        for line in page.read_text("utf-8").splitlines():
            if line.startswith(":::"):
                target = line.split()[1]
                assert not any(part.startswith("_") for part in target.split(".")), (page.name, target)
