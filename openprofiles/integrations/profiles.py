"""Connector profiles: how the server reaches a SaaS source, configured on the server.

A flow's ``SourceFlowConfig.ConnectorProfileName`` names one. They are read from the JSON file
``OPENPROFILES_CONNECTOR_PROFILES`` names (see docs/integrations.md):

    {"my-salesforce": {"ConnectorType": "Salesforce", "InstanceUrl": "https://example.my.salesforce.com",
                       "AccessToken": "...", "ApiVersion": "v60.0", "Account": "000000000000"}}

``Account`` (optional) keeps a profile to one account. A profile's secrets (AccessToken) never
appear in an answer, a run's message or a log line: its ``repr`` leaves them out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openprofiles.integrations.flow import CONNECTOR_MEMBERS


class ProfileError(Exception):
    """The profiles file cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class ConnectorProfile:
    name: str
    connector_type: str
    instance_url: str
    api_version: str
    account: str | None
    access_token: str = field(repr=False)


def load_profiles(path: str | None) -> dict[str, ConnectorProfile]:
    if not path:
        return {}
    try:
        data: Any = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ProfileError(f"cannot read connector profiles from {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: must hold a JSON object of profiles by name")
    found = {}
    for name, entry in data.items():
        if not isinstance(entry, dict):
            raise ProfileError(f"{path}: profile {name!r} must be a JSON object")
        kind = entry.get("ConnectorType")
        if kind not in CONNECTOR_MEMBERS or kind == "S3":
            raise ProfileError(
                f"{path}: profile {name!r}: ConnectorType must be one of Salesforce, Marketo, "
                "Zendesk, Servicenow"
            )
        for member in ("InstanceUrl", "AccessToken"):
            if not isinstance(entry.get(member), str) or not entry[member]:
                raise ProfileError(f"{path}: profile {name!r} needs {member}")
        found[name] = ConnectorProfile(
            name=name,
            connector_type=kind,
            instance_url=entry["InstanceUrl"].rstrip("/"),
            api_version=str(entry.get("ApiVersion") or "v60.0"),
            account=entry.get("Account"),
            access_token=entry["AccessToken"],
        )
    return found
