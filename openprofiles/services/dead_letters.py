"""Dead letters: objects ingestion could not place on a profile.

Each is kept in the database (listed by the ``/_openprofiles/domains/{DomainName}/dead-letters``
extension, see docs/dead-letters.md) and, when the domain's DeadLetterQueueUrl names an
SQS-compatible queue (``http(s)://host[:port]/{account}/{queue}``), also sent there as one
message. Sending happens after the ingesting transaction commits, on a background thread, with
botocore's ``sqs`` client: the endpoint is the queue URL's scheme and host, the region is read
from an AWS host name (``sqs.{region}.amazonaws.com``) or else the caller's, and credentials come
from the standard AWS chain (environment, shared config, instance role). A failure to send is
logged, never raised: the database copy is the record.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from openprofiles.clock import Clock, iso_utc, to_utc
from openprofiles.context import Caller
from openprofiles.quotas import quota
from openprofiles.services.domains import require_domain
from openprofiles.storage.database import Database
from openprofiles.storage.paging import Pager, request_scope
from openprofiles.storage.repositories import dead_letters as repo

log = logging.getLogger(__name__)

_AWS_HOST = re.compile(
    r"^(?:sqs\.)?([a-z]{2}(?:-[a-z]+)+-\d)\.(?:queue\.)?amazonaws\.com(?:\.cn)?$"
)
_QUEUE_PATH = re.compile(r"^/[^/]+/[^/]+/?$")


@dataclass(frozen=True)
class DeadLetter:
    id: int
    object_type: str
    object: str
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class Outgoing:
    """One dead letter bound for a domain's queue."""

    queue_url: str
    region: str
    domain: str
    object_type: str
    object: str
    reason: str
    created_at: datetime

    def body(self) -> str:
        return json.dumps(
            {
                "DomainName": self.domain,
                "ObjectTypeName": self.object_type,
                "Object": self.object,
                "Reason": self.reason,
                "CreatedAt": iso_utc(self.created_at),
            }
        )


def queue_endpoint(queue_url: str, default_region: str) -> tuple[str, str] | None:
    """(endpoint URL, region) of an SQS-compatible queue URL; None when it is not one."""
    parts = urlsplit(queue_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if not _QUEUE_PATH.match(parts.path):
        return None
    match = _AWS_HOST.match(parts.hostname)
    region = match.group(1) if match else default_region
    return f"{parts.scheme}://{parts.netloc}", region


class DeadLetterService:
    def __init__(self, database: Database, clock: Clock, pager: Pager) -> None:
        self.database = database
        self.clock = clock
        self.pager = pager
        self._executor: ThreadPoolExecutor | None = None
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._pending: list[Future[None]] = []

    def list(
        self, caller: Caller, domain: str, max_results: int | None, token: str | None
    ) -> tuple[list[DeadLetter], str | None]:
        """The domain's dead letters, oldest first, one page at a time."""
        limit = max_results or quota("list_max_results_default")
        scope = request_scope("ListDeadLetters", caller.account, caller.region, domain)
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            query = repo.list_query(record.id)
            rows, next_token = self.pager.page(
                conn, query, [query.selected_columns.id], scope=scope, token=token, limit=limit
            )
        return [
            DeadLetter(r.id, r.object_type, r.object, r.reason, to_utc(r.created_at)) for r in rows
        ], next_token

    # --- the queue ------------------------------------------------------------------------------
    def publish(self, letters: Sequence[Outgoing]) -> None:
        """Send ``letters`` to their queues in the background."""
        if not letters:
            return
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="dead-letters")
            self._pending = [f for f in self._pending if not f.done()]
            self._pending.append(self._executor.submit(self._send, list(letters)))

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every letter handed to :meth:`publish` so far was sent (or failed)."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.result(timeout)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)

    def _client(self, endpoint: str, region: str) -> Any:
        key = (endpoint, region)
        client = self._clients.get(key)
        if client is None:
            import botocore.session
            from botocore.config import Config

            session = botocore.session.get_session()
            client = session.create_client(
                "sqs",
                region_name=region,
                endpoint_url=endpoint,
                config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2}),
            )
            self._clients[key] = client
        return client

    def _send(self, letters: Sequence[Outgoing]) -> None:
        for letter in letters:
            target = queue_endpoint(letter.queue_url, letter.region)
            if target is None:
                continue
            try:
                self._client(*target).send_message(
                    QueueUrl=letter.queue_url, MessageBody=letter.body()
                )
            except Exception:  # a queue that is down must not fail ingestion
                log.warning(
                    "could not send a dead letter of domain %s to %s",
                    letter.domain,
                    letter.queue_url,
                    exc_info=True,
                )
