"""Expiry: deletes profile objects past their ExpirationDays, on a thread of its own.

Reads already hide an expired object the moment it expires; this reclaims its rows. It runs
beside the request path, not in it, so a large purge never delays a request: each chunk is its
own short write transaction.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 60.0


class ExpiryWorker:
    """Calls ``purge`` at start and then every ``interval`` seconds until stopped."""

    def __init__(self, purge: Callable[[], int], interval: float = INTERVAL_SECONDS) -> None:
        self._purge = purge
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.purged = 0  # objects deleted so far

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="openprofiles-expiry", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.purged += self._purge()
            except Exception:
                log.exception("purging expired profile objects failed; retrying later")
            self._stop.wait(self._interval)
