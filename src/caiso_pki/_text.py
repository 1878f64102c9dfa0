"""Text that is safe to show: the one escaping rule every text renderer uses.

Certificate names, file names and profile strings come from other people.  Written raw to a terminal,
an ``ESC`` starts an escape sequence (colours, cursor moves, a changed window title), a newline forges an
extra line of output and U+202E (right-to-left override) makes ``moc.elpmaxe`` read as ``example.com``.
:func:`printable` shows every such character as a Python-style escape (``\\x1b``, ``\\n``, ``\\u202e``),
so a person reads what is really there; the text, CSV, HTML and rich renderers all call it.  JSON output
does not: it keeps the exact value, which JSON's own escaping already makes safe.

File names that are not valid UTF-8 reach Python as lone surrogates (``os.fsdecode``).  On POSIX,
:func:`path_text` writes each such byte as ``\\xNN`` and, so that this cannot be confused with a name
that really holds those four characters, every backslash of a name as ``\\\\``: the byte ``0xff`` is
``\\xff``, the characters backslash-x-f-f are ``\\\\xff``.  The mapping is one to one, so JSON
consumers can recover the exact bytes (``_text.path_bytes`` does).  Windows names are Unicode and kept
exactly.
"""

from __future__ import annotations

import os
import unicodedata
from typing import Final

__all__ = ["display_path", "path_bytes", "path_text", "printable"]

#: Unicode categories shown escaped: controls (C0, DEL, C1), format characters (bidi overrides and
#: isolates, zero-width characters, the BOM), surrogates, and the line and paragraph separators.
_ESCAPED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SURROGATE_ESCAPES: Final = range(0xDC80, 0xDD00)  # os.fsdecode's stand-ins for undecodable bytes
_SHORT: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    short = _SHORT.get(char)
    if short is not None:
        return short
    code = ord(char)
    if code in _SURROGATE_ESCAPES:
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _needs_escape(char: str) -> bool:
    return unicodedata.category(char) in _ESCAPED_CATEGORIES


def printable(value: object) -> str:
    """``str(value)`` with control, format (bidi) and separator characters escaped as ``\\x..``/``\\u....``.

    Use it for every value a text renderer prints on one line: the result holds no character that a
    terminal acts on and no line break, and it encodes as UTF-8 even when ``value`` held lone surrogates.
    Ordinary text, including non-ASCII letters, is unchanged.
    """
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # the common case: nothing to escape, no per-character loop
        return text
    return "".join(_escape(char) if _needs_escape(char) else char for char in text)


def path_text(path: str | os.PathLike[str] | bytes) -> str:
    """A file name as text that encodes as UTF-8, with one unambiguous escape (POSIX).

    An undecodable byte becomes ``\\xNN`` and a backslash ``\\\\``, so no two names give the same text
    (:func:`path_bytes` reverses it).  For JSON output, which keeps every other character exactly but
    must not carry a lone surrogate (strict JSON parsers refuse them).  Windows names are returned as
    they are.
    """
    name = os.fsdecode(path)
    if os.name != "posix":
        return name
    if "\\" not in name:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            pass
        else:
            return name
    return "".join(_path_char(char) for char in name)


def _path_char(char: str) -> str:
    if char == "\\":
        return "\\\\"
    if 0xDC80 <= ord(char) < 0xDD00:  # os.fsdecode's stand-in for an undecodable byte
        return f"\\x{ord(char) - 0xDC00:02x}"
    return char


def path_bytes(text: str) -> bytes:
    """The file name :func:`path_text` wrote as ``text`` (POSIX), as the bytes the file system holds."""
    if os.name != "posix":
        return os.fsencode(text)
    out = bytearray()
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and text[index + 1 : index + 2] == "\\":
            out += b"\\"
            index += 2
        elif char == "\\" and text[index + 1 : index + 2] == "x":
            out.append(int(text[index + 2 : index + 4], 16))
            index += 4
        else:
            out += char.encode("utf-8")
            index += 1
    return bytes(out)


def display_path(path: str | os.PathLike[str] | bytes) -> str:
    """A file name for text output and messages: :func:`path_text`, then escaped by :func:`printable`."""
    return printable(path_text(path))
