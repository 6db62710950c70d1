"""The expiry worker purges at start, then on its interval, off the request path."""

from __future__ import annotations

import threading
import time

from openprofiles.worker.expiry import ExpiryWorker


def test_purges_at_start_then_on_its_interval_until_stopped() -> None:
    calls: list[str] = []
    worker = ExpiryWorker(lambda: calls.append(threading.current_thread().name) or 3, 0.05)
    worker.start()
    deadline = time.time() + 5
    while len(calls) < 3 and time.time() < deadline:
        time.sleep(0.01)
    worker.stop()
    seen = len(calls)
    assert seen >= 3
    assert set(calls) == {"openprofiles-expiry"}  # never on the caller's thread
    assert worker.purged == 3 * seen
    time.sleep(0.15)
    assert len(calls) == seen  # stopped


def test_a_failing_purge_is_retried_later() -> None:
    attempts: list[int] = []

    def purge() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("database is gone")
        return 1

    worker = ExpiryWorker(purge, 0.02)
    worker.start()
    deadline = time.time() + 5
    while len(attempts) < 2 and time.time() < deadline:
        time.sleep(0.01)
    worker.stop()
    assert len(attempts) >= 2 and worker.purged >= 1
