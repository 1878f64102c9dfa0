"""The Prometheus text format for :class:`~caiso_pki.monitoring.FleetMetrics`, written by prometheus_client.

:func:`render_prometheus` is what ``caiso-pki audit --format prometheus`` writes (for node_exporter's
textfile collector) and what ``caiso-pki exporter`` serves at ``/metrics``.  :class:`SnapshotCollector`
is a prometheus_client custom collector over a snapshot, for services that already run a
prometheus_client registry::

    from prometheus_client import REGISTRY
    collector = SnapshotCollector(lambda: latest_snapshot)
    REGISTRY.register(collector)

prometheus_client is the optional ``monitor`` extra (``pip install 'caiso-pki[monitor]'``), imported
only here; without it :class:`MonitorUnavailableError` says how to get it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Final

from caiso_pki._convert import callable_or_none, instance, instances, kind_of
from caiso_pki.errors import CaisoPkiError, MalformedInputError
from caiso_pki.monitoring import FleetMetrics, MetricFamily

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

__all__ = [
    "CONTENT_TYPE",
    "MonitorUnavailableError",
    "SnapshotCollector",
    "render_families",
    "render_prometheus",
]

#: The media type of the text format 0.0.4 that :func:`render_prometheus` writes.
CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"


class MonitorUnavailableError(CaisoPkiError):
    """prometheus_client is not installed; ``pip install 'caiso-pki[monitor]'`` provides it."""


def _require() -> None:
    try:
        import prometheus_client  # noqa: F401
    except ImportError as exc:
        raise MonitorUnavailableError(
            f"Prometheus output needs prometheus_client ({exc}): pip install 'caiso-pki[monitor]'"
        ) from exc


def _metric(family: MetricFamily) -> Metric:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    spec = family.spec
    labels = list(family.label_names)
    metric: GaugeMetricFamily | CounterMetricFamily
    if spec.type == "counter":
        metric = CounterMetricFamily(spec.name, spec.help, labels=labels)
    else:
        metric = GaugeMetricFamily(spec.name, spec.help, labels=labels)
    for values, value in family.samples:
        metric.add_metric(list(values), value)
    return metric


class SnapshotCollector:
    """A prometheus_client collector that reports the snapshot ``source`` holds when it is collected.

    ``source`` is a :class:`~caiso_pki.monitoring.FleetMetrics` or a function returning the latest one
    (and families of its own, with ``extra``); collecting never scans anything.  A function that
    returns something else raises :class:`~caiso_pki.errors.MalformedInputError` when collected.
    """

    def __init__(
        self,
        source: FleetMetrics | Callable[[], FleetMetrics],
        *,
        extra: Callable[[], Iterable[MetricFamily]] | None = None,
    ) -> None:
        if not isinstance(source, FleetMetrics) and not callable(source):
            raise MalformedInputError(
                f"source: expected FleetMetrics or a function returning them, got {kind_of(source)}"
            )
        _require()
        self._source = source
        self._extra = callable_or_none(extra, "extra")

    def collect(self) -> Iterator[Metric]:
        """The snapshot's metric families (prometheus_client's ``Collector`` protocol)."""
        snapshot = self._source if isinstance(self._source, FleetMetrics) else self._source()
        instance(snapshot, FleetMetrics, "source()", "FleetMetrics")
        for family in snapshot.families():
            yield _metric(family)
        if self._extra is not None:
            for family in instances(self._extra(), MetricFamily, "extra()", "MetricFamily values"):
                yield _metric(family)


def render_families(families: Iterable[MetricFamily]) -> bytes:
    """Metric families in the Prometheus text format 0.0.4 (UTF-8)."""
    families = instances(families, MetricFamily, "families", "MetricFamily values")
    _require()
    from prometheus_client import CollectorRegistry, generate_latest

    class _Fixed:
        def collect(self) -> Iterator[Metric]:
            for family in families:
                yield _metric(family)

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed())
    return generate_latest(registry)


def render_prometheus(metrics: FleetMetrics) -> str:
    """The Prometheus text exposition format (0.0.4) of ``metrics``, every family of
    :data:`~caiso_pki.monitoring.METRICS` with its HELP and TYPE lines.

    Label values are escaped by prometheus_client (backslash, double quote, newline), so certificate
    names cannot forge series.  Raises :class:`MonitorUnavailableError` without prometheus_client.
    """
    instance(metrics, FleetMetrics, "metrics", "FleetMetrics (from fleet_metrics or FleetMonitor.scan)")
    return render_families(metrics.families()).decode("utf-8")
