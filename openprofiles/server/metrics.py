"""Prometheus text-format metrics, kept in process (no client library needed for a dozen series).

Per server (:class:`Metrics`, one per app):

- ``openprofiles_requests_total{service,operation,status}`` (counter),
  ``openprofiles_request_duration_seconds{service,operation}`` (histogram),
  ``openprofiles_requests_in_flight`` (gauge);
- ``openprofiles_objects_ingested_total{profile}`` (counter): objects stored by the ingestion
  engine once their transaction committed, ``profile`` ``created`` (the object made an
  inferred profile) or ``existing``; ``openprofiles_objects_rejected_total{reason}`` (counter):
  objects refused, ``reason`` the error kind (``invalid``, ``not_found``, ...). Their rates are
  the ingest rates; neither names a domain, so the number of series stays small.

Of the database handed to :meth:`Metrics.render`:

- ``openprofiles_db_pool_size{pool}``, ``openprofiles_db_pool_checked_out{pool}``,
  ``openprofiles_db_pool_overflow{pool}`` (gauges): SQLAlchemy's connection pools (``read`` and
  ``write`` on SQLite, ``main`` on PostgreSQL);
- on SQLite the group commit's ``openprofiles_write_groups_total`` and
  ``openprofiles_grouped_writes_total`` (counters: their ratio is the number of writes one
  commit served).

Process-wide, for background work:

- ``openprofiles_job_duration_seconds{kind,status}`` (histogram): how long each job or run
  took. Whatever runs jobs (identity-resolution jobs, integration runs, exports) reports each
  one when it ends with :func:`observe_job`::

      from openprofiles.server.metrics import observe_job

      started = time.perf_counter()
      ...  # the job
      observe_job("identity_resolution", time.perf_counter() - started, "succeeded")

  ``kind`` names the sort of job (a few fixed words, never a domain or a job id) and
  ``status`` how it ended (``succeeded``, ``failed``, ``cancelled``, ...). The buckets reach
  an hour, since jobs take from seconds to tens of minutes. :func:`timed_job` wraps a
  callable so that each call is recorded. The server records its purge of expired objects
  as kind ``expiry``, each integration run as ``integration`` (status ``completed`` or
  ``failed``, told by the flow runner's ``on_run_end``) and each identity-resolution job as
  ``identity_resolution`` (``completed``, ``partial_success``, ``failed`` or ``interrupted``,
  told by the job runner's ``on_job_end``).
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_JOB_BUCKETS = (0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Histogram:
    __slots__ = ("bounds", "buckets", "count", "total")

    def __init__(self, bounds: Sequence[float] = _BUCKETS) -> None:
        self.bounds = bounds
        self.buckets = [0] * len(bounds)  # per bucket, not cumulative: render adds them up
        self.count = 0
        self.total = 0.0

    def add(self, seconds: float) -> None:
        index = bisect_left(self.bounds, seconds)
        if index < len(self.bounds):
            self.buckets[index] += 1
        self.count += 1
        self.total += seconds

    def lines(self, name: str, labels: str) -> Iterable[str]:
        cumulative = 0
        for bound, count in zip(self.bounds, self.buckets, strict=True):
            cumulative += count
            yield f'{name}_bucket{{{labels},le="{bound}"}} {cumulative}'
        yield f'{name}_bucket{{{labels},le="+Inf"}} {self.count}'
        yield f"{name}_sum{{{labels}}} {self.total:.6f}"
        yield f"{name}_count{{{labels}}} {self.count}"


def _label(value: str) -> str:
    """A label value as the text format wants it: backslash, quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class _Jobs:
    """The process's job durations (see :func:`observe_job`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._durations: dict[tuple[str, str], _Histogram] = {}

    def observe(self, kind: str, seconds: float, status: str) -> None:
        with self._lock:
            histogram = self._durations.get((kind, status))
            if histogram is None:
                histogram = self._durations[(kind, status)] = _Histogram(_JOB_BUCKETS)
            histogram.add(seconds)

    def lines(self) -> list[str]:
        name = "openprofiles_job_duration_seconds"
        lines = [
            f"# HELP {name} Time a background job or run took, by kind and how it ended.",
            f"# TYPE {name} histogram",
        ]
        with self._lock:
            for (kind, status), histogram in sorted(self._durations.items()):
                lines += histogram.lines(name, f'kind="{_label(kind)}",status="{_label(status)}"')
        return lines


_JOBS = _Jobs()


def observe_job(kind: str, seconds: float, status: str) -> None:
    """Record one finished job or run: its ``kind`` (e.g. ``identity_resolution``,
    ``integration``), how long it took and how it ended (``succeeded``, ``failed``, ...).
    Safe from any thread; shown by every server of the process under
    ``openprofiles_job_duration_seconds{kind,status}``."""
    _JOBS.observe(kind, seconds, status)


def timed_job(kind: str, run: Callable[[], T]) -> Callable[[], T]:
    """``run``, recording each call's duration with :func:`observe_job` as ``succeeded``, or
    ``failed`` when it raises (the exception goes on)."""

    def timed() -> T:
        started = time.perf_counter()
        status = "failed"
        try:
            result = run()
            status = "succeeded"
            return result
        finally:
            observe_job(kind, time.perf_counter() - started, status)

    return timed


class Metrics:
    def __init__(self) -> None:
        # Requests are answered on the event loop, but handlers may record from worker threads.
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self._durations: dict[tuple[str, str], _Histogram] = {}
        self._ingested: dict[str, int] = defaultdict(int)
        self._rejected: dict[str, int] = defaultdict(int)
        self.in_flight = 0

    def observe(self, service: str, operation: str, status: int, seconds: float) -> None:
        """Count one answered request and its duration."""
        operation = operation or "unknown"
        with self._lock:
            self._requests[(service, operation, status)] += 1
            histogram = self._durations.get((service, operation))
            if histogram is None:
                histogram = self._durations[(service, operation)] = _Histogram()
            histogram.add(seconds)

    def count_ingest(self, created: int, existing: int, rejected: dict[str, int]) -> None:
        """Count objects the ingestion engine stored (on a ``created`` profile or an
        ``existing`` one) and those it refused, by reason."""
        with self._lock:
            self._ingested["created"] += created
            self._ingested["existing"] += existing
            for reason, count in rejected.items():
                self._rejected[reason] += count

    def render(self, database: Any = None) -> str:
        """The Prometheus text exposition of every series (and ``database``'s pools)."""
        lines = [
            "# HELP openprofiles_requests_total Requests answered, by service, operation, status.",
            "# TYPE openprofiles_requests_total counter",
        ]
        with self._lock:
            for (service, operation, status), count in sorted(self._requests.items()):
                lines.append(
                    f'openprofiles_requests_total{{service="{service}",operation="{operation}",'
                    f'status="{status}"}} {count}'
                )
            lines += [
                "# HELP openprofiles_request_duration_seconds Time to answer a request.",
                "# TYPE openprofiles_request_duration_seconds histogram",
            ]
            name = "openprofiles_request_duration_seconds"
            for (service, operation), histogram in sorted(self._durations.items()):
                lines += histogram.lines(name, f'service="{service}",operation="{operation}"')
            lines += [
                "# HELP openprofiles_objects_ingested_total Objects stored by the ingestion "
                "engine, by whether their profile was created for them.",
                "# TYPE openprofiles_objects_ingested_total counter",
            ]
            for profile in ("created", "existing"):
                count = self._ingested.get(profile, 0)
                lines.append(f'openprofiles_objects_ingested_total{{profile="{profile}"}} {count}')
            lines += [
                "# HELP openprofiles_objects_rejected_total Objects the ingestion engine "
                "refused, by reason.",
                "# TYPE openprofiles_objects_rejected_total counter",
            ]
            for reason, count in sorted(self._rejected.items()):
                lines.append(f'openprofiles_objects_rejected_total{{reason="{reason}"}} {count}')
        lines += _JOBS.lines()
        lines += _pool_lines(database)
        with self._lock:
            lines += [
                "# HELP openprofiles_requests_in_flight Requests being answered now.",
                "# TYPE openprofiles_requests_in_flight gauge",
                f"openprofiles_requests_in_flight {self.in_flight}",
            ]
        if getattr(database, "dialect", None) == "sqlite":
            lines += [
                "# HELP openprofiles_write_groups_total Write transactions committed for groups "
                "of requests.",
                "# TYPE openprofiles_write_groups_total counter",
                f"openprofiles_write_groups_total {database.write_groups}",
                "# HELP openprofiles_grouped_writes_total Requests' writes made in those groups.",
                "# TYPE openprofiles_grouped_writes_total counter",
                f"openprofiles_grouped_writes_total {database.grouped_writes}",
            ]
        return "\n".join(lines) + "\n"


_POOL_SERIES = (
    ("size", "Connections the pool keeps open."),
    ("checked_out", "Connections in use now."),
    ("overflow", "Connections open beyond the pool's size (negative: fewer opened yet)."),
)


def _pool_lines(database: Any) -> list[str]:
    pools = database.pool_figures() if hasattr(database, "pool_figures") else {}
    if not pools:
        return []
    lines: list[str] = []
    for series, text in _POOL_SERIES:
        name = f"openprofiles_db_pool_{series}"
        lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge"]
        for pool_name, figures in sorted(pools.items()):
            lines.append(f'{name}{{pool="{pool_name}"}} {figures[series]}')
    return lines
