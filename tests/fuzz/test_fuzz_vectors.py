"""Every file of the ``cryptography_vectors`` package's ``x509/`` folder through the readers and views.

cryptography's own test data is a collection of real-world oddities (GOST keys, unknown algorithms,
broken extensions, BER, PKITS).  Whatever a file holds, detecting its kind, loading it, describing every
certificate (``to_dict``, the unreadable and unsupported views, the CPS kind) and validating it may
raise only a :class:`~caiso_pki.errors.CaisoPkiError`.  The package is installed with the ``test``
extra at cryptography's version; ``nox -s fuzz`` runs this file with the rest of the fuzz session.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from caiso_pki import lint as lint_module
from caiso_pki import testing, validate_chain
from caiso_pki._source import MAX_INPUT_BYTES, read_file
from caiso_pki.certificate import load_certificates
from caiso_pki.errors import CaisoPkiError
from caiso_pki.kinds import file_kind

vectors = pytest.importorskip("cryptography_vectors")
X509 = Path(vectors.__file__).parent / "x509"
FILES = sorted(path for path in X509.rglob("*") if path.is_file() and path.stat().st_size <= MAX_INPUT_BYTES)
#: Files per test case: enough cases to spread over xdist workers, few enough to keep ids short.
BATCH = 40
AT = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def test_the_vectors_match_the_installed_cryptography() -> None:
    import cryptography

    assert vectors.__version__.split(".")[0] == cryptography.__version__.split(".")[0]
    assert len(FILES) > 1000


@pytest.fixture(scope="module")
def anchor() -> object:
    return testing.DemoPki.create().root.certificate


def _exercise(path: Path, anchor: object) -> None:
    data = read_file(path)
    kind = file_kind(data)
    if kind not in ("certificate", "pkcs7"):
        return
    for cert in load_certificates(data):
        cert.to_dict()
        assert isinstance(cert.unsupported, tuple)
        lint_module.cps_kind(cert)
        result = validate_chain(cert, [], trust=[anchor], revocation="off", at=AT)
        assert result.valid is False  # none of them chains to the demo root


@pytest.mark.parametrize(
    "start", range(0, len(FILES), BATCH), ids=lambda start: f"{start}-{min(start + BATCH, len(FILES)) - 1}"
)
def test_nothing_but_caiso_pki_errors_escape(start: int, anchor: object) -> None:
    escaped = []
    for path in FILES[start : start + BATCH]:
        try:
            _exercise(path, anchor)
        except CaisoPkiError:
            continue
        except Exception as exc:
            escaped.append(f"{path.relative_to(X509)}: {type(exc).__name__}: {exc}")
    assert escaped == []
