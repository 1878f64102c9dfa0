"""TOML the library reads (CPS profiles, request profiles, fleet inventories): one decoder, one parser.

Each caller passes the exception class its users expect (:class:`~caiso_pki.errors.ProfileError` for
profiles, :class:`~caiso_pki.errors.MalformedInputError` for an inventory), so the messages and the
limits are the same for every TOML file: the file's name first, then what is wrong and where.
"""

from __future__ import annotations

import tomllib
from typing import Any

from caiso_pki.errors import CaisoPkiError

__all__ = ["decode_toml", "parse_toml"]


def decode_toml(data: bytes, name: str, *, what: str, error: type[CaisoPkiError]) -> str:
    """``data`` as text; anything but UTF-8 raises ``error`` naming the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{name}: a {what} is UTF-8 TOML text (byte {exc.start + 1} is not UTF-8)") from exc


def parse_toml(text: str, name: str, *, error: type[CaisoPkiError]) -> dict[str, Any]:
    """The TOML document in ``text``; a syntax error (with its line) or runaway nesting raises ``error``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{name}: not valid TOML: {exc}") from exc
    except RecursionError as exc:  # tomllib recurses once per nested array or inline table
        raise error(f"{name}: TOML arrays or tables nest too deeply") from exc
