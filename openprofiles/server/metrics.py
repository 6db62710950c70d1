"""Prometheus text-format metrics, kept in process (no client library needed for three series)."""

from __future__ import annotations

import threading
from collections import defaultdict

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str], int] = defaultdict(int)
        self._buckets: dict[str, list[int]] = {}
        self._sums: dict[str, float] = defaultdict(float)
        self._counts: dict[str, int] = defaultdict(int)
        self.in_flight = 0

    def observe(self, operation: str, status: int, seconds: float) -> None:
        operation = operation or "unknown"
        with self._lock:
            self._requests[(operation, str(status))] += 1
            buckets = self._buckets.setdefault(operation, [0] * len(_BUCKETS))
            for i, bound in enumerate(_BUCKETS):
                if seconds <= bound:
                    buckets[i] += 1
            self._sums[operation] += seconds
            self._counts[operation] += 1

    def render(self) -> str:
        lines = [
            "# HELP openprofiles_requests_total Requests answered, by operation and status.",
            "# TYPE openprofiles_requests_total counter",
        ]
        with self._lock:
            for (operation, status), count in sorted(self._requests.items()):
                lines.append(
                    f'openprofiles_requests_total{{operation="{operation}",status="{status}"}} '
                    f"{count}"
                )
            lines += [
                "# HELP openprofiles_request_duration_seconds Time to answer a request.",
                "# TYPE openprofiles_request_duration_seconds histogram",
            ]
            for operation, buckets in sorted(self._buckets.items()):
                label = f'operation="{operation}"'
                for bound, count in zip(_BUCKETS, buckets, strict=True):
                    lines.append(
                        f'openprofiles_request_duration_seconds_bucket{{{label},le="{bound}"}} '
                        f"{count}"
                    )
                total = self._counts[operation]
                lines.append(
                    f'openprofiles_request_duration_seconds_bucket{{{label},le="+Inf"}} {total}'
                )
                lines.append(
                    f"openprofiles_request_duration_seconds_sum{{{label}}} "
                    f"{self._sums[operation]:.6f}"
                )
                lines.append(f"openprofiles_request_duration_seconds_count{{{label}}} {total}")
            lines += [
                "# HELP openprofiles_requests_in_flight Requests being answered now.",
                "# TYPE openprofiles_requests_in_flight gauge",
                f"openprofiles_requests_in_flight {self.in_flight}",
            ]
        return "\n".join(lines) + "\n"
