"""Shared pieces of the CLI: the exit-code contract, error handling, input and output parameters,
times, password sources and text output.

Exit status, for every command: 0 success, 1 a negative answer (not valid, findings, expiring entries
with ``--exit-code``), 2 bad input or usage (or an output that cannot be written), 130 interrupted
(Ctrl-C), 141 standard output closed by its reader.  :func:`handle_errors` turns every
:class:`~caiso_pki.errors.CaisoPkiError` into one ``error: ...`` line and status 2.

Files are read through :data:`INPUT_FILE` (or :class:`InputFile`): once, streamed with the library's
32 MiB cap whatever they are (regular file, FIFO, ``/dev/stdin``, ``<(...)``), and ``-`` is standard
input.  Text output goes through :func:`caiso_pki._text.printable`, so names from certificates cannot
drive the terminal.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final, TypeVar

import click

from caiso_pki._source import NamedBytes, first_line_secret, read_file, read_stream
from caiso_pki._text import display_path, printable
from caiso_pki.errors import CaisoPkiError, InvalidTimeError, MalformedInputError, PasswordError

__all__ = [
    "KEY_SPEC",
    "POLICY_OID",
    "SERVER_NAME",
    "USAGES",
    "EXIT_BAD_INPUT",
    "EXIT_CODES",
    "EXIT_INTERRUPTED",
    "EXIT_OUTPUT_CLOSED",
    "DIRECTORY",
    "EXIT_NEGATIVE",
    "EXIT_OK",
    "INPUT_FILE",
    "OUTPUT_FILE",
    "PROFILE_REF",
    "STDIN_HELP",
    "UTC_TIME",
    "Directory",
    "InputError",
    "InputFile",
    "OutputFile",
    "PathParam",
    "ProfileRef",
    "UtcTime",
    "check_outputs",
    "cli_message",
    "echo_json",
    "echo_lines",
    "echo_out",
    "echo_rich",
    "handle_errors",
    "is_stdout",
    "read_password",
    "read_stdin",
    "rich_console",
    "terminal_available",
]

EXIT_OK: Final = 0
EXIT_NEGATIVE: Final = 1
EXIT_BAD_INPUT: Final = 2
#: Ctrl-C (SIGINT), as shells report a process it ended: 128 + 2.
EXIT_INTERRUPTED: Final = 130
#: Standard output closed by its reader (``| head``), as shells report SIGPIPE: 128 + 13.
EXIT_OUTPUT_CLOSED: Final = 141
#: The exit-code contract every command keeps (the CLI reference prints this table).
EXIT_CODES: Final[dict[int, str]] = {
    EXIT_OK: "success: the chain is valid, the CSR conforms, the command did what it was asked",
    EXIT_NEGATIVE: "a negative answer: not valid, lint findings at --fail-on, a CSR that breaks its "
    "profile, an audit with failures or no certificate at all, expiring entries with --exit-code",
    EXIT_BAD_INPUT: "bad input or usage: an unreadable, empty or malformed file, a wrong option, a "
    "password that is missing or wrong, an output that exists without --force, an output that cannot "
    "be written (a full disk: the error names the output and the system's reason)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C, SIGINT): the command stopped; files are written whole or "
    "not at all, so nothing partial is left",
    EXIT_OUTPUT_CLOSED: "standard output was closed by its reader (a pipe into head): the command "
    "stopped quietly, with no traceback",
}
#: What every option or argument that reads a file says about standard input (the help test checks it).
STDIN_HELP: Final = "- for stdin"
F = TypeVar("F", bound=Callable[..., Any])

#: How the command line words each :data:`caiso_pki.errors.Remedy`.
_CLI_REMEDIES: Final[dict[str, str]] = {
    "overwrite": "use --force to replace it",
    "replace": "use --replace to replace it",
    "init-store": "create one with: caiso-pki store --store DIR init",
    "role-anchor": "use --role anchor to pin it as a trust anchor",
}
_META_STDIN: Final = "caiso_pki.stdin"


# -- errors ---------------------------------------------------------------------------------------


def cli_message(exc: CaisoPkiError) -> str:
    """The error's message with the command line's wording of its remedy, escaped for a terminal."""
    if exc.remedy is None:
        return printable(str(exc))
    return printable(f"{exc.problem}; {_CLI_REMEDIES[exc.remedy]}")


class InputError(click.ClickException):
    """Unreadable input found while the command line is parsed: ``error: ...`` and status 2.

    The same one-line form :func:`handle_errors` prints, so a missing file reads like a damaged one.
    """

    exit_code = EXIT_BAD_INPUT

    def show(self, file: Any = None) -> None:
        """Print ``error: <message>`` to standard error."""
        click.echo(f"error: {self.format_message()}", err=True)


def handle_errors(func: F) -> F:
    """Turn a :class:`CaisoPkiError` into a one-line message and exit status 2 (bad input)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CaisoPkiError as exc:
            click.echo(f"error: {cli_message(exc)}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper  # type: ignore[return-value]


# -- inputs ---------------------------------------------------------------------------------------


class PathParam(click.ParamType):  # type: ignore[type-arg,unused-ignore]  # generic from click 8.4
    """Base of the parameter types that name a file or a directory the command reads or writes.

    One type to look for, so tooling (the robustness test, the help check) finds every such parameter
    of every command, including commands added later.
    """


class InputFile(PathParam):
    """A file the command reads: the value is its content as :class:`~caiso_pki._source.NamedBytes`.

    The file is read once, when the command line is parsed, with the library's size cap, so FIFOs,
    ``/dev/stdin`` and ``<(...)`` work like regular files.  ``-`` reads standard input, which only one
    parameter of a command may do.  Unreadable input is a usage error (status 2) naming the file.
    """

    name = "file"

    def __init__(self, what: str = "input file") -> None:
        self.what = what

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """``FILE`` in usage lines and help."""
        return "FILE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> NamedBytes:
        """Read ``value`` (a path, or ``-`` for standard input)."""
        if isinstance(value, NamedBytes):
            return value
        try:
            if str(value) == "-":
                _claim_stdin(ctx, param)
                return read_stdin(what=self.what)
            return read_file(Path(value), what=self.what)
        except MalformedInputError as exc:
            raise InputError(f"{_param_label(param)}: {cli_message(exc)}") from exc


def read_stdin(*, what: str = "input") -> NamedBytes:
    """Standard input, read to its end with the library's size cap, named ``<stdin>``."""
    stream = sys.stdin
    if stream is None:  # started with standard input closed
        raise MalformedInputError(f"<stdin>: standard input is closed (expected {what})")
    return read_stream(stream.buffer, "<stdin>", what=what)


def _claim_stdin(ctx: click.Context | None, param: click.Parameter | None) -> None:
    if ctx is None:
        return
    root = ctx.find_root()
    holder = root.meta.get(_META_STDIN)
    here = _param_label(param)
    if holder is not None:
        others = here if holder == here else f"{holder} and {here}"
        raise click.UsageError(f"standard input ('-') can be read only once ({others} both ask for it)", ctx)
    root.meta[_META_STDIN] = here


def _param_label(param: click.Parameter | None) -> str:
    if param is None:
        return "an input"
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return (param.name or "FILE").upper()


#: The usual input parameter type: ``type=INPUT_FILE``.
INPUT_FILE: Final = InputFile()


class ProfileRef(PathParam):
    """A profile option: a built-in name stays a string; a file (or ``-``) is read as by :class:`InputFile`.

    The profile loaders take either, and resolve a file's relative ``extends`` against its directory.
    """

    name = "profile"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """``NAME|FILE`` in usage lines and help."""
        return "NAME|FILE"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> str | NamedBytes:
        """Read ``value`` when it is ``-`` or an existing file; keep it as a name otherwise."""
        if isinstance(value, NamedBytes):
            return value
        text = str(value)
        if text in _builtin_profile_names():  # a built-in name wins over a file of that name, as in the API
            return text
        if text == "-" or (os.path.lexists(text) and not os.path.isdir(text)):
            converted: NamedBytes = INPUT_FILE.convert(value, param, ctx)
            return converted
        return text


PROFILE_REF: Final = ProfileRef()


def _builtin_profile_names() -> frozenset[str]:
    from caiso_pki.profiles.cps import BUILTIN_PROFILES
    from caiso_pki.profiles.request import builtin_request_profiles

    return frozenset(BUILTIN_PROFILES) | frozenset(builtin_request_profiles())


class Directory(PathParam):
    """A directory option (a trust store, an output folder): a :class:`~pathlib.Path`.

    It may not exist yet (``store init`` and ``demo --dir`` create it), but an existing file, or ``-``,
    is refused with the same one-line error as unreadable input.
    """

    name = "directory"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """``DIR`` in usage lines and help."""
        return "DIR"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        """``value`` as a path, refused when it names something that is not a directory."""
        if isinstance(value, Path):
            path = value
        else:
            text = os.fsdecode(value) if isinstance(value, bytes) else str(value)
            if text in ("", "-"):
                raise InputError(f"{_param_label(param)} {text!r}: give a directory path")
            path = Path(text)
        if path.exists() and not path.is_dir():
            raise InputError(f"{_param_label(param)} {display_path(path)}: not a directory")
        return path


DIRECTORY: Final = Directory()


class OutputFile(PathParam):
    """A file the command writes: a :class:`~pathlib.Path`, where ``-`` means standard output.

    The value is only a path; :func:`check_outputs` checks every output of a command before anything is
    written.
    """

    name = "output"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """``FILE`` in usage lines and help."""
        return "FILE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        """``value`` as a path (``-`` kept as ``Path("-")``: standard output)."""
        if isinstance(value, Path):
            return value
        text = os.fsdecode(value) if isinstance(value, bytes) else str(value)
        if not text:
            self.fail("an empty file name", param, ctx)
        return Path(text)


OUTPUT_FILE: Final = OutputFile()


def is_stdout(path: Path | None) -> bool:
    """True for the ``-`` output (standard output)."""
    return path is not None and str(path) == "-"


def check_outputs(outputs: dict[str, Path | None], *, force: bool, json_output: bool = False) -> bool:
    """Check every output path of a command before writing any; return whether one is standard output.

    ``outputs`` maps option names (``"--csr-out"``) to their values.  Only one output may be ``-``, and
    not together with ``--json`` (which also prints to standard output).  Each file must be writable: not
    a directory, in an existing directory, and (without ``--force``) not already there.
    """
    from caiso_pki._atomic import check_target

    to_stdout = [option for option, path in outputs.items() if is_stdout(path)]
    if json_output:
        to_stdout.append("--json")
    if len(to_stdout) > 1:
        raise click.UsageError(f"{' and '.join(to_stdout)} all write to standard output; only one can")
    for path in outputs.values():
        if path is not None and not is_stdout(path):
            check_target(path, overwrite=force)
    return bool(to_stdout) and not json_output


# -- values with their own syntax ---------------------------------------------------------------------

#: ``--usage`` of verify and audit: the key usage and extended key usage each choice requires.
USAGES: Final[dict[str, dict[str, set[str]]]] = {
    "client": {"extended_key_usage": {"clientAuth"}, "key_usage": {"digitalSignature"}},
    "server": {"extended_key_usage": {"serverAuth"}, "key_usage": {"digitalSignature"}},
}


class _CheckedText(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """A text option checked by a library function; its error names the option and the value."""

    def check(self, value: str, what: str) -> str:
        """The value as the library takes it; raise a :class:`CaisoPkiError` when it is not one."""
        raise NotImplementedError

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Check ``value``; a bad one is a usage error (status 2) naming the option."""
        label = _param_label(param)
        try:
            return self.check(str(value), label)
        except CaisoPkiError as exc:
            message = cli_message(exc)
            raise InputError(message if message.startswith(label) else f"{label}: {message}") from exc


class PolicyOid(_CheckedText):
    """A certificate policy: a dotted OID or a name from the OID registry (``anyPolicy``)."""

    name = "oid"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """``OID`` in usage lines and help."""
        return "OID"

    def check(self, value: str, what: str) -> str:
        """The dotted OID."""
        from caiso_pki.oids import parse_oid

        return parse_oid(value)


class ServerName(_CheckedText):
    """A server name a certificate must match: a DNS name (IDNA allowed) or an IP address."""

    name = "name"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """``NAME`` in usage lines and help."""
        return "NAME"

    def check(self, value: str, what: str) -> str:
        """The name, checked (a bad name is bad input, never a name mismatch)."""
        from caiso_pki._hostname import check_server_name

        check_server_name(value, what=what)
        return value


class KeySpecText(_CheckedText):
    """A key spec: rsa-2048, rsa-3072, rsa-4096, ec-p256 or ec-p384."""

    name = "spec"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """``SPEC`` in usage lines and help."""
        return "SPEC"

    def check(self, value: str, what: str) -> str:
        """The canonical spec string."""
        from caiso_pki.keys import KeySpec

        return str(KeySpec.parse(value))


POLICY_OID: Final = PolicyOid()
SERVER_NAME: Final = ServerName()
KEY_SPEC: Final = KeySpecText()


# -- times ----------------------------------------------------------------------------------------

#: Times the command line accepts: X.509 UTCTime starts in 1950, and the upper bound leaves the
#: library room for every offset it adds (expiry windows, validity periods) below datetime's year 9999.
EARLIEST: Final = dt.datetime(1950, 1, 1, tzinfo=dt.UTC)
LATEST: Final = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def parse_utc_time(value: str, *, option: str) -> dt.datetime:
    """``2025-06-01`` (midnight UTC) or an ISO 8601 time; a time without an offset is taken as UTC.

    Raises :class:`InvalidTimeError` naming ``option`` for text that is not a time or a time outside
    1950-01-01 .. 9000-01-01.
    """
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        parsed = parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidTimeError(
            f"{option} {printable(value)!r}: use an ISO 8601 date or time, e.g. 2025-06-01 or "
            "2025-06-01T12:00:00Z"
        ) from exc
    if not EARLIEST <= parsed < LATEST:
        raise InvalidTimeError(
            f"{option} {printable(value)!r}: choose a time between {EARLIEST.date()} and {LATEST.date()}"
        )
    return parsed


class UtcTime(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """An ISO 8601 date or time option, as an aware UTC datetime within 1950 .. 9000 (see parse_utc_time)."""

    name = "time"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """``TIME`` in usage lines and help."""
        return "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.datetime:
        """Parse ``value``; a bad time is a usage error (status 2)."""
        if isinstance(value, dt.datetime):
            return value
        try:
            return parse_utc_time(str(value), option=_param_label(param))
        except InvalidTimeError as exc:
            raise InputError(cli_message(exc)) from exc


UTC_TIME: Final = UtcTime()


# -- passwords ------------------------------------------------------------------------------------

#: The one rule for PKCS#12 passwords that are empty, which every command that reads a PFX follows.
EMPTY_PFX_RULE: Final = (
    "a PKCS#12 (PFX) password may be empty (some Windows and Java exports use one): give it as an empty "
    "first line of --password-file, an empty --password-env variable, or Enter at the prompt; an empty "
    "password is never tried unless it is given"
)


def terminal_available() -> bool:
    """Whether a hidden prompt can ask someone: a controlling terminal to open (or a terminal stdin).

    ``getpass`` reads from ``/dev/tty``; without one it falls back to standard input with a warning and
    echo on, which is never what anyone wants for a password.
    """
    if os.name == "posix":
        try:
            fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
        except OSError:
            return False
        os.close(fd)
        return True
    return sys.stdin.isatty()


def read_password(
    *,
    password_file: NamedBytes | Path | None,
    env_var: str | None,
    prompt: str | None,
    confirm: bool = False,
    file_option: str = "--password-file",
    env_option: str | None = None,
    allow_empty: bool = False,
    needed_for: str | None = None,
) -> str | None:
    """Get a password from a file (its first line), an environment variable or a hidden prompt.

    Passwords are never accepted as plain command-line arguments: they would show in ``ps`` output
    and shell history.  Without a terminal the prompt is refused with a message naming ``needed_for``
    (the input that needs the password) and the options that give one.  ``allow_empty`` is for PKCS#12
    passwords (:data:`EMPTY_PFX_RULE`): an empty line, variable or answer is then the empty
    password ``""``; otherwise an empty password is refused (file, variable) or means none (prompt).
    """
    env_flag = env_option or file_option.replace("-file", "-env")
    if password_file is not None:
        data = password_file if isinstance(password_file, NamedBytes) else _read_secret(password_file)
        return first_line_secret(data, data.name, allow_empty=allow_empty)
    if env_var:
        value = os.environ.get(env_var)
        if value is None:
            raise PasswordError(f"{env_flag} {printable(env_var)}: the environment variable is not set")
        if not value and not allow_empty:
            raise PasswordError(f"{env_flag} {printable(env_var)}: the environment variable is empty")
        return value
    if prompt is not None:
        if not terminal_available():
            subject = f"{needed_for}: it" if needed_for else "the command"
            raise PasswordError(
                f"{subject} needs a {_lower_first(prompt)} and there is no terminal to ask for it; "
                f"use {file_option} or {env_flag}"
            )
        value = click.prompt(
            prompt, hide_input=True, confirmation_prompt=confirm, default="", show_default=False, err=True
        )
        if allow_empty:
            return str(value)
        return str(value) or None
    return None


def _lower_first(text: str) -> str:
    """``"Key password"`` -> ``"key password"``; an acronym (``"PFX password"``) stays."""
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def _read_secret(path: Path) -> NamedBytes:
    if str(path) == "-":
        return read_stdin(what="password file")
    return read_file(path, what="password file")


# -- output ---------------------------------------------------------------------------------------


def echo_lines(lines: Iterable[str], *, err: bool = False) -> None:
    """Print each line with :func:`printable` applied, so no value can add a line or a terminal code."""
    for line in lines:
        click.echo(printable(line), err=err)


#: Output is written in pieces of this size: a reader that leaves (``| head``) is then noticed at the next
#: piece (status 141) instead of the rest of one huge write being dropped without a word.
_CHUNK: Final = 65536


def echo_out(text: str, *, nl: bool = True) -> None:
    """Print ``text`` (already safe) to standard output in pieces, flushing each."""
    if nl:
        text += "\n"
    for start in range(0, len(text), _CHUNK):
        click.echo(text[start : start + _CHUNK], nl=False)
    if not text:
        click.echo("", nl=False)


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON (exact values: JSON's escaping already makes them safe)."""
    import json

    echo_out(json.dumps(data, indent=2, sort_keys=False, default=str))


def echo_rich(value: Any, plain: str) -> None:
    """Print ``value``'s rich rendering on a colour terminal, else the ``plain`` text.

    Pipes, files, ``NO_COLOR`` and ``TERM=dumb`` get the plain text, so scripts that parse the
    output see the same lines whatever rich can do.  ``plain`` must already be escaped (its lines
    joined after :func:`printable`); the rich renderers escape their values themselves.
    """
    fancy = sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    if fancy:
        try:
            console = rich_console()
        except ImportError:
            fancy = False
        else:
            console.print(value)
            return
    click.echo(plain)


def rich_console(**options: Any) -> Any:
    """A ``rich`` console whose closed-pipe handling is the command line's (status 141, quietly).

    rich's own handling exits with status 1, the code for a negative answer; here the
    ``BrokenPipeError`` reaches the command line's handler instead.  Raises ``ImportError`` without rich.
    """
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    return _Console(**options)


def path_label(path: str | os.PathLike[str]) -> str:
    """A file name for text output (:func:`caiso_pki._text.display_path`)."""
    return display_path(path)
