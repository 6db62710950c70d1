"""The hand-written Prometheus exposition."""

from __future__ import annotations

from openprofiles.server.metrics import Metrics


def test_histogram_buckets_are_cumulative() -> None:
    metrics = Metrics()
    for seconds in (0.0005, 0.003, 0.003, 20.0):
        metrics.observe("customer-profiles", "GetDomain", 200, seconds)
    metrics.observe("customer-profiles", "", 404, 0.001)
    text = metrics.render()
    prefix = 'openprofiles_request_duration_seconds_bucket{service="customer-profiles",'
    assert prefix + 'operation="GetDomain",le="0.001"} 1' in text
    assert prefix + 'operation="GetDomain",le="0.005"} 3' in text
    assert prefix + 'operation="GetDomain",le="10.0"} 3' in text
    assert prefix + 'operation="GetDomain",le="+Inf"} 4' in text
    assert (
        'openprofiles_requests_total{service="customer-profiles",operation="unknown",'
        'status="404"} 1'
    ) in text
    assert text.endswith("openprofiles_requests_in_flight 0\n")


def test_every_series_has_help_and_type() -> None:
    text = Metrics().render()
    for name, kind in [
        ("openprofiles_requests_total", "counter"),
        ("openprofiles_request_duration_seconds", "histogram"),
        ("openprofiles_requests_in_flight", "gauge"),
    ]:
        assert f"# TYPE {name} {kind}\n" in text
        assert f"# HELP {name} " in text
