"""The S3 source: the objects of a bucket under a prefix, on any S3-compatible endpoint.

The endpoint is ``OPENPROFILES_S3_ENDPOINT_URL`` when set (MinIO, moto, LocalStack, ...), else
AWS's for the region; credentials come from the standard AWS chain of the server process
(environment, shared config, instance role), or ``test``/``test`` when it has none, as local
S3-compatible servers accept. Only keys under BucketPrefix are listed (never "folders": keys
ending in ``/``). Each object is read as a stream: ``.csv`` as CSV with a header row,
``.json`` as one JSON array of objects or JSON Lines, anything else as JSON Lines.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from openprofiles.cli._readers import Record, read_csv, read_jsonl
from openprofiles.clock import to_utc
from openprofiles.jsontext import parse


class SourceUnreachable(Exception):
    """The source cannot be listed or read; the message says what was tried and why."""


@dataclass(frozen=True)
class SourceItem:
    """One object of the source: its key and ETag say which version of it was taken."""

    key: str
    version: str
    last_modified: datetime
    size: int


class _Raw(io.RawIOBase):
    """A botocore streaming body as a raw stream, so a buffered reader can split its lines."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._body.close()
        super().close()


def records_of(key: str, stream: IO[bytes]) -> Iterator[Record]:
    """The records of one object, by its key's extension."""
    lower = key.lower()
    if lower.endswith(".csv"):
        return read_csv(stream)
    if lower.endswith(".json"):
        return _read_json(stream)
    return read_jsonl(stream)


def _read_json(stream: IO[bytes]) -> Iterator[Record]:
    """A ``.json`` object: a JSON array of objects (record n is element n), else JSON Lines."""
    peek = stream.read(1 << 16)
    start = peek.lstrip()
    if not start.startswith(b"["):
        yield from read_jsonl(io.BufferedReader(_Chained(peek, stream), 1 << 20))
        return
    text = peek + stream.read()
    try:
        values = parse(text)
    except ValueError as exc:
        yield Record(1, None, text[:1000].decode("utf-8", "replace"), f"not valid JSON: {exc}")
        return
    for number, value in enumerate(values, 1):
        if isinstance(value, dict):
            yield Record(number, json.dumps(value, ensure_ascii=False), value)
        else:
            yield Record(number, None, value, "not a JSON object: array elements must be objects")


class _Chained(io.RawIOBase):
    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class S3Source:
    def __init__(self, endpoint_url: str | None, region: str, bucket: str, prefix: str) -> None:
        import boto3
        from botocore.config import Config

        session = boto3.session.Session()
        fallback = {} if session.get_credentials() else {"aws_access_key_id": "test"}
        if fallback:
            fallback["aws_secret_access_key"] = "test"
        self.where = f"s3://{bucket}/{prefix}" + (f" at {endpoint_url}" if endpoint_url else "")
        self.client = session.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(
                connect_timeout=5, read_timeout=60, retries={"mode": "standard", "max_attempts": 3}
            ),
            **fallback,
        )
        self.bucket = bucket
        self.prefix = prefix

    def items(self) -> list[SourceItem]:
        """Every object under the prefix, oldest first (then by key)."""
        found: list[SourceItem] = []
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for entry in page.get("Contents", []):
                    key = entry["Key"]
                    if not key.startswith(self.prefix) or key.endswith("/"):
                        continue
                    found.append(
                        SourceItem(
                            key,
                            str(entry.get("ETag", "")).strip('"'),
                            to_utc(entry["LastModified"]),
                            int(entry.get("Size", 0)),
                        )
                    )
        except Exception as exc:
            raise SourceUnreachable(f"cannot list {self.where}: {_reason(exc)}") from exc
        found.sort(key=lambda i: (i.last_modified, i.key))
        return found

    def open(self, item: SourceItem) -> IO[bytes]:
        """The object's bytes as a buffered stream; its version as listed (IfMatch)."""
        try:
            response = self.client.get_object(
                Bucket=self.bucket, Key=item.key, IfMatch=f'"{item.version}"'
            )
        except Exception as exc:
            raise SourceUnreachable(
                f"cannot read s3://{self.bucket}/{item.key}: {_reason(exc)}"
            ) from exc
        return io.BufferedReader(_Raw(response["Body"]), 1 << 20)


def _reason(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response["Error"]
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".rstrip(": ")
    return str(exc) or type(exc).__name__
