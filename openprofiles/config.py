"""One settings object: command-line flags > ``OPENPROFILES_*`` environment > defaults."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_CREDENTIALS = "test:test:000000000000"
LOG_FORMATS = ("text", "json")
_REGION_NAME = re.compile(r"[a-z]+(-[a-z]+)*-[0-9]+")  # us-east-1, eusc-de-east-1


@dataclass(frozen=True)
class Credential:
    access_key: str
    secret_key: str
    account: str


def parse_credentials(text: str) -> dict[str, Credential]:
    """Parse ``AKID:SECRET:ACCOUNT[,...]`` into a map keyed by access key id."""
    result: dict[str, Credential] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        parts = item.split(":")
        if len(parts) != 3 or not all(parts):
            raise ValueError(
                f"credential {item!r} is not of the form ACCESS_KEY:SECRET_KEY:ACCOUNT_ID"
            )
        access_key, secret_key, account = parts
        if not (account.isdigit() and len(account) == 12):
            raise ValueError(f"account id {account!r} in credentials must be 12 digits")
        result[access_key] = Credential(access_key, secret_key, account)
    if not result:
        raise ValueError("no credentials configured")
    return result


def parse_regions(text: str) -> tuple[str, ...]:
    """Parse ``us-east-1,eu-west-1`` into region names, each checked for a region's shape."""
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    for name in names:
        if not _REGION_NAME.fullmatch(name):
            raise ValueError(f"region {name!r} is not a region name such as us-east-1")
    if not names:
        raise ValueError("no regions configured")
    return names


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 4599
    data_dir: Path = Path("./openprofiles-data")
    database_url: str | None = None  # None: SQLite at {data_dir}/openprofiles.db
    credentials: str = DEFAULT_CREDENTIALS
    log_level: str = "info"
    log_format: str = "text"  # or "json": one JSON object per log line (server/logs.py)
    # Regions a request may be signed for, comma-separated; None: the aws partition's.
    regions: str | None = None
    access_log: bool = True
    # Secret for signing paging tokens; derived from the database location when unset so a
    # restarted server still accepts tokens it handed out.
    token_secret: str | None = None
    # Where integrations' S3 sources are read and identity resolution jobs export their
    # matches (Matching.ExportingConfig): any S3-compatible endpoint; None: AWS's.
    s3_endpoint_url: str | None = None
    # A JSON file of connector profiles for SaaS sources (docs/integrations.md).
    connector_profiles: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'openprofiles.db').resolve()}"

    @property
    def credential_map(self) -> dict[str, Credential]:
        return parse_credentials(self.credentials)

    @property
    def region_list(self) -> tuple[str, ...] | None:
        return parse_regions(self.regions) if self.regions is not None else None

    @property
    def uses_default_credentials(self) -> bool:
        return self.credentials.strip() == DEFAULT_CREDENTIALS


_ENV_PREFIX = "OPENPROFILES_"


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from the environment, then apply non-None ``overrides`` (flags)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name == "extra":
            continue
        raw = env.get(_ENV_PREFIX + f.name.upper())
        if raw is not None and raw != "":
            values[f.name] = _coerce(f.name, raw)
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = _coerce(key, value) if isinstance(value, str) else value
    settings = replace(Settings(), **values)
    settings.credential_map  # noqa: B018  - fail early on a malformed credential list
    settings.region_list  # noqa: B018  - and on a malformed region list
    if settings.log_format not in LOG_FORMATS:
        raise ValueError(
            f"log format {settings.log_format!r} is not one of {', '.join(LOG_FORMATS)}"
        )
    return settings


def _coerce(name: str, raw: str) -> Any:
    if name == "port":
        return int(raw)
    if name == "data_dir":
        return Path(raw)
    if name == "access_log":
        return raw.lower() not in ("0", "false", "no", "off")
    return raw
