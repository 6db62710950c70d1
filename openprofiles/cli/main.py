"""The ``openprofiles`` command: serve, migrate, import, resolve, operations."""

from __future__ import annotations

import click

from openprofiles import __version__
from openprofiles.cli.importer import import_command
from openprofiles.cli.resolve import resolve_command
from openprofiles.cli.serve import migrate_command, serve_command


@click.group()
@click.version_option(__version__, prog_name="openprofiles")
def cli() -> None:
    """openprofiles: a self-hosted, wire-compatible Amazon Connect Customer Profiles server."""


@cli.command("operations")
def operations_command() -> None:
    """Print, as Markdown, every operation of both services and whether it is implemented."""
    from openprofiles.handlers.status import operations_table

    click.echo(operations_table())


cli.add_command(serve_command)
cli.add_command(migrate_command)
cli.add_command(import_command)
cli.add_command(resolve_command)


def main() -> None:
    cli()
