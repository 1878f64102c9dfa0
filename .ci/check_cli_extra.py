"""After ``pip install '.[cli]'`` in a fresh venv, every command ``caiso-pki --help`` lists works.

For each command (groups walked to their subcommands) it runs ``--help`` and then the ``Example:`` the
help documents, in a workspace prepared the way the examples say: ``caiso-pki demo --dir demo-files``
(itself the demo's example) supplies the certificates and keys, plus a profile file, password files and,
for ``connect``, ``openssl s_server -www`` on 127.0.0.1 with a demo-issued server certificate (its port
replaces the example's 8443; the fingerprint ``3f2a9c`` of the store examples becomes the stored
root's).  Only the ``cli`` extra is installed: a command that needs anything else fails here.

Run it with ``python .ci/check_cli_extra.py`` (it prints one line per command and exits non-zero on
any failure).  ``--venv DIR`` reuses a venv instead of a temporary one.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The order the examples run in: each may use what an earlier one made (the store, its root).
ORDER = [
    "demo",
    "inspect",
    "csr new",
    "csr check",
    "csr show",
    "csr renew",
    "store init",
    "store add",
    "store list",
    "store edit",
    "store expiring",
    "store export",
    "store diff",
    "verify",
    "lint",
    "profile list",
    "profile show",
    "profile validate",
    "audit",
    "exporter",
    "pkcs12 build",
    "connect",
    "store remove",
]


def run(argv: list[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, timeout=600, **kwargs)  # type: ignore[call-overload,no-any-return]


def commands(cli: str, cwd: Path) -> list[str]:
    """Every leaf command, from the --help listings themselves."""
    found = []

    def listed(help_text: str) -> list[str]:
        section = help_text.split("Commands:", 1)[1] if "Commands:" in help_text else ""
        return [line.split()[0] for line in section.splitlines() if line.startswith("  ") and line.split()]

    top = run([cli, "--help"], cwd)
    assert top.returncode == 0, top.stderr
    for name in listed(top.stdout):
        sub = run([cli, name, "--help"], cwd)
        subs = listed(sub.stdout)
        found.extend(f"{name} {leaf}" for leaf in subs) if subs else found.append(name)
    return found


def example(help_text: str) -> list[str]:
    """The command line of the help's ``Example:`` (the first of ``Examples:``; continuation lines joined)."""
    lines = help_text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() in ("Example:", "Examples:"))
    parts = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        parts.append(line.strip().removesuffix("\\").strip())
        if not line.rstrip().endswith("\\"):
            break
    return shlex.split(" ".join(parts))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_certificate(work: Path) -> None:
    """A localhost server certificate issued by the demo issuing CA (its key is in demo-files/pki)."""
    pki = work / "demo-files" / "pki"
    ext = work / "server.ext"
    ext.write_text(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n"
    )
    steps = [
        [
            "openssl",
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
        [
            "openssl",
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            str(pki / "caiso-issuing.pem"),
            "-CAkey",
            str(pki / "caiso-issuing.key"),
            "-CAcreateserial",
            "-days",
            "30",
            "-sha256",
            "-extfile",
            str(ext),
            "-out",
            "server.pem",
        ],
    ]
    for step in steps:
        done = run(step, work)
        assert done.returncode == 0, done.stderr


def prepare(cli: str, work: Path) -> None:
    (work / "my-profile.toml").write_text('extends = "caiso-demo"\n')
    (work / "pfx-password.txt").write_text("example-pfx-password\n")
    (work / "new-password.txt").write_text("example-new-key-password\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, help="reuse this venv (default: a new temporary one)")
    options = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="caiso-pki-cli-extra-"))
    venv = options.venv or scratch / "venv"
    failures = []
    server: subprocess.Popen[bytes] | None = None
    try:
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            install = subprocess.run(
                [str(venv / "bin" / "pip"), "install", "-q", f"{ROOT}[cli]"],
                capture_output=True,
                text=True,
                check=False,
            )
            if install.returncode != 0:
                print(install.stdout + install.stderr)
                return 1
        cli = str(venv / "bin" / "caiso-pki")
        work = scratch / "work"
        work.mkdir()
        prepare(cli, work)
        listed = commands(cli, work)
        missing = sorted(set(listed) - set(ORDER))
        if missing:
            failures.append(f"commands without a place in ORDER: {missing}")
        for name in [name for name in ORDER if name in listed] + missing:
            helped = run([cli, *name.split(), "--help"], work)
            if helped.returncode != 0:
                failures.append(f"{name} --help: status {helped.returncode}: {helped.stderr.strip()}")
                print(f"FAIL  {name} --help")
                continue
            try:
                argv = example(helped.stdout)
            except StopIteration:
                failures.append(f"{name}: its --help documents no Example")
                print(f"FAIL  {name}: no Example")
                continue
            if name == "connect":
                server_certificate(work)
                port = free_port()
                server = subprocess.Popen(
                    [
                        "openssl",
                        "s_server",
                        "-accept",
                        f"127.0.0.1:{port}",
                        "-cert",
                        "server.pem",
                        "-key",
                        "server.key",
                        "-cert_chain",
                        "demo-files/pki/caiso-chain.pem",
                        "-www",
                    ],
                    cwd=work,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
                assert server.stdout is not None
                for line in server.stdout:
                    if b"ACCEPT" in line:
                        break
                argv = [part.replace("8443", str(port)) for part in argv]
            if "3f2a9c" in argv:
                root = run([cli, "inspect", "--json", "demo-files/pki/caiso-root.pem"], work)
                fingerprint = re.search(r'"fingerprint_sha256": "([0-9a-f]{12})', root.stdout)
                assert fingerprint is not None, root.stdout
                argv = [fingerprint.group(1) if part == "3f2a9c" else part for part in argv]
            assert argv[0] == "caiso-pki", argv
            done = run([cli, *argv[1:]], work, stdin=subprocess.DEVNULL)
            ok = done.returncode == 0 and "Traceback" not in done.stderr
            print(f"{'ok  ' if ok else 'FAIL'}  {name}: {shlex.join(argv)} -> {done.returncode}")
            if not ok:
                failures.append(
                    f"{name}: {shlex.join(argv)} -> {done.returncode}: {(done.stdout + done.stderr)[-800:]}"
                )
    finally:
        if server is not None:
            server.kill()
            server.wait(timeout=10)
            if server.stdout is not None:
                server.stdout.close()
        if options.venv is None:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            shutil.rmtree(scratch / "work", ignore_errors=True)
    for failure in failures:
        print(failure)
    print(f"{len(ORDER) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    os.environ.pop("NO_COLOR", None)
    raise SystemExit(main())
