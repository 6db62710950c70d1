"""``openprofiles integrations run | runs``: run an integration's flow, list its runs.

Locally (``--data-dir`` / ``--database-url``, as ``openprofiles import``) the flow runs in this
process with the bulk import's write path and batch size; with ``--endpoint-url`` the running
server runs it (the signed ``/_openprofiles/.../integrations/run`` extension). Either way the
run is printed as the runs extension answers it, as JSON.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import click

from openprofiles.cli._database import open_database
from openprofiles.context import Caller


@click.group("integrations")
def integrations_command() -> None:
    """Run integrations' flows and list their runs."""


def _options(fn: Any) -> Any:
    for option in reversed(
        [
            click.option("--domain", required=True, help="The integration's domain."),
            click.option(
                "--data-dir",
                type=click.Path(file_okay=False, path_type=Path),
                help="Data directory of the embedded SQLite database "
                "(default: OPENPROFILES_DATA_DIR).",
            ),
            click.option("--database-url", help="Database URL, instead of --data-dir."),
            click.option("--endpoint-url", help="Ask this running server instead."),
            click.option("--account", default="000000000000", show_default=True),
            click.option("--region", default="us-east-1", show_default=True),
        ]
    ):
        fn = option(fn)
    return fn


def _services(stack: ExitStack, data_dir: Path | None, database_url: str | None) -> Any:
    from openprofiles.services.container import Services

    settings, database = open_database(data_dir, database_url)
    stack.callback(database.close)
    return Services(database, settings)


def _remote(endpoint: str, region: str, method: str, path: str, body: bytes = b"") -> Any:
    import urllib.error
    import urllib.request

    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    credentials = botocore.session.get_session().get_credentials() or Credentials("test", "test")
    request = AWSRequest(method=method, url=endpoint.rstrip("/") + path, data=body)
    SigV4Auth(credentials, "profile", region).add_auth(request)
    sent = urllib.request.Request(
        request.url, data=body or None, headers=dict(request.headers.items()), method=method
    )
    try:
        with urllib.request.urlopen(sent) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        answer = json.loads(exc.read() or b"{}")
        raise click.ClickException(f"{exc.code}: {answer.get('Message', answer)}") from exc
    except OSError as exc:
        raise click.ClickException(f"cannot reach {endpoint}: {exc}") from exc


def _check(account: str, endpoint_url: str | None, data_dir: Any, database_url: Any) -> None:
    if not (account.isdigit() and len(account) == 12):
        raise click.BadParameter("must be 12 digits", param_hint="--account")
    if data_dir is not None and database_url is not None:
        raise click.UsageError("give --data-dir or --database-url, not both")
    if endpoint_url is not None and (data_dir is not None or database_url is not None):
        raise click.UsageError("--data-dir and --database-url are for local runs")


def _progress_bar(stack: ExitStack) -> Callable[[str, int], None]:
    """A tqdm bar of records read, naming the source file under way."""
    from tqdm import tqdm

    bar = tqdm(unit=" records", dynamic_ncols=True, mininterval=0.5, file=sys.stderr)
    stack.callback(bar.close)

    def advance(key: str, read: int) -> None:
        if bar.postfix != key:
            bar.set_postfix_str(key, refresh=False)
        bar.update(read)

    return advance


@integrations_command.command("run")
@_options
@click.option("--uri", required=True, help="The integration's Uri.")
@click.option("--progress/--no-progress", default=True,
              help="Progress bar on stderr (local runs).")  # fmt: skip
def run_command(
    domain: str, data_dir: Path | None, database_url: str | None, endpoint_url: str | None,
    account: str, region: str, uri: str, progress: bool,
) -> None:  # fmt: skip
    """Run the integration's flow now and print the run (its counts: the summary). Exit status
    1 when it failed. A local run shows its progress on stderr, records read by source file."""
    from openprofiles.errors import ServiceError

    _check(account, endpoint_url, data_dir, database_url)
    if endpoint_url is not None:
        answer = _remote(
            endpoint_url, region, "POST",
            f"/_openprofiles/domains/{quote(domain)}/integrations/run",
            json.dumps({"Uri": uri}).encode(),
        )  # fmt: skip
    else:
        from openprofiles.cli.import_run import quiet_gc
        from openprofiles.cli.importer import DEFAULT_BATCH
        from openprofiles.services.integration_runs import run_to_wire
        from openprofiles.storage.bulk import prepare_bulk_writes

        with ExitStack() as stack:
            services = _services(stack, data_dir, database_url)
            bulk = prepare_bulk_writes(services.database)
            stack.callback(bulk.close)
            services.flows.bulk = bulk
            services.flows.batch_size = DEFAULT_BATCH
            stack.enter_context(quiet_gc())
            if progress:
                services.flows.on_batch = _progress_bar(stack)
            try:
                run = services.flows.run(Caller(account, region), domain, uri, "OnDemand")
            except ServiceError as exc:
                raise click.ClickException(exc.message) from exc
            answer = run_to_wire(domain, run)
    click.echo(json.dumps(answer, indent=2))
    sys.exit(1 if answer.get("Status") == "FAILED" else 0)


@integrations_command.command("runs")
@_options
@click.option("--uri", help="Only this integration's runs.")
@click.option("--max-results", type=click.IntRange(1, 100), help="Runs per page (default 100).")
@click.option("--next-token", help="The NextToken of the previous page.")
def runs_command(
    domain: str, data_dir: Path | None, database_url: str | None, endpoint_url: str | None,
    account: str, region: str, uri: str | None, max_results: int | None, next_token: str | None,
) -> None:  # fmt: skip
    """Print a page of the domain's flow runs, newest first, as JSON."""
    from openprofiles.errors import ServiceError

    _check(account, endpoint_url, data_dir, database_url)
    if endpoint_url is not None:
        query = {"uri": uri, "max-results": max_results, "next-token": next_token}
        text = urlencode({k: v for k, v in query.items() if v is not None})
        path = f"/_openprofiles/domains/{quote(domain)}/integrations/runs"
        answer = _remote(endpoint_url, region, "GET", path + (f"?{text}" if text else ""))
    else:
        from openprofiles.services.integration_runs import run_to_wire

        with ExitStack() as stack:
            services = _services(stack, data_dir, database_url)
            try:
                found, token = services.flows.list_runs(
                    Caller(account, region), domain, uri, max_results, next_token
                )
            except ServiceError as exc:
                raise click.ClickException(exc.message) from exc
            answer = {"Items": [run_to_wire(domain, r) for r in found]}
            if token:
                answer["NextToken"] = token
    click.echo(json.dumps(answer, indent=2))
