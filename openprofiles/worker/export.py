"""Exporting a job's match groups to an S3-compatible store (Matching.ExportingConfig).

The groups are written as JSON Lines, one match group a line, in GetMatches' order:

    {"MatchId": "...", "ProfileIds": ["...", "..."], "ConfidenceScore": 0.97,
     "MatchGenerationDate": "2026-12-04T20:00:00.000000Z", "JobId": "...", "DomainName": "shop"}

in objects of up to ``LINES_PER_PART`` lines named
``{S3KeyName}/{DomainName}/{JobId}/matches-00000.jsonl`` (without ``S3KeyName/`` when the domain
gives none). boto3 is the client: the endpoint is ``OPENPROFILES_S3_ENDPOINT_URL`` when set (any
S3-compatible server), credentials and region come from the standard AWS settings of the
server process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

from openprofiles.clock import iso_utc
from openprofiles.storage.database import Database
from openprofiles.storage.repositories import matches as match_repo
from openprofiles.storage.repositories.domains import DomainRecord
from openprofiles.storage.repositories.jobs import JobRecord

LINES_PER_PART = 10_000


def match_lines(database: Database, domain: DomainRecord, job: JobRecord) -> Iterator[str]:
    """The job's stored groups as JSON Lines, read a batch at a time."""
    with database.read() as conn:
        current = match_repo.current(conn, domain.id)
        generated = (
            iso_utc(current.generated_at)
            if current is not None and current.job_id == job.job_id
            else None
        )
        for batch in match_repo.read_batches(conn, domain.id, job.job_id):
            for row in batch:
                line: dict[str, Any] = {
                    "MatchId": row.match_id,
                    "ProfileIds": list(row.profile_ids),
                    "ConfidenceScore": row.confidence,
                    "MatchGenerationDate": generated,
                    "JobId": job.job_id,
                    "DomainName": domain.name,
                }
                yield json.dumps(line, separators=(",", ":")) + "\n"


def key_prefix(prefix: str, domain: str, job_id: str) -> str:
    """Where a job's objects go: ``{prefix}/{domain}/{job_id}/``."""
    head = prefix.strip("/")
    return f"{head}/{domain}/{job_id}/" if head else f"{domain}/{job_id}/"


class S3Exporter:
    """Puts the lines into objects of an S3-compatible store at ``endpoint_url``."""

    def __init__(self, endpoint_url: str | None) -> None:
        self.endpoint_url = endpoint_url
        self._client: Any = None

    def _s3(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
            self._client = boto3.client(
                "s3",
                endpoint_url=self.endpoint_url,
                region_name=region or "us-east-1",
                config=Config(
                    retries={"max_attempts": 2, "mode": "standard"},
                    connect_timeout=5,
                    read_timeout=60,
                ),
            )
        return self._client

    def __call__(
        self, bucket: str, prefix: str, domain: str, job_id: str, lines: Iterator[str]
    ) -> dict[str, Any]:
        base = key_prefix(prefix, domain, job_id)
        s3 = self._s3()
        part, buffer = 0, []
        for line in lines:
            buffer.append(line)
            if len(buffer) == LINES_PER_PART:
                self._put(s3, bucket, f"{base}matches-{part:05d}.jsonl", buffer)
                part, buffer = part + 1, []
        if buffer or part == 0:
            self._put(s3, bucket, f"{base}matches-{part:05d}.jsonl", buffer)
        return {"S3Exporting": {"S3BucketName": bucket, "S3KeyName": base}}

    @staticmethod
    def _put(s3: Any, bucket: str, key: str, lines: list[str]) -> None:
        body = "".join(lines).encode()
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/x-ndjson")
