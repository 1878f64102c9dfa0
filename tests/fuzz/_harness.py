"""Fuzzing machinery shared by the hypothesis tests: mutation strategies, the input counter, CPU bounds.

Every parser call goes through :func:`exercise`, which counts the input (per parser), bounds the CPU
time it may use (a CPU-time interval timer, and a CPU-time resource limit as the watchdog for code that
never returns to Python), and turns any exception that is not a
:class:`~caiso_pki.errors.CaisoPkiError` into a test failure naming the input.

The bounds are CPU time, never the wall clock: on a loaded machine (``pytest -n auto`` beside another
suite) a parse waits longer for a core but does not use more CPU, so only a real hang reaches them.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import faulthandler
import re
import resource
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from caiso_pki.errors import CaisoPkiError

#: Generated inputs fed to each parser in this process (reported at the end of the session).
COUNTS: Final[collections.Counter[str]] = collections.Counter()

#: CPU seconds one input may use; far above any legitimate parse (milliseconds), so it only catches hangs.
INPUT_CPU_LIMIT: Final = 10.0
#: Hard watchdog, in CPU seconds past the bound's start: a parse stuck in native code, where the
#: interval timer's Python handler never runs, gets SIGXCPU (its traceback dumped, then the default
#: action ends the worker, which pytest-xdist reports with the test it was running).
WATCHDOG_CPU_SECONDS: Final = 60

_T = TypeVar("_T")

faulthandler.register(signal.SIGXCPU, all_threads=True, chain=True)


class InputTimeout(BaseException):
    """A single input used more than its CPU-time bound."""


@contextlib.contextmanager
def time_bound(seconds: float = INPUT_CPU_LIMIT) -> Iterator[None]:
    """Raise :class:`InputTimeout` in the main thread once the body has used ``seconds`` of CPU time.

    ``ITIMER_PROF`` counts the process's CPU time (user and system), not the wall clock, so a machine
    busy with other work does not bring the bound closer.
    """

    def expire(signum: int, frame: object) -> None:
        raise InputTimeout(f"input used more than {seconds} s of CPU time")

    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    watchdog = int(usage.ru_utime + usage.ru_stime + seconds) + WATCHDOG_CPU_SECONDS
    if hard != resource.RLIM_INFINITY:
        watchdog = min(watchdog, hard)
    previous = signal.signal(signal.SIGPROF, expire)
    resource.setrlimit(resource.RLIMIT_CPU, (watchdog, hard))
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
        signal.signal(signal.SIGPROF, previous)


def exercise(parser: str, func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T | None:
    """Call ``func(*args, **kwargs)``: it must return or raise a CaisoPkiError, within the CPU bound.

    Returns the result, or None when a CaisoPkiError was raised.  Any other exception fails the test
    with the parser, the exception type and the input's repr.
    """
    COUNTS[parser] += 1
    try:
        with time_bound():
            return func(*args, **kwargs)
    except CaisoPkiError:
        return None
    except Exception as exc:
        shown = repr(args)
        if len(shown) > 4000:
            shown = shown[:4000] + "...(truncated)"
        raise AssertionError(
            f"{parser}: {type(exc).__name__} escaped instead of a CaisoPkiError: {exc}\ninput: {shown}"
        ) from exc


def fuzz_settings(scale: float = 1.0) -> settings:
    """Settings for one fuzz test: ``scale`` times the profile's example budget."""
    base = settings.default
    return settings(
        max_examples=max(1, int(base.max_examples * scale)),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# -- mutations ----------------------------------------------------------------------------------------

_PEM_BODY: Final = re.compile(
    rb"(-----BEGIN ([A-Z0-9 #/_-]+)-----)(.*?)(-----END [A-Z0-9 #/_-]+-----)", re.DOTALL
)


def der_headers(data: bytes, *, limit: int = 512) -> list[tuple[int, int, int]]:
    """(tag offset, length-field offset, length-field size) of the TLV headers found by walking DER."""
    found: list[tuple[int, int, int]] = []
    stack = [(0, len(data))]
    while stack and len(found) < limit:
        pos, end = stack.pop()
        while pos < end and len(found) < limit:
            tag_at = pos
            tag = data[pos]
            pos += 1
            if tag & 0x1F == 0x1F:  # high tag number form
                while pos < end and data[pos] & 0x80:
                    pos += 1
                pos += 1
            if pos >= end:
                break
            first = data[pos]
            size = 1 + (first & 0x7F if first & 0x80 else 0)
            if pos + size > end:
                break
            length = int.from_bytes(data[pos + 1 : pos + size], "big") if first & 0x80 else first
            found.append((tag_at, pos, size))
            content = pos + size
            if first == 0x80 or content + length > end:
                break
            if tag & 0x20:
                stack.append((content, content + length))
            pos = content + length
    return found


def _position(draw: st.DrawFn, data: bytearray) -> int:
    return draw(st.integers(0, max(0, len(data) - 1)))


def _bit_flip(draw: st.DrawFn, data: bytearray) -> bytearray:
    if data:
        data[_position(draw, data)] ^= 1 << draw(st.integers(0, 7))
    return data


def _truncate(draw: st.DrawFn, data: bytearray) -> bytearray:
    return data[: draw(st.integers(0, len(data)))]


def _insert(draw: st.DrawFn, data: bytearray) -> bytearray:
    at = draw(st.integers(0, len(data)))
    data[at:at] = draw(st.binary(min_size=1, max_size=16))
    return data


def _delete(draw: st.DrawFn, data: bytearray) -> bytearray:
    at = _position(draw, data)
    del data[at : at + draw(st.integers(1, 32))]
    return data


def _overwrite(draw: st.DrawFn, data: bytearray) -> bytearray:
    at = _position(draw, data)
    chunk = draw(st.sampled_from([b"\x00", b"\xff", b"\x80", b"\x7f", b"\x30\x80", b"\x05\x00", b"\x02\x00"]))
    data[at : at + len(chunk)] = chunk
    return data


_LENGTHS: Final = (
    b"\x00",
    b"\x01",
    b"\x7f",
    b"\x80",  # indefinite length: forbidden in DER
    b"\x81\x00",
    b"\x81\x7f",  # non-minimal long form
    b"\x82\xff\xff",
    b"\x84\x7f\xff\xff\xff",
    b"\x84\xff\xff\xff\xff",
    b"\x88\xff\xff\xff\xff\xff\xff\xff\xff",
    b"\x8f" + b"\xff" * 15,
    b"\xff",
)


def _der_length(draw: st.DrawFn, data: bytearray) -> bytearray:
    headers = der_headers(bytes(data))
    if not headers:
        return _bit_flip(draw, data)
    _tag_at, at, size = draw(st.sampled_from(headers))
    how = draw(st.sampled_from(["table", "plus", "minus", "random"]))
    old = int.from_bytes(data[at + 1 : at + size], "big") if size > 1 else data[at]
    if how == "table":
        new = draw(st.sampled_from(_LENGTHS))
    else:
        if how == "plus":
            value = old + 1
        elif how == "minus":
            value = max(0, old - 1)
        else:
            value = draw(st.integers(0, 2**32))
        if value < 0x80:
            new = bytes([value])
        else:
            raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
            new = bytes([0x80 | len(raw)]) + raw
    data[at : at + size] = new
    return data


def _der_tag(draw: st.DrawFn, data: bytearray) -> bytearray:
    headers = der_headers(bytes(data))
    if not headers:
        return _bit_flip(draw, data)
    tag_at, _at, _size = draw(st.sampled_from(headers))
    data[tag_at] = draw(
        st.sampled_from([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0C, 0x13, 0x17, 0x18, 0x1F, 0x30, 0x31])
        | st.integers(0, 255)
    )
    return data


def _splice(draw: st.DrawFn, data: bytearray) -> bytearray:
    """Copy a random slice of the input to another place (duplicated fields, repeated extensions)."""
    if not data:
        return data
    start = _position(draw, data)
    chunk = data[start : start + draw(st.integers(1, 256))]
    at = draw(st.integers(0, len(data)))
    data[at:at] = chunk
    return data


_DER_OPS: Final = (_bit_flip, _truncate, _insert, _delete, _overwrite, _der_length, _der_tag, _splice)


def _mutate_der(draw: st.DrawFn, data: bytearray) -> bytearray:
    for _ in range(draw(st.integers(1, 3))):
        data = draw(st.sampled_from(_DER_OPS))(draw, data)
    return data


def _pem_inner(draw: st.DrawFn, data: bytearray) -> bytearray:
    """Decode one PEM block, mutate its DER, re-encode: gets past the base64 check into the parser."""
    blocks = list(_PEM_BODY.finditer(bytes(data)))
    if not blocks:
        return _mutate_der(draw, data)
    block = draw(st.sampled_from(blocks))
    body = re.sub(rb"\s+", b"", block.group(3))
    try:
        der = bytearray(base64.b64decode(body, validate=True))
    except ValueError:
        return data
    der = _mutate_der(draw, der)
    encoded = base64.encodebytes(bytes(der))
    data[block.start(3) : block.end(3)] = b"\n" + encoded
    return data


def _pem_duplicate(draw: st.DrawFn, data: bytearray) -> bytearray:
    blocks = list(_PEM_BODY.finditer(bytes(data)))
    if not blocks:
        return data + data
    block = draw(st.sampled_from(blocks))
    text = block.group(0)
    how = draw(st.sampled_from(["twice", "no-end", "no-begin", "swap-label", "nested", "headers"]))
    if how == "twice":
        replacement = text + b"\n" + text
    elif how == "no-end":
        replacement = text[: text.rfind(b"-----END")]
    elif how == "no-begin":
        replacement = text[text.find(b"-----", 5) + 5 :]
    elif how == "swap-label":
        label = draw(
            st.sampled_from(
                [
                    b"CERTIFICATE",
                    b"PKCS7",
                    b"X509 CRL",
                    b"CERTIFICATE REQUEST",
                    b"PRIVATE KEY",
                    b"RSA PRIVATE KEY",
                ]
            )
        )
        replacement = re.sub(rb"(BEGIN|END) [A-Z0-9 #/_-]+-----", rb"\1 " + label + b"-----", text)
    elif how == "nested":
        mid = len(text) // 2
        replacement = text[:mid] + b"\n" + text + b"\n" + text[mid:]
    else:
        replacement = text.replace(
            b"-----\n", b"-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\n", 1
        )
    data[block.start() : block.end()] = replacement
    return data


def _base64_damage(draw: st.DrawFn, data: bytearray) -> bytearray:
    blocks = list(_PEM_BODY.finditer(bytes(data)))
    if not blocks:
        return _insert(draw, data)
    block = draw(st.sampled_from(blocks))
    start, end = block.start(3), block.end(3)
    if end <= start:
        return data
    at = draw(st.integers(start, end - 1))
    junk = draw(
        st.sampled_from([b"=", b"==", b"!", b"*", b"\x00", b"\xc3\xa9", b" ", b"\r\n", b"A", b"-", b"===="])
    )
    if draw(st.booleans()):
        data[at : at + 1] = junk
    else:
        data[at:at] = junk
    return data


_PEM_OPS: Final = (_pem_inner, _pem_inner, _pem_duplicate, _base64_damage, _bit_flip, _truncate, _delete)


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[bytes]) -> bytes:
    """One seed with one to three structure-aware mutations (DER or PEM, as fits the seed)."""
    data = bytearray(draw(st.sampled_from(seeds)))
    pem = b"-----BEGIN" in data
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(_PEM_OPS if pem else _DER_OPS))
        data = op(draw, data)
    return bytes(data)


def der_like() -> st.SearchStrategy[bytes]:
    """Random bytes, some shaped like the start of a DER SEQUENCE so parsers look further."""
    return st.binary(max_size=512) | st.builds(
        lambda body: (
            b"\x30"
            + (bytes([len(body)]) if len(body) < 0x80 else b"\x82" + len(body).to_bytes(2, "big"))
            + body
        ),
        st.binary(max_size=600),
    )


def byte_inputs(seeds: Sequence[bytes]) -> st.SearchStrategy[bytes]:
    """Mostly mutated seeds, sometimes unmutated seeds and random bytes."""
    return st.one_of(
        mutated(seeds),
        mutated(seeds),
        mutated(seeds),
        der_like(),
        st.sampled_from(seeds),
    )


@st.composite
def mutated_text(draw: st.DrawFn, seeds: Sequence[str], alphabet: str = "") -> str:
    """A text seed with character-level edits: insertions, deletions, replacements, truncation."""
    text = draw(st.sampled_from(seeds))
    chars = st.sampled_from(alphabet) if alphabet else st.characters()
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "double"]))
        at = draw(st.integers(0, len(text)))
        if how == "insert":
            text = text[:at] + draw(st.text(chars, min_size=1, max_size=4)) + text[at:]
        elif how == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 6)) :]
        elif how == "replace":
            text = text[:at] + draw(chars) + text[at + 1 :]
        elif how == "truncate":
            text = text[:at]
        else:
            text = text[:at] + text[at:] + text[at:]
    return text
