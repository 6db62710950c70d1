"""``openprofiles import``: bulk-load JSON Lines or CSV objects through the ingestion engine.

Objects go through the same engine as PutProfileObject: locally through the object service in
batches (one write transaction per batch, committed on the bulk-load thread of
``storage/bulk.py`` while the next batch is read and mapped; a batch counts once its commit is
done), or with ``--endpoint-url`` to a running server, one
PutProfileObject per object from a small thread pool. The input is streamed, so memory stays
flat however large the file; a line that cannot be read or stored is reported with its reason
and the import goes on.

This module is the click command; the sinks (local, remote) are in ``cli/import_sinks.py``, the
batch loop with its summary and reject report in ``cli/import_run.py``.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import click

from openprofiles.cli._database import open_database
from openprofiles.cli._readers import FORMATS, InputError, count_lines, format_for, read_records
from openprofiles.cli.import_run import RejectReport, Summary, quiet_gc, run_import
from openprofiles.cli.import_sinks import ImportStopped, LocalSink, RemoteSink, Sink
from openprofiles.context import Caller

_MAX_BATCH = 100_000
# Objects per write transaction: fewer, larger commits write each hot index page once per batch
# instead of once per few thousand objects. 5,000 made an import 15% faster than 1,000; 20,000
# a further 16% at 1,000,000 objects on SQLite (15 KB written per object instead of 25) and
# 13 to 14% into PostgreSQL at 100,000, for a peak memory of about 600 MiB instead of 410.
# A batch then holds the write lock for a few seconds: see import_sinks.SHARED_BATCH.
DEFAULT_BATCH = 20_000
# Objects per dispatch of an import through a running server (--endpoint-url): one
# PutProfileObject each, so a batch is counted (progress, summary) every second or two.
REMOTE_BATCH = 1000


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
    from openprofiles.services.container import Services
    from openprofiles.storage.bulk import prepare_bulk_writes

    settings, database = open_database(data_dir, database_url)
    stack.callback(database.close)
    bulk = prepare_bulk_writes(database)
    stack.callback(bulk.close)
    services = Services(database, settings)
    return LocalSink(services.objects, services.object_types, caller, domain, object_type, bulk)


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
        stack.enter_context(quiet_gc())
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
