"""``openprofiles export``: a domain's profiles with their keys and objects, to JSON Lines.

One line per profile (the default)::

    {"Profile": {"ProfileId": "...", "FirstName": "Ana", ...},
     "Keys": {"_profileId": ["..."], "_email": ["ana@example.com"], "customerId": ["c-1"]},
     "Objects": [{"ObjectTypeName": "Customer", "ProfileObjectUniqueKey": "c-1",
                  "Object": "{\\"id\\": \\"c-1\\", ...}"}]}

``Profile`` is the profile as SearchProfiles returns it, ``Keys`` every key it can be found by
(values as indexed), ``Objects`` its unexpired objects, each as ListProfileObjects returns it
(``Object`` the object's JSON text as received). With ``--objects-of TYPE``, each object of that
type on a line of its own, as received, in the order they were first stored: the input
``openprofiles import`` takes.

The domain is read through the export service (``services/export.py``) in batches of
``--batch-size`` profiles, so memory stays flat; a progress bar on stderr counts profiles and
a summary closes the run (on stderr when the export goes to standard output).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import click

from openprofiles.cli._database import open_database
from openprofiles.context import Caller
from openprofiles.jsontext import compact, parse
from openprofiles.services.export import ExportedProfile, ExportService

DEFAULT_BATCH = 1000


def profile_line(profile: ExportedProfile) -> str:
    """The JSON Lines record of one profile."""
    return compact(
        {
            "Profile": profile.document,
            "Keys": profile.keys,
            "Objects": [
                {
                    "ObjectTypeName": o.object_type,
                    "ProfileObjectUniqueKey": o.unique_key,
                    "Object": o.document,
                }
                for o in profile.objects
            ],
        }
    )


def _object_line(document: str) -> str:
    # An object may have been sent over several lines; a JSON Lines record has one.
    return compact(parse(document)) if "\n" in document or "\r" in document else document


def _open_services(stack: ExitStack, data_dir: Path | None, database_url: str | None) -> Any:
    from openprofiles.services.container import Services

    settings, database = open_database(data_dir, database_url)
    stack.callback(database.close)
    return Services(database, settings)


@click.command("export")
@click.option("--domain", required=True, help="Domain to export.")
@click.option("--output", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="JSON Lines file to write; - for standard output.")  # fmt: skip
@click.option("--objects-of", "object_type", metavar="TYPE",
              help="Write the objects of this type, one per line as received, instead of "
              "profiles: the input of `openprofiles import`.")  # fmt: skip
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Data directory of the embedded SQLite database (default: "
              "OPENPROFILES_DATA_DIR).")  # fmt: skip
@click.option("--database-url", help="Database URL, instead of --data-dir.")
@click.option("--account", default="000000000000", show_default=True)
@click.option("--region", default="us-east-1", show_default=True)
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=DEFAULT_BATCH,
              show_default=True,
              help="Profiles (with --objects-of, objects) read per transaction.")  # fmt: skip
@click.option("--progress/--no-progress", default=True, help="Progress bar on stderr.")
def export_command(
    domain: str,
    output: str,
    object_type: str | None,
    data_dir: Path | None,
    database_url: str | None,
    account: str,
    region: str,
    batch_size: int,
    progress: bool,
) -> None:
    """Export a domain's profiles, with their keys and objects, as JSON Lines."""
    from openprofiles.errors import ServiceError

    if data_dir is not None and database_url is not None:
        raise click.UsageError("give --data-dir or --database-url, not both")
    if not (account.isdigit() and len(account) == 12):
        raise click.BadParameter("must be 12 digits", param_hint="--account")
    caller = Caller(account, region)
    to_stdout = output == "-"
    profiles = objects = written = 0
    with ExitStack() as stack:
        services = _open_services(stack, data_dir, database_url)
        try:
            if object_type is None:
                total = services.export.count(caller, domain)
            else:
                total = services.export.count_objects(caller, domain, object_type)
        except ServiceError as exc:
            raise click.UsageError(f"{exc.message} (account {account}, {region})") from exc
        target: IO[str] = (
            sys.stdout
            if to_stdout
            else stack.enter_context(open(output, "w", encoding="utf-8", newline="\n"))
        )
        bar = _progress_bar(total, object_type) if progress else None
        if bar is not None:
            stack.callback(bar.close)
        started = time.perf_counter()
        for lines, counted in _records(services.export, caller, domain, object_type, batch_size):
            text = "".join(line + "\n" for line in lines)
            target.write(text)
            written += len(text.encode())
            if object_type is None:
                profiles += len(lines)
                objects += counted
            else:
                objects += len(lines)
            if bar is not None:
                bar.update(len(lines))
        target.flush()
        elapsed = time.perf_counter() - started
        if bar is not None:
            if bar.n != bar.total:
                bar.total = bar.n  # profiles were added or deleted meanwhile
                bar.refresh()
            bar.close()
    rows = [("profiles", f"{profiles:,}")] if object_type is None else []
    rows += [
        (f"{object_type} objects" if object_type else "objects", f"{objects:,}"),
        ("written", f"{written:,} bytes to {'standard output' if to_stdout else output}"),
        ("elapsed", f"{elapsed:.1f} s"),
        (
            "objects/s" if object_type else "profiles/s",
            f"{(objects if object_type else profiles) / elapsed if elapsed > 0 else 0:,.0f}",
        ),
    ]
    width = max(len(name) for name, _ in rows) + 2
    for name, value in rows:
        click.echo(f"{name:<{width}}{value}", err=to_stdout)


def _records(
    export: ExportService, caller: Caller, domain: str, object_type: str | None, batch_size: int
) -> Iterator[tuple[list[str], int]]:
    """Each batch's lines, with the number of objects they hold."""
    if object_type is not None:
        for documents in export.object_batches(caller, domain, object_type, batch_size):
            yield [_object_line(d) for d in documents], len(documents)
        return
    for batch in export.batches(caller, domain, batch_size):
        yield [profile_line(p) for p in batch], sum(len(p.objects) for p in batch)


def _progress_bar(total: int, object_type: str | None) -> Any:
    from tqdm import tqdm

    unit = " objects" if object_type else " profiles"
    return tqdm(total=total, unit=unit, dynamic_ncols=True, mininterval=0.5, file=sys.stderr)
