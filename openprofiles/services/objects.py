"""Profile objects: PutProfileObject (the ingestion engine), ListProfileObjects,
DeleteProfileObject, expiry.

:meth:`ObjectService.put_many` runs the ingestion engine on a batch: each object is prepared
(parsed, mapped and given its ProfileObjectUniqueKey: ``services/object_prepare.py``), then the
batch is placed and written in one write transaction (matching, inferred profiles, merging,
locking: ``services/object_batch.py``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from openprofiles.clock import Clock
from openprofiles.context import Caller
from openprofiles.errors import ServiceError, not_found
from openprofiles.ingest import STANDARD_OBJECT_TYPES
from openprofiles.services.dead_letters import DeadLetterService, Outgoing
from openprofiles.services.domains import require_domain
from openprofiles.services.object_batch import Batch, PutResult
from openprofiles.services.object_prepare import prepare_all
from openprofiles.services.object_types import ObjectTypeService
from openprofiles.services.profiles import ProfilesChanged, announce_changes
from openprofiles.services.quotas import quota
from openprofiles.storage.database import Committer, Database
from openprofiles.storage.paging import Pager
from openprofiles.storage.repositories import profile_objects as repo

# Called inside a batch's write transaction once its objects are placed, with the connection,
# each object's outcome and the dead letters the batch keeps: what the caller writes there
# commits (or not) with the objects (an integration's progress, so no record is taken twice).
WithinBatch = Callable[
    [Connection, Sequence["PutResult | ServiceError"], Sequence[dict[str, Any]]], None
]


@dataclass(frozen=True, slots=True)
class ObjectItem:
    object_type: str
    unique_key: str
    document: str


# (objects stored on a profile created for them, on an existing one, refused by error kind):
# told once the objects stand (after their commit), e.g. to the server's metrics.
IngestCounter = Callable[[int, int, dict[str, int]], None]

# Batches up to this size are mapped inside the write transaction (see put_many); so is every
# batch of a server's PutProfileObject calls on SQLite: its write group holds the writer while
# the event loop maps either way, and a transaction more is one more begin and end per batch.
_MAP_INSIDE_UP_TO = 4


class ObjectService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        pager: Pager,
        object_types: ObjectTypeService,
        dead_letters: DeadLetterService,
    ) -> None:
        self.database = database
        self.clock = clock
        self.pager = pager
        self.object_types = object_types
        self.dead_letters = dead_letters
        self.on_profiles_changed: ProfilesChanged | None = None
        self.on_ingest: IngestCounter | None = None

    # --- PutProfileObject --------------------------------------------------------------------
    def put(self, caller: Caller, domain: str, object_type: str, text: str) -> PutResult:
        """PutProfileObject: place one object; raises its ServiceError when rejected."""
        (result,) = self.put_many(caller, domain, object_type, [text])
        if isinstance(result, ServiceError):
            raise result
        return result

    def put_many(
        self,
        caller: Caller,
        domain: str,
        object_type: str,
        texts: Sequence[str],
        parsed: Sequence[dict[str, Any]] | None = None,
        *,
        commit: Committer | None = None,
        within: WithinBatch | None = None,
    ) -> list[PutResult | ServiceError]:
        """Place a batch of objects of one type in one write transaction.

        A rejected object yields its ServiceError at its position without affecting the
        others; an unknown domain or object type raises for the whole batch. ``parsed``, when
        given, holds each text's JSON object (bulk import has parsed them to check its input).
        ``commit``: the transaction's commit is handed on to it (see ``Database.write``), and
        the results stand only once that commit has run; dead letters go to the domain's
        queue after it. ``within``: see :data:`WithinBatch`.
        """
        try:
            results = self._put_many(caller, domain, object_type, texts, parsed, commit, within)
        except ServiceError as exc:
            if self.on_ingest is not None:
                self.on_ingest(0, 0, {exc.kind.value: len(texts)})
            raise
        return results

    def _put_many(
        self,
        caller: Caller,
        domain: str,
        object_type: str,
        texts: Sequence[str],
        parsed: Sequence[dict[str, Any]] | None,
        commit: Committer | None,
        within: WithinBatch | None,
    ) -> list[PutResult | ServiceError]:
        prepared = None
        found_text = None
        if len(texts) > _MAP_INSIDE_UP_TO and not self.database.grouped_here:
            with self.database.read() as conn:
                record = require_domain(conn, caller, domain)
                found = self.object_types.require(conn, record.id, domain, object_type)
            # Parse and map a batch outside the write transaction: it is the costly part and
            # needs no lock. A few objects map faster than a second transaction costs.
            prepared = prepare_all(found.definition, texts, parsed)
            found_text = found.record.definition_text
        with self.database.write(commit=commit) as conn:
            record = require_domain(conn, caller, domain)
            current = self.object_types.require(conn, record.id, domain, object_type)
            if prepared is None or current.record.definition_text != found_text:
                prepared = prepare_all(current.definition, texts, parsed)
            batch = Batch(self.database, self.clock, conn, record, current.definition, prepared)
            results = batch.run()
            placed = [r.profile_id for r in results if isinstance(r, PutResult)]
            announce_changes(
                self.database, self.on_profiles_changed, record, list(dict.fromkeys(placed))
            )
            if within is not None:
                within(conn, results, batch.dead_letters)
            queue_url = record.config.get("DeadLetterQueueUrl")
            if queue_url and batch.dead_letters:
                outgoing = [
                    Outgoing(
                        queue_url,
                        caller.region,
                        domain,
                        object_type,
                        row["object"],
                        row["reason"],
                        row["created_at"],
                    )
                    for row in batch.dead_letters
                ]
                self.database.after_commit(lambda: self.dead_letters.publish(outgoing))
            if self.on_ingest is not None:
                self._count(self.on_ingest, results)
        return results

    def _count(self, counter: IngestCounter, results: Sequence[PutResult | ServiceError]) -> None:
        """Tell ``counter`` of the refused objects now, of the stored ones after the commit."""
        refused = Counter(r.kind.value for r in results if isinstance(r, ServiceError))
        created = sum(1 for r in results if isinstance(r, PutResult) and r.profile_created)
        existing = len(results) - sum(refused.values()) - created
        if refused:
            counter(0, 0, dict(refused))
        if created or existing:
            self.database.after_commit(lambda: counter(created, existing, {}))

    # --- ListProfileObjects / DeleteProfileObject ----------------------------------------------
    def list(
        self,
        caller: Caller,
        domain: str,
        object_type: str,
        profile_id: str,
        key_filter: tuple[str, Sequence[str]] | None,
        max_results: int | None,
        token: str | None,
    ) -> tuple[list[ObjectItem], str | None]:
        limit = max_results or quota("list_max_results_default")
        filter_text = json.dumps(key_filter, sort_keys=True)
        scope = (
            f"ListProfileObjects:{caller.account}:{caller.region}:{domain}:{object_type}:"
            f"{profile_id}:{hashlib.sha256(filter_text.encode()).hexdigest()}"
        )
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            if object_type not in STANDARD_OBJECT_TYPES:
                self.object_types.require(conn, record.id, domain, object_type)
            if key_filter is not None:
                name, values = key_filter
                key_filter = (name, self.object_types.search_values(conn, record.id, name, values))
            now = self.clock.now()
            query = repo.list_query(record.id, object_type, profile_id, now, key_filter)
            rows, next_token = self.pager.page(
                conn, query, [query.selected_columns.id], scope=scope, token=token, limit=limit
            )
        return [ObjectItem(object_type, r.unique_key, r.document) for r in rows], next_token

    def delete(
        self, caller: Caller, domain: str, object_type: str, profile_id: str, unique_key: str
    ) -> None:
        with self.database.write() as conn:
            record = require_domain(conn, caller, domain)
            if object_type not in STANDARD_OBJECT_TYPES:
                self.object_types.require(conn, record.id, domain, object_type)
            if not repo.delete_object(
                conn, record.id, object_type, profile_id, unique_key, self.clock.now()
            ):
                raise not_found(
                    f"Profile object {unique_key} of type {object_type} does not exist on "
                    f"profile {profile_id}."
                )

    # --- expiry ------------------------------------------------------------------------------
    def purge_expired(self) -> int:
        """Delete every object whose expiry has passed; the number deleted."""
        total = 0
        while True:
            with self.database.write() as conn:
                removed = repo.purge_expired(conn, self.clock.now())
            total += removed
            if removed == 0:
                return total
