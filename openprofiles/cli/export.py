"""``openprofiles export``: a domain's profiles with their keys and objects, to JSON Lines.

One line per profile (the default)::

    {"Profile": {"ProfileId": "...", "FirstName": "Ana", ...},
     "Keys": {"_profileId": ["..."], "_email": ["ana@example.com"], "customerId": ["c-1"]},
     "Objects": [{"ObjectTypeName": "Customer", "ProfileObjectUniqueKey": "c-1",
                  "Object": "{\\"id\\": \\"c-1\\", ...}"}]}

``Profile`` is the profile as SearchProfiles returns it, ``Keys`` every key it can be found by
(values as indexed), ``Objects`` its unexpired objects, each as ListProfileObjects returns it
(``Object`` the object's JSON text as received). With ``--objects-of TYPE``, each object of that
type on a line of its own, as received: the input ``openprofiles import`` takes.

The domain is read through the export service (``services/export.py``) in batches of
``--batch-size`` profiles, so memory stays flat; a progress bar on stderr counts profiles and
a summary closes the run (on stderr when the export goes to standard output).
"""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import click

from openprofiles.context import Caller
from openprofiles.jsontext import compact, parse
from openprofiles.services.export import ExportedProfile

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
    from sqlalchemy.exc import SQLAlchemyError

    from openprofiles.config import load_settings
    from openprofiles.services.container import Services
    from openprofiles.storage.database import Database

    try:
        settings = load_settings({"data_dir": data_dir, "database_url": database_url})
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if not settings.database_url and not (settings.data_dir / "openprofiles.db").exists():
        raise click.UsageError(
            f"{settings.data_dir} holds no openprofiles database: give the --data-dir of a "
            "server (`openprofiles serve --data-dir DIR`) or a --database-url"
        )
    try:
        database = Database.open(settings.effective_database_url)
    except (SQLAlchemyError, ValueError) as exc:
        raise click.UsageError(f"cannot open the database: {exc}") from exc
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
              show_default=True, help="Profiles read per transaction.")  # fmt: skip
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
            total = services.export.count(caller, domain)
        except ServiceError as exc:
            raise click.UsageError(f"{exc.message} (account {account}, {region})") from exc
        target: IO[str] = (
            sys.stdout
            if to_stdout
            else stack.enter_context(open(output, "w", encoding="utf-8", newline="\n"))
        )
        bar = _progress_bar(total) if progress else None
        if bar is not None:
            stack.callback(bar.close)
        started = time.perf_counter()
        for batch in services.export.batches(caller, domain, batch_size):
            lines: list[str] = []
            for profile in batch:
                if object_type is None:
                    lines.append(profile_line(profile))
                    objects += len(profile.objects)
                else:
                    found = [o for o in profile.objects if o.object_type == object_type]
                    lines += [_object_line(o.document) for o in found]
                    objects += len(found)
            text = "".join(line + "\n" for line in lines)
            target.write(text)
            written += len(text.encode())
            profiles += len(batch)
            if bar is not None:
                bar.update(len(batch))
        target.flush()
        elapsed = time.perf_counter() - started
        if bar is not None:
            if bar.n != bar.total:
                bar.total = bar.n  # profiles were added or deleted meanwhile
                bar.refresh()
            bar.close()
    rows = [
        ("profiles", f"{profiles:,}"),
        (f"{object_type} objects" if object_type else "objects", f"{objects:,}"),
        ("written", f"{written:,} bytes to {'standard output' if to_stdout else output}"),
        ("elapsed", f"{elapsed:.1f} s"),
        ("profiles/s", f"{profiles / elapsed if elapsed > 0 else 0:,.0f}"),
    ]
    width = max(len(name) for name, _ in rows) + 2
    for name, value in rows:
        click.echo(f"{name:<{width}}{value}", err=to_stdout)


def _progress_bar(total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit=" profiles", dynamic_ncols=True, mininterval=0.5,
                file=sys.stderr)  # fmt: skip
