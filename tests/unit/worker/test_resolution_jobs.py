"""The identity resolution job runner's mechanics (both databases): states, stats, matches
replacing the previous job's, orphans, a stopping server, the schedule. The engine is a test
double for the mechanics only (tests/support/email_engine.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from openprofiles.clock import FixedClock
from openprofiles.config import Settings
from openprofiles.context import Caller
from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.resolution.engine import MatchGroup
from openprofiles.services.container import Services
from openprofiles.storage.database import Database
from openprofiles.storage.repositories import jobs as job_repo
from openprofiles.worker.job_worker import JobWorker
from openprofiles.worker.resolution_jobs import JobRunner, recover_orphans
from openprofiles.worker.schedule import queue_due_jobs
from tests.support.email_engine import EmailEngine

CALLER = Caller(account="111111111111", region="us-east-1", access_key="AKID")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))


@pytest.fixture
def services(database_url: str, clock: FixedClock) -> Iterator[Services]:
    database = Database.open(database_url)
    yield Services(database, Settings(), clock)
    database.close()


def _domain(services: Services, name: str = "d", **matching: Any) -> None:
    services.domains.create(CALLER, name, 30, {"Matching": {"Enabled": True, **matching}}, None)


def _profiles(services: Services, domain: str, emails: list[str]) -> list[str]:
    return [
        services.profiles.create(CALLER, domain, {"FirstName": f"P{i}", "EmailAddress": e})
        for i, e in enumerate(emails)
    ]


def _runner(services: Services, engine: EmailEngine) -> JobRunner:
    return JobRunner(services.database, services.clock, engine=lambda: engine)


def test_a_job_moves_through_its_states_and_stores_its_matches(services: Services) -> None:
    _domain(services)
    ids = _profiles(services, "d", ["a@x.com", "b@x.com", "A@x.com", "c@x.com", "b@x.com"])
    job_id = services.jobs.start(CALLER, "d")
    assert len(job_id) == 32 and job_id == job_id.lower() and int(job_id, 16) >= 0
    _, pending = services.jobs.get(CALLER, "d", job_id)
    assert pending.status == "PENDING" and pending.ended_at is None
    seen: list[str] = []
    engine = EmailEngine(lambda _: seen.append(services.jobs.get(CALLER, "d", job_id)[1].status))
    services.clock.at += timedelta(minutes=1)  # type: ignore[attr-defined]
    done = _runner(services, engine).run(job_id)
    assert seen == ["PREPROCESSING", "FIND_MATCHING"]
    assert done is not None and done.status == "COMPLETED" and done.message is None
    assert (done.profiles_reviewed, done.matches_found, done.merges_done) == (5, 2, 0)
    assert done.ended_at is not None and done.ended_at > done.started_at
    assert done.expires_at == done.started_at + timedelta(days=7)
    page = services.matches.get_matches(CALLER, "d", None, None)
    assert page.potential_matches == 2 and page.generated_at == done.ended_at
    groups = {frozenset(m.profile_ids): m.confidence for m in page.matches}
    assert groups == {frozenset({ids[0], ids[2]}): 0.9, frozenset({ids[1], ids[4]}): 0.9}


def test_a_new_job_replaces_the_previous_matches(services: Services) -> None:
    _domain(services)
    ids = _profiles(services, "d", ["a@x.com", "a@x.com", "b@x.com"])
    runner = _runner(services, EmailEngine())
    runner.run(services.jobs.start(CALLER, "d"))
    first = services.matches.get_matches(CALLER, "d", None, None)
    services.profiles.update(CALLER, "d", ids[1], {"EmailAddress": "b@x.com"})
    runner.run(services.jobs.start(CALLER, "d"))
    second = services.matches.get_matches(CALLER, "d", None, None)
    assert [set(m.profile_ids) for m in first.matches] == [{ids[0], ids[1]}]
    assert [set(m.profile_ids) for m in second.matches] == [{ids[1], ids[2]}]
    assert second.potential_matches == 1
    with services.database.read() as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM matches").scalar()
    assert stored == 1  # the older job's groups are gone


def test_get_matches_pages(services: Services) -> None:
    _domain(services)
    _profiles(services, "d", [f"p{i // 2}@x.com" for i in range(10)])
    _runner(services, EmailEngine()).run(services.jobs.start(CALLER, "d"))
    seen: list[str] = []
    token = None
    while True:
        page = services.matches.get_matches(CALLER, "d", 2, token)
        assert len(page.matches) <= 2 and page.potential_matches == 5
        seen += [m.match_id for m in page.matches]
        token = page.next_token
        if token is None:
            break
    assert len(seen) == len(set(seen)) == 5


def test_jobs_are_listed_newest_first_and_paged(services: Services, clock: FixedClock) -> None:
    _domain(services)
    started = []
    for _ in range(5):
        started.append(services.jobs.start(CALLER, "d"))
        clock.at += timedelta(seconds=1)
    listed: list[str] = []
    token = None
    while True:
        jobs, token = services.jobs.list(CALLER, "d", 2, token)
        listed += [j.job_id for j in jobs]
        if token is None:
            break
    assert listed == started[::-1]
    with pytest.raises(ServiceError) as err:
        services.jobs.get(CALLER, "d", "0" * 32)
    assert err.value.kind is ErrorKind.NOT_FOUND


def test_a_job_needs_matching_enabled_and_a_known_domain(services: Services) -> None:
    services.domains.create(CALLER, "off", 30, {}, None)
    with pytest.raises(ServiceError) as err:
        services.jobs.start(CALLER, "off")
    assert err.value.kind is ErrorKind.INVALID and "Matching" in err.value.message
    with pytest.raises(ServiceError) as err:
        services.jobs.start(CALLER, "nowhere")
    assert err.value.kind is ErrorKind.NOT_FOUND


def test_turning_matching_off_deletes_pending_jobs(services: Services) -> None:
    _domain(services)
    job_id = services.jobs.start(CALLER, "d")
    services.domains.update(CALLER, "d", None, {"Matching": {"Enabled": False}}, None)
    with pytest.raises(ServiceError):
        services.jobs.get(CALLER, "d", job_id)


def test_an_engine_failure_fails_the_job_with_its_message(services: Services) -> None:
    _domain(services)
    _profiles(services, "d", ["a@x.com"])

    class Broken(EmailEngine):
        def resolve(self, *args: Any, **kwargs: Any) -> list[MatchGroup]:
            raise RuntimeError("out of memory scoring pairs")

    done = JobRunner(services.database, services.clock, engine=Broken).run(
        services.jobs.start(CALLER, "d")
    )
    assert done is not None and done.status == "FAILED"
    assert done.message is not None and "out of memory scoring pairs" in done.message
    assert services.matches.get_matches(CALLER, "d", None, None).matches == []


def test_an_orphaned_job_is_resumed_then_failed_after_its_attempts(services: Services) -> None:
    _domain(services)
    _profiles(services, "d", ["a@x.com", "a@x.com"])
    job_id = services.jobs.start(CALLER, "d")
    for attempt in range(1, 4):
        # A server claims the job and dies mid-job: its heartbeat stops.
        with services.database.write() as conn:
            assert job_repo.claim(conn, job_id, f"dead-{attempt}", 0, services.clock.now())
            job_repo.update_job(conn, job_id, services.clock.now(), status="FIND_MATCHING")
        recover_orphans(services.database, services.clock)
        job = services.jobs.get(CALLER, "d", job_id)[1]
        if attempt < 3:
            assert job.status == "PENDING"
            assert job.message is not None and "stopped during FIND_MATCHING" in job.message
    assert job.status == "FAILED" and job.ended_at is not None
    assert job.message is not None and "3 times" in job.message


def test_a_live_job_is_not_taken_as_an_orphan(services: Services) -> None:
    _domain(services)
    job_id = services.jobs.start(CALLER, "d")
    with services.database.write() as conn:
        job_repo.claim(conn, job_id, "alive", int(time.time()), services.clock.now())
    assert recover_orphans(services.database, services.clock) == []
    assert services.jobs.get(CALLER, "d", job_id)[1].status == "PREPROCESSING"


def test_a_stopping_runner_hands_its_job_back(services: Services) -> None:
    _domain(services)
    _profiles(services, "d", ["a@x.com", "a@x.com"])
    job_id = services.jobs.start(CALLER, "d")
    runner: JobRunner

    def stop_now(stage: str) -> None:
        runner.stop.set()

    runner = _runner(services, EmailEngine(stop_now))
    job = runner.run(job_id)
    assert job is not None and job.status == "PENDING" and job.attempts == 0
    runner.stop.clear()
    assert _runner(services, EmailEngine()).run(job_id).status == "COMPLETED"  # type: ignore[union-attr]


def test_the_schedule_queues_each_enabled_domain_once_per_slot(
    services: Services, clock: FixedClock
) -> None:
    # 2026-11-25 is a Wednesday; the default slot is Saturday 0:00 UTC.
    _domain(services, "weekly")
    _domain(services, "thursday", JobSchedule={"DayOfTheWeek": "THURSDAY", "Time": "9:30"})
    services.domains.create(CALLER, "off", 30, {"Matching": {"Enabled": False}}, None)
    assert queue_due_jobs(services.database, clock) == []  # the first look only remembers
    clock.at = datetime(2026, 11, 26, 9, 29, tzinfo=UTC)
    assert queue_due_jobs(services.database, clock) == []
    clock.at = datetime(2026, 11, 26, 9, 31, tzinfo=UTC)
    [thursday] = queue_due_jobs(services.database, clock)
    assert queue_due_jobs(services.database, clock) == []
    job = services.jobs.get(CALLER, "thursday", thursday)[1]
    assert job.started_at == datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    assert job.scheduled_for == job.started_at and job.status == "PENDING"
    clock.at = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)  # Sunday: Saturday's slot passed
    [weekly] = queue_due_jobs(services.database, clock)
    assert services.jobs.get(CALLER, "weekly", weekly)[1].started_at == datetime(
        2026, 11, 28, 0, 0, tzinfo=UTC
    )


def test_the_worker_runs_a_job_started_on_demand(services: Services) -> None:
    _domain(services)
    _profiles(services, "d", ["a@x.com", "a@x.com"])
    worker = JobWorker(
        services.database, services.clock, _runner(services, EmailEngine()), interval=60
    )
    services.jobs.on_created.append(worker.wake)
    worker.start()
    try:
        job_id = services.jobs.start(CALLER, "d")
        deadline = time.time() + 20
        while services.jobs.get(CALLER, "d", job_id)[1].status != "COMPLETED":
            assert time.time() < deadline, "the worker did not run the job"
            time.sleep(0.05)
    finally:
        worker.stop()


def test_auto_merge_merges_by_rule_above_the_minimum_with_recency(
    services: Services, clock: FixedClock
) -> None:
    auto = {
        "Enabled": True,
        "Consolidation": {"MatchingAttributesList": [["EmailAddress", "LastName"]]},
        "ConflictResolution": {"ConflictResolvingModel": "RECENCY"},
        "MinAllowedConfidenceScoreForMerging": 0.85,
    }
    _domain(services, AutoMerging=auto)

    def person(email: str, last: str, **more: str) -> str:
        clock.at += timedelta(minutes=1)  # each profile more recent than the one before
        document = {"EmailAddress": email, "LastName": last, **more}
        return services.profiles.create(CALLER, "d", document)

    older = person("a@x.com", "Lima", FirstName="Ana")
    newer = person("A@X.com", "LIMA", BirthDate="1990-01-02")  # the same after normalising
    namesake = [person("b@x.com", "Costa"), person("b@x.com", "Silva")]  # the rule fails
    trio = [person("c@x.com", "Reis") for _ in range(3)]  # confidence 0.8 < 0.85
    done = _runner(services, EmailEngine()).run(services.jobs.start(CALLER, "d"))
    assert done is not None and done.status == "COMPLETED", done
    assert (done.matches_found, done.merges_done) == (3, 1)
    found, missing = services.profiles.batch_get(CALLER, "d", [older, newer, *namesake, *trio])
    assert missing == [older]  # merged into the most recently updated profile
    main = next(p for p in found if p["ProfileId"] == newer)
    assert main["EmailAddress"] == "A@X.com" and main["FirstName"] == "Ana"
    assert main["BirthDate"] == "1990-01-02"
