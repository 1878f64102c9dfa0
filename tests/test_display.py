"""HTML (Jupyter), rich and matplotlib renderings of certificates, CSRs, results, findings and stores."""

from __future__ import annotations

import base64
import datetime as dt
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from rich.console import Console

from _hostile import HOSTILE_NAMES, hostile_leaf
from caiso_pki import (
    Certificate,
    FindingList,
    TrustStore,
    build_csr,
    check_chain,
    generate_private_key,
    lint_certificate,
    testing,
    validate_chain,
)
from caiso_pki._text import printable
from caiso_pki.display import (
    EXPIRING_DAYS,
    PlotUnavailableError,
    certificate_html,
    expiry_status,
    expiry_timeline_html,
    findings_html,
    plot_expiry,
    truststore_html,
    validation_html,
)
from caiso_pki.errors import CaisoPkiError, MalformedInputError

HOSTILE = "<script>alert(1)</script>&\"'"


@pytest.fixture(scope="module")
def pki() -> testing.DemoPki:
    return testing.DemoPki.create()


@pytest.fixture(scope="module")
def revoked_result(pki: testing.DemoPki):
    rig = pki.issuing_ca.issue("rig", "rig-0077.example.com")
    pki.issuing_ca.revoke(rig.certificate, reason="keyCompromise")
    return validate_chain(
        rig.certificate, rig.chain, trust=pki.trust_anchors, crls=[pki.issuing_ca.crl(), pki.root.crl()]
    )


@pytest.fixture(scope="module")
def store(pki: testing.DemoPki) -> TrustStore:
    return TrustStore.from_certificates([pki.root.certificate], labels="caiso").add(
        pki.retired_root.certificate, labels={"legacy"}, distrust_after=testing.CYBERTRUST_END_OF_LIFE
    )


class _Elements(HTMLParser):
    """Collects tags and attributes; fails on nothing, so malformed nesting shows up as odd counts."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.open: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag not in ("br", "img"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(fragment: str) -> _Elements:
    parser = _Elements()
    parser.feed(fragment)
    parser.close()
    assert not parser.open, f"unclosed tags: {parser.open}"
    return parser


def assert_self_contained(fragment: str) -> _Elements:
    parsed = parse(fragment)
    assert not {"script", "link", "iframe", "object"} & set(parsed.tags)
    for name, value in parsed.attrs:
        assert not name.startswith("on"), f"event handler attribute {name}"
        if name == "src":
            assert value is not None and value.startswith("data:"), f"external asset {value}"
    return parsed


def rich_text(renderable: object) -> str:
    console = Console(width=160, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


# -- certificates and CSRs ---------------------------------------------------------------------------


def test_certificate_html_shows_the_fields(pki: testing.DemoPki) -> None:
    rig = pki.issuing_ca.issue("rig", "rig-0001.example.com", dns_names=["rig-0001.example.com"]).certificate
    fragment = rig._repr_html_()
    parsed = assert_self_contained(fragment)
    text = " ".join(parsed.text)
    for expected in (
        rig.subject.rfc4514,
        rig.issuer.rfc4514,
        rig.serial_hex,
        rig.fingerprint_sha256,
        "DNS:rig-0001.example.com",
        "demoBasicAssurance (2.999.2008.1.1)",
        "clientAuth",
        "digitalSignature",
        pki.issuing_ca.crl_url,
    ):
        assert expected in text, expected


def test_hostile_names_are_escaped(pki: testing.DemoPki) -> None:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, HOSTILE),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "<b>bold</b>"),
        ]
    )
    cert = pki.issuing_ca.issue("api-client", "x", subject=subject).certificate
    for fragment in (certificate_html(cert), validation_html(validate_chain(cert, [], trust=[cert]))):
        assert "<script>" not in fragment
        assert "<b>bold" not in fragment
        assert "&lt;script&gt;" in fragment
        assert_self_contained(fragment)


def test_certificate_status_at_a_time(pki: testing.DemoPki) -> None:
    rig = pki.issuing_ca.issue("rig", "rig-0002.example.com", validity=dt.timedelta(days=30)).certificate
    assert "expiring" in certificate_html(rig, at=pki.now)
    assert "expired" in certificate_html(rig, at=pki.now + dt.timedelta(days=31))
    assert "not-yet-valid" not in certificate_html(rig, at=pki.now + dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("days_left", "status"),
    [(-1, "expired"), (0, "expiring"), (EXPIRING_DAYS, "expiring"), (EXPIRING_DAYS + 1, "ok")],
)
def test_expiry_status_boundaries(days_left: int, status: str) -> None:
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    assert expiry_status(now + dt.timedelta(days=days_left), at=now) == status


def test_certificate_rich_panel(pki: testing.DemoPki) -> None:
    rig = pki.issuing_ca.issue("rig", "rig-0003.example.com").certificate
    text = rich_text(rig)
    assert "rig-0003.example.com" in text
    assert rig.fingerprint_sha256 in text
    assert "Policies" in text


def test_csr_html_and_rich() -> None:
    csr = build_csr(
        generate_private_key("ec-p256"),
        "CN=rig-0004.example.com,O=Demo,C=US",
        dns_names=["rig-0004.example.com"],
        profile="rig",
    )
    parsed = assert_self_contained(csr._repr_html_())
    text = " ".join(parsed.text)
    assert "signature ok" in text
    assert "DNS:rig-0004.example.com" in text
    assert "EC secp256r1" in text
    assert "signature ok" in rich_text(csr)


# -- validation results ------------------------------------------------------------------------------


def test_validation_html_draws_anchor_to_leaf(revoked_result) -> None:
    fragment = revoked_result._repr_html_()
    assert_self_contained(fragment)
    assert "NOT VALID" in fragment
    items = re.findall(r'class="caiso-pki-chain-item"[^>]*>.*?<strong>([^<]+)</strong>', fragment)
    assert items == ["Demo CAISO Root CA", "Demo CAISO Issuing CA 1", "rig-0077.example.com"]
    assert "keyCompromise" in fragment
    assert "revocation good via CRL" in fragment  # the issuing CA checked against the root's CRL


def test_valid_result_lists_policies(pki: testing.DemoPki) -> None:
    rig = pki.issuing_ca.issue("rig", "rig-0005.example.com")
    result = validate_chain(rig.certificate, rig.chain, trust=pki.trust_anchors, revocation="off")
    fragment = validation_html(result)
    assert ">VALID<" in fragment
    assert "demoBasicAssurance (2.999.2008.1.1)" in fragment
    assert "Failures" not in fragment


def test_untrusted_top_is_not_called_a_trust_anchor(pki: testing.DemoPki) -> None:
    rig = pki.issuing_ca.issue("rig", "rig-0006.example.com")
    result = validate_chain(
        rig.certificate, [*rig.chain, pki.root.certificate], trust=[pki.entrust_root.certificate]
    )
    assert not result.valid
    roles = re.findall(
        r'class="caiso-pki-chain-item".*?text-transform:uppercase">([^<]+)</span>', validation_html(result)
    )
    assert roles
    assert "trust anchor" not in roles
    assert roles[0] == "top of chain (not trusted)"


def test_validation_rich_tree_and_repr(revoked_result) -> None:
    text = rich_text(revoked_result)
    assert text.index("Demo CAISO Root CA") < text.index("Demo CAISO Issuing CA 1") < text.index("rig-0077")
    assert "NOT VALID" in text
    assert "✗ revoked" in text
    assert repr(revoked_result).startswith("<ValidationResult valid=False leaf='CN=rig-0077.example.com")
    assert "codes=['revoked']" in repr(revoked_result)


# -- findings ----------------------------------------------------------------------------------------


def test_findings_worst_first_with_citations(pki: testing.DemoPki) -> None:
    legacy = pki.retired_issuing_ca.issue("rig", "rig-0100.example.com").certificate
    findings = lint_certificate(legacy, "caiso-demo", kind="rig")
    assert isinstance(findings, FindingList) and isinstance(findings, tuple)
    assert isinstance(findings[:1], FindingList)
    fragment = findings._repr_html_()
    assert_self_contained(fragment)
    assert "CPS-ISSUER-RETIRED" in fragment
    assert str(findings[0].citation).replace("&", "&amp;").split(" §")[0] in fragment
    ranks = [f.severity.rank for f in sorted(findings, key=lambda f: -f.severity.rank)]
    positions = [fragment.index(f.code) for f in sorted(findings, key=lambda f: -f.severity.rank)]
    assert ranks == sorted(ranks, reverse=True)
    assert positions == sorted(positions)
    assert "CPS-ISSUER-RETIRED" in rich_text(findings)
    assert "CPS-ISSUER-RETIRED" in findings[0]._repr_html_() or "CPS-ISSUER-RETIRED" in findings_html(
        findings
    )


def test_no_findings_is_clean() -> None:
    assert "no findings" in findings_html([])
    assert "no findings" in rich_text(FindingList())


def test_chain_check_html(pki: testing.DemoPki) -> None:
    rig = pki.issuing_ca.issue("rig", "rig-0008.example.com")
    check = check_chain(
        rig.certificate, rig.chain, trust=pki.trust_anchors, profile="caiso-demo", revocation="off"
    )
    fragment = check._repr_html_()
    assert_self_contained(fragment)
    assert "NOT OK" not in fragment and ">OK<" in fragment
    assert "kind rig" in fragment
    assert "OK" in rich_text(check)


# -- trust stores and the timeline -------------------------------------------------------------------


def test_truststore_html_marks_retired_roots(store: TrustStore, pki: testing.DemoPki) -> None:
    fragment = store._repr_html_()
    assert_self_contained(fragment)
    rows = fragment.split("<tr>")[2:]
    assert len(rows) == 2
    retired_row = next(row for row in rows if "Cybertrust" in row)
    assert ">retired<" in retired_row
    assert "2024-11-01" in retired_row
    assert "legacy" in retired_row
    assert ">retired<" not in next(row for row in rows if "CAISO Root" in row)
    assert "retired" in rich_text(store)
    # far in the future the CAISO root has expired too
    assert ">expired<" in truststore_html(store, at=pki.now + dt.timedelta(days=365 * 30))


def test_plot_expiry_draws_one_bar_per_entry(store: TrustStore, pki: testing.DemoPki) -> None:
    figure = store.plot_expiry(at=pki.now)
    axes = figure.axes[0]
    assert len(axes.patches) == len(store)
    labels = [tick.get_text() for tick in axes.get_yticklabels()]
    assert any("Cybertrust" in label and "[legacy]" in label for label in labels)
    issued = [pki.issuing_ca.issue("rig", f"rig-{n}.example.com") for n in range(3)]
    assert len(plot_expiry(issued, at=pki.now).axes[0].patches) == 3


def test_plot_expiry_rejects_other_input() -> None:
    with pytest.raises(MalformedInputError):
        plot_expiry([object()])
    with pytest.raises(MalformedInputError):
        plot_expiry(42)


def test_expiry_timeline_html_embeds_svg(store: TrustStore) -> None:
    fragment = expiry_timeline_html(store)
    assert_self_contained(fragment)
    encoded = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', fragment)
    assert encoded is not None
    svg = base64.b64decode(encoded.group(1)).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg


def test_without_matplotlib_a_caiso_error_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from caiso_pki import testing, TrustStore\n"
        "from caiso_pki.display import PlotUnavailableError, expiry_timeline_html\n"
        "pki = testing.DemoPki.create()\n"
        "store = TrustStore.from_certificates([pki.root.certificate])\n"
        "assert expiry_timeline_html(store) == ''\n"
        "try:\n"
        "    store.plot_expiry()\n"
        "except PlotUnavailableError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert "pip install 'caiso-pki[plot]'" in done.stdout
    assert issubclass(PlotUnavailableError, CaisoPkiError)


def test_display_is_not_imported_by_the_package() -> None:
    code = (
        "import caiso_pki, sys; caiso_pki.Certificate; "
        "print('caiso_pki.display' in sys.modules, 'rich' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False", "False"]


def test_every_displayable_class_delegates(pki: testing.DemoPki, store: TrustStore) -> None:
    cert: Certificate = pki.root.certificate
    assert cert._repr_html_() == certificate_html(cert)
    assert store._repr_html_() == truststore_html(store)


# -- issue 13: hostile names in every rendering ------------------------------------------------------


def _rich_text(renderable: object) -> str:
    console = Console(width=200, record=True, force_terminal=True, color_system="standard")
    console.print(renderable)
    return console.export_text(styles=False)


@pytest.mark.parametrize("kind", ["escape", "newline", "bidi", "bmp-nul"])
def test_hostile_names_are_escaped_in_html_and_rich(kind: str) -> None:
    # issue 13 defect 1: control and bidi characters were written raw
    pki = testing.DemoPki.create()
    issued = hostile_leaf(pki, kind)
    store = TrustStore().add(pki.root.certificate)
    result = validate_chain(issued.certificate, issued.chain, trust=store, revocation="off")
    findings = lint_certificate(issued.certificate, "caiso-demo")
    raw = HOSTILE_NAMES[kind]
    shown = printable(raw)
    for html_text in (certificate_html(issued.certificate), validation_html(result), findings._repr_html_()):
        assert raw not in html_text
    assert shown in certificate_html(issued.certificate)
    for renderable in (issued.certificate.__rich__(), result.__rich__(), findings.__rich__()):
        text = _rich_text(renderable)
        assert raw not in text and not any(char in text for char in "\x00\x1b\u202e")
    assert shown in _rich_text(issued.certificate.__rich__())


def test_rich_tables_do_not_read_markup_in_values() -> None:
    pki = testing.DemoPki.create()
    issued = pki.issuing_ca.issue(
        "rig", "[bold red]spoof[/] rig-1.example.com", dns_names=["rig-1.example.com"]
    )
    findings = lint_certificate(issued.certificate, "caiso-demo")
    text = _rich_text(TrustStore().add(issued.certificate, role="anchor").__rich__())
    assert "[bold red]spoof[/]" in text
    if findings:
        assert "[bold red]spoof[/]" in _rich_text(findings.__rich__()) or all(
            "spoof" not in f.message for f in findings
        )


def test_expiry_timeline_takes_names_with_dollar_signs() -> None:
    pytest.importorskip("matplotlib")
    pki = testing.DemoPki.create()
    cert = pki.issuing_ca.issue("rig", "$\\frac{broken$ rig.example.com", dns_names=["rig.example.com"])
    assert "data:image/svg+xml;base64," in expiry_timeline_html([cert.certificate, pki.root.certificate])
