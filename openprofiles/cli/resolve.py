"""``openprofiles resolve``: run a domain's identity resolution job now, in this process.

The job is the same as the server's (worker/resolution_jobs.py): a row in the database that a
running server on the same database sees in ListIdentityResolutionJobs, with the same stages,
matches, merges and export. A progress bar on stderr follows its stages; a summary follows.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from openprofiles.cli._database import open_database
from openprofiles.context import Caller


class _StageBar:
    """One tqdm bar, restarted for each stage the job reports."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self.bar: Any = tqdm(
            total=0, unit=" profiles", dynamic_ncols=True, mininterval=0.5, file=sys.stderr
        )
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.stage = stage
            self.bar.set_description(stage)
            self.bar.unit = " groups" if stage == "MERGING" else " profiles"
            self.bar.reset(total=total or None)
        if total and self.bar.total != total:
            self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


@click.command("resolve")
@click.option("--domain", required=True, help="Domain to resolve (Matching must be enabled).")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Data directory of the embedded SQLite database (default: OPENPROFILES_DATA_DIR).",
)
@click.option("--database-url", help="Database URL, instead of --data-dir.")
@click.option("--account", default="000000000000", show_default=True, help="Account.")
@click.option("--region", default="us-east-1", show_default=True)
@click.option("--progress/--no-progress", default=True, help="Progress bar on stderr.")
@click.pass_context
def resolve_command(
    ctx: click.Context,
    domain: str,
    data_dir: Path | None,
    database_url: str | None,
    account: str,
    region: str,
    progress: bool,
) -> None:
    """Run an identity resolution job for a domain now and print its summary.

    Exit status: 0 when the job completed, 1 when it ended PARTIAL_SUCCESS or FAILED, 2 on
    usage errors.
    """
    from openprofiles.errors import ServiceError
    from openprofiles.services.container import Services
    from openprofiles.services.jobs import FROM_CLI
    from openprofiles.worker.export import S3Exporter
    from openprofiles.worker.resolution_jobs import JobRunner

    if data_dir is not None and database_url is not None:
        raise click.UsageError("give --data-dir or --database-url, not both")
    if not (account.isdigit() and len(account) == 12):
        raise click.BadParameter("must be 12 digits", param_hint="--account")
    settings, database = open_database(data_dir, database_url)
    started = time.monotonic()
    try:
        services = Services(database, settings)
        caller = Caller(account, region)
        try:
            job_id = services.jobs.start(caller, domain, origin=FROM_CLI)
        except ServiceError as exc:
            raise click.UsageError(exc.message) from exc
        runner = JobRunner(
            database,
            services.clock,
            exporter=S3Exporter(settings.s3_endpoint_url),
        )
        bar = _StageBar() if progress else None
        try:
            job = runner.run(job_id, bar)
            while job is None or job.status not in ("COMPLETED", "PARTIAL_SUCCESS", "FAILED"):
                time.sleep(0.5)  # a server on the same database took the job: follow it
                job = services.jobs.get(caller, domain, job_id)[1]
        except KeyboardInterrupt:
            runner.stop.set()
            click.echo(f"\ninterrupted; job {job_id} goes back to PENDING", err=True)
            ctx.exit(130)
        finally:
            if bar is not None:
                bar.close()
    finally:
        database.close()
    rows = [
        ("job", job.job_id),
        ("status", job.status),
        ("profiles reviewed", f"{job.profiles_reviewed:,}"),
        ("matches found", f"{job.matches_found:,}"),
        ("merges done", f"{job.merges_done:,}"),
        ("elapsed", f"{time.monotonic() - started:.1f} s"),
    ]
    location = (job.exporting_location or {}).get("S3Exporting")
    if location:
        rows.append(("exported to", f"s3://{location['S3BucketName']}/{location['S3KeyName']}"))
    if job.message:
        rows.append(("message", job.message))
    for name, value in rows:
        click.echo(f"{name:<19}{value}")
    ctx.exit(0 if job.status == "COMPLETED" else 1)
