"""Coverage-guided fuzzing (atheris / libFuzzer) of caiso-pki's DER-facing entry points.

Run from the repository root::

    python tests/fuzz/atheris_der.py -atheris_runs=200000            # seeds a temporary corpus
    python tests/fuzz/atheris_der.py -atheris_runs=200000 corpus/     # or keep a corpus directory

The first byte of an input picks the entry point (certificate, PKCS#7, CSR, CRL, PKCS#12, private key
with and without a password, format detection); the rest is the data.  Any exception that is not a
:class:`~caiso_pki.errors.CaisoPkiError` is a crash: libFuzzer stops and writes the input to
``crash-<sha1>``.  caiso_pki and asn1crypto are instrumented for coverage (cryptography's Rust core
is not, so coverage means our Python paths and asn1crypto's).  Other libFuzzer flags pass through
(``-max_total_time=300``, ``-jobs``, ``-timeout``...).
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["caiso_pki", "asn1crypto"]):
    import caiso_pki as io
    from caiso_pki.errors import CaisoPkiError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import PASSWORD, seeds


def _certificates(data: bytes) -> object:
    certs = io.load_certificates(data)
    for cert in certs:
        cert.to_dict()
    return certs


def _csr(data: bytes) -> object:
    csr = io.load_csr(data)
    return csr.to_dict()


def _pkcs12(data: bytes) -> object:
    bundle = io.load_pkcs12(data, password=PASSWORD)
    for cert in bundle.certificates:
        cert.to_dict()
    return bundle


#: entry point per selector byte (data[0] % len), with the seed kind that feeds it
ENTRY_POINTS: list[tuple[str, str, Callable[[bytes], object]]] = [
    ("certificate", "certificate", _certificates),
    ("pkcs7", "pkcs7", _certificates),
    ("csr", "csr", _csr),
    ("crl", "crl", io.load_crl),
    ("pkcs12", "pkcs12", _pkcs12),
    ("key", "key", io.load_private_key),
    ("encrypted-key", "encrypted-key", lambda data: io.load_private_key(data, password=PASSWORD)),
    ("file_kind", "certificate", io.file_kind),
]


def test_one_input(data: bytes) -> None:
    if not data:
        return
    _name, _kind, entry = ENTRY_POINTS[data[0] % len(ENTRY_POINTS)]
    with contextlib.suppress(CaisoPkiError):  # anything else propagates: a crash for libFuzzer
        entry(data[1:])


def _seed_corpus() -> str:
    directory = Path(tempfile.mkdtemp(prefix="caiso-atheris-"))
    count = 0
    for selector, (_name, kind, _entry) in enumerate(ENTRY_POINTS):
        for seed in seeds()[kind]:
            (directory / f"seed-{count:03d}").write_bytes(bytes([selector]) + seed)
            count += 1
    return str(directory)


def main(argv: list[str]) -> None:
    args = list(argv)
    if not any(not arg.startswith("-") for arg in args[1:]):
        args.append(_seed_corpus())
    if not any(arg.startswith("-timeout=") for arg in args):
        args.append("-timeout=10")
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
