"""Developer sessions: tests, tests_oldest, lint, typecheck, docs, bench, fuzz."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
PKITS = os.environ.get("CAISO_PKI_PKITS_DIR", str(ROOT.parent / "shared" / "conformance" / "pkits"))


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (PKITS data from $CAISO_PKI_PKITS_DIR or ../shared/conformance/pkits)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", "-n", "auto", *session.posargs, env={"CAISO_PKI_PKITS_DIR": PKITS})


@nox.session
def tests_oldest(session: nox.Session) -> None:
    """The test suite against the oldest supported dependency versions (.ci/oldest.txt)."""
    session.install("-e", ".[test]", "-r", ".ci/oldest.txt")
    session.run("python", "-m", "pytest", "-n", "auto", *session.posargs, env={"CAISO_PKI_PKITS_DIR": PKITS})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.install("-e", ".[cli,lint]")
    session.run("mypy", "--strict", "src")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation with --strict (executes the example notebook and doctests)."""
    session.install("-e", ".[docs,test]")
    session.run("python", "-m", "pytest", "--doctest-modules", "src/caiso_pki", "tests/test_docs.py", "-q")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site")
    if shutil.which("chromium") or shutil.which("chromium-browser") or os.environ.get("CHROMIUM"):
        session.run("python", "docs/screenshots.py", "--site", "site")
    else:
        session.log("chromium not found: skipping docs/screenshots.py (apt-get install chromium)")


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks and print ratios against the libraries users would otherwise call."""
    session.install("-e", ".[test]")
    session.run("python", "benchmarks/run.py", *session.posargs, env={"CAISO_PKI_PKITS_DIR": PKITS})


@nox.session
def fuzz(session: nox.Session) -> None:
    """Long property-based and coverage-guided fuzzing of the parsers."""
    session.install("-e", ".[test]", "atheris")
    session.run(
        "python",
        "-m",
        "pytest",
        "tests/fuzz",
        "-q",
        "--hypothesis-profile=long",
        *session.posargs,
        env={"CAISO_PKI_FUZZ": "long"},
    )
    session.run("python", "tests/fuzz/atheris_der.py", "-atheris_runs=200000")
