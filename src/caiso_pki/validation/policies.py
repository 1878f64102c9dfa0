"""Certificate-policy processing of RFC 5280 6.1, with the policy graph of RFC 9618.

The state variables of RFC 5280 6.1.2 (d)-(f) and the valid_policy_graph that RFC 9618 puts in place
of the valid_policy_tree: a graph stays linear in the number of policies and mappings of the path,
where the tree can grow exponentially.  :class:`PolicyState` is fed one certificate at a time by
:mod:`caiso_pki.validation.pkix`, in the order of RFC 5280 6.1.3 and 6.1.4, and answers the set of
user-domain policies that survive (6.1.5 (g)).  Each method names the step it implements, so a reader
can audit it against the RFC text:

=================  ============================================================================
step               what happens here
=================  ============================================================================
6.1.2 (a), (d)-(f) :meth:`PolicyState.start`: the graph is one anyPolicy node at depth 0;
                   explicit_policy, inhibit_anyPolicy and policy_mapping start at n+1, or 0 when
                   the matching initial input is set
6.1.3 (d)-(f)      :meth:`PolicyState.process_policies`: certificatePolicies grow the graph;
                   no extension empties it; an empty graph with explicit_policy 0 fails
6.1.4 (a)-(b)      :meth:`PolicyState.map_policies`: anyPolicy may not be mapped; mappings set the
                   expected policies, or delete the mapped nodes when mapping is inhibited
6.1.4 (h)-(j)      :meth:`PolicyState.update_counters`: the three counters count down and take
                   policyConstraints and inhibitAnyPolicy into account
6.1.5 (a)-(b), (g) :meth:`PolicyState.finish`: the last counter updates and the user-constrained
                   policy set (RFC 9618 5.5)
=================  ============================================================================

The graph is bounded (:data:`MAX_NODES`): a path whose policies would need more nodes fails with the
``policy`` code instead of costing memory and time.  Policy qualifiers are not kept: nothing reports
them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from caiso_pki.oids import ANY_POLICY

__all__ = ["MAX_NODES", "PolicyError", "PolicyState"]

#: At most this many nodes in the policy graph (pyhanko-certvalidator 0.33 uses the same bound).
MAX_NODES: Final = 1000


class PolicyError(Exception):
    """Policy processing refuses the path (the message says which step and why)."""


class _Node:
    __slots__ = ("children", "depth", "expected", "parents", "policy")

    def __init__(self, policy: str, expected: frozenset[str], depth: int) -> None:
        self.policy = policy
        self.expected = expected
        self.depth = depth
        self.parents: dict[_Node, None] = {}
        self.children: dict[_Node, None] = {}


class _Graph:
    """The valid_policy_graph: one dict of nodes per depth, keyed by valid_policy."""

    def __init__(self) -> None:
        root = _Node(ANY_POLICY, frozenset({ANY_POLICY}), 0)
        self.levels: list[dict[str, _Node]] = [{ANY_POLICY: root}]
        self.count = 1

    def at(self, depth: int, policy: str) -> _Node | None:
        if 0 <= depth < len(self.levels):
            return self.levels[depth].get(policy)
        return None

    def nodes(self, depth: int) -> list[_Node]:
        if 0 <= depth < len(self.levels):
            return list(self.levels[depth].values())
        return []

    def expecting(self, depth: int) -> dict[str, list[_Node]]:
        """The nodes of ``depth`` indexed by each policy they expect in the next certificate."""
        index: dict[str, list[_Node]] = {}
        for node in self.nodes(depth):
            for policy in node.expected:
                index.setdefault(policy, []).append(node)
        return index

    def add(self, depth: int, policy: str, expected: frozenset[str], parents: Iterable[_Node]) -> None:
        if self.count >= MAX_NODES:
            raise PolicyError(f"policy processing needs more than {MAX_NODES} policy graph nodes")
        while len(self.levels) <= depth:
            self.levels.append({})
        node = _Node(policy, expected, depth)
        self.levels[depth][policy] = node
        self.count += 1
        for parent in parents:
            parent.children[node] = None
            node.parents[parent] = None

    def delete(self, node: _Node) -> None:
        """Delete ``node`` and its edges; children left without a parent go too."""
        level = self.levels[node.depth]
        if level.get(node.policy) is not node:
            return
        del level[node.policy]
        self.count -= 1
        for parent in node.parents:
            del parent.children[node]
        orphans = []
        for child in node.children:
            del child.parents[node]
            if not child.parents:
                orphans.append(child)
        node.parents = {}
        node.children = {}
        for orphan in orphans:
            self.delete(orphan)

    def prune(self, max_depth: int) -> bool:
        """Delete childless nodes of depth ``max_depth`` or less until none is left; False when empty."""
        pending = [
            node for depth in range(min(max_depth, len(self.levels) - 1) + 1) for node in self.nodes(depth)
        ]
        while pending:
            node = pending.pop()
            if node.children or self.levels[node.depth].get(node.policy) is not node:
                continue
            parents = list(node.parents)
            self.delete(node)
            pending.extend(parent for parent in parents if not parent.children)
        return bool(self.levels[0])

    def descendants_at(self, node: _Node, depth: int) -> set[str]:
        """The valid policies of ``node``'s descendants (itself included) at ``depth``."""
        found: set[str] = set()
        seen = {id(node)}
        stack = [node]
        while stack:
            current = stack.pop()
            if current.depth == depth:
                found.add(current.policy)
            for child in current.children:
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append(child)
        return found


class PolicyState:
    """The policy state variables of one path validation (RFC 5280 6.1.2 (a), (d)-(f))."""

    __slots__ = ("_graph", "explicit_policy", "inhibit_any_policy", "length", "policy_mapping")

    def __init__(
        self, graph: _Graph | None, length: int, explicit: int, inhibit_any: int, mapping: int
    ) -> None:
        self._graph = graph
        self.length = length
        self.explicit_policy = explicit
        self.inhibit_any_policy = inhibit_any
        self.policy_mapping = mapping

    @classmethod
    def start(
        cls, length: int, *, require_explicit: bool, inhibit_mapping: bool, inhibit_any: bool
    ) -> PolicyState:
        """The initial state for a path of ``length`` certificates below the anchor (6.1.2)."""
        after = length + 1
        return cls(
            _Graph(),
            length,
            0 if require_explicit else after,
            0 if inhibit_any else after,
            0 if inhibit_mapping else after,
        )

    @property
    def empty(self) -> bool:
        """Whether the valid_policy_graph is NULL."""
        return self._graph is None

    def process_policies(self, depth: int, policies: Sequence[str] | None, *, self_issued: bool) -> None:
        """6.1.3 (d)-(f) for the certificate at ``depth``; ``policies`` is None without the extension.

        Raises :class:`PolicyError` when the graph is NULL and explicit_policy is 0 (step (f)).
        """
        graph = self._graph
        if policies is None:  # (e)
            self._graph = None
        elif graph is not None:  # (d)
            expecting = graph.expecting(depth - 1)
            for policy in policies:  # (d)(1)
                if policy == ANY_POLICY or graph.at(depth, policy) is not None:
                    continue  # anyPolicy is (d)(2); a repeated OID is processed once
                parents = expecting.get(policy)
                if not parents:  # (d)(1)(ii)
                    any_node = graph.at(depth - 1, ANY_POLICY)
                    if any_node is None:
                        continue
                    parents = [any_node]
                graph.add(depth, policy, frozenset({policy}), parents)
            uninhibited = self.inhibit_any_policy > 0 or (depth < self.length and self_issued)
            if ANY_POLICY in policies and uninhibited:  # (d)(2)
                for policy in sorted(expecting):
                    if graph.at(depth, policy) is None:
                        graph.add(depth, policy, frozenset({policy}), expecting[policy])
            if not graph.prune(depth - 1):  # (d)(3)
                self._graph = None
        if self._graph is None and self.explicit_policy <= 0:  # (f)
            raise PolicyError("no valid policy remains and an explicit policy is required")

    def map_policies(self, depth: int, mappings: Sequence[tuple[str, str]] | None) -> None:
        """6.1.4 (a)-(b): ``mappings`` are the (issuerDomainPolicy, subjectDomainPolicy) pairs."""
        if not mappings:
            return
        mapped: dict[str, set[str]] = {}
        for issuer_policy, subject_policy in mappings:
            if ANY_POLICY in (issuer_policy, subject_policy):  # (a)
                raise PolicyError("policyMappings maps anyPolicy")
            mapped.setdefault(issuer_policy, set()).add(subject_policy)
        graph = self._graph
        if graph is None:
            return
        for issuer_policy, subject_policies in mapped.items():  # (b)
            node = graph.at(depth, issuer_policy)
            if self.policy_mapping > 0:  # (b)(1)
                if node is not None:
                    node.expected = frozenset(subject_policies)
                    continue
                any_node = graph.at(depth, ANY_POLICY)
                if any_node is not None:
                    graph.add(depth, issuer_policy, frozenset(subject_policies), list(any_node.parents))
            elif node is not None:  # (b)(2)
                graph.delete(node)
        if not graph.prune(depth - 1):
            self._graph = None

    def update_counters(
        self,
        *,
        self_issued: bool,
        require_explicit_policy: int | None,
        inhibit_policy_mapping: int | None,
        inhibit_any_policy: int | None,
    ) -> None:
        """6.1.4 (h)-(j) for an intermediate certificate."""
        if not self_issued:  # (h)
            self.explicit_policy = max(self.explicit_policy - 1, 0)
            self.policy_mapping = max(self.policy_mapping - 1, 0)
            self.inhibit_any_policy = max(self.inhibit_any_policy - 1, 0)
        if require_explicit_policy is not None:  # (i)(1)
            self.explicit_policy = min(self.explicit_policy, require_explicit_policy)
        if inhibit_policy_mapping is not None:  # (i)(2)
            self.policy_mapping = min(self.policy_mapping, inhibit_policy_mapping)
        if inhibit_any_policy is not None:  # (j)
            self.inhibit_any_policy = min(self.inhibit_any_policy, inhibit_any_policy)

    def finish(self, *, require_explicit_policy: int | None, acceptable: frozenset[str]) -> frozenset[str]:
        """6.1.5 (a), (b) and (g): the user-constrained policy set (user-domain OIDs, anyPolicy included).

        Raises :class:`PolicyError` when it is empty and explicit_policy is 0.
        """
        self.explicit_policy = max(self.explicit_policy - 1, 0)  # (a)
        if require_explicit_policy == 0:  # (b)
            self.explicit_policy = 0
        policies = self._user_constrained(acceptable)
        if not policies and self.explicit_policy == 0:
            raise PolicyError("no acceptable policy remains and an explicit policy is required")
        return policies

    def _authority_constrained(self) -> set[str]:
        """RFC 9618 5.5 (g)(1)-(4): policies valid in the anchor's domain that reach the leaf."""
        graph = self._graph
        if graph is None:
            return set()
        length = self.length
        found: set[str] = set()
        for depth in range(1, length + 1):
            for node in graph.nodes(depth):
                if node.policy == ANY_POLICY or len(node.parents) != 1:
                    continue
                (parent,) = node.parents
                if parent.policy == ANY_POLICY and graph.descendants_at(node, length):
                    found.add(node.policy)
        if graph.at(length, ANY_POLICY) is not None:
            found.add(ANY_POLICY)
        return found

    def _user_constrained(self, acceptable: frozenset[str]) -> frozenset[str]:
        """RFC 9618 5.5 (g)(5)-(6)."""
        authority = self._authority_constrained()
        if ANY_POLICY in acceptable:
            return frozenset(authority)
        result = authority & acceptable
        if ANY_POLICY in authority:
            result |= acceptable
        return frozenset(result)
