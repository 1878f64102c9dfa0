"""Shared fixtures, built with the public test PKI (``caiso_pki.testing``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from caiso_pki import testing

REPO_ROOT = Path(__file__).resolve().parents[1]


def pkits_dir() -> Path:
    """Where the NIST PKITS data lives: $CAISO_PKI_PKITS_DIR or ../shared/conformance/pkits."""
    default = REPO_ROOT.parent / "shared" / "conformance" / "pkits"
    return Path(os.environ.get("CAISO_PKI_PKITS_DIR", default))


@pytest.fixture(scope="session")
def pkits() -> Path:
    """The PKITS directory; a missing directory fails the test (the suite requires the data)."""
    path = pkits_dir()
    if not (path / "pkits.json").is_file():
        pytest.fail(f"NIST PKITS data not found at {path}; set CAISO_PKI_PKITS_DIR")
    return path


@pytest.fixture(scope="session")
def demo_pki() -> testing.DemoPki:
    """One demo PKI for the whole session (read-only use: do not revoke in it)."""
    return testing.DemoPki.create()


@pytest.fixture
def fresh_pki() -> testing.DemoPki:
    """A demo PKI of the test's own, safe to revoke in."""
    return testing.DemoPki.create()


@pytest.fixture(scope="session")
def openssl_bin() -> str:
    """Path of the openssl command line tool (required for interop tests)."""
    path = shutil.which("openssl")
    if path is None:
        pytest.fail("the openssl command line tool is required for the interop tests")
    return path
