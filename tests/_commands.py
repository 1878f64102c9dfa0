"""The commands of ``caiso-pki``, walked from :data:`caiso_pki.cli.COMMANDS`, and runs built from them.

Shared by the robustness test and the help test: every leaf command (groups walked to their
subcommands), which of its parameters name files or directories (*slots*), sound material for the
required parameters, and :func:`build_argv`, which puts one value in one slot and sound values
everywhere else.  A command added to ``COMMANDS`` is picked up without editing anything here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import attrs
import click

from caiso_pki import build_csr, generate_private_key, save_private_key, testing
from caiso_pki.cli import main
from caiso_pki.cli._common import OutputFile, PathParam
from caiso_pki.pkcs12 import export_pkcs12
from caiso_pki.truststore import TrustStore

# -- the commands, from COMMANDS -----------------------------------------------------------------


@attrs.frozen
class Leaf:
    """A runnable command: its path (``("store", "add")``), the command and its group's parameters."""

    path: tuple[str, ...]
    command: click.Command
    group_params: tuple[click.Parameter, ...] = ()

    @property
    def name(self) -> str:
        return " ".join(self.path)

    def params(self) -> Iterator[tuple[click.Parameter, bool]]:
        """Every parameter with whether it belongs to the group (``store --store``)."""
        yield from ((param, True) for param in self.group_params)
        yield from ((param, False) for param in self.command.params)


def leaves() -> list[Leaf]:
    ctx = click.Context(main, info_name="caiso-pki")
    found = []
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            sub_ctx = click.Context(command, info_name=name, parent=ctx)
            for sub in command.list_commands(sub_ctx):
                subcommand = command.get_command(sub_ctx, sub)
                assert subcommand is not None
                found.append(Leaf((name, sub), subcommand, tuple(command.params)))
        else:
            found.append(Leaf((name,), command))
    return found


LEAVES = leaves()
#: Parameters holding text that is not a file, whatever their type says.
NOT_FILES = frozenset({"subject", "url", "fingerprints", "server_name", "password_env"})


def is_slot(param: click.Parameter) -> bool:
    """Whether ``param`` names a file or directory (and so gets the hostile inputs)."""
    if isinstance(param.type, OutputFile):
        return False  # outputs get fresh paths in the run's directory, checked for leftovers
    if isinstance(param.type, (PathParam, click.Path)):
        return True
    return param.required and param.type is click.STRING and param.name not in NOT_FILES


def slots() -> list[tuple[Leaf, str, bool]]:
    return [
        (leaf, param.name or "", in_group)
        for leaf in LEAVES
        for param, in_group in leaf.params()
        if is_slot(param) and param.name
    ]


SLOTS = slots()


def slot_names(leaf: Leaf) -> list[str]:
    return [param.name or "" for param, _ in leaf.params() if is_slot(param)]


# -- sound material --------------------------------------------------------------------------------


@attrs.frozen
class Material:
    """Sound files the required parameters get, so a run reaches the slot under test."""

    root: Path
    cert: Path
    leaf: Path
    leaf_key: Path
    roots: Path
    csr: Path
    key: Path
    p12: Path
    profile: Path
    certs: Path
    store: Path


def make_material(d: Path) -> Material:
    """Sound files in directory ``d``: a RIG leaf and chain, roots, a CSR, a key, a PFX, a profile, a
    folder of certificates and a trust store."""
    pki = testing.DemoPki.create()
    issued = pki.issuing_ca.issue("rig", "rig-0001.example.com")
    (d / "cert.pem").write_text(issued.pem_bundle())
    (d / "leaf.pem").write_text(issued.certificate.pem)
    (d / "leaf.key").write_bytes(issued.key_pem())
    (d / "roots.pem").write_text("".join(cert.pem for cert in pki.trust_anchors))
    key = generate_private_key("ec-p256")
    save_private_key(key, d / "key.pem")
    csr = build_csr(key, "CN=rig-0001.example.com,O=Example,C=US", dns_names=["rig-0001.example.com"])
    (d / "req.csr").write_text(csr.pem)
    export_pkcs12(
        issued.key, issued.certificate, chain=issued.chain, password=PFX_PASSWORD, path=d / "id.p12"
    )
    (d / "profile.toml").write_text('extends = "caiso-demo"\n')
    (d / "certs").mkdir()
    (d / "certs" / "rig.pem").write_text(issued.pem_bundle())
    TrustStore.init(d / "store").add_all(pki.trust_anchors).save()
    return Material(
        root=d,
        cert=d / "cert.pem",
        leaf=d / "leaf.pem",
        leaf_key=d / "leaf.key",
        roots=d / "roots.pem",
        csr=d / "req.csr",
        key=d / "key.pem",
        p12=d / "id.p12",
        profile=d / "profile.toml",
        certs=d / "certs",
        store=d / "store",
    )


def good_value(leaf: Leaf, name: str, m: Material, slot: str = "") -> str:
    """A sound value for a required parameter that is not the slot under test."""
    chosen = FOR_SLOT.get((leaf.path, slot), {}).get(name)
    if chosen is not None:
        return os.fspath(getattr(m, chosen))
    per_command = {
        ("csr", "check", "file"): m.csr,
        ("csr", "show", "file"): m.csr,
        ("csr", "check", "profile_name"): "rig",
        ("csr", "renew", "cert_path"): m.leaf,
        ("profile", "validate", "file"): m.profile,
        ("profile", "show", "name_or_file"): "caiso-demo",
        ("store", "diff", "other"): m.roots,
    }
    by_name: dict[str, str | Path] = {
        "store_dir": m.store,
        "paths": m.certs,
        "subject": "CN=rig-0001.example.com,O=Example,C=US",
        "fingerprints": "00",
        "url": "https://127.0.0.1:1/",  # loopback, a closed port: refused at once
        "p12_file": m.p12,
        "cert_file": m.leaf,
        "key_file": m.leaf_key,
        "chain_file": m.cert,
    }
    value = per_command.get((*leaf.path, name), by_name.get(name, m.cert))
    return os.fspath(value)


#: The environment variable the runs name for the PFX password (tests set it to the material's password).
PASSWORD_ENV = "CAISO_PKI_TEST_PFX_PASSWORD"
PFX_PASSWORD = "pfx-password"

#: Options that take a run past usage errors (a key decision for csr new, a trust source for verify).
EXTRAS: dict[tuple[str, ...], list[str]] = {
    ("csr", "new"): ["--key-spec", "ec-p256", "--no-password"],
    ("csr", "renew"): ["--rekey", "ec-p256", "--no-password"],  # the key_path slot drops these
    ("verify",): ["--revocation", "off"],
    ("audit",): ["--revocation", "off"],
    ("connect",): ["--timeout", "2", "--password-env", PASSWORD_ENV],
    ("exporter",): ["--once"],  # one scan and exit: the server mode runs until SIGTERM
    ("pkcs12", "build"): ["--password-env", PASSWORD_ENV],
}
#: What to leave out when a slot is under test, so the run reads it instead of stopping at a usage error.
EXCLUDE: dict[tuple[tuple[str, ...], str], frozenset[str]] = {
    (("csr", "new"), "key_in"): frozenset({"--key-spec", "--no-password", "key_out"}),
    (("csr", "new"), "password_file"): frozenset({"--no-password"}),
    (("csr", "renew"), "password_file"): frozenset({"--no-password"}),
    (("csr", "renew"), "key_path"): frozenset({"--rekey", "--no-password", "key_out"}),
    (("connect",), "password_file"): frozenset({"--password-env"}),
    (("connect",), "cert_file"): frozenset({"p12_file"}),
    (("connect",), "key_file"): frozenset({"p12_file"}),
    (("connect",), "chain_file"): frozenset({"p12_file"}),
    (("csr", "renew"), "new_password_file"): frozenset({"--no-password"}),
    (("pkcs12", "build"), "password_file"): frozenset({"--password-env"}),
}
#: Optional inputs given sound values on every run (a client certificate for connect), unless excluded.
OPTIONAL_INPUTS: dict[tuple[str, ...], frozenset[str]] = {
    ("connect",): frozenset({"p12_file"}),
}
#: Optional inputs given sound values when a slot is under test (--cert needs --key).
SLOT_INPUTS: dict[tuple[tuple[str, ...], str], frozenset[str]] = {
    (("connect",), "cert_file"): frozenset({"key_file"}),
    (("connect",), "key_file"): frozenset({"cert_file"}),
    (("connect",), "chain_file"): frozenset({"cert_file", "key_file"}),
}
#: Optional outputs given on every run (so a failing run can be caught leaving them behind).
OPTIONAL_OUTPUTS: dict[tuple[str, ...], frozenset[str]] = {
    ("csr", "new"): frozenset({"key_out"}),
    ("csr", "renew"): frozenset({"key_out"}),
    ("audit",): frozenset({"out_file"}),
}
#: Options given only when the slot under test is not one of them (they exclude each other).
TRUST_SOURCE: dict[tuple[str, ...], tuple[str, str]] = {
    ("verify",): ("--trust", "roots"),
    ("connect",): ("--trust", "roots"),
    ("audit",): ("--trust", "roots"),
}
#: Sound values that depend on the slot under test (a password file is only read for a PFX).
FOR_SLOT: dict[tuple[tuple[str, ...], str], dict[str, str]] = {
    (("inspect",), "password_file"): {"file": "p12"},
    (("store", "add"), "password_file"): {"files": "p12"},
}
#: Options added when a slot is under test, so the command uses it (a PKCS#12 export reads a password).
SLOT_EXTRAS: dict[tuple[tuple[str, ...], str], list[str]] = {
    (("store", "export"), "password_file"): ["--format", "pkcs12"],
}


def _flag(param: click.Parameter) -> str:
    assert isinstance(param, click.Option)
    return max(param.opts, key=len)


def _without(options: list[str], excluded: frozenset[str]) -> list[str]:
    """``options`` minus the excluded ones (with the value that follows an excluded option)."""
    kept: list[str] = []
    skip = False
    for item in options:
        if skip:
            skip = False
            continue
        if item in excluded:
            skip = item not in ("--no-password",)  # flags take no value
            continue
        kept.append(item)
    return kept


def build_argv(leaf: Leaf, slot: str, value: str, m: Material, out: Path) -> tuple[list[str], list[Path]]:
    """The command line for one run, and the output files it may create."""
    group: list[str] = []
    own: list[str] = []
    outputs: list[Path] = []
    excluded = EXCLUDE.get((leaf.path, slot), frozenset())
    for param, in_group in leaf.params():
        target = group if in_group else own
        name = param.name or ""
        if isinstance(param.type, OutputFile):
            wanted = param.required or name in OPTIONAL_OUTPUTS.get(leaf.path, frozenset())
            if not wanted or name in excluded:
                continue
            path = out / f"{name}.out"
            outputs.append(path)
            arg = os.fspath(path)
        elif name == slot:
            arg = value
        elif (
            param.required
            or (in_group and name == "store_dir")
            or (name in OPTIONAL_INPUTS.get(leaf.path, frozenset()) and name not in excluded)
            or name in SLOT_INPUTS.get((leaf.path, slot), frozenset())
        ):
            arg = good_value(leaf, name, m, slot)
        else:
            continue
        target.extend([arg] if isinstance(param, click.Argument) else [_flag(param), arg])
    extras = _without(EXTRAS.get(leaf.path, []), excluded) + SLOT_EXTRAS.get((leaf.path, slot), [])
    trust = TRUST_SOURCE.get(leaf.path)
    if trust is not None and slot not in ("trust_file", "store_dir"):
        extras += [trust[0], os.fspath(getattr(m, trust[1]))]
    return [leaf.path[0], *group, *leaf.path[1:], *own, *extras], outputs
