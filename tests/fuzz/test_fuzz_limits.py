"""Huge and deeply nested inputs: every loader refuses or fails fast, with bounded memory.

Inputs: 40 MiB of data (over the 32 MiB MAX_INPUT_BYTES limit) as bytes and as a file, and DER with
100,000 nested SEQUENCE headers (definite and indefinite length).  Memory is checked twice: the
Python-heap peak with tracemalloc in this process, and the whole-process peak RSS of a child process
that runs every case under an address-space limit (native allocations of OpenSSL/Rust included).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import caiso_pki as io
from caiso_pki.errors import CaisoPkiError, MalformedInputError

from ._harness import time_bound

MiB = 1024 * 1024
HUGE = 40 * MiB
NESTING = 100_000


def nested_sequences(depth: int = NESTING, *, indefinite: bool = False) -> bytes:
    """``depth`` SEQUENCE headers, each (definite form) spanning exactly the rest of the input."""
    if indefinite:
        return b"\x30\x80" * depth + b"\x00\x00" * depth
    out = bytearray()
    for level in range(depth):
        out += b"\x30\x84" + (6 * (depth - 1 - level)).to_bytes(4, "big")
    return bytes(out)


def huge_der() -> bytes:
    """A SEQUENCE header claiming 40 MiB, followed by 40 MiB of zeros."""
    return b"\x30\x84" + HUGE.to_bytes(4, "big") + bytes(HUGE)


def _file_kind(data: Any) -> object:
    """file_kind answers "unknown" instead of raising for unknown input; count that as refused."""
    kind = io.file_kind(data)
    if kind == "unknown":
        raise MalformedInputError("detect_kind: unknown")
    return kind


LOADERS: dict[str, Callable[[Any], object]] = {
    "certificates": io.load_certificates,
    "csr": io.load_csr,
    "crl": io.load_crl,
    "key": io.load_private_key,
    "key-password": lambda data: io.load_private_key(data, password=b"secret"),
    "pkcs12": lambda data: io.load_pkcs12(data, password=b"secret"),
    "file_kind": _file_kind,
}


def _refused(loader: Callable[[Any], object], data: Any) -> CaisoPkiError:
    with time_bound(20), pytest.raises(CaisoPkiError) as info:
        loader(data)
    return info.value


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_huge_input_refused_before_parsing(name: str, tmp_path: Path) -> None:
    data = huge_der()
    path = tmp_path / "huge.der"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        error = _refused(LOADERS[name], data)
        assert "limit" in str(error)
        error = _refused(LOADERS[name], path)
        assert "limit" in str(error)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # One copy of the input (bytes(source)) or one bounded read of the file, plus slack.
    assert peak < 2 * HUGE + 16 * MiB, f"{name}: Python heap peak {peak / MiB:.0f} MiB"


@pytest.mark.parametrize("indefinite", [False, True], ids=["definite", "indefinite"])
@pytest.mark.parametrize("name", sorted(LOADERS))
def test_deeply_nested_der_fails_fast(name: str, indefinite: bool) -> None:
    data = nested_sequences(indefinite=indefinite)
    tracemalloc.start()
    try:
        _refused(LOADERS[name], data)
        if name != "file_kind":  # which classifies PEM by its label alone
            pem = b"-----BEGIN CERTIFICATE-----\n" + _b64(data) + b"-----END CERTIFICATE-----\n"
            _refused(LOADERS[name], pem)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 256 * MiB, f"{name}: Python heap peak {peak / MiB:.0f} MiB"


def _b64(data: bytes) -> bytes:
    import base64

    return base64.encodebytes(data)


_CHILD = textwrap.dedent(
    """
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))
    sys.path.insert(0, sys.argv[1])
    from fuzz.test_fuzz_limits import LOADERS, huge_der, nested_sequences
    from caiso_pki.errors import CaisoPkiError
    inputs = [huge_der(), nested_sequences(), nested_sequences(indefinite=True)]
    for name, loader in LOADERS.items():
        for data in inputs:
            try:
                loader(data)
            except CaisoPkiError:
                pass
            else:
                raise SystemExit(f"{name} accepted a hostile input")
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """
)


def test_hostile_inputs_bounded_process_memory() -> None:
    """Whole-process peak RSS (native allocations too) stays far below the address-space limit."""
    tests_dir = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tests_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    peak_kib = int(proc.stdout.split()[-1])
    assert peak_kib < 1024 * 1024, f"peak RSS {peak_kib / 1024:.0f} MiB"
