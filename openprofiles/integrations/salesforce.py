"""The Salesforce source: the REST API's SOQL query, paged by ``nextRecordsUrl``.

A run asks for the projected fields of the flow's Object, ordered by the incremental field
(IncrementalPullConfig.DatetimeTypeFieldName, SystemModstamp by default) and, incrementally,
from the watermark the last run left: ``WHERE SystemModstamp >= watermark``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

from openprofiles.clock import to_utc
from openprofiles.integrations.http_json import JsonClient
from openprofiles.integrations.profiles import ConnectorProfile


def _error(body: Any) -> str:
    """Salesforce's own error: ``[{"errorCode", "message"}]``."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return f"{body[0].get('errorCode', '')}: {body[0].get('message', '')}"
    return ""


class SalesforceSource:
    default_stamp = "SystemModstamp"
    id_field = "Id"

    def __init__(self, profile: ConnectorProfile) -> None:
        self.client = JsonClient(profile, _error)
        self.profile = profile

    def query(
        self, object_name: str, fields: list[str], stamp_field: str, since: str | datetime | None
    ) -> Iterator[dict[str, Any]]:
        """The object's records from ``since`` on, oldest first, without ``attributes``."""
        wanted = list(dict.fromkeys(["Id", *fields, stamp_field]))
        soql = f"SELECT {', '.join(wanted)} FROM {object_name}"
        if isinstance(since, datetime):
            since = to_utc(since).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        if since is not None:
            soql += f" WHERE {stamp_field} >= {since}"
        soql += f" ORDER BY {stamp_field}, Id"
        base = self.profile.instance_url
        path: str | None = f"/services/data/{self.profile.api_version}/query?q={quote(soql)}"
        while path is not None:
            page, _ = self.client.get(base + path)
            for record in page.get("records", []):
                record.pop("attributes", None)
                yield record
            path = None if page.get("done", True) else page.get("nextRecordsUrl")
