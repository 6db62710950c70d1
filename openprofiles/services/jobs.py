"""Identity resolution jobs: starting one, reading them (GetIdentityResolutionJob,
ListIdentityResolutionJobs). The job runner (worker/resolution_jobs.py) executes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from openprofiles import ids
from openprofiles.clock import Clock
from openprofiles.context import Caller
from openprofiles.errors import invalid, not_found
from openprofiles.quotas import quota as quota_limit
from openprofiles.services.domains import require_domain
from openprofiles.storage.database import Database
from openprofiles.storage.paging import Pager, request_scope
from openprofiles.storage.repositories import jobs as repo
from openprofiles.storage.repositories.domains import DomainRecord
from openprofiles.storage.repositories.jobs import JobRecord

# AWS keeps a job's results "up to seven days after the Saturday run": JobExpirationTime.
JOB_LIFETIME = timedelta(days=7)
ON_REQUEST = "REQUEST"
ON_SCHEDULE = "SCHEDULE"
FROM_CLI = "CLI"

_LIST = repo.list_query()


def create_job(
    conn: Connection,
    domain: DomainRecord,
    origin: str,
    now: datetime,
    scheduled_for: datetime | None = None,
) -> str | None:
    """A PENDING job for ``domain`` with its Matching settings of now; None when the domain
    already has the job of that schedule slot."""
    matching = domain.config.get("Matching") or {}
    start = scheduled_for or now
    job_id = ids.new_job_id(int(start.timestamp() * 1000))
    created = repo.create(
        conn,
        job_id=job_id,
        domain_id=domain.id,
        origin=origin,
        now=now,
        expires_at=start + JOB_LIFETIME,
        auto_merging=matching.get("AutoMerging"),
        exporting_config=matching.get("ExportingConfig"),
        scheduled_for=scheduled_for,
    )
    return job_id if created else None


def require_matching(domain: DomainRecord) -> None:
    if not (domain.config.get("Matching") or {}).get("Enabled"):
        raise invalid(
            f"Matching is not enabled for domain {domain.name}: set Matching.Enabled to true "
            "with UpdateDomain to run identity resolution jobs."
        )


class JobService:
    def __init__(self, database: Database, clock: Clock, pager: Pager) -> None:
        self.database = database
        self.clock = clock
        self.pager = pager
        # Called after a job is committed, so the runner starts it without waiting for its
        # next look.
        self.on_created: list[Callable[[], None]] = []

    def start(self, caller: Caller, domain: str, origin: str = ON_REQUEST) -> str:
        """Queue a job for ``domain`` now; its id."""
        with self.database.write() as conn:
            record = require_domain(conn, caller, domain)
            require_matching(record)
            job_id = create_job(conn, record, origin, self.clock.now())
            assert job_id is not None
        for wake in self.on_created:
            wake()
        return job_id

    def get(self, caller: Caller, domain: str, job_id: str) -> tuple[DomainRecord, JobRecord]:
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            job = repo.find(conn, job_id, record.id)
        if job is None:
            raise not_found(f"Identity resolution job {job_id} does not exist in domain {domain}.")
        return record, job

    def list(
        self, caller: Caller, domain: str, max_results: int | None, token: str | None
    ) -> tuple[list[JobRecord], str | None]:
        limit = max_results or quota_limit("list_max_results_default")
        scope = request_scope("ListIdentityResolutionJobs", caller.account, caller.region, domain)
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            rows, next_token = self.pager.page(
                conn, _LIST, scope=scope, token=token, limit=limit, params={"domain_id": record.id}
            )
        return repo.records(rows), next_token


def job_output(domain: str, job: JobRecord, full: bool) -> dict[str, Any]:
    """A job as GetIdentityResolutionJob (``full``) or ListIdentityResolutionJobs has it."""
    out: dict[str, Any] = {
        "DomainName": domain,
        "JobId": job.job_id,
        "Status": job.status,
        "JobStartTime": job.started_at,
    }
    if job.ended_at is not None:
        out["JobEndTime"] = job.ended_at
    if full:
        out["LastUpdatedAt"] = job.updated_at
        out["JobExpirationTime"] = job.expires_at
        if job.auto_merging is not None:
            out["AutoMerging"] = job.auto_merging
    out["JobStats"] = {
        "NumberOfProfilesReviewed": job.profiles_reviewed,
        "NumberOfMatchesFound": job.matches_found,
        "NumberOfMergesDone": job.merges_done,
    }
    if job.exporting_location is not None:
        out["ExportingLocation"] = job.exporting_location
    if job.message:
        out["Message"] = job.message
    return out
