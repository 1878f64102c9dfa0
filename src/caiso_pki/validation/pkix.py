"""RFC 5280 6.1 basic path processing of one candidate path, step by step, with a code per step.

:func:`process` runs the algorithm of RFC 5280 section 6.1 on a path (anchor first, leaf last) and
stops at the first step that refuses it, naming the certificate (its index in the path) and the step's
failure code.  Revocation (6.1.3 (a)(3)) is left to :mod:`caiso_pki.validation.revocation`, which runs
once a path passes.  The steps, in the order they run for each certificate ``i`` below the anchor:

=====================  ======================  =====================================================
RFC 5280               code                    check
=====================  ======================  =====================================================
6.1.1 (d), RFC 5937    expired, not-yet-valid  the trust anchor's own validity (index 0)
6.1.3 (a)(1)           weak-algorithm          the algorithm policy accepts the signature's hash and
                                               the size of the key that made it
6.1.3 (a)(1)           bad-signature,          the signature verifies under working_public_key
                       unsupported-algorithm   (:mod:`~caiso_pki.validation.signatures`)
6.1.3 (a)(2)           expired, not-yet-valid  notBefore <= time <= notAfter
6.1.3 (a)(4)           name-chaining           issuer = working_issuer_name (RFC 5280 7.1 comparison)
6.1.3 (b)-(c)          name-constraints,       the names are permitted and not excluded, checked for
                       name-constraints-budget the leaf and every certificate that is not
                                               self-issued (:mod:`~caiso_pki.validation.names`)
6.1.3 (d)-(f)          policy                  certificate policies (:mod:`~caiso_pki.validation.policies`)
6.1.4 (a)-(b)          policy                  policy mappings (intermediates only, as all of 6.1.4)
6.1.4 (c)-(g)          -                       working_issuer_name, working_public_key (DSA parameters
                                               inherited when the key has none), name constraints
6.1.4 (h)-(j)          -                       the policy counters
6.1.4 (k)              not-a-ca                basicConstraints cA=TRUE
6.1.4 (l)-(m)          path-length-exceeded    pathLenConstraint (self-issued certificates do not count)
6.1.4 (n)              key-usage               keyUsage, when present, asserts keyCertSign
6.1.4 (o), 6.1.5 (f)   critical-extension      every critical extension is one of :data:`UNDERSTOOD`
6.1.5 (a)-(b), (g)     policy                  an acceptable policy remains, or none is required
=====================  ======================  =====================================================

An extension that cannot be decoded where a step reads it stops the path with ``malformed`` on that
certificate (the structural rule ``malformed-extension`` then names it more precisely).  No time
tolerance: a certificate is valid from notBefore through notAfter, both inclusive, compared at the whole
second the times are encoded in (:meth:`~caiso_pki.certificate.Certificate.validity_at`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from caiso_pki._time import iso as _iso
from caiso_pki.certificate import Certificate
from caiso_pki.policy import PolicyRequirement
from caiso_pki.validation import signatures
from caiso_pki.validation.names import (
    Constraints,
    NameConstraintsBudgetError,
    NameConstraintsError,
    UnreadableConstraintsError,
)
from caiso_pki.validation.policies import PolicyError, PolicyState
from caiso_pki.validation.results import ValidationFailure

if TYPE_CHECKING:
    from caiso_pki.validation.options import AlgorithmPolicy
    from caiso_pki.validation.signatures import SignatureCache

__all__ = ["STEPS", "UNDERSTOOD", "Outcome", "Step", "process"]


class Step(NamedTuple):
    """One row of the table above: the RFC 5280 step and the failure codes it can give."""

    section: str
    codes: frozenset[str]
    check: str


#: The steps of :func:`process`, in order (the table of the module docstring, as data:
#: ``tests/test_pkix.py`` meets every code with a real chain and refuses any other).
STEPS: Final = (
    Step("6.1.1 (d), RFC 5937", frozenset({"expired", "not-yet-valid"}), "the anchor's validity"),
    Step("6.1.3 (a)(1)", frozenset({"weak-algorithm"}), "the algorithm policy"),
    Step("6.1.3 (a)(1)", frozenset({"bad-signature", "unsupported-algorithm"}), "the signature"),
    Step("6.1.3 (a)(2)", frozenset({"expired", "not-yet-valid"}), "the validity period"),
    Step("6.1.3 (a)(4)", frozenset({"name-chaining"}), "issuer name chaining"),
    Step("6.1.3 (b)-(c)", frozenset({"name-constraints", "name-constraints-budget"}), "name constraints"),
    Step("6.1.3 (d)-(f)", frozenset({"policy"}), "certificate policies"),
    Step("6.1.4 (a)-(b)", frozenset({"policy"}), "policy mappings"),
    Step("6.1.4 (k)", frozenset({"not-a-ca"}), "basicConstraints cA"),
    Step("6.1.4 (l)-(m)", frozenset({"path-length-exceeded"}), "pathLenConstraint"),
    Step("6.1.4 (n)", frozenset({"key-usage"}), "keyCertSign"),
    Step("6.1.4 (o), 6.1.5 (f)", frozenset({"critical-extension"}), "critical extensions"),
    Step("6.1.5 (a)-(b), (g)", frozenset({"policy"}), "an acceptable policy remains"),
    Step("any step", frozenset({"malformed"}), "an extension a step reads does not decode"),
)

#: The critical extensions path validation understands (RFC 5280 6.1.4 (o)); any other critical
#: extension refuses the certificate.
UNDERSTOOD: Final = frozenset(
    {
        "1.3.6.1.5.5.7.1.1",  # authorityInfoAccess
        "2.5.29.35",  # authorityKeyIdentifier
        "2.5.29.19",  # basicConstraints
        "2.5.29.31",  # cRLDistributionPoints
        "2.5.29.37",  # extendedKeyUsage
        "2.5.29.46",  # freshestCRL
        "2.5.29.14",  # subjectKeyIdentifier
        "2.5.29.15",  # keyUsage
        "1.3.6.1.5.5.7.48.1.5",  # id-pkix-ocsp-nocheck
        "2.5.29.32",  # certificatePolicies
        "2.5.29.33",  # policyMappings
        "2.5.29.36",  # policyConstraints
        "2.5.29.54",  # inhibitAnyPolicy
        "2.5.29.30",  # nameConstraints
        "2.5.29.17",  # subjectAltName
        "1.3.6.1.5.5.7.1.6",  # aaControls (RFC 5755)
        "1.3.6.1.5.5.7.1.3",  # qcStatements (ETSI EN 319 412-5 says non-critical; some CAs disagree)
    }
)


class Outcome(NamedTuple):
    """RFC 5280 6.1 on one path: the first failure (``None`` when it passes) and the valid policies."""

    failure: ValidationFailure | None
    policies: frozenset[str] = frozenset()


class _Refused(Exception):
    """A step refuses the path: the code and what is wrong."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def process(
    path: Sequence[Certificate],
    *,
    at: dt.datetime,
    policy: PolicyRequirement | None,
    algorithms: AlgorithmPolicy,
    cache: SignatureCache | None = None,
    webpki: bool = False,
) -> Outcome:
    """RFC 5280 6.1 on ``path`` (anchor first); never raises.

    ``webpki``: the leaf's host-like common name counts as a dNSName when it has no subjectAltName.
    """
    try:
        return _process(
            path,
            at=at,
            policy=policy,
            algorithms=algorithms,
            cache=cache,
            webpki=webpki,
            position=_Position(path),
        )
    except _Stop as stop:
        return Outcome(ValidationFailure(stop.code, stop.message, stop.index, _subject(path[stop.index])))


class _Position:
    __slots__ = ("index", "path")

    def __init__(self, path: Sequence[Certificate]) -> None:
        self.path = path
        self.index = 0


class _Stop(Exception):
    def __init__(self, code: str, message: str, index: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.index = index


def _process(
    path: Sequence[Certificate],
    *,
    at: dt.datetime,
    policy: PolicyRequirement | None,
    algorithms: AlgorithmPolicy,
    cache: SignatureCache | None,
    webpki: bool,
    position: _Position,
) -> Outcome:
    n = len(path) - 1
    anchor = path[0]
    try:
        state = _start(anchor, n, at, policy)
        for index in range(1, n + 1):
            position.index = index
            _step(
                path[index],
                index=index,
                n=n,
                at=at,
                algorithms=algorithms,
                cache=cache,
                state=state,
                webpki=webpki,
            )
        position.index = n
        policies = _finish(path[n], state, policy)
    except _Refused as refused:
        raise _Stop(refused.code, str(refused), position.index) from None
    except NameConstraintsBudgetError as exc:
        raise _Stop("name-constraints-budget", str(exc), exc.index) from None
    except UnreadableConstraintsError as exc:
        raise _Stop("malformed", str(exc), exc.index) from None
    except NameConstraintsError as exc:
        raise _Stop("name-constraints", str(exc), position.index) from None
    except PolicyError as exc:
        raise _Stop("policy", str(exc), position.index) from None
    except Exception as exc:  # asn1crypto could not decode what a step reads: fail closed
        raise _Stop(
            "malformed", f"cannot be processed ({type(exc).__name__}: {exc})", position.index
        ) from None
    return Outcome(None, policies)


class _State:
    """The state variables of RFC 5280 6.1.2 that are not the policy ones."""

    __slots__ = ("constraints", "issuer", "issuer_name", "key", "max_path_length", "policies")

    def __init__(
        self,
        key: Any,
        issuer: Certificate | None,
        issuer_name: Any,
        max_path_length: int,
        policies: PolicyState,
    ) -> None:
        self.key = key
        self.issuer = (
            issuer  # the certificate whose key ``key`` is, unchanged (None: DSA parameters inherited)
        )
        self.issuer_name = issuer_name
        self.max_path_length = max_path_length
        self.constraints = Constraints()
        self.policies = policies


def _start(anchor: Certificate, n: int, at: dt.datetime, policy: PolicyRequirement | None) -> _State:
    """6.1.1 and 6.1.2, with the anchor's validity, pathLenConstraint and name constraints (RFC 5937)."""
    validity = anchor.validity_at(at)
    if validity == "not-yet-valid":
        raise _Refused("not-yet-valid", f"the trust anchor is not valid before {_iso(anchor.not_before)}")
    if validity == "expired":
        raise _Refused("expired", f"the trust anchor expired at {_iso(anchor.not_after)}")
    asn1 = anchor.asn1
    limit = asn1.max_path_length
    requirement = policy or PolicyRequirement()
    state = _State(
        asn1.public_key,
        anchor,
        asn1.subject,
        n if limit is None else int(limit),
        PolicyState.start(
            n,
            require_explicit=requirement.require_explicit,
            inhibit_mapping=requirement.inhibit_mapping,
            inhibit_any=requirement.inhibit_any,
        ),
    )
    constraints = asn1.name_constraints_value
    if constraints is not None:
        state.constraints.add(constraints, 0)
    return state


def _step(
    cert: Certificate,
    *,
    index: int,
    n: int,
    at: dt.datetime,
    algorithms: AlgorithmPolicy,
    cache: SignatureCache | None,
    state: _State,
    webpki: bool,
) -> None:
    """6.1.3 for the certificate at ``index`` and, below the leaf, 6.1.4 to prepare the next one."""
    asn1 = cert.asn1
    algorithm = asn1["signature_algorithm"]
    weak = signatures.weakness(algorithm, state.key, algorithms)  # (a)(1)
    if weak is not None:
        raise _Refused("weak-algorithm", weak)
    verdict = signatures.verify(state.key, cert, cache, issuer=state.issuer)
    if verdict == "bad":
        raise _Refused("bad-signature", "the signature does not verify under its issuer's key")
    if verdict == "unsupported":
        raise _Refused(
            "unsupported-algorithm", f"the signature algorithm {_algorithm(algorithm)} is not supported"
        )
    validity = cert.validity_at(at)  # (a)(2), at the whole second
    if validity == "not-yet-valid":
        raise _Refused("not-yet-valid", f"not valid before {_iso(cert.not_before)}")
    if validity == "expired":
        raise _Refused("expired", f"expired at {_iso(cert.not_after)}")
    if not same_name(asn1.issuer, state.issuer_name):  # (a)(4)
        raise _Refused(
            "name-chaining", "its issuer name does not match the subject of the certificate above it"
        )
    self_issued = same_name(asn1.issuer, asn1.subject)
    if index == n or not self_issued:  # (b)-(c)
        state.constraints.check(asn1, cn_as_dns=webpki and index == n)
    policies = asn1.certificate_policies_value  # (d)-(f)
    state.policies.process_policies(
        index,
        None if policies is None else [item["policy_identifier"].dotted for item in policies],
        self_issued=self_issued,
    )
    if index < n:
        _prepare(cert, asn1, index, state, self_issued=self_issued)
    unknown = sorted(oid for oid in _critical(asn1) if oid not in UNDERSTOOD)  # 6.1.4 (o), 6.1.5 (f)
    if unknown:
        raise _Refused("critical-extension", f"unsupported critical extension(s): {', '.join(unknown)}")


def _prepare(cert: Certificate, asn1: Any, index: int, state: _State, *, self_issued: bool) -> None:
    """6.1.4 (a)-(n) for the intermediate at ``index``."""
    mappings = asn1.policy_mappings_value  # (a)-(b)
    if mappings is not None:
        state.policies.map_policies(
            index,
            [
                (item["issuer_domain_policy"].dotted, item["subject_domain_policy"].dotted)
                for item in mappings
            ],
        )
    state.issuer_name = asn1.subject  # (c)
    key = asn1.public_key  # (d)-(f)
    if (
        key.algorithm == "dsa"
        and key["algorithm"]["parameters"].native is None
        and state.key.algorithm == "dsa"
        and state.key["algorithm"]["parameters"].native is not None
    ):
        key = key.copy()
        key["algorithm"]["parameters"] = state.key["algorithm"]["parameters"].copy()
        state.issuer = None
    else:
        state.issuer = cert
    state.key = key
    constraints = asn1.name_constraints_value  # (g)
    if constraints is not None:
        state.constraints.add(constraints, index)
    policy_constraints = asn1.policy_constraints_value  # (h)-(j)
    inhibit_any = asn1.inhibit_any_policy_value
    state.policies.update_counters(
        self_issued=self_issued,
        require_explicit_policy=_native(policy_constraints, "require_explicit_policy"),
        inhibit_policy_mapping=_native(policy_constraints, "inhibit_policy_mapping"),
        inhibit_any_policy=None if inhibit_any is None else int(inhibit_any.native),
    )
    if not asn1.ca:  # (k)
        raise _Refused("not-a-ca", "it issues the next certificate but is not a CA (basicConstraints)")
    if not self_issued:  # (l)
        if state.max_path_length == 0:
            raise _Refused(
                "path-length-exceeded", "a pathLenConstraint above it allows no more intermediates"
            )
        state.max_path_length -= 1
    limit = asn1.max_path_length  # (m)
    if limit is not None and limit < state.max_path_length:
        state.max_path_length = int(limit)
    usage = asn1.key_usage_value  # (n)
    if usage and "key_cert_sign" not in usage.native:
        raise _Refused("key-usage", "it issues the next certificate but its keyUsage lacks keyCertSign")


def _finish(leaf: Certificate, state: _State, policy: PolicyRequirement | None) -> frozenset[str]:
    """6.1.5 (a), (b) and (g): the valid policies, or a policy failure on the leaf."""
    constraints = leaf.asn1.policy_constraints_value
    acceptable = (policy or PolicyRequirement()).acceptable
    return state.policies.finish(
        require_explicit_policy=_native(constraints, "require_explicit_policy"), acceptable=acceptable
    )


def same_name(one: Any, other: Any) -> bool:
    """RFC 5280 7.1 name comparison (asn1crypto's, with RFC 4518 string preparation); names that cannot
    be prepared are equal only when their bytes are."""
    try:
        return bool(one == other)
    except Exception:  # a string RFC 4518 cannot prepare
        return bool(one.dump() == other.dump())


def _native(value: Any, field: str) -> int | None:
    if value is None:
        return None
    found = value[field].native
    return None if found is None else int(found)


def _critical(asn1: Any) -> list[str]:
    raw = asn1["tbs_certificate"]["extensions"]
    if raw.contents is None:
        return []
    return [ext["extn_id"].dotted for ext in raw if ext["critical"].native]


def _algorithm(algorithm: Any) -> str:
    try:
        return str(algorithm["algorithm"].native)
    except Exception:  # an algorithm identifier that does not decode is shown as such
        return "<undecodable>"


def _subject(cert: Certificate) -> str:
    try:
        return cert.subject.rfc4514
    except Exception:  # a name that cannot be rendered must not hide the failure
        return f"<certificate {cert.fingerprint_sha256[:16]}>"
