"""``openprofiles serve`` and ``openprofiles migrate``."""

from __future__ import annotations

import ipaddress
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import click

from openprofiles.config import DEFAULT_CREDENTIALS, Settings, load_settings, parse_credentials

_common = [
    click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                 help="Data directory [env OPENPROFILES_DATA_DIR; default ./openprofiles-data]."),
    click.option("--database-url",
                 help="postgresql+psycopg://... [env OPENPROFILES_DATABASE_URL; default SQLite "
                 "in the data directory]."),
]  # fmt: skip


def _with_common(fn: Any) -> Any:
    for option in reversed(_common):
        fn = option(fn)
    return fn


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: addresses only this machine can reach."""
    host = host.strip().strip("[]")
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def uses_default_credentials(settings: Settings) -> bool:
    """True when the well-known test/test key pair is among the configured credentials."""
    default = parse_credentials(DEFAULT_CREDENTIALS)["test"]
    known = settings.credential_map.get(default.access_key)
    return settings.uses_default_credentials or (
        known is not None and known.secret_key == default.secret_key
    )


def _load(flags: dict[str, Any]) -> Settings:
    try:
        return load_settings(flags)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.command("serve")
@click.option("--host", help="Address to bind [env OPENPROFILES_HOST; default 127.0.0.1].")
@click.option("--port", type=int, help="Port [env OPENPROFILES_PORT; default 4599].")
@_with_common
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]),
              help="[env OPENPROFILES_LOG_LEVEL; default info]")  # fmt: skip
@click.option("--log-format", type=click.Choice(["text", "json"]),
              help="Log lines as text or one JSON object each [env OPENPROFILES_LOG_FORMAT; "
              "default text].")  # fmt: skip
@click.option("--regions",
              help="Regions requests may be signed for, comma-separated [env OPENPROFILES_REGIONS; "
              "default every region of the aws partition].")  # fmt: skip
def serve_command(**flags: Any) -> None:
    """Serve the Customer Profiles and B2B Data Interchange APIs."""
    settings = _load(flags)
    if not is_loopback(settings.host) and uses_default_credentials(settings):
        click.echo(
            f"openprofiles: refusing to listen on {settings.host} with the default credentials "
            "(test/test): anyone who can reach it could use them. Set OPENPROFILES_CREDENTIALS "
            "to your own ACCESS_KEY:SECRET_KEY:ACCOUNT_ID list, or bind to 127.0.0.1.",
            err=True,
        )
        sys.exit(2)
    run(settings)


def run(settings: Settings) -> None:
    import uvicorn

    from openprofiles.server import logs
    from openprofiles.server.app import create_app

    json_lines = settings.log_format == "json"
    logs.configure(settings.log_level, settings.log_format)
    app = create_app(settings)
    extra: dict[str, Any] = {"log_config": None} if json_lines else {}
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
        **extra,
    )
    server = uvicorn.Server(config)
    original_startup = server.startup

    async def startup(sockets: Any = None) -> None:
        await original_startup(sockets)
        if server.started:
            port = settings.port
            for listener in getattr(server, "servers", []):  # the port bound, for --port 0
                for sock in listener.sockets:
                    port = sock.getsockname()[1]
            message = (
                f"openprofiles listening on http://{settings.host}:{port} "
                f"(database: {_redacted(settings.effective_database_url)})"
            )
            if json_lines:
                logging.getLogger("openprofiles.server").info("%s", message)
            else:
                click.echo(message, err=True)

    server.startup = startup  # type: ignore[method-assign]
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal; answer it
    # with a normal exit so a clean shutdown reports status 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: sys.exit(0))
    server.run()
    if not server.started:
        sys.exit(3)


@click.command("migrate")
@_with_common
def migrate_command(**flags: Any) -> None:
    """Bring the database schema up to date, without serving; each migration is listed as it
    is applied, with its time."""
    import time

    from openprofiles.storage.database import Database
    from openprofiles.storage.migrate import current_revision, head_revision, upgrade

    settings = _load(flags)
    database = Database(settings.effective_database_url)
    started = last = time.perf_counter()
    applied: list[str] = []

    def on_step(revision: str, description: str) -> None:
        nonlocal last
        now = time.perf_counter()
        click.echo(f"applied {revision} ({description.strip()}) in {now - last:.1f} s")
        applied.append(revision)
        last = now

    try:
        with database.read() as conn:
            before = current_revision(conn)
        upgrade(database, on_step=on_step)
    finally:
        database.close()
    shown = _redacted(settings.effective_database_url)
    if applied:
        click.echo(
            f"database at {shown} is up to date: {before or 'empty'} -> {head_revision()}, "
            f"{len(applied)} migration(s) in {time.perf_counter() - started:.1f} s"
        )
    else:
        click.echo(f"database at {shown} is up to date ({head_revision()})")
