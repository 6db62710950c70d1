"""The ``openprofiles`` command: serve, migrate, import, resolve, integrations, operations."""

from __future__ import annotations

import click

from openprofiles import __version__
from openprofiles.cli.backup import backup_command, restore_command
from openprofiles.cli.doctor import doctor_command
from openprofiles.cli.export import export_command
from openprofiles.cli.importer import import_command
from openprofiles.cli.integrations import integrations_command
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
cli.add_command(export_command)
cli.add_command(backup_command)
cli.add_command(restore_command)
cli.add_command(doctor_command)

COMPLETION_VARIABLE = "_OPENPROFILES_COMPLETE"


@cli.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion_command(shell: str) -> None:
    """Print the shell completion script for SHELL.

    \b
    bash:  eval "$(openprofiles completion bash)"        in ~/.bashrc
    zsh:   eval "$(openprofiles completion zsh)"         in ~/.zshrc
    fish:  openprofiles completion fish > ~/.config/fish/completions/openprofiles.fish
    """
    from click.shell_completion import get_completion_class

    completion = get_completion_class(shell)
    assert completion is not None  # click ships all three
    click.echo(completion(cli, {}, "openprofiles", COMPLETION_VARIABLE).source())


cli.add_command(integrations_command)


def main() -> None:
    cli()
