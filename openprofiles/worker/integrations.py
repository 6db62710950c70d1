"""The integrations' scheduler: starts each Scheduled flow when its time comes, on a thread of
its own (as worker/expiry.py purges).

Each integration keeps its next scheduled time in the database (``integrations.next_run_at``,
worked out from its ScheduleExpression by the services' clock), so a restarted server keeps
its schedule; a time missed while the server was down runs once when it is back. The clock is
the services' (injectable: tests move it and call :meth:`FlowScheduler.tick`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 5.0


class FlowScheduler:
    """Calls ``run_due`` (``FlowRunner.due_runs``) every ``interval`` seconds until stopped."""

    def __init__(
        self, run_due: Callable[[], list[Any]], interval: float = INTERVAL_SECONDS
    ) -> None:
        self._run_due = run_due
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0  # scheduled runs started so far

    def tick(self) -> int:
        """Start the runs that are due now; how many."""
        started = len(self._run_due())
        self.runs += started
        return started

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name="openprofiles-flow-scheduler", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.tick()
            except Exception:
                log.exception("starting scheduled integration runs failed; retrying later")
