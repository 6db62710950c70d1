"""The hand-written Prometheus exposition."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_job_durations_are_a_histogram_by_kind_and_status() -> None:
    from openprofiles.server.metrics import observe_job

    name = "openprofiles_job_duration_seconds"
    labels = 'kind="test_metrics_job",status="succeeded"'
    before = Metrics().render()
    assert f"{name}_count{{{labels}}}" not in before
    for seconds in (0.05, 2.0, 7200.0):
        observe_job("test_metrics_job", seconds, "succeeded")
    observe_job("test_metrics_job", 1.0, "failed")
    text = Metrics().render()  # process-wide: every server of the process shows them
    assert f'{name}_bucket{{{labels},le="0.1"}} 1\n' in text
    assert f'{name}_bucket{{{labels},le="5.0"}} 2\n' in text
    assert f'{name}_bucket{{{labels},le="3600.0"}} 2\n' in text
    assert f'{name}_bucket{{{labels},le="+Inf"}} 3\n' in text
    assert f"{name}_sum{{{labels}}} 7202.050000\n" in text
    assert f'{name}_count{{kind="test_metrics_job",status="failed"}} 1\n' in text


def test_ingest_counters() -> None:
    metrics = Metrics()
    text = metrics.render()
    assert 'openprofiles_objects_ingested_total{profile="created"} 0\n' in text
    metrics.count_ingest(3, 2, {})
    metrics.count_ingest(0, 0, {"invalid": 4})
    metrics.count_ingest(1, 0, {"invalid": 1, "not_found": 2})
    text = metrics.render()
    assert 'openprofiles_objects_ingested_total{profile="created"} 4\n' in text
    assert 'openprofiles_objects_ingested_total{profile="existing"} 2\n' in text
    assert 'openprofiles_objects_rejected_total{reason="invalid"} 5\n' in text
    assert 'openprofiles_objects_rejected_total{reason="not_found"} 2\n' in text


def test_pool_figures_of_a_sqlite_database(tmp_path: Path) -> None:
    from openprofiles.storage.database import Database

    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        with database.read():
            text = Metrics().render(database)
            assert 'openprofiles_db_pool_checked_out{pool="read"} 1\n' in text
        text = Metrics().render(database)
        assert 'openprofiles_db_pool_size{pool="read"} 8\n' in text
        assert 'openprofiles_db_pool_size{pool="write"} 1\n' in text
        assert 'openprofiles_db_pool_checked_out{pool="read"} 0\n' in text
        assert "# TYPE openprofiles_db_pool_overflow gauge\n" in text
    finally:
        database.close()


def test_timed_job_records_success_and_failure() -> None:
    from openprofiles.server.metrics import timed_job

    def boom() -> int:
        raise RuntimeError("no")

    assert timed_job("test_timed", lambda: 42)() == 42
    with pytest.raises(RuntimeError):
        timed_job("test_timed", boom)()
    text = Metrics().render()
    name = "openprofiles_job_duration_seconds_count"
    assert f'{name}{{kind="test_timed",status="succeeded"}} 1\n' in text
    assert f'{name}{{kind="test_timed",status="failed"}} 1\n' in text
