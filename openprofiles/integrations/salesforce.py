"""The Salesforce source: the REST API's SOQL query, paged by ``nextRecordsUrl``.

A run asks for the projected fields of the flow's Object, ordered by the incremental field
(IncrementalPullConfig.DatetimeTypeFieldName, SystemModstamp by default) and, incrementally,
from the watermark the last run left: ``WHERE SystemModstamp >= watermark``. Records at the
watermark itself that were already stored are skipped by Id, so a record is never taken twice
and none stamped in the same instant is lost. A 429 or 503 answer is retried after its
Retry-After seconds (else 1, 2, 4, ... seconds), up to ``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

from openprofiles.integrations.profiles import ConnectorProfile
from openprofiles.integrations.s3 import SourceUnreachable

MAX_ATTEMPTS: Final = 6
_RETRIED: Final = (429, 503)


def soql_time(value: datetime) -> str:
    """A datetime as a SOQL dateTime literal (UTC)."""
    from openprofiles.clock import to_utc

    return to_utc(value).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class SalesforceSource:
    def __init__(self, profile: ConnectorProfile, sleep: Any = time.sleep) -> None:
        self.profile = profile
        self.sleep = sleep
        self.where = f"Salesforce {profile.instance_url} (connector profile {profile.name})"

    def query(
        self, object_name: str, fields: list[str], stamp_field: str, since: str | None
    ) -> Iterator[dict[str, Any]]:
        """The object's records from ``since`` (a SOQL dateTime literal) on, oldest first,
        without Salesforce's ``attributes``."""
        wanted = list(dict.fromkeys(["Id", *fields, stamp_field]))
        soql = f"SELECT {', '.join(wanted)} FROM {object_name}"
        if since is not None:
            soql += f" WHERE {stamp_field} >= {since}"
        soql += f" ORDER BY {stamp_field}, Id"
        base = self.profile.instance_url
        path: str | None = f"/services/data/{self.profile.api_version}/query?q={quote(soql)}"
        while path is not None:
            page = self._get(base + path)
            for record in page.get("records", []):
                record.pop("attributes", None)
                yield record
            path = None if page.get("done", True) else page.get("nextRecordsUrl")

    def _get(self, url: str) -> dict[str, Any]:
        request = urllib.request.Request(
            url,
            headers={
                "Authorization": f"Bearer {self.profile.access_token}",
                "Accept": "application/json",
            },
        )
        for attempt in range(MAX_ATTEMPTS):
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    answer: dict[str, Any] = json.loads(response.read())
                    return answer
            except urllib.error.HTTPError as exc:
                if exc.code in _RETRIED and attempt + 1 < MAX_ATTEMPTS:
                    wait = exc.headers.get("Retry-After")
                    self.sleep(float(wait) if wait and wait.isdigit() else 2.0**attempt)
                    continue
                raise SourceUnreachable(
                    f"{self.where} answered {exc.code} {_error_text(exc)}"
                ) from None
            except (OSError, ValueError) as exc:
                raise SourceUnreachable(f"cannot query {self.where}: {exc}") from None
        raise SourceUnreachable(f"{self.where} kept answering 429")  # pragma: no cover


def _error_text(exc: urllib.error.HTTPError) -> str:
    """Salesforce's own error (``[{"errorCode", "message"}]``), never the request's headers."""
    try:
        body = json.loads(exc.read() or b"[]")
    except ValueError:
        return ""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return f"{body[0].get('errorCode', '')}: {body[0].get('message', '')}"
    return ""
