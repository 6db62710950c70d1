"""The integrations' scheduler with an injected clock, on both databases and moto's S3 server:
a Scheduled flow runs at each time its rate, ScheduleStartTime, ScheduleOffset and
ScheduleEndTime give, taking only new files, and a cron flow in its Timezone; the thread calls
the runner on its interval."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from openprofiles.config import Settings
from openprofiles.context import Caller
from openprofiles.services.container import Services
from openprofiles.storage.database import Database
from openprofiles.worker.integrations import FlowScheduler
from tests.support.s3 import moto_s3, s3_client

CALLER = Caller("000000000000", "us-east-1")
KMS = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"


class MovableClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_s3() as endpoint:
        yield endpoint


@pytest.fixture
def setup(database_url: str, s3_endpoint: str) -> Iterator[tuple[Services, MovableClock, Any]]:
    clock = MovableClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    database = Database.open(database_url)
    services = Services(database, Settings(s3_endpoint_url=s3_endpoint), clock)
    services.domains.create(CALLER, "shop", 30, {}, {})
    services.object_types.put(CALLER, "shop", "contacts", {
        "Description": "contacts", "AllowProfileCreation": True,
        "Fields": {"id": {"Source": "_source.id"}},
        "Keys": {"id": [{"StandardIdentifiers": ["UNIQUE", "PROFILE"], "FieldNames": ["id"]}]},
    })  # fmt: skip
    s3 = s3_client(s3_endpoint)
    yield services, clock, s3
    services.flows.close()
    database.close()


def _flow(bucket: str, scheduled: dict[str, Any]) -> dict[str, Any]:
    return {
        "FlowName": "hourly",
        "KmsArn": KMS,
        "SourceFlowConfig": {
            "ConnectorType": "S3",
            "SourceConnectorProperties": {"S3": {"BucketName": bucket}},
        },
        "Tasks": [{"TaskType": "Filter", "SourceFields": ["id"],
                   "ConnectorOperator": {"S3": "PROJECTION"}}],
        "TriggerConfig": {"TriggerType": "Scheduled",
                          "TriggerProperties": {"Scheduled": scheduled}},
    }  # fmt: skip


def _put(s3: Any, bucket: str, key: str, ids: list[int]) -> None:
    body = "".join(json.dumps({"id": str(i)}) + "\n" for i in ids).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body)


def test_a_rate_schedule_runs_at_its_times_and_takes_only_new_files(
    setup: tuple[Services, MovableClock, Any],
) -> None:
    services, clock, s3 = setup
    bucket = f"sched-{time.time_ns()}"
    s3.create_bucket(Bucket=bucket)
    _put(s3, bucket, "a.jsonl", [1, 2])
    start = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    services.integrations.put(CALLER, "shop", {
        "ObjectTypeName": "contacts",
        "FlowDefinition": _flow(bucket, {
            "ScheduleExpression": "rate(1hours)", "ScheduleStartTime": start,
            "ScheduleEndTime": start + timedelta(hours=2, minutes=30), "ScheduleOffset": 60,
            "DataPullMode": "Incremental",
        }),
    })  # fmt: skip
    scheduler = FlowScheduler(services.flows.due_runs)
    ingested: list[int] = []

    def at(hour: int, minute: int) -> int:
        clock.at = datetime(2026, 1, 5, hour, minute, tzinfo=UTC)
        before = len(ingested)
        for r in services.flows.due_runs():
            assert r.status == "COMPLETED" and r.trigger == "Scheduled", r
            ingested.append(r.records_ingested)
        return len(ingested) - before

    assert at(9, 59) == 0  # before ScheduleStartTime
    assert at(10, 0) == 0  # the offset: a minute after each hour
    assert at(10, 1) == 1 and ingested == [2]
    assert at(10, 30) == 0
    _put(s3, bucket, "b.jsonl", [3])
    assert at(11, 1) == 1 and ingested == [2, 1]
    assert at(12, 1) == 1 and ingested == [2, 1, 0]
    assert at(13, 1) == 0  # past ScheduleEndTime
    assert scheduler.tick() == 0
    runs, _ = services.flows.list_runs(CALLER, "shop", None, None, None)
    assert [r.records_ingested for r in runs] == [0, 1, 2]


def test_a_missed_time_runs_once_and_a_cron_keeps_its_timezone(
    setup: tuple[Services, MovableClock, Any],
) -> None:
    services, clock, s3 = setup
    bucket = f"cron-{time.time_ns()}"
    s3.create_bucket(Bucket=bucket)
    _put(s3, bucket, "a.jsonl", [1])
    # 08:00 in New York on weekdays: 13:00 UTC in January. Monday 5 January 2026.
    services.integrations.put(CALLER, "shop", {
        "ObjectTypeName": "contacts",
        "FlowDefinition": _flow(bucket, {"ScheduleExpression": "cron(0 8 ? * MON-FRI *)",
                                         "Timezone": "America/New_York"}),
    })  # fmt: skip
    clock.at = datetime(2026, 1, 5, 12, 59, tzinfo=UTC)
    assert services.flows.due_runs() == []
    clock.at = datetime(2026, 1, 7, 9, 0, tzinfo=UTC)  # two days later: missed times
    assert len(services.flows.due_runs()) == 1
    assert services.flows.due_runs() == []
    clock.at = datetime(2026, 1, 7, 13, 0, tzinfo=UTC)
    assert len(services.flows.due_runs()) == 1


def test_first_execution_from_bounds_the_first_run_only(
    setup: tuple[Services, MovableClock, Any],
) -> None:
    services, _, s3 = setup
    bucket = f"first-{time.time_ns()}"
    s3.create_bucket(Bucket=bucket)
    _put(s3, bucket, "old.jsonl", [1])
    later = datetime.now(UTC) + timedelta(days=1)  # after the object's LastModified
    services.integrations.put(CALLER, "shop", {
        "ObjectTypeName": "contacts",
        "FlowDefinition": _flow(bucket, {"ScheduleExpression": "rate(1days)",
                                         "FirstExecutionFrom": later}),
    })  # fmt: skip
    uri = "arn:aws:appflow:us-east-1:000000000000:flow/hourly"
    assert services.flows.run(CALLER, "shop", uri).records_read == 0
    assert services.flows.run(CALLER, "shop", uri).records_ingested == 1


def test_the_thread_ticks_on_its_interval() -> None:
    calls: list[str] = []
    scheduler = FlowScheduler(lambda: calls.append(threading.current_thread().name) or [1], 0.02)
    scheduler.start()
    deadline = time.time() + 5
    while len(calls) < 2 and time.time() < deadline:
        time.sleep(0.01)
    scheduler.stop()
    assert set(calls) == {"openprofiles-flow-scheduler"} and scheduler.runs >= 2
