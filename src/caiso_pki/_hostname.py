"""Server names as a caller types them: a DNS name or an IP address, checked before anything is matched.

A name that cannot be a host name (``"bad name!"``, ``""``) is bad input, and saying so names the input;
matching it against a certificate would only report a name mismatch, the answer for a *good* name that
the certificate does not cover.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final

from caiso_pki._text import printable
from caiso_pki.errors import MalformedInputError

__all__ = ["check_server_name", "is_ip_address"]

_LABEL: Final = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_MAX_NAME: Final = 253


def is_ip_address(name: str) -> bool:
    """True for an IPv4 or IPv6 address (IPv6 with or without brackets)."""
    text = name[1:-1] if name.startswith("[") and name.endswith("]") else name
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def check_server_name(value: object, *, what: str = "server_name") -> str:
    """``value`` as the ASCII name sent in SNI and matched: an IP address, or a DNS name (IDNA A-labels).

    Raises :class:`~caiso_pki.errors.MalformedInputError` naming ``what`` for anything else: not a
    string, empty, spaces, characters a host name cannot hold, labels too long.
    """
    if not isinstance(value, str):
        raise MalformedInputError(f"{what}: expected a DNS name or IP address, got {type(value).__name__}")
    shown = printable(value)
    if not value.strip():
        raise MalformedInputError(f"{what} {shown!r}: empty; give a DNS name or IP address")
    if is_ip_address(value):
        return value[1:-1] if value.startswith("[") else value
    try:
        ascii_name = value.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise MalformedInputError(f"{what} {shown!r}: not a valid DNS name ({exc})") from exc
    labels = ascii_name.removesuffix(".").split(".")
    bad = next((label for label in labels if not _LABEL.match(label)), None)
    if bad is not None or len(ascii_name) > _MAX_NAME:
        raise MalformedInputError(
            f"{what} {shown!r}: not a valid DNS name (labels of letters, digits and '-', at most 63 "
            "characters each); give the host name the certificate is for, or an IP address"
        )
    return ascii_name
