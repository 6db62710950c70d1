"""``openprofiles import``: bulk-load JSON Lines or CSV objects through the ingestion engine.

Objects go through the same engine as PutProfileObject: locally through the object service in
batches (one write transaction per batch, committed on the bulk-load thread of
``storage/bulk.py`` while the next batch is read and mapped; a batch counts once its commit is
done), or with ``--endpoint-url`` to a running server, one
PutProfileObject per object from a small thread pool. The input is streamed, so memory stays
flat however large the file; a line that cannot be read or stored is reported with its reason
and the import goes on.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, TextIO

import click

from openprofiles.cli._readers import (
    FORMATS,
    InputError,
    Record,
    count_lines,
    format_for,
    read_records,
)
from openprofiles.context import Caller
from openprofiles.errors import ServiceError

if TYPE_CHECKING:
    from openprofiles.storage.database import Committer

SHOWN_REJECTS = 20
HTTP_WORKERS = 8
_MAX_BATCH = 100_000
# Objects per write transaction: fewer, larger commits write each hot index page once per batch
# instead of once per few thousand objects. 5,000 made an import 15% faster than 1,000; 20,000
# a further 16% at 1,000,000 objects on SQLite (15 KB written per object instead of 25) and
# 13 to 14% into PostgreSQL at 100,000, for a peak memory of about 600 MiB instead of 410.
# A batch then holds the write lock for a few seconds: see SHARED_BATCH.
DEFAULT_BATCH = 20_000
# Objects per write transaction of a local import while another connection (a server on the
# same data directory) is writing too: that writer waits for the transaction under way, so a
# smaller one keeps its wait short.
SHARED_BATCH = 1000
# Objects per dispatch of an import through a running server (--endpoint-url): one
# PutProfileObject each, so a batch is counted (progress, summary) every second or two.
REMOTE_BATCH = 1000
# Objects between two collections of the cyclic garbage collector during an import (see
# _quiet_gc): a full collection then goes over the batches alive, a tenth of a second or so.
COLLECT_EVERY = 200_000


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one object: stored (perhaps creating a profile) or rejected with a reason."""

    error: str | None = None
    profile_created: bool = False


class ImportStopped(Exception):
    """The import cannot go on: the domain or object type is missing, the server is gone."""


@dataclass
class Sent:
    """A batch handed to a sink; its outcomes stand once :meth:`outcomes` returns.

    A local import's batch may still be committing on the bulk-load thread when ``put_many``
    returns (the next batch is read and mapped meanwhile): ``stored`` then resolves when it is
    stored, or fails, and the batch is not stored.
    """

    results: list[Outcome]
    stored: Future[None] | None = None

    def outcomes(self) -> list[Outcome]:
        """The batch's outcomes; raises :class:`ImportStopped` if it could not be stored."""
        if self.stored is not None:
            try:
                self.stored.result()
            except Exception as exc:
                raise ImportStopped(f"a batch could not be stored: {exc}") from exc
        return self.results


class Sink(Protocol):
    """Where objects go: the local object service or a running server."""

    counts_profiles: bool  # whether outcomes say if a profile was created

    def check(self) -> None:
        """Raise :class:`ImportStopped` unless the domain and object type exist."""

    def batch_size(self, preferred: int) -> int:
        """How many objects to send in the next batch, ``preferred`` by default."""

    def put_many(
        self, texts: Sequence[str], parsed: Sequence[dict[str, Any]] | None = None
    ) -> Sent:
        """Store ``texts`` (``parsed``: the same objects, already parsed)."""


class ObjectWriter(Protocol):
    def put_many(
        self,
        caller: Caller,
        domain: str,
        object_type: str,
        texts: Sequence[str],
        parsed: Sequence[dict[str, Any]] | None = None,
        *,
        commit: Committer | None = None,
    ) -> Sequence[Any]: ...


class ObjectTypeReader(Protocol):
    def get(self, caller: Caller, domain: str, name: str) -> Any: ...


class BulkLoad(Protocol):
    """What a local import asks of the database it loads (``storage.bulk.BulkWrites``)."""

    @property
    def others_writing(self) -> bool: ...

    def commit_later(self, finish: Callable[[], None]) -> Future[None]: ...

    def batch_written(self) -> None: ...


class LocalSink:
    """The object service in this process: ``put_many`` per batch, one transaction each.

    With ``bulk`` (the database's bulk-load settings), each batch's commit is handed to it, so
    on SQLite the next batch is read and mapped while the last one is being committed; it is
    told after each batch, and says when batches should be smaller.
    """

    counts_profiles = True

    def __init__(
        self,
        objects: ObjectWriter,
        object_types: ObjectTypeReader,
        caller: Caller,
        domain: str,
        object_type: str,
        bulk: BulkLoad | None = None,
    ) -> None:
        self.objects = objects
        self.object_types = object_types
        self.caller = caller
        self.domain = domain
        self.object_type = object_type
        self.bulk = bulk

    def check(self) -> None:
        try:
            self.object_types.get(self.caller, self.domain, self.object_type)
        except ServiceError as exc:
            raise ImportStopped(exc.message) from exc

    def batch_size(self, preferred: int) -> int:
        if self.bulk is not None and self.bulk.others_writing:
            return min(preferred, SHARED_BATCH)
        return preferred

    def put_many(
        self, texts: Sequence[str], parsed: Sequence[dict[str, Any]] | None = None
    ) -> Sent:
        from openprofiles.storage.bulk import CommitFailed

        stored: list[Future[None]] = []

        def commit(finish: Callable[[], None]) -> None:
            assert self.bulk is not None
            stored.append(self.bulk.commit_later(finish))

        try:
            results = self.objects.put_many(
                self.caller,
                self.domain,
                self.object_type,
                texts,
                parsed,
                commit=None if self.bulk is None else commit,
            )
        except ServiceError as exc:
            # A whole batch refused is not the objects' fault (the type was deleted meanwhile).
            raise ImportStopped(exc.message) from exc
        except CommitFailed as exc:
            raise ImportStopped(str(exc)) from exc
        if self.bulk is not None:
            self.bulk.batch_written()
        outcomes = [
            Outcome(error=r.message)
            if isinstance(r, ServiceError)
            else Outcome(profile_created=bool(r.profile_created))
            for r in results
        ]
        return Sent(outcomes, stored[0] if stored else None)


class RemoteSink:
    """A running server: one PutProfileObject per object, ``workers`` at a time.

    Uses botocore (what boto3 wraps) with the standard AWS credential chain, falling back to
    the server's default ``test``/``test`` when none is configured.
    """

    counts_profiles = False  # PutProfileObject answers only the ProfileObjectUniqueKey

    def __init__(
        self,
        endpoint_url: str,
        region: str,
        domain: str,
        object_type: str,
        workers: int = HTTP_WORKERS,
    ) -> None:
        import botocore.session
        from botocore.config import Config

        session = botocore.session.get_session()
        fallback = {} if session.get_credentials() else {"aws_access_key_id": "test"}
        if fallback:
            fallback["aws_secret_access_key"] = "test"
        self.client = session.create_client(
            "customer-profiles",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(
                max_pool_connections=workers, retries={"mode": "standard", "max_attempts": 5}
            ),
            **fallback,
        )
        self.endpoint_url = endpoint_url
        self.domain = domain
        self.object_type = object_type
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="import")

    def check(self) -> None:
        reason = self._call(
            self.client.get_profile_object_type,
            DomainName=self.domain,
            ObjectTypeName=self.object_type,
        )
        if reason is not None:
            raise ImportStopped(reason)

    def _call(self, method: Callable[..., Any], **params: Any) -> str | None:
        """Call the API; the reason when the server refused the request, None when it took it."""
        from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

        try:
            method(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            reason = f"{error.get('Code', 'Error')}: {error.get('Message', '')}"
            if error.get("Code") in ("ResourceNotFoundException", "AccessDeniedException") or (
                exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) in (401, 403)
            ):
                raise ImportStopped(reason) from exc
            return reason
        except ParamValidationError as exc:
            return str(exc)
        except BotoCoreError as exc:
            raise ImportStopped(f"cannot reach {self.endpoint_url}: {exc}") from exc
        return None

    def batch_size(self, preferred: int) -> int:
        return preferred

    def _put(self, text: str) -> Outcome:
        reason = self._call(
            self.client.put_profile_object,
            DomainName=self.domain,
            ObjectTypeName=self.object_type,
            Object=text,
        )
        return Outcome(error=reason)

    def put_many(
        self, texts: Sequence[str], parsed: Sequence[dict[str, Any]] | None = None
    ) -> Sent:
        return Sent(list(self.pool.map(self._put, texts)))

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


@dataclass
class RejectReport:
    """Every rejected line, written as JSON Lines as it comes; the first few kept to print."""

    path: Path
    shown: int = SHOWN_REJECTS
    count: int = 0
    first: list[tuple[int, str]] = field(default_factory=list)
    _file: TextIO | None = None

    def add(self, line: int, reason: str, source: Any) -> None:
        if self._file is None:
            self._file = self.path.open("w", encoding="utf-8")
        entry = {"line": line, "reason": reason, "object": source}
        self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.count += 1
        if len(self.first) < self.shown:
            self.first.append((line, reason))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


@dataclass
class Summary:
    read: int = 0
    stored: int = 0
    profiles_created: int = 0
    rejected: int = 0
    elapsed: float = 0.0
    last_line: int = 0  # the last line fully processed

    @property
    def rate(self) -> float:
        return self.read / self.elapsed if self.elapsed > 0 else 0.0


class Progress(Protocol):
    def update(self, n: int) -> Any: ...


def batches(records: Iterable[Record], size: Callable[[], int]) -> Iterator[list[Record]]:
    """Lists of ``size()`` records, asked before each batch (the last may be shorter)."""
    iterator = iter(records)
    while batch := list(islice(iterator, size())):
        yield batch


def run_import(
    records: Iterable[Record],
    sink: Sink,
    batch_size: int,
    report: RejectReport,
    progress: Progress | None = None,
    summary: Summary | None = None,
) -> Summary:
    """Send ``records`` to ``sink`` in batches, reporting each rejected line; fills ``summary``.

    A batch is counted (stored, rejected, progress) once the sink says it stands, which for a
    local import is after the next batch has been read and mapped (see :class:`Sent`).
    """
    summary = summary if summary is not None else Summary()
    started = time.perf_counter()
    previous: tuple[list[Record], Sent | None] | None = None
    collected = 0  # objects read at the last garbage collection

    def settle() -> None:
        nonlocal previous
        if previous is not None:
            batch, sent = previous
            previous = None
            _count(batch, sent, summary, report, progress)

    try:
        for batch in batches(records, lambda: sink.batch_size(batch_size)):
            readable = [r for r in batch if r.text is not None]
            # A readable record's source is its text parsed: the engine need not parse again.
            texts = [r.text for r in readable if r.text is not None]
            parsed = [r.source for r in readable]
            sent = sink.put_many(texts, parsed) if readable else None
            settle()
            previous = (batch, sent)
            if summary.read >= collected + COLLECT_EVERY:
                collected = summary.read
                gc.collect()
        settle()
    except BaseException:
        settle()  # a stop or an interrupt: what was stored before it is counted
        raise
    finally:
        summary.elapsed = time.perf_counter() - started
    return summary


def _count(
    batch: list[Record],
    sent: Sent | None,
    summary: Summary,
    report: RejectReport,
    progress: Progress | None,
) -> None:
    outcomes = iter(sent.outcomes() if sent is not None else [])
    for record in batch:
        error = record.error
        if record.text is not None:
            outcome = next(outcomes)
            error = outcome.error
            if error is None:
                summary.stored += 1
                summary.profiles_created += outcome.profile_created
        if error is not None:
            summary.rejected += 1
            report.add(record.line, error, record.source)
    summary.read += len(batch)
    summary.last_line = batch[-1].line
    if progress is not None:
        progress.update(len(batch))


def _open_input(file: str, stack: ExitStack) -> IO[bytes]:
    if file == "-":
        return sys.stdin.buffer
    try:
        return stack.enter_context(open(file, "rb"))
    except OSError as exc:
        raise click.BadParameter(f"cannot open {file}: {exc.strerror}", param_hint="FILE") from exc


def _local_sink(
    stack: ExitStack,
    data_dir: Path | None,
    database_url: str | None,
    caller: Caller,
    domain: str,
    object_type: str,
) -> LocalSink:
    from openprofiles.config import load_settings
    from openprofiles.services.container import Services
    from openprofiles.storage.bulk import prepare_bulk_writes
    from openprofiles.storage.database import Database

    settings = load_settings({"data_dir": data_dir, "database_url": database_url})
    if not settings.database_url and not (settings.data_dir / "openprofiles.db").exists():
        raise click.UsageError(
            f"{settings.data_dir} holds no openprofiles database: give the --data-dir of a "
            "server (`openprofiles serve --data-dir DIR`) or a --database-url"
        )
    from sqlalchemy.exc import SQLAlchemyError

    try:
        database = Database.open(settings.effective_database_url)
    except (SQLAlchemyError, ValueError) as exc:
        raise click.UsageError(f"cannot open the database: {exc}") from exc
    stack.callback(database.close)
    bulk = prepare_bulk_writes(database)
    stack.callback(bulk.close)
    services = Services(database, settings)
    return LocalSink(services.objects, services.object_types, caller, domain, object_type, bulk)


@contextmanager
def _quiet_gc() -> Iterator[None]:
    """Run the block with the cyclic garbage collector off, and never over what was alive
    before it; :func:`run_import` collects once per COLLECT_EVERY objects instead.

    An import allocates millions of objects (parsed objects, rows) that hold no reference
    cycles: reference counting frees them, and the collector's passes over those alive
    (each batch's, until it is written) free next to nothing. At the default thresholds they
    took about 15% of a local import, at thresholds of 100,000 young objects 7 to 10% (see
    docs/import.md). The engine keeps rejections without their tracebacks, which would hold
    a batch's results in a cycle; what cycles remain are freed by the collections between
    batches.
    """
    was_enabled = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def _print_summary(summary: Summary, report: RejectReport, counts_profiles: bool) -> None:
    created = f"{summary.profiles_created:,}" if counts_profiles else "not reported over HTTP"
    rows = [
        ("objects read", f"{summary.read:,}"),
        ("stored", f"{summary.stored:,}"),
        ("profiles created", created),
        ("rejected", f"{summary.rejected:,}"),
        ("elapsed", f"{summary.elapsed:.1f} s"),
        ("objects/s", f"{summary.rate:,.0f}"),
    ]
    for name, value in rows:
        click.echo(f"{name:<18}{value}")
    if report.count:
        more = f" (first {len(report.first)} shown)" if report.count > len(report.first) else ""
        click.echo(f"\nrejected lines{more}; all {report.count:,} are in {report.path}:")
        for line, reason in report.first:
            click.echo(f"  line {line}: {reason}")


@click.command("import")
@click.option("--domain", required=True, help="Domain to import into (it must exist).")
@click.option("--object-type", required=True, help="Object type of every object (it must exist).")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    help="Input format; by default from FILE's extension (.jsonl/.ndjson/.json, .csv), "
    "jsonl for stdin.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, _MAX_BATCH),
    help=f"Objects per write transaction [default: {DEFAULT_BATCH}]; with --endpoint-url, "
    f"objects per dispatch [default: {REMOTE_BATCH}].",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Data directory of the embedded SQLite database (default: OPENPROFILES_DATA_DIR).",
)
@click.option("--database-url", help="Database URL, instead of --data-dir.")
@click.option("--endpoint-url", help="Send objects to this running server instead.")
@click.option("--account", default="000000000000", show_default=True, help="Account (local).")
@click.option("--region", default="us-east-1", show_default=True)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the reject report [default: FILE.rejects.jsonl, "
    "import.rejects.jsonl for stdin].",
)
@click.option("--progress/--no-progress", default=True, help="Progress bar on stderr.")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.pass_context
def import_command(
    ctx: click.Context,
    domain: str,
    object_type: str,
    file_format: str | None,
    batch_size: int | None,
    data_dir: Path | None,
    database_url: str | None,
    endpoint_url: str | None,
    account: str,
    region: str,
    rejects: Path | None,
    progress: bool,
    file: str,
) -> None:
    """Import the objects of FILE (JSON Lines or CSV; - for stdin) into a domain.

    Each object goes through the ingestion engine like PutProfileObject. Exit status: 0 when
    every object was stored, 1 when some were rejected (see the report), 2 on usage errors.
    """
    if data_dir is not None and database_url is not None:
        raise click.UsageError("give --data-dir or --database-url, not both")
    if endpoint_url is not None:
        local_options = [("--data-dir", data_dir), ("--database-url", database_url)]
        if ctx.get_parameter_source("account") is not click.core.ParameterSource.DEFAULT:
            local_options.append(("--account", account))
        for name, value in local_options:
            if value is not None:
                raise click.UsageError(
                    f"{name} is for local imports; with --endpoint-url the server's database "
                    "is used and the credentials select the account"
                )
    if not (account.isdigit() and len(account) == 12):
        raise click.BadParameter("must be 12 digits", param_hint="--account")
    if file_format is None:
        file_format = "jsonl" if file == "-" else format_for(file)
        if file_format is None:
            raise click.UsageError(
                f"cannot tell the format of {file} from its extension: give --format jsonl|csv"
            )
    if batch_size is None:
        batch_size = DEFAULT_BATCH if endpoint_url is None else REMOTE_BATCH
    report = RejectReport(
        rejects or Path("import.rejects.jsonl" if file == "-" else f"{file}.rejects.jsonl")
    )
    summary = Summary()
    with ExitStack() as stack:
        stream = _open_input(file, stack)
        total = None
        if file != "-" and Path(file).is_file():
            total = max(0, count_lines(file) - (file_format == "csv"))
        sink: Sink
        if endpoint_url is not None:
            remote = RemoteSink(endpoint_url, region, domain, object_type)
            stack.callback(remote.close)
            sink = remote
        else:
            sink = _local_sink(
                stack, data_dir, database_url, Caller(account, region), domain, object_type
            )
        try:
            sink.check()
        except ImportStopped as exc:
            raise click.UsageError(str(exc)) from exc
        stack.enter_context(_quiet_gc())
        stack.callback(report.close)
        bar = _progress_bar(total) if progress else None
        if bar is not None:
            stack.callback(bar.close)
        try:
            run_import(read_records(stream, file_format), sink, batch_size, report, bar, summary)
        except InputError as exc:
            raise click.UsageError(f"{file}: {exc}") from exc
        except ImportStopped as exc:
            _finish(bar, summary, report, sink)
            click.echo(f"\nimport stopped after line {summary.last_line}: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            _finish(bar, summary, report, sink)
            click.echo(f"\ninterrupted after line {summary.last_line}", err=True)
            ctx.exit(130)
        _finish(bar, summary, report, sink, complete=True)
    ctx.exit(1 if summary.rejected else 0)


def _progress_bar(total: int | None) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit=" objects",
        dynamic_ncols=True,
        mininterval=0.5,
        smoothing=0.1,
        file=sys.stderr,
    )


def _finish(
    bar: Any, summary: Summary, report: RejectReport, sink: Sink, complete: bool = False
) -> None:
    if bar is not None:
        if complete and bar.total is not None and bar.n < bar.total:
            bar.total = bar.n  # the line count included blank lines
            bar.refresh()
        bar.close()
    report.close()
    _print_summary(summary, report, sink.counts_profiles)
