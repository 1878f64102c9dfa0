"""RFC 5280 section 6.1 certificate-policy inputs shared by validation and the CPS checks."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from caiso_pki.errors import MalformedInputError
from caiso_pki.oids import ANY_POLICY, parse_oid

__all__ = ["PolicyRequirement"]


def _to_oid_set(value: Iterable[str] | str) -> frozenset[str]:
    from caiso_pki._convert import texts

    items = texts(value, "acceptable")
    result = set()
    for text in items:
        result.add(
            ANY_POLICY if text.strip().lower() in {"any", "anypolicy"} else parse_oid(text).dotted_string
        )
    if not result:
        raise MalformedInputError(
            "PolicyRequirement: the acceptable policy set is empty; pass OIDs, or {'any'} for anyPolicy"
        )
    return frozenset(result)


@attrs.frozen
class PolicyRequirement:
    """The RFC 5280 initial policy inputs of path validation.

    ``acceptable`` is the user-initial-policy-set: dotted OIDs or registry names; ``"any"`` means
    anyPolicy.  The three flags are initial-explicit-policy, initial-policy-mapping-inhibit and
    initial-any-policy-inhibit.
    """

    acceptable: frozenset[str] = attrs.field(default=frozenset({ANY_POLICY}), converter=_to_oid_set)
    require_explicit: bool = False
    inhibit_mapping: bool = False
    inhibit_any: bool = False

    @property
    def accepts_any(self) -> bool:
        """True when the initial policy set is anyPolicy."""
        return ANY_POLICY in self.acceptable
