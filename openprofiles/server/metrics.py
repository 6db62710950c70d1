"""Prometheus text-format metrics, kept in process (no client library needed for three series).

``openprofiles_requests_total{service,operation,status}`` (counter),
``openprofiles_request_duration_seconds{service,operation}`` (histogram),
``openprofiles_requests_in_flight`` (gauge), and on SQLite the group commit's
``openprofiles_write_groups_total`` and ``openprofiles_grouped_writes_total`` (counters: their
ratio is the number of writes one commit served).
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import defaultdict
from typing import Any

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Histogram:
    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        self.buckets = [0] * len(_BUCKETS)  # per bucket, not cumulative: render adds them up
        self.count = 0
        self.total = 0.0


class Metrics:
    def __init__(self) -> None:
        # Requests are answered on the event loop, but handlers may record from worker threads.
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self._durations: dict[tuple[str, str], _Histogram] = {}
        self.in_flight = 0

    def observe(self, service: str, operation: str, status: int, seconds: float) -> None:
        """Count one answered request and its duration."""
        operation = operation or "unknown"
        with self._lock:
            self._requests[(service, operation, status)] += 1
            histogram = self._durations.get((service, operation))
            if histogram is None:
                histogram = self._durations[(service, operation)] = _Histogram()
            index = bisect_left(_BUCKETS, seconds)
            if index < len(_BUCKETS):
                histogram.buckets[index] += 1
            histogram.count += 1
            histogram.total += seconds

    def render(self, database: Any = None) -> str:
        """The Prometheus text exposition of every series (and ``database``'s group commit)."""
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
                labels = f'service="{service}",operation="{operation}"'
                cumulative = 0
                for bound, count in zip(_BUCKETS, histogram.buckets, strict=True):
                    cumulative += count
                    lines.append(f'{name}_bucket{{{labels},le="{bound}"}} {cumulative}')
                lines.append(f'{name}_bucket{{{labels},le="+Inf"}} {histogram.count}')
                lines.append(f"{name}_sum{{{labels}}} {histogram.total:.6f}")
                lines.append(f"{name}_count{{{labels}}} {histogram.count}")
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
