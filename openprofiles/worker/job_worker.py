"""The identity resolution worker: a thread that queues each domain's weekly job when its
JobSchedule comes, runs PENDING jobs one after another, and takes back the jobs of a server
that stopped mid-job (worker/resolution_jobs.py). A job started on demand wakes it at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from openprofiles.clock import Clock
from openprofiles.storage.database import Database
from openprofiles.storage.repositories import jobs as repo
from openprofiles.worker.resolution_jobs import JobRunner, recover_orphans
from openprofiles.worker.schedule import queue_due_jobs

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 15.0


class JobWorker:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        runner: JobRunner,
        interval: float = INTERVAL_SECONDS,
        after_job: Callable[[int], None] | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.runner = runner
        self.interval = interval
        # Given the domain of each job that stored matches (the real-time matcher indexes it).
        self.after_job = after_job
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="openprofiles-jobs", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for work now (a job was queued)."""
        self._wake.set()

    def stop(self) -> None:
        """Stop; a job under way goes back to PENDING for the next start."""
        self._stop.set()
        self.runner.stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(60)
            self._thread = None

    def step(self) -> int:
        """One look: orphans, due schedules, then every PENDING job; the jobs run."""
        recover_orphans(self.database, self.clock)
        queue_due_jobs(self.database, self.clock)
        ran = 0
        while not self._stop.is_set():
            with self.database.read() as conn:
                pending = repo.pending(conn)
            if not pending:
                break
            for job_id in pending:
                if self._stop.is_set():
                    break
                job = self.runner.run(job_id)
                if job is None:
                    continue
                ran += 1
                if self.after_job is not None and job.status in (
                    repo.COMPLETED,
                    repo.PARTIAL_SUCCESS,
                ):
                    try:
                        self.after_job(job.domain_id)
                    except Exception:
                        log.exception("after job %s", job_id)
        return ran

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.step()
            except Exception:
                log.exception("identity resolution worker: a look failed; trying again later")
            self._wake.wait(self.interval)
