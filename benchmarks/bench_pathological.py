"""Benchmark: a peer presenting 100 intermediates that share one subject (the path-building DoS).

Two shapes of the attack, each validated with ``validate_chain`` (certificates pre-parsed, warm):

* distinct keys: intermediate *k* is signed by the key of intermediate *k+1*, the last by the root, so
  every candidate at every level has the right name and only one the right key;
* one key: all 100 are self-issued with the same key, so every candidate verifies and only the
  (subject, key) cycle rule stops the search.

pyhanko-certvalidator's own path builder explores the combinations without a budget (minutes); ours
stops at the :class:`~caiso_pki.validation.PathBudget` with ``path-building-limit``.  Target: under
50 ms each.  A legitimate cross-signed path (an intermediate signed by two roots) must still validate.

Then the name-constraint budget (``caiso_pki.validation.names``: 2^20 name-against-subtree comparisons
per constraining certificate, counted before any comparison), with a leaf of 1,000 DNS names:

* just under it: an intermediate permitting 1,000 hosts (1,000,000 comparisons, all answered by the
  index; the chain is valid);
* over it: an intermediate excluding 1,100 domains (1,100,000 comparisons), refused with
  ``name-constraints-budget`` before any name is decoded.  Target: under 50 ms.
"""

from __future__ import annotations

import datetime as dt
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from caiso_pki.certificate import Certificate
from caiso_pki.validation import validate_chain

COUNT = 100
ROUNDS = 5


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _cert(
    subject: x509.Name,
    issuer: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    signer: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    now: dt.datetime,
) -> Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
    return Certificate.from_cryptography(builder.sign(signer, hashes.SHA256()))


def _constrained(
    root: Certificate,
    root_key: ec.EllipticCurvePrivateKey,
    now: dt.datetime,
    constraints: x509.NameConstraints,
) -> tuple[Certificate, Certificate]:
    """An intermediate under ``root`` with ``constraints``, and a leaf with 1,000 DNS names under it."""
    key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Constrained"))
        .issuer_name(_name("Root"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
        .add_extension(constraints, critical=True)
        .sign(root_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName(f"h{i}.example.com") for i in range(1000)]
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("h0.example.com"))
        .issuer_name(_name("Constrained"))
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Certificate.from_cryptography(ca), Certificate.from_cryptography(leaf)


def _best(call: object, rounds: int = ROUNDS) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        call()  # type: ignore[operator]
        best = min(best, time.process_time() - started)
    return best


def run() -> dict[str, float]:
    """Milliseconds per validation for both attacks, and a cross-signed path for comparison."""
    now = dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _cert(_name("Root"), _name("Root"), root_key, root_key, ca=True, now=now)
    shared = _name("Same Subject")
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(COUNT + 1)]
    distinct = [_cert(shared, shared, keys[i], keys[i + 1], ca=True, now=now) for i in range(COUNT - 1)]
    distinct.append(_cert(shared, _name("Root"), keys[COUNT - 1], root_key, ca=True, now=now))
    leaf = _cert(_name("leaf"), shared, ec.generate_private_key(ec.SECP256R1()), keys[0], ca=False, now=now)
    one = keys[COUNT]
    same_key = [_cert(shared, shared, one, one, ca=True, now=now) for _ in range(COUNT)]
    leaf_one = _cert(_name("leaf"), shared, ec.generate_private_key(ec.SECP256R1()), one, ca=False, now=now)

    def attack_distinct() -> None:
        result = validate_chain(leaf, distinct, trust=[root], revocation="off", at=now)
        assert result.codes == ("path-building-limit",), result.failures

    def attack_one_key() -> None:
        result = validate_chain(leaf_one, same_key, trust=[root], revocation="off", at=now)
        assert result.codes == ("path-building-limit",), result.failures

    # A cross-signed issuing CA: the same name and key under two roots; the path must still build.
    other_key = ec.generate_private_key(ec.SECP256R1())
    other_root = _cert(_name("Other Root"), _name("Other Root"), other_key, other_key, ca=True, now=now)
    issuing_key = ec.generate_private_key(ec.SECP256R1())
    cross = [
        _cert(_name("Issuing"), _name("Root"), issuing_key, root_key, ca=True, now=now),
        _cert(_name("Issuing"), _name("Other Root"), issuing_key, other_key, ca=True, now=now),
    ]
    cross_leaf = _cert(_name("peer"), _name("Issuing"), ec.generate_private_key(ec.SECP256R1()), issuing_key,
                       ca=False, now=now)  # fmt: skip

    def cross_signed() -> None:
        result = validate_chain(cross_leaf, cross, trust=[other_root], revocation="off", at=now)
        assert result.valid, result.failures

    under_ca, under_leaf = _constrained(
        root,
        root_key,
        now,
        x509.NameConstraints([x509.DNSName(f"h{i}.example.com") for i in range(1000)], None),
    )
    over_ca, over_leaf = _constrained(
        root, root_key, now, x509.NameConstraints(None, [x509.DNSName(f"x{i}.invalid") for i in range(1100)])
    )

    def constraints_under() -> None:
        result = validate_chain(under_leaf, [under_ca], trust=[root], revocation="off", at=now)
        assert result.valid, result.failures

    def constraints_over() -> None:
        result = validate_chain(over_leaf, [over_ca], trust=[root], revocation="off", at=now)
        assert result.codes == ("name-constraints-budget",), result.failures

    return {
        "name constraints, 1,000 names x 1,000 subtrees, valid (ms)": _best(constraints_under) * 1e3,
        "name constraints, 1,000 names x 1,100 subtrees, refused (ms, < 50)": _best(constraints_over) * 1e3,
        "100 same-subject intermediates, distinct keys (ms, < 50)": _best(attack_distinct) * 1e3,
        "100 same-subject intermediates, one key (ms, < 50)": _best(attack_one_key) * 1e3,
        "legitimate cross-signed path (ms)": _best(cross_signed) * 1e3,
    }


if __name__ == "__main__":
    for label, value in run().items():
        print(f"{label:60s} {value:10.2f}")
