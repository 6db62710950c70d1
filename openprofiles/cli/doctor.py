"""``openprofiles doctor``: checks what a server needs and says, in words, what to do about
each problem; exit status 1 when there is one.

Checks: the settings parse; the database answers; its schema is at this openprofiles' newest
migration; the credentials are not the well-known default on an address others can reach; the
data directory (SQLite's) exists, is writable and has room; the S3-compatible endpoint of
``OPENPROFILES_S3_ENDPOINT_URL``, when set, answers and accepts the AWS credentials.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from openprofiles.cli.serve import _redacted, _with_common, is_loopback, uses_default_credentials
from openprofiles.config import Settings, load_settings

# Below this much free space on the data directory's disk, a busy server may fill it.
MIN_FREE_BYTES = 1 << 30
S3_ENDPOINT_ENV = "OPENPROFILES_S3_ENDPOINT_URL"


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    message: str  # what was found, and for a problem what to do


Check = Callable[[Settings], Finding]


def _missing_sqlite_file(settings: Settings) -> bool:
    """An SQLite database whose file is not there (opening it would create it)."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.effective_database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return False
    return not os.path.exists(str(url.database))


def check_database(settings: Settings) -> Finding:
    from openprofiles.storage.database import Database

    url = settings.effective_database_url
    shown = _redacted(url)
    if _missing_sqlite_file(settings):
        return Finding(
            "database",
            False,
            f"no database at {shown} yet: run `openprofiles "
            "migrate --data-dir DIR` (or start the server) to create it",
        )
    try:
        database = Database(url)
    except Exception as exc:
        return Finding("database", False, f"{shown}: {exc}")
    try:
        database.ping()
    except Exception as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return Finding(
            "database",
            False,
            f"cannot connect to {shown}: {reason}. Check the URL, "
            "that the server is up and the user may log in",
        )
    finally:
        database.close()
    return Finding("database", True, f"{shown} answers")


def check_migrations(settings: Settings) -> Finding:
    from openprofiles.storage.database import Database
    from openprofiles.storage.migrate import current_revision, head_revision, known_revisions

    if _missing_sqlite_file(settings):
        return Finding("migrations", False, "no database to check (see above)")
    head = head_revision()
    try:
        database = Database(settings.effective_database_url)
        try:
            with database.read() as conn:
                current = current_revision(conn)
        finally:
            database.close()
    except Exception:
        return Finding("migrations", False, "the database does not answer (see above)")
    if current == head:
        return Finding("migrations", True, f"schema at the newest migration, {head}")
    if current is None:
        return Finding(
            "migrations",
            False,
            "the database has never been migrated: run "
            "`openprofiles migrate` (the server also migrates when it starts)",
        )
    if current not in known_revisions():
        return Finding(
            "migrations",
            False,
            f"the schema is at {current}, which this "
            "openprofiles does not know: a newer version made it; run that one",
        )
    return Finding(
        "migrations",
        False,
        f"the schema is at {current}, this openprofiles needs "
        f"{head}: run `openprofiles migrate` (the server also migrates when it "
        "starts); back up first with `openprofiles backup`",
    )


def check_credentials(settings: Settings) -> Finding:
    accounts = sorted({c.account for c in settings.credential_map.values()})
    listed = f"{len(settings.credential_map)} key(s) for account(s) {', '.join(accounts)}"
    if uses_default_credentials(settings):
        if not is_loopback(settings.host):
            return Finding(
                "credentials",
                False,
                f"the default credentials (test/test) with "
                f"host {settings.host}, which others can reach: the server refuses "
                "to start. Set OPENPROFILES_CREDENTIALS to your own "
                "ACCESS_KEY:SECRET_KEY:ACCOUNT_ID list, or bind to 127.0.0.1",
            )
        return Finding(
            "credentials",
            True,
            f"{listed}; the default test/test pair, fine on "
            f"{settings.host} only (set OPENPROFILES_CREDENTIALS before binding "
            "to another address)",
        )
    return Finding("credentials", True, listed)


def check_data_dir(settings: Settings) -> Finding:
    if settings.database_url and not settings.database_url.startswith("sqlite"):
        return Finding("data directory", True, "not used: the database is PostgreSQL")
    directory = settings.data_dir
    if not directory.is_dir():
        return Finding(
            "data directory",
            False,
            f"{directory} does not exist: create it, or give the --data-dir a server uses",
        )
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Finding(
            "data directory",
            False,
            f"{directory} is not writable ({exc.strerror}): "
            "give the server's user write access to it",
        )
    free = shutil.disk_usage(directory).free
    shown = f"{free / (1 << 30):,.1f} GiB free"
    if free < MIN_FREE_BYTES:
        return Finding(
            "data directory",
            False,
            f"{directory}: only {shown}: free some space "
            "or move the data directory to a larger disk (SQLite needs room for "
            "its write-ahead log and a backup as large as the database)",
        )
    return Finding("data directory", True, f"{directory.resolve()} writable, {shown}")


def check_s3(settings: Settings) -> Finding:
    endpoint = settings.s3_endpoint_url  # OPENPROFILES_S3_ENDPOINT_URL, as the integrations read it
    if not endpoint:
        return Finding("s3", True, f"not configured ({S3_ENDPOINT_ENV} is not set)")
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    session = botocore.session.get_session()
    if session.get_credentials() is None:
        return Finding(
            "s3",
            False,
            f"{endpoint}: no AWS credentials found: set "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a profile) for it",
        )
    client: Any = session.create_client(
        "s3",
        endpoint_url=endpoint,
        region_name=session.get_config_variable("region") or "us-east-1",
        config=Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 1}),
    )
    try:
        buckets = client.list_buckets().get("Buckets", [])
    except EndpointConnectionError:
        return Finding(
            "s3",
            False,
            f"cannot reach {endpoint}: check {S3_ENDPOINT_ENV}, that the "
            "store is running and that this machine can reach it",
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        return Finding(
            "s3",
            False,
            f"{endpoint} refused the credentials ({code}): check "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        )
    except BotoCoreError as exc:
        return Finding("s3", False, f"{endpoint}: {exc}")
    return Finding(
        "s3",
        True,
        f"{endpoint} answers and accepts the credentials ({len(buckets)} bucket(s) visible)",
    )


CHECKS: list[Check] = [
    check_database,
    check_migrations,
    check_credentials,
    check_data_dir,
    check_s3,
]


@click.command("doctor")
@_with_common
@click.option(
    "--host",
    help="The address the server binds [env OPENPROFILES_HOST; default "
    "127.0.0.1]: default credentials are a problem on any other.",
)
def doctor_command(**flags: Any) -> None:
    """Check the database, migrations, credentials, data directory and S3 endpoint.

    Prints OK or PROBLEM for each check, with what to do about a problem; exits with status 1
    when there is one.
    """
    try:
        settings = load_settings(flags)
    except ValueError as exc:
        click.echo(f"PROBLEM  settings        {exc}: fix the flag or OPENPROFILES_* variable")
        raise SystemExit(1) from None
    findings = [check(settings) for check in CHECKS]
    width = max(len(f.check) for f in findings) + 2
    for finding in findings:
        word = "OK" if finding.ok else "PROBLEM"
        click.echo(f"{word:<9}{finding.check:<{width}}{finding.message}")
    problems = sum(not f.ok for f in findings)
    click.echo(f"\n{problems} problem(s) found" if problems else "\nno problems found")
    raise SystemExit(1 if problems else 0)
