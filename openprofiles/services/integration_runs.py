"""Flow runs: an integration's source read, its Tasks applied and every record sent through the
ingestion engine with the integration's object type; each run recorded.

Nothing is taken twice. Each S3 object (key and ETag) has a row saying how many of its records
are stored, and a SaaS source a watermark (the latest incremental-field value stored, and the
ids stored at it); either is written in the same transaction as the records of each batch, so
after a crash the next run goes on from the record after the last stored batch, and a taken
object is skipped (DataPullMode Complete takes everything again). A run interrupted by a
crash stays RUNNING in the database until the server starts again, which marks it FAILED and
starts a run that takes up where it stopped (trigger ``Resume``).

A record a Filter drops is *filtered*; one that cannot be read, fails a Validate task or that
the engine refuses is *rejected*: counted, its reason kept with the run (the first hundred) and
the record kept as a dead letter (``/_openprofiles/domains/{DomainName}/dead-letters``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection

from openprofiles.cli._readers import InputError, Record
from openprofiles.cli.import_sinks import ImportStopped, LocalSink, Sent
from openprofiles.clock import Clock
from openprofiles.context import Caller
from openprofiles.errors import ServiceError, conflict, invalid, not_found
from openprofiles.integrations.flow import Flow, check_flow
from openprofiles.integrations.profiles import ConnectorProfile, load_profiles
from openprofiles.integrations.s3 import S3Source, SourceItem, SourceUnreachable, records_of
from openprofiles.integrations.tasks import FlowTerminated, Rejected, TaskPlan
from openprofiles.quotas import quota
from openprofiles.services.domains import require_domain
from openprofiles.services.integrations import UNSTRUCTURED, next_scheduled_run
from openprofiles.services.object_batch import PutResult
from openprofiles.services.object_types import ObjectTypeService
from openprofiles.services.objects import ObjectService, WithinBatch
from openprofiles.storage.database import Database
from openprofiles.storage.paging import Pager, request_scope
from openprofiles.storage.repositories import dead_letters as dead_letter_repo
from openprofiles.storage.repositories import integrations as repo
from openprofiles.storage.repositories.integrations import IntegrationRecord, RunRecord

log = logging.getLogger(__name__)

RUNNING: Final = "RUNNING"
COMPLETED: Final = "COMPLETED"
FAILED: Final = "FAILED"
# Records per write transaction of a run inside the server: each holds SQLite's writer while
# it is written, so requests wait at most that long. The CLI's runs use the bulk import's.
SERVER_BATCH: Final = 2000
STOPPED: Final = (
    "stopped: the server shut down during this run; what it stored stays stored, and the next "
    "run takes up after the last stored record"
)
INTERRUPTED: Final = (
    "interrupted: the server stopped during this run; what it stored stays stored, and the "
    "next run takes up after the last stored record"
)


def run_to_wire(domain: str, run: RunRecord) -> dict[str, Any]:
    """A run as the runs extension answers it (times as ISO 8601 UTC)."""
    from openprofiles.clock import iso_utc

    out: dict[str, Any] = {
        "RunId": run.id,
        "DomainName": domain,
        "Uri": run.uri,
        "Trigger": run.trigger,
        "Status": run.status,
        "StartedAt": iso_utc(run.started_at),
        "RecordsRead": run.records_read,
        "RecordsIngested": run.records_ingested,
        "RecordsRejected": run.records_rejected,
        "RecordsFiltered": run.records_filtered,
        "Rejections": run.rejections,
    }
    if run.ended_at is not None:
        out["EndedAt"] = iso_utc(run.ended_at)
    if run.message:
        out["Message"] = run.message
    return out


@dataclass
class _Progress:
    """One source item under way."""

    item: SourceItem
    done: int  # records of the item stored before this run
    last_line: int = 0


@dataclass
class _Batch:
    """Records read and transformed, to be stored in one write transaction."""

    texts: list[str] = field(default_factory=list)  # the objects to store, as JSON
    parsed: list[dict[str, Any]] = field(default_factory=list)  # the same, parsed
    originals: list[int] = field(default_factory=list)  # each object's line in its source
    rejected: list[tuple[Any, str]] = field(default_factory=list)  # (record's source, reason)
    filtered: int = 0
    read: int = 0
    last_line: int = 0


class RunStopped(Exception):
    """The server is shutting down: the run ends before its next batch."""


class FlowRunner:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        pager: Pager,
        objects: ObjectService,
        object_types: ObjectTypeService,
        s3_endpoint_url: str | None,
        connector_profiles: str | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.pager = pager
        self.objects = objects
        self.object_types = object_types
        self.s3_endpoint_url = s3_endpoint_url
        self.profiles = load_profiles(connector_profiles)
        self.bulk: Any = None  # the CLI's BulkWrites, when it runs a flow locally
        self.batch_size = SERVER_BATCH
        self._background: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending: list[Future[RunRecord]] = []
        self._stopping = threading.Event()
        # Told (seconds, status) as each run ends, e.g. the server's job-duration metrics.
        self.on_run_end: Callable[[float, str], None] | None = None
        # Told (source item's key, records read) after each batch, e.g. a CLI's progress bar.
        self.on_batch: Callable[[str, int], None] | None = None

    # --- starting runs ---------------------------------------------------------------------------
    def run(self, caller: Caller, domain: str, uri: str, trigger: str = "OnDemand") -> RunRecord:
        """Run the integration's flow now, to its end; the run as recorded."""
        run, record, flow = self._start(caller, domain, uri, trigger)
        return self._execute(caller, domain, record, flow, run)

    def start(self, caller: Caller, domain: str, uri: str, trigger: str = "OnDemand") -> RunRecord:
        """Start the run on the runner's thread; the run as it starts (RUNNING)."""
        run, record, flow = self._start(caller, domain, uri, trigger)
        with self._lock:
            if self._background is None:
                self._background = ThreadPoolExecutor(2, thread_name_prefix="flow-runs")
            self._pending = [f for f in self._pending if not f.done()]
            self._pending.append(
                self._background.submit(self._execute, caller, domain, record, flow, run)
            )
        return run

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the runs :meth:`start` began."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.exception(timeout)

    def stop_runs(self) -> None:
        """Have the runs under way end after their current batch (each FAILED, to be taken up
        by the next run)."""
        self._stopping.set()

    def close(self) -> None:
        """Stop the runs under way (:meth:`stop_runs`) and wait for them."""
        self._stopping.set()
        with self._lock:
            executor, self._background = self._background, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _start(
        self, caller: Caller, domain: str, uri: str, trigger: str
    ) -> tuple[RunRecord, IntegrationRecord, Flow]:
        with self.database.write() as conn:
            domain_record = require_domain(conn, caller, domain)
            record = repo.find(conn, domain_record.id, uri)
            if record is None:
                raise not_found(f"Integration {uri} does not exist in domain {domain}.")
            definition = record.definition.get("FlowDefinition")
            if not definition:
                raise invalid(
                    f"Uri: integration {uri} has no FlowDefinition, so there is no flow to run"
                )
            if record.object_type_name in (None, UNSTRUCTURED):
                raise invalid(
                    f"Uri: integration {uri} has no object type to ingest into "
                    f"({record.object_type_name or 'ObjectTypeNames'}); runs need ObjectTypeName"
                )
            repo.lock(conn, record.id)
            under_way = repo.running(conn, record.id)
            if under_way:
                raise conflict(
                    f"Uri: run {under_way[0].id} of integration {uri} is under way; wait for it "
                    "to end"
                )
            run = repo.start_run(conn, record, trigger, self.clock.now())
        return run, record, check_flow(definition)

    # --- scheduling and recovery -----------------------------------------------------------------
    def due_runs(self) -> list[RunRecord]:
        """Start every scheduled run that is due (each on its own), moving each integration's
        next run on; the runs started."""
        now = self.clock.now()
        with self.database.read() as conn:
            due = repo.due(conn, now)
            owners = {r.domain_id: repo.domain_name(conn, r.domain_id) for r in due}
        started = []
        for record in due:
            owner = owners.get(record.domain_id)
            if owner is None:
                continue
            account, region, domain = owner
            if record.next_run_at is None:
                continue
            with self.database.write() as conn:
                following = next_scheduled_run(record.definition, now)
                if not repo.claim_next_run(conn, record.id, record.next_run_at, following):
                    continue  # another server on this database took this time
            try:
                started.append(self.run(Caller(account, region), domain, record.uri, "Scheduled"))
            except ServiceError as exc:
                log.warning("scheduled run of %s in %s not started: %s", record.uri, domain, exc)
        return started

    def recover(self) -> list[RunRecord]:
        """Mark the runs a crash left RUNNING as FAILED and start a run taking up after each;
        the runs started."""
        now = self.clock.now()
        with self.database.write() as conn:
            stale = repo.running(conn)
            owners = {}
            for run in stale:
                repo.finish_run(conn, run.id, FAILED, INTERRUPTED, now)
                owners[run.id] = repo.domain_name(conn, run.domain_id)
        started = []
        for run in stale:
            owner = owners.get(run.id)
            if owner is None:
                continue
            account, region, domain = owner
            try:
                started.append(self.start(Caller(account, region), domain, run.uri, "Resume"))
            except ServiceError as exc:
                log.warning("run %s of %s not resumed: %s", run.id, run.uri, exc)
        return started

    # --- the runs extension ----------------------------------------------------------------------
    def list_runs(
        self, caller: Caller, domain: str, uri: str | None, max_results: int | None,
        token: str | None,
    ) -> tuple[list[RunRecord], str | None]:  # fmt: skip
        """The domain's runs, newest first; only ``uri``'s when given."""
        limit = max_results or quota("list_max_results_default")
        scope = request_scope("ListIntegrationRuns", caller.account, caller.region, domain, uri)
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            query = repo.runs_query(record.id, uri)
            column = query.selected_columns.id
            after = self.pager.decode(token, scope)
            statement = query.order_by(column.desc()).limit(limit + 1)
            if after is not None:
                statement = statement.where(column < int(after[0]))
            rows = list(conn.execute(statement))
        runs = [repo.run_record(r) for r in rows[:limit]]
        next_token = self.pager.encode(scope, [runs[-1].id]) if len(rows) > limit else None
        return runs, next_token

    # --- one run ---------------------------------------------------------------------------------
    def _execute(
        self, caller: Caller, domain: str, record: IntegrationRecord, flow: Flow, run: RunRecord
    ) -> RunRecord:
        status, message = COMPLETED, None
        started = time.perf_counter()
        try:
            self._pull(caller, domain, record, flow, run)
        except SourceUnreachable as exc:
            status, message = FAILED, f"the source is unreachable: {exc}"
        except FlowTerminated as exc:
            status, message = FAILED, str(exc)
        except ImportStopped as exc:
            status, message = FAILED, f"records could not be stored: {exc}"
        except RunStopped:
            status, message = FAILED, STOPPED
        except InputError as exc:
            status, message = FAILED, f"a source file cannot be read: {exc}"
        except Exception as exc:  # the run must end recorded, whatever went wrong
            log.exception("run %s of %s failed", run.id, record.uri)
            status, message = FAILED, f"the run failed: {exc}"
        with self.database.write() as conn:
            repo.finish_run(conn, run.id, status, message, self.clock.now())
            ended = repo.find_run(conn, run.id)
        assert ended is not None
        if self.on_run_end is not None:
            self.on_run_end(time.perf_counter() - started, status)
        return ended

    def _s3(self, flow: Flow, caller: Caller) -> S3Source:
        return S3Source(
            self.s3_endpoint_url,
            caller.region,
            flow.source["BucketName"],
            flow.source.get("BucketPrefix") or "",
        )

    def _profile(self, flow: Flow, caller: Caller) -> ConnectorProfile:
        name = flow.connector_profile
        profile = self.profiles.get(name or "")
        if profile is None or profile.account not in (None, caller.account):
            raise SourceUnreachable(
                f"the {flow.connector_type} source needs a connector profile: "
                f"ConnectorProfileName {name or '(none given)'} is not configured on this "
                "server (OPENPROFILES_CONNECTOR_PROFILES)"
            )
        if profile.connector_type != flow.connector_type:
            raise SourceUnreachable(
                f"connector profile {name} is for {profile.connector_type}, not "
                f"{flow.connector_type}"
            )
        return profile

    def _pull(
        self, caller: Caller, domain: str, record: IntegrationRecord, flow: Flow, run: RunRecord
    ) -> None:
        with self.database.read() as conn:
            taken = repo.taken(conn, record.id)
            domain_id = require_domain(conn, caller, domain).id
            first = not repo.has_earlier_run(conn, record.id, run.id)
            current = repo.find_by_id(conn, record.id)
        first_from = None
        # FirstExecutionFrom bounds the first run only.
        if first and flow.scheduled and flow.scheduled.get("FirstExecutionFrom"):
            first_from = datetime.fromtimestamp(float(flow.scheduled["FirstExecutionFrom"]), UTC)
        plan = TaskPlan(flow.tasks)
        sink = LocalSink(
            self.objects, self.object_types, caller, domain, record.object_type_name or "",
            self.bulk,
        )  # fmt: skip
        sink.check()
        pending: list[Sent] = []

        def store(batch: _Batch, label: str, checkpoint: Callable[[Connection], None]) -> None:
            nonlocal pending
            if self._stopping.is_set():
                raise RunStopped
            within = self._within(domain_id, record, run, label, batch, checkpoint)
            if not batch.texts:  # every record filtered or rejected: only the counts
                with self.database.write() as conn:
                    within(conn, [], [])
                return
            pending = self._settle(pending, sink.put_many(batch.texts, batch.parsed, within))

        if flow.connector_type == "S3":
            self._pull_s3(flow, caller, record, run, plan, taken, first_from, store)
        elif flow.connector_type in SAAS_SOURCES:
            state = current.state if current is not None else {}
            self._pull_saas(flow, caller, record, plan, state, first_from, store)
        else:
            self._profile(flow, caller)
            raise SourceUnreachable(
                f"the {flow.connector_type} connector is not built yet; S3, "
                f"{', '.join(SAAS_SOURCES)} are"
            )
        self._settle(pending, None)
        for sent in pending:
            sent.outcomes()

    def _pull_s3(
        self, flow: Flow, caller: Caller, record: IntegrationRecord, run: RunRecord,
        plan: TaskPlan, taken: dict[tuple[str, str], tuple[int, bool]],
        first_from: datetime | None, store: _Store,
    ) -> None:  # fmt: skip
        source = self._s3(flow, caller)
        for item in source.items():
            done, complete = taken.get((item.key, item.version), (0, False))
            if flow.complete_pulls and complete:
                done, complete = 0, False
            if complete or (first_from is not None and item.last_modified < first_from):
                continue
            progress = _Progress(item, done)
            for batch in self._batches(source, progress, plan):

                def checkpoint(
                    conn: Connection, batch: _Batch = batch, progress: _Progress = progress
                ) -> None:
                    item = progress.item
                    repo.advance_item(
                        conn, record.id, item.key, item.version, batch.last_line, False,
                        run.id, self.clock.now(),
                    )  # fmt: skip
                    progress.last_line = batch.last_line

                store(batch, item.key, checkpoint)
                if self.on_batch is not None:
                    self.on_batch(item.key, batch.read)
            # The item's end: marked taken whole (with any rejections of its last records).
            with self.database.write() as conn:
                last = max(progress.done, progress.last_line)
                repo.advance_item(
                    conn, record.id, item.key, item.version, last, True, run.id, self.clock.now()
                )

    def _pull_saas(
        self, flow: Flow, caller: Caller, record: IntegrationRecord, plan: TaskPlan,
        state: dict[str, Any], first_from: datetime | None, store: _Store,
    ) -> None:  # fmt: skip
        """The Object's records from the watermark on, the watermark (the latest incremental
        field's value stored, and the ids stored at it) moved with each batch."""
        source = _saas_source(flow.connector_type, self._profile(flow, caller))
        fields = plan.projected
        if fields is None and flow.connector_type != "Zendesk":
            raise SourceUnreachable(
                f"a {flow.connector_type} flow needs a Filter PROJECTION task naming the fields "
                "to query"
            )
        stamp = flow.datetime_field or source.default_stamp
        watermark: str | None = None if flow.complete_pulls else state.get("watermark")
        seen = set(state.get("at_watermark", [])) if watermark else set()
        since: str | datetime | None = watermark or first_from
        label = str(flow.source["Object"])
        batch, line = _Batch(), 0
        mark: dict[str, Any] = {"watermark": watermark, "at_watermark": sorted(seen)}

        def flush(batch: _Batch) -> None:
            snapshot = dict(mark)

            def checkpoint(conn: Connection) -> None:
                repo.set_state(conn, record.id, {**state, **snapshot})

            store(batch, label, checkpoint)

        for found in source.query(label, fields or [], stamp, since):
            value, ident = found.get(stamp), str(found.get(source.id_field))
            if watermark is not None and value == watermark and ident in seen:
                continue  # stored by an earlier run
            line += 1
            _take(batch, plan, line, found, json.dumps(found, ensure_ascii=False), None)
            if isinstance(value, str) and (mark["watermark"] is None or value >= mark["watermark"]):
                if value != mark["watermark"]:
                    mark["watermark"], mark["at_watermark"] = value, []
                mark["at_watermark"] = [*mark["at_watermark"], ident]
            if batch.read >= self.batch_size:
                flush(batch)
                batch = _Batch()
        if batch.read:
            flush(batch)

    @staticmethod
    def _settle(pending: list[Sent], new: Sent | None) -> list[Sent]:
        """Raise the first failed commit among those before the newest batch."""
        for sent in pending:
            sent.outcomes()
        return [new] if new is not None else []

    def _batches(self, source: S3Source, progress: _Progress, plan: TaskPlan) -> Iterator[_Batch]:
        """The item's records after those already stored, transformed, in batches."""
        batch = _Batch()
        stream = source.open(progress.item)
        try:
            for rec in _guarded(records_of(progress.item.key, stream), source, progress.item):
                if rec.line <= progress.done:
                    continue
                _take(batch, plan, rec.line, rec.source, rec.text, rec.error)
                if batch.read >= self.batch_size:
                    yield batch
                    batch = _Batch()
            if batch.read:
                yield batch
        finally:
            stream.close()

    def _within(
        self, domain_id: int, record: IntegrationRecord, run: RunRecord, label: str,
        batch: _Batch, checkpoint: Callable[[Connection], None],
    ) -> WithinBatch:  # fmt: skip
        """What a batch writes in its own transaction: its rejections as dead letters, the
        run's counts and the source's progress (``checkpoint``)."""
        now = self.clock.now()
        object_type = record.object_type_name or ""
        prefix = f"integration {record.uri}, run {run.id}, {label}"

        def write(
            conn: Connection,
            results: Sequence[PutResult | ServiceError],
            kept: Sequence[dict[str, Any]],
        ) -> None:
            letters = {row["object"] for row in kept}
            reasons: list[str] = []
            rows = []
            for source, reason in batch.rejected:
                reasons.append(f"{label} {reason}")
                rows.append(_letter(domain_id, object_type, source, f"{prefix} {reason}", now))
            ingested = 0
            for text, line, result in zip(batch.texts, batch.originals, results, strict=True):
                if isinstance(result, ServiceError):
                    reason = f"line {line}: {result.message}"
                    reasons.append(f"{label} {reason}")
                    if text not in letters:
                        rows.append(
                            _letter(domain_id, object_type, text, f"{prefix} {reason}", now)
                        )
                else:
                    ingested += 1
            dead_letter_repo.add(conn, rows)
            repo.add_counts(
                conn, run.id, batch.read, ingested, len(reasons), batch.filtered, reasons
            )
            checkpoint(conn)

        return write


SAAS_SOURCES: Final = ("Salesforce", "Zendesk", "Servicenow", "Marketo")


def _saas_source(connector_type: str, profile: ConnectorProfile) -> Any:
    """The source of a SaaS connector: ``query(object, fields, stamp_field, since)`` yields its
    records from ``since`` on; ``default_stamp`` and ``id_field`` name its fields."""
    if connector_type == "Salesforce":
        from openprofiles.integrations.salesforce import SalesforceSource

        return SalesforceSource(profile)
    if connector_type == "Zendesk":
        from openprofiles.integrations.zendesk import ZendeskSource

        return ZendeskSource(profile)
    if connector_type == "Marketo":
        from openprofiles.integrations.marketo import MarketoSource

        return MarketoSource(profile)
    from openprofiles.integrations.servicenow import ServiceNowSource

    return ServiceNowSource(profile)


_Store = Callable[[_Batch, str, Callable[[Connection], None]], None]


def _take(
    batch: _Batch, plan: TaskPlan, line: int, source: Any, text: str | None, error: str | None
) -> None:
    """One record read: its Tasks applied, into the batch as an object, a rejection or a
    filtered record."""
    batch.read += 1
    batch.last_line = line
    if text is None:
        batch.rejected.append((source, f"line {line}: {error}"))
        return
    try:
        out = plan.apply(source)
    except Rejected as exc:
        batch.rejected.append((source, f"line {line}: {exc}"))
        return
    if out is None:
        batch.filtered += 1
        return
    batch.texts.append(text if out is source else json.dumps(out, ensure_ascii=False))
    batch.parsed.append(out)
    batch.originals.append(line)


def _letter(
    domain_id: int, object_type: str, source: Any, reason: str, now: datetime
) -> dict[str, Any]:
    text = source if isinstance(source, str) else json.dumps(source, ensure_ascii=False)
    return {
        "domain_id": domain_id,
        "object_type": object_type,
        "object": text,
        "reason": reason,
        "created_at": now,
    }


def _guarded(records: Iterator[Record], source: S3Source, item: SourceItem) -> Iterator[Record]:
    """The records, a broken connection mid-object raised as :class:`SourceUnreachable`."""
    try:
        yield from records
    except (InputError, SourceUnreachable):
        raise
    except OSError as exc:
        raise SourceUnreachable(
            f"reading s3://{source.bucket}/{item.key} broke off: {exc}"
        ) from exc
    except Exception as exc:
        if type(exc).__module__.startswith(("botocore", "urllib3")):
            raise SourceUnreachable(
                f"reading s3://{source.bucket}/{item.key} broke off: {exc}"
            ) from exc
        raise
