"""Running identity resolution jobs: read the domain, find matches, merge, export.

A job is a row (storage/repositories/jobs.py). The runner claims a PENDING one (so two servers
on one database never run it twice), and then moves it through PREPROCESSING (the engine reads
the domain's profiles, which the runner hands it in batches, one short read each),
FIND_MATCHING (the engine scores and clusters; the runner stores the groups in batches, then
makes them the domain's in one short write, replacing the previous job's), MERGING (only with
AutoMerging enabled: one merge per set of profiles the Consolidation rules link) and on to
COMPLETED, PARTIAL_SUCCESS (matches stored, but a merge or the export failed: Message says which)
or FAILED (nothing stored: Message says why).

While a job runs its runner writes a heartbeat every few seconds. A job whose heartbeat has
stopped (its server was killed) is an orphan: :func:`recover_orphans` puts it back to PENDING
to run again from the start, or fails it once it has been tried ``MAX_ATTEMPTS`` times. A server
stopping cleanly puts its job back to PENDING at once.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from openprofiles.clock import Clock
from openprofiles.resolution import get_engine
from openprofiles.resolution.engine import (
    Engine,
    MatchGroup,
    Progress,
    ResolutionRecord,
    ResolutionSettings,
)
from openprofiles.services.auto_merge import plan_merges
from openprofiles.services.matches import candidates
from openprofiles.services.matching import AutoMergeRules, domain_auto_merge
from openprofiles.services.merges import auto_merge_origin, merge_in
from openprofiles.storage.database import Database
from openprofiles.storage.repositories import domains as domain_repo
from openprofiles.storage.repositories import jobs as repo
from openprofiles.storage.repositories import match_keys as key_repo
from openprofiles.storage.repositories import matches as match_repo
from openprofiles.storage.repositories.domains import DomainRecord
from openprofiles.storage.repositories.jobs import JobRecord
from openprofiles.storage.repositories.matches import MatchRow

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
STALE_SECONDS = 10.0  # a running job whose heartbeat is older is an orphan
MAX_ATTEMPTS = 3
READ_BATCH = 5000
WRITE_BATCH = 1000
MERGE_BATCH = 200
MESSAGE_MAX = 2048

MergeIn = Callable[..., Any]


class Exporter(Protocol):
    """Writes a job's match groups (JSON Lines) under a bucket and key prefix; returns the
    ExportingLocation it wrote."""

    def __call__(
        self, bucket: str, prefix: str, domain: str, job_id: str, lines: Iterator[str]
    ) -> dict[str, Any]: ...


class JobInterrupted(Exception):
    """The runner was told to stop (the server is shutting down)."""


def runner_name() -> str:
    """This process, as a job's ``runner``."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def default_engine() -> Engine:
    """The default engine (Splink on DuckDB)."""
    return get_engine()


def default_merge() -> MergeIn | None:
    """services/merges.py's ``merge_in``: a merge inside the job's write transaction."""
    return merge_in


def _message(text: str) -> str:
    return text if len(text) <= MESSAGE_MAX else text[: MESSAGE_MAX - 3] + "..."


@dataclass
class _Run:
    job: JobRecord
    domain: DomainRecord
    began: datetime  # when this attempt began reading the domain
    reviewed: int = 0
    stage: str = repo.PREPROCESSING
    trained: dict[str, Any] | None = None


class JobRunner:
    """Executes jobs, one at a time per call of :meth:`run`."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        engine: Callable[[], Engine] = default_engine,
        merge: Callable[[], MergeIn | None] = default_merge,
        exporter: Exporter | None = None,
        runner: str | None = None,
        settings: ResolutionSettings | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.engine = engine
        self.merge = merge
        self.exporter = exporter
        self.runner = runner or runner_name()
        self.settings = settings or ResolutionSettings()
        self.stop = threading.Event()
        # Told (seconds, status as it ended: COMPLETED, PARTIAL_SUCCESS, FAILED, or PENDING
        # when interrupted) after each job run, e.g. the server's job-duration metrics.
        self.on_job_end: Callable[[float, str], None] | None = None

    def run(self, job_id: str, progress: Progress | None = None) -> JobRecord | None:
        """Claim and run a PENDING job; the job as it ended, None when another runner has it."""
        with self.database.write() as conn:
            if not repo.claim(conn, job_id, self.runner, int(time.time()), self.clock.now()):
                return None
        started = time.perf_counter()
        ended = self._run_claimed(job_id, progress)
        if self.on_job_end is not None and ended is not None:
            self.on_job_end(time.perf_counter() - started, ended.status)
        return ended

    def _run_claimed(self, job_id: str, progress: Progress | None) -> JobRecord | None:
        with self._heartbeat(job_id):
            try:
                self._execute(job_id, progress)
            except JobInterrupted:
                self._finish(job_id, repo.PENDING, None, ended=False)
            except Exception as exc:
                log.exception("identity resolution job %s failed", job_id)
                self._finish(job_id, repo.FAILED, f"The job failed: {exc}")
        with self.database.read() as conn:
            return repo.find(conn, job_id)

    @contextmanager
    def _heartbeat(self, job_id: str) -> Iterator[None]:
        done = threading.Event()

        def beat() -> None:
            while not done.wait(HEARTBEAT_SECONDS):
                try:
                    with self.database.write() as conn:
                        repo.beat(conn, [job_id], self.runner, int(time.time()))
                except Exception:
                    log.exception("job %s: heartbeat failed", job_id)

        thread = threading.Thread(target=beat, name="openprofiles-job-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(10)

    def _set(self, job_id: str, **values: Any) -> None:
        with self.database.write() as conn:
            if not repo.release(conn, job_id, self.runner, self.clock.now(), **values):
                raise JobInterrupted()  # the job was taken from this runner (or deleted)

    def _finish(self, job_id: str, status: str, message: str | None, ended: bool = True) -> None:
        values: dict[str, Any] = {"status": status}
        if status != repo.PENDING:
            values["message"] = message and _message(message)
        if ended:
            values["ended_at"] = self.clock.now()
        if status == repo.PENDING:
            values["runner"] = None
            values["attempts"] = repo.forget_attempt()
        with self.database.write() as conn:
            repo.release(conn, job_id, self.runner, self.clock.now(), **values)

    def _execute(self, job_id: str, progress: Progress | None) -> None:
        with self.database.read() as conn:
            job = repo.find(conn, job_id)
            domain = None if job is None else domain_repo.find_by_id(conn, job.domain_id)
        if job is None or domain is None:
            return  # the domain was deleted, and its jobs with it
        run = _Run(job, domain, self.clock.now())
        with self.database.write() as conn:
            match_repo.delete_job(conn, domain.id, job_id)  # an earlier attempt's
            repo.release(conn, job_id, self.runner, run.began, read_from=run.began)

        def on_progress(stage: str, done: int, total: int) -> None:
            if self.stop.is_set():
                raise JobInterrupted()
            if stage != run.stage and stage in (repo.PREPROCESSING, repo.FIND_MATCHING):
                run.stage = stage
                self._set(job_id, status=stage)
            if progress is not None:
                progress(stage, done, total)

        engine = self.engine()
        groups = engine.resolve(self._records(run), self.settings, on_progress)
        run.trained = dict(engine.trained_model())
        if run.stage != repo.FIND_MATCHING:
            run.stage = repo.FIND_MATCHING
            self._set(job_id, status=repo.FIND_MATCHING)
        rows = self._store(run, groups)
        problems: list[str] = []
        rules = domain_auto_merge({"AutoMerging": job.auto_merging or {}})
        if rules is not None:
            self._set(job_id, status=repo.MERGING)
            problems += self._merge(run, rows, rules, progress)
        problems += self._export(run)
        if problems:
            self._finish(job_id, repo.PARTIAL_SUCCESS, " ".join(problems))
        else:
            self._finish(job_id, repo.COMPLETED, job.message)

    def _records(self, run: _Run) -> Iterator[ResolutionRecord]:
        after = ""
        while True:
            if self.stop.is_set():
                raise JobInterrupted()
            with self.database.read() as conn:
                page = match_repo.profile_page(conn, run.domain.id, after, READ_BATCH)
            if not page:
                return
            for profile_id, document in page:
                yield ResolutionRecord(profile_id, document)
            run.reviewed += len(page)
            after = page[-1][0]

    def _store(self, run: _Run, groups: Sequence[MatchGroup]) -> list[MatchRow]:
        """Write the groups (highest confidence first), then make them the domain's."""
        from openprofiles import ids

        ordered = sorted(groups, key=lambda g: (-g.confidence, sorted(g.profile_ids)))
        rows = [
            MatchRow(i, ids.new_match_id(), tuple(g.profile_ids), min(1.0, max(0.0, g.confidence)))
            for i, g in enumerate(ordered)
        ]
        domain_id, job_id = run.domain.id, run.job.job_id
        for start in range(0, len(rows), WRITE_BATCH):
            if self.stop.is_set():
                raise JobInterrupted()
            with self.database.write() as conn:
                match_repo.insert(
                    conn, domain_id, job_id, rows[start : start + WRITE_BATCH], self.clock.now()
                )
        now = self.clock.now()
        with self.database.write() as conn:
            if not repo.release(
                conn,
                job_id,
                self.runner,
                now,
                matches_at=now,
                matches_found=len(rows),
                profiles_reviewed=run.reviewed,
            ):
                raise JobInterrupted()
            match_repo.make_current(conn, domain_id, job_id)
            if run.trained:
                key_repo.save_model(conn, domain_id, job_id, run.trained, now)
            # Real-time groups made before the job read the domain are in its groups now.
            match_repo.drop_realtime_before(conn, domain_id, run.began)
            older = match_repo.older_jobs(conn, domain_id, job_id)
        for old in older:
            with self.database.write() as conn:
                match_repo.delete_job(conn, domain_id, old)
        return rows

    def _merge(
        self,
        run: _Run,
        rows: Sequence[MatchRow],
        rules: AutoMergeRules,
        progress: Progress | None,
    ) -> list[str]:
        merge_in = self.merge()
        if merge_in is None:
            return ["Auto-merging is enabled but this server cannot merge profiles yet."]
        done = failed = 0
        first_error = ""
        domain_id = run.domain.id
        origin = auto_merge_origin(run.job.job_id)
        for start in range(0, len(rows), MERGE_BATCH):
            if self.stop.is_set():
                raise JobInterrupted()
            batch = rows[start : start + MERGE_BATCH]
            with self.database.read() as conn:
                facts = match_repo.profile_facts(
                    conn, domain_id, [pid for row in batch for pid in row.profile_ids]
                )
            plans = [
                plan
                for row in batch
                for plan in plan_merges(candidates(facts, row.profile_ids), row.confidence, rules)
            ]
            with self.database.write() as conn:
                for plan in plans:
                    try:
                        with conn.begin_nested():
                            merge_in(
                                conn,
                                run.domain,
                                plan.main_profile_id,
                                list(plan.profile_ids),
                                plan.field_sources,
                                now=self.clock.now(),
                                origin=origin,
                            )
                        done += 1
                    except Exception as exc:
                        failed += 1
                        first_error = first_error or str(exc)
            self._set(run.job.job_id, merges_done=run.job.merges_done + done)
            if progress is not None:
                progress(repo.MERGING, min(start + MERGE_BATCH, len(rows)), len(rows))
        if failed:
            return [f"{failed} of {done + failed} merges failed; the first: {first_error}"]
        return []

    def _export(self, run: _Run) -> list[str]:
        s3 = (run.job.exporting_config or {}).get("S3Exporting")
        if not s3:
            return []
        bucket, prefix = s3["S3BucketName"], s3.get("S3KeyName") or ""
        if self.exporter is None:
            return [f"Exporting to s3://{bucket}/{prefix} is not available on this server."]
        from openprofiles.worker.export import match_lines

        try:
            lines = match_lines(self.database, run.domain, run.job)
            location = self.exporter(bucket, prefix, run.domain.name, run.job.job_id, lines)
        except Exception as exc:
            log.warning("job %s: export failed: %s", run.job.job_id, exc)
            return [f"The matches are stored, but exporting them to s3://{bucket}/{prefix} "
                    f"failed: {exc}"]  # fmt: skip
        self._set(run.job.job_id, exporting_location=json.dumps(location))
        return []


def recover_orphans(database: Database, clock: Clock, stale: float = STALE_SECONDS) -> list[str]:
    """Put each running job whose heartbeat has stopped back to PENDING, or fail it after
    ``MAX_ATTEMPTS``; the ids of the jobs put back."""
    cutoff = int(time.time() - stale)
    resumed: list[str] = []
    with database.write() as conn:
        for job in repo.running(conn):
            if job.heartbeat is not None and job.heartbeat >= cutoff:
                continue
            now = clock.now()
            if job.attempts >= MAX_ATTEMPTS:
                repo.update_job(
                    conn,
                    job.job_id,
                    now,
                    status=repo.FAILED,
                    ended_at=now,
                    runner=None,
                    message=f"The server running this job stopped during {job.status}, "
                    f"{job.attempts} times; start a new job.",
                )
            else:
                repo.update_job(
                    conn,
                    job.job_id,
                    now,
                    status=repo.PENDING,
                    runner=None,
                    message=f"Restarted: the server running this job stopped during {job.status}.",
                )
                resumed.append(job.job_id)
    return resumed
